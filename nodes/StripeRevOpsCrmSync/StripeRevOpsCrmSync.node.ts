import {
	NodeConnectionTypes,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type ILoadOptionsFunctions,
	type INodeListSearchResult,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import {
	alertSkipReason,
	batchRecords,
	claimEpisode,
	CrmInputError,
	crmSchema,
	customerIdFromItem,
	loadAllProfiles,
	loadProfile,
	ownerAlert,
	recordsOf,
	type AlertPriority,
	type CrmObject,
	type PaymentHealth,
	type ProductCache,
	type ProfileOptions,
	type RevenueProfile,
	type ShapeOptions,
} from '../../lib/crm';
import { keyMode } from '../../lib/stripe';
import { OutputItems, route, type ItemInput, type ItemOutcome } from '../shared/router';
import { searchCustomers } from '../shared/listSearch';
import { CREDENTIAL_NAME, executionStripe, stripeClient, type ExecutionStripe } from '../shared/stripeApi';
import { nowSeconds } from '../shared/params';
import { readReporting } from '../shared/rates';
import { properties } from './description';

interface Shared extends ExecutionStripe {
	products: ProductCache;
	clocks: Map<string, Promise<number>>;
}

/** Customers read at once: the execution's rate limiter keeps them inside Stripe's limits. */
const CONCURRENCY = 8;

async function mapConcurrent<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
	const out = new Array<R>(items.length);
	let next = 0;
	const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
		while (next < items.length) {
			const i = next++;
			out[i] = await fn(items[i]);
		}
	});
	await Promise.all(workers);
	return out;
}

function profileOptions(context: IExecuteFunctions, itemIndex: number): ProfileOptions {
	const options = context.getNodeParameter('profileOptions', itemIndex, {}) as IDataObject;
	return { realNow: nowSeconds(), ...readReporting(context, options, itemIndex), recoveredDays: options.recoveredDays === undefined ? undefined : Number(options.recoveredDays) };
}

function objectsOf(value: string): CrmObject[] {
	return value === 'contactsAndCompanies' ? ['contacts', 'companies'] : value === 'companies' ? ['companies'] : ['contacts'];
}

function mapping(options: IDataObject): Pick<ShapeOptions, 'prefix' | 'overrides'> {
	const overrides: Record<string, string> = {};
	for (const m of ((options.propertyMapping as IDataObject | undefined)?.mapping as IDataObject[] | undefined) ?? []) overrides[String(m.field)] = String(m.property ?? '').trim();
	return { prefix: options.prefix === undefined ? undefined : String(options.prefix), overrides };
}

/** A profile item as Build Profiles emits it, or undefined. */
function asProfile(json: IDataObject): RevenueProfile | undefined {
	return typeof json.customerId === 'string' && typeof json.paymentHealth === 'string' && typeof json.asOf === 'string' ? (json as unknown as RevenueProfile) : undefined;
}

/**
 * Build Profiles over all items: one profile per customer, read once even when several items (events
 * of one execution) name it; the profile is paired with every item that named it.
 */
async function buildProfiles(inputs: Array<ItemInput<Shared>>): Promise<ItemOutcome[]> {
	const { context, shared } = inputs[0];
	const source = context.getNodeParameter('source', inputs[0].itemIndex, 'input') as string;
	if (source === 'all') return buildAll(inputs);
	const outcomes: ItemOutcome[] = inputs.map(() => ({ ok: true, json: new OutputItems([]) }));
	const byCustomer = new Map<string, number[]>();
	const optionsOf = new Map<string, ProfileOptions>();
	inputs.forEach(({ itemIndex, json }, k) => {
		try {
			const id =
				source === 'customer'
					? String(context.getNodeParameter('customer', itemIndex, '', { extractValue: true }) ?? '').trim()
					: customerIdFromItem(json);
			if (!id) {
				throw new NodeOperationError(
					context.getNode(),
					'This item names no Stripe customer: pass this package\'s trigger items, Stripe events, customer objects or items with a customerId field (cus_…), or choose One Customer.',
					{ itemIndex },
				);
			}
			const options = profileOptions(context, itemIndex);
			const list = byCustomer.get(id);
			if (list) list.push(k);
			else {
				byCustomer.set(id, [k]);
				optionsOf.set(id, options);
			}
		} catch (error) {
			outcomes[k] = { ok: false, error };
		}
	});
	const ids = [...byCustomer.keys()];
	await mapConcurrent(ids, CONCURRENCY, async (id) => {
		const ks = byCustomer.get(id)!;
		try {
			const profile = await loadProfile(shared.client, id, optionsOf.get(id)!, shared);
			outcomes[ks[0]] = { ok: true, json: new OutputItems([{ json: profile as unknown as IDataObject, pairedItems: ks.map((k) => inputs[k].itemIndex) }]) };
		} catch (error) {
			for (const k of ks) outcomes[k] = { ok: false, error };
		}
	});
	return outcomes;
}

/** Every customer of the account, once, paired with the first input item; a customer that fails is an error item under Continue On Fail. */
async function buildAll(inputs: Array<ItemInput<Shared>>): Promise<ItemOutcome[]> {
	const { context, shared, itemIndex } = inputs[0];
	const results = await loadAllProfiles(shared.client, profileOptions(context, itemIndex), shared);
	const items: Array<{ json: IDataObject }> = [];
	for (const r of results) {
		if ('profile' in r) items.push({ json: r.profile as unknown as IDataObject });
		else if (context.continueOnFail()) items.push({ json: { customerId: r.customerId, error: r.error.message } });
		else throw new NodeOperationError(context.getNode(), `Customer ${r.customerId}: ${r.error.message}`, { itemIndex });
	}
	return inputs.map((_, k) => ({ ok: true, json: new OutputItems(k === 0 ? items : []) }));
}

function notAProfile(): CrmInputError {
	return new CrmInputError('This item is not a revenue profile (it has no customerId, paymentHealth and asOf): put Build Profiles before Shape for CRM.');
}

/** Shape for CRM: records keyed by email or domain, batched per object type; a record that cannot be keyed is its item's error. */
async function shapeForCrm(inputs: Array<ItemInput<Shared>>): Promise<ItemOutcome[]> {
	const { context, itemIndex: first } = inputs[0];
	const objects = objectsOf(context.getNodeParameter('objects', first, 'contacts') as string);
	const output = context.getNodeParameter('output', first, 'hubspotBatch') as string;
	const options = context.getNodeParameter('shapeOptions', first, {}) as IDataObject;
	const shape: ShapeOptions = { objects, ...mapping(options), standardProperties: options.standardProperties === true };
	const outcomes: ItemOutcome[] = inputs.map(() => ({ ok: true, json: new OutputItems([]) }));
	const entries: Array<{ index: number; profile: RevenueProfile; records: ReturnType<typeof recordsOf>['records']; skipped: string[] }> = [];
	inputs.forEach(({ json, itemIndex }, k) => {
		try {
			const profile = asProfile(json);
			if (!profile) throw notAProfile();
			const { records, skipped } = recordsOf(profile, shape);
			entries.push({ index: itemIndex, profile, records, skipped });
		} catch (error) {
			outcomes[k] = { ok: false, error };
		}
	});
	const position = new Map(inputs.map((input, k) => [input.itemIndex, k]));
	if (output === 'perRecord') {
		for (const entry of entries) {
			outcomes[position.get(entry.index)!] = {
				ok: true,
				json: new OutputItems(entry.records.map((r) => ({ json: { ...r, skipped: entry.skipped } as unknown as IDataObject }))),
			};
		}
		return outcomes;
	}
	const batchSize = Number(context.getNodeParameter('batchSize', first, 100));
	const batches = batchRecords(entries, batchSize);
	const at = new Map<number, Array<{ json: IDataObject; pairedItems: number[] }>>();
	const skipped = new Map(entries.map((e) => [e.index, e.skipped]));
	for (const { sources, ...batch } of batches) {
		const k = position.get(sources[0])!;
		const list = at.get(k) ?? [];
		list.push({ json: { ...batch, skipped: sources.flatMap((s) => skipped.get(s) ?? []) } as unknown as IDataObject, pairedItems: sources });
		at.set(k, list);
	}
	for (const [k, items] of at) outcomes[k] = { ok: true, json: new OutputItems(items) };
	return outcomes;
}

/** Owner Alerts: a task and note for each qualifying profile, once per episode (claimed in Stripe). */
async function ownerAlerts(inputs: Array<ItemInput<Shared>>): Promise<ItemOutcome[]> {
	const { context, shared } = inputs[0];
	const testMode = keyMode(String(shared.credentials.secretKey ?? '')) !== 'live';
	const seen = new Set<string>();
	return mapConcurrent(inputs, CONCURRENCY, async ({ json, itemIndex }): Promise<ItemOutcome> => {
		try {
			let profile = asProfile(json);
			if (!profile) {
				const id = customerIdFromItem(json);
				if (!id) {
					throw new NodeOperationError(context.getNode(), 'This item is neither a revenue profile nor names a Stripe customer: put Build Profiles before Owner Alerts, or pass items with a customerId.', { itemIndex });
				}
				profile = await loadProfile(shared.client, id, profileOptions(context, itemIndex), shared);
			}
			const healths = context.getNodeParameter('alertOn', itemIndex, ['failing', 'churned']) as PaymentHealth[];
			const mrrThreshold = Number(context.getNodeParameter('mrrThreshold', itemIndex, 0));
			const churnWindowDays = Number(context.getNodeParameter('churnWindowDays', itemIndex, 7));
			if (alertSkipReason(profile, { healths, mrrThreshold, churnWindowDays }) !== undefined) return { ok: true, json: new OutputItems([]) };
			const episode = `${profile.customerId}:${profile.episodeId}`;
			if (seen.has(episode)) return { ok: true, json: new OutputItems([]) };
			seen.add(episode);
			if (context.getNodeParameter('oncePerEpisode', itemIndex, true) && !(await claimEpisode(shared.client, profile.customerId, profile.episodeId!))) {
				return { ok: true, json: new OutputItems([]) };
			}
			const alert = ownerAlert(profile, {
				healths,
				mrrThreshold,
				churnWindowDays,
				dueInHours: Number(context.getNodeParameter('dueInHours', itemIndex, 24)),
				priority: String(context.getNodeParameter('priority', itemIndex, 'high')).toUpperCase() as AlertPriority,
				realNow: nowSeconds(),
				testMode,
			});
			return { ok: true, json: alert as unknown as IDataObject };
		} catch (error) {
			return { ok: false, error };
		}
	});
}

export class StripeRevOpsCrmSync implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Stripe RevOps CRM Sync',
		name: 'stripeRevOpsCrmSync',
		icon: { light: 'file:stripeRevOpsCrmSync.svg', dark: 'file:stripeRevOpsCrmSync.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"]}}',
		description: 'Each Stripe customer\'s payment health and revenue, shaped for HubSpot or any CRM',
		defaults: { name: 'Stripe RevOps CRM Sync' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: CREDENTIAL_NAME, required: true }],
		properties,
	};

	methods = {
		listSearch: {
			async searchCustomers(this: ILoadOptionsFunctions, filter?: string, paginationToken?: string): Promise<INodeListSearchResult> {
				const { client } = await stripeClient(this);
				return searchCustomers(client, filter, paginationToken);
			},
		},
	};

	execute = route<Shared>({
		shared: async (context) => ({ ...(await executionStripe(context)), products: new Map(), clocks: new Map() }),
		operations: {
			buildProfiles: { batch: buildProfiles },
			shapeForCrm: { batch: shapeForCrm },
			crmSchema: {
				item: async ({ context, itemIndex }) => {
					const options = context.getNodeParameter('schemaOptions', itemIndex, {}) as IDataObject;
					const objects = objectsOf(context.getNodeParameter('objects', itemIndex, 'contacts') as string);
					return crmSchema({
						objects,
						...mapping(options),
						groupName: options.groupName ? String(options.groupName) : undefined,
						groupLabel: options.groupLabel ? String(options.groupLabel) : undefined,
						usageSignal: options.usageSignal !== false,
					}) as unknown as IDataObject[];
				},
			},
			ownerAlerts: { batch: ownerAlerts },
		},
	});
}

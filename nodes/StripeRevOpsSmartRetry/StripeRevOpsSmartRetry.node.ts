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
	DEFAULT_TIMING_POLICY,
	evaluatePolicy,
	invoiceIdFromItem,
	listDueRetries,
	loadTrainingAttempts,
	mulberry32,
	parsePaydayRule,
	planInvoice,
	retryInvoice,
	train,
	type MessageOptions,
	type PlanOptions,
	type PlanRetryInput,
	type RetryModel,
} from '../../lib/retry';
import { OutputItems, route, type ItemInput } from '../shared/router';
import { CREDENTIAL_NAME, executionStripe, stripeClient, type ExecutionStripe } from '../shared/stripeApi';
import { searchOpenInvoices } from '../shared/listSearch';
import { dateParameter, nowSeconds } from '../shared/params';
import { properties } from './description';

const DAY = 86_400;
const MODEL_KEY = 'stripeRevOpsRetryModel';

interface Shared extends ExecutionStripe {
	/** The workflow's static data, where the model is kept. */
	store: IDataObject;
}

function policyFrom(context: IExecuteFunctions, itemIndex: number): { policy: PlanRetryInput['policy']; explore: boolean; seed: number } {
	const o = context.getNodeParameter('policy', itemIndex, {}) as IDataObject;
	const timing: Record<string, unknown> = {};
	if (o.quietStart !== undefined || o.quietEnd !== undefined) {
		const start = String(o.quietStart ?? DEFAULT_TIMING_POLICY.quietHours?.start ?? '');
		timing.quietHours = start === '' ? null : { start, end: String(o.quietEnd ?? DEFAULT_TIMING_POLICY.quietHours?.end ?? '08:00') };
	}
	if (o.businessDaysOnly === false) timing.businessDays = [1, 2, 3, 4, 5, 6, 7];
	if (typeof o.paydays === 'string' && o.paydays.trim() !== '') {
		try {
			timing.paydays = o.paydays.split(',').map((s) => parsePaydayRule(s.trim()));
		} catch (error) {
			throw new NodeOperationError(context.getNode(), `Paydays: ${(error as Error).message} Use numbers 1-31 and "last", comma-separated.`, { itemIndex });
		}
	}
	if (typeof o.minSpacingHours === 'number') timing.minSpacingSeconds = o.minSpacingHours * 3600;
	const windowDays = typeof o.recoveryWindowDays === 'number' ? o.recoveryWindowDays : 14;
	if (typeof o.recoveryWindowDays === 'number') timing.recoveryWindowSeconds = windowDays * DAY;
	if (typeof o.attemptBudget === 'number' || typeof o.recoveryWindowDays === 'number') {
		timing.attemptBudget = { attempts: typeof o.attemptBudget === 'number' ? o.attemptBudget : 8, windowSeconds: windowDays * DAY };
	}
	const network: Record<string, number> = {};
	if (typeof o.visaMaxReattempts30d === 'number') network.visaMaxReattempts30d = o.visaMaxReattempts30d;
	if (typeof o.maxAttemptsPerHour === 'number') network.maxAttemptsPerHour = o.maxAttemptsPerHour;
	const dunning: Record<string, number> = {};
	for (const k of ['firstNoticeDays', 'reminderDays', 'finalNoticeDays'] as const) if (typeof o[k] === 'number') dunning[k] = o[k] as number;
	if (typeof o.attemptBudget === 'number') dunning.maxAttempts = o.attemptBudget;
	return { policy: { timing, network, dunning } as PlanRetryInput['policy'], explore: o.explore !== false, seed: typeof o.seed === 'number' ? o.seed : 0 };
}

function isModel(value: unknown): value is RetryModel {
	return typeof value === 'object' && value !== null && (value as RetryModel).v === 1 && typeof (value as RetryModel).features === 'object';
}

async function modelFor(input: ItemInput<Shared>): Promise<RetryModel | undefined> {
	const { context, itemIndex, shared } = input;
	const source = context.getNodeParameter('modelSource', itemIndex, 'workflowStaticData') as string;
	if (source === 'priors') return undefined;
	if (source === 'binaryFile') {
		const field = context.getNodeParameter('binaryProperty', itemIndex, 'model') as string;
		const buffer = await context.helpers.getBinaryDataBuffer(itemIndex, field);
		let parsed: unknown;
		try {
			parsed = JSON.parse(buffer.toString('utf8'));
		} catch {
			parsed = undefined;
		}
		if (!isModel(parsed)) throw new NodeOperationError(context.getNode(), `The binary field "${field}" does not hold a retry model (JSON with "v": 1). Connect Train Model's output file.`, { itemIndex });
		return parsed;
	}
	const stored = shared.store[MODEL_KEY];
	return isModel(stored) ? (stored as RetryModel) : undefined;
}

function invoiceIdFor(input: ItemInput<Shared>): string {
	const { context, itemIndex, json } = input;
	const value = context.getNodeParameter('invoice', itemIndex, '', { extractValue: true }) as string;
	const id = (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined) ?? invoiceIdFromItem(json);
	if (!id) {
		throw new NodeOperationError(context.getNode(), 'No invoice: choose one in "Invoice", or connect an item that names one (an invoice.payment_failed trigger item, a Stripe event, or an item with "invoiceId").', {
			itemIndex,
		});
	}
	return id;
}

function planOptions(input: ItemInput<Shared>, model: RetryModel | undefined): PlanOptions {
	const { context, itemIndex } = input;
	const { policy, explore, seed } = policyFrom(context, itemIndex);
	let message: MessageOptions | undefined;
	if (context.getNodeParameter('composeMessage', itemIndex, true) as boolean) {
		const merchantName = (context.getNodeParameter('merchantName', itemIndex, '') as string).trim();
		if (!merchantName) throw new NodeOperationError(context.getNode(), 'Merchant Name is empty: the dunning message is signed with it. Set it, or turn off "Compose Dunning Message".', { itemIndex });
		const o = context.getNodeParameter('messageOptions', itemIndex, {}) as IDataObject;
		let overrides: unknown = o.overrides;
		if (typeof overrides === 'string') {
			try {
				overrides = overrides.trim() === '' ? undefined : JSON.parse(overrides);
			} catch {
				throw new NodeOperationError(context.getNode(), 'Text Overrides is not valid JSON. Example: {"en": {"signature": "The Acme team"}}.', { itemIndex });
			}
		}
		if (overrides && typeof overrides === 'object' && Object.keys(overrides).length === 0) overrides = undefined;
		message = {
			merchantName,
			locale: (o.locale as string) || undefined,
			link: (o.link as MessageOptions['link']) || 'hostedInvoicePage',
			returnUrl: (o.returnUrl as string) || undefined,
			overrides: overrides as MessageOptions['overrides'],
		};
	}
	return {
		realNow: nowSeconds(),
		policy,
		model,
		random: explore && model ? (seed ? mulberry32(seed + itemIndex) : Math.random) : undefined,
		message,
		takeOverCollection: context.getNodeParameter('takeOverCollection', itemIndex, true) as boolean,
		recordPlan: context.getNodeParameter('recordPlan', itemIndex, true) as boolean,
	};
}

export class StripeRevOpsSmartRetry implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Stripe RevOps Smart Retry',
		name: 'stripeRevOpsSmartRetry',
		icon: { light: 'file:stripeRevOpsSmartRetry.svg', dark: 'file:stripeRevOpsSmartRetry.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"]}}',
		description: 'Decline-aware, time-aware retries of failed Stripe payments, with localized dunning',
		defaults: { name: 'Stripe RevOps Smart Retry' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: CREDENTIAL_NAME, required: true }],
		properties,
	};

	methods = {
		listSearch: {
			async searchOpenInvoices(this: ILoadOptionsFunctions, filter?: string, paginationToken?: string): Promise<INodeListSearchResult> {
				const { client } = await stripeClient(this);
				return searchOpenInvoices(client, filter, paginationToken);
			},
		},
	};

	execute = route<Shared>({
		shared: async (context) => ({ ...(await executionStripe(context)), store: context.getWorkflowStaticData('global') }),
		operations: {
			planRetry: {
				item: async (input) => {
					const model = await modelFor(input);
					const plan = await planInvoice(input.shared.client, invoiceIdFor(input), planOptions(input, model));
					return plan as unknown as IDataObject;
				},
			},
			retryPayment: {
				item: async (input) => {
					const { context, itemIndex, json, shared } = input;
					const model = await modelFor(input);
					const given = Number(context.getNodeParameter('attempt', itemIndex, 0));
					const fromItem = typeof json.attempt === 'number' ? json.attempt : undefined;
					const plan = typeof json.action === 'string' ? { action: json.action, retryAt: json.retryAt as { unix?: number } | null, attempt: fromItem } : undefined;
					const source = context.getNodeParameter('modelSource', itemIndex, 'workflowStaticData') as string;
					const { item, model: learned } = await retryInvoice(shared.client, invoiceIdFor(input), {
						...planOptions(input, model),
						attempt: given > 0 ? given : fromItem,
						plan,
						respectSchedule: context.getNodeParameter('respectSchedule', itemIndex, true) as boolean,
					});
					// The outcome is learned into the stored model (a binary model is the caller's to keep).
					if (source === 'workflowStaticData' && learned && item.modelUpdated) shared.store[MODEL_KEY] = learned as unknown as IDataObject;
					return item as unknown as IDataObject;
				},
			},
			listDueRetries: {
				item: async ({ context, itemIndex, shared }) => {
					const returnAll = context.getNodeParameter('returnAll', itemIndex, true) as boolean;
					const limit = returnAll ? undefined : (context.getNodeParameter('limit', itemIndex, 50) as number);
					const due = await listDueRetries(shared.client, { realNow: nowSeconds(), limit });
					return due as unknown as IDataObject[];
				},
			},
			trainModel: {
				item: async ({ context, itemIndex, shared }) => {
					const now = nowSeconds();
					const from = dateParameter(context, 'from', itemIndex);
					const to = dateParameter(context, 'to', itemIndex, now);
					if (to <= from) throw new NodeOperationError(context.getNode(), `"To" (${new Date(to * 1000).toISOString()}) must be after "From" (${new Date(from * 1000).toISOString()}).`, { itemIndex });
					const history = await loadTrainingAttempts(shared.client, { from, to });
					const model = train(history.attempts, { now, crosses: true, payroll: true });
					const stored = context.getNodeParameter('storeModel', itemIndex, true) as boolean;
					if (stored) shared.store[MODEL_KEY] = model as unknown as IDataObject;
					const text = JSON.stringify(model);
					const binary = await context.helpers.prepareBinaryData(Buffer.from(text, 'utf8'), 'stripe-retry-model.json', 'application/json');
					return new OutputItems([
						{
							json: {
								stored,
							samples: model.samples,
							attempts: history.attempts.length,
							invoices: history.invoices,
							charges: history.charges,
							from: new Date(from * 1000).toISOString(),
							to: new Date(to * 1000).toISOString(),
							observedSuccessRate: model.samples ? model.global.a / model.samples : null,
							payrollCustomers: model.payroll?.customers ?? 0,
								model: model as unknown as IDataObject,
							},
							binary: { model: binary },
						},
					]);
				},
			},
			evaluatePolicy: {
				item: async ({ context, itemIndex, shared }) => {
					const now = nowSeconds();
					const from = dateParameter(context, 'from', itemIndex);
					const to = dateParameter(context, 'to', itemIndex, now);
					if (to <= from) throw new NodeOperationError(context.getNode(), `"To" must be after "From".`, { itemIndex });
					const splitAt = dateParameter(context, 'splitAt', itemIndex, Math.floor(from + ((to - from) * 2) / 3));
					if (splitAt <= from || splitAt >= to) throw new NodeOperationError(context.getNode(), '"Split At" must lie between "From" and "To": training uses the attempts before it, the estimate those after.', { itemIndex });
					const history = await loadTrainingAttempts(shared.client, { from, to });
					const { policy } = policyFrom(context, itemIndex);
					const evaluation = evaluatePolicy({ attempts: history.attempts, splitAt, now, timing: policy?.timing, train: { crosses: true, payroll: true } });
					return evaluation as unknown as IDataObject;
				},
			},
		},
	});
}

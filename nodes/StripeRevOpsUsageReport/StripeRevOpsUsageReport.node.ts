import {
	NodeConnectionTypes,
	NodeOperationError,
	sleep,
	type IDataObject,
	type IExecuteFunctions,
	type ILoadOptionsFunctions,
	type INodeListSearchResult,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { METER_EVENTS_HOST, cancelUsage, reportUsage, usageSummary, type CustomerRef, type ReportItem, type UsageSummary } from '../../lib/usage';
import { route, type ItemInput, type ItemOutcome } from '../shared/router';
import { searchCustomers, searchMeters } from '../shared/listSearch';
import { CREDENTIAL_NAME, executionStripe, stripeClient, type ExecutionStripe } from '../shared/stripeApi';
import { dateParameter, nowSeconds } from '../shared/params';
import { properties } from './description';

/** A field by name, `a.b.c` for nested ones. */
function field(json: IDataObject, path: string): unknown {
	if (!path) return undefined;
	if (path in json) return json[path];
	let value: unknown = json;
	for (const part of path.split('.')) {
		if (typeof value !== 'object' || value === null) return undefined;
		value = (value as Record<string, unknown>)[part];
	}
	return value;
}

/**
 * Reads a parameter for every item, evaluating it per item only when it is an expression (a
 * plain value is read once): 100,000 items would otherwise cost 100,000 evaluations each.
 */
function reader(context: IExecuteFunctions, name: string, fallback: unknown, extract = false): (itemIndex: number) => unknown {
	const raw = (context.getNode().parameters as IDataObject)[name];
	const isExpression = (v: unknown) => typeof v === 'string' && v.startsWith('=');
	const dynamic = isExpression(raw) || (typeof raw === 'object' && raw !== null && isExpression((raw as IDataObject).value));
	const read = (i: number) => context.getNodeParameter(name, i, fallback, extract ? { extractValue: true } : undefined);
	if (dynamic) return read;
	let cached: { v: unknown } | undefined;
	return (i) => (cached ??= { v: read(i) }).v;
}

function streamBase(credentials: IDataObject): string {
	const base = typeof credentials.baseUrl === 'string' ? credentials.baseUrl.trim() : '';
	// Stripe serves the v2 stream on its meter-events host; a sandbox or proxy serves everything itself.
	return !base || /^https:\/\/api\.stripe\.com\/?$/.test(base) ? METER_EVENTS_HOST : base.replace(/\/+$/, '');
}

async function reportBatch(inputs: Array<ItemInput<ExecutionStripe>>): Promise<ItemOutcome[]> {
	const { context, shared } = inputs[0];
	const first = inputs[0].itemIndex;
	const mode = context.getNodeParameter('inputMode', first, 'fieldNames') as string;
	const customerBy = context.getNodeParameter('customerBy', first, 'id') as CustomerRef['by'];
	const metadataKey = customerBy === 'metadata' ? (context.getNodeParameter('metadataKey', first, '') as string).trim() : '';
	if (customerBy === 'metadata' && !metadataKey) throw new NodeOperationError(context.getNode(), 'Metadata Key is empty: name the customers\' metadata key that holds the value in the customer field.', { itemIndex: first });
	const options = context.getNodeParameter('options', first, {}) as IDataObject;
	const eventName = reader(context, 'eventName', '', true);
	const customer = mode === 'mapped' ? reader(context, 'customerValue', '') : undefined;
	const value = mode === 'mapped' ? reader(context, 'value', '1') : undefined;
	const timestamp = mode === 'mapped' ? reader(context, 'timestamp', '') : undefined;
	const sourceId = mode === 'mapped' ? reader(context, 'sourceId', '') : undefined;
	const fields =
		mode === 'mapped'
			? undefined
			: {
					customer: context.getNodeParameter('customerField', first, 'customer') as string,
					value: context.getNodeParameter('valueField', first, 'value') as string,
					timestamp: context.getNodeParameter('timestampField', first, 'timestamp') as string,
					sourceId: context.getNodeParameter('sourceIdField', first, 'id') as string,
				};
	const items: ReportItem[] = inputs.map(({ itemIndex, json }) => {
		const who = fields ? field(json, fields.customer) : customer!(itemIndex);
		const ref: CustomerRef = customerBy === 'metadata' ? { by: 'metadata', key: metadataKey, value: who } : { by: customerBy, value: who };
		return {
			eventName: eventName(itemIndex),
			customer: ref,
			value: fields ? field(json, fields.value) : value!(itemIndex),
			timestamp: fields ? field(json, fields.timestamp) : timestamp!(itemIndex),
			sourceId: fields ? field(json, fields.sourceId) : sourceId!(itemIndex),
		};
	});
	const { results, summary } = await reportUsage(shared.client, items, {
		now: nowSeconds(),
		nowMs: () => Date.now(),
		sleep: async (ms) => await sleep(ms),
		transport: options.transport === 'v1' ? 'v1' : 'v2Stream',
		aggregation: (options.aggregation as 'none' | 'sum' | 'count' | 'last') ?? 'none',
		window: (options.window as 'minute' | 'hour' | 'day') ?? 'hour',
		allowNegative: options.allowNegative === true,
		concurrency: typeof options.concurrency === 'number' ? options.concurrency : undefined,
		streamBaseUrl: streamBase(shared.credentials as IDataObject),
	});
	const output = (options.output as string) || 'itemsAndSummary';
	const failOnRejected = options.rejected === 'error';
	const summaryJson = { summary: true, ...summary } as unknown as IDataObject & UsageSummary;
	return results.map((r, k): ItemOutcome => {
		const last = k === results.length - 1;
		if (output === 'summaryOnly') return { ok: true, json: last ? summaryJson : [] };
		if (r.status === 'failed') return { ok: false, error: new NodeOperationError(context.getNode(), `Not sent: ${r.reason ?? 'unknown'}. Running the workflow again is safe: identifiers are deterministic.`, { itemIndex: inputs[k].itemIndex }) };
		if (r.status === 'rejected' && failOnRejected) return { ok: false, error: new NodeOperationError(context.getNode(), `Rejected: ${r.reason}`, { itemIndex: inputs[k].itemIndex }) };
		const json = r as unknown as IDataObject;
		return { ok: true, json: output === 'itemsAndSummary' && last ? [json, summaryJson] : json };
	});
}

export class StripeRevOpsUsageReport implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Stripe RevOps Usage Report',
		name: 'stripeRevOpsUsageReport',
		icon: { light: 'file:stripeRevOpsUsageReport.svg', dark: 'file:stripeRevOpsUsageReport.dark.svg' },
		group: ['output'],
		version: 1,
		subtitle: '={{$parameter["operation"]}}',
		description: 'Report usage to Stripe Billing meters: batched, deduplicated, validated, at Stripe\'s ceiling',
		defaults: { name: 'Stripe RevOps Usage Report' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: CREDENTIAL_NAME, required: true }],
		properties,
	};

	methods = {
		listSearch: {
			async searchMeters(this: ILoadOptionsFunctions, filter?: string, paginationToken?: string): Promise<INodeListSearchResult> {
				const { client } = await stripeClient(this);
				return searchMeters(client, filter, paginationToken, 'id');
			},
			async searchMeterEventNames(this: ILoadOptionsFunctions, filter?: string, paginationToken?: string): Promise<INodeListSearchResult> {
				const { client } = await stripeClient(this);
				return searchMeters(client, filter, paginationToken, 'eventName');
			},
			async searchCustomers(this: ILoadOptionsFunctions, filter?: string, paginationToken?: string): Promise<INodeListSearchResult> {
				const { client } = await stripeClient(this);
				return searchCustomers(client, filter, paginationToken);
			},
		},
	};

	execute = route<ExecutionStripe>({
		shared: async (context) => executionStripe(context),
		operations: {
			reportUsage: { batch: reportBatch },
			cancelUsage: {
				item: async ({ context, itemIndex, shared }) => {
					const eventName = context.getNodeParameter('eventName', itemIndex, '', { extractValue: true }) as string;
					const identifier = (context.getNodeParameter('identifier', itemIndex, '') as string).trim();
					return (await cancelUsage(shared.client, { eventName, identifier })) as unknown as IDataObject;
				},
			},
			getUsageSummary: {
				item: async ({ context, itemIndex, shared }) => {
					const thresholds = String(context.getNodeParameter('thresholds', itemIndex, '80,100'))
						.split(',')
						.map((s) => s.trim())
						.filter(Boolean)
						.map(Number);
					if (thresholds.some((t) => !Number.isFinite(t) || t <= 0)) throw new NodeOperationError(context.getNode(), 'Thresholds must be positive percentages, comma-separated, e.g. 80,100.', { itemIndex });
					const result = await usageSummary(shared.client, {
						meterId: context.getNodeParameter('meter', itemIndex, '', { extractValue: true }) as string,
						customer: context.getNodeParameter('customer', itemIndex, '', { extractValue: true }) as string,
						start: dateParameter(context, 'start', itemIndex),
						end: dateParameter(context, 'end', itemIndex, nowSeconds()),
						grouping: context.getNodeParameter('grouping', itemIndex, 'day') as 'hour' | 'day',
						allowance: (context.getNodeParameter('allowance', itemIndex, 0) as number) || undefined,
						thresholds,
					});
					return result as unknown as IDataObject;
				},
			},
		},
	});
}

import { NodeConnectionTypes, NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeType, type INodeTypeDescription } from 'n8n-workflow';

import { computeAnalytics, loadAnalyticsData, type AnalyticsData, type AnalyticsResult } from '../../lib/analytics/compute';
import { renderReport } from '../../lib/analytics/report';
import { rowsToAnalyticsData } from '../../lib/warehouse/objects';
import { CHECKPOINT_TABLE, checkpointSql, syncTables } from '../../lib/warehouse/sync';
import { TABLE_NAMES } from '../../lib/warehouse/tables';
import { OutputItems, route, type ItemInput, type ItemOutcome, type ItemResult } from '../shared/router';
import { CREDENTIAL_NAME, executionStripe, type ExecutionStripe } from '../shared/stripeApi';
import { nowSeconds } from '../shared/params';
import { readReporting } from '../shared/rates';
import { properties } from './description';

const STATIC_KEY = 'stripeRevOpsSyncCheckpoint';

interface Shared extends ExecutionStripe {
	/** The data read once per execution for Metrics and Report (several items share it). */
	data?: Promise<AnalyticsData>;
}

function field(json: IDataObject, path: string): unknown {
	if (!path) return undefined;
	if (path in json) return json[path];
	let v: unknown = json;
	for (const part of path.split('.')) {
		if (typeof v !== 'object' || v === null) return undefined;
		v = (v as IDataObject)[part];
	}
	return v;
}

async function sync({ context, itemIndex, json, shared }: ItemInput<Shared>): Promise<OutputItems> {
	const mode = context.getNodeParameter('checkpoint', itemIndex, 'input') as string;
	const output = context.getNodeParameter('output', itemIndex, 'postgresStatements') as string;
	const options = context.getNodeParameter('syncOptions', itemIndex, {}) as IDataObject;
	const name = String(options.name || 'default');
	const schema = options.schema ? String(options.schema) : undefined;
	const staticData = context.getWorkflowStaticData('node');
	const stored = mode === 'input' ? field(json, String(context.getNodeParameter('checkpointField', itemIndex, 'state'))) : (staticData[STATIC_KEY] as IDataObject | undefined)?.[name];
	if (mode === 'input' && output !== 'postgresStatements') {
		throw new NodeOperationError(context.getNode(), 'A checkpoint from the input item is stored by the Postgres statements this node outputs: choose Output "Postgres Statements", or keep the checkpoint in the workflow.', { itemIndex });
	}
	const result = await syncTables(shared.client, stored, {
		now: nowSeconds(),
		maxPages: options.maxPages === undefined ? undefined : Number(options.maxPages),
		tables: Array.isArray(options.tables) ? (options.tables as string[]) : undefined,
		schema,
		name,
	});
	const summary = { phase: result.phase, caughtUp: result.caughtUp, pages: result.pages, counts: result.state.counts, ...(result.gap ? { gap: result.gap } : {}) };
	if (mode === 'workflowStaticData') staticData[STATIC_KEY] = { ...((staticData[STATIC_KEY] as IDataObject | undefined) ?? {}), [name]: result.state as unknown as IDataObject };
	if (output === 'rows') {
		const rows = result.batches.filter((b) => b.op === 'upsert').flatMap((b) => (b.data ?? []).map((row) => ({ json: { _table: b.table, ...row } as IDataObject })));
		return new OutputItems([...rows, { json: { _table: CHECKPOINT_TABLE, ...summary } as IDataObject }]);
	}
	const statements = result.batches.map((b) => ({ json: { table: b.table, op: b.op, rows: b.rows, sql: b.sql, params: b.params } as IDataObject }));
	const checkpoint = { json: { table: CHECKPOINT_TABLE, op: 'checkpoint', rows: 0, sql: checkpointSql(name, schema), params: [JSON.stringify(result.state)], ...summary } as IDataObject };
	return new OutputItems([...statements, checkpoint]);
}

function analyticsOptions(context: IExecuteFunctions, itemIndex: number) {
	const options = context.getNodeParameter('analyticsOptions', itemIndex, {}) as IDataObject;
	const { reportingCurrency, rates } = readReporting(context, options, itemIndex);
	return {
		now: nowSeconds(),
		months: Number(context.getNodeParameter('months', itemIndex, 12)),
		reportingCurrency,
		rates,
		retentionWindow: options.retentionWindow === undefined ? undefined : Number(options.retentionWindow),
		taxPeriod: (options.taxPeriod as 'month' | 'quarter' | 'year' | undefined) ?? 'month',
	};
}

/** Computes the metrics over data read once per execution; a currency without a rate is an error that names it. */
async function analytics(input: ItemInput<Shared>): Promise<AnalyticsResult> {
	const { context, itemIndex, shared } = input;
	const options = analyticsOptions(context, itemIndex);
	shared.data ??= loadAnalyticsData(shared.client);
	return computeAnalytics(await shared.data, options);
}

/**
 * The warehouse rows of the input items: an item per row with its table in `_table` (Sync Tables' Rows
 * output), or an item per table with `_table` and `rows` (one Postgres query with `json_agg`, see
 * workflows/sql/analytics-input.sql).
 */
function inputTables(context: IExecuteFunctions, inputs: Array<ItemInput<Shared>>): Record<string, Array<Record<string, unknown>>> {
	const tables: Record<string, Array<Record<string, unknown>>> = {};
	for (const { json, itemIndex } of inputs) {
		const name = json._table;
		if (typeof name !== 'string' || !TABLE_NAMES.includes(name)) {
			if (name === CHECKPOINT_TABLE) continue;
			throw new NodeOperationError(context.getNode(), `Input item ${itemIndex} is not a warehouse row: it needs _table (one of ${TABLE_NAMES.join(', ')}).`, { itemIndex, description: 'Feed Sync Tables\' Rows output, or a Postgres query that returns _table and rows per table (workflows/sql/analytics-input.sql).' });
		}
		const list = (tables[name] ??= []);
		if (Array.isArray(json.rows)) for (const row of json.rows) list.push(row as Record<string, unknown>);
		else {
			const { _table: _ignored, ...row } = json;
			void _ignored;
			list.push(row);
		}
	}
	return tables;
}

/**
 * Metrics and Report over all items: from Stripe, once per item; from the input rows, once for all
 * of them (the rows are one dataset), paired with every input item.
 */
function overInput(produce: (input: ItemInput<Shared>, result: AnalyticsResult) => Promise<ItemResult> | ItemResult) {
	return async (inputs: Array<ItemInput<Shared>>): Promise<ItemOutcome[]> => {
		const { context, itemIndex } = inputs[0];
		if (context.getNodeParameter('source', itemIndex, 'stripe') === 'inputRows') {
			const result = computeAnalytics(rowsToAnalyticsData(inputTables(context, inputs)), analyticsOptions(context, itemIndex));
			const out = await produce(inputs[0], result);
			const items = out instanceof OutputItems ? out.items : (Array.isArray(out) ? out : [out]).map((json) => ({ json }));
			const paired = inputs.map((i) => i.itemIndex);
			return inputs.map((_, k) => ({ ok: true, json: new OutputItems(k === 0 ? items.map((item) => ({ ...item, pairedItems: paired })) : []) }));
		}
		const outcomes: ItemOutcome[] = [];
		for (const input of inputs) {
			try {
				outcomes.push({ ok: true, json: await produce(input, await analytics(input)) });
			} catch (error) {
				outcomes.push({ ok: false, error });
				if (!input.context.continueOnFail()) break;
			}
		}
		while (outcomes.length < inputs.length) outcomes.push({ ok: false, error: new NodeOperationError(context.getNode(), 'Not run: an earlier item failed.') });
		return outcomes;
	};
}

/** The monthly figures as flat rows (one per month), for a digest, a sheet or a BI tool. */
function monthlyRows(result: AnalyticsResult): IDataObject[] {
	return result.monthly.map((m) => ({
		month: m.label,
		currency: result.reportingCurrency,
		mrrStart: m.mrr.start,
		mrrNew: m.mrr.new,
		mrrExpansion: m.mrr.expansion,
		mrrReactivation: m.mrr.reactivation,
		mrrContraction: m.mrr.contraction,
		mrrChurn: m.mrr.churn,
		mrrEnd: m.mrr.end,
		customersStart: m.customers.start,
		customersEnd: m.customers.end,
		newCustomers: m.customers.new,
		churnedCustomers: m.customers.churn,
		nrr: m.nrr,
		grr: m.grr,
		logoChurnRate: m.logoChurnRate,
		revenueChurnRate: m.revenueChurnRate,
		arpa: m.arpa,
		quickRatio: m.quickRatio,
	}));
}

export class StripeRevOpsRevenueAnalytics implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Stripe RevOps Revenue Analytics',
		name: 'stripeRevOpsRevenueAnalytics',
		icon: { light: 'file:stripeRevOpsRevenueAnalytics.svg', dark: 'file:stripeRevOpsRevenueAnalytics.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"]}}',
		description: 'Sigma-style warehouse tables, MRR movements, cohorts, funnels and tax from Stripe, and a dashboard page',
		defaults: { name: 'Stripe RevOps Revenue Analytics' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: CREDENTIAL_NAME, required: true }],
		properties,
	};

	execute = route<Shared>({
		shared: async (context) => executionStripe(context),
		operations: {
			syncTables: { item: sync },
			metrics: {
				batch: overInput((input, result) => {
					const output = input.context.getNodeParameter('metricsOutput', input.itemIndex, 'summary') as string;
					if (output === 'monthlyRows') return monthlyRows(result);
					// The current (partial) month and the last complete one, flat, for a digest.
					const rows = monthlyRows(result);
					return { ...result, current: rows[rows.length - 1] ?? null, previousMonth: rows[rows.length - 2] ?? null } as unknown as IDataObject;
				}),
			},
			report: {
				batch: overInput(async ({ context, itemIndex }, result) => {
					const title = String(context.getNodeParameter('title', itemIndex, 'Revenue dashboard'));
					const html = renderReport({ ...result, title, generatedAt: result.asOf });
					const binaryProperty = String(context.getNodeParameter('binaryProperty', itemIndex, 'data'));
					const binary = await context.helpers.prepareBinaryData(Buffer.from(html, 'utf8'), 'revenue-dashboard.html', 'text/html');
					const last = result.monthly[result.monthly.length - 1];
					return new OutputItems([{ json: { title, asOf: result.asOf, reportingCurrency: result.reportingCurrency, bytes: Buffer.byteLength(html), current: last ? (monthlyRows({ ...result, monthly: [last] })[0] as IDataObject) : null }, binary: { [binaryProperty]: binary } }]);
				}),
			},
		},
	});
}

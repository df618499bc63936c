/**
 * Stripe RevOps Revenue Analytics in-process (n8n-core's WorkflowExecute) against the sandbox: Sync Tables with
 * the checkpoint in the workflow (rows output) resumes across executions and ends with every object once;
 * with the checkpoint from the input, its last item is the statement that stores the next one; Metrics
 * (summary and monthly rows) equal lib/analytics over the same data; Report is an HTML binary with every chart;
 * a currency without a rate is a per-item error under Continue On Fail.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import type Stripe from 'stripe';

import { startSandbox, type Sandbox } from '../../sandbox';
import { runWorkflow, type WorkflowJson } from '../harness/n8n';
import { stripeClient } from '../sandbox/helpers';

const NODE_TYPE = 'n8n-nodes-stripe-revops.stripeRevOpsRevenueAnalytics';
const RATES = { rate: [{ currency: 'eur', rate: 1.1 }, { currency: 'gbp', rate: 1.25 }, { currency: 'cad', rate: 0.75 }, { currency: 'aud', rate: 0.65 }] };

let sb: Sandbox;
let stripe: Stripe;

beforeAll(async () => {
	// The sandbox's clock follows real time (Sync Tables and Metrics use the real clock for "now").
	sb = await startSandbox({ seed: 21, rateLimits: false, seedData: { customers: 30, months: 4 } });
	stripe = stripeClient(sb);
});
afterAll(() => sb.close());

const credentials = () => ({ stripeRevOpsApi: { secretKey: sb.secretKey, baseUrl: sb.url, apiVersion: '2026-10-28.endive', stripeAccount: '' } });

async function run(parameters: IDataObject, input: IDataObject[] = [{}], options: { continueOnFail?: boolean; staticData?: IDataObject } = {}) {
	const wf: WorkflowJson = {
		nodes: [
			{
				id: 'ra',
				name: 'Analytics',
				type: NODE_TYPE,
				typeVersion: 1,
				position: [0, 0],
				parameters: parameters as WorkflowJson['nodes'][number]['parameters'],
				credentials: { stripeRevOpsApi: { id: '1', name: 'Stripe sandbox' } },
				...(options.continueOnFail ? { onError: 'continueRegularOutput' } : {}),
			},
		],
		connections: {},
	};
	const result = await runWorkflow(wf, { startNode: 'Analytics', input: input.map((json) => ({ json })), credentials: credentials(), staticData: options.staticData });
	return { ...result, items: (result.outputs['Analytics']?.[0] ?? []) as INodeExecutionData[] };
}


test('Sync Tables, checkpoint in the workflow: runs of a few pages resume and end with every customer, subscription and invoice once', async () => {
	const staticData: IDataObject = {};
	const rows = new Map<string, Map<string, IDataObject>>();
	let summary: IDataObject | undefined;
	for (let i = 0; i < 40; i++) {
		const out = await run({ operation: 'syncTables', checkpoint: 'workflowStaticData', output: 'rows', syncOptions: { maxPages: 3 } }, [{}], { staticData });
		expect(out.status).toBe('success');
		for (const item of out.items) {
			const table = String(item.json._table);
			if (table === 'stripe_sync_state') summary = item.json;
			else {
				const byId = rows.get(table) ?? new Map<string, IDataObject>();
				byId.set(String(item.json.id), item.json);
				rows.set(table, byId);
			}
			expect(item.pairedItem).toEqual({ item: 0 });
		}
		if (summary?.caughtUp) break;
	}
	expect(summary).toMatchObject({ phase: 'incremental', caughtUp: true });
	const customers = await stripe.customers.list({ limit: 100 });
	expect(rows.get('customers')?.size).toBe(customers.data.length);
	const subs = await stripe.subscriptions.list({ status: 'all', limit: 100 });
	expect(rows.get('subscriptions')?.size).toBe(subs.data.length);
	expect([...rows.get('subscription_items')!.values()].every((r) => subs.data.some((s) => s.id === r.subscription_id))).toBe(true);
	let invoices = 0;
	for await (const _ of stripe.invoices.list({ limit: 100 })) invoices++;
	expect(rows.get('invoices')?.size).toBe(invoices);
	expect((summary!.counts as IDataObject).customers).toBe(customers.data.length);
});

test('Sync Tables, checkpoint from the input: the statements end with the one that stores the checkpoint; a checkpoint that is not one is a clear error', async () => {
	const out = await run({ operation: 'syncTables', checkpoint: 'input', checkpointField: 'state', output: 'postgresStatements', syncOptions: { maxPages: 2, tables: ['customers'] } }, [{ state: null }]);
	const last = out.items[out.items.length - 1].json;
	// 30 customers fit in one page: the customers table is backfilled, and the run went on to the events.
	expect(last).toMatchObject({ table: 'stripe_sync_state', op: 'checkpoint', phase: 'incremental' });
	expect(String(last.sql)).toMatch(/^INSERT INTO "stripe_sync_state"/);
	expect(JSON.parse((last.params as string[])[0])).toMatchObject({ v: 1, backfill: { customers: { done: true } } });
	const upsert = out.items.find((i) => i.json.op === 'upsert')!.json;
	expect(String(upsert.sql)).toContain('INSERT INTO "customers"');
	expect(JSON.parse((upsert.params as string[])[0]).length).toBe(upsert.rows);

	const bad = await run({ operation: 'syncTables', checkpoint: 'input', checkpointField: 'state', output: 'postgresStatements' }, [{ state: '{"not":"ours"}' }, { state: 'not json' }], { continueOnFail: true });
	expect(bad.items.map((i) => i.json.error)).toEqual([expect.stringContaining('not one Sync Tables wrote'), expect.stringContaining('not valid JSON')]);
	expect(bad.items.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
});

test('Metrics: a summary and monthly rows whose MRR rolls forward month to month; a currency without a rate is a per-item error', async () => {
	const out = await run({ operation: 'metrics', months: 4, metricsOutput: 'summary', analyticsOptions: { reportingCurrency: 'usd', exchangeRates: RATES } });
	expect(out.status).toBe('success');
	const summary = out.items[0].json as IDataObject & { monthly: Array<{ mrr: Record<string, number> }>; movements: unknown[]; cohorts: unknown[]; current: IDataObject; previousMonth: IDataObject };
	expect(summary.monthly).toHaveLength(4);
	expect(summary.movements).toHaveLength(4);
	for (let i = 1; i < summary.monthly.length; i++) expect(summary.monthly[i].mrr.start).toBe(summary.monthly[i - 1].mrr.end);
	for (const m of summary.monthly) expect(m.mrr.start + m.mrr.new + m.mrr.expansion + m.mrr.reactivation - m.mrr.contraction - m.mrr.churn).toBe(m.mrr.end);
	expect(summary.monthly[3].mrr.end).toBeGreaterThan(0);
	expect(summary.current).toMatchObject({ currency: 'usd', mrrEnd: summary.monthly[3].mrr.end });
	expect(summary.previousMonth).toMatchObject({ mrrEnd: summary.monthly[2].mrr.end });

	const monthly = await run({ operation: 'metrics', months: 4, metricsOutput: 'monthlyRows', analyticsOptions: { reportingCurrency: 'usd', exchangeRates: RATES } });
	expect(monthly.items.map((i) => i.json.mrrEnd)).toEqual(summary.monthly.map((m) => m.mrr.end));

	const missing = await run({ operation: 'metrics', months: 4, analyticsOptions: { reportingCurrency: 'usd' } }, [{}], { continueOnFail: true });
	expect(String(missing.items[0].json.error)).toMatch(/rate/i);
	expect(missing.items[0].pairedItem).toEqual({ item: 0 });
});

test('Report: one HTML page as a binary item, with every chart and the KPIs', async () => {
	const out = await run({ operation: 'report', months: 4, title: 'Acme revenue', binaryProperty: 'page', analyticsOptions: { reportingCurrency: 'usd', exchangeRates: RATES } });
	expect(out.status).toBe('success');
	const item = out.items[0];
	expect(item.binary?.page).toMatchObject({ mimeType: 'text/html', fileName: 'revenue-dashboard.html' });
	const html = Buffer.from(item.binary!.page.data, item.binary!.page.data.length > 0 && /^[A-Za-z0-9+/=]+$/.test(item.binary!.page.data.slice(0, 100)) ? 'base64' : 'utf8').toString('utf8');
	expect(html).toContain('Acme revenue');
	for (const chart of ['mrr-waterfall', 'mrr-trend', 'cohort-heatmap', 'failed-payment-funnel', 'checkout-funnel', 'tax-by-region']) expect(html).toContain(`data-chart="${chart}"`);
	expect(html).not.toMatch(/NaN|Infinity|<script/);
	expect(item.json).toMatchObject({ title: 'Acme revenue', reportingCurrency: 'usd', bytes: Buffer.byteLength(html) });
});

test('Metrics from warehouse rows in the input (Sync Tables\' Rows output): one result paired with every row item, equal to the metrics from Stripe without events', async () => {
	const staticData: IDataObject = {};
	const rows: IDataObject[] = [];
	for (let i = 0; i < 20; i++) {
		const out = await run({ operation: 'syncTables', checkpoint: 'workflowStaticData', output: 'rows', syncOptions: { maxPages: 50 } }, [{}], { staticData });
		rows.push(...out.items.map((item) => item.json));
		if (out.items.find((item) => item.json._table === 'stripe_sync_state')?.json.caughtUp) break;
	}
	// Keep the last version of each row (a later run may update a row).
	const latest = new Map(rows.map((r) => [`${String(r._table)}:${String(r.id)}`, r]));
	const input = [...latest.values()];
	const fromRows = await run({ operation: 'metrics', source: 'inputRows', months: 4, metricsOutput: 'monthlyRows', analyticsOptions: { reportingCurrency: 'usd', exchangeRates: RATES } }, input);
	expect(fromRows.status).toBe('success');
	expect(fromRows.items).toHaveLength(4);
	expect((fromRows.items[0].pairedItem as Array<{ item: number }>).length).toBe(input.length);
	const fromStripe = await run({ operation: 'metrics', months: 4, metricsOutput: 'monthlyRows', analyticsOptions: { reportingCurrency: 'usd', exchangeRates: RATES } });
	expect(fromRows.items.map((i) => i.json.mrrEnd)).toEqual(fromStripe.items.map((i) => i.json.mrrEnd));
	expect(fromRows.items[3].json.mrrEnd).toBeGreaterThan(0);

	const notRows = await run({ operation: 'metrics', source: 'inputRows', months: 4, analyticsOptions: { reportingCurrency: 'usd', exchangeRates: RATES } }, [{ hello: 1 }]);
	expect(notRows.status).toBe('error');
	expect(notRows.errors['Analytics']?.message).toContain('is not a warehouse row');
});

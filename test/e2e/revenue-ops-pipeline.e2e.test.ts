/**
 * The revenue-ops pipeline (workflows/revenue-ops-pipeline.json) in a real n8n 2.41.1 with the packed package,
 * against the Stripe sandbox (frozen clock), the HubSpot sandbox, an SMTP server and a recording HTTP server
 * standing in for the product's access API, the ERP and Slack. The CRM setup template runs first, as the
 * pipeline's sticky note says. Then, published, each part runs from its real trigger:
 *
 * 1. invoice.payment_failed → Plan Retry → the access level (and, for a lost card, the localized email with the
 *    hosted invoice link); the plan is recorded in the invoice; the contact in HubSpot shows the failing payment.
 * 2. The sandbox's clock passes retryAt; the schedule's run retries the due invoice once (a second run charges
 *    nothing), the product gets access back, HubSpot shows the recovery.
 * 3. The product posts usage to the webhook: Stripe's meter gets it once (the same batch again: duplicates, not
 *    billed twice), and the customer over the included units gets the usage signal on its HubSpot contact.
 * 4. A payout is paid: it reconciles and its journal goes to the ERP.
 * 5. The daily digest goes to Slack.
 * Every execution n8n recorded for the pipeline ends in success.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

import Stripe from 'stripe';

import { startSandbox, type Sandbox } from '../../sandbox';
import { startHubSpotSandbox, type HubSpotSandbox } from '../../sandbox/hubspot';
import { startSmtp, type SmtpServer } from '../../sandbox/outbox';
import { failedInvoice as createFailedInvoice, RETRY_CLEARS_INSUFFICIENT_FUNDS } from './helpers/failedPayments';
import { startRecordingServer, type RecordingServer } from '../helpers/recordingServer';
import { ROOT, startN8n, type N8nInstance } from './helpers/n8n';
import { loadFixture } from './helpers/package';
import { executionsReader, listExecutions, nodeItems, runFromTrigger, settled, waitFor, type ExecutionsReader, type PublicExecution } from './triggerHelpers';

interface WorkflowJson {
	id: string;
	name: string;
	nodes: Array<{ id?: string; name: string; type: string; webhookId?: string; parameters: Record<string, unknown>; credentials?: Record<string, { id: string | null; name: string }> }>;
	connections: Record<string, { main: Array<Array<{ node: string }>> }>;
}

const DAY = 86400;
const HUBSPOT = 'https://api.hubapi.com';
const PRODUCT = 'https://your-product.example.com';
const ERP = 'https://your-erp.example.com';
const SLACK = 'https://hooks.slack.com/services/YOUR/SLACK/WEBHOOK';
const METER = 'mtr_your_api_requests_meter';
// Every first attempt on a plain card declines with insufficient funds; a retry clears it (a lost card stays lost).
const SCENARIO = RETRY_CLEARS_INSUFFICIENT_FUNDS;

let stripeSandbox: Sandbox;
let stripe: Stripe;
let hubspot: HubSpotSandbox;
let smtp: SmtpServer;
let outside: RecordingServer;
let n8n: N8nInstance;
let executions: ExecutionsReader;
let setup: WorkflowJson;
let pipeline: WorkflowJson;
let meter: Stripe.Billing.Meter;
let endpointId: string;
/** Set by the failed-payment test. */
const customers: Record<'funds' | 'lost', { customer: Stripe.Customer; invoice: Stripe.Invoice }> = {} as never;

const raw = (): WorkflowJson => JSON.parse(readFileSync(path.join(ROOT, 'workflows', 'revenue-ops-pipeline.json'), 'utf8')) as WorkflowJson;

function template(file: string, replace: Array<[string, string]>): WorkflowJson {
	let text = readFileSync(path.join(ROOT, 'workflows', file), 'utf8');
	for (const [from, to] of replace) {
		expect(text).toContain(from);
		text = text.split(from).join(to);
	}
	return JSON.parse(text) as WorkflowJson;
}

const items = (execution: PublicExecution, node: string, output = 0) => nodeItems(execution, node, output);

function contact(email: string): Record<string, string | null> {
	const found = hubspot.findBy('contacts', 'email', email);
	if (!found) throw new Error(`HubSpot has no contact ${email}`);
	return found.properties;
}

const requestsTo = (prefix: string) => outside.requests.filter((r) => r.url.startsWith(prefix));

/** Delivers the queued events, resends what n8n did not take, and waits until every execution has ended. */
async function deliverAndSettle(): Promise<void> {
	const log = () => stripeSandbox.webhookLog().filter((d) => d.endpoint === endpointId);
	const unacknowledged = () => log().filter((d) => d.status !== 200 && !log().some((ok) => ok.event === d.event && ok.status === 200));
	await stripeSandbox.deliverWebhooks();
	for (let round = 0; round < 5 && unacknowledged().length > 0; round++) {
		await new Promise((resolve) => setTimeout(resolve, 1000));
		await stripeSandbox.deliverWebhooks();
	}
	expect(unacknowledged()).toEqual([]);
	await settled(n8n, executions, pipeline.id, log().filter((d) => d.status === 200).length + webhookRuns);
}
/** Executions started by the usage webhook (not by a Stripe delivery). */
let webhookRuns = 0;

const failedInvoice = (label: string, card: { token?: string } = {}) => createFailedInvoice(stripe, label, { ...card, place: 'de' });

beforeAll(async () => {
	stripeSandbox = await startSandbox({ seed: 1313, clock: 'frozen', scenario: SCENARIO, webhooks: { autoDeliver: false } });
	stripe = new Stripe(stripeSandbox.secretKey, { host: '127.0.0.1', port: stripeSandbox.port, protocol: 'http', maxNetworkRetries: 2 });
	hubspot = await startHubSpotSandbox({ seed: 13 });
	smtp = await startSmtp();
	outside = await startRecordingServer(() => ({ status: 200, body: { ok: true } }));
	meter = await stripe.billing.meters.create({ display_name: 'API requests', event_name: 'api_requests', default_aggregation: { formula: 'sum' } });
	setup = template('stripe-crm-setup.json', [[HUBSPOT, hubspot.url]]);
	pipeline = template('revenue-ops-pipeline.json', [
		[HUBSPOT, hubspot.url],
		[PRODUCT, `${outside.url}/product`],
		[ERP, `${outside.url}/erp`],
		[SLACK, `${outside.url}/slack`],
		[METER, meter.id],
	]);
	n8n = await startN8n({
		env: { N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: 'true' },
		imports: {
			credentials: [loadFixture('pipeline.credentials.json', { SECRET_KEY: stripeSandbox.secretKey, STRIPE_BASE_URL: stripeSandbox.url, HUBSPOT_TOKEN: hubspot.token, SMTP_PORT: String(smtp.port) })],
			workflows: [setup, pipeline],
		},
	});
	executions = await executionsReader(n8n);
}, 300_000);

afterAll(async () => {
	await n8n?.stop();
	await stripeSandbox?.close();
	await hubspot?.close();
	await smtp?.close();
	await outside?.close();
});

describe('the revenue-ops pipeline in a real n8n, against the Stripe and HubSpot sandboxes', () => {
	it('is n8n\'s nodes and this package\'s only, credentials by name, a sticky note per part; it publishes and registers its Stripe endpoint', async () => {
		const file = raw();
		expect(file.nodes.filter((node) => !/^(n8n-nodes-base|n8n-nodes-stripe-revops)\./.test(node.type))).toEqual([]);
		expect(new Set(file.nodes.map((node) => node.id)).size).toBe(file.nodes.length);
		expect(file.nodes.flatMap((node) => Object.values(node.credentials ?? {})).filter((credential) => credential.id !== null)).toEqual([]);
		expect(JSON.stringify(file)).not.toMatch(/sk_(test|live)_|rk_(test|live)_|whsec_|pat-/);
		const ours = new Set(file.nodes.filter((node) => node.type.startsWith('n8n-nodes-stripe-revops.')).map((node) => node.type.split('.')[1]));
		expect([...ours].sort()).toEqual(['stripeRevOpsBalanceExport', 'stripeRevOpsCrmSync', 'stripeRevOpsRevenueAnalytics', 'stripeRevOpsSmartRetry', 'stripeRevOpsTrigger', 'stripeRevOpsUsageReport']);
		const notes = file.nodes.filter((node) => node.type === 'n8n-nodes-base.stickyNote').map((node) => String(node.parameters.content));
		for (const part of ['Failed payment', 'Scheduled retries', 'CRM', 'Usage', 'Payout', 'Daily digest', 'Set up']) expect(notes.some((note) => note.includes(part))).toBe(true);
		// Every node but the sticky notes and the triggers is reached from a trigger.
		const reached = new Set<string>();
		const visit = (name: string) => {
			if (reached.has(name)) return;
			reached.add(name);
			for (const out of file.connections[name]?.main ?? []) for (const to of out) visit(to.node);
		};
		for (const trigger of ['Stripe Events', 'Every 5 Minutes', 'Usage From Your Product', 'Every Morning']) visit(trigger);
		expect(file.nodes.filter((node) => node.type !== 'n8n-nodes-base.stickyNote' && !reached.has(node.name)).map((node) => node.name)).toEqual([]);

		// The CRM setup first: the usage-signal properties are among those it creates.
		const run = await n8n.executeWorkflow(setup.id, { timeoutMs: 120_000 });
		expect(run.status ?? 'success').not.toBe('error');
		expect(hubspot.propertyDefinitions('contacts').map((p) => p.name)).toEqual(expect.arrayContaining(['stripe_payment_health', 'stripe_usage_status', 'stripe_usage_percent_of_included', 'stripe_usage_period_start']));

		await n8n.activateWorkflow(pipeline.id);
		const webhookId = pipeline.nodes.find((node) => node.name === 'Stripe Events')!.webhookId!;
		const url = n8n.webhookUrl(`${webhookId}/webhook`);
		const endpoint = await waitFor('the pipeline endpoint in the Stripe sandbox', async () => (await stripe.webhookEndpoints.list({ limit: 100 })).data.find((e) => e.url === url));
		expect(endpoint.enabled_events).toEqual(expect.arrayContaining(['invoice.payment_failed', 'invoice.paid', 'payout.paid']));
		endpointId = endpoint.id;
		await n8n.waitForWebhook(`${webhookId}/webhook`);
		await n8n.waitForWebhook('revops-usage', { method: 'POST' });
	});

	it('failed payment → plan recorded in Stripe → access level and the localized email; HubSpot shows the failing payment', async () => {
		customers.funds = await failedInvoice('pipeline-funds');
		customers.lost = await failedInvoice('pipeline-lost', { token: 'tok_chargeDeclinedLostCard' });
		await deliverAndSettle();

		const runs = await executions.all(pipeline.id);
		const plans = runs.flatMap((e) => items(e, 'Plan Retry'));
		const planOf = (label: 'funds' | 'lost') => plans.find((p) => p.invoiceId === customers[label].invoice.id)!;
		expect(planOf('funds')).toMatchObject({ action: 'retry', customerId: customers.funds.customer.id });
		expect(planOf('lost')).toMatchObject({ action: 'requestPaymentMethod', customerId: customers.lost.customer.id });
		// The plan is durable in the invoice, and Stripe's own retries are off.
		const funds = await stripe.invoices.retrieve(customers.funds.invoice.id as string);
		expect(funds.auto_advance).toBe(false);
		expect(Number(funds.metadata?.revops_retry_at)).toBe((planOf('funds').retryAt as { unix: number }).unix);

		const access = requestsTo('/product').map((r) => JSON.parse(r.body) as Record<string, string>);
		expect(access).toEqual(
			expect.arrayContaining([
				expect.objectContaining({ customerId: customers.funds.customer.id, action: 'retry', accessLevel: String(planOf('funds').accessLevel) }),
				expect.objectContaining({ customerId: customers.lost.customer.id, action: 'requestPaymentMethod', accessLevel: String(planOf('lost').accessLevel) }),
			]),
		);
		expect(smtp.mails.map((m) => m.to).flat()).toEqual(['pipeline-lost@example.com']);
		const mail = smtp.mails[0];
		expect(mail.decoded).toContain(customers.lost.invoice.hosted_invoice_url as string);
		expect(mail.subject).toBe((planOf('lost').message as { subject: string }).subject);
		expect((planOf('lost').message as { locale: string }).locale).toBe('de');

		for (const label of ['funds', 'lost'] as const) {
			expect(contact(`pipeline-${label}@example.com`)).toMatchObject({ stripe_customer_id: customers[label].customer.id, stripe_payment_health: 'failing' });
		}
	});

	it('the schedule retries the due invoice once when the clock passes retryAt; access comes back and HubSpot shows the recovery', async () => {
		const retryAt = Number((await stripe.invoices.retrieve(customers.funds.invoice.id as string)).metadata?.revops_retry_at);
		// Before the plan is due: nothing is listed, nothing is charged.
		const early = await runFromTrigger(n8n, executions, pipeline.id, 'Every 5 Minutes');
		expect(early.status).toBe('success');
		expect(items(early, 'List Due Retries')).toEqual([]);

		await stripeSandbox.clock.advance(Math.max(0, retryAt - stripeSandbox.clock.now()) + 60);
		await deliverAndSettle();
		const run = await runFromTrigger(n8n, executions, pipeline.id, 'Every 5 Minutes');
		expect(run.status).toBe('success');
		expect(items(run, 'Retry Payment')).toEqual([expect.objectContaining({ invoiceId: customers.funds.invoice.id, outcome: 'paid' })]);
		expect((await stripe.invoices.retrieve(customers.funds.invoice.id as string)).status).toBe('paid');
		expect(JSON.parse(requestsTo('/product').at(-1)!.body)).toMatchObject({ customerId: customers.funds.customer.id, accessLevel: 'full', outcome: 'paid' });

		// Again: nothing is due, nothing is charged twice.
		const charges = async () => (await stripe.charges.list({ customer: customers.funds.customer.id, limit: 100 })).data.length;
		const before = await charges();
		const again = await runFromTrigger(n8n, executions, pipeline.id, 'Every 5 Minutes');
		expect(items(again, 'Retry Payment')).toEqual([]);
		expect(await charges()).toBe(before);

		await deliverAndSettle();
		expect(contact('pipeline-funds@example.com')).toMatchObject({ stripe_payment_health: 'recovered' });
	});

	it('usage → Stripe\'s meter exactly once → the usage signal on the HubSpot contact of a customer over the included units', async () => {
		// The product stamps usage with its own (wall) clock; the sandbox's test clock is ahead by the retry's wait,
		// well within the 35 days Stripe accepts.
		const now = Math.floor(Date.now() / 1000);
		const customer = customers.funds.customer.id;
		const records = [
			{ id: 'u-1', customer, value: 700, timestamp: now - 600 },
			{ id: 'u-2', customer, value: 500, timestamp: now - 300 },
			{ id: 'u-3', customer: customers.lost.customer.id, value: 100, timestamp: now - 300 },
		];
		const post = async () => {
			webhookRuns++;
			const response = await fetch(n8n.webhookUrl('revops-usage'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records }) });
			return { status: response.status, body: (await response.json()) as Record<string, number> };
		};
		const first = await post();
		expect(first).toEqual({ status: 200, body: expect.objectContaining({ accepted: 3, duplicate: 0, rejected: 0 }) });
		// The same batch again (the product did not get the answer): the v2 stream takes it, as Stripe's does, and
		// Stripe drops the events whose identifiers it has; the meter's total below counts each record once.
		const second = await post();
		expect(second).toEqual({ status: 200, body: expect.objectContaining({ rejected: 0 }) });
		expect(second.body.accepted + second.body.duplicate).toBe(3);
		await settled(n8n, executions, pipeline.id, (await listExecutions(n8n, pipeline.id)).length);

		await stripeSandbox.clock.advance(120);
		const summaries = await stripe.billing.meters.listEventSummaries(meter.id, { customer, start_time: now - 2 * DAY, end_time: stripeSandbox.clock.now() });
		expect(summaries.data.reduce((sum, s) => sum + s.aggregated_value, 0)).toBe(1200);
		// 1,200 of 1,000 included units: over; the other customer's 100 are within and get nothing.
		expect(contact('pipeline-funds@example.com')).toMatchObject({ stripe_usage_status: 'overAllowance', stripe_usage_percent_of_included: '120' });
		expect(contact('pipeline-lost@example.com').stripe_usage_status ?? null).toBeNull();
	});

	it('a paid payout reconciles and its journal goes to the ERP; the daily digest goes to Slack; every execution succeeded', async () => {
		const erpBefore = requestsTo('/erp').length;
		// Automatic payouts are daily: a week on, the balance from the paid invoice is paid out (and has arrived, weekends included).
		await stripeSandbox.clock.advance(7 * DAY);
		await deliverAndSettle();
		const payouts = (await stripe.payouts.list({ limit: 100 })).data.filter((p) => p.status === 'paid');
		expect(payouts.length).toBeGreaterThan(0);
		const runs = await executions.all(pipeline.id);
		const reconciled = runs.flatMap((e) => items(e, 'Reconcile Payout'));
		expect(reconciled.map((r) => r.payoutId).sort()).toEqual(payouts.map((p) => p.id).sort());
		expect(reconciled.every((r) => r.result === 'reconciled')).toBe(true);
		const journals = requestsTo('/erp').slice(erpBefore);
		expect(journals).toHaveLength(payouts.length);
		expect(journals[0].headers['content-type']).toContain('text/csv');
		expect(journals[0].body).toContain('Assets:Stripe Clearing');

		const digest = await runFromTrigger(n8n, executions, pipeline.id, 'Every Morning');
		expect(digest.status).toBe('success');
		const slack = requestsTo('/slack').map((r) => JSON.parse(r.body) as { text: string });
		expect(slack.at(-1)!.text).toMatch(/^\*Revenue today \(\d{4}-\d{2} so far\)\*\nMRR /);
		expect(slack.at(-1)!.text).toContain('Failed payments since');

		const all = await executions.all(pipeline.id);
		expect(all.length).toBeGreaterThanOrEqual(10);
		expect(all.filter((e) => e.status !== 'success').map((e) => ({ id: e.id, mode: e.mode, error: e.data.resultData.error?.message }))).toEqual([]);
	});
});

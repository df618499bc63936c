/**
 * The CRM Sync templates (workflows/stripe-crm-*.json) in a real n8n 2.41.1 with the packed package, against
 * the Stripe sandbox and the HubSpot sandbox running in this Jest process. HubSpot is written by n8n's own HTTP
 * Request node with n8n's own HubSpot Service Key credential (the templates' https://api.hubapi.com replaced by
 * the HubSpot sandbox's URL, as the only user edit).
 *
 * - CRM setup (Manual Trigger, run with `n8n execute`) creates the property group and properties; a second run
 *   changes nothing.
 * - Nightly full sync: 1,000 Stripe customers (996 seeded, and four that HubSpot cannot take: three emails Stripe
 *   accepts and HubSpot does not, one without email or domain) reach HubSpot in at most 10 batch-upsert calls per
 *   object type. The four come out of Build Profiles or Shape for CRM as error items with the reason while the
 *   rest sync. With HubSpot's limit lowered so the run hits 429s, every 429 is waited out for the interval HubSpot
 *   names, and the same request is sent again.
 * - Lifecycle sync (published, Stripe webhooks): a subscription's life (trial → active → payment failed →
 *   recovered → canceled) for customer A, events delivered step by step (shuffled within a step), and for
 *   customer B with two steps' events delivered together in random order. After each delivery HubSpot holds
 *   Stripe's latest state. Failing (MRR above the threshold) and churn each give the contact's owner one task.
 * - An event naming a customer this Stripe account does not have: a per-item error with the reason.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

import Stripe from 'stripe';

import { GLOBAL_TEST_CLOCK_ID, signWebhookPayload, startSandbox, type Sandbox } from '../../sandbox';
import { startHubSpotSandbox, type HubSpotSandbox } from '../../sandbox/hubspot';
import { ROOT, startN8n, type N8nInstance } from './helpers/n8n';
import { loadFixture } from './helpers/package';
import { executionsReader, listExecutions as listExecutionsOf, nodeItems, postRaw, runFromTrigger, waitFor, type ExecutionsReader, type PublicExecution } from './triggerHelpers';

interface WorkflowJson {
	id: string;
	name: string;
	nodes: Array<{ id?: string; name: string; type: string; webhookId?: string; parameters: Record<string, unknown>; credentials?: Record<string, { id: string | null; name: string }> }>;
	connections: Record<string, unknown>;
}

const HUBSPOT = 'https://api.hubapi.com';
const DAY = 86400;
const FILES = ['stripe-crm-setup.json', 'stripe-crm-nightly-sync.json', 'stripe-crm-lifecycle-sync.json'];

/** The lifecycle's Stripe account (empty at the start: its clock moves, and only the test's customers live on it). */
let stripeSandbox: Sandbox;
let stripe: Stripe;
/** The nightly sync's Stripe account: 996 seeded customers. */
let seeded: Sandbox;
let seededStripe: Stripe;
let hubspot: HubSpotSandbox;
let n8n: N8nInstance;
let executions: ExecutionsReader;
let setup: WorkflowJson;
let nightly: WorkflowJson;
let lifecycle: WorkflowJson;

function template(file: string, replace: Array<[string, string]> = []): WorkflowJson {
	let text = readFileSync(path.join(ROOT, 'workflows', file), 'utf8');
	expect(text).toContain(HUBSPOT);
	for (const [from, to] of [[HUBSPOT, hubspot.url], ...replace]) {
		expect(text).toContain(from);
		text = text.split(from).join(to);
	}
	return JSON.parse(text) as WorkflowJson;
}

const items = (execution: PublicExecution, node: string, output = 0) => nodeItems(execution, node, output);


const listExecutions = (workflowId: string) => listExecutionsOf(n8n, workflowId);

const runFrom = (workflow: WorkflowJson, trigger: string) => runFromTrigger(n8n, executions, workflow.id, trigger);

function contact(email: string): Record<string, string | null> {
	const found = hubspot.findBy('contacts', 'email', email);
	if (!found) throw new Error(`HubSpot has no contact ${email}`);
	return found.properties;
}

/**
 * Delivers the queued Stripe events to n8n (the sandbox's clock.advance delivers what it queued, too), sends again
 * what n8n did not acknowledge, and waits until every acknowledged delivery's execution has ended.
 */
async function deliverAndSettle(endpointId: string): Promise<void> {
	const log = () => stripeSandbox.webhookLog().filter((d) => d.endpoint === endpointId);
	const unacknowledged = () => log().filter((d) => d.status !== 200 && !log().some((ok) => ok.event === d.event && ok.status === 200));
	await stripeSandbox.deliverWebhooks();
	for (let round = 0; round < 5 && unacknowledged().length > 0; round++) {
		await new Promise((resolve) => setTimeout(resolve, 1000));
		await stripeSandbox.clock.advance(60);
		await stripeSandbox.deliverWebhooks();
	}
	expect(unacknowledged()).toEqual([]);
	const acknowledged = log().filter((d) => d.status === 200).length;
	await waitFor(
		`${acknowledged} lifecycle executions to end`,
		async () => {
			if ((await executions.count(lifecycle.id)) < acknowledged) return undefined;
			const list = await listExecutions(lifecycle.id);
			return list.every((e) => !['new', 'running', 'waiting'].includes(e.status)) ? list : undefined;
		},
		{ timeoutMs: 120_000, intervalMs: 300 },
	);
}

beforeAll(async () => {
	stripeSandbox = await startSandbox({ seed: 1111, clock: 'frozen', rateLimits: false, webhooks: { autoDeliver: false, shuffle: true } });
	stripe = new Stripe(stripeSandbox.secretKey, { host: '127.0.0.1', port: stripeSandbox.port, protocol: 'http', maxNetworkRetries: 0 });
	seeded = await startSandbox({ seed: 2222, clock: 'frozen', seedData: { customers: 996, months: 2 }, webhooks: { autoDeliver: false } });
	seededStripe = new Stripe(seeded.secretKey, { host: '127.0.0.1', port: seeded.port, protocol: 'http', maxNetworkRetries: 0 });
	hubspot = await startHubSpotSandbox({ seed: 11 });
	setup = template('stripe-crm-setup.json');
	// The nightly template uses the second account's credential (what a user picks in the node).
	nightly = template('stripe-crm-nightly-sync.json', [['"name": "Stripe RevOps account"', '"name": "Stripe RevOps nightly account"']]);
	lifecycle = template('stripe-crm-lifecycle-sync.json');
	n8n = await startN8n({
		env: { N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: 'true' },
		imports: {
			credentials: [loadFixture('crm-sync.credentials.json', { SECRET_KEY: stripeSandbox.secretKey, STRIPE_BASE_URL: stripeSandbox.url, NIGHTLY_BASE_URL: seeded.url, HUBSPOT_TOKEN: hubspot.token })],
			workflows: [setup, nightly, lifecycle],
		},
	});
	executions = await executionsReader(n8n);
}, 300_000);

afterAll(async () => {
	await n8n?.stop();
	await stripeSandbox?.close();
	await seeded?.close();
	await hubspot?.close();
});

describe('CRM Sync templates in a real n8n, against the Stripe and HubSpot sandboxes', () => {
	it('are built-in nodes and this package\'s only, credentials by name, and the setup run creates the properties once', async () => {
		for (const file of FILES) {
			const raw = JSON.parse(readFileSync(path.join(ROOT, 'workflows', file), 'utf8')) as WorkflowJson;
			expect(raw.nodes.filter((node) => !/^(n8n-nodes-base|n8n-nodes-stripe-revops)\./.test(node.type))).toEqual([]);
			expect(new Set(raw.nodes.map((node) => node.id)).size).toBe(raw.nodes.length);
			expect(raw.nodes.flatMap((node) => Object.values(node.credentials ?? {})).filter((credential) => credential.id !== null)).toEqual([]);
			// HubSpot only through n8n's own credential.
			for (const node of raw.nodes.filter((n) => n.type === 'n8n-nodes-base.httpRequest')) {
				expect({ node: node.name, auth: node.parameters.nodeCredentialType, cred: Object.keys(node.credentials ?? {}) }).toEqual({ node: node.name, auth: 'hubspotAppToken', cred: ['hubspotAppToken'] });
			}
		}
		const first = await n8n.executeWorkflow(setup.id, { timeoutMs: 120_000 });
		expect(first.status ?? 'success').not.toBe('error');
		for (const type of ['contacts', 'companies'] as const) {
			const names = hubspot.propertyDefinitions(type).map((p) => p.name);
			expect(names).toEqual(expect.arrayContaining(['stripe_mrr', 'stripe_payment_health', 'stripe_churn_risk_score', 'stripe_as_of', 'stripe_customer_id']));
		}
		expect(hubspot.propertyDefinitions('companies').find((p) => p.name === 'stripe_domain')).toMatchObject({ hasUniqueValue: true });
		const creates = () => hubspot.requests().filter((r) => r.method === 'POST' && /\/properties\/[a-z]+\/batch\/create$/.test(r.path)).length;
		expect(creates()).toBe(2);
		// Again: the group exists (409, fine), no property is missing, nothing is created.
		await n8n.executeWorkflow(setup.id, { timeoutMs: 120_000 });
		expect(creates()).toBe(2);
	});

	it('nightly full sync: 1,000 customers in at most 10 batch calls per object type; HubSpot\'s 429s waited out; bad emails and a customer without one are per-item errors', async () => {
		// Four customers HubSpot cannot take: Stripe accepts these emails, HubSpot (and Shape for CRM) do not; one has none.
		const bad: Stripe.Customer[] = [];
		for (const email of ['jane@company', 'ops@localhost', 'bob@acme..example']) bad.push(await seededStripe.customers.create({ email, name: `Bad ${email}` }));
		bad.push(await seededStripe.customers.create({ name: 'No Email Ltd' }));
		const all: Stripe.Customer[] = [];
		for await (const c of seededStripe.customers.list({ limit: 100 })) all.push(c);
		expect(all).toHaveLength(1000);

		// A lower limit than HubSpot's (4 per 2 s), so the run meets 429s.
		hubspot.setRateLimit({ max: 4, intervalMs: 2000 });
		const before = hubspot.requests().length;
		const run = await runFrom(nightly, 'Every Night');
		hubspot.setRateLimit({ max: 100, intervalMs: 10_000 });
		if (run.status !== 'success') require('node:fs').writeFileSync('/tmp/nightly-run.json', JSON.stringify(run, null, 1));
		expect(run.status).toBe('success');
		const requests = hubspot.requests().slice(before);

		const upserts = (type: string, ok: boolean) => requests.filter((r) => r.path === `/crm/v3/objects/${type}/batch/upsert` && (ok ? r.status < 300 : r.status === 429));
		expect(upserts('contacts', true).length).toBeLessThanOrEqual(10);
		expect(upserts('companies', true).length).toBeLessThanOrEqual(10);
		expect(upserts('contacts', true).length).toBe(10);
		// Waited out: each 429 was followed, at least HubSpot's interval later, by the same call succeeding.
		const limited = requests.filter((r) => r.status === 429);
		expect(limited.length).toBeGreaterThan(0);
		expect(items(run, 'Wait Out Upsert Rate Limit').length + items(run, 'Wait Out Lookup Rate Limit').length + items(run, 'Wait Out Task Rate Limit').length).toBe(limited.length);
		for (const r of limited) {
			const next = requests.find((later) => later.at >= r.at + 2000 && later.path === r.path && later.method === r.method && later.status < 300);
			expect(next).toBeDefined();
		}
		expect(items(run, 'HubSpot Rejected the Batch')).toEqual([]);

		// Every customer with a valid email is a contact carrying its profile; the four are error items with the reason.
		const good = all.filter((c) => !bad.some((b) => b.id === c.id));
		expect(hubspot.objects('contacts').filter((c) => c.properties.stripe_customer_id)).toHaveLength(996);
		const profiles = items(run, 'Build Profiles');
		const sample = profiles.find((p) => p.customerId === good[0].id)!;
		const record = contact(String(good[0].email).toLowerCase());
		expect(record).toMatchObject({ stripe_customer_id: good[0].id, stripe_payment_health: sample.paymentHealth, stripe_mrr: String(sample.mrr) });
		expect(Date.parse(String(record.stripe_as_of))).toBe(Date.parse(String(sample.asOf)));
		const errors = [...items(run, 'Build Profiles', 1), ...items(run, 'Shape for CRM', 1)];
		expect(errors).toHaveLength(4);
		for (const email of ['jane@company', 'ops@localhost', 'bob@acme..example']) expect(errors.some((e) => String(e.error).includes(`"${email}", which is not a valid address`))).toBe(true);
		expect(errors.some((e) => String(e.error).includes('has no email in Stripe') && String(e.error).includes('no company domain'))).toBe(true);
		// Companies: one per domain, at most 10 calls.
		const companies = hubspot.objects('companies').filter((c) => c.properties.stripe_domain);
		expect(companies.length).toBeGreaterThan(0);
		expect(companies.every((c) => c.properties.domain === c.properties.stripe_domain)).toBe(true);

		// Owner alerts: a task per failing customer above 500 USD MRR (and per churn), associated with its contact.
		const alerts = items(run, 'Owner Alerts');
		const tasks = hubspot.objects('tasks');
		expect(tasks).toHaveLength(alerts.length);
		for (const task of tasks) expect(hubspot.associations('tasks', task.id, 'contacts')).toHaveLength(1);

		// The same night again: the same records (no duplicates), and no new alerts (their episodes are recorded in Stripe).
		const again = await runFrom(nightly, 'Every Night');
		expect(again.status).toBe('success');
		expect(hubspot.objects('contacts').filter((c) => c.properties.stripe_customer_id)).toHaveLength(996);
		expect(items(again, 'Owner Alerts')).toEqual([]);
		expect(hubspot.objects('tasks')).toHaveLength(alerts.length);
	});

	it('lifecycle sync: trial → active → payment failed → recovered → canceled; HubSpot holds the latest state after every delivery, in order and out of order', async () => {
		await n8n.activateWorkflow(lifecycle.id);
		const webhookId = lifecycle.nodes.find((node) => node.name === 'Stripe RevOps Trigger')!.webhookId!;
		const url = n8n.webhookUrl(`${webhookId}/webhook`);
		const endpoint = await waitFor('the lifecycle endpoint in the Stripe sandbox', async () => (await stripe.webhookEndpoints.list({ limit: 100 })).data.find((e) => e.url === url));
		await n8n.waitForWebhook(`${webhookId}/webhook`);

		const product = await stripe.products.create({ name: 'Enterprise' });
		const price = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 90000, recurring: { interval: 'month' } });
		const make = async (email: string) => {
			const c = await stripe.customers.create({ email, name: email.split('@')[0], test_clock: GLOBAL_TEST_CLOCK_ID });
			const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: c.id });
			await stripe.customers.update(c.id, { invoice_settings: { default_payment_method: pm.id } });
			return c;
		};
		const a = await make('ada@inorder.example');
		const b = await make('bea@shuffled.example');
		const tasksFor = (email: string) => {
			const id = hubspot.findBy('contacts', 'email', email)?.id;
			return id ? hubspot.objects('tasks').filter((t) => hubspot.associations('tasks', t.id, 'contacts').includes(id)) : [];
		};

		// Step 1, trial: A delivered now; B's events wait for step 2 (clock.advance delivers them with step 2's, shuffled).
		const subA = await stripe.subscriptions.create({ customer: a.id, items: [{ price: price.id }], trial_period_days: 14 });
		await deliverAndSettle(endpoint.id);
		expect(contact('ada@inorder.example')).toMatchObject({ stripe_subscription_status: 'trialing', stripe_payment_health: 'healthy', stripe_mrr: '0', stripe_customer_id: a.id });
		const subB = await stripe.subscriptions.create({ customer: b.id, items: [{ price: price.id }], trial_period_days: 14 });

		// Step 2, active: the trial ends and the first invoice is paid. B's trial and active events arrive together, shuffled.
		await stripeSandbox.clock.advance(14 * DAY + 2 * 3600);
		await deliverAndSettle(endpoint.id);
		for (const email of ['ada@inorder.example', 'bea@shuffled.example']) expect(contact(email)).toMatchObject({ stripe_subscription_status: 'active', stripe_payment_health: 'healthy', stripe_mrr: '900' });

		// Step 3, payment failed: the cards decline at the renewal. An owner task each (900 USD MRR ≥ 500).
		for (const c of [a, b]) {
			const declining = await stripe.paymentMethods.attach('pm_card_chargeDeclinedInsufficientFunds', { customer: c.id });
			await stripe.customers.update(c.id, { invoice_settings: { default_payment_method: declining.id } });
		}
		await stripeSandbox.clock.advance(31 * DAY + 2 * 3600);
		await deliverAndSettle(endpoint.id);
		for (const email of ['ada@inorder.example', 'bea@shuffled.example']) {
			expect(contact(email)).toMatchObject({ stripe_payment_health: 'failing', stripe_subscription_status: 'past_due', stripe_mrr: '900' });
			expect(contact(email).stripe_last_failure_reason).toMatch(/insufficient_funds|card_declined/);
			const tasks = tasksFor(email);
			expect(tasks).toHaveLength(1);
			expect(tasks[0].properties).toMatchObject({ hs_task_priority: 'HIGH', hs_task_status: 'NOT_STARTED' });
			expect(tasks[0].properties.hs_task_subject).toContain('Payment failing');
		}

		// Step 4, recovered: a good card pays the open invoice. A now; B's recovery waits for step 5.
		const recover = async (c: Stripe.Customer, sub: Stripe.Subscription) => {
			const good = await stripe.paymentMethods.attach('pm_card_mastercard', { customer: c.id });
			await stripe.customers.update(c.id, { invoice_settings: { default_payment_method: good.id } });
			const open = (await stripe.invoices.list({ customer: c.id, status: 'open' })).data.find((i) => (i.parent?.subscription_details?.subscription ?? null) === sub.id) ?? (await stripe.invoices.list({ customer: c.id, status: 'open' })).data[0];
			await stripe.invoices.pay(open.id as string, { payment_method: good.id });
		};
		await recover(a, subA);
		await deliverAndSettle(endpoint.id);
		expect(contact('ada@inorder.example')).toMatchObject({ stripe_payment_health: 'recovered', stripe_subscription_status: 'active' });
		await recover(b, subB);

		// Step 5, canceled: churned, MRR 0, a churn task. B's recovery and cancellation arrive together, shuffled.
		for (const sub of [subA, subB]) await stripe.subscriptions.cancel(sub.id);
		await deliverAndSettle(endpoint.id);
		for (const email of ['ada@inorder.example', 'bea@shuffled.example']) {
			expect(contact(email)).toMatchObject({ stripe_payment_health: 'churned', stripe_subscription_status: 'canceled', stripe_mrr: '0', stripe_churn_risk_score: '100' });
			const tasks = tasksFor(email);
			expect(tasks.map((t) => t.properties.hs_task_subject?.split(':')[0])).toEqual(expect.arrayContaining(['Payment failing', 'Churned']));
			expect(tasks).toHaveLength(2);
		}
		// The record's as-of is the Stripe time now, for both.
		const now = new Date(stripeSandbox.clock.now() * 1000).toISOString().replace('.000Z', 'Z');
		expect(Date.parse(String(contact('bea@shuffled.example').stripe_as_of))).toBe(Date.parse(now));

		// An event naming a customer this account does not have: an error item with the reason; nothing is written for it.
		const secret = stripeSandbox.webhookSecrets(endpoint.id)[0];
		const created = stripeSandbox.clock.now();
		const payload = JSON.stringify({
			id: 'evt_e2e_unknown_customer_1',
			object: 'event',
			api_version: '2026-10-28.endive',
			created,
			type: 'customer.updated',
			livemode: false,
			pending_webhooks: 1,
			request: { id: null, idempotency_key: null },
			data: { object: { id: 'cus_e2eNotInStripe', object: 'customer', email: 'ghost@nowhere.example' } },
		});
		const t = Math.floor(Date.now() / 1000);
		const before = (await listExecutions(lifecycle.id)).length;
		const answer = await postRaw(url, payload, { 'content-type': 'application/json', 'stripe-signature': `t=${t},v1=${signWebhookPayload(secret, t, payload)}` });
		expect(answer.status).toBe(200);
		await waitFor('the unknown-customer execution', async () => {
			const list = await listExecutions(lifecycle.id);
			return list.length > before && list.every((e) => !['new', 'running', 'waiting'].includes(e.status));
		});
		const latest = (await executions.all(lifecycle.id)).sort((x, y) => Number(y.id) - Number(x.id))[0];
		expect(items(latest, 'Build Profiles', 1)).toEqual([expect.objectContaining({ error: expect.stringContaining('Customer cus_e2eNotInStripe does not exist in this Stripe account') })]);
		expect(hubspot.findBy('contacts', 'email', 'ghost@nowhere.example')).toBeUndefined();
	});
});

/**
 * Stripe RevOps CRM Sync in-process (n8n-core's WorkflowExecute) against the Stripe sandbox:
 * a subscription's life (trial → active → payment failed → recovered → canceled) as profiles read
 * at processing time; several events naming one customer give one profile paired with all of
 * them; Shape for CRM batches and its per-item errors (no email, an invalid email, no company
 * domain); Owner Alerts once per episode; an unknown customer; Every Customer equals the one-by-one
 * profiles; CRM Schema.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import type Stripe from 'stripe';

import { GLOBAL_TEST_CLOCK_ID, startSandbox, type Sandbox } from '../../sandbox';
import { runWorkflow, type WorkflowJson } from '../harness/n8n';
import { stripeClient } from '../sandbox/helpers';

const DAY = 86400;
const NODE_TYPE = 'n8n-nodes-stripe-revops.stripeRevOpsCrmSync';
const START = Date.UTC(2026, 2, 2, 9) / 1000;

let sb: Sandbox;
let stripe: Stripe;
let price: Stripe.Price;
let yearly: Stripe.Price;

beforeAll(async () => {
	sb = await startSandbox({ seed: 11, rateLimits: false, now: START, clock: 'frozen', seedData: { customers: 40, months: 4 } });
	stripe = stripeClient(sb);
	const product = await stripe.products.create({ name: 'Pro' });
	price = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 4900, recurring: { interval: 'month' } });
	yearly = await stripe.prices.create({ product: product.id, currency: 'eur', unit_amount: 120000, recurring: { interval: 'year' } });
});
afterAll(() => sb.close());

const credentials = () => ({ stripeRevOpsApi: { secretKey: sb.secretKey, baseUrl: sb.url, apiVersion: '2026-10-28.endive', stripeAccount: '' } });

async function run(parameters: IDataObject, input: IDataObject[] = [{}], options: { continueOnFail?: boolean } = {}) {
	const wf: WorkflowJson = {
		nodes: [
			{
				id: 'crm',
				name: 'CRM Sync',
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
	const result = await runWorkflow(wf, { startNode: 'CRM Sync', input: input.map((json) => ({ json })), credentials: credentials() });
	return { ...result, items: (result.outputs['CRM Sync']?.[0] ?? []) as INodeExecutionData[] };
}

async function customerWith(card: string, extra: Partial<Stripe.CustomerCreateParams> = {}): Promise<Stripe.Customer> {
	const customer = await stripe.customers.create({ name: 'Ada Lovelace', email: 'ada@analytical.example', test_clock: GLOBAL_TEST_CLOCK_ID, ...extra });
	const pm = await stripe.paymentMethods.attach(card, { customer: customer.id });
	await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
	return customer;
}

async function profile(customerId: string, options: IDataObject = {}): Promise<IDataObject> {
	const out = await run({ operation: 'buildProfiles', source: 'input', profileOptions: { exchangeRates: { rate: [{ currency: 'eur', rate: 1.1 }] }, ...options } }, [{ customerId }]);
	expect(out.status).toBe('success');
	expect(out.items).toHaveLength(1);
	return out.items[0].json;
}

test('a subscription\'s life: trial → active → payment failed → recovered → canceled, each profile read from Stripe\'s current state', async () => {
	const customer = await customerWith('pm_card_visa', { metadata: { domain: 'analytical.example' } });
	const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id, quantity: 2 }], trial_period_days: 14 });
	expect(sub.status).toBe('trialing');

	const trial = await profile(customer.id);
	expect(trial).toMatchObject({ customerId: customer.id, email: 'ada@analytical.example', domain: 'analytical.example', subscriptionStatus: 'trialing', mrr: 0, paymentHealth: 'healthy', plan: 'Pro ×2', asOfClock: 'testClock' });
	expect(trial.nextRenewalAt).toBe(new Date((START + 14 * DAY) * 1000).toISOString().replace('.000Z', 'Z'));
	expect(trial.asOf).toBe(new Date(sb.clock.now() * 1000).toISOString().replace('.000Z', 'Z'));

	// The trial ends and the first invoice is paid: 2 × 49.00 a month.
	await sb.clock.advance(14 * DAY + 3600);
	const active = await profile(customer.id);
	expect(active).toMatchObject({ subscriptionStatus: 'active', mrr: 98, mrrByCurrency: 'usd:98.00', paymentHealth: 'healthy', lifetimeValue: 98, churnRiskScore: 0 });

	// The card starts declining: the renewal fails, the subscription is past_due (still counted in MRR).
	const bad = await stripe.paymentMethods.attach('pm_card_chargeDeclinedInsufficientFunds', { customer: customer.id });
	await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: bad.id } });
	await stripe.subscriptions.update(sub.id, { default_payment_method: bad.id });
	await sb.clock.advance(31 * DAY);
	const failing = await profile(customer.id);
	expect(failing).toMatchObject({ paymentHealth: 'failing', mrr: 98, lastFailureReason: expect.stringMatching(/insufficient_funds|card_declined/), lifetimeValue: 98 });
	expect(String(failing.failingInvoiceId)).toMatch(/^in_/);
	expect(failing.episodeId).toBe(`failing:${failing.failingInvoiceId}`);
	expect(failing.churnRiskScore).toBeGreaterThanOrEqual(40);
	expect(String(failing.churnRiskReasons)).toContain('payment failing');

	// A good card pays the open invoice: recovered (the failure is recent), then healthy after 30 days.
	const good = await stripe.paymentMethods.attach('pm_card_mastercard', { customer: customer.id });
	await stripe.subscriptions.update(sub.id, { default_payment_method: good.id });
	await stripe.invoices.pay(String(failing.failingInvoiceId), { payment_method: good.id });
	const recovered = await profile(customer.id);
	expect(recovered).toMatchObject({ paymentHealth: 'recovered', subscriptionStatus: 'active', failingInvoiceId: null, lifetimeValue: 196 });

	// Set to cancel at the period end: at risk; then canceled: churned, MRR 0, score 100.
	await stripe.subscriptions.update(sub.id, { cancel_at_period_end: true });
	await sb.clock.advance(31 * DAY);
	const canceled = await stripe.subscriptions.retrieve(sub.id);
	expect(canceled.status).toBe('canceled');
	const churned = await profile(customer.id);
	expect(churned).toMatchObject({ paymentHealth: 'churned', mrr: 0, churnRiskScore: 100, liveSubscriptions: 0, episodeId: `churned:${sub.id}`, nextRenewalAt: null });
});

test('cancel at period end is at risk; MRR sums currencies at the rate; a missing rate is a per-item error that names the currency', async () => {
	const customer = await customerWith('pm_card_visa', { email: 'grace@hopper.example' });
	await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
	const eurCustomer = await customerWith('pm_card_visa', { email: 'eur@example.de', name: 'Euro GmbH' });
	const yearlySub = await stripe.subscriptions.create({ customer: eurCustomer.id, items: [{ price: yearly.id }] });
	await stripe.subscriptions.update(yearlySub.id, { cancel_at_period_end: true });

	const eur = await profile(eurCustomer.id);
	// 1,200.00 EUR a year = 100.00 EUR a month = 110.00 USD at 1.1.
	expect(eur).toMatchObject({ mrr: 110, mrrByCurrency: 'eur:100.00', paymentHealth: 'atRisk', cancelAtPeriodEnd: true, nextRenewalAt: null, lifetimeValue: 1320 });
	expect(String(eur.churnRiskReasons)).toContain(`subscription ${yearlySub.id} cancels`);

	const out = await run({ operation: 'buildProfiles', source: 'input' }, [{ customerId: customer.id }, { customerId: eurCustomer.id }], { continueOnFail: true });
	expect(out.items).toHaveLength(2);
	expect(out.items[0].json).toMatchObject({ customerId: customer.id, mrr: 49 });
	expect(out.items[1].json.error).toContain('No exchange rate from EUR to USD');
	expect(out.items[1].pairedItem).toEqual({ item: 1 });
});

test('several events naming one customer give one profile paired with all of them; an unknown customer and an item without one are clear per-item errors', async () => {
	const customer = await customerWith('pm_card_visa', { email: 'dedupe@example.com' });
	const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
	const events: IDataObject[] = [
		{ type: 'customer.subscription.updated', objectType: 'subscription', objectId: sub.id, customerId: customer.id },
		{ id: 'evt_1', object: 'event', type: 'invoice.paid', data: { object: { object: 'invoice', id: 'in_x', customer: customer.id } } },
		{ customerId: 'cus_doesNotExist1' },
		{ hello: 'no customer here' },
		{ id: customer.id, object: 'customer' },
	];
	const out = await run({ operation: 'buildProfiles', source: 'input' }, events, { continueOnFail: true });
	const profiles = out.items.filter((i) => i.json.paymentHealth);
	expect(profiles).toHaveLength(1);
	expect(profiles[0].pairedItem).toEqual([{ item: 0 }, { item: 1 }, { item: 4 }]);
	const errors = out.items.filter((i) => i.json.error);
	expect(errors.map((e) => e.pairedItem)).toEqual([{ item: 2 }, { item: 3 }]);
	expect(errors[0].json.error).toContain('Customer cus_doesNotExist1 does not exist in this Stripe account');
	expect(errors[1].json.error).toContain('names no Stripe customer');

	// Without Continue On Fail, the unknown customer fails the node with its item index.
	const failed = await run({ operation: 'buildProfiles', source: 'input' }, [{ customerId: 'cus_doesNotExist1' }]);
	expect(failed.status).toBe('error');
	expect(failed.errors['CRM Sync']?.message).toContain('does not exist');
});

test('Shape for CRM: 250 profiles in three HubSpot batch-upsert bodies; bad emails and missing domains are per-item errors, the rest go on', async () => {
	const base: IDataObject = { customerId: 'cus_x', email: 'a@acme.example', name: 'A', domain: 'acme.example', deleted: false, mrr: 10, reportingCurrency: 'usd', mrrByCurrency: 'usd:10.00', plan: 'Pro', subscriptionId: 'sub_1', subscriptionStatus: 'active', liveSubscriptions: 1, paymentHealth: 'healthy', healthReason: 'payments are current', dunningStage: null, accessLevel: null, failingInvoiceId: null, lastFailureReason: null, lastFailureAt: null, lifetimeValue: 100, nextRenewalAt: '2026-04-01T00:00:00Z', cancelAtPeriodEnd: false, churnRiskScore: 0, churnRiskReasons: '', episodeId: null, asOf: '2026-03-02T09:00:00Z', asOfClock: 'realClock' };
	const profiles: IDataObject[] = Array.from({ length: 250 }, (_, i) => ({ ...base, customerId: `cus_${i}`, email: `user${i}@acme${i % 7}.example`, domain: `acme${i % 7}.example` }));
	profiles[3] = { ...profiles[3], email: 'not-an-email@' };
	profiles[4] = { ...profiles[4], email: null };
	const out = await run({ operation: 'shapeForCrm', objects: 'contacts', output: 'hubspotBatch' }, profiles, { continueOnFail: true });
	const batches = out.items.filter((i) => i.json.body);
	expect(batches.map((b) => b.json.count)).toEqual([100, 100, 48]);
	const inputs = batches.flatMap((b) => (b.json.body as { inputs: Array<{ idProperty: string; id: string; properties: Record<string, string> }> }).inputs);
	expect(new Set(inputs.map((i) => i.id)).size).toBe(248);
	expect(inputs[0]).toEqual({
		idProperty: 'email',
		id: 'user0@acme0.example',
		properties: expect.objectContaining({ email: 'user0@acme0.example', stripe_customer_id: 'cus_0', stripe_mrr: '10', stripe_payment_health: 'healthy', stripe_next_renewal_at: '2026-04-01T00:00:00Z', stripe_dunning_stage: '', stripe_cancel_at_period_end: 'false' }),
	});
	// Each batch is paired with the items it was made from.
	expect((batches[0].pairedItem as Array<{ item: number }>).length).toBe(100);
	const errors = out.items.filter((i) => i.json.error);
	expect(errors.map((e) => e.pairedItem)).toEqual([{ item: 3 }, { item: 4 }]);
	expect(errors[0].json.error).toContain('"not-an-email@", which is not a valid address');
	expect(errors[1].json.error).toContain('has no email in Stripe');

	// Companies by domain: 7 domains, the best profile per domain, merged customers named; a free-mail customer is an error when only companies are asked for.
	const companies = await run({ operation: 'shapeForCrm', objects: 'companies', output: 'hubspotBatch' }, [...profiles.slice(0, 20), { ...base, customerId: 'cus_gmail', email: 'x@gmail.com', domain: null }], { continueOnFail: true });
	const company = companies.items.find((i) => i.json.body)!;
	expect(company.json).toMatchObject({ objectType: 'companies', idProperty: 'stripe_domain', count: 7 });
	expect((company.json.mergedCustomerIds as string[]).length).toBe(13);
	expect(companies.items.find((i) => i.json.error)?.json.error).toContain('has no company domain');

	// One item per record, both objects: the free-mail customer still syncs its contact and says why the company was skipped.
	const perRecord = await run({ operation: 'shapeForCrm', objects: 'contactsAndCompanies', output: 'perRecord', shapeOptions: { propertyMapping: { mapping: [{ field: 'mrr', property: 'mrr_usd' }, { field: 'churnRiskReasons', property: '' }] } } }, [{ ...base, customerId: 'cus_gmail', email: 'x@gmail.com', domain: null }]);
	expect(perRecord.items).toHaveLength(1);
	expect(perRecord.items[0].json).toMatchObject({ objectType: 'contacts', idProperty: 'email', id: 'x@gmail.com' });
	const props = perRecord.items[0].json.properties as Record<string, string>;
	expect(props.mrr_usd).toBe('10');
	expect(props.stripe_mrr).toBeUndefined();
	expect(props.stripe_churn_risk_reasons).toBeUndefined();
	expect(String((perRecord.items[0].json.skipped as string[])[0])).toContain('no company domain');

	const notProfile = await run({ operation: 'shapeForCrm', objects: 'contacts', output: 'hubspotBatch' }, [{ customerId: 'cus_1' }]);
	expect(notProfile.status).toBe('error');
	expect(notProfile.errors['CRM Sync']?.message).toContain('put Build Profiles before Shape for CRM');
});

test('Owner Alerts: a failing customer above the threshold alerts once per episode, recorded on the Stripe customer; a small one does not', async () => {
	const big = await customerWith('pm_card_visa', { email: 'big@bigco.example', name: 'BigCo' });
	const small = await customerWith('pm_card_visa', { email: 'small@smallco.example', name: 'SmallCo' });
	const bigPrice = await stripe.prices.create({ product: price.product as string, currency: 'usd', unit_amount: 99000, recurring: { interval: 'month' } });
	// Both pay their first month, then their cards decline at the renewal.
	for (const [c, p] of [[big, bigPrice], [small, price]] as const) {
		await stripe.subscriptions.create({ customer: c.id, items: [{ price: p.id }] });
		const declining = await stripe.paymentMethods.attach('pm_card_chargeDeclined', { customer: c.id });
		await stripe.customers.update(c.id, { invoice_settings: { default_payment_method: declining.id } });
	}
	// The renewal invoice is a draft for an hour (as Stripe's are), then finalized and charged.
	await sb.clock.advance(31 * DAY + 2 * 3600);
	const params = { operation: 'ownerAlerts', mrrThreshold: 500, alertOn: ['failing', 'churned'], dueInHours: 4, priority: 'high', oncePerEpisode: true };
	const input = [{ customerId: big.id }, { customerId: small.id }, { customerId: big.id }];
	const first = await run(params, input);
	expect(first.status).toBe('success');
	const bigProfile = await profile(big.id);
	expect(bigProfile).toMatchObject({ paymentHealth: 'failing', mrr: 990 });
	expect(await profile(small.id)).toMatchObject({ paymentHealth: 'failing', mrr: 49 });
	expect(first.items).toHaveLength(1);
	const alert = first.items[0].json as IDataObject & { task: { properties: Record<string, string> } };
	expect(alert).toMatchObject({ customerId: big.id, paymentHealth: 'failing', priority: 'HIGH', episodeId: bigProfile.episodeId });
	expect(alert.subject).toBe('Payment failing: BigCo (990.00 USD/month)');
	expect(alert.task.properties).toMatchObject({ hs_task_subject: alert.subject, hs_task_priority: 'HIGH', hs_task_status: 'NOT_STARTED', hs_task_type: 'TODO' });
	expect(String(alert.body)).toContain(`https://dashboard.stripe.com/test/customers/${big.id}`);
	expect((await stripe.customers.retrieve(big.id) as Stripe.Customer).metadata.revops_crm_alert_episode).toBe(bigProfile.episodeId);

	// The same episode again (a re-run, a duplicate event): no alert.
	const again = await run(params, [{ customerId: big.id }]);
	expect(again.items).toHaveLength(0);

	// A new episode raced by four executions at once (several events of one change): one alert, the others see Stripe replay the claim.
	const other = await customerWith('pm_card_visa', { email: 'race@raceco.example', name: 'RaceCo' });
	await stripe.subscriptions.create({ customer: other.id, items: [{ price: bigPrice.id }] });
	const declining = await stripe.paymentMethods.attach('pm_card_chargeDeclined', { customer: other.id });
	await stripe.customers.update(other.id, { invoice_settings: { default_payment_method: declining.id } });
	await sb.clock.advance(31 * DAY + 2 * 3600);
	const raced = await Promise.all([1, 2, 3, 4].map(() => run(params, [{ customerId: other.id }])));
	expect(raced.map((r) => r.status)).toEqual(['success', 'success', 'success', 'success']);
	expect(raced.flatMap((r) => r.items)).toHaveLength(1);
});

test('Every Customer reads the account in bulk and gives the same profiles as one by one', async () => {
	const all = await run({ operation: 'buildProfiles', source: 'all', profileOptions: { exchangeRates: { rate: [{ currency: 'eur', rate: 1.1 }, { currency: 'gbp', rate: 1.27 }, { currency: 'aud', rate: 0.66 }, { currency: 'cad', rate: 0.73 }, { currency: 'jpy', rate: 0.0067 }] } } }, [{}], { continueOnFail: true });
	expect(all.status).toBe('success');
	const list = (await stripe.customers.list({ limit: 100 })).data;
	expect(all.items.length).toBeGreaterThanOrEqual(40);
	expect(all.items.filter((i) => !i.json.paymentHealth)).toEqual([]);
	const healths = new Set(all.items.map((i) => i.json.paymentHealth));
	expect(healths.size).toBeGreaterThanOrEqual(2);
	const sample = list.slice(0, 12);
	for (const c of sample) {
		const one = await profile(c.id, { exchangeRates: { rate: [{ currency: 'eur', rate: 1.1 }, { currency: 'gbp', rate: 1.27 }, { currency: 'aud', rate: 0.66 }, { currency: 'cad', rate: 0.73 }, { currency: 'jpy', rate: 0.0067 }] } });
		const bulk = all.items.find((i) => i.json.customerId === c.id)!.json;
		expect(bulk).toEqual(one);
	}
});

test('CRM Schema: the property group and definitions in HubSpot\'s shape, companies with the unique stripe_domain', async () => {
	const out = await run({ operation: 'crmSchema', objects: 'contactsAndCompanies' });
	expect(out.items.map((i) => i.json.objectType)).toEqual(['contacts', 'companies']);
	const [contacts, companies] = out.items.map((i) => i.json as unknown as { group: IDataObject; properties: { inputs: IDataObject[] } });
	expect(contacts.group).toEqual({ name: 'stripe_revops', label: 'Stripe RevOps', displayOrder: -1 });
	const health = contacts.properties.inputs.find((p) => p.name === 'stripe_payment_health')!;
	expect(health).toMatchObject({ type: 'enumeration', fieldType: 'select', groupName: 'stripe_revops' });
	expect((health.options as IDataObject[]).map((o) => o.value)).toEqual(['healthy', 'atRisk', 'failing', 'recovered', 'churned']);
	expect(contacts.properties.inputs.find((p) => p.name === 'stripe_mrr')).toMatchObject({ type: 'number', fieldType: 'number' });
	expect(companies.properties.inputs.find((p) => p.name === 'stripe_domain')).toMatchObject({ hasUniqueValue: true, type: 'string' });
	expect(contacts.properties.inputs.find((p) => p.name === 'stripe_domain')).toBeUndefined();
});

test('CRM Schema: the usage-signal properties the pipeline writes, unless turned off', async () => {
	const usageNames = ['stripe_usage_status', 'stripe_usage_percent_of_included', 'stripe_usage_period_start'];
	const out = await run({ operation: 'crmSchema', objects: 'contactsAndCompanies' });
	for (const item of out.items) {
		const inputs = (item.json as unknown as { properties: { inputs: IDataObject[] } }).properties.inputs;
		expect(inputs.filter((p) => usageNames.includes(String(p.name))).map((p) => p.name)).toEqual(usageNames);
		const status = inputs.find((p) => p.name === 'stripe_usage_status')!;
		expect((status.options as IDataObject[]).map((o) => o.value)).toEqual(['within', 'approaching', 'overAllowance', 'noAllowance']);
		expect(new Set(inputs.map((p) => p.displayOrder)).size).toBe(inputs.length);
	}
	const off = await run({ operation: 'crmSchema', objects: 'contacts', schemaOptions: { usageSignal: false } });
	const offInputs = (off.items[0].json as unknown as { properties: { inputs: IDataObject[] } }).properties.inputs;
	expect(offInputs.filter((p) => String(p.name).startsWith('stripe_usage_'))).toEqual([]);
});

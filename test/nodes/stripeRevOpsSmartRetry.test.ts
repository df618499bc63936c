/**
 * Stripe RevOps Smart Retry in-process (n8n-core's WorkflowExecute) against the sandbox:
 * payment fails → Plan Retry → the test clock moves → List Due Retries → Retry Payment → paid;
 * dunning through to suspension; Retry Payment twice, or with the response lost after the charge,
 * charges once; Continue On Fail; a trained model stored in the workflow and used by the plan.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import type Stripe from 'stripe';

import { GLOBAL_TEST_CLOCK_ID, startSandbox, type Sandbox } from '../../sandbox';
import { runWorkflow, type WorkflowJson } from '../harness/n8n';
import { stripeClient } from '../sandbox/helpers';

const HOUR = 3600;
const DAY = 86400;
const NODE_TYPE = 'n8n-nodes-stripe-revops.stripeRevOpsSmartRetry';
const START = Date.UTC(2026, 2, 2, 9) / 1000; // Monday 2 March 2026, 09:00 UTC

let sb: Sandbox;
let stripe: Stripe;

// Every first attempt on a plain (non-test) card declines with insufficient funds; a retry clears it.
const SCENARIO = { declineRate: 1, declineCodes: { insufficient_funds: 1 }, insufficientFunds: { baseRecovery: 1, paydayRecovery: 1, paydayWindowDays: 3 } };

beforeAll(async () => {
	sb = await startSandbox({ seed: 8, rateLimits: false, now: START, clock: 'frozen', scenario: SCENARIO });
	stripe = stripeClient(sb);
});
afterAll(() => sb.close());

const credentials = (baseUrl = sb.url) => ({ stripeRevOpsApi: { secretKey: sb.secretKey, baseUrl, apiVersion: '2026-10-28.endive', stripeAccount: '' } });

function node(parameters: IDataObject, extra: IDataObject = {}): WorkflowJson['nodes'][number] {
	return {
		id: 'retry',
		name: 'Smart Retry',
		type: NODE_TYPE,
		typeVersion: 1,
		position: [0, 0],
		parameters: { merchantName: 'Acme GmbH', ...parameters },
		credentials: { stripeRevOpsApi: { id: '1', name: 'Stripe sandbox' } },
		...extra,
	};
}

async function run(parameters: IDataObject, input: IDataObject[] = [{}], options: { continueOnFail?: boolean; staticData?: IDataObject; baseUrl?: string } = {}) {
	const wf: WorkflowJson = { nodes: [node(parameters, options.continueOnFail ? { onError: 'continueRegularOutput' } : {})], connections: {} };
	const result = await runWorkflow(wf, { startNode: 'Smart Retry', input: input.map((json) => ({ json })), credentials: credentials(options.baseUrl), staticData: options.staticData });
	return { ...result, items: (result.outputs['Smart Retry']?.[0] ?? []) as INodeExecutionData[] };
}

/** A customer in Berlin on the sandbox's global test clock whose card's first charge fails. */
async function failedInvoice(opts: { card?: string; locale?: string; clock?: string } = {}): Promise<{ customer: Stripe.Customer; invoice: Stripe.Invoice }> {
	const pm = opts.card
		? await stripe.paymentMethods.create({ type: 'card', card: { token: opts.card } } as Stripe.PaymentMethodCreateParams)
		: await stripe.paymentMethods.create({ type: 'card', card: { number: '4000001234567899', exp_month: 12, exp_year: 2030, cvc: '123' } });
	const customer = await stripe.customers.create({
		name: 'Erika Mustermann',
		email: 'erika@example.de',
		address: { country: 'DE', city: 'Berlin', line1: 'Unter den Linden 1', postal_code: '10117' },
		preferred_locales: [opts.locale ?? 'de'],
		test_clock: opts.clock ?? GLOBAL_TEST_CLOCK_ID,
	});
	await stripe.paymentMethods.attach(pm.id, { customer: customer.id });
	await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
	const inv = await stripe.invoices.create({ customer: customer.id, auto_advance: true });
	await stripe.invoiceItems.create({ customer: customer.id, invoice: inv.id, amount: 4900, currency: 'eur' });
	await stripe.invoices.finalizeInvoice(inv.id as string);
	await stripe.invoices.pay(inv.id as string).catch(() => undefined);
	const invoice = await stripe.invoices.retrieve(inv.id as string);
	expect(invoice).toMatchObject({ status: 'open', attempt_count: 1 });
	return { customer, invoice };
}

async function charges(customer: string): Promise<Stripe.Charge[]> {
	return (await stripe.charges.list({ customer, limit: 100 })).data;
}

test('payment fails → Plan Retry → the test clock moves → List Due Retries → Retry Payment → paid, with the plan in Stripe', async () => {
	const { customer, invoice } = await failedInvoice();
	// The trigger's item for invoice.payment_failed carries objectType/objectId.
	const planned = await run({ operation: 'planRetry', modelSource: 'priors' }, [{ type: 'invoice.payment_failed', objectType: 'invoice', objectId: invoice.id }]);
	expect(planned.status).toBe('success');
	const plan = planned.items[0].json as IDataObject & { retryAt: { unix: number; local: string }; message: { subject: string; text: string; html: string; link: string; locale: string } };
	expect(planned.items[0].pairedItem).toEqual({ item: 0 });
	expect(plan).toMatchObject({ invoiceId: invoice.id, customerEmail: 'erika@example.de', action: 'retry', attempt: 2, declineClass: 'insufficientFunds', zone: 'Europe/Berlin', dunningStage: 'firstNotice', accessLevel: 'grace', collection: 'takenOver', recorded: true });
	expect(plan.now).toMatchObject({ unix: START, clock: 'testClock', testClockId: GLOBAL_TEST_CLOCK_ID });
	expect(plan.retryAt.unix).toBeGreaterThan(START);
	expect(plan.retryAt.local).toMatch(/\+01:00$/); // Berlin in March, before DST
	// The message is German, the amount in euros, the link Stripe's hosted page.
	expect(plan.message.locale).toBe('de');
	expect(plan.message.link).toBe(invoice.hosted_invoice_url);
	expect(plan.message.text).toContain('49,00');
	expect(plan.message.html).toContain(invoice.hosted_invoice_url as string);

	const recorded = await stripe.invoices.retrieve(invoice.id as string);
	expect(recorded.auto_advance).toBe(false);
	expect(recorded.metadata).toMatchObject({ revops_retry_action: 'retry', revops_retry_at: String(plan.retryAt.unix), revops_retry_attempt: '2' });

	// Not due yet: List Due Retries finds nothing for it, and Retry Payment refuses without sending.
	const early = await run({ operation: 'listDueRetries' });
	expect(early.items.map((i) => i.json.invoiceId)).not.toContain(invoice.id);
	const refused = await run({ operation: 'retryPayment', composeMessage: false, modelSource: 'priors' }, [{ invoiceId: invoice.id }]);
	expect(refused.items[0].json).toMatchObject({ outcome: 'refused', attempt: 2 });
	expect(String(refused.items[0].json.reason)).toContain('planned retry is at');
	expect(await charges(customer.id)).toHaveLength(1);

	// Stripe's own retries are off: time passes, nothing happens until the plan is due.
	await sb.clock.set(plan.retryAt.unix);
	expect((await stripe.invoices.retrieve(invoice.id as string)).attempt_count).toBe(1);
	const due = await run({ operation: 'listDueRetries' });
	const mine = due.items.find((i) => i.json.invoiceId === invoice.id);
	expect(mine?.json).toMatchObject({ attempt: 2, overdueSeconds: 0, customerEmail: 'erika@example.de' });

	const paid = await run({ operation: 'retryPayment', composeMessage: false, modelSource: 'priors' }, [mine!.json]);
	expect(paid.items[0].json).toMatchObject({ outcome: 'paid', invoiceStatus: 'paid', attempt: 2, amountPaid: 4900, idempotencyKey: `retry-invoice:${invoice.id}:2`, nextPlan: null });
	expect((await charges(customer.id)).filter((c) => c.status === 'succeeded')).toHaveLength(1);

	// Running it again (an n8n re-run) sends nothing: the invoice is paid.
	const again = await run({ operation: 'retryPayment', composeMessage: false, modelSource: 'priors' }, [mine!.json]);
	expect(again.items[0].json).toMatchObject({ outcome: 'paid', invoiceStatus: 'paid' });
	expect((await charges(customer.id)).filter((c) => c.status === 'succeeded')).toHaveLength(1);
	expect((await run({ operation: 'listDueRetries' })).items.map((i) => i.json.invoiceId)).not.toContain(invoice.id);
});

test('dunning through to suspension: a card that keeps declining runs through every stage, then the plan stops', async () => {
	const { invoice } = await failedInvoice({ card: 'tok_chargeDeclined', locale: 'fr' });
	const stages: string[] = [];
	let plan = (await run({ operation: 'planRetry', modelSource: 'priors' }, [{ invoiceId: invoice.id }])).items[0].json as IDataObject & { retryAt: { unix: number } | null };
	stages.push(`${plan.dunningStage}/${plan.accessLevel}`);
	const attempts: number[] = [];
	for (let i = 0; i < 12 && plan.action === 'retry'; i++) {
		await sb.clock.set(plan.retryAt!.unix);
		const out = (await run({ operation: 'retryPayment', modelSource: 'priors' }, [{ invoiceId: invoice.id }])).items[0].json as IDataObject & { nextPlan: IDataObject & { retryAt: { unix: number } | null } };
		expect(out.outcome).toBe('declined');
		attempts.push(out.attempt as number);
		plan = out.nextPlan;
		stages.push(`${plan.dunningStage}/${plan.accessLevel}`);
	}
	// Attempt numbers follow each other (the failed charge is 1); the budget is 8 retries in the 2-week window.
	expect(attempts).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
	expect(plan.action).toBe('stop');
	// Once the budget is spent the message escalates to the final notice (access still follows time).
	expect(stages[stages.length - 1]).toBe('finalNotice/limited');
	expect(stages[0]).toBe('firstNotice/grace');
	expect(stages).toContain('reminder/limited');
	// After the last stage's end the customer's access is suspended, and the French message says so.
	await sb.clock.set(Date.parse(String(plan.suspendAt)) / 1000 + HOUR);
	const last = (await run({ operation: 'planRetry', modelSource: 'priors' }, [{ invoiceId: invoice.id }])).items[0].json as IDataObject & { message: { locale: string; subject: string } };
	expect(last).toMatchObject({ dunningStage: 'suspended', accessLevel: 'suspended', action: 'stop' });
	expect(last.message.locale).toBe('fr');
	const charged = await stripe.charges.list({ customer: (invoice.customer as string), limit: 100 });
	expect(charged.data).toHaveLength(1 + attempts.length);
});

test('a hard decline asks for a new card instead of retrying', async () => {
	const { invoice } = await failedInvoice({ card: 'tok_chargeDeclinedLostCard', locale: 'en' });
	const out = (await run({ operation: 'planRetry', modelSource: 'priors' }, [{ invoiceId: invoice.id }])).items[0].json;
	expect(out).toMatchObject({ action: 'requestPaymentMethod', retryAt: null, declineClass: 'neverRetry', declineCode: 'lost_card' });
	const refused = (await run({ operation: 'retryPayment', composeMessage: false, respectSchedule: true, attempt: 2, modelSource: 'priors' }, [{ invoiceId: invoice.id }])).items[0].json;
	expect(refused.outcome).toBe('refused');
	expect((await stripe.charges.list({ customer: invoice.customer as string })).data).toHaveLength(1);
});

test('after a hard decline the customer sets a new card: the plan retries the new card, and it pays', async () => {
	const { customer, invoice } = await failedInvoice({ card: 'tok_chargeDeclinedLostCard', locale: 'en' });
	const pm = await stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_visa' } } as Stripe.PaymentMethodCreateParams);
	await stripe.paymentMethods.attach(pm.id, { customer: customer.id });
	await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
	const plan = (await run({ operation: 'planRetry', modelSource: 'priors' }, [{ invoiceId: invoice.id }])).items[0].json as IDataObject & { retryAt: { unix: number } };
	expect(plan).toMatchObject({ action: 'retry', cardChanged: true, attempt: 2 });
	// The dunning timeline is the invoice's: it started with the first failure, not with the new card.
	expect(plan.firstFailureAt).toBe(invoice.created);
	await sb.clock.set(plan.retryAt.unix);
	const paid = (await run({ operation: 'retryPayment', composeMessage: false, modelSource: 'priors' }, [plan])).items[0].json;
	expect(paid).toMatchObject({ outcome: 'paid', invoiceStatus: 'paid' });
});

/** A proxy to the sandbox that lets the work of the first `POST …/pay` happen and then drops its response. */
async function lossyProxy(target: string): Promise<{ url: string; dropped: () => number; close: () => Promise<void> }> {
	let dropped = 0;
	const upstream = new URL(target);
	const server: Server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			const forward = httpRequest({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
				const body: Buffer[] = [];
				up.on('data', (c: Buffer) => body.push(c));
				up.on('end', () => {
					if (req.method === 'POST' && /\/pay$/.test(req.url ?? '') && dropped === 0) {
						dropped++;
						req.socket.destroy();
						return;
					}
					res.writeHead(up.statusCode ?? 500, up.headers);
					res.end(Buffer.concat(body));
				});
			});
			forward.end(Buffer.concat(chunks));
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return { url: `http://127.0.0.1:${port}`, dropped: () => dropped, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

test('a response lost after the charge, then a re-run: the idempotency key charges once', async () => {
	const { customer, invoice } = await failedInvoice();
	await stripe.invoices.update(invoice.id as string, { auto_advance: false }); // Stripe's own retries off
	await sb.clock.advance(DAY); // past the network rules' spacing after the failed charge
	const proxy = await lossyProxy(sb.url);
	try {
		const first = await run({ operation: 'retryPayment', composeMessage: false, respectSchedule: false, attempt: 2, modelSource: 'priors' }, [{ invoiceId: invoice.id }], { baseUrl: proxy.url });
		expect(proxy.dropped()).toBe(1);
		// The client retried the lost request with the same key and got Stripe's saved answer.
		expect(first.items[0].json).toMatchObject({ outcome: 'paid', idempotencyKey: `retry-invoice:${invoice.id}:2` });
		const rerun = await run({ operation: 'retryPayment', composeMessage: false, respectSchedule: false, attempt: 2, modelSource: 'priors' }, [{ invoiceId: invoice.id }], { baseUrl: proxy.url });
		expect(rerun.items[0].json.outcome).toBe('paid');
	} finally {
		await proxy.close();
	}
	const all = await charges(customer.id);
	expect(all.filter((c) => c.status === 'succeeded')).toHaveLength(1);
	expect(all).toHaveLength(2);
});

test('Continue On Fail: bad items come out as error items with their pairedItem, good ones go on; without it the node fails with the item index', async () => {
	const { invoice } = await failedInvoice({ locale: 'ja' });
	const input = [{ invoiceId: invoice.id }, { invoiceId: 'in_doesNotExist' }, { note: 'no invoice here' }];
	const out = await run({ operation: 'planRetry', modelSource: 'priors', recordPlan: false, takeOverCollection: false }, input, { continueOnFail: true });
	expect(out.status).toBe('success');
	expect(out.items.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
	expect(out.items[0].json).toMatchObject({ invoiceId: invoice.id, action: 'retry', recorded: false, collection: 'unchanged' });
	expect((out.items[0].json.message as IDataObject).locale).toBe('ja');
	expect(out.items[1].json).toMatchObject({ httpCode: '404', details: { type: 'invalid_request_error', code: 'resource_missing' } });
	expect(String(out.items[2].json.error)).toContain('No invoice: choose one in "Invoice"');

	const failed = await run({ operation: 'planRetry', modelSource: 'priors', merchantName: '  ' }, [{ invoiceId: invoice.id }]);
	expect(failed.status).toBe('error');
	const error = failed.errors['Smart Retry'] as Error & { context?: { itemIndex?: number } };
	expect(error.message).toContain('Merchant Name is empty');
	expect(error.context?.itemIndex).toBe(0);
	// Nothing was written for the failed item.
	expect((await stripe.invoices.retrieve(invoice.id as string)).metadata).toEqual({});
});

test('a customer on their own test clock lives at that clock\'s time', async () => {
	const clock = await stripe.testHelpers.testClocks.create({ frozen_time: START + 40 * DAY, name: 'Later' });
	const { invoice } = await failedInvoice({ clock: clock.id });
	const out = (await run({ operation: 'planRetry', modelSource: 'priors', recordPlan: false }, [{ invoiceId: invoice.id }])).items[0].json as IDataObject & { now: IDataObject; retryAt: { unix: number } };
	expect(out.now).toMatchObject({ unix: START + 40 * DAY, clock: 'testClock', testClockId: clock.id });
});

test('Train Model stores a model in the workflow; Plan Retry uses it and Retry Payment keeps it learning', async () => {
	const trained = await startSandbox({ seed: 3, rateLimits: false, now: START, clock: 'frozen', seedData: { customers: 60, months: 4 } });
	try {
		const staticData: IDataObject = {};
		const wf = (parameters: IDataObject): WorkflowJson => ({ nodes: [node(parameters)], connections: {} });
		const creds = { stripeRevOpsApi: { secretKey: trained.secretKey, baseUrl: trained.url, apiVersion: '2026-10-28.endive', stripeAccount: '' } };
		const from = new Date((START - 120 * DAY) * 1000).toISOString();
		const to = new Date(START * 1000).toISOString();
		const result = await runWorkflow(wf({ operation: 'trainModel', from, to }), { startNode: 'Smart Retry', input: [{ json: {} }], credentials: creds, staticData });
		const item = result.outputs['Smart Retry'][0][0];
		expect(item.json.stored).toBe(true);
		expect(item.json.samples).toBeGreaterThan(10);
		expect(item.binary?.model?.fileName).toBe('stripe-retry-model.json');
		const stored = (staticData.global as IDataObject).stripeRevOpsRetryModel as IDataObject;
		expect(stored).toMatchObject({ v: 1, samples: item.json.samples });
		// The payroll model comes with it (insufficient-funds timing), learned from the customers' retries.
		expect(typeof item.json.payrollCustomers).toBe('number');
		expect(stored.payroll).toMatchObject({ v: 1, customers: item.json.payrollCustomers });
		expect(((stored.payroll as IDataObject).rules as string[]).length).toBe(54);

		// The stored model decides the plan, and the outcome of a retry is learned into it.
		const { invoice } = await failedInvoice();
		const planned = await run({ operation: 'planRetry', composeMessage: false, policy: { seed: 7 } }, [{ invoiceId: invoice.id }], { staticData });
		expect(planned.items[0].json).toMatchObject({ action: 'retry', decidedBy: 'model' });
		await sb.clock.set((planned.items[0].json.retryAt as { unix: number }).unix);
		const retried = await run({ operation: 'retryPayment', composeMessage: false }, [planned.items[0].json], { staticData });
		expect(retried.items[0].json).toMatchObject({ outcome: 'paid', modelUpdated: true });
		expect(((staticData.global as IDataObject).stripeRevOpsRetryModel as IDataObject).samples).toBe((item.json.samples as number) + 1);
		// The payroll model learns insufficient-funds retries only (the sandbox's hidden model picked this card's decline).
		const learnedPayroll = planned.items[0].json.declineClass === 'insufficientFunds' ? 1 : 0;
		expect((((staticData.global as IDataObject).stripeRevOpsRetryModel as IDataObject).payroll as IDataObject).samples).toBe(((stored.payroll as IDataObject).samples as number) + learnedPayroll);

		// An insufficient-funds retry is timed by the payroll model, and its outcome is learned into it too.
		const short = await failedInvoice({ card: 'tok_chargeDeclinedInsufficientFunds' });
		const shortPlan = await run({ operation: 'planRetry', composeMessage: false, policy: { seed: 7 } }, [{ invoiceId: short.invoice.id }], { staticData });
		expect(shortPlan.items[0].json).toMatchObject({ action: 'retry', decidedBy: 'model', declineClass: 'insufficientFunds' });
		expect((shortPlan.items[0].json.explanation as string[]).join('\n')).toMatch(/Payroll: from \d+ insufficient-funds retries/);
		expect(shortPlan.items[0].json).not.toHaveProperty('payrollPosterior');
		const payrollBefore = (((staticData.global as IDataObject).stripeRevOpsRetryModel as IDataObject).payroll as IDataObject).samples as number;
		await sb.clock.set((shortPlan.items[0].json.retryAt as { unix: number }).unix);
		const declined = await run({ operation: 'retryPayment', composeMessage: false }, [shortPlan.items[0].json], { staticData });
		expect(declined.items[0].json).toMatchObject({ outcome: 'declined', modelUpdated: true, declineClass: 'insufficientFunds' });
		const after = (staticData.global as IDataObject).stripeRevOpsRetryModel as IDataObject;
		expect((after.payroll as IDataObject).samples).toBe(payrollBefore + 1);
		expect((after.payroll as IDataObject).cells).not.toEqual((stored.payroll as IDataObject).cells);

		const evaluation = await runWorkflow(wf({ operation: 'evaluatePolicy', from, to }), { startNode: 'Smart Retry', input: [{ json: {} }], credentials: creds });
		expect(evaluation.outputs['Smart Retry'][0][0].json).toMatchObject({ estimate: true });
		expect(String(evaluation.outputs['Smart Retry'][0][0].json.disclaimer)).toContain('estimate');
		// Evaluated as Plan Retry decides: with the payroll model, learned from the earlier period only.
		const evaluated = evaluation.outputs['Smart Retry'][0][0].json as IDataObject;
		expect((evaluated.model as IDataObject).payroll).toMatchObject({ v: 1 });
		expect(((evaluated.model as IDataObject).payroll as IDataObject).samples).toBeLessThanOrEqual((evaluated.trainPeriod as IDataObject).attempts as number);
	} finally {
		await trained.close();
	}
});

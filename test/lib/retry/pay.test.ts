/**
 * Retry Payment's core (lib/retry/pay.ts) against the Stripe sandbox over real HTTP: a retry of an
 * open invoice pays it; running it twice, or again after Stripe charged but the answer was lost,
 * charges once; a decline comes back classified; the network rules refuse before anything is sent.
 */
import Stripe from 'stripe';

import { retryPayment } from '../../../lib/retry/pay';
import { StripeClient, fetchTransport, type RequestFn } from '../../../lib/stripe';
import { startSandbox, type Sandbox } from '../../../sandbox';

let sandbox: Sandbox;
let stripe: Stripe;

beforeEach(async () => {
	sandbox = await startSandbox({ seed: 8, rateLimits: false, clock: 'frozen', now: 1_790_000_000 });
	stripe = new Stripe(sandbox.secretKey, { host: '127.0.0.1', port: sandbox.port, protocol: 'http', maxNetworkRetries: 0 });
});
afterEach(() => sandbox.close());

/** Our client over the sandbox, without retries. */
const client = () => new StripeClient({ request: fetchTransport(sandbox.secretKey), baseUrl: sandbox.url, sleep: async () => undefined, retry: { maxRetries: 0 } });

/** An open invoice whose automatic payment failed on a declining card; the customer's default card now `next`. */
async function failedInvoice(next: string): Promise<string> {
	const c = await stripe.customers.create({ email: 'retry@example.com', payment_method: 'pm_card_chargeDeclinedInsufficientFunds', invoice_settings: { default_payment_method: 'pm_card_chargeDeclinedInsufficientFunds' } });
	const inv = await stripe.invoices.create({ customer: c.id });
	await stripe.invoiceItems.create({ customer: c.id, invoice: inv.id, amount: 4200, currency: 'usd' });
	await stripe.invoices.finalizeInvoice(inv.id as string);
	const failed = await stripe.invoices.pay(inv.id as string).catch((e: unknown) => e);
	expect(failed).toBeInstanceOf(Stripe.errors.StripeCardError);
	const pm = await stripe.paymentMethods.attach(next, { customer: c.id });
	await stripe.customers.update(c.id, { invoice_settings: { default_payment_method: pm.id } });
	return inv.id as string;
}

const card = { brand: 'visa', paymentMethodId: 'pm_test' };

async function succeededCharges(invoiceId: string): Promise<number> {
	const invoice = await stripe.invoices.retrieve(invoiceId);
	const charges = await stripe.charges.list({ customer: invoice.customer as string, limit: 100 });
	return charges.data.filter((ch) => ch.status === 'succeeded').length;
}

test('a retry pays the open invoice with a key per invoice and planned attempt; running it again charges nothing more', async () => {
	const invoiceId = await failedInvoice('pm_card_visa');
	const first = await retryPayment(client(), { invoiceId, attempt: 1, now: sandbox.clock.now(), history: [], card });
	expect(first).toMatchObject({ outcome: 'paid', idempotencyKey: `retry-invoice:${invoiceId}:1` });
	const again = await retryPayment(client(), { invoiceId, attempt: 1, now: sandbox.clock.now(), history: [], card });
	expect(again.outcome).toBe('paid');
	expect(await succeededCharges(invoiceId)).toBe(1);
});

/** The sandbox's transport, except that the answer to the first pay call is lost after Stripe did the work. */
function losingFirstPayAnswer(): { request: RequestFn; lost: () => number } {
	const inner = fetchTransport(sandbox.secretKey);
	let lost = 0;
	return {
		lost: () => lost,
		request: async (req) => {
			const res = await inner(req);
			if (req.method === 'POST' && req.url.endsWith('/pay') && lost === 0) {
				lost++;
				throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
			}
			return res;
		},
	};
}

test('after Stripe charged but the answer was lost, the re-run finds the invoice paid and sends nothing: one charge', async () => {
	const invoiceId = await failedInvoice('pm_card_visa');
	const transport = losingFirstPayAnswer();
	const noRetries = new StripeClient({ request: transport.request, baseUrl: sandbox.url, sleep: async () => undefined, retry: { maxRetries: 0 } });
	const lost = await retryPayment(noRetries, { invoiceId, attempt: 1, now: sandbox.clock.now(), history: [], card });
	expect(transport.lost()).toBe(1);
	expect(lost.outcome).toBe('unknown');
	expect(lost.reason).toContain('Run Retry Payment again with attempt 1');
	// Stripe did charge: the invoice is paid already, and the re-run (an n8n retry of the execution) sends nothing new.
	expect(await succeededCharges(invoiceId)).toBe(1);
	const rerun = await retryPayment(noRetries, { invoiceId, attempt: 1, now: sandbox.clock.now(), history: [], card });
	expect(rerun.outcome).toBe('paid');
	expect(await succeededCharges(invoiceId)).toBe(1);
});

test('when the client itself retries a lost answer, the same key gets the replay in one call: one charge', async () => {
	const invoiceId = await failedInvoice('pm_card_visa');
	const transport = losingFirstPayAnswer();
	const retrying = new StripeClient({ request: transport.request, baseUrl: sandbox.url, sleep: async () => undefined, retry: { maxRetries: 2 } });
	const result = await retryPayment(retrying, { invoiceId, attempt: 1, now: sandbox.clock.now(), history: [], card });
	expect(transport.lost()).toBe(1);
	expect(result.outcome).toBe('paid');
	expect(await succeededCharges(invoiceId)).toBe(1);
});

test('a re-run of a declined attempt replays the decline instead of making an unplanned extra attempt; the next planned attempt pays', async () => {
	const invoiceId = await failedInvoice('pm_card_chargeDeclinedInsufficientFunds');
	const invoice = await stripe.invoices.retrieve(invoiceId);
	const attemptsOnCard = async () => (await stripe.charges.list({ customer: invoice.customer as string, limit: 100 })).data.length;
	const first = await retryPayment(client(), { invoiceId, attempt: 1, now: sandbox.clock.now(), history: [], card });
	expect(first.outcome).toBe('declined');
	const charges = await attemptsOnCard();
	// The customer fixes the card; n8n re-runs the execution of attempt 1: Stripe answers the same decline again.
	const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: invoice.customer as string });
	await stripe.customers.update(invoice.customer as string, { invoice_settings: { default_payment_method: pm.id } });
	const rerun = await retryPayment(client(), { invoiceId, attempt: 1, now: sandbox.clock.now(), history: [], card });
	expect(rerun.outcome).toBe('declined');
	expect(await attemptsOnCard()).toBe(charges);
	const second = await retryPayment(client(), { invoiceId, attempt: 2, now: sandbox.clock.now(), history: [], card });
	expect(second.outcome).toBe('paid');
	expect(await attemptsOnCard()).toBe(charges + 1);
});

test('a decline comes back classified (insufficient funds), and the invoice stays open', async () => {
	const invoiceId = await failedInvoice('pm_card_chargeDeclinedInsufficientFunds');
	const result = await retryPayment(client(), { invoiceId, attempt: 1, now: sandbox.clock.now(), history: [], card });
	expect(result.outcome).toBe('declined');
	expect(result.decline?.class).toBe('insufficientFunds');
	expect((await stripe.invoices.retrieve(invoiceId)).status).toBe('open');
});

test('the card-network rules refuse before anything is sent (Mastercard "do not try again")', async () => {
	const invoiceId = await failedInvoice('pm_card_visa');
	const now = sandbox.clock.now();
	const result = await retryPayment(client(), {
		invoiceId,
		attempt: 1,
		now,
		history: [{ at: now - 3600, brand: 'mastercard', paymentMethodId: 'pm_test', outcome: 'declined', networkAdviceCode: '03' }],
		card: { brand: 'mastercard', paymentMethodId: 'pm_test' },
	});
	expect(result.outcome).toBe('refused');
	expect(result.violations?.map((v) => v.rule)).toContain('mastercardDoNotTryAgain');
	expect((await stripe.invoices.retrieve(invoiceId)).status).toBe('open');
	expect(await succeededCharges(invoiceId)).toBe(0);
});

test('a paid invoice is not paid again; a bad attempt number says what to pass', async () => {
	const invoiceId = await failedInvoice('pm_card_visa');
	await stripe.invoices.pay(invoiceId);
	expect((await retryPayment(client(), { invoiceId, attempt: 2, now: sandbox.clock.now(), history: [], card })).outcome).toBe('paid');
	expect(await succeededCharges(invoiceId)).toBe(1);
	await expect(retryPayment(client(), { invoiceId, attempt: 0, now: 0, history: [], card })).rejects.toThrow('planned attempt number');
});

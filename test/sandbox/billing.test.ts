import Stripe from 'stripe';
import { startSandbox, type Sandbox } from '../../sandbox';
import { stripeClient } from './helpers';

const DAY = 86400;

describe('customers, subscriptions and invoices with the official client', () => {
	let sb: Sandbox;
	let stripe: Stripe;
	let price: Stripe.Price;
	beforeAll(async () => {
		sb = await startSandbox({ seed: 11, rateLimits: false, now: Date.UTC(2026, 0, 10, 12) / 1000, clock: 'frozen' });
		stripe = stripeClient(sb);
		const product = await stripe.products.create({ name: 'Pro' });
		price = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 4900, recurring: { interval: 'month' } });
	});
	afterAll(() => sb.close());

	it('creates, retrieves, updates, lists and deletes customers', async () => {
		const c = await stripe.customers.create({
			email: 'jenny@example.com',
			name: 'Jenny Rosen',
			address: { line1: '1 Main St', city: 'Berlin', country: 'DE', postal_code: '10115' },
			preferred_locales: ['de-DE', 'en'],
			metadata: { crm_id: '42' },
			invoice_settings: { footer: 'Thanks' },
		});
		expect(c).toMatchObject({ object: 'customer', email: 'jenny@example.com', preferred_locales: ['de-DE', 'en'], metadata: { crm_id: '42' }, livemode: false });
		expect(c.id).toMatch(/^cus_/);
		expect(c.invoice_settings.footer).toBe('Thanks');
		expect((await stripe.customers.retrieve(c.id)) as Stripe.Customer).toMatchObject({ address: { city: 'Berlin', line2: null } });
		const u = await stripe.customers.update(c.id, { email: 'j@example.com' });
		expect(u.email).toBe('j@example.com');
		expect((await stripe.customers.list({ email: 'j@example.com' })).data.map((x) => x.id)).toEqual([c.id]);
		const found = await stripe.customers.search({ query: "metadata['crm_id']:'42'" });
		expect(found.data.map((x) => x.id)).toEqual([c.id]);
		const del = await stripe.customers.del(c.id);
		expect(del).toMatchObject({ id: c.id, deleted: true });
		expect(await stripe.customers.retrieve(c.id)).toMatchObject({ id: c.id, deleted: true });
	});

	it('creates a subscription that invoices, charges and renews on the clock', async () => {
		const c = await stripe.customers.create({ email: 'sub@example.com' });
		const sub = await stripe.subscriptions.create({ customer: c.id, items: [{ price: price.id, quantity: 2 }], default_payment_method: 'pm_card_visa', expand: ['latest_invoice'] });
		expect(sub.status).toBe('active');
		const inv = sub.latest_invoice as Stripe.Invoice;
		expect(inv).toMatchObject({ status: 'paid', amount_due: 9800, amount_paid: 9800, attempt_count: 1, billing_reason: 'subscription_create', collection_method: 'charge_automatically' });
		expect(inv.hosted_invoice_url).toMatch(/^https:\/\/invoice\.stripe\.com\//);
		expect(inv.number).toMatch(/^[A-Z0-9]+-0001$/);
		expect(sub.items.data[0]).toMatchObject({ object: 'subscription_item', quantity: 2, price: { id: price.id } });
		const periodEnd = sub.items.data[0].current_period_end;
		expect(periodEnd - sub.items.data[0].current_period_start).toBe(31 * DAY);
		const payments = await stripe.invoicePayments.list({ invoice: inv.id as string });
		expect(payments.data[0]).toMatchObject({ status: 'paid', amount_paid: 9800, payment: { type: 'payment_intent' } });

		await sb.clock.advance(periodEnd - sb.clock.now() + 2 * 3600);
		const invoices = await stripe.invoices.list({ subscription: sub.id });
		expect(invoices.data.map((i) => [i.billing_reason, i.status])).toEqual([
			['subscription_cycle', 'paid'],
			['subscription_create', 'paid'],
		]);
		const renewed = await stripe.subscriptions.retrieve(sub.id);
		expect(renewed.items.data[0].current_period_start).toBe(periodEnd);

		const updated = await stripe.subscriptions.update(sub.id, { metadata: { tier: 'gold' }, cancel_at_period_end: true });
		expect(updated).toMatchObject({ cancel_at_period_end: true, metadata: { tier: 'gold' } });
		const canceled = await stripe.subscriptions.cancel(sub.id);
		expect(canceled.status).toBe('canceled');
		expect((await stripe.subscriptions.list({ customer: c.id })).data).toHaveLength(0);
		expect((await stripe.subscriptions.list({ customer: c.id, status: 'all' })).data).toHaveLength(1);
	});

	it('runs the invoice lifecycle: draft, items, finalize, void, delete', async () => {
		const c = await stripe.customers.create({ email: 'inv@example.com' });
		const draft = await stripe.invoices.create({ customer: c.id, collection_method: 'send_invoice', days_until_due: 14, metadata: { po: '7' } });
		expect(draft).toMatchObject({ status: 'draft', amount_due: 0, auto_advance: false, number: null });
		await stripe.invoiceItems.create({ customer: c.id, invoice: draft.id, amount: 1500, currency: 'usd', description: 'Setup' });
		await stripe.invoiceItems.create({ customer: c.id, invoice: draft.id, price: price.id as string, quantity: 1 } as Stripe.InvoiceItemCreateParams);
		const withLines = await stripe.invoices.retrieve(draft.id as string);
		expect(withLines.lines.data.map((l) => l.amount)).toEqual([1500, 4900]);
		expect(withLines.amount_due).toBe(6400);
		const fin = await stripe.invoices.finalizeInvoice(draft.id as string);
		expect(fin.status).toBe('open');
		expect(fin.due_date).toBe(fin.status_transitions.finalized_at! + 14 * DAY);
		const voided = await stripe.invoices.voidInvoice(draft.id as string);
		expect(voided.status).toBe('void');
		const again = await stripe.invoices.voidInvoice(draft.id as string).catch((e: unknown) => e);
		expect(again).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);

		const other = await stripe.invoices.create({ customer: c.id });
		expect(await stripe.invoices.del(other.id as string)).toMatchObject({ deleted: true });
		const update = await stripe.invoices.update(fin.id as string, { metadata: { po: '8' } });
		expect(update.metadata).toEqual({ po: '8' });
	});

	it('invoices.pay on a declining card raises StripeCardError with the decline code', async () => {
		const c = await stripe.customers.create({ email: 'decline@example.com' });
		const inv = await stripe.invoices.create({ customer: c.id });
		await stripe.invoiceItems.create({ customer: c.id, invoice: inv.id, amount: 2500, currency: 'usd' });
		const cases: [string, string, string][] = [
			['pm_card_chargeDeclinedInsufficientFunds', 'card_declined', 'insufficient_funds'],
			['pm_card_chargeDeclinedExpiredCard', 'expired_card', 'expired_card'],
			['pm_card_chargeDeclined', 'card_declined', 'generic_decline'],
			['pm_card_chargeDeclinedLostCard', 'card_declined', 'lost_card'],
		];
		for (const [pm, code, declineCode] of cases) {
			const err = await stripe.invoices.pay(inv.id as string, { payment_method: pm }).catch((e: unknown) => e);
			expect(err).toBeInstanceOf(Stripe.errors.StripeCardError);
			expect(err).toMatchObject({ statusCode: 402, code, decline_code: declineCode });
			expect((err as Stripe.errors.StripeCardError).charge).toMatch(/^ch_/);
		}
		const after = await stripe.invoices.retrieve(inv.id as string, { expand: ['payments.data.payment.payment_intent'] });
		expect(after).toMatchObject({ status: 'open', attempt_count: 4, attempted: true });
		const pi = (after as any).payments.data[0].payment.payment_intent as Stripe.PaymentIntent;
		expect(pi.last_payment_error).toMatchObject({ type: 'card_error', decline_code: 'lost_card' });
		const paid = await stripe.invoices.pay(inv.id as string, { payment_method: 'pm_card_visa' });
		expect(paid).toMatchObject({ status: 'paid', attempt_count: 5, amount_remaining: 0 });
		const charges = await stripe.charges.list({ customer: c.id });
		expect(charges.data.map((ch) => ch.status)).toEqual(['succeeded', 'failed', 'failed', 'failed', 'failed']);
		expect(charges.data[1]).toMatchObject({ failure_code: 'card_declined', outcome: { type: 'issuer_declined', reason: 'lost_card' } });
	});

	it('retries a failed renewal on the schedule and recovers after a card change', async () => {
		const c = await stripe.customers.create({ email: 'dunning@example.com', payment_method: 'pm_card_visa', invoice_settings: { default_payment_method: 'pm_card_visa' } });
		const sub = await stripe.subscriptions.create({ customer: c.id, items: [{ price: price.id }] });
		expect(sub.status).toBe('active');
		const bad = await stripe.paymentMethods.attach('pm_card_chargeDeclinedExpiredCard', { customer: c.id });
		await stripe.customers.update(c.id, { invoice_settings: { default_payment_method: bad.id } });
		const end = sub.items.data[0].current_period_end;
		await sb.clock.advance(end - sb.clock.now() + 2 * 3600);
		const [renewal] = (await stripe.invoices.list({ subscription: sub.id, limit: 1 })).data;
		expect(renewal).toMatchObject({ status: 'open', attempt_count: 1 });
		expect(renewal.next_payment_attempt).toBeGreaterThan(sb.clock.now());
		expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('past_due');
		await sb.clock.advance(renewal.next_payment_attempt! - sb.clock.now());
		const second = await stripe.invoices.retrieve(renewal.id as string);
		expect(second.attempt_count).toBe(2);
		const good = await stripe.paymentMethods.attach('pm_card_mastercard', { customer: c.id });
		await stripe.customers.update(c.id, { invoice_settings: { default_payment_method: good.id } });
		await sb.clock.advance(second.next_payment_attempt! - sb.clock.now());
		const recovered = await stripe.invoices.retrieve(renewal.id as string);
		expect(recovered).toMatchObject({ status: 'paid', attempt_count: 3, next_payment_attempt: null });
		expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('active');
		const types = (await stripe.events.list({ limit: 100, created: { gte: end } })).data.map((e) => e.type);
		expect(types).toEqual(expect.arrayContaining(['invoice.payment_failed', 'invoice.paid', 'customer.subscription.updated']));
	});

	it('refunds and disputes move money in balance transactions', async () => {
		const c = await stripe.customers.create({});
		const pi = await stripe.paymentIntents.create({ amount: 10000, currency: 'eur', customer: c.id, payment_method: 'pm_card_visa', confirm: true, expand: ['latest_charge.balance_transaction'] });
		const bt = (pi.latest_charge as Stripe.Charge).balance_transaction as Stripe.BalanceTransaction;
		expect(bt).toMatchObject({ currency: 'usd', type: 'charge', reporting_category: 'charge', status: 'pending' });
		expect(bt.exchange_rate).toBeGreaterThan(1);
		expect(bt.fee_details[0]).toMatchObject({ type: 'stripe_fee', currency: 'usd', amount: bt.fee });
		expect(bt.net).toBe(bt.amount - bt.fee);
		const re = await stripe.refunds.create({ payment_intent: pi.id, amount: 4000 });
		expect(re).toMatchObject({ status: 'succeeded', amount: 4000 });
		const rbt = await stripe.balanceTransactions.retrieve(re.balance_transaction as string);
		expect(rbt).toMatchObject({ type: 'refund', reporting_category: 'refund', exchange_rate: bt.exchange_rate });
		expect(rbt.amount).toBeLessThan(0);
		const over = await stripe.refunds.create({ payment_intent: pi.id, amount: 7000 }).catch((e: unknown) => e);
		expect(over).toMatchObject({ statusCode: 400, code: 'amount_too_large' });

		const disputed = await stripe.paymentIntents.create({ amount: 3000, currency: 'usd', payment_method: 'pm_card_createDispute', confirm: true });
		const [dispute] = (await stripe.disputes.list({ payment_intent: disputed.id })).data;
		expect(dispute).toMatchObject({ status: 'needs_response', amount: 3000 });
		expect(dispute.balance_transactions[0]).toMatchObject({ amount: -3000, fee: 1500, reporting_category: 'dispute' });
		await stripe.disputes.update(dispute.id, { evidence: { uncategorized_text: 'winning_evidence' } });
		await sb.clock.advance(120);
		expect((await stripe.disputes.retrieve(dispute.id)).status).toBe('won');
	});
});

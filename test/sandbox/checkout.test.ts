import Stripe from 'stripe';
import { startSandbox, type Sandbox } from '../../sandbox';
import { raw, stripeClient } from './helpers';

const NOW = Date.UTC(2026, 5, 15) / 1000;
const SUCCESS = 'https://shop.example/success?session_id={CHECKOUT_SESSION_ID}';

async function stripeError(p: Promise<unknown>): Promise<Stripe.errors.StripeError> {
	try {
		await p;
	} catch (e) {
		return e as Stripe.errors.StripeError;
	}
	throw new Error('expected a Stripe error');
}

describe('checkout sessions', () => {
	let sb: Sandbox;
	let stripe: Stripe;
	let monthly: Stripe.Price;
	let oneTime: Stripe.Price;
	let customer: Stripe.Customer;
	beforeAll(async () => {
		sb = await startSandbox({ seed: 5, now: NOW, clock: 'frozen', rateLimits: false });
		stripe = stripeClient(sb);
		const prod = await stripe.products.create({ name: 'Pro' });
		monthly = await stripe.prices.create({ product: prod.id, currency: 'usd', unit_amount: 4900, recurring: { interval: 'month' } });
		oneTime = await stripe.prices.create({ product: prod.id, currency: 'usd', unit_amount: 15000 });
		customer = await stripe.customers.create({ email: 'ada@example.com', name: 'Ada' });
	});
	afterAll(() => sb.close());

	const complete = (id: string, body = '') => raw(sb, 'POST', `/_sandbox/checkout/sessions/${id}/complete`, { body });

	it('creates sessions in each mode, open and unpaid, with a hosted page', async () => {
		const sub = await stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: monthly.id, quantity: 2 }], customer: customer.id, success_url: SUCCESS, client_reference_id: 'cart_1', metadata: { source: 'pricing' } });
		expect(sub.id).toMatch(/^cs_test_/);
		expect(sub).toMatchObject({ object: 'checkout.session', mode: 'subscription', status: 'open', payment_status: 'unpaid', amount_subtotal: 9800, amount_total: 9800, currency: 'usd', created: NOW, expires_at: NOW + 86400, customer: customer.id, customer_details: null, client_reference_id: 'cart_1', metadata: { source: 'pricing' }, subscription: null, ui_mode: 'hosted_page' });
		expect(sub.url).toBe(`${sb.url}/p/checkout/pay/${sub.id}`);
		const page = await fetch(sub.url as string);
		expect(page.status).toBe(200);
		expect(await page.text()).toContain('Checkout');
		const pay = await stripe.checkout.sessions.create({ mode: 'payment', line_items: [{ price: oneTime.id, quantity: 1 }], customer_email: 'guest@example.com', success_url: SUCCESS, expires_at: NOW + 3600 });
		expect(pay).toMatchObject({ mode: 'payment', amount_total: 15000, customer: null, customer_email: 'guest@example.com', customer_creation: 'if_required', expires_at: NOW + 3600, payment_intent: null });
		const setup = await stripe.checkout.sessions.create({ mode: 'setup', currency: 'usd', customer: customer.id, success_url: SUCCESS });
		expect(setup).toMatchObject({ mode: 'setup', amount_total: null, payment_status: 'no_payment_required', currency: 'usd' });
		const embedded = await stripe.checkout.sessions.create({ mode: 'payment', ui_mode: 'embedded_page', line_items: [{ price: oneTime.id, quantity: 1 }], return_url: 'https://shop.example/return' });
		expect(embedded.url).toBeNull();
		expect(embedded.client_secret).toMatch(new RegExp(`^${embedded.id}_secret_`));
	});

	it('refuses what Stripe refuses, with its error type and param', async () => {
		const cases: [Stripe.Checkout.SessionCreateParams, string, string?][] = [
			[{ mode: 'subscription', success_url: SUCCESS }, 'line_items', 'parameter_missing'],
			[{ mode: 'subscription', line_items: [{ price: oneTime.id, quantity: 1 }], success_url: SUCCESS }, 'line_items'],
			[{ mode: 'payment', line_items: [{ price: monthly.id, quantity: 1 }], success_url: SUCCESS }, 'line_items[0][price]'],
			[{ mode: 'payment', line_items: [{ price: 'price_nope', quantity: 1 }], success_url: SUCCESS }, 'line_items[0][price]', 'resource_missing'],
			[{ mode: 'payment', line_items: [{ price: oneTime.id }], success_url: SUCCESS }, 'line_items[0][quantity]', 'parameter_missing'],
			[{ mode: 'payment', line_items: [{ price: oneTime.id, quantity: 1 }], success_url: SUCCESS, expires_at: NOW + 600 }, 'expires_at'],
			[{ mode: 'payment', line_items: [{ price: oneTime.id, quantity: 1 }], success_url: SUCCESS, expires_at: NOW + 25 * 3600 }, 'expires_at'],
			[{ mode: 'payment', line_items: [{ price: oneTime.id, quantity: 1 }] }, 'success_url', 'parameter_missing'],
			[{ line_items: [{ price: oneTime.id, quantity: 1 }], success_url: SUCCESS }, 'mode', 'parameter_missing'],
			[{ mode: 'setup', line_items: [{ price: oneTime.id, quantity: 1 }], currency: 'usd', success_url: SUCCESS }, 'line_items'],
			[{ mode: 'subscription', line_items: [{ price: monthly.id, quantity: 1 }], success_url: SUCCESS, subscription_data: { trial_period_days: 0 } }, 'subscription_data[trial_period_days]'],
			[{ mode: 'payment', line_items: [{ price: oneTime.id, quantity: 1 }], ui_mode: 'embedded_page', success_url: SUCCESS }, 'success_url'],
			[{ mode: 'payment', line_items: [{ price: oneTime.id, quantity: 1 }], success_url: SUCCESS, bogus: 1 } as never, 'bogus', 'parameter_unknown'],
		];
		for (const [params, param, code] of cases) {
			const err = await stripeError(stripe.checkout.sessions.create(params));
			expect({ type: err.type, param: err.param }).toEqual({ type: 'StripeInvalidRequestError', param });
			expect(err.statusCode).toBe(400);
			if (code) expect(err.code).toBe(code);
		}
		const both = await stripeError(stripe.checkout.sessions.create({ mode: 'payment', line_items: [{ price: oneTime.id, quantity: 1 }], success_url: SUCCESS, customer: customer.id, customer_email: 'x@example.com' }));
		expect(both.type).toBe('StripeInvalidRequestError');
		const missing = await stripeError(stripe.checkout.sessions.retrieve('cs_test_nope'));
		expect({ status: missing.statusCode, code: missing.code, message: missing.message }).toEqual({ status: 404, code: 'resource_missing', message: "No such checkout.session: 'cs_test_nope'" });
	});

	it('retrieves, lists with filters and pages, and lists line items', async () => {
		const s = await stripe.checkout.sessions.create({ mode: 'payment', line_items: [{ price: oneTime.id, quantity: 1 }, { price: oneTime.id, quantity: 3 }], customer: customer.id, success_url: SUCCESS });
		const got = await stripe.checkout.sessions.retrieve(s.id, { expand: ['customer', 'line_items'] });
		expect((got.customer as Stripe.Customer).email).toBe('ada@example.com');
		expect(got.line_items?.data.map((li) => li.quantity)).toEqual([1, 3]);
		const items = await stripe.checkout.sessions.listLineItems(s.id, { limit: 1 });
		expect(items.has_more).toBe(true);
		expect(items.data[0]).toMatchObject({ object: 'item', quantity: 1, amount_subtotal: 15000, amount_total: 15000, currency: 'usd', description: 'Pro' });
		expect((items.data[0].price as Stripe.Price).id).toBe(oneTime.id);
		const next = await stripe.checkout.sessions.listLineItems(s.id, { starting_after: items.data[0].id });
		expect(next.data.map((li) => li.quantity)).toEqual([3]);
		const mine = await stripe.checkout.sessions.list({ customer: customer.id, limit: 100 });
		expect(mine.data.length).toBeGreaterThanOrEqual(3);
		expect(mine.data[0].id).toBe(s.id);
		expect(mine.data.every((x) => x.customer === customer.id)).toBe(true);
		const page1 = await stripe.checkout.sessions.list({ limit: 2 });
		expect(page1.has_more).toBe(true);
		const page2 = await stripe.checkout.sessions.list({ limit: 2, starting_after: page1.data[1].id });
		expect(page2.data[0].id).not.toBe(page1.data[1].id);
		const open = await stripe.checkout.sessions.list({ status: 'open', created: { gte: NOW }, limit: 100 });
		expect(open.data.every((x) => x.status === 'open')).toBe(true);
		const bad = await stripeError(stripe.checkout.sessions.list({ status: 'closed' as never }));
		expect(bad.param).toBe('status');
	});

	it('expires only open sessions', async () => {
		const s = await stripe.checkout.sessions.create({ mode: 'payment', line_items: [{ price: oneTime.id, quantity: 1 }], success_url: SUCCESS });
		const expired = await stripe.checkout.sessions.expire(s.id);
		expect(expired).toMatchObject({ status: 'expired', url: null });
		const again = await stripeError(stripe.checkout.sessions.expire(s.id));
		expect(again.statusCode).toBe(400);
		expect(again.message).toContain('Only Checkout Sessions with a status in ["open"] can be expired');
		const events = await stripe.events.list({ type: 'checkout.session.expired' });
		expect(events.data.some((e) => (e.data.object as Stripe.Checkout.Session).id === s.id)).toBe(true);
	});

	it('completes a subscription session: customer, paid first invoice, checkout.session.completed', async () => {
		const s = await stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: monthly.id, quantity: 1 }], customer_email: 'new@example.com', success_url: SUCCESS, subscription_data: { metadata: { plan: 'pro' } } });
		expect(s.customer_creation).toBe('always');
		const res = await complete(s.id, 'payment_method=pm_card_visa&name=New%20Person&address[country]=US&address[state]=NY');
		expect([res.status, res.json.error?.message]).toEqual([200, undefined]);
		const done = await stripe.checkout.sessions.retrieve(s.id, { expand: ['subscription.latest_invoice'] });
		expect(done).toMatchObject({ status: 'complete', payment_status: 'paid', url: null });
		expect(done.customer).toMatch(/^cus_/);
		expect(done.customer_details).toMatchObject({ email: 'new@example.com', name: 'New Person', address: { country: 'US', state: 'NY' } });
		const sub = done.subscription as Stripe.Subscription;
		expect(sub).toMatchObject({ status: 'active', customer: done.customer, metadata: { plan: 'pro' } });
		expect((sub.latest_invoice as Stripe.Invoice).status).toBe('paid');
		const cust = await stripe.customers.retrieve(done.customer as string);
		expect((cust as Stripe.Customer).email).toBe('new@example.com');
		const bySub = await stripe.checkout.sessions.list({ subscription: sub.id });
		expect(bySub.data.map((x) => x.id)).toEqual([s.id]);
		const events = await stripe.events.list({ type: 'checkout.session.completed' });
		const ev = events.data.find((e) => (e.data.object as Stripe.Checkout.Session).id === s.id);
		expect((ev?.data.object as Stripe.Checkout.Session).status).toBe('complete');
		const twice = await complete(s.id);
		expect(twice.status).toBe(400);
	});

	it('completes a payment session with a PaymentIntent and charge; a trial with no payment required', async () => {
		const s = await stripe.checkout.sessions.create({ mode: 'payment', line_items: [{ price: oneTime.id, quantity: 2 }], customer: customer.id, success_url: SUCCESS });
		expect((await complete(s.id)).status).toBe(200);
		const done = await stripe.checkout.sessions.retrieve(s.id, { expand: ['payment_intent'] });
		const pi = done.payment_intent as Stripe.PaymentIntent;
		expect(pi).toMatchObject({ status: 'succeeded', amount: 30000, customer: customer.id });
		expect((await stripe.checkout.sessions.list({ payment_intent: pi.id })).data.map((x) => x.id)).toEqual([s.id]);
		const trial = await stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: monthly.id, quantity: 1 }], customer: customer.id, success_url: SUCCESS, subscription_data: { trial_period_days: 14 } });
		expect(trial.amount_total).toBe(0);
		expect((await complete(trial.id)).status).toBe(200);
		const t = await stripe.checkout.sessions.retrieve(trial.id, { expand: ['subscription'] });
		expect(t.payment_status).toBe('no_payment_required');
		expect((t.subscription as Stripe.Subscription).status).toBe('trialing');
	});

	it('leaves the session open and unpaid when the card declines, and completes on a retry', async () => {
		const s = await stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: monthly.id, quantity: 1 }], customer_email: 'decline@example.com', success_url: SUCCESS });
		const res = await complete(s.id, 'payment_method=pm_card_chargeDeclined');
		expect(res.status).toBe(402);
		expect(res.json.error).toMatchObject({ type: 'card_error', code: 'card_declined' });
		const open = await stripe.checkout.sessions.retrieve(s.id);
		expect(open).toMatchObject({ status: 'open', payment_status: 'unpaid', subscription: null });
		expect((await complete(s.id, 'payment_method=pm_card_visa')).status).toBe(200);
		const done = await stripe.checkout.sessions.retrieve(s.id, { expand: ['subscription'] });
		expect(done.payment_status).toBe('paid');
		expect((done.subscription as Stripe.Subscription).status).toBe('active');
		const pay = await stripe.checkout.sessions.create({ mode: 'payment', line_items: [{ price: oneTime.id, quantity: 1 }], customer_email: 'g@example.com', success_url: SUCCESS });
		expect((await complete(pay.id, 'payment_method=pm_card_chargeDeclinedInsufficientFunds')).status).toBe(402);
		expect(await stripe.checkout.sessions.retrieve(pay.id)).toMatchObject({ status: 'open', payment_status: 'unpaid' });
	});

	it('expires open sessions at expires_at on the clock', async () => {
		const s = await stripe.checkout.sessions.create({ mode: 'payment', line_items: [{ price: oneTime.id, quantity: 1 }], success_url: SUCCESS, expires_at: sb.clock.now() + 1800 });
		await sb.clock.advance(1799);
		expect((await stripe.checkout.sessions.retrieve(s.id)).status).toBe('open');
		await sb.clock.advance(1);
		expect((await stripe.checkout.sessions.retrieve(s.id)).status).toBe('expired');
		const events = await stripe.events.list({ type: 'checkout.session.expired', limit: 100 });
		expect(events.data.filter((e) => (e.data.object as Stripe.Checkout.Session).id === s.id)).toHaveLength(1);
	});
});

describe('seeded checkout funnel', () => {
	let sb: Sandbox;
	let stripe: Stripe;
	beforeAll(async () => {
		sb = await startSandbox({ seed: 11, now: NOW, clock: 'frozen', rateLimits: false, seedData: { customers: 200, months: 3 } });
		stripe = stripeClient(sb);
	});
	afterAll(() => sb.close());

	it('lists sessions with their line items when asked (expand[]=data.line_items), as a retrieve does', async () => {
		const page = await stripe.checkout.sessions.list({ limit: 5, expand: ['data.line_items'] });
		expect(page.data).toHaveLength(5);
		for (const s of page.data) {
			const one = await stripe.checkout.sessions.retrieve(s.id, { expand: ['line_items'] });
			expect(s.line_items?.data.map((l) => l.price?.id)).toEqual(one.line_items?.data.map((l) => l.price?.id));
			expect(s.line_items!.data.length).toBeGreaterThan(0);
		}
		expect((await stripe.checkout.sessions.list({ limit: 1 })).data[0].line_items).toBeUndefined();
	});

	it('has one completed session per customer, linked to its first subscription, and abandoned ones', async () => {
		const sessions: Stripe.Checkout.Session[] = [];
		for await (const s of stripe.checkout.sessions.list({ limit: 100 })) sessions.push(s);
		const completed = sessions.filter((s) => s.status === 'complete');
		expect(completed).toHaveLength(200);
		const subs: Stripe.Subscription[] = [];
		for await (const s of stripe.subscriptions.list({ status: 'all', limit: 100 })) subs.push(s);
		const firstSub = new Map<string, Stripe.Subscription>();
		for (const s of [...subs].reverse()) if (!firstSub.has(s.customer as string)) firstSub.set(s.customer as string, s);
		for (const s of completed) {
			const sub = firstSub.get(s.customer as string);
			expect(s.subscription).toBe(sub?.id);
			expect(s.created).toBeLessThan(sub?.created as number);
			expect(s.customer_details?.address?.country).toBe(s.metadata?.country);
		}
		expect(new Set(completed.map((s) => s.customer)).size).toBe(200);
		const abandoned = sessions.filter((s) => s.status !== 'complete');
		expect(abandoned.some((s) => s.status === 'expired')).toBe(true);
		expect(abandoned.every((s) => s.subscription === null && s.customer_details === null)).toBe(true);
		const rate = completed.length / sessions.length;
		expect(rate).toBeGreaterThan(0.4);
		expect(rate).toBeLessThan(0.6);
		const rateOf = (pred: (s: Stripe.Checkout.Session) => boolean) => {
			const xs = sessions.filter(pred);
			return xs.filter((s) => s.status === 'complete').length / xs.length;
		};
		expect(rateOf((s) => s.metadata?.plan === 'business')).toBeLessThan(rateOf((s) => s.metadata?.plan === 'starter'));
		const expiredEvents = await stripe.events.list({ type: 'checkout.session.expired', limit: 5 });
		expect(expiredEvents.data.length).toBeGreaterThan(0);
	});
});

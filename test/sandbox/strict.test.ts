/**
 * Issue 7: the sandbox is as strict as Stripe. Wall-clock time, idempotency (saved 500s, lost responses, keys in
 * use, key length), webhook endpoint limits and disabling, /v1/events filters, large amounts, prototype keys.
 */
import Stripe from 'stripe';
import { startSandbox, type Sandbox } from '../../sandbox';
import { raw, stripeClient, webhookReceiver } from './helpers';

const T0 = 1_767_225_600; // 2026-01-01T00:00:00Z
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const wallSeconds = () => Math.floor(Date.now() / 1000);

let sb: Sandbox | undefined;
afterEach(async () => {
	await sb?.close();
	sb = undefined;
});

describe('clock', () => {
	it('follows wall time by default: objects and events created a second apart are stamped a second apart', async () => {
		const before = wallSeconds();
		sb = await startSandbox({ seed: 2, rateLimits: false });
		const stripe = stripeClient(sb);
		const a = await stripe.customers.create({ email: 'live-a@example.com' });
		await sleep(1100);
		const b = await stripe.customers.create({ email: 'live-b@example.com' });
		expect(a.created).toBeGreaterThanOrEqual(before);
		expect(b.created).toBeGreaterThan(a.created);
		expect(b.created).toBeLessThanOrEqual(wallSeconds());
		const events = (await stripe.events.list({ type: 'customer.created' })).data;
		expect(events.map((e) => (e.data.object as Stripe.Customer).id)).toEqual([b.id, a.id]);
		expect(events[0].created).toBeGreaterThan(events[1].created);
		// The test clock adds an offset to wall time.
		await sb.clock.advance(3600);
		const c = await stripe.customers.create({});
		expect(c.created).toBeGreaterThanOrEqual(b.created + 3600);
		expect(c.created).toBeLessThanOrEqual(wallSeconds() + 3600);
	});

	it('starts from `now` and moves on from there', async () => {
		sb = await startSandbox({ seed: 2, rateLimits: false, now: T0 });
		expect(sb.clock.now()).toBeLessThanOrEqual(T0 + 1);
		await sleep(1100);
		expect(sb.clock.now()).toBeGreaterThan(T0);
		const res = await raw(sb, 'GET', '/_sandbox/clock');
		expect(res.json).toMatchObject({ mode: 'live' });
	});

	it("runs work that falls due as wall time reaches it (no one advances a long-running sandbox's clock)", async () => {
		sb = await startSandbox({ seed: 2, rateLimits: false });
		const s = sb;
		const ranAt: number[] = [];
		s.world.clock.schedule(s.clock.now() + 1, () => {
			ranAt.push(s.clock.now());
		});
		await sleep(2600);
		expect(ranAt).toHaveLength(1);
	});

	it("clock: 'frozen' pins time until it is set or advanced", async () => {
		sb = await startSandbox({ seed: 2, rateLimits: false, now: T0, clock: 'frozen' });
		const stripe = stripeClient(sb);
		await sleep(1100);
		expect(sb.clock.now()).toBe(T0);
		expect((await stripe.customers.create({})).created).toBe(T0);
		await sb.clock.advance(60);
		expect((await stripe.customers.create({})).created).toBe(T0 + 60);
		expect(sb.clock.mode()).toBe('frozen');
	});

	it('a seed and `now` give the same seeded business on a live clock', async () => {
		const fingerprint = async (s: Sandbox) => (await stripeClient(s).invoices.list({ limit: 100 })).data.map((i) => `${i.id}:${i.created}:${i.status}:${i.amount_due}`);
		sb = await startSandbox({ seed: 8, now: T0, rateLimits: false, seedData: { customers: 15, months: 2 } });
		const again = await startSandbox({ seed: 8, now: T0, rateLimits: false, seedData: { customers: 15, months: 2 } });
		try {
			const a = await fingerprint(sb);
			expect(a.length).toBeGreaterThan(0);
			expect(await fingerprint(again)).toEqual(a);
		} finally {
			await again.close();
		}
	});
});

describe('idempotency (https://docs.stripe.com/api/idempotent_requests)', () => {
	it('rejects keys over 255 characters', async () => {
		sb = await startSandbox({ seed: 4, rateLimits: false });
		const stripe = stripeClient(sb);
		const long = await stripe.customers.create({}, { idempotencyKey: 'k'.repeat(256) }).catch((e: unknown) => e);
		expect(long).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
		expect(long).toMatchObject({ statusCode: 400, message: expect.stringMatching(/255 characters/) });
		expect((await stripe.customers.list()).data).toHaveLength(0);
		await expect(stripe.customers.create({}, { idempotencyKey: 'k'.repeat(255) })).resolves.toMatchObject({ object: 'customer' });
	});

	it('answers 409 idempotency_key_in_use while the first request with a key is still executing, and saves nothing for it', async () => {
		sb = await startSandbox({ seed: 4, rateLimits: false, latencyMs: (r) => (r.method === 'POST' ? 400 : 0) });
		const stripe = stripeClient(sb);
		const both = await Promise.allSettled([
			stripe.customers.create({ email: 'twice@example.com' }, { idempotencyKey: 'double-click' }),
			sleep(100).then(() => stripe.customers.create({ email: 'twice@example.com' }, { idempotencyKey: 'double-click' })),
		]);
		expect(both[0]).toMatchObject({ status: 'fulfilled' });
		expect(both[1]).toMatchObject({ status: 'rejected' });
		const err = (both[1] as PromiseRejectedResult).reason;
		expect(err).toBeInstanceOf(Stripe.errors.StripeAPIError);
		expect(err).toMatchObject({ statusCode: 409, code: 'idempotency_key_in_use', rawType: 'invalid_request_error' });
		// Once the first finished, the key replays its result.
		const again = await stripe.customers.create({ email: 'twice@example.com' }, { idempotencyKey: 'double-click' });
		expect(again.id).toBe((both[0] as PromiseFulfilledResult<Stripe.Customer>).value.id);
		expect(again.lastResponse.headers['idempotent-replayed']).toBe('true');
		expect((await stripe.customers.list({ email: 'twice@example.com' })).data).toHaveLength(1);
	});

	it('a client that retries 409 (stripe-node does) ends with one object', async () => {
		sb = await startSandbox({ seed: 4, rateLimits: false, latencyMs: (r) => (r.method === 'POST' ? 300 : 0) });
		const stripe = stripeClient(sb, { maxNetworkRetries: 3 });
		const [a, b] = await Promise.all([
			stripe.customers.create({ email: 'retry409@example.com' }, { idempotencyKey: 'k409' }),
			sleep(50).then(() => stripe.customers.create({ email: 'retry409@example.com' }, { idempotencyKey: 'k409' })),
		]);
		expect(b.id).toBe(a.id);
		expect(b.lastResponse.headers['idempotent-replayed']).toBe('true');
		expect((await stripe.customers.list({ email: 'retry409@example.com' })).data).toHaveLength(1);
	});

	it('saves a 500 that happened after the work and replays it for the key (errorAfterWorkRate)', async () => {
		sb = await startSandbox({ seed: 4, rateLimits: false, faults: { errorAfterWorkRate: 1 } });
		const body = 'email=after-work%40example.com';
		const first = await raw(sb, 'POST', '/v1/customers', { body, headers: { 'Idempotency-Key': 'k500' } });
		expect(first.status).toBe(500);
		expect(first.json.error.type).toBe('api_error');
		expect(first.headers.get('stripe-should-retry')).toBe('false');
		sb.setFaults({});
		const replay = await raw(sb, 'POST', '/v1/customers', { body, headers: { 'Idempotency-Key': 'k500' } });
		expect(replay.status).toBe(500);
		expect(replay.json).toEqual(first.json);
		expect(replay.headers.get('idempotent-replayed')).toBe('true');
		expect(replay.headers.get('original-request')).toBe(first.headers.get('request-id'));
		// The work itself was done once.
		const stripe = stripeClient(sb);
		expect((await stripe.customers.list({ email: 'after-work@example.com' })).data).toHaveLength(1);
		const err = await stripe.customers.create({ email: 'after-work@example.com' }, { idempotencyKey: 'k500' }).catch((e: unknown) => e);
		expect(err).toBeInstanceOf(Stripe.errors.StripeAPIError);
		expect(err).toMatchObject({ statusCode: 500 });
		// A 500 injected before any work (errorRate) is not saved: the same key then executes.
		sb.setFaults({ errorRate: 1 });
		const before = await raw(sb, 'POST', '/v1/customers', { body: 'email=pre%40example.com', headers: { 'Idempotency-Key': 'kpre' } });
		expect(before.status).toBe(500);
		expect(before.headers.get('stripe-should-retry')).toBe('true');
		sb.setFaults({});
		const executed = await raw(sb, 'POST', '/v1/customers', { body: 'email=pre%40example.com', headers: { 'Idempotency-Key': 'kpre' } });
		expect(executed.status).toBe(200);
		expect(executed.headers.get('idempotent-replayed')).toBeNull();
	});

	it('lost response: the work is done and saved, the connection drops, a retry with the key gets the replay (raw HTTP)', async () => {
		sb = await startSandbox({ seed: 4, rateLimits: false, faults: { lostResponseRate: 1 } });
		const body = 'email=lost%40example.com';
		await expect(raw(sb, 'POST', '/v1/customers', { body, headers: { 'Idempotency-Key': 'lost-1' } })).rejects.toThrow();
		sb.setFaults({});
		const retry = await raw(sb, 'POST', '/v1/customers', { body, headers: { 'Idempotency-Key': 'lost-1' } });
		expect(retry.status).toBe(200);
		expect(retry.headers.get('idempotent-replayed')).toBe('true');
		const list = await raw(sb, 'GET', '/v1/customers?email=lost%40example.com');
		expect(list.json.data.map((c: { id: string }) => c.id)).toEqual([retry.json.id]);
		// Without a key, the same retry performs the work a second time.
		sb.setFaults({ lostResponseRate: 1 });
		await expect(raw(sb, 'POST', '/v1/customers', { body: 'email=nokey%40example.com' })).rejects.toThrow();
		sb.setFaults({});
		await raw(sb, 'POST', '/v1/customers', { body: 'email=nokey%40example.com' });
		expect((await raw(sb, 'GET', '/v1/customers?email=nokey%40example.com')).json.data).toHaveLength(2);
	});

	it('lost response: the official client retries the connection error with its key and creates each object once', async () => {
		sb = await startSandbox({ seed: 4, rateLimits: false, faults: { lostResponseRate: 0.4 } });
		const stripe = stripeClient(sb, { maxNetworkRetries: 6 });
		const created: Stripe.Response<Stripe.Customer>[] = [];
		for (let i = 0; i < 8; i++) created.push(await stripe.customers.create({ email: `client-lost@example.com`, metadata: { i: String(i) } }));
		sb.setFaults({});
		const replayed = created.filter((c) => c.lastResponse.headers['idempotent-replayed'] === 'true');
		expect(replayed.length).toBeGreaterThan(0);
		const listed = (await stripeClient(sb).customers.list({ email: 'client-lost@example.com', limit: 100 })).data;
		expect(listed).toHaveLength(8);
		expect(new Set(listed.map((c) => c.id))).toEqual(new Set(created.map((c) => c.id)));
	});

	it('GET ignores the key', async () => {
		sb = await startSandbox({ seed: 4, rateLimits: false });
		const stripe = stripeClient(sb);
		await raw(sb, 'GET', '/v1/customers', { headers: { 'Idempotency-Key': 'get-key' } });
		await stripe.customers.create({});
		const second = await raw(sb, 'GET', '/v1/customers', { headers: { 'Idempotency-Key': 'get-key' } });
		expect(second.json.data).toHaveLength(1);
		expect(second.headers.get('idempotent-replayed')).toBeNull();
	});
});

describe('webhook endpoints', () => {
	it('accepts only Stripe event types and * in enabled_events', async () => {
		sb = await startSandbox({ seed: 6, rateLimits: false });
		const stripe = stripeClient(sb);
		for (const bad of ['invoice.payed', 'invoice.*', 'v1.invoice.paid', 'nonsense']) {
			const err = await stripe.webhookEndpoints.create({ url: 'https://example.com/hook', enabled_events: ['customer.created', bad as Stripe.WebhookEndpointCreateParams.EnabledEvent] }).catch((e: unknown) => e);
			expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
			expect(err).toMatchObject({ statusCode: 400, param: 'enabled_events', message: expect.stringContaining(`enabled_events[1]: '${bad}'`) });
		}
		const ok = await stripe.webhookEndpoints.create({ url: 'https://example.com/hook', enabled_events: ['invoice.paid', 'customer.subscription.updated'] });
		await expect(stripe.webhookEndpoints.update(ok.id, { enabled_events: ['invoice.paidd' as Stripe.WebhookEndpointUpdateParams.EnabledEvent] })).rejects.toMatchObject({ statusCode: 400, param: 'enabled_events' });
		await expect(stripe.webhookEndpoints.update(ok.id, { enabled_events: ['*'] })).resolves.toMatchObject({ enabled_events: ['*'] });
		expect((await stripe.webhookEndpoints.list()).data).toHaveLength(1);
	});

	it('allows at most 16 endpoints per account', async () => {
		sb = await startSandbox({ seed: 6, rateLimits: false });
		const stripe = stripeClient(sb);
		const made: string[] = [];
		for (let i = 0; i < 16; i++) made.push((await stripe.webhookEndpoints.create({ url: `https://example.com/hook/${i}`, enabled_events: ['*'] })).id);
		const err = await stripe.webhookEndpoints.create({ url: 'https://example.com/hook/16', enabled_events: ['*'] }).catch((e: unknown) => e);
		expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
		expect(err).toMatchObject({ statusCode: 400, message: expect.stringMatching(/maximum of 16 webhook endpoints/) });
		expect((await stripe.webhookEndpoints.list({ limit: 100 })).data).toHaveLength(16);
		await stripe.webhookEndpoints.del(made[0]);
		await expect(stripe.webhookEndpoints.create({ url: 'https://example.com/hook/16', enabled_events: ['*'] })).resolves.toMatchObject({ object: 'webhook_endpoint' });
	});

	it('disables an endpoint whose every delivery failed for 3 days, and stops delivering to it', async () => {
		sb = await startSandbox({ seed: 6, rateLimits: false, now: T0, clock: 'frozen' });
		const stripe = stripeClient(sb);
		const failing = await webhookReceiver(() => 500);
		const healthy = await webhookReceiver(() => 200);
		try {
			const bad = await stripe.webhookEndpoints.create({ url: failing.url, enabled_events: ['customer.created'] });
			const good = await stripe.webhookEndpoints.create({ url: healthy.url, enabled_events: ['customer.created'] });
			for (let h = 0; h < 60; h += 12) {
				await stripe.customers.create({ metadata: { h: String(h) } });
				await sb.deliverWebhooks();
				await sb.clock.advance(12 * 3600);
			}
			// Failing since T0; 2.5 days later it is still enabled (Stripe keeps retrying and emails first).
			expect((await stripe.webhookEndpoints.retrieve(bad.id)).status).toBe('enabled');
			for (let h = 60; h < 96; h += 12) {
				await stripe.customers.create({ metadata: { h: String(h) } });
				await sb.deliverWebhooks();
				await sb.clock.advance(12 * 3600);
			}
			expect((await stripe.webhookEndpoints.retrieve(bad.id)).status).toBe('disabled');
			expect((await stripe.webhookEndpoints.retrieve(good.id)).status).toBe('enabled');
			const attempts = () => sb!.webhookLog().filter((l) => l.endpoint === bad.id).length;
			const n = attempts();
			await stripe.customers.create({});
			await sb.clock.advance(86400);
			expect(attempts()).toBe(n);
			expect(healthy.received.length).toBe(9);
			// Re-enabled, it receives again and its failure streak starts afresh.
			await stripe.webhookEndpoints.update(bad.id, { disabled: false });
			await stripe.customers.create({});
			await sb.deliverWebhooks();
			expect(attempts()).toBe(n + 1);
			expect((await stripe.webhookEndpoints.retrieve(bad.id)).status).toBe('enabled');
		} finally {
			await failing.close();
			await healthy.close();
		}
	});
});

describe('GET /v1/events filters (https://docs.stripe.com/api/events/list)', () => {
	it('takes type (with * groups) or types (at most 20, exact names), not both, and refuses unknown params', async () => {
		sb = await startSandbox({ seed: 9, rateLimits: false });
		const stripe = stripeClient(sb);
		const c = await stripe.customers.create({});
		await stripe.customers.update(c.id, { name: 'x' });
		await stripe.products.create({ name: 'p' });
		const types = (l: Stripe.ApiList<Stripe.Event>) => l.data.map((e) => e.type).sort();
		expect(types(await stripe.events.list({ type: 'customer.*' }))).toEqual(['customer.created', 'customer.updated']);
		expect(types(await stripe.events.list({ types: ['customer.created', 'product.created'] }))).toEqual(['customer.created', 'product.created']);
		expect(types(await stripe.events.list({ types: ['customer.*'] }))).toEqual([]);
		const both = await stripe.events.list({ type: 'customer.created', types: ['product.created'] }).catch((e: unknown) => e);
		expect(both).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
		expect(both).toMatchObject({ statusCode: 400, message: expect.stringMatching(/type, types/) });
		const twenty = Array.from({ length: 20 }, (_v, i) => (i === 0 ? 'customer.created' : `customer.type_${i}`));
		expect(types(await stripe.events.list({ types: twenty }))).toEqual(['customer.created']);
		const tooMany = await stripe.events.list({ types: [...twenty, 'product.created'] }).catch((e: unknown) => e);
		expect(tooMany).toMatchObject({ statusCode: 400, param: 'types' });
		const unknown = await raw(sb, 'GET', '/v1/events?typ=customer.created');
		expect(unknown.status).toBe(400);
		expect(unknown.json.error).toMatchObject({ type: 'invalid_request_error', code: 'parameter_unknown', param: 'typ' });
	});
});

describe('amounts above 2^31', () => {
	it('refuses a PaymentIntent above Stripe\'s 8-digit maximum, as Stripe does', async () => {
		sb = await startSandbox({ seed: 10, rateLimits: false });
		const stripe = stripeClient(sb);
		const err = await stripe.paymentIntents.create({ amount: 3_000_000_000, currency: 'usd' }).catch((e: unknown) => e);
		expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
		expect(err).toMatchObject({ statusCode: 400, code: 'amount_too_large', param: 'amount' });
		const max = await stripe.paymentIntents.create({ amount: 99_999_999, currency: 'usd' });
		expect(max.amount).toBe(99_999_999);
		await expect(stripe.paymentIntents.update(max.id, { amount: 100_000_000 })).rejects.toMatchObject({ statusCode: 400, code: 'amount_too_large' });
	});

	it('keeps ledger amounts exact past 2^31: a payout of 25 maximal charges and its balance transaction', async () => {
		sb = await startSandbox({ seed: 10, rateLimits: false, now: T0, clock: 'frozen' });
		const stripe = stripeClient(sb);
		const c = await stripe.customers.create({});
		let net = 0;
		for (let i = 0; i < 25; i++) {
			const pi = await stripe.paymentIntents.create({ amount: 99_999_999, currency: 'usd', customer: c.id, payment_method: 'pm_card_visa', confirm: true });
			const charge = await stripe.charges.retrieve(pi.latest_charge as string, { expand: ['balance_transaction'] });
			const bt = charge.balance_transaction as Stripe.BalanceTransaction;
			expect(bt.amount).toBe(99_999_999);
			net += bt.net;
		}
		expect(net).toBeGreaterThan(2 ** 31);
		const balance = await stripe.balance.retrieve();
		expect(balance.pending[0].amount).toBe(net);
		await sb.clock.advance(4 * 86400);
		const payouts = (await stripe.payouts.list({ limit: 10 })).data;
		expect(payouts.map((p) => p.amount)).toEqual([net]);
		const payoutTxn = await stripe.balanceTransactions.retrieve(payouts[0].balance_transaction as string);
		expect(payoutTxn).toMatchObject({ type: 'payout', amount: -net, net: -net });
		const swept = await stripe.balanceTransactions.list({ payout: payouts[0].id, limit: 100 });
		expect(swept.data.filter((t) => t.type === 'charge').reduce((s, t) => s + t.net, 0)).toBe(net);
	});

	it('keeps invoice item and meter event amounts above 2^31 exact (Stripe sets no 8-digit limit there)', async () => {
		sb = await startSandbox({ seed: 10, rateLimits: false, now: T0, clock: 'frozen' });
		const stripe = stripeClient(sb);
		const c = await stripe.customers.create({});
		const item = await stripe.invoiceItems.create({ customer: c.id, amount: 3_000_000_000, currency: 'jpy' });
		expect((await stripe.invoiceItems.retrieve(item.id)).amount).toBe(3_000_000_000);
		const inv = await stripe.invoices.create({ customer: c.id, pending_invoice_items_behavior: 'include' });
		expect((await stripe.invoices.retrieve(inv.id as string)).total).toBe(3_000_000_000);
		const meter = await stripe.billing.meters.create({ display_name: 'Bytes', event_name: 'bytes', default_aggregation: { formula: 'sum' } });
		await stripe.billing.meterEvents.create({ event_name: 'bytes', payload: { stripe_customer_id: c.id, value: '3000000000' }, timestamp: T0 });
		await stripe.billing.meterEvents.create({ event_name: 'bytes', payload: { stripe_customer_id: c.id, value: '2500000000' }, timestamp: T0 });
		const summaries = await stripe.billing.meters.listEventSummaries(meter.id, { customer: c.id, start_time: T0 - 3600, end_time: T0 + 3600 });
		expect(summaries.data.reduce((s, x) => s + x.aggregated_value, 0)).toBe(5_500_000_000);
	});
});

describe('prototype keys in bodies and queries', () => {
	const polluted = () => (({}) as Record<string, unknown>).polluted;

	it.each([
		['__proto__[polluted]=yes'],
		['metadata[__proto__][polluted]=yes'],
		['email=a%40b.c&constructor[prototype][polluted]=yes'],
		['address[prototype]=x'],
		['metadata[constructor]=x'],
		['%5F%5Fproto%5F%5F%5Bpolluted%5D=yes'],
	])('form body %s -> 400, nothing created, no pollution', async (body) => {
		sb = await startSandbox({ seed: 11, rateLimits: false });
		const res = await raw(sb, 'POST', '/v1/customers', { body });
		expect(polluted()).toBeUndefined();
		expect(res.status).toBe(400);
		expect(res.json.error.type).toBe('invalid_request_error');
		expect((await raw(sb, 'GET', '/v1/customers')).json.data).toHaveLength(0);
	});

	it('query string -> 400', async () => {
		sb = await startSandbox({ seed: 11, rateLimits: false });
		const res = await raw(sb, 'GET', '/v1/customers?__proto__[polluted]=yes');
		expect(polluted()).toBeUndefined();
		expect(res.status).toBe(400);
		expect(res.json.error.type).toBe('invalid_request_error');
	});

	it.each([
		['{"__proto__": {"polluted": "yes"}}'],
		['{"webhook_endpoint": {"url": "http://127.0.0.1:9/x", "constructor": {"prototype": {"polluted": "yes"}}}}'],
		['{"metadata": [{"prototype": "x"}]}'],
	])('JSON body %s -> 400, nothing created', async (extra) => {
		sb = await startSandbox({ seed: 11, rateLimits: false });
		const valid = { name: 'x', type: 'webhook_endpoint', event_payload: 'thin', enabled_events: ['v1.invoice.paid'], webhook_endpoint: { url: 'http://127.0.0.1:9/x' } };
		const body = JSON.stringify({ ...valid, ...JSON.parse(extra.replace('"__proto__"', '"__proto_placeholder__"')) }).replace('"__proto_placeholder__"', '"__proto__"');
		const res = await raw(sb, 'POST', '/v2/core/event_destinations', { body, headers: { 'Content-Type': 'application/json' } });
		expect(polluted()).toBeUndefined();
		expect(res.status).toBe(400);
		expect(res.json.error.type).toBe('invalid_request_error');
		expect((await raw(sb, 'GET', '/v2/core/event_destinations')).json.data).toHaveLength(0);
		// The same body without the key is accepted (so the 400 above is about the key).
		const ok = await raw(sb, 'POST', '/v2/core/event_destinations', { body: JSON.stringify(valid), headers: { 'Content-Type': 'application/json' } });
		expect(ok.status).toBe(200);
	});
});

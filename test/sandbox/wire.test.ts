import Stripe from 'stripe';
import { parseForm } from '../../sandbox/core/form';
import { startSandbox, type Sandbox } from '../../sandbox';
import { raw, stripeClient } from './helpers';

describe('form parsing (as Stripe reads bodies)', () => {
	it.each([
		['a=1&b=x%20y', { a: '1', b: 'x y' }],
		['metadata[order]=42&metadata[0]=zero', { metadata: { order: '42', '0': 'zero' } }],
		['address[city]=Paris&address[country]=FR', { address: { city: 'Paris', country: 'FR' } }],
		['items[0][price]=p1&items[1][price]=p2&items[1][quantity]=3', { items: [{ price: 'p1' }, { price: 'p2', quantity: '3' }] }],
		['expand[]=customer&expand[]=latest_invoice', { expand: ['customer', 'latest_invoice'] }],
		['expand[0]=customer', { expand: ['customer'] }],
		['a[b][c]=deep', { a: { b: { c: 'deep' } } }],
		['description=', { description: '' }],
		['created%5Bgte%5D=10&q=a+b', { created: { gte: '10' }, q: 'a b' }],
	])('%s', (body, expected) => {
		expect(parseForm(body)).toEqual(expected);
	});
});

describe('wire behaviour', () => {
	let sb: Sandbox;
	let stripe: Stripe;
	beforeAll(async () => {
		sb = await startSandbox({ seed: 3, rateLimits: false, now: 1_760_000_000, clock: 'frozen' });
		stripe = stripeClient(sb);
	});
	afterAll(() => sb.close());

	it('rejects a missing or unknown key with 401 and a Request-Id', async () => {
		const missing = await raw(sb, 'GET', '/v1/customers', { auth: null });
		expect(missing.status).toBe(401);
		expect(missing.json.error.type).toBe('invalid_request_error');
		expect(missing.json.error.message).toMatch(/You did not provide an API key/);
		expect(missing.headers.get('request-id')).toMatch(/^req_/);
		const wrong = await raw(sb, 'GET', '/v1/customers', { auth: 'Bearer sk_test_wrongwrongwrong' });
		expect(wrong.status).toBe(401);
		expect(wrong.json.error.message).toMatch(/^Invalid API Key provided: sk_test_/);
		await expect(stripeClient({ port: sb.port, secretKey: 'sk_test_nope' }).customers.list()).rejects.toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
	});

	it('accepts Basic auth (curl -u key:) and answers unknown URLs with 404', async () => {
		const basic = await raw(sb, 'GET', '/v1/balance', { auth: `Basic ${Buffer.from(`${sb.secretKey}:`).toString('base64')}` });
		expect(basic.status).toBe(200);
		expect(basic.json.object).toBe('balance');
		const nope = await raw(sb, 'GET', '/v1/nope');
		expect(nope.status).toBe(404);
		expect(nope.json.error.message).toMatch(/Unrecognized request URL \(GET: \/v1\/nope\)/);
		expect(nope.headers.get('request-id')).toMatch(/^req_/);
	});

	it('returns Stripe-shaped errors: missing, unknown and invalid params, missing resources', async () => {
		const missing = await raw(sb, 'POST', '/v1/prices', { body: 'currency=usd&unit_amount=100' });
		expect(missing.status).toBe(400);
		expect(missing.json.error).toMatchObject({ type: 'invalid_request_error', code: 'parameter_missing', param: 'product' });
		const unknown = await raw(sb, 'POST', '/v1/customers', { body: 'emial=x@y.z' });
		expect(unknown.json.error).toMatchObject({ code: 'parameter_unknown', param: 'emial' });
		const err = await stripe.customers.retrieve('cus_missing').catch((e: unknown) => e);
		expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
		expect(err).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'id', message: "No such customer: 'cus_missing'" });
		expect((err as Stripe.errors.StripeError).requestId).toMatch(/^req_/);
		const limit = await stripe.customers.list({ limit: 101 }).catch((e: unknown) => e);
		expect(limit).toMatchObject({ statusCode: 400, param: 'limit' });
	});

	it('lists newest first with has_more, starting_after, ending_before and created filters', async () => {
		const created: string[] = [];
		for (let i = 0; i < 7; i++) {
			created.push((await stripe.customers.create({ email: `list${i}@example.com`, metadata: { i: String(i) } })).id);
			await sb.clock.advance(10);
		}
		const newest = [...created].reverse();
		const page1 = await stripe.customers.list({ limit: 3 });
		expect(page1.object).toBe('list');
		expect(page1.url).toBe('/v1/customers');
		expect(page1.has_more).toBe(true);
		expect(page1.data.map((c) => c.id)).toEqual(newest.slice(0, 3));
		const page2 = await stripe.customers.list({ limit: 3, starting_after: page1.data[2].id });
		expect(page2.data.map((c) => c.id)).toEqual(newest.slice(3, 6));
		const back = await stripe.customers.list({ limit: 2, ending_before: page2.data[0].id });
		expect(back.data.map((c) => c.id)).toEqual(newest.slice(1, 3));
		expect(back.has_more).toBe(true);
		const t3 = (await stripe.customers.retrieve(created[3])) as Stripe.Customer;
		const ranged = await stripe.customers.list({ created: { gte: t3.created, lt: t3.created + 20 } });
		expect(ranged.data.map((c) => c.id)).toEqual([created[4], created[3]]);
		const seen: string[] = [];
		for await (const c of stripe.customers.list({ limit: 2 })) seen.push(c.id);
		expect(seen.filter((id) => created.includes(id))).toEqual(newest);
	});

	it('replays an idempotent request and refuses the key with other params', async () => {
		const first = await stripe.customers.create({ email: 'idem@example.com' }, { idempotencyKey: 'key-1' });
		const again = await stripe.customers.create({ email: 'idem@example.com' }, { idempotencyKey: 'key-1' });
		expect(again.id).toBe(first.id);
		expect(again.lastResponse.headers['idempotent-replayed']).toBe('true');
		expect(again.lastResponse.headers['original-request']).toBe(first.lastResponse.requestId);
		const count = (await stripe.customers.list({ email: 'idem@example.com' })).data.length;
		expect(count).toBe(1);
		const conflict = await stripe.customers.create({ email: 'other@example.com' }, { idempotencyKey: 'key-1' }).catch((e: unknown) => e);
		expect(conflict).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
		expect(conflict).toMatchObject({ statusCode: 400, type: 'StripeIdempotencyError', rawType: 'idempotency_error' });
	});

	it('expands ids, nested paths and list items', async () => {
		const c = await stripe.customers.create({ email: 'exp@example.com', payment_method: 'pm_card_visa', invoice_settings: { default_payment_method: 'pm_card_visa' } });
		const got = await stripe.customers.retrieve(c.id, { expand: ['invoice_settings.default_payment_method'] });
		const pm = (got as Stripe.Customer).invoice_settings.default_payment_method as Stripe.PaymentMethod;
		expect(pm.object).toBe('payment_method');
		expect(pm.card?.last4).toBe('4242');
		const pi = await stripe.paymentIntents.create({ amount: 1200, currency: 'usd', customer: c.id, payment_method: pm.id, confirm: true });
		const charges = await stripe.charges.list({ customer: c.id, expand: ['data.balance_transaction', 'data.customer'] });
		const bt = charges.data[0].balance_transaction as Stripe.BalanceTransaction;
		expect(bt.object).toBe('balance_transaction');
		expect(bt.source).toBe(charges.data[0].id);
		expect((charges.data[0].customer as Stripe.Customer).email).toBe('exp@example.com');
		expect(pi.status).toBe('succeeded');
		const bad = await stripe.customers.retrieve(c.id, { expand: ['email'] }).catch((e: unknown) => e);
		expect(bad).toMatchObject({ statusCode: 400, param: 'expand' });
	});

	it('metadata updates merge and unset with empty strings', async () => {
		const c = await stripe.customers.create({ metadata: { a: '1', b: '2' } });
		const u = await stripe.customers.update(c.id, { metadata: { a: '', c: '3' } });
		expect(u.metadata).toEqual({ b: '2', c: '3' });
		const d = await stripe.customers.update(c.id, { description: 'x' });
		expect(d.description).toBe('x');
		const cleared = await stripe.customers.update(c.id, { description: '' });
		expect(cleared.description).toBeNull();
	});

	it('moves the test clock and stamps objects with it', async () => {
		const t = sb.clock.now();
		sb.clock.set(t + 1000);
		const c = await stripe.customers.create({});
		expect(c.created).toBe(t + 1000);
		await sb.clock.advance(500);
		expect(sb.clock.now()).toBe(t + 1500);
		const ctl = await raw(sb, 'POST', '/_sandbox/clock/advance', { body: 'seconds=100' });
		expect(ctl.json.now).toBe(t + 1600);
	});
});

/**
 * The sandbox as strict as Stripe where metering depends on it (official client): the v2 stream's
 * 10,000 events/s counts events, not requests; event names and identifiers of at most 100
 * characters; cancels only for events received in the last 24 hours; customer search with OR.
 */
import Stripe from 'stripe';
import { startSandbox, type Sandbox } from '../../sandbox';
import { stripeClient } from './helpers';

const HOUR = 3600;

describe('meter limits', () => {
	let sb: Sandbox;
	let stripe: Stripe;
	let customer: Stripe.Customer;
	const now = Date.UTC(2026, 4, 1, 10) / 1000;
	beforeAll(async () => {
		// Stream limit lowered to 100 events/s: one full request (100 events) takes the whole second's budget, and
		// refilling it takes a second of wall-clock time (a margin that a loaded CI machine keeps; with 300/s and a
		// fourth request, 333 ms of delay between the requests let it through).
		sb = await startSandbox({ seed: 4, now, clock: 'frozen', rateLimits: { opsPerSecond: 1000, meterEventsPerSecond: 1000, meterEventStreamPerSecond: 100 } });
		stripe = stripeClient(sb);
		await stripe.billing.meters.create({ display_name: 'Calls', event_name: 'calls', default_aggregation: { formula: 'sum' } });
		customer = await stripe.customers.create({ email: 'limits@example.com', name: 'Ada Lovelace' });
	});
	afterAll(() => sb.close());

	const events = (n: number, prefix: string) => Array.from({ length: n }, (_v, i) => ({ event_name: 'calls', identifier: `${prefix}-${i}`, payload: { stripe_customer_id: customer.id, value: '1' } }));

	it('counts stream events against the events-per-second limit, not requests', async () => {
		const session = await stripe.v2.billing.meterEventSession.create();
		const send = (batch: ReturnType<typeof events>) => stripe.v2.billing.meterEventStream.create({ events: batch }, { apiKey: session.authentication_token });
		await send(events(100, 'a'));
		// 100 events used the second's budget: a second request of 100 is refused although only one request was made
		// (a limit on requests, at 1,000 per second here, would let it through).
		await expect(send(events(100, 'b'))).rejects.toMatchObject({ statusCode: 429 });
	});

	it('refuses event names and identifiers over 100 characters (v1)', async () => {
		const long = 'x'.repeat(101);
		await expect(stripe.billing.meterEvents.create({ event_name: 'calls', identifier: long, payload: { stripe_customer_id: customer.id, value: '1' } })).rejects.toMatchObject({ statusCode: 400, param: 'identifier' });
		await expect(stripe.billing.meterEvents.create({ event_name: long, payload: { stripe_customer_id: customer.id, value: '1' } })).rejects.toMatchObject({ statusCode: 400, param: 'event_name' });
		await stripe.billing.meterEvents.create({ event_name: 'calls', identifier: 'y'.repeat(100), payload: { stripe_customer_id: customer.id, value: '1' } });
	});

	it('cancels an event within 24 hours of receiving it, not after', async () => {
		await stripe.billing.meterEvents.create({ event_name: 'calls', identifier: 'cancel-soon', payload: { stripe_customer_id: customer.id, value: '5' } });
		await stripe.billing.meterEvents.create({ event_name: 'calls', identifier: 'cancel-late', payload: { stripe_customer_id: customer.id, value: '5' } });
		await sb.clock.advance(23 * HOUR);
		await stripe.billing.meterEventAdjustments.create({ event_name: 'calls', type: 'cancel', cancel: { identifier: 'cancel-soon' } });
		await sb.clock.advance(2 * HOUR);
		const err = (await stripe.billing.meterEventAdjustments.create({ event_name: 'calls', type: 'cancel', cancel: { identifier: 'cancel-late' } }).catch((e: unknown) => e)) as Stripe.errors.StripeError;
		expect(err).toMatchObject({ statusCode: 400, param: 'cancel[identifier]' });
		expect(err.message).toContain('last 24 hours');
	});

	it('searches customers with OR (and refuses AND mixed with OR)', async () => {
		await stripe.customers.create({ email: 'grace@example.com', name: 'Grace Hopper' });
		const found = await stripe.customers.search({ query: "email~'limits@' OR name~'grace'" });
		expect(found.data.map((c) => c.email).sort()).toEqual(['grace@example.com', 'limits@example.com']);
		await expect(stripe.customers.search({ query: "email~'a' OR name~'b' AND email~'c'" })).rejects.toMatchObject({ statusCode: 400, param: 'query' });
	});
});

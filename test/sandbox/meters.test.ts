import Stripe from 'stripe';
import { startSandbox, type Sandbox } from '../../sandbox';
import { stripeClient, webhookReceiver } from './helpers';

const HOUR = 3600;

describe('billing meters, meter events, sessions and streams', () => {
	let sb: Sandbox;
	let stripe: Stripe;
	let meter: Stripe.Billing.Meter;
	let customer: Stripe.Customer;
	const now = Date.UTC(2026, 4, 1, 10) / 1000;
	beforeAll(async () => {
		sb = await startSandbox({ seed: 8, rateLimits: false, now, clock: 'frozen' });
		stripe = stripeClient(sb);
		meter = await stripe.billing.meters.create({ display_name: 'API calls', event_name: 'api_call', default_aggregation: { formula: 'sum' }, customer_mapping: { event_payload_key: 'stripe_customer_id', type: 'by_id' }, value_settings: { event_payload_key: 'value' } });
		customer = await stripe.customers.create({ email: 'meter@example.com' });
	});
	afterAll(() => sb.close());

	const summary = async (start: number, end: number) =>
		(await stripe.billing.meters.listEventSummaries(meter.id, { customer: customer.id, start_time: start, end_time: end })).data.reduce((s, x) => s + x.aggregated_value, 0);

	it('accepts a v2 stream call with a session token, and it shows in the event summaries', async () => {
		const session = await stripe.v2.billing.meterEventSession.create();
		expect(session.object).toBe('v2.billing.meter_event_session');
		expect(session.authentication_token).toMatch(/^mes_token_/);
		expect(Date.parse(session.expires_at) - Date.parse(session.created)).toBe(15 * 60 * 1000);
		// The stream lives on meter-events.stripe.com; a client with `host` set sends it to the same host.
		const streamClient = stripeClient(sb);
		await streamClient.v2.billing.meterEventStream.create(
			{
				events: [
					{ event_name: 'api_call', identifier: 's-1', payload: { stripe_customer_id: customer.id, value: '25' }, timestamp: new Date((now - 60) * 1000).toISOString() },
					{ event_name: 'api_call', identifier: 's-2', payload: { stripe_customer_id: customer.id, value: '17' }, timestamp: new Date((now - 30) * 1000).toISOString() },
				],
			},
			{ apiKey: session.authentication_token },
		);
		expect(await summary(now - HOUR, now + HOUR)).toBe(42);
		const byHour = await stripe.billing.meters.listEventSummaries(meter.id, { customer: customer.id, start_time: now - 2 * HOUR, end_time: now + HOUR, value_grouping_window: 'hour' });
		expect(byHour.data.map((s) => s.aggregated_value)).toEqual([0, 42, 0]);
		expect(byHour.data[0]).toMatchObject({ object: 'billing.meter_event_summary', meter: meter.id });
	});

	it('refuses the secret key, unknown tokens and expired sessions on the stream', async () => {
		const body = { events: [{ event_name: 'api_call', payload: { stripe_customer_id: customer.id, value: '1' } }] };
		await expect(stripe.v2.billing.meterEventStream.create(body)).rejects.toMatchObject({ statusCode: 401 });
		await expect(stripe.v2.billing.meterEventStream.create(body, { apiKey: 'mes_token_bogus' })).rejects.toMatchObject({ statusCode: 401 });
		const session = await stripe.v2.billing.meterEventSession.create();
		await sb.clock.advance(15 * 60);
		const err = await stripe.v2.billing.meterEventStream.create(body, { apiKey: session.authentication_token }).catch((e: unknown) => e);
		expect(err).toBeInstanceOf(Stripe.errors.TemporarySessionExpiredError);
	});

	it('caps a stream request at 100 events', async () => {
		const session = await stripe.v2.billing.meterEventSession.create();
		const events = Array.from({ length: 101 }, (_v, i) => ({ event_name: 'api_call', identifier: `cap-${i}`, payload: { stripe_customer_id: customer.id, value: '1' } }));
		await expect(stripe.v2.billing.meterEventStream.create({ events }, { apiKey: session.authentication_token })).rejects.toMatchObject({ statusCode: 400 });
		await stripe.v2.billing.meterEventStream.create({ events: events.slice(0, 100) }, { apiKey: session.authentication_token });
	});

	it('dedupes v1 meter events by identifier and enforces the timestamp window', async () => {
		const t = sb.clock.now();
		const before = await summary(t - 40 * 86400, t + HOUR);
		const ev = await stripe.billing.meterEvents.create({ event_name: 'api_call', identifier: 'v1-a', payload: { stripe_customer_id: customer.id, value: '5' } });
		expect(ev).toMatchObject({ object: 'billing.meter_event', identifier: 'v1-a', timestamp: t });
		await expect(stripe.billing.meterEvents.create({ event_name: 'api_call', identifier: 'v1-a', payload: { stripe_customer_id: customer.id, value: '5' } })).rejects.toMatchObject({ statusCode: 400, param: 'identifier' });
		await expect(stripe.billing.meterEvents.create({ event_name: 'api_call', payload: { stripe_customer_id: customer.id, value: '5' }, timestamp: t - 36 * 86400 })).rejects.toMatchObject({ statusCode: 400, param: 'timestamp' });
		await expect(stripe.billing.meterEvents.create({ event_name: 'api_call', payload: { stripe_customer_id: customer.id, value: '5' }, timestamp: t + 301 })).rejects.toMatchObject({ statusCode: 400, param: 'timestamp' });
		await stripe.billing.meterEvents.create({ event_name: 'api_call', payload: { stripe_customer_id: customer.id, value: '3' }, timestamp: t - 34 * 86400 });
		await stripe.billing.meterEvents.create({ event_name: 'api_call', payload: { stripe_customer_id: customer.id, value: '2' }, timestamp: t + 300 });
		expect(await summary(t - 40 * 86400, t + HOUR)).toBe(before + 10);
		const adj = await stripe.billing.meterEventAdjustments.create({ event_name: 'api_call', type: 'cancel', cancel: { identifier: 'v1-a' } });
		expect(adj).toMatchObject({ object: 'billing.meter_event_adjustment', status: 'complete' });
		expect(await summary(t - 40 * 86400, t + HOUR)).toBe(before + 5);
	});

	it('bills metered usage at the period end', async () => {
		const product = await stripe.products.create({ name: 'Usage' });
		const price = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 2, recurring: { interval: 'month', usage_type: 'metered', meter: meter.id } });
		const c = await stripe.customers.create({ payment_method: 'pm_card_visa', invoice_settings: { default_payment_method: 'pm_card_visa' } });
		const sub = await stripe.subscriptions.create({ customer: c.id, items: [{ price: price.id }] });
		await stripe.billing.meterEvents.create({ event_name: 'api_call', payload: { stripe_customer_id: c.id, value: '1500' } });
		await sb.clock.advance(sub.items.data[0].current_period_end - sb.clock.now() + 2 * HOUR);
		const [inv] = (await stripe.invoices.list({ subscription: sub.id, limit: 1 })).data;
		expect(inv).toMatchObject({ billing_reason: 'subscription_cycle', amount_due: 3000, status: 'paid' });
		expect(inv.lines.data[0]).toMatchObject({ quantity: 1500, amount: 3000 });
	});

	it('reports stream events with no meter as thin events to event destinations', async () => {
		const rx = await webhookReceiver();
		try {
			const dest = (await stripe.rawRequest('POST', '/v2/core/event_destinations', { name: 'meter errors', type: 'webhook_endpoint', event_payload: 'thin', enabled_events: ['v1.billing.meter.no_meter_found'], webhook_endpoint: { url: rx.url } })) as unknown as { webhook_endpoint: { signing_secret: string } };
			const session = await stripe.v2.billing.meterEventSession.create();
			await stripe.v2.billing.meterEventStream.create({ events: [{ event_name: 'nope', payload: { stripe_customer_id: customer.id, value: '1' } }] }, { apiKey: session.authentication_token });
			await sb.deliverWebhooks();
			expect(rx.received).toHaveLength(1);
			const note = stripe.parseEventNotification(rx.received[0].body, rx.received[0].headers['stripe-signature'] as string, dest.webhook_endpoint.signing_secret);
			expect(note).toMatchObject({ type: 'v1.billing.meter.no_meter_found' });
			expect(JSON.parse(rx.received[0].body).object).toBe('v2.core.event');
		} finally {
			await rx.close();
		}
	});
});

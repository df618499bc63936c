import Stripe from 'stripe';
import { startSandbox, type Sandbox } from '../../sandbox';
import { stripeClient, webhookReceiver } from './helpers';

describe('webhook delivery', () => {
	let sb: Sandbox;
	let stripe: Stripe;
	beforeEach(async () => {
		sb = await startSandbox({ seed: 21, rateLimits: false, clock: 'frozen' });
		stripe = stripeClient(sb);
	});
	afterEach(() => sb.close());

	it('signs every delivery so constructEvent accepts it and rejects a tampered body', async () => {
		const rx = await webhookReceiver();
		try {
			const ep = await stripe.webhookEndpoints.create({ url: rx.url, enabled_events: ['*'] });
			expect(ep.secret).toMatch(/^whsec_/);
			expect((await stripe.webhookEndpoints.retrieve(ep.id)).secret).toBeUndefined();
			const c = await stripe.customers.create({ email: 'wh@example.com' });
			await stripe.customers.update(c.id, { name: 'Hook' });
			await stripe.paymentIntents.create({ amount: 999, currency: 'usd', customer: c.id, payment_method: 'pm_card_visa', confirm: true });
			await sb.deliverWebhooks();
			expect(rx.received).toHaveLength(5);
			const types: string[] = [];
			for (const r of rx.received) {
				const ev = stripe.webhooks.constructEvent(r.body, r.headers['stripe-signature'] as string, ep.secret as string);
				types.push(ev.type);
				expect(ev.object).toBe('event');
			}
			expect(types.sort()).toEqual(['charge.succeeded', 'customer.created', 'customer.updated', 'payment_intent.created', 'payment_intent.succeeded']);
			const updated = rx.received.map((r) => JSON.parse(r.body)).find((e) => e.type === 'customer.updated');
			expect(updated.data.previous_attributes).toEqual({ name: null });
			const tampered = rx.received[0].body.replace('"livemode": false', '"livemode": true');
			expect(() => stripe.webhooks.constructEvent(tampered, rx.received[0].headers['stripe-signature'] as string, ep.secret as string)).toThrow(Stripe.errors.StripeSignatureVerificationError);
			expect(() => stripe.webhooks.constructEvent(rx.received[0].body, rx.received[0].headers['stripe-signature'] as string, 'whsec_wrong')).toThrow(Stripe.errors.StripeSignatureVerificationError);
			const events = await stripe.events.list({ limit: 100 });
			expect(events.data.every((e) => e.pending_webhooks === 0)).toBe(true);
		} finally {
			await rx.close();
		}
	});

	it('delivers only matching enabled events, and none to disabled endpoints', async () => {
		const rx = await webhookReceiver();
		const rx2 = await webhookReceiver();
		try {
			// Stripe takes event names or '*' here (no 'invoice.*' groups: see strict.test.ts).
			await stripe.webhookEndpoints.create({ url: rx.url, enabled_events: ['invoice.created', 'invoice.deleted', 'customer.created'] });
			const off = await stripe.webhookEndpoints.create({ url: rx2.url, enabled_events: ['*'] });
			await stripe.webhookEndpoints.update(off.id, { disabled: true });
			const c = await stripe.customers.create({});
			await stripe.customers.update(c.id, { name: 'x' });
			const inv = await stripe.invoices.create({ customer: c.id });
			await stripe.invoices.del(inv.id as string);
			await sb.deliverWebhooks();
			expect(rx.received.map((r) => JSON.parse(r.body).type).sort()).toEqual(['customer.created', 'invoice.created', 'invoice.deleted']);
			expect(rx2.received).toHaveLength(0);
		} finally {
			await rx.close();
			await rx2.close();
		}
	});

	it('retries a failing endpoint with backoff on the test clock', async () => {
		const rx = await webhookReceiver((_r, n) => (n <= 2 ? 500 : 200));
		try {
			await stripe.webhookEndpoints.create({ url: rx.url, enabled_events: ['customer.created'] });
			const c = await stripe.customers.create({});
			await sb.deliverWebhooks();
			expect(rx.received).toHaveLength(1);
			expect((await stripe.events.list({ type: 'customer.created' })).data[0].pending_webhooks).toBe(1);
			await sb.clock.advance(59);
			expect(rx.received).toHaveLength(1);
			await sb.clock.advance(1);
			expect(rx.received).toHaveLength(2);
			await sb.clock.advance(300);
			expect(rx.received).toHaveLength(3);
			const ids = new Set(rx.received.map((r) => JSON.parse(r.body).data.object.id));
			expect([...ids]).toEqual([c.id]);
			expect(sb.webhookLog().map((l) => [l.attempt, l.status])).toEqual([
				[1, 500],
				[2, 500],
				[3, 200],
			]);
			expect((await stripe.events.list({ type: 'customer.created' })).data[0].pending_webhooks).toBe(0);
		} finally {
			await rx.close();
		}
	});

	it('signs with both secrets during a roll, then only the new one', async () => {
		const rx = await webhookReceiver();
		try {
			const ep = await stripe.webhookEndpoints.create({ url: rx.url, enabled_events: ['customer.created'] });
			const rolled = (await stripe.webhookEndpoints.update(ep.id, { roll_secret: true, roll_secret_expires_in: 3600 } as Stripe.WebhookEndpointUpdateParams)) as Stripe.WebhookEndpoint;
			expect(rolled.secret).toMatch(/^whsec_/);
			expect(rolled.secret).not.toBe(ep.secret);
			await stripe.customers.create({});
			await sb.deliverWebhooks();
			const h1 = rx.received[0].headers['stripe-signature'] as string;
			expect(h1.split(',').filter((p) => p.startsWith('v1='))).toHaveLength(2);
			stripe.webhooks.constructEvent(rx.received[0].body, h1, ep.secret as string);
			stripe.webhooks.constructEvent(rx.received[0].body, h1, rolled.secret as string);
			await sb.clock.advance(3601);
			await stripe.customers.create({});
			await sb.deliverWebhooks();
			const h2 = rx.received[1].headers['stripe-signature'] as string;
			expect(h2.split(',').filter((p) => p.startsWith('v1='))).toHaveLength(1);
			expect(() => stripe.webhooks.constructEvent(rx.received[1].body, h2, ep.secret as string)).toThrow(Stripe.errors.StripeSignatureVerificationError);
			stripe.webhooks.constructEvent(rx.received[1].body, h2, rolled.secret as string);
		} finally {
			await rx.close();
		}
	});

	it('duplicates and shuffles deliveries when asked, deterministically by seed', async () => {
		const run = async () => {
			const s = await startSandbox({ seed: 99, rateLimits: false, now: 1_770_000_000, webhooks: { duplicateRate: 0.5, shuffle: true, autoDeliver: false } });
			const rx = await webhookReceiver();
			try {
				const client = stripeClient(s);
				await client.webhookEndpoints.create({ url: rx.url, enabled_events: ['customer.created'] });
				for (let i = 0; i < 12; i++) await client.customers.create({ metadata: { i: String(i) } });
				await s.deliverWebhooks();
				return rx.received.map((r) => JSON.parse(r.body).data.object.metadata.i as string);
			} finally {
				await rx.close();
				await s.close();
			}
		};
		const a = await run();
		const b = await run();
		expect(a).toEqual(b);
		expect(a.length).toBeGreaterThan(12);
		expect(new Set(a).size).toBe(12);
		expect(a.slice(0, 12)).not.toEqual(Array.from({ length: 12 }, (_v, i) => String(i)));
	});

	it('keeps events for 30 days', async () => {
		const c = await stripe.customers.create({});
		const [ev] = (await stripe.events.list({ type: 'customer.created' })).data;
		expect((ev.data.object as Stripe.Customer).id).toBe(c.id);
		expect(ev.request).toMatchObject({ id: expect.stringMatching(/^req_/) });
		await sb.clock.advance(31 * 86400);
		await expect(stripe.events.retrieve(ev.id)).rejects.toMatchObject({ statusCode: 404 });
		expect((await stripe.events.list({ type: 'customer.created' })).data).toHaveLength(0);
		await stripe.customers.create({});
		expect((await stripe.events.list({ type: 'customer.created' })).data).toHaveLength(1);
	});
	it('sends thin v1.* notifications to event destinations, fetchable as v2 events', async () => {
		const rx = await webhookReceiver();
		try {
			const dest = await stripe.v2.core.eventDestinations.create({ name: 'thin', type: 'webhook_endpoint', event_payload: 'thin', enabled_events: ['v1.customer.created'], webhook_endpoint: { url: rx.url } });
			const secret = dest.webhook_endpoint?.signing_secret as string;
			expect(secret).toMatch(/^whsec_/);
			const c = await stripe.customers.create({});
			await stripe.customers.update(c.id, { name: 'not subscribed' });
			await sb.deliverWebhooks();
			expect(rx.received).toHaveLength(1);
			const note = stripe.parseEventNotification(rx.received[0].body, rx.received[0].headers['stripe-signature'] as string, secret);
			expect(note).toMatchObject({ type: 'v1.customer.created' });
			const body = JSON.parse(rx.received[0].body);
			expect(body).toMatchObject({ object: 'v2.core.event', related_object: { id: c.id, type: 'customer', url: `/v1/customers/${c.id}` } });
			const snapshot = await stripe.events.retrieve(body.snapshot_event);
			expect((snapshot.data.object as Stripe.Customer).id).toBe(c.id);
			const full = (await stripe.rawRequest('GET', `/v2/core/events/${body.id}`)) as unknown as { id: string; type: string };
			expect(full).toMatchObject({ id: body.id, type: 'v1.customer.created' });
		} finally {
			await rx.close();
		}
	});
});

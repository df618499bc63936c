import Stripe from 'stripe';
import { startSandbox, type Sandbox } from '../../sandbox';
import { raw, stripeClient } from './helpers';

describe('rate limits, faults and latency', () => {
	let sb: Sandbox | undefined;
	afterEach(() => sb?.close());

	it('answers over-limit requests with 429 + Stripe-Rate-Limited-Reason, surfaced as StripeRateLimitError', async () => {
		sb = await startSandbox({ seed: 1, rateLimits: { opsPerSecond: 5 } });
		const stripe = stripeClient(sb);
		const results = await Promise.allSettled(Array.from({ length: 20 }, () => stripe.customers.list({ limit: 1 })));
		const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason);
		expect(rejected.length).toBeGreaterThan(0);
		expect(results.length - rejected.length).toBeGreaterThanOrEqual(5);
		for (const e of rejected) {
			expect(e).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
			expect(e).toMatchObject({ statusCode: 429, code: 'rate_limit' });
			expect(e.headers['stripe-rate-limited-reason']).toBe('global-rate');
		}
	});

	it('limits meter events on their own bucket', async () => {
		sb = await startSandbox({ seed: 1, rateLimits: { opsPerSecond: 1000, meterEventsPerSecond: 3 } });
		const results = await Promise.all(Array.from({ length: 10 }, (_v, i) => raw(sb!, 'POST', '/v1/billing/meter_events', { body: `event_name=x&payload[stripe_customer_id]=cus_1&payload[value]=1&identifier=i${i}` })));
		const limited = results.filter((r) => r.status === 429);
		expect(limited.length).toBeGreaterThan(0);
		expect(limited[0].headers.get('stripe-rate-limited-reason')).toBe('endpoint-rate');
		expect((await raw(sb, 'GET', '/v1/balance')).status).toBe(200);
	});

	it('injects 500s, 429s and dropped connections deterministically by seed', async () => {
		const run = async () => {
			const s = await startSandbox({ seed: 77, rateLimits: false, faults: { errorRate: 0.2, rateLimitRate: 0.2, dropRate: 0.1 } });
			try {
				const out: string[] = [];
				for (let i = 0; i < 60; i++) {
					const r = await raw(s, 'GET', '/v1/balance', { headers: { Connection: 'close' } }).catch(() => null);
					out.push(r === null ? 'dropped' : String(r.status));
				}
				s.setFaults({});
				expect((await raw(s, 'GET', '/v1/balance')).status).toBe(200);
				return out;
			} finally {
				await s.close();
			}
		};
		const a = await run();
		expect(await run()).toEqual(a);
		expect(new Set(a)).toEqual(new Set(['200', '500', '429', 'dropped']));
	});

	it('surfaces injected faults through the client as Stripe errors', async () => {
		sb = await startSandbox({ seed: 3, rateLimits: false, faults: { errorRate: 1 } });
		const stripe = stripeClient(sb);
		await expect(stripe.customers.list()).rejects.toBeInstanceOf(Stripe.errors.StripeAPIError);
		sb.setFaults({ rateLimitRate: 1 });
		await expect(stripe.customers.list()).rejects.toBeInstanceOf(Stripe.errors.StripeRateLimitError);
		// stripe-node retries a closed connection once even with maxNetworkRetries: 0, so drop every attempt.
		sb.setFaults({ dropRate: 1 });
		await expect(stripe.customers.list()).rejects.toBeInstanceOf(Stripe.errors.StripeConnectionError);
	});

	it('adds configured latency per request', async () => {
		const seen: string[] = [];
		sb = await startSandbox({ seed: 1, rateLimits: false, latencyMs: (req) => (seen.push(`${req.method} ${req.path}`), 1) });
		await stripeClient(sb).customers.list();
		expect(seen).toEqual(['GET /v1/customers']);
	});
});

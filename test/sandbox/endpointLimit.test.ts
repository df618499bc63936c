/**
 * The sandbox's per-endpoint rate limit (`rateLimits.perEndpointPerSecond`, Stripe's documented default of 25
 * requests per second per endpoint), through the official client: a burst on one endpoint is cut at the endpoint's
 * limit with `Stripe-Rate-Limited-Reason: endpoint-rate` while another endpoint still answers, the global limit
 * still applies on top, and without the option there is no per-endpoint limit.
 */
import Stripe from 'stripe';
import { startSandbox, type Sandbox } from '../../sandbox';
import { stripeClient } from './helpers';

async function burst(stripe: Stripe, n: number, call: (stripe: Stripe) => Promise<unknown>) {
	const results = await Promise.allSettled(Array.from({ length: n }, () => call(stripe)));
	const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as Stripe.errors.StripeError);
	return { ok: results.length - rejected.length, rejected };
}

describe('per-endpoint rate limit', () => {
	let sb: Sandbox | undefined;
	afterEach(() => sb?.close());

	it('limits each endpoint on its own bucket, answered as endpoint-rate', async () => {
		sb = await startSandbox({ seed: 1, rateLimits: { opsPerSecond: 1000, perEndpointPerSecond: 5 } });
		const stripe = stripeClient(sb);
		const lists = await burst(stripe, 20, (s) => s.balanceTransactions.list({ limit: 1 }));
		// 5 tokens to start with, plus what refills while the burst is served (a few ms).
		expect(lists.ok).toBeGreaterThanOrEqual(5);
		expect(lists.ok).toBeLessThanOrEqual(7);
		for (const e of lists.rejected) {
			expect(e).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
			expect(e).toMatchObject({ statusCode: 429, code: 'rate_limit' });
			expect(e.headers?.['stripe-rate-limited-reason']).toBe('endpoint-rate');
		}
		// Another endpoint (and the same path with another method) has its own budget.
		await expect(stripe.balance.retrieve()).resolves.toMatchObject({ object: 'balance' });
		await expect(stripe.customers.create({ email: 'a@example.com' })).resolves.toMatchObject({ object: 'customer' });
		// Another list endpoint has its full budget.
		const customers = await burst(stripe, 5, (s) => s.customers.list({ limit: 1 }));
		expect(customers.ok).toBe(5);
	});

	it('refills at the endpoint rate', async () => {
		sb = await startSandbox({ seed: 1, rateLimits: { opsPerSecond: 1000, perEndpointPerSecond: 10 } });
		const stripe = stripeClient(sb);
		expect((await burst(stripe, 15, (s) => s.balanceTransactions.list({ limit: 1 }))).rejected.length).toBeGreaterThan(0);
		await new Promise((r) => setTimeout(r, 1100));
		// A second later the bucket is full again.
		expect((await burst(stripe, 10, (s) => s.balanceTransactions.list({ limit: 1 }))).ok).toBe(10);
	});

	it('keeps the global limit on top (global-rate), and a refused request takes no token', async () => {
		sb = await startSandbox({ seed: 1, rateLimits: { opsPerSecond: 6, perEndpointPerSecond: 25 } });
		const stripe = stripeClient(sb);
		const lists = await burst(stripe, 20, (s) => s.balanceTransactions.list({ limit: 1 }));
		expect(lists.ok).toBeGreaterThanOrEqual(6);
		expect(lists.ok).toBeLessThanOrEqual(8);
		for (const e of lists.rejected) expect(e.headers?.['stripe-rate-limited-reason']).toBe('global-rate');
		// The 12+ requests refused globally took nothing from the endpoint's bucket: after the global one refills,
		// the endpoint still has its budget (25 - the ~6 served).
		await new Promise((r) => setTimeout(r, 1100));
		expect((await burst(stripe, 6, (s) => s.balanceTransactions.list({ limit: 1 }))).ok).toBe(6);
	});

	it('has no per-endpoint limit unless asked', async () => {
		sb = await startSandbox({ seed: 1, rateLimits: { opsPerSecond: 1000 } });
		expect((await burst(stripeClient(sb), 40, (s) => s.balanceTransactions.list({ limit: 1 }))).ok).toBe(40);
	});
});

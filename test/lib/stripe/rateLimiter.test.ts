import { RateLimiter, STRIPE_RATE_LIMITS, StripeClient, TokenBucket, stripeRateLimiter, type HttpResponse } from '../../../lib/stripe';

/** A fake clock: sleep advances time, so every wait is recorded and nothing really waits. */
function fakeClock() {
	const clock = {
		now: 0,
		waits: [] as number[],
		nowMs: () => clock.now,
		sleep: async (ms: number) => {
			clock.waits.push(ms);
			clock.now += ms;
		},
	};
	return clock;
}

/** The times (ms) at which `count` sequential acquires for `key` are let through. */
async function sendTimes(limiter: RateLimiter, clock: ReturnType<typeof fakeClock>, count: number, key?: string): Promise<number[]> {
	const times: number[] = [];
	for (let i = 0; i < count; i++) {
		await limiter.acquire(key);
		times.push(clock.now);
	}
	return times;
}

function callsPerSecondWindow(times: number[]): number {
	let max = 0;
	for (let i = 0; i < times.length; i++) {
		let j = i;
		while (j < times.length && times[j] < times[i] + 1000) j++;
		max = Math.max(max, j - i);
	}
	return max;
}

test('a token bucket lets a burst through, then spaces calls at the rate', () => {
	const bucket = new TokenBucket({ ratePerSecond: 10, burst: 3 });
	const sent: number[] = [];
	for (let i = 0; i < 6; i++) {
		const at = bucket.earliest(0);
		bucket.take(at);
		sent.push(at);
	}
	expect(sent).toEqual([0, 0, 0, 100, 200, 300]);
	expect(bucket.earliest(1000)).toBe(1000);
});

test.each<[string, number]>([
	['sk_live_abc', 100],
	['rk_live_abc', 100],
	['sk_test_abc', 25],
	['rk_test_abc', 25],
	['pk_live_abc', 25],
])('%s: never more than %i calls in any second across endpoints', async (key, limit) => {
	const clock = fakeClock();
	const limiter = stripeRateLimiter(key, clock, { perEndpoint: undefined });
	const times: number[] = [];
	for (let i = 0; i < 400; i++) {
		await limiter.acquire(`GET /v1/endpoint${i % 40}`);
		times.push(clock.now);
	}
	expect(callsPerSecondWindow(times)).toBe(limit);
	// and it does not throttle below the limit: calls are spaced at exactly 1/limit seconds
	expect(clock.now).toBeCloseTo((399 * 1000) / limit, 6);
});

test('one endpoint is held to 25/s in live mode while other endpoints use the rest of the global budget', async () => {
	const clock = fakeClock();
	const limiter = stripeRateLimiter('sk_live_abc', clock);
	expect(callsPerSecondWindow(await sendTimes(limiter, clock, 100, 'POST /v1/invoices/:id/pay'))).toBe(STRIPE_RATE_LIMITS.perEndpoint.ratePerSecond);
});

test('meter events have their own bucket and do not use the global one', async () => {
	const clock = fakeClock();
	const limiter = stripeRateLimiter('sk_test_abc', clock);
	await sendTimes(limiter, clock, 25, 'GET /v1/customers');
	const start = clock.now;
	// the global test-mode budget (25/s) is spent; meter events go at their own rate (1,000/s), not 25/s
	await sendTimes(limiter, clock, 200, 'POST /v1/billing/meter_events');
	await sendTimes(limiter, clock, 200, 'POST /v2/billing/meter_event_stream');
	expect(clock.now - start).toBeCloseTo(399, 6);
	// and they took nothing from the global bucket: the next ordinary call goes at once
	const before = clock.now;
	await limiter.acquire('GET /v1/balance');
	expect(clock.now).toBe(before);
});

test('search endpoints share one 20/s bucket', async () => {
	const clock = fakeClock();
	const limiter = stripeRateLimiter('sk_live_abc', clock);
	const times: number[] = [];
	for (let i = 0; i < 80; i++) {
		await limiter.acquire(i % 2 ? 'GET /v1/customers/search' : 'GET /v1/invoices/search');
		times.push(clock.now);
	}
	expect(callsPerSecondWindow(times)).toBe(20);
});

test('concurrent acquires queue: each reserves its own slot', async () => {
	const clock = { now: 0, waits: [] as number[], nowMs: () => 0, sleep: async (ms: number) => void clock.waits.push(ms) };
	const limiter = new RateLimiter({ global: { ratePerSecond: 10, burst: 1 }, nowMs: clock.nowMs, sleep: clock.sleep });
	await Promise.all(Array.from({ length: 5 }, () => limiter.acquire('GET /v1/x')));
	expect(clock.waits).toEqual([100, 200, 300, 400]);
});

test('the client waits for the limiter before every attempt, retries included, with the endpoint as key', async () => {
	const keys: string[] = [];
	const order: string[] = [];
	let calls = 0;
	const client = new StripeClient({
		request: async (): Promise<HttpResponse> => {
			order.push('request');
			return ++calls < 3 ? { status: 429, headers: {}, body: '{"error":{"type":"invalid_request_error"}}' } : { status: 200, headers: {}, body: '{}' };
		},
		sleep: async () => undefined,
		limiter: {
			acquire: async (key) => {
				keys.push(key ?? '');
				order.push('acquire');
			},
		},
	});
	await client.post('/v1/invoices/in_1Mt9Lk/pay', {});
	await client.post('/v2/billing/meter_event_stream', {}, { json: true, limiterKey: 'meter' });
	expect(order).toEqual(['acquire', 'request', 'acquire', 'request', 'acquire', 'request', 'acquire', 'request']);
	expect(keys).toEqual(['POST /v1/invoices/:id/pay', 'POST /v1/invoices/:id/pay', 'POST /v1/invoices/:id/pay', 'meter']);
});

test('a limiter shared by two clients of one execution spaces their calls together', async () => {
	const clock = fakeClock();
	const limiter = stripeRateLimiter('sk_test_abc', clock);
	const sent: number[] = [];
	const request = async (): Promise<HttpResponse> => {
		sent.push(clock.now);
		return { status: 200, headers: {}, body: '{}' };
	};
	const a = new StripeClient({ request, sleep: clock.sleep, nowMs: clock.nowMs, limiter });
	const b = new StripeClient({ request, sleep: clock.sleep, nowMs: clock.nowMs, limiter });
	for (let i = 0; i < 50; i++) await (i % 2 ? a : b).get(`/v1/customers/cus_${i}X`);
	expect(callsPerSecondWindow(sent)).toBe(25);
});

test('a rate must be positive', () => {
	expect(() => new TokenBucket({ ratePerSecond: 0 })).toThrow(RangeError);
});

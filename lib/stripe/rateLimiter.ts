import { keyMode } from './keys';

/**
 * What the client awaits before every attempt (retries included). `key` is the endpoint,
 * e.g. `POST /v1/invoices/:id/pay` (see `endpointKey`).
 */
export interface RequestLimiter {
	acquire(key?: string): Promise<void>;
}

/** A rate and how many calls may go at once before the rate applies. */
export interface BucketLimit {
	ratePerSecond: number;
	/**
	 * Calls allowed back to back before spacing starts (default 1: calls are spaced evenly, so no
	 * window of one second ever holds more than `ratePerSecond`). A larger burst lowers latency but
	 * lets up to `burst - 1` extra calls into the first second after a quiet spell.
	 */
	burst?: number;
}

/**
 * One token bucket, kept as the time the next call is due (GCRA, the "virtual scheduling" form
 * of a token bucket): no timer and no refill loop, so it works with an injected clock.
 */
export class TokenBucket {
	private readonly intervalMs: number;
	private readonly burst: number;
	private dueMs = -Infinity;

	constructor(limit: BucketLimit) {
		if (!(limit.ratePerSecond > 0)) throw new RangeError('A rate limit needs ratePerSecond > 0');
		this.intervalMs = 1000 / limit.ratePerSecond;
		this.burst = Math.max(1, Math.floor(limit.burst ?? 1));
	}

	/** The earliest time (ms) at or after `nowMs` when one more call fits. */
	earliest(nowMs: number): number {
		return Math.max(nowMs, this.dueMs - (this.burst - 1) * this.intervalMs);
	}

	/** Records a call sent at `atMs` (from {@link earliest}). */
	take(atMs: number): void {
		this.dueMs = Math.max(this.dueMs, atMs) + this.intervalMs;
	}
}

export interface RateLimiterOptions {
	/** All calls of the account together (Stripe's global limit). */
	global: BucketLimit;
	/** Each endpoint on its own, on top of the global bucket. Omit for no per-endpoint limit. */
	perEndpoint?: BucketLimit;
	/**
	 * Endpoints with their own limit instead of the default per-endpoint one. `global: false`
	 * takes them out of the global bucket too (Stripe counts meter events separately).
	 */
	classes?: Array<{ name: string; match: RegExp; limit: BucketLimit; global?: boolean }>;
	/** Milliseconds clock (inject a fake one in tests). */
	nowMs: () => number;
	/** Waits; injected so `lib/` uses no timers. */
	sleep: (ms: number) => Promise<void>;
}

/**
 * A client-side rate limiter: a global token bucket plus one bucket per endpoint (or per endpoint
 * class, e.g. meter events), so a node stays inside Stripe's limits instead of bouncing off 429s.
 *
 * Create ONE per execution and pass it to every `StripeClient` of that execution (all items, all
 * pages, all retries), so concurrent calls share the budget:
 *
 * ```ts
 * const limiter = stripeRateLimiter(apiKey, { nowMs: Date.now, sleep });
 * const stripe = new StripeClient({ request, sleep, limiter });
 * ```
 *
 * Inside n8n, `stripeClient(this, retry, { limiter })` in nodes/shared/stripeApi.ts takes it; an
 * action node creates it once at the start of `execute()` and hands it to each item's calls.
 */
export class RateLimiter implements RequestLimiter {
	private readonly global: TokenBucket;
	private readonly endpoints = new Map<string, TokenBucket>();

	constructor(private readonly options: RateLimiterOptions) {
		this.global = new TokenBucket(options.global);
	}

	/** Resolves when a call to `key` may be sent; reserves its slot at once, so concurrent callers queue fairly. */
	async acquire(key = '*'): Promise<void> {
		const now = this.options.nowMs();
		const buckets = this.bucketsFor(key);
		let at = now;
		for (const bucket of buckets) at = Math.max(at, bucket.earliest(now));
		for (const bucket of buckets) bucket.take(at);
		if (at > now) await this.options.sleep(at - now);
	}

	private bucketsFor(key: string): TokenBucket[] {
		const found = this.options.classes?.find((entry) => entry.match.test(key));
		const limit = found?.limit ?? this.options.perEndpoint;
		const buckets: TokenBucket[] = found?.global === false ? [] : [this.global];
		if (limit) {
			const name = found ? `class:${found.name}` : key;
			let bucket = this.endpoints.get(name);
			if (!bucket) {
				bucket = new TokenBucket(limit);
				this.endpoints.set(name, bucket);
			}
			buckets.push(bucket);
		}
		return buckets;
	}
}

/**
 * Stripe's documented limits (https://docs.stripe.com/rate-limits, read 2026): 100 operations per
 * second in live mode and 25 in test mode (sandboxes) for the account; 25 requests per second per
 * endpoint by default; the Search API 20 per second; meter events are limited separately from the
 * rest of the API (https://docs.stripe.com/billing/subscriptions/usage-based/recording-usage-api, 2026).
 */
export const STRIPE_RATE_LIMITS = {
	live: { ratePerSecond: 100 },
	test: { ratePerSecond: 25 },
	perEndpoint: { ratePerSecond: 25 },
	search: { ratePerSecond: 20 },
	meterEvents: { ratePerSecond: 1000 },
} as const satisfies Record<string, BucketLimit>;

/**
 * A limiter with Stripe's defaults for the key's mode: `sk_live_`/`rk_live_` 100 calls/s,
 * `sk_test_`/`rk_test_` (and any key whose mode is unknown) 25 calls/s; 25/s per endpoint;
 * search endpoints 20/s; meter events (`/v1/billing/meter_events`, `/v2/billing/meter_event*`)
 * in their own bucket outside the global one. `overrides` replaces any of these.
 */
export function stripeRateLimiter(
	apiKey: string | undefined,
	clock: Pick<RateLimiterOptions, 'nowMs' | 'sleep'>,
	overrides: Partial<Pick<RateLimiterOptions, 'global' | 'perEndpoint' | 'classes'>> = {},
): RateLimiter {
	const mode = apiKey ? keyMode(apiKey) : undefined;
	return new RateLimiter({
		global: mode === 'live' ? STRIPE_RATE_LIMITS.live : STRIPE_RATE_LIMITS.test,
		perEndpoint: STRIPE_RATE_LIMITS.perEndpoint,
		classes: [
			{ name: 'meterEvents', match: /^\w+ \/(v1\/billing\/meter_events|v2\/billing\/meter_event)/, limit: STRIPE_RATE_LIMITS.meterEvents, global: false },
			{ name: 'search', match: /^\w+ \/v1\/[a-z_]+\/search$/, limit: STRIPE_RATE_LIMITS.search },
		],
		...overrides,
		...clock,
	});
}

/**
 * Stripe sandbox: a stateful, Stripe-compatible HTTP server on 127.0.0.1 for tests, benchmarks and the demo.
 * See sandbox/README.md for what it models and what it does not.
 */
import type { AddressInfo } from 'node:net';
import { Router } from './core/router';
import { registerBalance, schedulePayouts } from './resources/balance';
import { registerBilling } from './resources/billing';
import { registerCatalog } from './resources/catalog';
import { checkoutPage, registerCheckout, registerCheckoutControl } from './resources/checkout';
import { registerCustomers } from './resources/customers';
import { meterUsage, registerMeters, sessionAuth } from './resources/meters';
import { registerPayments } from './resources/payments';
import { portalPage, registerTestClocks } from './resources/testClocks';
import { Dispatcher, registerWebhooks, type DeliveryRecord } from './resources/webhooks';
import type { ScenarioParams } from './scenario';
import { DEFAULT_RATE_LIMITS, SandboxServer } from './server';
import { seedBusiness, type SeedReport } from './seed';
import { API_VERSION, World } from './world';

export { API_VERSION } from './world';
export { DEFAULT_SCENARIO, TEST_CARDS, mergeScenario, type ScenarioParams, type DeclineCode, type PaydayRule } from './scenario';
export { sign as signWebhookPayload } from './resources/webhooks';
export { GLOBAL_TEST_CLOCK_ID } from './resources/testClocks';

export interface SandboxOptions {
	/** Port to listen on; default 0 = a free port. The host is always 127.0.0.1. */
	port?: number;
	/** Seed for everything random (ids, outcomes, faults, seeded data). Default 1. */
	seed?: number;
	/** Initial test-clock time, unix seconds (default: real time at start). */
	now?: number;
	/**
	 * `live` (default): the clock follows wall time from `now` on (clock.advance/set add an offset), and work that
	 * falls due (renewals, retries, payouts) runs as wall time reaches it. `frozen`: time moves only with
	 * clock.set/advance, for deterministic tests. Seeding always runs frozen, so a seed and `now` give the same business.
	 */
	clock?: 'live' | 'frozen';
	/** Secret key the sandbox accepts (default 'sk_test_sandbox_000000000000000000000000'). */
	secretKey?: string;
	/** Per-second limits (defaults: 100 ops, 1,000 meter events, 10,000 v2 stream requests); false disables. */
	rateLimits?: { opsPerSecond?: number; meterEventsPerSecond?: number; meterEventStreamPerSecond?: number; perEndpointPerSecond?: number } | false;
	/** Added to every request (ms), or computed per request. See `stripeLikeLatency`. */
	latencyMs?: number | ((req: { method: string; path: string }) => number);
	/**
	 * Shares (0..1) of injected faults, deterministic by seed and arrival order: before any work, 500s (`errorRate`),
	 * 429s (`rateLimitRate`) and dropped connections (`dropRate`); after the work, lost responses (`lostResponseRate`:
	 * done and saved for the idempotency key, then the connection closes) and saved 500s (`errorAfterWorkRate`).
	 * Plus `latencyMs` added to each request.
	 */
	faults?: { errorRate?: number; rateLimitRate?: number; dropRate?: number; lostResponseRate?: number; errorAfterWorkRate?: number; latencyMs?: number };
	webhooks?: { autoDeliver?: boolean; duplicateRate?: number; shuffle?: boolean; maxInFlight?: number; retry?: boolean; disableAfterDays?: number };
	/** Builds a believable business before listening (see sandbox/seed.ts). */
	seedData?: { customers: number; months: number; balanceTransactions?: number };
	/** Overrides for the payment outcome model (sandbox/scenario.ts). */
	scenario?: Partial<ScenarioParams>;
}

export interface Sandbox {
	url: string;
	port: number;
	secretKey: string;
	/** `mode` is 'live' (follows wall time) or 'frozen'; `freeze()` / `unfreeze()` switch at runtime. */
	clock: { now(): number; set(unixSeconds: number): void; advance(seconds: number): Promise<void>; mode(): 'live' | 'frozen'; freeze(): void; unfreeze(): void };
	deliverWebhooks(): Promise<void>;
	setFaults(f: SandboxOptions['faults']): void;
	close(): Promise<void>;
	/** Extras for tests and tools. */
	setRateLimits(limits: SandboxOptions['rateLimits']): void;
	/** Every webhook delivery attempt so far (endpoint, event, attempt, HTTP status). */
	webhookLog(): readonly DeliveryRecord[];
	/** The live signing secrets of a webhook endpoint (tests that send a delivery themselves, as Stripe would). */
	webhookSecrets(endpointId: string): string[];
	/** What seeding built (counts), when seedData was given. */
	seedReport: SeedReport | null;
	/** The in-process state, for white-box tests. */
	world: World;
}

export const DEFAULT_SECRET_KEY = 'sk_test_sandbox_000000000000000000000000';

/** A latency model shaped like Stripe's: ~120 ms per call plus ~2 ms per listed item (a 100-item list ≈ 320 ms). */
export function stripeLikeLatency(req: { method: string; path: string }, limit = 10): number {
	const isList = req.method === 'GET' && !/\/[a-z]+_[A-Za-z0-9]+$/.test(req.path);
	return 120 + (isList ? 2 * limit : 0);
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
	const seed = opts.seed ?? 1;
	const secretKey = opts.secretKey ?? DEFAULT_SECRET_KEY;
	if (!/^sk_test_[A-Za-z0-9_]+$/.test(secretKey)) throw new Error(`secretKey must look like a Stripe test key (sk_test_...), got '${secretKey}'`);
	const now = Math.floor(opts.now ?? Date.now() / 1000);
	const clockMode = opts.clock ?? 'live';
	if (clockMode !== 'live' && clockMode !== 'frozen') throw new Error(`clock must be 'live' or 'frozen', got '${String(clockMode)}'`);
	const world = new World(seed, now, opts.scenario, 'frozen');
	const router = new Router();
	const dispatcher = new Dispatcher(world, {
		autoDeliver: opts.webhooks?.autoDeliver ?? true,
		duplicateRate: opts.webhooks?.duplicateRate ?? 0,
		shuffle: opts.webhooks?.shuffle ?? false,
		maxInFlight: opts.webhooks?.maxInFlight ?? 20,
		retry: opts.webhooks?.retry ?? true,
		disableAfterDays: opts.webhooks?.disableAfterDays ?? 3,
	});
	registerCustomers(router, world);
	registerCatalog(router, world);
	registerPayments(router, world);
	registerBilling(router, world);
	registerCheckout(router, world);
	registerBalance(router, world);
	registerMeters(router, world);
	registerWebhooks(router, world, dispatcher);
	meterUsage(world).onError = (err) =>
		dispatcher.emitThin(err.code === 'no_meter' ? 'v1.billing.meter.no_meter_found' : 'v1.billing.meter.error_report_triggered', null, { developer_message_summary: err.message, event_name: err.eventName });

	let seedReport: SeedReport | null = null;
	if (opts.seedData) {
		seedReport = await seedBusiness(world, { ...opts.seedData, seed });
	} else {
		schedulePayouts(world, world.now());
	}

	if (clockMode === 'live') {
		world.clock.unfreeze();
		world.clock.startTicking(1000, undefined, (e) => process.stderr.write(`sandbox: scheduled work failed: ${String(e)}\n`));
	}

	const rateLimits = resolveLimits(opts.rateLimits);
	const server = new SandboxServer(world, router, {
		secretKey,
		rateLimits,
		latencyMs: opts.latencyMs,
		faults: { ...(opts.faults ?? {}) },
		sessionAuth: (token) => sessionAuth(world, token),
		page: (path) => portalPage(world, path) ?? checkoutPage(world, path),
	});
	const clock: Sandbox['clock'] = {
		now: () => world.now(),
		set: (t: number) => world.clock.set(t),
		mode: () => world.clock.mode(),
		freeze: () => world.clock.freeze(),
		unfreeze: () => world.clock.unfreeze(),
		advance: async (seconds: number) => {
			if (!Number.isFinite(seconds) || seconds < 0) throw new Error('clock.advance needs a non-negative number of seconds');
			await world.clock.runUntil(world.now() + seconds);
			await dispatcher.flush();
		},
	};
	registerControl(router, world, clock, dispatcher, server);
	registerCheckoutControl(router, world);
	registerTestClocks(router, world, { advanceTo: (target) => clock.advance(Math.max(0, target - world.now())) });

	await new Promise<void>((resolve, reject) => {
		server.http.once('error', reject);
		server.http.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
	});
	const port = (server.http.address() as AddressInfo).port;
	const url = `http://127.0.0.1:${port}`;
	let closed = false;
	return {
		url,
		port,
		secretKey,
		clock,
		deliverWebhooks: () => dispatcher.flush(),
		setFaults: (f) => server.setFaults(f),
		setRateLimits: (l) => server.setRateLimits(resolveLimits(l)),
		webhookLog: () => dispatcher.log,
		webhookSecrets: (endpointId: string) => (dispatcher.secrets.get(endpointId) ?? []).filter((x) => x.expiresAt === null || x.expiresAt > world.now()).map((x) => x.value),
		seedReport,
		world,
		close: async () => {
			if (closed) return;
			closed = true;
			world.clock.stopTicking();
			dispatcher.close();
			await new Promise<void>((resolve) => {
				server.http.close(() => resolve());
				server.http.closeIdleConnections();
				server.destroySockets();
			});
		},
	};
}

function resolveLimits(l: SandboxOptions['rateLimits']) {
	if (l === false) return false as const;
	return { ...DEFAULT_RATE_LIMITS, ...(l ?? {}) };
}

/** Non-Stripe routes under /_sandbox for tools in another process (the demo, e2e tests). */
function registerControl(r: Router, w: World, clock: Sandbox['clock'], d: Dispatcher, s: SandboxServer): void {
	r.get('/_sandbox/clock', () => ({ now: w.now(), mode: w.clock.mode(), api_version: API_VERSION }));
	r.post('/_sandbox/clock/advance', async ({ params }) => {
		const seconds = params.int('seconds', true);
		await clock.advance(seconds);
		return { now: w.now() };
	});
	r.post('/_sandbox/webhooks/flush', async () => {
		await d.flush();
		return { delivered: d.log.length };
	});
	r.post('/_sandbox/faults', ({ params }) => {
		params.allow(['error_rate', 'rate_limit_rate', 'drop_rate', 'lost_response_rate', 'error_after_work_rate', 'latency_ms']);
		s.setFaults({
			errorRate: params.num('error_rate'),
			rateLimitRate: params.num('rate_limit_rate'),
			dropRate: params.num('drop_rate'),
			lostResponseRate: params.num('lost_response_rate'),
			errorAfterWorkRate: params.num('error_after_work_rate'),
			latencyMs: params.num('latency_ms'),
		});
		return { ok: true };
	});
}

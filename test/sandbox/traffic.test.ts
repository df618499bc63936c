import { GLOBAL_TEST_CLOCK_ID, startSandbox, type Sandbox } from '../../sandbox';
import { meterUsage } from '../../sandbox/resources/meters';
import { startTraffic, type TrafficActivity, type TrafficStats } from '../../sandbox/traffic';
import { stripeClient } from './helpers';

const HOUR = 3600;
const NOW = 1_780_000_000;

async function seeded(): Promise<Sandbox> {
	return startSandbox({ seedData: { customers: 30, months: 2 }, seed: 7, clock: 'frozen', port: 0, now: NOW, rateLimits: false });
}

/** A week of traffic, an hour per tick, with more sign-ups (half declining, all coming back) than the defaults. */
async function week(sb: Sandbox): Promise<{ stats: TrafficStats; activity: TrafficActivity[] }> {
	const activity: TrafficActivity[] = [];
	const traffic = startTraffic(sb, { speed: HOUR, autoStart: false, signupsPerDay: 8, declineShare: 0.5, signupRecoveryShare: 1, churnPerDay: 1, onActivity: (a) => activity.push(a) });
	for (let i = 0; i < 7 * 24; i++) await traffic.tick();
	traffic.stop();
	return { stats: traffic.stats(), activity };
}

describe('live traffic', () => {
	let sb: Sandbox;
	let run: { stats: TrafficStats; activity: TrafficActivity[] };
	let customersBefore: number;

	beforeAll(async () => {
		sb = await seeded();
		customersBefore = sb.world.customers.count();
		run = await week(sb);
	});
	afterAll(async () => {
		await sb.close();
	});

	it('moves the clock by speed per tick', () => {
		expect(run.stats.ticks).toBe(168);
		expect(sb.clock.now()).toBe(NOW + 7 * 24 * HOUR);
	});

	it('signs up customers on the global test clock, with a card, a subscription and a Checkout Session', async () => {
		const { stats, activity } = run;
		expect(stats.signups).toBeGreaterThanOrEqual(30);
		expect(sb.world.customers.count()).toBe(customersBefore + stats.signups);
		const signups = activity.filter((a): a is Extract<TrafficActivity, { kind: 'signup' }> => a.kind === 'signup');
		expect(signups).toHaveLength(stats.signups);
		// The first sign-up comes 3 sandbox hours in, with an expired card.
		expect(signups[0].at).toBe(NOW + 3 * HOUR);
		expect(signups[0].declined).toBe(true);
		const stripe = stripeClient(sb);
		const c = await stripe.customers.retrieve(signups[1].customer);
		if (c.deleted) throw new Error('deleted');
		expect(c.test_clock).toBe(GLOBAL_TEST_CLOCK_ID);
		expect(c.invoice_settings.default_payment_method).toMatch(/^pm_/);
		const subs = await stripe.subscriptions.list({ customer: c.id, status: 'all' });
		expect(subs.data.map((s) => s.id)).toEqual([signups[1].subscription]);
		const sessions = await stripe.checkout.sessions.list({ customer: c.id });
		expect(sessions.data).toHaveLength(1);
		expect(sessions.data[0]).toMatchObject({ status: 'complete', subscription: signups[1].subscription });
		const created = await stripe.customers.list({ created: { gt: NOW }, limit: 100 });
		expect(created.data.length).toBe(stats.signups);
	});

	it('has paid invoices, failed payments and recoveries, from sign-ups and renewals', () => {
		const { stats, activity } = run;
		expect(stats.declinedSignups).toBeGreaterThanOrEqual(5);
		expect(stats.invoicesPaid).toBeGreaterThan(20);
		expect(stats.renewalsPaid).toBeGreaterThan(0);
		expect(stats.paymentsFailed).toBeGreaterThanOrEqual(stats.declinedSignups);
		expect(stats.recoveries).toBeGreaterThan(0);
		expect(stats.cardUpdates).toBeGreaterThan(0);
		const failed = activity.find((a) => a.kind === 'payment_failed');
		expect(failed).toMatchObject({ code: 'expired_card', attempt: 1 });
		// A declined sign-up came back with a new card and paid its first invoice.
		const recovered = activity.find((a): a is Extract<TrafficActivity, { kind: 'invoice_paid' }> => a.kind === 'invoice_paid' && a.recovered && a.reason === 'subscription_create');
		expect(recovered).toBeDefined();
		const inv = sb.world.invoices.get((recovered as { invoice: string }).invoice);
		expect(inv).toMatchObject({ status: 'paid', attempt_count: 2 });
		const sub = sb.world.subscriptions.get(inv?.parent?.subscription_details?.subscription as string);
		expect(sub?.status).toBe('active');
	});

	it('records metered usage for active metered subscriptions, and churns some at period end', () => {
		const { stats } = run;
		expect(stats.usageEvents).toBeGreaterThan(0);
		const meter = [...sb.world.meters.values()].find((m) => m.event_name === 'api_requests');
		if (!meter) throw new Error('no meter');
		const usage = meterUsage(sb.world);
		const withUsage = [...sb.world.customers.values()].filter((c) => usage.aggregate(meter, c.id, NOW, NOW + 8 * 24 * HOUR) > 0);
		expect(withUsage.length).toBeGreaterThan(0);
		expect(stats.churned).toBeGreaterThan(0);
		const churned = run.activity.flatMap((a) => (a.kind === 'churn' ? [sb.world.subscriptions.get(a.subscription)] : []));
		expect(churned).toHaveLength(stats.churned);
		for (const s of churned) {
			expect(s?.cancel_at_period_end).toBe(true);
			// As the API sets it: cancel_at is the period end (the renewal then cancels instead).
			if (s?.status !== 'canceled') expect(s?.cancel_at).toBe(sb.world.subState.get(s?.id as string)?.periodEnd);
		}
	});

	it('lets the daily payouts happen', () => {
		expect(run.stats.payoutsCreated).toBeGreaterThanOrEqual(5);
		expect(run.stats.payoutsPaid).toBeGreaterThanOrEqual(4);
		expect(run.activity.some((a) => a.kind === 'payout_paid')).toBe(true);
	});

	it('is deterministic for a seed', async () => {
		const other = await seeded();
		try {
			const again = await week(other);
			expect(again.stats).toEqual(run.stats);
			expect(again.activity).toEqual(run.activity);
		} finally {
			await other.close();
		}
	});

	it('ticks on a timer until stop(), then the clock stays', async () => {
		const other = await seeded();
		try {
			const traffic = startTraffic(other, { speed: 60, tickMs: 5 });
			const t0 = other.clock.now();
			const deadline = Date.now() + 5000;
			while (traffic.stats().ticks < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
			traffic.stop();
			expect(traffic.stats().ticks).toBeGreaterThanOrEqual(5);
			await new Promise((r) => setTimeout(r, 50));
			const stoppedAt = other.clock.now();
			expect(stoppedAt).toBe(t0 + 60 * traffic.stats().ticks);
			await new Promise((r) => setTimeout(r, 50));
			await traffic.tick();
			expect(other.clock.now()).toBe(stoppedAt);
		} finally {
			await other.close();
		}
	});

	it('at the defaults on the demo business, a payment fails in the first real minute and a payout comes within 3', async () => {
		const demo = await startSandbox({ seedData: { customers: 300, months: 12 }, seed: 42, clock: 'frozen', now: NOW, rateLimits: false });
		try {
			const traffic = startTraffic(demo, { autoStart: false });
			expect({ speed: traffic.speed, tickMs: traffic.tickMs }).toEqual({ speed: 600, tickMs: 1000 });
			for (let i = 0; i < 60; i++) await traffic.tick();
			expect(traffic.stats().paymentsFailed).toBeGreaterThan(0);
			expect(traffic.stats().signups).toBeGreaterThan(0);
			for (let i = 60; i < 180; i++) await traffic.tick();
			expect(traffic.stats().payoutsCreated).toBeGreaterThan(0);
			traffic.stop();
		} finally {
			await demo.close();
		}
	});

	it('needs a frozen clock and sane options', async () => {
		const live = await startSandbox({ seed: 1, clock: 'live', rateLimits: false });
		try {
			expect(() => startTraffic(live)).toThrow(/clock: 'frozen'/);
		} finally {
			await live.close();
		}
		expect(() => startTraffic(sb, { speed: 0 })).toThrow(/speed/);
		expect(() => startTraffic(sb, { declineShare: 2 })).toThrow(/declineShare/);
	});
});

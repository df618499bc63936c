import Stripe from 'stripe';
import { startSandbox, type Sandbox } from '../../sandbox';
import { stripeClient } from './helpers';

describe('balance transactions and payouts', () => {
	let sb: Sandbox;
	let stripe: Stripe;
	beforeAll(async () => {
		sb = await startSandbox({ seed: 5, rateLimits: false, now: Date.UTC(2026, 2, 1) / 1000, clock: 'frozen', seedData: { customers: 0, months: 1, balanceTransactions: 10_000 } });
		stripe = stripeClient(sb);
	});
	afterAll(() => sb.close());

	it('autoPagingEach over 10,000+ balance transactions yields each exactly once, newest first', async () => {
		const total = sb.world.ledger.size();
		expect(total).toBeGreaterThanOrEqual(10_000);
		const seen = new Set<string>();
		let dupes = 0;
		let prevCreated = Infinity;
		let ordered = true;
		await stripe.balanceTransactions.list({ limit: 100 }).autoPagingEach((t) => {
			if (seen.has(t.id)) dupes++;
			seen.add(t.id);
			if (t.created > prevCreated) ordered = false;
			prevCreated = t.created;
		});
		expect(dupes).toBe(0);
		expect(seen.size).toBe(total);
		expect(ordered).toBe(true);
	});

	it('links automatic payouts to their transactions (?payout=) and the sums reconcile', async () => {
		const payouts = await stripe.payouts.list({ limit: 5 });
		expect(payouts.data.length).toBeGreaterThan(0);
		const po = payouts.data[payouts.data.length - 1];
		expect(po).toMatchObject({ automatic: true, currency: 'usd', method: 'standard' });
		const txns: Stripe.BalanceTransaction[] = [];
		for await (const t of stripe.balanceTransactions.list({ payout: po.id, limit: 100 })) txns.push(t);
		const own = txns.filter((t) => t.type === 'payout');
		expect(own).toHaveLength(1);
		expect(own[0].amount).toBe(-po.amount);
		const swept = txns.filter((t) => t.type !== 'payout').reduce((s, t) => s + t.net, 0);
		expect(swept).toBe(po.amount);
		for (const t of txns) expect(t.available_on).toBeLessThanOrEqual(po.created + (t.type === 'payout' ? 4 * 86400 : 0));
	});

	it('filters by type and created, retrieves rows and rebuilds bulk charges', async () => {
		const charges = await stripe.balanceTransactions.list({ type: 'charge', limit: 3 });
		expect(charges.data.every((t) => t.type === 'charge' && t.reporting_category === 'charge')).toBe(true);
		const t = charges.data[0];
		expect(await stripe.balanceTransactions.retrieve(t.id)).toEqual(t);
		const ch = await stripe.charges.retrieve(t.source as string);
		expect(ch).toMatchObject({ object: 'charge', status: 'succeeded', balance_transaction: t.id });
		const window = await stripe.balanceTransactions.list({ created: { gte: t.created, lte: t.created }, limit: 100 });
		expect(window.data.every((x) => x.created === t.created)).toBe(true);
		const fx = await stripe.balanceTransactions.list({ limit: 100 });
		expect(fx.data.some((x) => x.exchange_rate !== null)).toBe(true);
	});

	it('reports available and pending balance, and pays out daily as the clock moves', async () => {
		const before = await stripe.balance.retrieve();
		expect(before.object).toBe('balance');
		expect(before.pending[0].amount).toBeGreaterThan(0);
		const count = (await stripe.payouts.list({ limit: 100 })).data.length;
		await sb.clock.advance(3 * 86400);
		const after = await stripe.payouts.list({ limit: 100 });
		expect(after.data.length).toBeGreaterThan(count);
		const bal = await stripe.balance.retrieve();
		expect(bal.available[0].amount).toBe(0);
		expect(bal.pending[0].amount).toBe(0);
	});
});

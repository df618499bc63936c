/** Summary metrics and cohort retention on the fixture business (per-customer MRR table in fixture.ts). */
import { cohortRetention, mrrHistory, monthlyMetrics, retention } from '../../../lib/analytics';
import { EVENTS, FROM, NOW, RATES, SUBSCRIPTIONS, TO } from './fixture';

const history = () => mrrHistory(SUBSCRIPTIONS, EVENTS, { from: FROM, to: TO, now: NOW, reportingCurrency: 'usd', rates: RATES });

describe('monthly metrics', () => {
	const rows = () => monthlyMetrics(history(), { window: 3 });

	it('NRR and GRR over 3 months', () => {
		const r = rows();
		expect(r.slice(0, 2).map((x) => [x.nrr, x.grr])).toEqual([[null, null], [null, null]]); // not 3 months of history yet
		// Mar: base P0 = cus_b 8,800 + cus_c 3,000 = 11,800; at P3 cus_b 8,800, cus_c 0
		expect(r[2].nrr).toBeCloseTo(8800 / 11800, 10);
		expect(r[2].grr).toBeCloseTo(8800 / 11800, 10);
		// Apr: base P1 = a 10,000 + b 8,800 + c 3,000 + g 1,500 = 23,300; at P4 a 15,000 + b 5,500 = 20,500;
		// GRR caps a at 10,000: 10,000 + 5,500 = 15,500
		expect(r[3].nrr).toBeCloseTo(20500 / 23300, 10);
		expect(r[3].grr).toBeCloseTo(15500 / 23300, 10);
		// May: base P2 = a 10,000 + b 8,800 + e 4,000 + f 8,333 + g 1,500 = 32,633; at P5 15,000 + 5,500 + 4,000 + 8,333 = 32,833
		// (cus_d's reactivation is not in the base); GRR 10,000 + 5,500 + 4,000 + 8,333 = 27,833
		expect(r[4].nrr).toBeCloseTo(32833 / 32633, 10);
		expect(r[4].grr).toBeCloseTo(27833 / 32633, 10);
		// Jun: base P3 = 40,383; at P6 the same customers 35,583 (no expansion in the window: NRR = GRR)
		expect(r[5].nrr).toBeCloseTo(35583 / 40383, 10);
		expect(r[5].grr).toBeCloseTo(35583 / 40383, 10);
		expect(monthlyMetrics(history())[5].nrr).toBeNull(); // default 12-month window: not enough history
		expect(retention(history(), 1, 4)).toEqual({ base: 23300, nrr: 20500 / 23300, grr: 15500 / 23300 });
	});

	it('logo and revenue churn, ARPA, quick ratio, customer counts', () => {
		const r = rows();
		expect(r.map((x) => x.logoChurnRate)).toEqual([0, 1 / 4, 0, 1 / 6, 0, 0]); // Feb cus_c of 4 at the start; Apr cus_g of 6
		expect(r[1].revenueChurnRate).toBeCloseTo(3000 / 23300, 10);
		expect(r[3].revenueChurnRate).toBeCloseTo((1500 + 3300) / 40383, 10); // churn + contraction
		// ARPA = end MRR / paying customers: 23,300/4 = 5,825; 32,633/5 = 6,526.6; 40,383/6 = 6,730.5; 35,583/5 = 7,116.6; 37,583/6 = 6,263.8
		expect(r.map((x) => x.arpa)).toEqual([5825, 6527, 6731, 7117, 6264, 6264]);
		// Quick ratio: Feb 12,333 / 3,000; Apr 0 / 4,800 = 0; no losses in Jan, Mar, May, Jun: null
		expect(r[1].quickRatio).toBeCloseTo(12333 / 3000, 10);
		expect(r.map((x) => x.quickRatio === null)).toEqual([true, false, true, false, true, true]);
		expect(r[3].quickRatio).toBe(0);
		expect(r.map((x) => [x.customers.start, x.customers.end, x.customers.new, x.customers.churn, x.customers.reactivation])).toEqual([
			[2, 4, 2, 0, 0],
			[4, 5, 2, 1, 0],
			[5, 6, 1, 0, 0],
			[6, 5, 0, 1, 0],
			[5, 6, 0, 0, 1],
			[6, 6, 0, 0, 0],
		]);
		expect(() => monthlyMetrics(history(), { window: 0 })).toThrow('retention window');
	});
});

describe('cohort retention', () => {
	it('by first paid month: logos and revenue, months since the start', () => {
		const c = cohortRetention(history());
		// cus_b, cus_c paid at the start and cus_d before it (reactivation): no cohort here; cus_t never paid.
		expect(c.map((r) => r.cohort)).toEqual(['2026-01', '2026-02', '2026-03']);
		// Jan: cus_a + cus_g = 10,000 + 1,500 = 11,500; Mar a expands to 15,000 (16,500); Apr g churns (15,000)
		expect(c[0]).toMatchObject({ logos: [2, 2, 2, 1, 1, 1], revenue: [11500, 11500, 16500, 15000, 15000, 15000], logoRetention: [1, 1, 1, 0.5, 0.5, 0.5] });
		expect(c[0].revenueRetention[2]).toBeCloseTo(16500 / 11500, 10);
		expect(c[0].revenueRetention[5]).toBeCloseTo(15000 / 11500, 10);
		// Feb: cus_e 4,000 (after its trial) + cus_f 8,333 (yearly)
		expect(c[1]).toMatchObject({ logos: [2, 2, 2, 2, 2], revenue: [12333, 12333, 12333, 12333, 12333] });
		// Mar: cus_h EUR 2,500 = 2,750
		expect(c[2]).toMatchObject({ logos: [1, 1, 1, 1], revenue: [2750, 2750, 2750, 2750], revenueRetention: [1, 1, 1, 1] });
	});
});

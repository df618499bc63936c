/** MRR history and movements on the fixture business (test/lib/analytics/fixture.ts has the table of MRR per month end). */
import { mrrHistory, mrrMovements, rollForwardHolds, subscriptionAt, applyPreviousAttributes, utcMonthBoundaries, type MrrHistory } from '../../../lib/analytics';
import { subscriptionMrr } from '../../../lib/crm/mrr';
import { EVENTS, FROM, NOW, RATES, SUBSCRIPTIONS, T, TO, price, sub } from './fixture';

const history = (): MrrHistory => mrrHistory(SUBSCRIPTIONS, EVENTS, { from: FROM, to: TO, now: NOW, reportingCurrency: 'usd', rates: RATES });

describe('MRR history', () => {
	it('six UTC months, each customer at each month end (the fixture table)', () => {
		const h = history();
		expect(h.periods.map((p) => p.label)).toEqual(['2026-01', '2026-02', '2026-03', '2026-04', '2026-05', '2026-06']);
		expect(h.points[0]).toBe(T(2026, 1, 1) - 1);
		const row = (id: string) => h.customers.find((c) => c.customerId === id);
		expect(row('cus_a')?.reporting).toEqual([0, 10000, 10000, 15000, 15000, 15000, 15000]);
		expect(row('cus_b')?.byCurrency.map((m) => m.eur ?? 0)).toEqual([8000, 8000, 8000, 8000, 5000, 5000, 5000]);
		expect(row('cus_b')?.reporting).toEqual([8800, 8800, 8800, 8800, 5500, 5500, 5500]);
		expect(row('cus_c')?.reporting).toEqual([3000, 3000, 0, 0, 0, 0, 0]);
		expect(row('cus_d')).toMatchObject({ reporting: [0, 0, 0, 0, 0, 2000, 2000], paidBefore: true });
		expect(row('cus_e')?.reporting).toEqual([0, 0, 4000, 4000, 4000, 4000, 4000]);
		expect(row('cus_f')?.reporting).toEqual([0, 0, 8333, 8333, 8333, 8333, 8333]); // 100,000 / 12 = 8,333.33, rounded once
		expect(row('cus_g')?.reporting).toEqual([0, 1500, 1500, 1500, 0, 0, 0]);
		expect(row('cus_t')?.reporting).toEqual([0, 0, 0, 0, 0, 0, 0]);
	});

	it('uses the CRM profile rule: a subscription state at t through subscriptionMrr gives the same figure', () => {
		const a = SUBSCRIPTIONS[0];
		const feb = subscriptionAt(a, [EVENTS[0]], T(2026, 2, 28));
		expect(feb?.items.data[0].quantity).toBe(2);
		expect(subscriptionMrr(feb!, T(2026, 2, 28)).mrr).toBe(10000);
		expect(subscriptionAt(a, [EVENTS[0]], T(2026, 3, 20))).toBe(a); // after the last event: the object as it is now
		expect(subscriptionAt(a, [], T(2026, 1, 1))).toBeUndefined(); // before its start
		expect(subscriptionAt(SUBSCRIPTIONS[2], [], T(2026, 2, 1))?.status).toBe('active'); // canceled later, live then
		expect(subscriptionAt(SUBSCRIPTIONS[2], [], T(2026, 2, 20))?.status).toBe('canceled');
	});

	it('previous_attributes: objects merged, arrays replaced, nulls kept', () => {
		expect(applyPreviousAttributes({ a: { x: 1, y: 2 }, items: { data: [1, 2] }, c: 3 }, { a: { x: 0 }, items: { data: [9] }, c: null })).toEqual({ a: { x: 0, y: 2 }, items: { data: [9] }, c: null });
	});

	it('a month in progress is evaluated at now', () => {
		const h = mrrHistory([sub('sub_x', 'cus_x', T(2026, 12, 10), price('p', 1000))], [], { from: T(2026, 12, 1), to: T(2027, 1, 1), now: T(2026, 12, 15), reportingCurrency: 'usd' });
		expect(h.points).toEqual([T(2026, 12, 1) - 1, T(2026, 12, 15)]);
		expect(h.customers[0].reporting).toEqual([0, 1000]);
	});

	it('configurable boundaries; bad ones are refused', () => {
		const h = mrrHistory(SUBSCRIPTIONS, EVENTS, { boundaries: [T(2026, 1, 1), T(2026, 4, 1), T(2026, 7, 1)], now: NOW, reportingCurrency: 'usd', rates: RATES });
		expect(h.periods.map((p) => p.label)).toEqual(['2026-01', '2026-04']);
		expect(() => mrrHistory([], [], { boundaries: [2, 1], now: NOW, reportingCurrency: 'usd' })).toThrow('strictly ascending');
		expect(() => mrrHistory([], [], { now: NOW, reportingCurrency: 'usd' })).toThrow('at least two');
		expect(utcMonthBoundaries(T(2026, 1, 15), T(2026, 3, 2))).toEqual([T(2026, 1, 1), T(2026, 2, 1), T(2026, 3, 1), T(2026, 4, 1)]);
	});

	it('a currency without a rate is an error naming it', () => {
		expect(() => mrrHistory(SUBSCRIPTIONS, EVENTS, { from: FROM, to: TO, now: NOW, reportingCurrency: 'usd' })).toThrow('No exchange rate from eur to usd');
	});
});

describe('MRR movements', () => {
	const m = () => mrrMovements(history());

	it('every movement, in the reporting currency', () => {
		expect(m().map((p) => p.reporting)).toEqual([
			// Jan: new cus_a 10,000 + cus_g 1,500 = 11,500; 11,800 + 11,500 = 23,300
			{ start: 11800, new: 11500, expansion: 0, contraction: 0, churn: 0, reactivation: 0, end: 23300 },
			// Feb: new cus_e 4,000 (trial converted) + cus_f 8,333 (yearly) = 12,333; churn cus_c 3,000; 23,300 + 12,333 − 3,000 = 32,633
			{ start: 23300, new: 12333, expansion: 0, contraction: 0, churn: 3000, reactivation: 0, end: 32633 },
			// Mar: new cus_h 2,750 (EUR 2,500 × 1.1), expansion cus_a 15,000 − 10,000 = 5,000; 32,633 + 7,750 = 40,383
			{ start: 32633, new: 2750, expansion: 5000, contraction: 0, churn: 0, reactivation: 0, end: 40383 },
			// Apr: contraction cus_b 8,800 − 5,500 = 3,300, churn cus_g 1,500; 40,383 − 4,800 = 35,583
			{ start: 40383, new: 0, expansion: 0, contraction: 3300, churn: 1500, reactivation: 0, end: 35583 },
			// May: reactivation cus_d 2,000 (paid in Oct–Dec 2025); 35,583 + 2,000 = 37,583
			{ start: 35583, new: 0, expansion: 0, contraction: 0, churn: 0, reactivation: 2000, end: 37583 },
			{ start: 37583, new: 0, expansion: 0, contraction: 0, churn: 0, reactivation: 0, end: 37583 },
		]);
	});

	it('per currency', () => {
		const usd = m().map((p) => p.byCurrency.usd);
		const eur = m().map((p) => p.byCurrency.eur);
		expect(usd[0]).toEqual({ start: 3000, new: 11500, expansion: 0, contraction: 0, churn: 0, reactivation: 0, end: 14500 });
		expect(usd[1]).toEqual({ start: 14500, new: 12333, expansion: 0, contraction: 0, churn: 3000, reactivation: 0, end: 23833 }); // 14,500 + 12,333 − 3,000
		expect(usd[2]).toMatchObject({ expansion: 5000, end: 28833 });
		expect(usd[3]).toMatchObject({ churn: 1500, end: 27333 });
		expect(usd[4]).toMatchObject({ reactivation: 2000, end: 29333 });
		expect(eur.map((r) => [r.start, r.new, r.contraction, r.end])).toEqual([
			[8000, 0, 0, 8000],
			[8000, 0, 0, 8000],
			[8000, 2500, 0, 10500], // cus_h new
			[10500, 0, 3000, 7500], // cus_b 8,000 → 5,000
			[7500, 0, 0, 7500],
			[7500, 0, 0, 7500],
		]);
		for (const p of m()) {
			expect(rollForwardHolds(p.reporting)).toBe(true);
			for (const r of Object.values(p.byCurrency)) expect(rollForwardHolds(r)).toBe(true);
		}
	});

	it('customer counts and the per-customer changes', () => {
		const rows = m();
		expect(rows.map((p) => [p.customers.start, p.customers.end])).toEqual([[2, 4], [4, 5], [5, 6], [6, 5], [5, 6], [6, 6]]);
		expect(rows[1].customers).toMatchObject({ new: 2, churn: 1 });
		expect(rows[3].changes).toEqual([
			{ customerId: 'cus_b', type: 'contraction', byCurrency: { eur: -3000 }, reporting: -3300 },
			{ customerId: 'cus_g', type: 'churn', byCurrency: { usd: -1500 }, reporting: -1500 },
		]);
		expect(rows[4].changes).toEqual([{ customerId: 'cus_d', type: 'reactivation', byCurrency: { usd: 2000 }, reporting: 2000 }]);
	});

	it('a trial never counts (cus_t has no movement); MRR comes from subscriptions, so a refund (tax.test.ts) cannot move it', () => {
		expect(m().flatMap((p) => p.changes).filter((c) => c.customerId === 'cus_t')).toEqual([]);
	});
});

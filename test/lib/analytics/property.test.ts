/** Property tests (fast-check): for any subscriptions and events, start + movements = end every month, per currency and in the reporting currency. */
import fc from 'fast-check';
import { cohortRetention, mrrHistory, mrrMovements, rollForwardHolds, type HistorySubscription, type SubscriptionEventLike } from '../../../lib/analytics';
import { T } from './fixture';

const LO = T(2025, 6, 1);
const HI = T(2027, 1, 1);
const RATES = { eur: 1.08, jpy: 0.67 };

const priceArb = (currency: string) =>
	fc.record({
		currency: fc.constant(currency),
		unit_amount: fc.integer({ min: 0, max: 200000 }),
		recurring: fc.record({
			interval: fc.constantFrom('day' as const, 'week' as const, 'month' as const, 'year' as const),
			interval_count: fc.integer({ min: 1, max: 3 }),
			usage_type: fc.constantFrom('licensed' as const, 'licensed' as const, 'metered' as const),
		}),
	});

const subArb = (i: number) =>
	fc.constantFrom('usd', 'eur', 'jpy').chain((currency) =>
		fc.record({
			customer: fc.integer({ min: 0, max: 4 }).map((n) => `cus_${n}`),
			price: priceArb(currency),
			quantity: fc.integer({ min: 1, max: 5 }),
			start: fc.integer({ min: LO, max: HI }),
			life: fc.option(fc.integer({ min: 0, max: 400 * 86400 }), { nil: undefined }),
			trial: fc.option(fc.integer({ min: 0, max: 60 * 86400 }), { nil: undefined }),
			status: fc.constantFrom('active', 'past_due', 'trialing', 'unpaid', 'paused', 'incomplete_expired'),
			percentOff: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
			changes: fc.array(fc.record({ after: fc.integer({ min: 0, max: 500 * 86400 }), quantity: fc.integer({ min: 1, max: 9 }), status: fc.constantFrom('active', 'past_due', 'unpaid', 'trialing') }), { maxLength: 3 }),
		}).map((r) => {
			const ended = r.life === undefined ? null : r.start + r.life;
			const s: HistorySubscription = {
				id: `sub_${i}`,
				customer: r.customer,
				currency,
				status: ended !== null ? 'canceled' : r.status,
				start_date: r.start,
				created: r.start,
				ended_at: ended,
				canceled_at: ended,
				trial_end: r.trial === undefined ? null : r.start + r.trial,
				items: { data: [{ price: r.price, quantity: r.quantity }] },
				discounts: r.percentOff ? [{ coupon: { percent_off: r.percentOff, duration: 'forever' } }] : [],
			};
			const events: SubscriptionEventLike[] = r.changes.map((c, k) => ({
				id: `evt_${i}_${k}`,
				type: 'customer.subscription.updated',
				created: r.start + c.after,
				data: { object: { ...s }, previous_attributes: { status: c.status, items: { data: [{ price: r.price, quantity: c.quantity }] } } },
			}));
			return { s, events };
		}),
	);

const businessArb = fc.integer({ min: 0, max: 12 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => subArb(i))));

describe('MRR movements, properties', () => {
	it('start + new + expansion + reactivation − contraction − churn = end, every month, per currency and in USD; months chain; sums match the customers', () => {
		fc.assert(
			fc.property(businessArb, fc.integer({ min: T(2025, 9, 1), max: T(2026, 6, 1) }), fc.integer({ min: 1, max: 14 }), (business, from, months) => {
				const subs = business.map((b) => b.s);
				const events = business.flatMap((b) => b.events);
				const to = from + months * 31 * 86400;
				const h = mrrHistory(subs, events, { from, to, now: T(2026, 12, 1), reportingCurrency: 'usd', rates: RATES });
				const m = mrrMovements(h);
				m.forEach((p, i) => {
					expect(rollForwardHolds(p.reporting)).toBe(true);
					for (const r of Object.values(p.byCurrency)) {
						expect(rollForwardHolds(r)).toBe(true);
						for (const k of ['new', 'expansion', 'contraction', 'churn', 'reactivation'] as const) expect(r[k]).toBeGreaterThanOrEqual(0);
					}
					expect(p.reporting.end).toBe(h.customers.reduce((s, c) => s + c.reporting[i + 1], 0));
					for (const [cur, r] of Object.entries(p.byCurrency)) expect(r.end).toBe(h.customers.reduce((s, c) => s + (c.byCurrency[i + 1][cur] ?? 0), 0));
					if (i > 0) {
						expect(p.reporting.start).toBe(m[i - 1].reporting.end);
						expect(p.customers.start).toBe(m[i - 1].customers.end);
					}
					expect(p.customers.start + p.customers.new + p.customers.reactivation - p.customers.churn).toBe(p.customers.end);
				});
				for (const c of cohortRetention(h)) expect(c.logos[0]).toBeGreaterThan(0);
			}),
			{ numRuns: 300 },
		);
	});
});

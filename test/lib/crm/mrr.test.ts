/** MRR against hand-computed cases (issue 11's list): each expected figure is worked out in the comment beside it. */
import { customerMrr, subscriptionMrr, toReportingCurrency, type SubscriptionLike } from '../../../lib/crm/mrr';

const NOW = Date.UTC(2026, 11, 1) / 1000;
const DAY = 86400;

function sub(over: Partial<SubscriptionLike> & { items?: SubscriptionLike['items'] }): SubscriptionLike {
	return { id: 'sub_1', status: 'active', currency: 'usd', items: { data: [] }, ...over };
}
const price = (unit: number, interval: 'day' | 'week' | 'month' | 'year', extra: { currency?: string; interval_count?: number; usage_type?: 'licensed' | 'metered' } = {}) => ({
	currency: extra.currency ?? 'usd',
	unit_amount: unit,
	recurring: { interval, interval_count: extra.interval_count ?? 1, usage_type: extra.usage_type ?? 'licensed' },
});

describe('MRR, hand-computed', () => {
	it('monthly 49.00 × 1 = 4,900 cents', () => {
		expect(subscriptionMrr(sub({ items: { data: [{ price: price(4900, 'month'), quantity: 1 }] } }), NOW).mrr).toBe(4900);
	});
	it('yearly 490.00: 49,000 / 12 = 4,083.33… cents a month', () => {
		expect(subscriptionMrr(sub({ items: { data: [{ price: price(49000, 'year') }] } }), NOW).mrr).toBeCloseTo(4083.333, 3);
	});
	it('quantity 5 seats at 12.00 a month = 6,000 cents', () => {
		expect(subscriptionMrr(sub({ items: { data: [{ price: price(1200, 'month'), quantity: 5 }] } }), NOW).mrr).toBe(6000);
	});
	it('a 100 %-off coupon: 0', () => {
		const s = sub({ items: { data: [{ price: price(4900, 'month') }] }, discounts: [{ coupon: { percent_off: 100, duration: 'forever' }, start: NOW - DAY, end: null }] });
		expect(subscriptionMrr(s, NOW)).toMatchObject({ mrr: 0, counted: true });
	});
	it('20 % off for 3 months: 4,900 cents, as Stripe counts it (finite coupons leave MRR unaffected); with finite discounts subtracted, 3,920 while it runs and 4,900 after', () => {
		const s = sub({ items: { data: [{ price: price(4900, 'month') }] }, discounts: [{ coupon: { percent_off: 20, duration: 'repeating' }, start: NOW - 30 * DAY, end: NOW + 60 * DAY }] });
		expect(subscriptionMrr(s, NOW).mrr).toBe(4900);
		expect(subscriptionMrr(s, NOW, { finiteDiscounts: true }).mrr).toBe(3920); // 4,900 × 0.8
		expect(subscriptionMrr(s, NOW + 61 * DAY, { finiteDiscounts: true }).mrr).toBe(4900);
		const once = sub({ items: { data: [{ price: price(4900, 'month') }] }, discounts: [{ coupon: { amount_off: 1000, currency: 'usd', duration: 'once' }, start: NOW - DAY, end: null }] });
		expect(subscriptionMrr(once, NOW).mrr).toBe(4900);
	});
	it('two currencies: per currency, then one reporting currency at the rate table', () => {
		const r = customerMrr(
			[
				sub({ id: 'sub_usd', items: { data: [{ price: price(4900, 'month') }] } }),
				sub({ id: 'sub_eur', currency: 'eur', items: { data: [{ price: price(3900, 'month', { currency: 'eur' }) }] } }),
			],
			NOW,
		);
		expect(r.byCurrency).toEqual({ usd: 4900, eur: 3900 });
		expect(toReportingCurrency(r.byCurrency, 'usd', { eur: 1.08 })).toBe(9112); // 4,900 + 3,900 × 1.08 = 9,112
		expect(() => toReportingCurrency(r.byCurrency, 'usd', {})).toThrow('No exchange rate from eur to usd');
	});
	it('a usage-based (metered) price is left out; the licensed part of the same subscription counts', () => {
		const s = sub({ items: { data: [{ price: price(2900, 'month') }, { price: price(5, 'month', { usage_type: 'metered' }) }] } });
		expect(subscriptionMrr(s, NOW).mrr).toBe(2900);
		expect(subscriptionMrr(sub({ items: { data: [{ price: price(5, 'month', { usage_type: 'metered' }) }] } }), NOW)).toMatchObject({ mrr: 0, counted: false });
	});
	it('a trial is left out; past_due counts, as Stripe does; canceled does not', () => {
		expect(subscriptionMrr(sub({ status: 'trialing', trial_end: NOW + 5 * DAY, items: { data: [{ price: price(4900, 'month') }] } }), NOW)).toMatchObject({ mrr: 0, counted: false });
		expect(subscriptionMrr(sub({ status: 'past_due', items: { data: [{ price: price(4900, 'month') }] } }), NOW)).toMatchObject({ mrr: 4900, counted: true });
		expect(subscriptionMrr(sub({ status: 'canceled', items: { data: [{ price: price(4900, 'month') }] } }), NOW).counted).toBe(false);
	});
	it('weekly 10.00 = 1,000 × 52 / 12 = 4,333.33… cents; every 3 months 90.00 = 3,000', () => {
		expect(subscriptionMrr(sub({ items: { data: [{ price: price(1000, 'week') }] } }), NOW).mrr).toBeCloseTo(4333.333, 3);
		expect(subscriptionMrr(sub({ items: { data: [{ price: price(9000, 'month', { interval_count: 3 }) }] } }), NOW).mrr).toBe(3000);
	});
	it('an amount-off coupon per interval: 10.00 off a yearly 120.00 = (12,000 − 1,000) / 12 cents a month', () => {
		const s = sub({ items: { data: [{ price: price(12000, 'year') }] }, discounts: [{ coupon: { amount_off: 1000, currency: 'usd', duration: 'forever' } }] });
		expect(subscriptionMrr(s, NOW).mrr).toBeCloseTo(11000 / 12, 6);
	});
});

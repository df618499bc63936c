/**
 * Monthly recurring revenue of a customer's subscriptions (issue 11, groundwork), pure: the
 * subscriptions as Stripe returns them (items with their prices, discounts with their coupons),
 * the time `now` passed in.
 *
 * The rules, after Stripe's own MRR definition (Billing analytics, read 2026-12-01):
 * - subscriptions that are `active` or `past_due` count (a failing payment is still revenue until
 *   the subscription ends); `trialing`, `canceled`, `incomplete`, `incomplete_expired`, `unpaid`
 *   and `paused` do not;
 * - metered (usage-based) prices are left out: their amount is not known in advance;
 * - each licensed item is `unit_amount × quantity`, normalized to a month: a year is 12 months, a
 *   week 52/12 of a month, a day 365/12 of one, divided by `interval_count`;
 * - discounts: as Stripe's default, only coupons with `duration: forever` reduce MRR ("If you apply
 *   a coupon with a finite duration (i.e. once or repeating) to a subscription, your MRR is
 *   unaffected": support.stripe.com/questions/billing-analytics, read 2026-12-01); Stripe lets an
 *   account also subtract finite ones, which `{ finiteDiscounts: true }` does while they are in
 *   force (until their `end`). A discount reduces by `percent_off` of the subscription's amount or
 *   `amount_off` per billing interval (in the coupon's currency), never below zero;
 * Amounts stay in minor units per currency (fractions kept: a yearly 100.00 is 833.33… cents a
 * month); `toReportingCurrency` converts with a rate table and rounds once, at the end.
 */

export interface PriceLike {
	id?: string;
	currency: string;
	unit_amount: number | null;
	recurring: { interval: 'day' | 'week' | 'month' | 'year'; interval_count?: number; usage_type?: 'licensed' | 'metered' } | null;
}

export interface CouponLike {
	percent_off?: number | null;
	amount_off?: number | null;
	currency?: string | null;
	duration?: 'forever' | 'once' | 'repeating';
}

export interface DiscountLike {
	coupon?: CouponLike | null;
	/** Newer API versions: `source.coupon`. */
	source?: { coupon?: CouponLike | string | null } | null;
	start?: number | null;
	end?: number | null;
}

export interface SubscriptionLike {
	id: string;
	status: string;
	currency: string;
	items: { data: Array<{ price: PriceLike; quantity?: number | null; discounts?: Array<DiscountLike | string> }> };
	discounts?: Array<DiscountLike | string>;
	/** Older API versions: one discount. */
	discount?: DiscountLike | null;
	trial_end?: number | null;
}

export interface MrrOptions {
	/** Also subtract `once` and `repeating` coupons while they are in force (Stripe's "subtract one-time/recurring discounts" setting). Default false. */
	finiteDiscounts?: boolean;
}

/** Statuses that count toward MRR. */
export const MRR_STATUSES: ReadonlySet<string> = new Set(['active', 'past_due']);

const MONTHS_PER: Record<'day' | 'week' | 'month' | 'year', number> = { day: 12 / 365, week: 12 / 52, month: 1, year: 12 };

function couponOf(d: DiscountLike | string): CouponLike | undefined {
	if (typeof d === 'string') return undefined;
	if (d.coupon && typeof d.coupon === 'object') return d.coupon;
	const c = d.source?.coupon;
	return c && typeof c === 'object' ? c : undefined;
}

function inForce(d: DiscountLike | string, now: number): boolean {
	if (typeof d === 'string') return false;
	if (d.start != null && d.start > now) return false;
	if (d.end != null && d.end <= now) return false;
	return true;
}

export interface SubscriptionMrr {
	subscriptionId: string;
	currency: string;
	/** Minor units a month (fractional). */
	mrr: number;
	counted: boolean;
	/** Why it counts or not. */
	reason: string;
}

/** One subscription's MRR (see the module comment for the rules). */
export function subscriptionMrr(sub: SubscriptionLike, now: number, options: MrrOptions = {}): SubscriptionMrr {
	const base = { subscriptionId: sub.id, currency: sub.currency };
	if (!MRR_STATUSES.has(sub.status)) return { ...base, mrr: 0, counted: false, reason: `status ${sub.status} does not count` };
	if (sub.trial_end != null && sub.trial_end > now) return { ...base, mrr: 0, counted: false, reason: 'in trial' };
	let perMonth = 0;
	let monthsPerInterval = 1;
	let licensed = 0;
	for (const item of sub.items.data) {
		const p = item.price;
		if (!p.recurring || p.recurring.usage_type === 'metered' || p.unit_amount === null) continue;
		licensed++;
		const months = MONTHS_PER[p.recurring.interval] * (p.recurring.interval_count ?? 1);
		const amount = p.unit_amount * (item.quantity ?? 1);
		perMonth += amount / months;
		monthsPerInterval = months;
	}
	if (licensed === 0) return { ...base, mrr: 0, counted: false, reason: 'no licensed price (usage-based prices are left out)' };
	const discounts = [...(sub.discounts ?? []), ...(sub.discount ? [sub.discount] : [])].filter((d) => {
		if (!inForce(d, now)) return false;
		const duration = couponOf(d)?.duration;
		return options.finiteDiscounts === true || duration === undefined || duration === 'forever';
	});
	let mrr = perMonth;
	for (const d of discounts) {
		const c = couponOf(d);
		if (!c) continue;
		if (c.percent_off) mrr -= (perMonth * c.percent_off) / 100;
		else if (c.amount_off && (!c.currency || c.currency === sub.currency)) mrr -= c.amount_off / monthsPerInterval;
	}
	mrr = Math.max(0, mrr);
	return { ...base, mrr, counted: true, reason: discounts.length ? `counted, ${discounts.length} discount(s) in force` : 'counted' };
}

/** MRR per currency over a customer's subscriptions. */
export function customerMrr(subscriptions: readonly SubscriptionLike[], now: number, options: MrrOptions = {}): { byCurrency: Record<string, number>; subscriptions: SubscriptionMrr[] } {
	const each = subscriptions.map((s) => subscriptionMrr(s, now, options));
	const byCurrency: Record<string, number> = {};
	for (const s of each) if (s.counted) byCurrency[s.currency] = (byCurrency[s.currency] ?? 0) + s.mrr;
	return { byCurrency, subscriptions: each };
}

/**
 * MRR in one reporting currency, rounded to its minor unit once. `rates[c]` is the reporting
 * currency's minor units per minor unit of `c` (1 for the reporting currency itself); a currency
 * without a rate is an error that names it.
 */
export function toReportingCurrency(byCurrency: Record<string, number>, reporting: string, rates: Record<string, number>): number {
	let total = 0;
	for (const [currency, amount] of Object.entries(byCurrency)) {
		const rate = currency === reporting ? 1 : rates[currency];
		if (rate === undefined || !Number.isFinite(rate)) throw new RangeError(`No exchange rate from ${currency} to ${reporting}: add it to the rate table.`);
		total += amount * rate;
	}
	return Math.round(total);
}

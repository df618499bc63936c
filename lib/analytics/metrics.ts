/**
 * Summary revenue metrics per month and cohort retention (issue 12), pure: computed from an
 * {@link MrrHistory} and its {@link mrrMovements}, all in the reporting currency (minor units,
 * each customer's MRR rounded once, as in lib/analytics/mrrHistory.ts). Ratios are fractions
 * (0.95, not 95 %), null when their denominator is 0.
 *
 * Definitions (ours, after Stripe's Billing metric definitions and ChartMogul's, read 2026-12-01):
 * - NRR over a window of W months ending with month i: the customers paying at the window's
 *   start (the end of month i − W), their MRR at the end of month i ÷ their MRR at the start.
 *   Customers acquired in the window are left out; churned ones count as 0; a customer who left
 *   and came back counts with its MRR at the end.
 * - GRR: the same with each customer's end MRR capped at its start MRR (no expansion), so ≤ 1.
 * - Logo churn rate: customers churned in the month ÷ paying customers at its start (ChartMogul's
 *   customer churn rate; Stripe's Dashboard subscriber churn rate also adds the period's new
 *   subscribers to the denominator).
 * - Revenue churn rate (gross MRR churn): (churn + contraction) ÷ MRR at the start.
 * - ARPA: MRR at the month end ÷ paying customers then (rounded to a minor unit).
 * - Quick ratio: (new + expansion + reactivation) ÷ (churn + contraction).
 * - Cohort: a customer's first month whose end MRR is > 0 (its `new` month; customers already
 *   paying before the first month have no cohort here). Retention k months later: the cohort's
 *   customers paying at the end of month cohort + k, and their MRR (expansion included).
 */
import { hasMrr, mrrMovements, type HistoryPeriod, type MrrHistory, type PeriodMovements, type RollForward } from './mrrHistory';

export interface MonthMetrics extends HistoryPeriod {
	mrr: RollForward;
	customers: PeriodMovements['customers'];
	/** Window in months of NRR and GRR; both null until the history is that long. */
	retentionWindow: number;
	nrr: number | null;
	grr: number | null;
	logoChurnRate: number | null;
	revenueChurnRate: number | null;
	arpa: number | null;
	quickRatio: number | null;
}

const ratio = (a: number, b: number): number | null => (b === 0 ? null : a / b);

/** NRR and GRR of the customers paying at point `from`, measured at point `to`. */
export function retention(history: MrrHistory, from: number, to: number): { base: number; nrr: number | null; grr: number | null } {
	let base = 0;
	let net = 0;
	let gross = 0;
	for (const c of history.customers) {
		const s = c.reporting[from];
		if (!(s > 0)) continue;
		const e = c.reporting[to];
		base += s;
		net += e;
		gross += Math.min(s, e);
	}
	return { base, nrr: ratio(net, base), grr: ratio(gross, base) };
}

/** Metrics per month (see the module comment); `window` is the NRR/GRR window in months (default 12). */
export function monthlyMetrics(history: MrrHistory, options: { window?: number } = {}): MonthMetrics[] {
	const window = options.window ?? 12;
	if (!Number.isInteger(window) || window < 1) throw new RangeError('The retention window must be a whole number of months, at least 1.');
	return mrrMovements(history).map((m, i) => {
		const r = m.reporting;
		const ret = i + 1 - window >= 0 ? retention(history, i + 1 - window, i + 1) : { nrr: null, grr: null };
		const arpa = ratio(r.end, m.customers.end);
		return {
			label: m.label,
			start: m.start,
			end: m.end,
			mrr: r,
			customers: m.customers,
			retentionWindow: window,
			nrr: ret.nrr,
			grr: ret.grr,
			logoChurnRate: ratio(m.customers.churn, m.customers.start),
			revenueChurnRate: ratio(r.churn + r.contraction, r.start),
			arpa: arpa === null ? null : Math.round(arpa),
			quickRatio: ratio(r.new + r.expansion + r.reactivation, r.churn + r.contraction),
		};
	});
}

export interface CohortRow {
	/** The cohort's month (label) and its index in the history's periods. */
	cohort: string;
	period: number;
	/** Per months since the cohort's month (0 = its own month): paying customers and their MRR. */
	logos: number[];
	revenue: number[];
	/** The same ÷ month 0. */
	logoRetention: Array<number | null>;
	revenueRetention: Array<number | null>;
}

/** Cohort retention by signup month, a row per cohort with a column per month since (see the module comment). */
export function cohortRetention(history: MrrHistory): CohortRow[] {
	const n = history.periods.length;
	const rows: CohortRow[] = [];
	const members = new Map<number, MrrHistory['customers']>();
	for (const c of history.customers) {
		if (c.paidBefore || hasMrr(c.byCurrency[0])) continue;
		const first = c.byCurrency.findIndex(hasMrr);
		if (first < 1) continue;
		const list = members.get(first - 1) ?? [];
		list.push(c);
		members.set(first - 1, list);
	}
	for (const period of [...members.keys()].sort((a, b) => a - b)) {
		const list = members.get(period) ?? [];
		const logos: number[] = [];
		const revenue: number[] = [];
		for (let k = 0; period + k < n; k++) {
			const point = period + k + 1;
			logos.push(list.filter((c) => hasMrr(c.byCurrency[point])).length);
			revenue.push(list.reduce((s, c) => s + c.reporting[point], 0));
		}
		rows.push({
			cohort: history.periods[period].label,
			period,
			logos,
			revenue,
			logoRetention: logos.map((l) => ratio(l, logos[0])),
			revenueRetention: revenue.map((r) => ratio(r, revenue[0])),
		});
	}
	return rows;
}

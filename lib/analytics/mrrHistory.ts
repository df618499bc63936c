/**
 * MRR history and MRR movements per month (issue 12), pure: from subscription objects and their
 * `customer.subscription.*` events as Stripe returns them, the month boundaries and `now` passed in.
 *
 * Source of history, our choice: each subscription's state at a month end, rebuilt from the
 * subscription object (its `start_date`/`created`, `ended_at`/`canceled_at`, `trial_end`, status)
 * and its `customer.subscription.updated`/`deleted` events: the state at `t` is the first event
 * after `t`'s `data.object` with its `data.previous_attributes` laid over it (objects merged
 * key by key, arrays such as `items.data` replaced whole), or the subscription as it is now when
 * no event follows `t`. Its MRR is then `subscriptionMrr(state, t)` from lib/crm/mrr.ts, so the
 * history uses exactly the CRM profile's rules (statuses, trials, metered prices, discounts in
 * force at `t`, interval normalization). Stripe keeps events for 30 days only: older changes are
 * known only if the events were stored (the package's triggers can store them); without them a
 * subscription's current items, discounts and (non-final) status stand for its whole life, and
 * only its dates (start, trial end, end) shape the history: a subscription `unpaid` now, without
 * the event that made it so, counts for none of its months. Invoice lines (ChartMogul's source)
 * were not chosen because they would need a second normalization and discount rule next to mrr.ts.
 *
 * Status at `t`: nothing before the start; `canceled` from `ended_at` on (else `canceled_at`; a
 * canceled subscription with neither date is canceled throughout); a `canceled` state before its
 * end was live (`active`; a trial is still caught by `trial_end`); `trialing` after `trial_end` is
 * `active`; otherwise the state's status (`incomplete_expired` never counted).
 *
 * A customer's MRR at a month end is evaluated at the last second of the month (`end − 1`, or
 * `now` if that is earlier: the current month shows MRR so far), per currency, rounded once to
 * minor units (as the CRM profile rounds), and in the reporting currency with
 * `toReportingCurrency` (rates: minor units of the reporting currency per minor unit of `c`).
 * Movements compare a customer's MRR at the start and end of a month (ChartMogul's definitions,
 * help.chartmogul.com "Data Table and MRR Movements", read 2026-12-01: New Business MRR is "the
 * MRR at the moment a lead converts into an active customer"; Expansion "any increase in the MRR
 * of an existing customer, e.g., an increase in quantity, an upgrade to a higher plan, an
 * additional subscription, or an expiring discount"; Contraction "any decrease in MRR"; Churn "the
 * MRR at the time a customer cancels their subscription … A customer only counts towards Churn
 * MRR if they don't have any other active subscriptions"; Reactivation "when a previously paying
 * customer that had churned moves back onto a paid plan"), and Stripe's roll-forward
 * (docs.stripe.com/billing/subscriptions/analytics/glossary, read 2026-12-01: "MRR Growth = [(New
 * MRR) + (Reactivation MRR) + (Expansion MRR)] − [(Churned MRR) + (Contraction MRR)]"):
 * - new: 0 at the start, > 0 at the end, and never > 0 at an earlier month end;
 * - reactivation: the same but > 0 at some earlier month end;
 * - churn: > 0 at the start, 0 at the end (the start MRR);
 * - expansion / contraction: > 0 at both, the difference per currency (and in the reporting currency).
 * Because every figure is a sum of the same rounded per-customer integers, start + new +
 * expansion + reactivation − contraction − churn = end exactly, per currency and in the reporting
 * currency (one rate table for all months: no FX movement). The reporting figures convert each
 * customer's MRR, so they may differ by rounding from converting the per-currency totals.
 * Month-end snapshots do not see a customer who starts and ends within one month (Stripe's "MRR
 * per subscriber per month" report is month-end too).
 */
import { customerMrr, subscriptionMrr, toReportingCurrency, type SubscriptionLike } from '../crm/mrr';
import { addUtcMonths, idOf, periodLabel, utcMonthBoundaries, utcMonthStart } from './shapes';

export interface HistorySubscription extends SubscriptionLike {
	customer: string | { id: string };
	created?: number;
	start_date?: number;
	canceled_at?: number | null;
	ended_at?: number | null;
}

/** A `customer.subscription.*` event (the fields read). */
export interface SubscriptionEventLike {
	id?: string;
	type: string;
	created: number;
	data: { object: Record<string, unknown> & { id: string }; previous_attributes?: Record<string, unknown> | null };
}

export interface HistoryOptions {
	/** Ascending period boundaries (unix seconds): period i is [b[i], b[i+1]). Else `from`/`to` as UTC calendar months. */
	boundaries?: readonly number[];
	from?: number;
	to?: number;
	/** The time the data reflects: no point is evaluated after it. */
	now: number;
	reportingCurrency: string;
	/** Minor units of the reporting currency per minor unit of each other currency (as lib/crm/mrr.ts). */
	rates?: Record<string, number>;
}

export interface HistoryPeriod {
	label: string;
	start: number;
	end: number;
}

/** A customer's MRR at each point: point 0 is the first period's start, point i + 1 period i's end. */
export interface CustomerHistory {
	customerId: string;
	/** Per point, minor units per currency (integers; currencies with 0 left out). */
	byCurrency: Array<Record<string, number>>;
	/** Per point, minor units of the reporting currency. */
	reporting: number[];
	/** Whether the customer had MRR at a month end before point 0. */
	paidBefore: boolean;
}

export interface MrrHistory {
	periods: HistoryPeriod[];
	/** Evaluation time of each point (periods.length + 1). */
	points: number[];
	reportingCurrency: string;
	customers: CustomerHistory[];
}

const MAX_PREHISTORY_MONTHS = 1200;

function isPlainObject(v: unknown): v is Record<string, unknown> {
	return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `previous` laid over `base`: objects merged key by key, anything else (arrays included) replaced. */
export function applyPreviousAttributes<T extends Record<string, unknown>>(base: T, previous: Record<string, unknown> | null | undefined): T {
	if (!previous) return base;
	const out: Record<string, unknown> = { ...base };
	for (const [k, v] of Object.entries(previous)) out[k] = isPlainObject(v) && isPlainObject(out[k]) ? applyPreviousAttributes(out[k] as Record<string, unknown>, v) : v;
	return out as T;
}

function startOf(sub: HistorySubscription): number | undefined {
	return sub.start_date ?? sub.created;
}

function endOf(sub: HistorySubscription): number | undefined {
	if (sub.ended_at != null) return sub.ended_at;
	if (sub.status === 'canceled' && sub.canceled_at != null) return sub.canceled_at;
	return undefined;
}

/**
 * The subscription as it was at `t` (see the module comment), or undefined before it started.
 * `events` are this subscription's, in any order.
 */
export function subscriptionAt(sub: HistorySubscription, events: readonly SubscriptionEventLike[], t: number): HistorySubscription | undefined {
	const start = startOf(sub);
	if (start !== undefined && t < start) return undefined;
	const end = endOf(sub);
	let next: SubscriptionEventLike | undefined;
	for (const e of events) if (e.created > t && (!next || e.created < next.created)) next = e;
	const state: HistorySubscription = next ? ({ ...sub, ...applyPreviousAttributes(next.data.object, next.data.previous_attributes), id: sub.id } as HistorySubscription) : sub;
	let status = state.status;
	if (end !== undefined && t >= end) status = 'canceled';
	else if (status === 'canceled' && end !== undefined) status = 'active';
	else if (status === 'trialing' && state.trial_end != null && state.trial_end <= t) status = 'active';
	return status === state.status ? state : { ...state, status };
}

/** MRR of one subscription at `t` (0 before it started), by the CRM profile's rules. */
export function subscriptionMrrAt(sub: HistorySubscription, events: readonly SubscriptionEventLike[], t: number): number {
	const state = subscriptionAt(sub, events, t);
	if (!state) return 0;
	const r = subscriptionMrr(state, t);
	return r.counted ? r.mrr : 0;
}

function boundariesOf(options: HistoryOptions): number[] {
	const b = options.boundaries ? [...options.boundaries] : options.from !== undefined && options.to !== undefined ? utcMonthBoundaries(options.from, options.to) : undefined;
	if (!b || b.length < 2) throw new RangeError('Give at least two period boundaries, or `from` and `to`.');
	for (let i = 1; i < b.length; i++) if (!(b[i] > b[i - 1])) throw new RangeError('Period boundaries must be strictly ascending.');
	return b;
}

function rounded(byCurrency: Record<string, number>): Record<string, number> {
	const out: Record<string, number> = {};
	for (const [c, v] of Object.entries(byCurrency)) {
		const r = Math.round(v);
		if (r !== 0) out[c] = r;
	}
	return out;
}

/** Whether a customer's MRR (per currency) is above 0 in some currency. */
export function hasMrr(byCurrency: Record<string, number>): boolean {
	return Object.values(byCurrency).some((v) => v > 0);
}
const paid = hasMrr;

/** Each customer's MRR at each period boundary (see the module comment). */
export function mrrHistory(subscriptions: readonly HistorySubscription[], events: readonly SubscriptionEventLike[], options: HistoryOptions): MrrHistory {
	const b = boundariesOf(options);
	const rates = options.rates ?? {};
	const periods = b.slice(0, -1).map((start, i) => ({ label: periodLabel(start), start, end: b[i + 1] }));
	const points = b.map((x) => Math.min(x - 1, options.now));
	const eventsBySub = new Map<string, SubscriptionEventLike[]>();
	for (const e of events) {
		if (!e.type.startsWith('customer.subscription.')) continue;
		const id = idOf(e.data?.object?.id);
		if (!id) continue;
		const list = eventsBySub.get(id) ?? [];
		list.push(e);
		eventsBySub.set(id, list);
	}
	const byCustomer = new Map<string, HistorySubscription[]>();
	for (const s of subscriptions) {
		const c = idOf(s.customer);
		if (!c) continue;
		const list = byCustomer.get(c) ?? [];
		list.push(s);
		byCustomer.set(c, list);
	}
	const customers: CustomerHistory[] = [];
	for (const customerId of [...byCustomer.keys()].sort()) {
		const subs = byCustomer.get(customerId) ?? [];
		const at = (t: number): Record<string, number> => {
			const states = subs.map((s) => subscriptionAt(s, eventsBySub.get(s.id) ?? [], t)).filter((s): s is HistorySubscription => s !== undefined);
			return rounded(customerMrr(states, t).byCurrency);
		};
		const byCurrency = points.map(at);
		const reporting = byCurrency.map((m) => toReportingCurrency(m, options.reportingCurrency, rates));
		const starts = subs.map(startOf).filter((x): x is number => x !== undefined);
		let paidBefore = false;
		if (starts.length) {
			// Month ends from the customer's first start to before point 0.
			let m = addUtcMonths(utcMonthStart(Math.min(...starts)), 1);
			for (let n = 0; n < MAX_PREHISTORY_MONTHS && m - 1 < points[0] && !paidBefore; n++, m = addUtcMonths(m, 1)) paidBefore = paid(at(m - 1));
		}
		customers.push({ customerId, byCurrency, reporting, paidBefore });
	}
	return { periods, points, reportingCurrency: options.reportingCurrency, customers };
}

export const MOVEMENT_TYPES = ['new', 'expansion', 'contraction', 'churn', 'reactivation'] as const;
export type MovementType = (typeof MOVEMENT_TYPES)[number];

/** A roll-forward: start + new + expansion + reactivation − contraction − churn = end (contraction and churn are positive amounts). */
export interface RollForward {
	start: number;
	new: number;
	expansion: number;
	contraction: number;
	churn: number;
	reactivation: number;
	end: number;
}

export interface CustomerMovement {
	customerId: string;
	type: MovementType;
	/** Signed change per currency and in the reporting currency (minor units). */
	byCurrency: Record<string, number>;
	reporting: number;
}

export interface PeriodMovements extends HistoryPeriod {
	byCurrency: Record<string, RollForward>;
	reporting: RollForward;
	/** Paying customers at the start and end, and customers per movement type. */
	customers: { start: number; end: number } & Record<MovementType, number>;
	changes: CustomerMovement[];
}

const emptyRoll = (): RollForward => ({ start: 0, new: 0, expansion: 0, contraction: 0, churn: 0, reactivation: 0, end: 0 });

function add(roll: RollForward, type: MovementType | 'change', delta: number): void {
	if (delta === 0) return;
	if (type === 'change') type = delta > 0 ? 'expansion' : 'contraction';
	if (type === 'contraction' || type === 'churn') roll[type] -= delta;
	else roll[type] += delta;
}

/** The type of a customer's move from `before` to `after`, given whether it was paying earlier. */
export function classifyMovement(before: Record<string, number>, after: Record<string, number>, paidEarlier: boolean): MovementType | 'change' | null {
	const b = paid(before);
	const a = paid(after);
	if (!b && a) return paidEarlier ? 'reactivation' : 'new';
	if (b && !a) return 'churn';
	if (b && a) return 'change';
	return null;
}

/** MRR movements per period, per currency and in the reporting currency (see the module comment). */
export function mrrMovements(history: MrrHistory): PeriodMovements[] {
	const out: PeriodMovements[] = history.periods.map((p) => ({
		...p,
		byCurrency: {},
		reporting: emptyRoll(),
		customers: { start: 0, end: 0, new: 0, expansion: 0, contraction: 0, churn: 0, reactivation: 0 },
		changes: [],
	}));
	for (const c of history.customers) {
		let paidEarlier = c.paidBefore;
		for (let i = 0; i < out.length; i++) {
			const before = c.byCurrency[i];
			const after = c.byCurrency[i + 1];
			const row = out[i];
			if (paid(before)) row.customers.start++;
			if (paid(after)) row.customers.end++;
			for (const [cur, v] of Object.entries(before)) (row.byCurrency[cur] ??= emptyRoll()).start += v;
			for (const [cur, v] of Object.entries(after)) (row.byCurrency[cur] ??= emptyRoll()).end += v;
			row.reporting.start += c.reporting[i];
			row.reporting.end += c.reporting[i + 1];
			paidEarlier ||= paid(before);
			const kind = classifyMovement(before, after, paidEarlier);
			if (!kind) continue;
			const deltas: Record<string, number> = {};
			for (const cur of new Set([...Object.keys(before), ...Object.keys(after)])) {
				const d = (after[cur] ?? 0) - (before[cur] ?? 0);
				if (d !== 0) deltas[cur] = d;
			}
			const dRep = c.reporting[i + 1] - c.reporting[i];
			if (Object.keys(deltas).length === 0 && dRep === 0) continue;
			for (const [cur, d] of Object.entries(deltas)) add((row.byCurrency[cur] ??= emptyRoll()), kind, d);
			add(row.reporting, kind, dRep);
			const type: MovementType = kind === 'change' ? (dRep > 0 || (dRep === 0 && Object.values(deltas).reduce((s, d) => s + d, 0) > 0) ? 'expansion' : 'contraction') : kind;
			row.customers[type]++;
			row.changes.push({ customerId: c.customerId, type, byCurrency: deltas, reporting: dRep });
		}
	}
	return out;
}

/** Whether a roll-forward adds up (integers, so exactly). */
export function rollForwardHolds(r: RollForward): boolean {
	return r.start + r.new + r.expansion + r.reactivation - r.contraction - r.churn === r.end;
}

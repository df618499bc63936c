/**
 * The learning model of issue 8: a small JSON model of the success probability of a payment
 * retry, trained on the account's own past attempts and updated online with every outcome.
 * Pure: no clock (`now` is passed in), no I/O, randomness only from an injected `random()`.
 *
 * The model is a set of Beta-binomial counts, one per (feature, bucket): how many attempts in that
 * bucket succeeded (`a`) and failed (`b`), over a global count. {@link predict} combines them the
 * naive-Bayes way, in log-odds, with each bucket shrunk toward the global rate:
 *
 * ```
 * p0        = A / (A + B)                                 global rate; A, B = priors.base + all outcomes
 * p_f       = (a_f + k·p0) / (a_f + b_f + k)              bucket f's rate shrunk toward p0 (k = priors.strength)
 * logit(p)  = logit(p0) + w · Σ_f (logit(p_f) − logit(p0))  over the features the attempt has (w = weight)
 * p         clamped to [0.001, 0.999]
 * ```
 *
 * A bucket never seen contributes 0 (p_f = p0); a bucket seen n times moves p by an amount that
 * grows with n / (n + k). The sum assumes the features independent given the outcome (the naive
 * Bayes assumption); correlated features (isPayday and daysSincePayday, declineCode and
 * declineClass) count twice, which `weight` < 1 damps. {@link sample} is the same formula with
 * every rate drawn from its Beta posterior instead of its mean (Thompson sampling): a bucket with
 * few observations varies a lot between draws, so it is tried now and then, a well-known one is
 * not, and exploration costs little of the attempt budget.
 *
 * Priors (no model, or a model with few samples): see {@link RETRY_PRIORS}; they are seeded into
 * a fresh model as pseudo-counts, so data overrides them as it comes.
 */
import { DateTime } from 'luxon';

import type { DeclineClass, RuleSource } from './declineCodes';
import { trainPayroll, updatePayroll, type PayrollModel, type PayrollPosterior } from './payroll';
import { isPayday as isPaydayDate, normalizePolicy, type TimingPolicy } from './timing';

/** A Beta distribution's parameters as counts: successes `a`, failures `b`. */
export interface BetaCounts {
	a: number;
	b: number;
}

/** The features the model knows, with stable names (saved models hold them). */
export const MODEL_FEATURES = [
	'declineClass',
	'declineCode',
	'brand',
	'funding',
	'country',
	'localHour',
	'weekday',
	'dayOfMonth',
	'isPayday',
	'daysSincePayday',
	'daysSinceFailure',
	'attemptNumber',
	'customerHistory',
	'timeOfWeek',
	'countryDayOfMonth',
	'paydayHour',
] as const;

export type ModelFeature = (typeof MODEL_FEATURES)[number];

/** An attempt's buckets, one per feature it has (a missing feature contributes nothing). */
export type FeatureBuckets = Partial<Record<ModelFeature, string>>;

/** The model as JSON (store it in workflow static data or a file). */
export interface RetryModel {
	v: 1;
	/** Unix seconds of training (the `now` given to {@link train}). */
	trainedAt: number;
	/** Unix seconds of the latest {@link update}; equals `trainedAt` until then. */
	updatedAt: number;
	priors: {
		/** Pseudo-counts of the global rate, before any outcome. */
		base: BetaCounts;
		/** Shrinkage k: pseudo-observations pulling each bucket toward the global rate. */
		strength: number;
		/** w in the log-odds sum (1 = plain naive Bayes). */
		weight: number;
	};
	/** Observed outcomes over all attempts (without the prior). */
	global: BetaCounts;
	/** Per feature, per bucket: observed outcomes plus the prior pseudo-counts seeded by {@link RETRY_PRIORS}. */
	features: Partial<Record<ModelFeature, Record<string, BetaCounts>>>;
	/** Attempts learned from (training plus updates). */
	samples: number;
	/** Whether the crosses `timeOfWeek`, `countryDayOfMonth` and `paydayHour` are learned (`train` with `crosses: true`); absent: not. */
	crosses?: boolean;
	/** The earliest and latest attempt learned from (unix seconds), `null` with none. */
	dataRange: { from: number; to: number } | null;
	/**
	 * When customers are paid, learned from the insufficient-funds retries (`train` with
	 * `payroll: true`; see `payroll.ts`). With it, Plan Retry times insufficient-funds retries by
	 * the customer's posterior over payroll rules instead of the feature sum.
	 */
	payroll?: PayrollModel;
}

/** Sources behind the priors. */
export const PRIOR_SOURCES = {
	smartRetries: {
		url: 'https://docs.stripe.com/payments/off-session-payments/smart-retries',
		read: '2026-12-01',
		fetched: true,
		note: '"The recommended default is 8 tries within 2 weeks"; Smart Retries use "time-of-day payment success rates (for example, debit card transactions in some regions might have higher success rates at specific times)". Read through the search tool.',
	},
	billingSmartRetries: {
		url: 'https://docs.stripe.com/billing/revenue-recovery/smart-retries',
		read: '2026-12-01',
		fetched: true,
		note: '"payments made for debit cards in certain countries might be slightly more successful at 12:01 AM in local time zones" (an older copy of the page). No rates are published: every number in RETRY_PRIORS is ours.',
	},
} as const satisfies Record<string, RuleSource>;

/**
 * The priors, chosen by us (no source publishes retry success rates by class or hour; Stripe's
 * pages above say only that time of day matters). They rank times sensibly before any data and
 * are weak (`pseudoCount` observations each), so an account's own history overrides them quickly.
 *
 * - `byDeclineClass`: success probability of one retry. Ours: temporary declines often clear
 *   (0.30), insufficient funds less often and depend on money arriving (0.20), unknown cautious
 *   (0.15), a card that needs the customer rarely succeeds unchanged (0.03), a hard decline almost
 *   never (0.01; plan never retries those anyway).
 * - `hourLogOdds`: added to the log-odds by local 3-hour band. Ours: business hours best (people
 *   and issuers awake, balances updated overnight), the night worst. Stripe's note on debit cards
 *   just after local midnight is a reason the night is not lower still; quiet hours usually
 *   exclude it anyway.
 * - `paydayLogOdds`: on a payday, and 1–3 days after it. Ours: salary arrives (the sandbox and
 *   real payrolls differ by country, so the model must learn the real days).
 * - `attemptLogOdds`: per retry already made, decreasing (ours: each failure is evidence the card
 *   will keep failing).
 * - `pseudoCount`: 4 pseudo-observations per seeded bucket; `strength` 20 and `weight` 0.7 are
 *   our shrinkage and damping choices.
 * - The budget the planner spends them on is Stripe's recommended default, 8 tries in 2 weeks
 *   ({@link PRIOR_SOURCES}); see `DEFAULT_TIMING_POLICY`.
 */
export const RETRY_PRIORS = Object.freeze({
	byDeclineClass: Object.freeze({ temporary: 0.3, insufficientFunds: 0.2, unknown: 0.15, needsCustomer: 0.03, neverRetry: 0.01 }) as Readonly<Record<DeclineClass, number>>,
	/** The rate used when the decline class is not known. */
	base: 0.15,
	hourLogOdds: Object.freeze([-0.3, -0.3, -0.2, 0.15, 0.25, 0.1, 0.0, -0.15]) as readonly number[],
	paydayLogOdds: Object.freeze({ payday: 0.4, after1to3: 0.2 }),
	attemptLogOdds: -0.1,
	pseudoCount: 4,
	strength: 20,
	weight: 0.7,
});

/** What an attempt's features are computed from; every field but `at` and `zone` is optional. */
export interface AttemptFeaturesInput {
	/** Unix seconds of the attempt. */
	at: number;
	/** The customer's IANA zone (local hour, weekday and day of month are the customer's). */
	zone: string;
	declineClass?: DeclineClass;
	/** Stripe's decline code of the failure being retried. */
	declineCode?: string;
	/** Card brand (`visa`, `mastercard`, …). */
	brand?: string;
	/** Card funding (`credit`, `debit`, `prepaid`, `unknown`). */
	funding?: string;
	/** Card issuing country (ISO alpha-2). */
	country?: string;
	/** When the invoice's first payment failed (unix seconds). */
	firstFailureAt?: number;
	/** 1 = the first retry after the failed charge. */
	attemptNumber?: number;
	/** The customer's past payment success rate (0–1), `null` when there is no past payment. */
	customerSuccessRate?: number | null;
	/** Whether the local date is a payday; computed from `paydayPolicy` when absent. */
	isPayday?: boolean;
	/** Days since the latest payday (0 on one); computed from `paydayPolicy` when absent. */
	daysSincePayday?: number | null;
}

/** A past attempt with its outcome, for {@link train}. */
export interface TrainingAttempt extends AttemptFeaturesInput {
	succeeded: boolean;
	/** The customer; with it and no `customerSuccessRate`, {@link train} derives the rate from the customer's earlier attempts. */
	customerId?: string;
	/** The invoice (used by evaluation to group attempts). */
	invoiceId?: string;
	/** The invoice's amount due in minor units (used by evaluation). */
	amount?: number;
}

const DAY = 86_400;

function band(value: number, edges: readonly number[], labels: readonly string[]): string {
	for (let i = 0; i < edges.length; i++) if (value <= edges[i]) return labels[i];
	return labels[labels.length - 1];
}

/** 3-hour band index 0–7 of a local hour. */
export function hourBand(hour: number): number {
	return Math.max(0, Math.min(7, Math.floor(hour / 3)));
}

/** Days since the latest payday on or before `date` (0 on a payday), looking back 40 days; `null` with none. */
function daysSincePaydayOf(date: DateTime, policy: TimingPolicy, cache: Map<string, boolean>): number | null {
	if (policy.paydays.length === 0) return null;
	for (let i = 0; i <= 40; i++) {
		const d = date.minus({ days: i });
		const iso = d.toISODate() ?? '';
		let hit = cache.get(iso);
		if (hit === undefined) {
			hit = isPaydayDate({ year: d.year, month: d.month, day: d.day }, policy);
			cache.set(iso, hit);
		}
		if (hit) return i;
	}
	return null;
}

/** Options of the feature extraction. */
export interface FeatureOptions {
	/** The paydays assumed when an input does not say (`DEFAULT_TIMING_POLICY`'s by default). */
	paydayPolicy?: Partial<TimingPolicy>;
}

/**
 * An attempt's buckets. Bands: local hour 0–23 (one bucket per hour), weekday 1–7, day of month
 * in 5-day bands (`1-5` … `26-31`), payday yes/no, days since payday `0`/`1-3`/`4-7`/`8-14`/`15+`,
 * days since the first failure `0`/`1`/`2-3`/`4-7`/`8-14`/`15+`, attempt number `1`…`7`/`8+`,
 * customer history `none`/`<50%`/`50-80%`/`80-95%`/`95%+`. Codes and card fields lower-cased.
 *
 * Three crosses, only with a decline class, because when money arrives depends on the class and
 * the place, and a naive-Bayes sum of separate weekday, hour and day buckets cannot say "Friday
 * afternoon" or "the end of the month in Germany":
 * - `timeOfWeek`: class, local weekday and 3-hour band (`insufficientFunds|5|12-14`): weekly and
 *   fortnightly paydays and the hour funds clear;
 * - `countryDayOfMonth`: class, card country and the local day of the month, `last` for the
 *   month's last day (`insufficientFunds|DE|last`): monthly paydays differ by country's payroll
 *   habits, and a payday helps for a day or two, less than a 5-day band;
 * - `paydayHour`: class, days since the payday (`0`, `1`, `2-3`, `4+`) and the 3-hour band
 *   (`insufficientFunds|0|15-17`): the hour a payday's money clears (overnight batches, or late
 *   in the working day) shows only on the payday itself.
 */
export function attemptFeatures(input: AttemptFeaturesInput, options: FeatureOptions = {}, cache = new Map<string, boolean>()): FeatureBuckets {
	const t = DateTime.fromSeconds(input.at, { zone: input.zone });
	const f: FeatureBuckets = {};
	if (input.declineClass) f.declineClass = input.declineClass;
	if (input.declineCode) f.declineCode = input.declineCode.trim().toLowerCase();
	if (input.brand) f.brand = input.brand.trim().toLowerCase();
	if (input.funding) f.funding = input.funding.trim().toLowerCase();
	if (input.country) f.country = input.country.trim().toUpperCase();
	f.localHour = String(t.hour);
	f.weekday = String(t.weekday);
	f.dayOfMonth = band(t.day, [5, 10, 15, 20, 25], ['1-5', '6-10', '11-15', '16-20', '21-25', '26-31']);
	let payday = input.isPayday;
	let since = input.daysSincePayday;
	if (payday === undefined || since === undefined) {
		const policy = normalizePolicy(options.paydayPolicy ?? {});
		const computed = daysSincePaydayOf(t.startOf('day'), policy, cache);
		if (since === undefined) since = computed;
		if (payday === undefined) payday = computed === 0;
	}
	f.isPayday = payday ? 'yes' : 'no';
	if (since !== null && since !== undefined) f.daysSincePayday = band(since, [0, 3, 7, 14], ['0', '1-3', '4-7', '8-14', '15+']);
	if (input.firstFailureAt !== undefined) {
		const days = Math.max(0, Math.floor((input.at - input.firstFailureAt) / DAY));
		f.daysSinceFailure = band(days, [0, 1, 3, 7, 14], ['0', '1', '2-3', '4-7', '8-14', '15+']);
	}
	if (input.attemptNumber !== undefined) f.attemptNumber = input.attemptNumber >= 8 ? '8+' : String(Math.max(1, Math.floor(input.attemptNumber)));
	if (input.declineClass) {
		const hb = hourBand(t.hour) * 3;
		f.timeOfWeek = `${input.declineClass}|${t.weekday}|${hb}-${hb + 2}`;
		if (f.country) f.countryDayOfMonth = `${input.declineClass}|${f.country}|${t.day === t.daysInMonth ? 'last' : t.day}`;
		if (since !== null && since !== undefined) f.paydayHour = `${input.declineClass}|${since === 0 ? '0' : since === 1 ? '1' : since <= 3 ? '2-3' : '4+'}|${hb}-${hb + 2}`;
	}
	if (input.customerSuccessRate !== undefined) {
		const r = input.customerSuccessRate;
		f.customerHistory = r === null ? 'none' : r < 0.5 ? '<50%' : r < 0.8 ? '50-80%' : r < 0.95 ? '80-95%' : '95%+';
	}
	return f;
}

const clampP = (p: number) => Math.min(0.999, Math.max(0.001, p));
const logit = (p: number) => Math.log(clampP(p) / (1 - clampP(p)));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

function seeded(p: number, m: number): BetaCounts {
	return { a: m * p, b: m * (1 - p) };
}

/**
 * A model with no data: the priors of {@link RETRY_PRIORS} seeded as pseudo-counts (decline
 * class, local hour by its band, payday, days since payday, attempt number). {@link predict} with
 * no model uses this.
 */
export function priorModel(now = 0): RetryModel {
	const P = RETRY_PRIORS;
	const m = P.pseudoCount;
	const base = P.base;
	const features: RetryModel['features'] = {};
	features.declineClass = Object.fromEntries(Object.entries(P.byDeclineClass).map(([k, p]) => [k, seeded(p, m)]));
	features.localHour = Object.fromEntries(
		Array.from({ length: 24 }, (_, h) => [String(h), seeded(sigmoid(logit(base) + P.hourLogOdds[hourBand(h)]), m)]),
	);
	features.isPayday = { yes: seeded(sigmoid(logit(base) + P.paydayLogOdds.payday), m), no: seeded(base, m) };
	features.daysSincePayday = { '1-3': seeded(sigmoid(logit(base) + P.paydayLogOdds.after1to3), m) };
	features.attemptNumber = Object.fromEntries(
		['1', '2', '3', '4', '5', '6', '7', '8+'].map((k, i) => [k, seeded(sigmoid(logit(base) + P.attemptLogOdds * i), m)]),
	);
	return {
		v: 1,
		trainedAt: now,
		updatedAt: now,
		priors: { base: seeded(base, 2 * m), strength: P.strength, weight: P.weight },
		global: { a: 0, b: 0 },
		features,
		samples: 0,
		dataRange: null,
	};
}

/** Options of {@link train}. */
export interface TrainOptions extends FeatureOptions {
	/** The time of training (unix seconds); recorded as `trainedAt`. */
	now: number;
	/** Start from the priors (default) or from no prior pseudo-counts at all. */
	priors?: boolean;
	/** Override the shrinkage k. */
	strength?: number;
	/** Override the log-odds weight w. */
	weight?: number;
	/**
	 * Also learn the crosses `timeOfWeek`, `countryDayOfMonth` and `paydayHour` (see {@link attemptFeatures}); off by
	 * default. Worth it with a few thousand retries in the history; with less, their buckets stay
	 * near the global rate anyway (shrinkage), but they double-count what weekday, hour and day say.
	 */
	crosses?: boolean;
	/**
	 * Also learn when customers are paid (`RetryModel.payroll`, `trainPayroll` over the
	 * insufficient-funds retries that have a customer); off by default.
	 */
	payroll?: boolean;
}

/** The features that are crosses: learned only by a model trained with `crosses: true`. */
export const CROSS_FEATURES: readonly ModelFeature[] = ['timeOfWeek', 'countryDayOfMonth', 'paydayHour'];

function bump(model: RetryModel, buckets: FeatureBuckets, succeeded: boolean): void {
	for (const [feature, bucket] of Object.entries(buckets) as Array<[ModelFeature, string]>) {
		if (!model.crosses && CROSS_FEATURES.includes(feature)) continue;
		const table = (model.features[feature] ??= {});
		const c = (table[bucket] ??= { a: 0, b: 0 });
		if (succeeded) c.a += 1;
		else c.b += 1;
	}
	if (succeeded) model.global.a += 1;
	else model.global.b += 1;
	model.samples += 1;
}

/**
 * Trains a model on past attempts (failed and succeeded). Attempts are read in time order; with a
 * `customerId` and no `customerSuccessRate`, the customer's rate is that of their earlier
 * attempts in the list (`none` before the first), so a rate never includes its own outcome.
 */
export function train(attempts: readonly TrainingAttempt[], options: TrainOptions): RetryModel {
	const model = options.priors === false ? emptyModel(options.now) : priorModel(options.now);
	if (options.strength !== undefined) model.priors.strength = options.strength;
	if (options.weight !== undefined) model.priors.weight = options.weight;
	if (options.crosses) model.crosses = true;
	const sorted = [...attempts].sort((x, y) => x.at - y.at);
	const perCustomer = new Map<string, BetaCounts>();
	const cache = new Map<string, boolean>();
	for (const att of sorted) {
		let input: AttemptFeaturesInput = att;
		if (att.customerSuccessRate === undefined && att.customerId) {
			const c = perCustomer.get(att.customerId);
			input = { ...att, customerSuccessRate: c ? c.a / (c.a + c.b) : null };
		}
		bump(model, attemptFeatures(input, options, cache), att.succeeded);
		if (att.customerId) {
			const c = perCustomer.get(att.customerId) ?? { a: 0, b: 0 };
			if (att.succeeded) c.a += 1;
			else c.b += 1;
			perCustomer.set(att.customerId, c);
		}
	}
	if (sorted.length > 0) model.dataRange = { from: sorted[0].at, to: sorted[sorted.length - 1].at };
	if (options.payroll) {
		model.payroll = trainPayroll(
			sorted
				.filter((a) => a.declineClass === 'insufficientFunds' && a.customerId)
				.map((a) => ({ at: a.at, zone: a.zone, succeeded: a.succeeded, customerId: a.customerId as string, country: a.country })),
		);
	}
	return model;
}

function emptyModel(now: number): RetryModel {
	const m = priorModel(now);
	return { ...m, priors: { ...m.priors, base: { a: 1, b: 1 } }, features: {} };
}

function cloneModel(model: RetryModel): RetryModel {
	return JSON.parse(JSON.stringify(model)) as RetryModel;
}

/** Options of {@link update}. */
export interface UpdateOptions extends FeatureOptions {
	/**
	 * The customer's payroll posterior the plan scored this attempt by (`RetryPlan.payrollPosterior`).
	 * With it, a model that has `payroll`, and an insufficient-funds attempt given as input (not as
	 * buckets), the payroll model learns the outcome too (`updatePayroll`).
	 */
	payrollPosterior?: PayrollPosterior;
}

/**
 * Learns one outcome (online): returns a new model with the attempt's buckets counted; the given
 * model is not changed. `at` (the attempt's time) becomes `updatedAt` and widens `dataRange`.
 * With `options.payrollPosterior`, an insufficient-funds attempt also updates the payroll model.
 */
export function update(model: RetryModel, attempt: AttemptFeaturesInput | FeatureBuckets, succeeded: boolean, options: UpdateOptions = {}): RetryModel {
	const next = cloneModel(model);
	const isInput = typeof (attempt as AttemptFeaturesInput).at === 'number' && typeof (attempt as AttemptFeaturesInput).zone === 'string';
	const buckets = isInput ? attemptFeatures(attempt as AttemptFeaturesInput, options) : (attempt as FeatureBuckets);
	bump(next, buckets, succeeded);
	if (isInput) {
		const input = attempt as AttemptFeaturesInput;
		if (next.payroll && options.payrollPosterior && input.declineClass === 'insufficientFunds') {
			next.payroll = updatePayroll(next.payroll, options.payrollPosterior, { at: input.at, succeeded, zone: input.zone });
		}
		const at = input.at;
		next.updatedAt = Math.max(next.updatedAt, at);
		next.dataRange = next.dataRange ? { from: Math.min(next.dataRange.from, at), to: Math.max(next.dataRange.to, at) } : { from: at, to: at };
	}
	return next;
}

function globalCounts(model: RetryModel): BetaCounts {
	return { a: model.priors.base.a + model.global.a, b: model.priors.base.b + model.global.b };
}

/** One feature's part in a prediction, for explanations. */
export interface FeatureContribution {
	feature: ModelFeature;
	bucket: string;
	/** The bucket's shrunk rate p_f. */
	rate: number;
	/** Observations in the bucket (prior pseudo-counts included). */
	n: number;
	/** w · (logit(p_f) − logit(p0)). */
	logOdds: number;
}

/** A prediction with its parts. */
export interface Prediction {
	p: number;
	base: number;
	contributions: FeatureContribution[];
}

/** {@link predict} with the part each feature played, largest effect first. */
export function explainPrediction(model: RetryModel | undefined, buckets: FeatureBuckets): Prediction {
	const m = model ?? priorModel();
	const g = globalCounts(m);
	const p0 = g.a / (g.a + g.b);
	const k = m.priors.strength;
	const w = m.priors.weight;
	let x = logit(p0);
	const contributions: FeatureContribution[] = [];
	for (const [feature, bucket] of Object.entries(buckets) as Array<[ModelFeature, string]>) {
		const c = m.features[feature]?.[bucket];
		if (!c) continue;
		const n = c.a + c.b;
		const rate = (c.a + k * p0) / (n + k);
		const lo = w * (logit(rate) - logit(p0));
		x += lo;
		contributions.push({ feature, bucket, rate, n, logOdds: lo });
	}
	contributions.sort((u, v) => Math.abs(v.logOdds) - Math.abs(u.logOdds));
	return { p: clampP(sigmoid(x)), base: p0, contributions };
}

/** The mean predicted success probability (formula in the module comment); no model → the priors. */
export function predict(model: RetryModel | undefined, buckets: FeatureBuckets): number {
	return explainPrediction(model, buckets).p;
}

/* ---------- Thompson sampling ---------- */

/** A standard normal from two uniforms (Box–Muller). */
function normal(random: () => number): number {
	let u = 0;
	while (u <= Number.EPSILON) u = random();
	const v = random();
	return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * A Gamma(shape, 1) draw: Marsaglia and Tsang, "A simple method for generating gamma variables",
 * ACM TOMS 26(3), 2000; for shape < 1, Gamma(shape + 1) · U^(1/shape).
 */
export function sampleGamma(shape: number, random: () => number): number {
	if (!(shape > 0)) return 0;
	if (shape < 1) {
		let u = 0;
		while (u <= Number.EPSILON) u = random();
		return sampleGamma(shape + 1, random) * Math.pow(u, 1 / shape);
	}
	const d = shape - 1 / 3;
	const c = 1 / Math.sqrt(9 * d);
	for (let i = 0; i < 1000; i++) {
		let x: number;
		let v: number;
		do {
			x = normal(random);
			v = 1 + c * x;
		} while (v <= 0);
		v = v * v * v;
		const u = random();
		if (u < 1 - 0.0331 * x * x * x * x) return d * v;
		if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
	}
	return d; // not reached with a fair uniform source; the mode's neighbourhood as a safe value
}

/** A Beta(a, b) draw via two Gamma draws. */
export function sampleBeta(a: number, b: number, random: () => number): number {
	const x = sampleGamma(a, random);
	const y = sampleGamma(b, random);
	return x + y > 0 ? x / (x + y) : a / (a + b);
}

/**
 * A Thompson scorer: one draw of the model's parameters (p0 from Beta(A, B), each bucket's rate
 * from Beta(a_f + k·p0, b_f + k·(1 − p0)), drawn when first needed and then reused), applied with
 * {@link predict}'s formula. Score every candidate of one decision with the same scorer: that is
 * Thompson sampling proper (one plausible world, its best action), so candidates sharing a
 * well-known bucket share its draw. Deterministic for a deterministic `random`.
 */
export function thompsonScorer(model: RetryModel | undefined, random: () => number): (buckets: FeatureBuckets) => number {
	const m = model ?? priorModel();
	const g = globalCounts(m);
	const mean0 = g.a / (g.a + g.b);
	const p0 = clampP(sampleBeta(g.a, g.b, random));
	const k = m.priors.strength;
	const w = m.priors.weight;
	const drawn = new Map<string, number>();
	return (buckets) => {
		let x = logit(p0);
		for (const [feature, bucket] of Object.entries(buckets) as Array<[ModelFeature, string]>) {
			const c = m.features[feature]?.[bucket];
			if (!c) continue;
			const key = `${feature}|${bucket}`;
			let rate = drawn.get(key);
			if (rate === undefined) {
				rate = sampleBeta(c.a + k * mean0, c.b + k * (1 - mean0), random);
				drawn.set(key, rate);
			}
			x += w * (logit(rate) - logit(mean0));
		}
		return clampP(sigmoid(x));
	};
}

/**
 * One Thompson sample of the success probability of one attempt ({@link thompsonScorer} with a
 * fresh draw). Deterministic for a deterministic `random` (e.g. `mulberry32(seed)`).
 */
export function sample(model: RetryModel | undefined, buckets: FeatureBuckets, random: () => number): number {
	return thompsonScorer(model, random)(buckets);
}

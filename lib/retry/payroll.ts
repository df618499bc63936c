/**
 * When a customer's money arrives: a posterior over payroll rules, learned from the account's
 * insufficient-funds retries, for timing the next one. Pure: no clock, no I/O.
 *
 * Why: an insufficient-funds decline clears when the customer is paid, and each customer is paid
 * by one rule (weekly, every other Friday, the last working day, the 25th, …). The naive-Bayes
 * model of `model.ts` learns how good a weekday or a day of the month is on average over a
 * country; it cannot say "this customer's Friday try failed, so they are not paid weekly on
 * Fridays; try the end of the month". This module can:
 *
 * - {@link PAYROLL_RULES}: a fixed family of common payroll rules (general knowledge of how
 *   payroll is run, not any one world's table): weekly on a weekday (Mon–Fri), every other week on
 *   a weekday (two phases), monthly on a day 1–30 or the last day, twice a month (1st and 15th,
 *   15th and last), the n-th business day (1–5), and `none` (no payroll effect). Monthly days on a
 *   weekend move to the Friday before, as payrolls usually pay (public holidays are not known).
 * - A success model shared by every rule, in time since the rule's payday (the payday by local
 *   hour, days 1–6 by 3-hour band, then `7+`): before the money arrives (on the payday before an
 *   onset hour learned from the data, and a week or more after) the base rate; from the onset on a rate that
 *   does not rise as the money is drawn down (a decreasing fit, pool-adjacent-violators). That one
 *   shape (no rate of its own per cell, which lets any rule explain anything) is what makes the
 *   rules tell apart; `none` has one rate of its own.
 * - {@link trainPayroll}: EM over the customers of the history (a customer keeps one rule): the
 *   E-step gives each customer a posterior over the rules from their retries' outcomes, the M-step
 *   re-estimates the rates and each card country's prior over the rules (shrunk toward the
 *   account-wide prior; the stored priors have 10 % spread over all rules, so none is ruled out by
 *   the country alone). So the engine learns both "funds clear at 16:00 and help for two days"
 *   and "Germans are mostly paid on the last working day" from history alone.
 * - {@link payrollPosterior}: at plan time, the country's prior times the likelihood of this
 *   customer's insufficient-funds retries (earlier invoices' and this invoice's failed tries);
 *   {@link payrollChance} the chance a try at a time succeeds; {@link choosePayrollSet} the set of
 *   tries within the budget that maximizes the chance that one succeeds, Σ_h P(h)·(1 − Π(1 − r_h(t))),
 *   built greedily (the objective is submodular, so greedy is within 1 − 1/e of the best set).
 */

import { groupBy } from '../group';
import { daysInMonth, epochDay, fromEpochDay, isoWeekday, localClock } from './calendar';

/** A payroll rule (stable ids: saved models hold them). */
export interface PayrollRule {
	id: string;
	kind: 'weekly' | 'biweekly' | 'monthDays' | 'nthBusinessDay' | 'none';
	/** ISO weekday 1–5 (weekly, biweekly). */
	weekday?: number;
	/** Which of the two alternating weeks (biweekly): parity of the Monday-based week number since 1970. */
	parity?: number;
	/** Days of the month (monthDays); `'last'` is the month's last day. */
	days?: Array<number | 'last'>;
	/** The n-th business day (Mon–Fri) of the month. */
	n?: number;
}

const WEEKDAY_NAMES = ['', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'];

function buildRules(): PayrollRule[] {
	const rules: PayrollRule[] = [];
	for (let w = 1; w <= 5; w++) rules.push({ id: `weekly-${w}`, kind: 'weekly', weekday: w });
	for (let w = 1; w <= 5; w++) for (let p = 0; p < 2; p++) rules.push({ id: `biweekly-${w}-${p}`, kind: 'biweekly', weekday: w, parity: p });
	for (let d = 1; d <= 30; d++) rules.push({ id: `monthly-${d}`, kind: 'monthDays', days: [d] });
	rules.push({ id: 'monthly-last', kind: 'monthDays', days: ['last'] });
	rules.push({ id: 'twice-1-15', kind: 'monthDays', days: [1, 15] });
	rules.push({ id: 'twice-15-last', kind: 'monthDays', days: [15, 'last'] });
	for (let n = 1; n <= 5; n++) rules.push({ id: `businessDay-${n}`, kind: 'nthBusinessDay', n });
	rules.push({ id: 'none', kind: 'none' });
	return rules;
}

/** The rules every payroll model ranks, in a fixed order (a model's arrays follow it). */
export const PAYROLL_RULES: readonly PayrollRule[] = Object.freeze(buildRules());
const H = PAYROLL_RULES.length;
const NONE = H - 1;

/** A rule in words, for explanations. */
export function describePayrollRule(rule: PayrollRule): string {
	switch (rule.kind) {
		case 'weekly':
			return `weekly on ${WEEKDAY_NAMES[rule.weekday ?? 0]}`;
		case 'biweekly':
			return `every other ${WEEKDAY_NAMES[rule.weekday ?? 0]} (${rule.parity === 0 ? 'even' : 'odd'} weeks)`;
		case 'monthDays':
			return `monthly on the ${(rule.days ?? []).map((d) => (d === 'last' ? 'last working day' : ordinal(d))).join(' and ')}`;
		case 'nthBusinessDay':
			return `the ${ordinal(rule.n ?? 1)} business day of the month`;
		default:
			return 'no payroll pattern';
	}
}

function ordinal(n: number): string {
	const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
	return `${n}${s}`;
}

/* ---------- calendar on epoch days (days since 1970-01-01 of a local date) ---------- */

function weekParity(e: number): number {
	return ((Math.floor((e + 3) / 7) % 2) + 2) % 2;
}
/** The weekday on or before an epoch day (a weekend payday is paid the Friday before). */
function previousWeekday(e: number): number {
	const w = isoWeekday(e);
	return w === 6 ? e - 1 : w === 7 ? e - 2 : e;
}

/** The paydays (epoch days) of a rule in a month. */
function paydaysOfMonth(rule: PayrollRule, y: number, m: number): number[] {
	const dim = daysInMonth(y, m);
	if (rule.kind === 'monthDays') return (rule.days ?? []).map((d) => previousWeekday(epochDay(y, m, d === 'last' ? dim : Math.min(d, dim))));
	if (rule.kind === 'nthBusinessDay') {
		let count = 0;
		for (let d = 1; d <= dim; d++) {
			const e = epochDay(y, m, d);
			if (isoWeekday(e) <= 5 && ++count === (rule.n ?? 1)) return [e];
		}
	}
	return [];
}

/**
 * Days since the rule's latest payday for each epoch day in `[from, to]` (0 on a payday),
 * capped at 7 (`7` = a week or more; also with no payday in the 62 days before).
 */
export function daysSincePaydays(rule: PayrollRule, from: number, to: number): Uint8Array {
	const out = new Uint8Array(to - from + 1).fill(7);
	if (rule.kind === 'none') return out;
	const start = from - 62;
	const isPay = new Uint8Array(to - start + 1);
	if (rule.kind === 'weekly' || rule.kind === 'biweekly') {
		for (let e = start; e <= to; e++) if (isoWeekday(e) === rule.weekday && (rule.kind === 'weekly' || weekParity(e) === rule.parity)) isPay[e - start] = 1;
	} else {
		let { year: y, month: m } = fromEpochDay(start);
		for (;;) {
			for (const e of paydaysOfMonth(rule, y, m)) if (e >= start && e <= to) isPay[e - start] = 1;
			if (epochDay(y, m, 1) > to) break;
			m++;
			if (m > 12) {
				m = 1;
				y++;
			}
		}
	}
	let last = -Infinity;
	for (let e = start; e <= to; e++) {
		if (isPay[e - start]) last = e;
		if (e >= from) out[e - from] = Math.min(7, e - last);
	}
	return out;
}

/* ---------- the success cells ---------- */

/**
 * Cells, in time order since the payday: the payday itself by local hour (0–23; the hour the money
 * clears matters there), days 1–6 by 3-hour band, then `7+`, then `none`.
 */
const CELLS = 24 + 6 * 8 + 2;
const CELL_LATE = 72;
const CELL_NONE = 73;
function cellOf(since: number, hour: number): number {
	if (since >= 7) return CELL_LATE;
	return since === 0 ? hour : 24 + (since - 1) * 8 + Math.floor(hour / 3);
}

/** The learned payroll model (JSON). */
export interface PayrollModel {
	v: 1;
	/** The rule ids, in the order of the arrays below (a later version may add rules). */
	rules: string[];
	/** Success rate of an insufficient-funds retry per cell (see {@link payrollCellLabel}). */
	cells: number[];
	/** Observations per cell (EM-weighted). */
	cellCounts: number[];
	/** The account-wide prior over the rules. */
	prior: number[];
	/** Per card country (ISO alpha-2): the prior over the rules. */
	byCountry: Record<string, number[]>;
	/** Customers and retries learned from. */
	customers: number;
	samples: number;
	/** EM iterations of the chosen run (its screening included). */
	iterations: number;
	/** The payday's local hour (0–23) from which the money helps, chosen by profile likelihood. */
	onsetHour: number;
	/** The history's marginal log-likelihood under the model (for comparing runs). */
	logLikelihood: number;
}

/** A cell's meaning, e.g. `payday+1d 09-11h`, `7+d`, `no pattern`. */
export function payrollCellLabel(cell: number): string {
	if (cell === CELL_NONE) return 'no pattern';
	if (cell === CELL_LATE) return '7+d';
	if (cell < 24) return `payday ${String(cell).padStart(2, '0')}h`;
	const band = ((cell - 24) % 8) * 3;
	return `payday+${1 + Math.floor((cell - 24) / 8)}d ${String(band).padStart(2, '0')}-${String(band + 2).padStart(2, '0')}h`;
}

/** One insufficient-funds retry as the payroll model reads it. */
export interface PayrollObservation {
	/** Unix seconds. */
	at: number;
	succeeded: boolean;
	/** The customer's IANA zone (the local date and hour are the customer's). */
	zone: string;
}

/** A training observation: a customer's retry, with the card's country. */
export interface PayrollTrainingObservation extends PayrollObservation {
	customerId: string;
	country?: string;
}

/** Options of {@link trainPayroll}. */
export interface TrainPayrollOptions {
	/** EM iterations (default 100). */
	iterations?: number;
	/** Pseudo-customers pulling a country's prior toward the account-wide one (default 10). */
	countryStrength?: number;
	/** Pseudo-observations at the overall rate per day of cells (each 3-hour cell gets an eighth), and for `none` (default 8). */
	cellStrength?: number;
	/**
	 * The share of every prior spread evenly over all rules (default 0.1): no rule is ever ruled out
	 * by the country alone, so a customer's own retries can point to a rule their country rarely uses.
	 */
	floor?: number;
}

interface Prepared {
	/** cell[h][i] of observation i under rule h. */
	cell: Uint8Array[];
	succeeded: Uint8Array;
}

function prepare(obs: readonly PayrollObservation[]): Prepared {
	const local = obs.map((o) => localClock(o.at, o.zone));
	const cell = PAYROLL_RULES.map(() => new Uint8Array(obs.length));
	const succeeded = new Uint8Array(obs.map((o) => (o.succeeded ? 1 : 0)));
	if (obs.length === 0) return { cell, succeeded };
	const from = Math.min(...local.map((l) => l.e));
	const to = Math.max(...local.map((l) => l.e));
	PAYROLL_RULES.forEach((rule, h) => {
		if (h === NONE) {
			cell[h].fill(CELL_NONE);
			return;
		}
		const since = daysSincePaydays(rule, from, to);
		local.forEach((l, i) => (cell[h][i] = cellOf(since[l.e - from], l.hour)));
	});
	return { cell, succeeded };
}

function logRates(cells: readonly number[]): { l1: number[]; l0: number[] } {
	return { l1: cells.map((r) => Math.log(r)), l0: cells.map((r) => Math.log(1 - r)) };
}

function logLikelihoods({ l1, l0 }: { l1: number[]; l0: number[] }, prep: Prepared, idx: readonly number[]): number[] {
	const ll = new Array<number>(H).fill(0);
	for (let h = 0; h < H; h++) {
		const row = prep.cell[h];
		let s = 0;
		for (const i of idx) s += prep.succeeded[i] ? l1[row[i]] : l0[row[i]];
		ll[h] = s;
	}
	return ll;
}

function normalizeLog(logp: number[]): number[] {
	const max = Math.max(...logp);
	const p = logp.map((x) => Math.exp(x - max));
	const sum = p.reduce((a, b) => a + b, 0);
	return p.map((x) => x / sum);
}

const clampRate = (r: number) => Math.min(0.98, Math.max(0.005, r));

/** Pool-adjacent-violators: the non-increasing fit of rates `S/N` (weights `N`), in place into `out`. */
function decreasingFit(S: readonly number[], N: readonly number[]): number[] {
	const blocks: Array<{ s: number; n: number; len: number }> = [];
	for (let i = 0; i < S.length; i++) {
		blocks.push({ s: S[i], n: N[i], len: 1 });
		while (blocks.length > 1) {
			const y = blocks[blocks.length - 1];
			const x = blocks[blocks.length - 2];
			if (x.s / x.n >= y.s / y.n) break;
			blocks.splice(blocks.length - 2, 2, { s: x.s + y.s, n: x.n + y.n, len: x.len + y.len });
		}
	}
	return blocks.flatMap((b) => new Array<number>(b.len).fill(b.s / b.n));
}

/**
 * The M-step's cells, under the one shape every payroll shares: before the money arrives (on the
 * payday before the onset hour `s0`, and a week or more after) the rate is the base rate; from the
 * onset on it does not rise (the money is drawn down), a decreasing fit over the cells from the
 * onset to day 6 and then the base. The onset is an hour within `onset` (default 0–23): the
 * rates are averaged over the onsets weighted by their likelihood, and the likeliest is returned. Each cell has `k`/8 pseudo-observations at the overall rate; `none` has its own rate.
 */
function fitCells(S: readonly number[], N: readonly number[], overall: number, k: number, out: number[], onset?: [number, number]): number {
	const prior = k / 8;
	const fits: Array<{ s0: number; ll: number; cells: number[] }> = [];
	const [lo, hi] = onset ?? [0, 23];
	for (let s0 = lo; s0 <= hi; s0++) {
		const seqS: number[] = [];
		const seqN: number[] = [];
		for (let c = s0; c < CELL_LATE; c++) {
			seqS.push(S[c] + prior * overall);
			seqN.push(N[c] + prior);
		}
		let lateS = S[CELL_LATE] + prior * overall;
		let lateN = N[CELL_LATE] + prior;
		for (let c = 0; c < s0; c++) {
			lateS += S[c];
			lateN += N[c];
		}
		seqS.push(lateS);
		seqN.push(lateN);
		const fit = decreasingFit(seqS, seqN).map(clampRate);
		const cells = new Array<number>(CELLS).fill(0);
		const base = fit[fit.length - 1];
		for (let c = 0; c < s0; c++) cells[c] = base;
		for (let c = s0; c < CELL_LATE; c++) cells[c] = fit[c - s0];
		cells[CELL_LATE] = base;
		let ll = 0;
		for (let c = 0; c < CELL_NONE; c++) ll += S[c] * Math.log(cells[c]) + (N[c] - S[c]) * Math.log(1 - cells[c]);
		fits.push({ s0, ll, cells });
	}
	// Averaged over the onsets by their likelihood: where the data cannot tell 15:00 from 16:00, the hour
	// before the likeliest onset keeps part of the base rate, so a plan prefers the hour that is surely after it.
	const max = Math.max(...fits.map((f) => f.ll));
	const w = fits.map((f) => Math.exp(f.ll - max));
	const sum = w.reduce((a, b) => a + b, 0);
	for (let c = 0; c < CELL_NONE; c++) out[c] = clampRate(fits.reduce((acc, f, i) => acc + (w[i] / sum) * f.cells[c], 0));
	const chosen = fits[w.indexOf(Math.max(...w))].s0;
	out[CELL_NONE] = clampRate((S[CELL_NONE] + k * overall) / (N[CELL_NONE] + k));
	return chosen;
}

/**
 * Learns a payroll model from insufficient-funds retries (see the module comment): EM over the
 * customers, each keeping one rule. Deterministic. Throws on an observation with a bad zone.
 */
export function trainPayroll(observations: readonly PayrollTrainingObservation[], options: TrainPayrollOptions = {}): PayrollModel {
	const iterations = options.iterations ?? 100;
	const alpha = options.countryStrength ?? 10;
	const k = options.cellStrength ?? 8;
	const floor = Math.min(1, Math.max(0, options.floor ?? 0.1));
	const floored = (p: number[]) => p.map((x) => (1 - floor) * x + floor / H);
	const prep = prepare(observations);
	// Observation indices per customer (one without a customer id belongs to none: no payroll to learn).
	const byCustomer = groupBy(observations.keys(), (i) => observations[i].customerId);
	const countryOf = new Map<string, string>();
	for (const o of observations) if (o.customerId && o.country) countryOf.set(o.customerId, o.country.toUpperCase());
	const customers = [...byCustomer.keys()];
	const successes = observations.filter((o) => o.succeeded).length;
	const overall = clampRate(observations.length ? (successes + 1) / (observations.length + 2) : 0.2);
	const countries = [...new Set(countryOf.values())];

	interface EmState {
		onset: number;
		cells: number[];
		cellCounts: number[];
		prior: number[];
		byCountry: Record<string, number[]>;
		logLikelihood: number;
		iterations: number;
	}
	/** A start for a given onset hour: the money helps from it to the end of the next day, the base rate otherwise; flat priors. */
	const start = (onset: number): EmState => {
		const cells = Array.from({ length: CELLS }, (_, c) => (c === CELL_NONE ? overall : c >= onset && c < 32 ? clampRate(Math.max(0.35, overall * 2)) : clampRate(overall * 0.5)));
		const prior = new Array<number>(H).fill(1 / H);
		return { onset, cells, cellCounts: new Array<number>(CELLS).fill(0), prior, byCountry: Object.fromEntries(countries.map((c) => [c, prior.slice()])), logLikelihood: -Infinity, iterations: 0 };
	};
	/** EM iterations with the onset within `range` (hours); `logLikelihood` is the data's marginal log-likelihood at the last E-step. */
	const run = (st: EmState, n: number, range: [number, number] = [st.onset, st.onset]): EmState => {
		for (let it = 0; it < n && customers.length > 0; it++) {
			st.iterations++;
			// E-step: each customer's posterior over the rules.
			const logPrior = new Map<string, number[]>();
			const logs = logRates(st.cells);
			let total = 0;
			const post = customers.map((id) => {
				const country = countryOf.get(id) ?? '';
				let lp = logPrior.get(country);
				if (!lp) {
					lp = (st.byCountry[country] ?? st.prior).map((x) => Math.log(Math.max(x, 1e-12)));
					logPrior.set(country, lp);
				}
				const ll = logLikelihoods(logs, prep, byCustomer.get(id) ?? []);
				for (let h = 0; h < H; h++) ll[h] += lp[h];
				const max = Math.max(...ll);
				total += max + Math.log(ll.reduce((acc, x) => acc + Math.exp(x - max), 0));
				return normalizeLog(ll);
			});
			st.logLikelihood = total;
			// M-step: the rates (one shape, fitCells), then the priors.
			const S = new Array<number>(CELLS).fill(0);
			const N = new Array<number>(CELLS).fill(0);
			for (let ci = 0; ci < customers.length; ci++) {
				const p = post[ci];
				const idx = byCustomer.get(customers[ci]) ?? [];
				for (let h = 0; h < H; h++) {
					const w = p[h];
					if (w < 1e-6) continue;
					const row = prep.cell[h];
					for (const i of idx) {
						N[row[i]] += w;
						if (prep.succeeded[i]) S[row[i]] += w;
					}
				}
			}
			st.onset = fitCells(S, N, overall, k, st.cells, range);
			st.cellCounts = N;
			// The priors: account-wide, and per country shrunk toward it.
			const sum = new Array<number>(H).fill(0);
			post.forEach((p) => p.forEach((x, h) => (sum[h] += x)));
			st.prior = sum.map((x) => (x + 1e-3 / H) / (customers.length + 1e-3));
			for (const c of countries) {
				const acc = new Array<number>(H).fill(0);
				let m = 0;
				customers.forEach((id, ci) => {
					if (countryOf.get(id) !== c) return;
					m++;
					post[ci].forEach((x, h) => (acc[h] += x));
				});
				st.byCountry[c] = acc.map((x, h) => (x + alpha * st.prior[h]) / (m + alpha));
			}
		}
		return st;
	};
	// The onset is chosen by profile likelihood: a short EM run with the onset fixed at each 3-hour mark of the
	// payday (EM alone keeps the onset it starts near, and a rule a day late with an early onset explains the data
	// almost as well as the right rule with a late one); the best continues with the onset free within 3 hours of it.
	const screen = Math.min(iterations, 20);
	let best = start(0);
	for (let onset = 0; onset < 24; onset += 3) {
		const st = run(start(onset), screen);
		if (onset === 0 || st.logLikelihood > best.logLikelihood) best = st;
	}
	run(best, iterations - screen, [Math.max(0, best.onset - 3), Math.min(23, best.onset + 3)]);
	const { cells, cellCounts, prior, byCountry } = best;
	const done = best.iterations;
	const round = (x: number) => Number(x.toPrecision(4));
	return {
		v: 1,
		rules: PAYROLL_RULES.map((r) => r.id),
		cells: cells.map(round),
		cellCounts: cellCounts.map((x) => Number(x.toFixed(1))),
		prior: floored(prior).map(round),
		byCountry: Object.fromEntries(Object.entries(byCountry).map(([c, p]) => [c, floored(p).map(round)])),
		customers: customers.length,
		samples: observations.length,
		iterations: done,
		onsetHour: best.onset,
		logLikelihood: Number(best.logLikelihood.toFixed(3)),
	};
}

/** A customer's posterior over the rules. */
export interface PayrollPosterior {
	/** P(rule), in {@link PAYROLL_RULES} order. */
	p: number[];
	/** The evidence read. */
	observations: number;
}

function checkModel(model: PayrollModel): void {
	if (model.v !== 1 || model.rules.length !== H || model.rules.some((id, h) => id !== PAYROLL_RULES[h].id) || model.cells.length !== CELLS) {
		throw new Error('This payroll model was saved by another version (its rules or cells differ); train the model again.');
	}
}

/** The customer's posterior: the card country's prior (else the account's) times the likelihood of their retries. */
export function payrollPosterior(model: PayrollModel, country: string | undefined, evidence: readonly PayrollObservation[]): PayrollPosterior {
	checkModel(model);
	const pr = (country && model.byCountry[country.toUpperCase()]) || model.prior;
	const prep = prepare(evidence);
	const ll = logLikelihoods(logRates(model.cells), prep, evidence.map((_, i) => i));
	return { p: normalizeLog(ll.map((x, h) => x + Math.log(Math.max(pr[h], 1e-12)))), observations: evidence.length };
}

/**
 * Learns one insufficient-funds retry online (returns a new model; the given one is not changed):
 * one step of online EM. The customer's posterior before the retry (`post`, the one the plan
 * scored it by) times the retry's likelihood under each rule gives the weight w_h of each rule;
 * the cell the retry falls in under rule h learns the outcome with weight w_h, as a Beta count
 * whose strength is the cell's observations so far plus one, so a cell trained on many retries
 * moves little and an empty one moves most. `samples` counts the retry. The priors (account-wide
 * and per country) are left as trained: they count each customer once, and a customer's every
 * retry would count them again; they change when the model is trained again.
 */
export function updatePayroll(model: PayrollModel, post: PayrollPosterior, observation: PayrollObservation): PayrollModel {
	checkModel(model);
	if (post.p.length !== H) throw new Error(`A payroll posterior has ${H} rules; this one has ${post.p.length}.`);
	const prep = prepare([observation]);
	const y = observation.succeeded ? 1 : 0;
	const like = PAYROLL_RULES.map((_, h) => {
		const r = model.cells[prep.cell[h][0]];
		return y ? r : 1 - r;
	});
	const joint = post.p.map((p, h) => p * like[h]);
	const total = joint.reduce((a, b) => a + b, 0);
	const W = new Array<number>(CELLS).fill(0);
	if (total > 0) joint.forEach((x, h) => (W[prep.cell[h][0]] += x / total));
	const cells = model.cells.slice();
	const cellCounts = model.cellCounts.slice();
	for (let c = 0; c < CELLS; c++) {
		if (W[c] <= 0) continue;
		const n = cellCounts[c] + 1;
		cells[c] = clampRate((cells[c] * n + W[c] * y) / (n + W[c]));
		cellCounts[c] += W[c];
	}
	// The priors are not touched (they count each customer once; Train Model moves them): shared, not copied.
	return { ...model, cells, cellCounts, samples: model.samples + 1 };
}

/** The most likely rules, for explanations: `[{ rule, p }]`, at most `n`. */
export function topPayrollRules(post: PayrollPosterior, n = 3): Array<{ id: string; rule: string; p: number }> {
	return post.p
		.map((p, h) => ({ id: PAYROLL_RULES[h].id, rule: describePayrollRule(PAYROLL_RULES[h]), p }))
		.sort((a, b) => b.p - a.p)
		.slice(0, n);
}

/**
 * Per candidate time: the success rate under each rule (`rates[i][h]`), averaged over the time and
 * `jitterSeconds` (default 3600) either side of it. A customer's clock is known only to about an
 * hour (the zone is inferred from an address or a card's country; some live an hour off it), so a
 * time at the very edge of the money's window is worth less than one an hour inside it: the learned
 * onset is the earliest hour at which any customer's money shows, and trying exactly then misses
 * everyone whose hour comes later (`0`: the rate at the time alone).
 */
export function payrollRates(model: PayrollModel, times: readonly number[], zone: string, jitterSeconds = 3600): number[][] {
	checkModel(model);
	const offsets = jitterSeconds > 0 ? [-jitterSeconds, 0, jitterSeconds] : [0];
	const preps = offsets.map((d) => prepare(times.map((at) => ({ at: at + d, succeeded: false, zone }))));
	return times.map((_, i) => PAYROLL_RULES.map((__, h) => preps.reduce((s, prep) => s + model.cells[prep.cell[h][i]], 0) / preps.length));
}

/** The chance a try succeeds, Σ_h P(h)·r_h, from {@link payrollRates}' row. */
export function payrollChance(post: PayrollPosterior, rates: readonly number[]): number {
	let s = 0;
	for (let h = 0; h < H; h++) s += post.p[h] * rates[h];
	return s;
}

/** The chance that at least one of a set of tries succeeds, Σ_h P(h)·(1 − Π_t(1 − r_h(t))), from {@link payrollRates}' rows. */
export function payrollSetChance(post: PayrollPosterior, rates: readonly (readonly number[])[]): number {
	let s = 0;
	for (let h = 0; h < H; h++) s += post.p[h] * (1 - rates.reduce((miss, r) => miss * (1 - r[h]), 1));
	return s;
}

/**
 * The set of at most `budget` times, `minSpacingSeconds` apart, that maximizes the chance that
 * one succeeds, Σ_h P(h)·(1 − Π_{t∈set}(1 − r_h(t))): greedy by marginal gain (ties: the earlier).
 * Returns indices into `times`, earliest first, and the set's chance.
 */
export function choosePayrollSet(post: PayrollPosterior, times: readonly number[], rates: readonly number[][], budget: number, minSpacingSeconds: number): { chosen: number[]; chance: number } {
	const miss = post.p.slice(); // P(h) · Π(1 − r_h) over the chosen tries
	const open = new Set(times.map((_, i) => i));
	const chosen: number[] = [];
	let chance = 0;
	while (chosen.length < budget && open.size > 0) {
		let best = -1;
		let bestGain = -1;
		for (const i of open) {
			let g = 0;
			for (let h = 0; h < H; h++) g += miss[h] * rates[i][h];
			if (g > bestGain + 1e-12 || (Math.abs(g - bestGain) <= 1e-12 && times[i] < times[best])) {
				bestGain = g;
				best = i;
			}
		}
		chosen.push(best);
		chance += bestGain;
		for (let h = 0; h < H; h++) miss[h] *= 1 - rates[best][h];
		for (const i of [...open]) if (Math.abs(times[i] - times[best]) < minSpacingSeconds) open.delete(i);
	}
	chosen.sort((a, b) => times[a] - times[b]);
	return { chosen, chance };
}

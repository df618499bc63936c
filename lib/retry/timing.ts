/**
 * When a failed payment may be retried, in the customer's local time: quiet hours, business
 * days, holidays, paydays, a minimum spacing between attempts, a recovery window and an attempt
 * budget. Pure: every function computes from the `now` (unix seconds) it is given, as croner's
 * `nextRun(prev)` does; nothing here reads a clock.
 *
 * Local times are computed with luxon in an IANA zone, so daylight-saving changes are the tz
 * database's, not an offset fixed at planning time: a retry planned for 10:00 in Europe/Berlin
 * is at 09:00 UTC in winter and 08:00 UTC in summer.
 *
 * Defaults follow Stripe's Smart Retries: "The recommended default is 8 tries within 2 weeks"
 * (https://docs.stripe.com/payments/off-session-payments/smart-retries and
 * https://docs.stripe.com/billing/revenue-recovery/smart-retries, stored copies read 2026-12-01).
 * Stripe's tries are the retries after the first failure; so here `attempts` are the retries
 * already made, and the failed first charge (`firstFailureAt`) counts for spacing, not budget.
 */
import { DateTime } from 'luxon';

import { daysInMonth, epochDay, fromEpochDay, isoWeekday, localClock, type LocalClock } from './calendar';
import { isValidZone } from './zones';

/** ISO weekday as luxon numbers it: 1 = Monday … 7 = Sunday. */
export type Weekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

/** A local time of day, `HH:MM` (24 h). */
export type LocalTime = string;

/**
 * A payday: a day of the month (1–31; a day past the month's end means its last day), `'last'`
 * (the month's last day), or a weekday rule such as the last Friday (`{ weekday: 5, nth: 'last' }`)
 * or the first Monday (`{ weekday: 1, nth: 1 }`).
 */
export type PaydayRule = number | 'last' | { weekday: Weekday; nth: 1 | 2 | 3 | 4 | 5 | 'last' };

/** How a payday on a non-business day moves (payrolls usually pay the business day before). */
export type PaydayAdjustment = 'none' | 'previousBusinessDay' | 'nextBusinessDay';

/** The timing rules. Every field has a default ({@link DEFAULT_TIMING_POLICY}). */
export interface TimingPolicy {
	/** Local hours in which no attempt is made, `{ start: '21:00', end: '08:00' }` (may wrap midnight); `null` for none. */
	quietHours: { start: LocalTime; end: LocalTime } | null;
	/** Local weekdays on which attempts are made (Mon–Fri by default). */
	businessDays: Weekday[];
	/** Local dates (`YYYY-MM-DD`) on which no attempt is made. */
	holidays: string[];
	/** The customer's paydays (configurable; {@link learnPaydays} proposes them from history). */
	paydays: PaydayRule[];
	/** How a payday on a weekend or holiday moves. */
	paydayAdjustment: PaydayAdjustment;
	/** At least this long between two attempts (the first failure included). */
	minSpacingSeconds: number;
	/** Attempts only until `firstFailureAt + recoveryWindowSeconds`. */
	recoveryWindowSeconds: number;
	/** At most `attempts` retries within any `windowSeconds`. */
	attemptBudget: { attempts: number; windowSeconds: number };
	/** Candidate times lie on this local grid, in minutes from local midnight (60: on the hour). */
	slotMinutes: number;
	/**
	 * How long a card's state lasts, for spending the budget ({@link chooseWithinBudget}): two tries
	 * closer than this mostly meet the same state (no money yet, the same issuer view), so a
	 * candidate near an already chosen try counts for less, and the budget spreads over more days.
	 * 0: tries count as independent.
	 */
	sameStateSeconds: number;
}

const DAY = 86_400;

/**
 * Defaults: quiet 21:00–08:00 local, Mon–Fri, no holidays, paydays the 1st, 15th and last day,
 * 12 h between attempts, and Stripe's Smart Retries default of 8 tries within 2 weeks (see the
 * module comment for the source); a card's state is taken to last 48 h when the budget is spread
 * (ours: a payday's money, or its absence, stays for a day or two).
 */
export const DEFAULT_TIMING_POLICY: Readonly<TimingPolicy> = Object.freeze({
	quietHours: { start: '21:00', end: '08:00' },
	businessDays: [1, 2, 3, 4, 5] as Weekday[],
	holidays: [],
	paydays: [1, 15, 'last'] as PaydayRule[],
	paydayAdjustment: 'previousBusinessDay' as PaydayAdjustment,
	minSpacingSeconds: 12 * 3600,
	recoveryWindowSeconds: 14 * DAY,
	attemptBudget: { attempts: 8, windowSeconds: 14 * DAY },
	slotMinutes: 60,
	sameStateSeconds: 48 * 3600,
});

/** Error messages, named so callers and tests can match them. */
export const TIMING_ERRORS = {
	zone: 'The time zone must be an IANA name such as "Europe/Berlin" (see resolveTimeZone).',
	time: 'A local time must be "HH:MM" between 00:00 and 23:59.',
	hour: 'A local hour must be a whole number 0–23 and a minute 0–59.',
	date: 'A local date must be "YYYY-MM-DD" and exist in the calendar.',
	weekday: 'A weekday must be 1 (Monday) to 7 (Sunday).',
	payday: 'A payday must be a day 1–31, "last", or a weekday rule such as "last friday" or "1st monday".',
	number: 'Spacing, window, budget and slot length must be non-negative whole numbers (slot length 1–1440 minutes, dividing the day).',
	seconds: 'A time must be whole unix seconds.',
} as const;

/** Thrown for a bad policy or argument; `code` is the key of {@link TIMING_ERRORS}. */
export class TimingError extends Error {
	constructor(
		readonly code: keyof typeof TIMING_ERRORS,
		detail?: string,
	) {
		super(detail ? `${TIMING_ERRORS[code]} ${detail}` : TIMING_ERRORS[code]);
		this.name = 'TimingError';
	}
}

/** A calendar date without a zone. */
export interface LocalDate {
	year: number;
	month: number;
	day: number;
}

function assertZone(zone: string): void {
	if (!isValidZone(zone)) throw new TimingError('zone', `Got ${JSON.stringify(zone)}.`);
}

function assertSeconds(value: number, what: string): void {
	if (!Number.isSafeInteger(value)) throw new TimingError('seconds', `${what} = ${String(value)}.`);
}

/** Minutes from midnight of `HH:MM`. */
export function parseLocalTime(value: LocalTime): number {
	const m = /^(\d{1,2}):(\d{2})$/.exec(String(value).trim());
	if (!m) throw new TimingError('time', `Got ${JSON.stringify(value)}.`);
	const h = Number(m[1]);
	const min = Number(m[2]);
	if (h > 23 || min > 59) throw new TimingError('time', `Got ${JSON.stringify(value)}.`);
	return h * 60 + min;
}

/** A `YYYY-MM-DD` string or a {@link LocalDate}, checked against the calendar. */
export function parseLocalDate(value: string | LocalDate): LocalDate {
	let date: LocalDate;
	if (typeof value === 'string') {
		const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim());
		if (!m) throw new TimingError('date', `Got ${JSON.stringify(value)}.`);
		date = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
	} else {
		date = { year: value.year, month: value.month, day: value.day };
	}
	const check = DateTime.fromObject(date, { zone: 'utc' });
	if (!check.isValid || check.day !== date.day) throw new TimingError('date', `Got ${JSON.stringify(value)}.`);
	return date;
}

function isoDate(d: LocalDate): string {
	return `${String(d.year).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
}

function addDays(d: LocalDate, days: number): LocalDate {
	return fromEpochDay(epochDay(d.year, d.month, d.day) + days);
}

function offsetAt(seconds: number, zone: string): number {
	return DateTime.fromSeconds(seconds, { zone }).offset;
}

/**
 * The unix time at which the wall clock in `zone` shows `hour:minute` on `date`.
 *
 * Daylight-saving changes, the choice documented here and tested:
 * - **Nonexistent local time** (in the spring-forward gap, e.g. 02:30 in America/New_York on
 *   2026-03-08): the first valid time after the gap, i.e. the instant of the change (03:00 local).
 *   luxon alone would shift by the gap's length instead (02:30 → 03:30).
 * - **Ambiguous local time** (the fall-back hour, e.g. 01:30 on 2026-11-01 in New York): the first
 *   occurrence (01:30 EDT, UTC−4). luxon alone picks the later one.
 */
export function atLocalHour(date: string | LocalDate, hour: number, zone: string, minute = 0): number {
	assertZone(zone);
	if (!Number.isInteger(hour) || hour < 0 || hour > 23 || !Number.isInteger(minute) || minute < 0 || minute > 59) {
		throw new TimingError('hour', `Got ${String(hour)}:${String(minute)}.`);
	}
	const d = parseLocalDate(date);
	// The wall time read as if it were UTC; a real instant is this minus the zone's offset then.
	const wall = Date.UTC(d.year, d.month - 1, d.day, hour, minute) / 1000;
	const offsets = new Set<number>([offsetAt(wall - DAY, zone), offsetAt(wall, zone), offsetAt(wall + DAY, zone)]);
	const instants = [...offsets].map((o) => wall - o * 60);
	const matching = instants.filter((t) => t + offsetAt(t, zone) * 60 === wall);
	if (matching.length > 0) return Math.min(...matching);
	// A gap: the change lies between the earliest and latest candidate; find its first second.
	let lo = Math.min(...instants);
	let hi = Math.max(...instants);
	const before = offsetAt(lo, zone);
	while (hi - lo > 1) {
		const mid = Math.floor((lo + hi) / 2);
		if (offsetAt(mid, zone) === before) lo = mid;
		else hi = mid;
	}
	return hi;
}

/** The local calendar date, weekday and minutes from midnight of an instant in `zone`, with its ISO 8601 form. */
export function localParts(at: number, zone: string): LocalDate & { weekday: Weekday; minutes: number; iso: string } {
	const c = localClock(at, zone);
	return { year: c.year, month: c.month, day: c.day, weekday: c.weekday as Weekday, minutes: c.hour * 60 + c.minute, iso: localIso(at, zone) };
}

/** ISO 8601 of an instant in `zone`, with its offset. */
function localIso(at: number, zone: string): string {
	return DateTime.fromSeconds(at, { zone }).toISO({ suppressMilliseconds: true }) ?? '';
}

const minutesOf = (c: LocalClock): number => c.hour * 60 + c.minute;

/** A policy with defaults filled in and every field checked. */
export function normalizePolicy(policy: Partial<TimingPolicy> = {}): TimingPolicy {
	const p: TimingPolicy = {
		...DEFAULT_TIMING_POLICY,
		...policy,
		attemptBudget: { ...DEFAULT_TIMING_POLICY.attemptBudget, ...(policy.attemptBudget ?? {}) },
	};
	if (p.quietHours) {
		parseLocalTime(p.quietHours.start);
		parseLocalTime(p.quietHours.end);
	}
	for (const w of p.businessDays) {
		if (!Number.isInteger(w) || w < 1 || w > 7) throw new TimingError('weekday', `Got ${String(w)}.`);
	}
	for (const h of p.holidays) parseLocalDate(h);
	p.paydays = p.paydays.map((r) => parsePaydayRule(r));
	const whole = (n: number) => Number.isSafeInteger(n) && n >= 0;
	if (
		!whole(p.minSpacingSeconds) ||
		!whole(p.recoveryWindowSeconds) ||
		!whole(p.attemptBudget.attempts) ||
		!whole(p.attemptBudget.windowSeconds) ||
		!whole(p.sameStateSeconds) ||
		!Number.isInteger(p.slotMinutes) ||
		p.slotMinutes < 1 ||
		p.slotMinutes > 1440 ||
		1440 % p.slotMinutes !== 0
	) {
		throw new TimingError('number');
	}
	return p;
}

const WEEKDAY_NAMES: Record<string, Weekday> = {
	monday: 1, mon: 1, tuesday: 2, tue: 2, wednesday: 3, wed: 3, thursday: 4, thu: 4,
	friday: 5, fri: 5, saturday: 6, sat: 6, sunday: 7, sun: 7,
};
const ORDINALS: Record<string, 1 | 2 | 3 | 4 | 5 | 'last'> = {
	'1': 1, '1st': 1, first: 1, '2': 2, '2nd': 2, second: 2, '3': 3, '3rd': 3, third: 3,
	'4': 4, '4th': 4, fourth: 4, '5': 5, '5th': 5, fifth: 5, last: 'last',
};

/**
 * A payday rule from a number, `'last'`, a rule object, or text: `"15"`, `"last"`,
 * `"last friday"`, `"1st monday"`, `"second wed"`.
 */
export function parsePaydayRule(rule: PaydayRule | string): PaydayRule {
	if (typeof rule === 'number') {
		if (!Number.isInteger(rule) || rule < 1 || rule > 31) throw new TimingError('payday', `Got ${rule}.`);
		return rule;
	}
	if (typeof rule === 'object' && rule !== null) {
		const okNth = rule.nth === 'last' || [1, 2, 3, 4, 5].includes(rule.nth as number);
		if (!okNth || !Number.isInteger(rule.weekday) || rule.weekday < 1 || rule.weekday > 7) {
			throw new TimingError('payday', `Got ${JSON.stringify(rule)}.`);
		}
		return { weekday: rule.weekday, nth: rule.nth };
	}
	const text = String(rule).trim().toLowerCase().replace(/\s+/g, ' ');
	if (text === 'last') return 'last';
	if (/^\d{1,2}$/.test(text)) return parsePaydayRule(Number(text));
	const [ord, day, extra] = text.split(' ');
	const nth = ORDINALS[ord];
	const weekday = day === undefined ? undefined : WEEKDAY_NAMES[day];
	if (nth === undefined || weekday === undefined || extra !== undefined) {
		throw new TimingError('payday', `Got ${JSON.stringify(rule)}.`);
	}
	return { weekday, nth };
}

function weekdayOf(d: LocalDate): Weekday {
	return isoWeekday(epochDay(d.year, d.month, d.day)) as Weekday;
}

/** True when `date` is a business day of the policy and not a holiday. */
export function isBusinessDay(date: string | LocalDate, policy: Partial<TimingPolicy> = {}): boolean {
	const p = normalizePolicy(policy);
	return businessDay(parseLocalDate(date), p);
}

function businessDay(d: LocalDate, p: TimingPolicy): boolean {
	return p.businessDays.includes(weekdayOf(d)) && !p.holidays.includes(isoDate(d));
}

/** The nominal day (before adjustment) a rule gives in a month. */
function ruleDay(rule: PaydayRule, year: number, month: number): number | undefined {
	const last = daysInMonth(year, month);
	if (rule === 'last') return last;
	if (typeof rule === 'number') return Math.min(rule, last);
	const firstWeekday = weekdayOf({ year, month, day: 1 });
	const first = 1 + ((rule.weekday - firstWeekday + 7) % 7);
	if (rule.nth === 'last') return first + 7 * Math.floor((last - first) / 7);
	const day = first + 7 * (rule.nth - 1);
	return day <= last ? day : undefined;
}

/**
 * The paydays of a month as local dates, after the policy's `paydayAdjustment` (a weekend or
 * holiday payday moves to the business day before or after; at most 7 days, else it stays).
 */
export function paydaysInMonth(year: number, month: number, policy: Partial<TimingPolicy> = {}): string[] {
	const p = normalizePolicy(policy);
	const out = new Set<string>();
	for (const rule of p.paydays) {
		const day = ruleDay(rule, year, month);
		if (day === undefined) continue;
		let d: LocalDate = { year, month, day };
		if (p.paydayAdjustment !== 'none' && p.businessDays.length > 0) {
			const step = p.paydayAdjustment === 'previousBusinessDay' ? -1 : 1;
			let moved = d;
			for (let i = 0; i < 7 && !businessDay(moved, p); i++) moved = addDays(moved, step);
			if (businessDay(moved, p)) d = moved;
		}
		out.add(isoDate(d));
	}
	return [...out].sort();
}

/** True when `date` is one of the policy's (adjusted) paydays. */
export function isPayday(date: string | LocalDate, policy: Partial<TimingPolicy> = {}): boolean {
	const d = parseLocalDate(date);
	const iso = isoDate(d);
	// An adjusted payday can come from the neighbouring month.
	for (const m of [-1, 0, 1]) {
		const shifted = DateTime.fromObject({ year: d.year, month: d.month, day: 1 }, { zone: 'utc' }).plus({ months: m });
		if (paydaysInMonth(shifted.year, shifted.month, policy).includes(iso)) return true;
	}
	return false;
}

/** True when the local wall time of `at` in `zone` is within the quiet hours (`start` inclusive, `end` exclusive). */
export function inQuietHours(at: number, zone: string, policy: Partial<TimingPolicy> = {}): boolean {
	const p = normalizePolicy(policy);
	assertZone(zone);
	return quiet(minutesOf(localClock(at, zone)), p);
}

function quiet(minutes: number, p: TimingPolicy): boolean {
	if (!p.quietHours) return false;
	const start = parseLocalTime(p.quietHours.start);
	const end = parseLocalTime(p.quietHours.end);
	if (start === end) return false;
	return start < end ? minutes >= start && minutes < end : minutes >= start || minutes < end;
}

/**
 * The first instant at or after `now` at which the wall clock in `zone` shows `localHour:minute`
 * on a business day that is not a holiday, outside quiet hours. A time in a DST gap moves as
 * {@link atLocalHour} says (and must then still be outside quiet hours). `null` when no such time
 * exists within `horizonDays` (e.g. the hour is inside the quiet hours, or no business days).
 */
export function nextAllowedLocal(
	now: number,
	zone: string,
	localHour: number,
	minute: number,
	policy: Partial<TimingPolicy> = {},
	horizonDays = 366,
): number | null {
	assertSeconds(now, 'now');
	assertZone(zone);
	const p = normalizePolicy(policy);
	const today = localClock(now, zone);
	for (let i = 0; i <= horizonDays; i++) {
		const d = addDays(today, i);
		if (!businessDay(d, p)) continue;
		const t = atLocalHour(d, localHour, zone, minute);
		if (t < now) continue;
		if (quiet(minutesOf(localClock(t, zone)), p)) continue;
		return t;
	}
	return null;
}

/** What {@link candidateTimes} needs to know of the invoice's history. */
export interface AttemptHistory {
	/** When the first charge failed (the start of the recovery window). */
	firstFailureAt: number;
	/** When retries were made (not the first charge); any order. They count for spacing and the attempt budget. */
	attempts: number[];
	/** Other attempts on the same card (other invoices' charges): they count for spacing only. */
	otherAttempts?: number[];
}

/** A candidate time with what the planner needs to score it. */
export interface CandidateSlot {
	at: number;
	/** ISO 8601 in the customer's zone, with its offset. */
	local: string;
	weekday: Weekday;
	dayOfMonth: number;
	/** Minutes from local midnight. */
	minuteOfDay: number;
	isPayday: boolean;
	/** Days since the latest (adjusted) payday on or before this date, 0 on a payday; `null` with no paydays. */
	daysSincePayday: number | null;
}

/**
 * Every time on the policy's local grid (`slotMinutes`) from `now` to the end of the recovery
 * window at which a retry is allowed: a business day that is not a holiday, outside quiet hours,
 * at least `minSpacingSeconds` from every attempt and from the first failure, and with fewer than
 * `attemptBudget.attempts` retries in the `attemptBudget.windowSeconds` before it. Sorted, unique.
 * Empty when the budget or window is used up. Grid points in a DST gap move to the end of the gap
 * (and are deduplicated); in the repeated hour only the first occurrence is a candidate.
 */
export function candidateSlots(
	now: number,
	policy: Partial<TimingPolicy>,
	zone: string,
	history: AttemptHistory,
): CandidateSlot[] {
	assertSeconds(now, 'now');
	assertSeconds(history.firstFailureAt, 'firstFailureAt');
	history.attempts.forEach((a) => assertSeconds(a, 'attempt'));
	(history.otherAttempts ?? []).forEach((a) => assertSeconds(a, 'attempt'));
	assertZone(zone);
	const p = normalizePolicy(policy);
	const windowEnd = history.firstFailureAt + p.recoveryWindowSeconds;
	const spacingFrom = [history.firstFailureAt, ...history.attempts, ...(history.otherAttempts ?? [])];
	const { attempts: budget, windowSeconds } = p.attemptBudget;
	if (budget === 0) return [];

	const out: CandidateSlot[] = [];
	const seen = new Set<number>();
	const start = localClock(Math.max(now, history.firstFailureAt), zone);
	for (let d: LocalDate = start; ; d = addDays(d, 1)) {
		if (atLocalHour(d, 0, zone) > windowEnd) break;
		if (!businessDay(d, p)) continue;
		const paydayInfo = paydayDistance(d, p);
		for (let m = 0; m < 1440; m += p.slotMinutes) {
			const at = atLocalHour(d, Math.floor(m / 60), zone, m % 60);
			if (at < now || at > windowEnd || seen.has(at)) continue;
			const parts = localClock(at, zone);
			const minutes = minutesOf(parts);
			if (parts.day !== d.day || quiet(minutes, p)) continue;
			if (spacingFrom.some((a) => Math.abs(at - a) < p.minSpacingSeconds)) continue;
			const used = history.attempts.filter((a) => a <= at && a > at - windowSeconds).length;
			if (used >= budget) continue;
			seen.add(at);
			out.push({
				at,
				local: localIso(at, zone),
				weekday: parts.weekday as Weekday,
				dayOfMonth: parts.day,
				minuteOfDay: minutes,
				isPayday: paydayInfo === 0,
				daysSincePayday: paydayInfo,
			});
		}
	}
	return out.sort((a, b) => a.at - b.at);
}

/** {@link candidateSlots} as unix times only. */
export function candidateTimes(
	now: number,
	policy: Partial<TimingPolicy>,
	zone: string,
	history: AttemptHistory,
): number[] {
	return candidateSlots(now, policy, zone, history).map((s) => s.at);
}

/**
 * Days since the latest (adjusted) payday of the policy on or before the local `date` (0 on a
 * payday), looking back about two months; `null` with no paydays. What {@link candidateSlots}
 * gives a slot as `daysSincePayday`, so past attempts can be described the same way (e.g. with
 * paydays learned per country).
 */
export function daysSincePayday(date: string | LocalDate, policy: Partial<TimingPolicy> = {}): number | null {
	return paydayDistance(parseLocalDate(date), normalizePolicy(policy));
}

function paydayDistance(d: LocalDate, p: TimingPolicy): number | null {
	if (p.paydays.length === 0) return null;
	const iso = isoDate(d);
	let best: number | null = null;
	for (const m of [-2, -1, 0, 1]) {
		const month = DateTime.fromObject({ year: d.year, month: d.month, day: 1 }, { zone: 'utc' }).plus({ months: m });
		for (const day of paydaysInMonth(month.year, month.month, p)) {
			if (day > iso) continue;
			const diff = Math.round(
				DateTime.fromISO(iso, { zone: 'utc' }).diff(DateTime.fromISO(day, { zone: 'utc' }), 'days').days,
			);
			if (best === null || diff < best) best = diff;
		}
	}
	return best;
}

/** One past payment attempt, as {@link learnPaydays} reads it. */
export interface PaymentOutcome {
	/** Unix seconds. */
	at: number;
	succeeded: boolean;
	/** The customer's IANA zone, so the local day of month is the customer's. */
	zone: string;
}

/** Per-day counts and the days {@link learnPaydays} proposes. */
export interface LearnedPaydays {
	/** Days of the month whose success rate is at least `minLift` × the base rate, with enough samples; ascending. */
	paydays: PaydayRule[];
	/** Success rate over all attempts read. */
	baseRate: number;
	samples: number;
	/** Counts per local day of month (1–31) and for `'last'` (the month's last day, also counted under its number). */
	byDay: Array<{ day: number | 'last'; attempts: number; successes: number; rate: number; lift: number }>;
	reason: string;
}

/** Options of {@link learnPaydays}. */
export interface LearnPaydaysOptions {
	/** Attempts a day needs before its rate is believed (default 30). */
	minSamplesPerDay?: number;
	/** Attempts in all before anything is learned (default 200). */
	minSamples?: number;
	/** Rate ÷ base rate a day needs to count as a payday (default 1.25). */
	minLift?: number;
	/**
	 * A one-sided test against chance: a day also needs z = (rate − base) / √(base·(1 − base)/n)
	 * of at least this (default none). With 31 days tested, z ≥ 3 keeps the days that chance alone
	 * would give about once in 25 histories.
	 */
	minZ?: number;
}

/**
 * Proposes paydays from past attempts: counts attempts and successes per local day of the month
 * (in each attempt's own zone), and keeps the days whose success rate beats the overall rate by
 * `minLift`, among days with at least `minSamplesPerDay` attempts, when there are at least
 * `minSamples` attempts in all. A month's last day is counted both under its number and as
 * `'last'`; `'last'` is proposed instead of 28–31 when it qualifies. Simple counts, no
 * significance test or smoothing: a deliberate first cut, good enough to suggest a policy a
 * person confirms; the learning model of issue 8 is where uncertainty belongs.
 */
export function learnPaydays(history: PaymentOutcome[], options: LearnPaydaysOptions = {}): LearnedPaydays {
	const minPerDay = options.minSamplesPerDay ?? 30;
	const minTotal = options.minSamples ?? 200;
	const minLift = options.minLift ?? 1.25;
	const counts = new Map<number | 'last', { attempts: number; successes: number }>();
	let successes = 0;
	const bump = (key: number | 'last', ok: boolean) => {
		const c = counts.get(key) ?? { attempts: 0, successes: 0 };
		c.attempts++;
		if (ok) c.successes++;
		counts.set(key, c);
	};
	for (const h of history) {
		assertSeconds(h.at, 'at');
		assertZone(h.zone);
		const t = DateTime.fromSeconds(h.at, { zone: h.zone });
		bump(t.day, h.succeeded);
		if (t.day === t.daysInMonth) bump('last', h.succeeded);
		if (h.succeeded) successes++;
	}
	const samples = history.length;
	const baseRate = samples ? successes / samples : 0;
	const byDay = [...counts.entries()]
		.map(([day, c]) => {
			const rate = c.successes / c.attempts;
			return { day, attempts: c.attempts, successes: c.successes, rate, lift: baseRate > 0 ? rate / baseRate : 0 };
		})
		.sort((a, b) => (a.day === 'last' ? 32 : a.day) - (b.day === 'last' ? 32 : b.day));
	if (samples < minTotal) {
		return { paydays: [], baseRate, samples, byDay, reason: `only ${samples} attempts; ${minTotal} needed to learn paydays` };
	}
	const minZ = options.minZ ?? Number.NEGATIVE_INFINITY;
	const z = (e: (typeof byDay)[number]) => (baseRate > 0 && baseRate < 1 ? (e.rate - baseRate) / Math.sqrt((baseRate * (1 - baseRate)) / e.attempts) : 0);
	const qualifies = (e: (typeof byDay)[number]) => e.attempts >= minPerDay && e.lift >= minLift && z(e) >= minZ;
	const lastQualifies = byDay.some((e) => e.day === 'last' && qualifies(e));
	const paydays: PaydayRule[] = byDay
		.filter((e) => e.day !== 'last' && qualifies(e) && !(lastQualifies && (e.day as number) >= 28))
		.map((e) => e.day as number);
	if (lastQualifies) paydays.push('last');
	const reason = paydays.length
		? `days with a success rate ≥ ${minLift}× the base rate ${baseRate.toFixed(3)} (≥ ${minPerDay} attempts each${options.minZ !== undefined ? `, z ≥ ${options.minZ}` : ''}): ${paydays.join(', ')}`
		: `no day beats the base rate ${baseRate.toFixed(3)} by ${minLift}× with ≥ ${minPerDay} attempts`;
	return { paydays, baseRate, samples, byDay, reason };
}

/** A candidate time with a score (a predicted or sampled success probability). */
export interface ScoredTime {
	at: number;
	score: number;
}

/** What {@link chooseWithinBudget} picked. */
export interface BudgetedChoice<T extends ScoredTime> {
	/** The time to try now: the earliest of `chosen`. */
	next: T;
	/** The times the remaining budget would be spent on, earliest first. */
	chosen: T[];
}

/** Options of {@link chooseWithinBudget}. */
export interface ChooseOptions {
	/** Tries closer than this share the card's state (see `TimingPolicy.sameStateSeconds`); 0: independent. */
	sameStateSeconds?: number;
	/** How much of a candidate's chance an already chosen try at the same moment takes away (0–1, default 0.6); it fades linearly to 0 at `sameStateSeconds`. */
	sameStateOverlap?: number;
}

/**
 * Which candidate to try next when `budget` tries remain: the best set of at most `budget` times
 * at least `minSpacingSeconds` apart, and of that set the earliest. Why not simply the best-scored
 * time: a failed try at time t forfeits every candidate before t, so spending the first try on a
 * late high-scored time throws away the earlier tries the budget allowed. With independent tries,
 * the chance that one of them succeeds is 1 − Π(1 − p), which the set with the highest scores
 * maximizes (greedy by score, ties to the earlier time); trying its members in time order loses
 * none of them. Tries are not independent when they are close: money arrives once, an issuer's
 * view changes slowly, so a try an hour after a failed one mostly meets the same state. With
 * `sameStateSeconds`, the set is built greedily by what a candidate adds: its score times
 * Π over the chosen tries of (1 − overlap · (1 − distance / sameStateSeconds)) for those closer
 * than `sameStateSeconds`, so the budget covers more distinct days unless one time is clearly
 * better. Re-run after each outcome with the candidates that remain (and an updated model): the
 * set adapts. `null` when there is no candidate or no budget.
 */
export function chooseWithinBudget<T extends ScoredTime>(candidates: readonly T[], budget: number, minSpacingSeconds: number, options: ChooseOptions = {}): BudgetedChoice<T> | null {
	if (!(budget >= 1) || candidates.length === 0) return null;
	const horizon = options.sameStateSeconds ?? 0;
	const overlap = Math.min(1, Math.max(0, options.sameStateOverlap ?? 0.6));
	const ranked = [...candidates].sort((a, b) => b.score - a.score || a.at - b.at);
	const chosen: T[] = [];
	const want = Math.floor(budget);
	// Greedy by marginal value (with no horizon, the score itself); `ranked` order breaks ties (higher score, then earlier).
	const open = ranked.slice();
	while (chosen.length < want && open.length) {
		let bestIdx = -1;
		let bestValue = -1;
		for (let i = 0; i < open.length; i++) {
			const c = open[i];
			let value = c.score;
			if (horizon > 0) {
				for (const x of chosen) {
					const d = Math.abs(x.at - c.at);
					if (d < horizon) value *= 1 - overlap * (1 - d / horizon);
				}
			}
			if (value > bestValue) {
				bestValue = value;
				bestIdx = i;
			}
		}
		const [c] = open.splice(bestIdx, 1);
		chosen.push(c);
		for (let i = open.length - 1; i >= 0; i--) if (Math.abs(open[i].at - c.at) < minSpacingSeconds) open.splice(i, 1);
	}
	chosen.sort((a, b) => a.at - b.at);
	return { next: chosen[0], chosen };
}

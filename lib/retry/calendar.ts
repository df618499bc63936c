/**
 * The proleptic Gregorian calendar on epoch days (days since 1970-01-01 of a calendar date),
 * shared by the timing rules (timing.ts) and the payroll model (payroll.ts). Plain integer and
 * `Date.UTC` arithmetic: no zone is involved (a local date is a date), and it is fast enough to
 * run over every day of a history for every payroll rule. {@link localClock} is the one way from an
 * instant to a zone's wall clock, for both.
 */

const DAY_MS = 86_400_000;

/** Days since 1970-01-01 of a calendar date (month 1–12; a day past the month's end rolls over). */
export function epochDay(year: number, month: number, day: number): number {
	return Math.floor(Date.UTC(year, month - 1, day) / DAY_MS);
}

/** The calendar date of an epoch day. */
export function fromEpochDay(e: number): { year: number; month: number; day: number } {
	const t = new Date(e * DAY_MS);
	return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

/** ISO weekday (1 = Monday … 7 = Sunday) of an epoch day; 1970-01-01 was a Thursday. */
export function isoWeekday(e: number): number {
	return ((((e + 3) % 7) + 7) % 7) + 1;
}

/** Days in a month (month 1–12). */
export function daysInMonth(year: number, month: number): number {
	return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** An instant's wall clock in a zone: its local date (and epoch day), ISO weekday, hour and minute. */
export interface LocalClock {
	e: number;
	year: number;
	month: number;
	day: number;
	/** ISO weekday, 1 = Monday … 7 = Sunday. */
	weekday: number;
	hour: number;
	minute: number;
}

const clockFormats = new Map<string, Intl.DateTimeFormat>();

/**
 * The wall clock of unix time `at` in IANA zone `zone` (DST included). One `Intl.DateTimeFormat` per
 * zone, kept: the planner and the payroll model ask this for thousands of instants per plan, and a
 * formatter is what is slow to build. The zone must be valid (Intl throws a RangeError otherwise).
 */
export function localClock(at: number, zone: string): LocalClock {
	let f = clockFormats.get(zone);
	if (!f) {
		f = new Intl.DateTimeFormat('en-US', { timeZone: zone, year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', hourCycle: 'h23' });
		clockFormats.set(zone, f);
	}
	let year = 0;
	let month = 0;
	let day = 0;
	let hour = 0;
	let minute = 0;
	for (const p of f.formatToParts(new Date(at * 1000))) {
		if (p.type === 'year') year = Number(p.value);
		else if (p.type === 'month') month = Number(p.value);
		else if (p.type === 'day') day = Number(p.value);
		else if (p.type === 'hour') hour = Number(p.value) % 24;
		else if (p.type === 'minute') minute = Number(p.value);
	}
	const e = epochDay(year, month, day);
	return { e, year, month, day, weekday: isoWeekday(e), hour, minute };
}

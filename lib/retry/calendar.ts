/**
 * The proleptic Gregorian calendar on epoch days (days since 1970-01-01 of a calendar date),
 * shared by the timing rules (timing.ts) and the payroll model (payroll.ts). Plain integer and
 * `Date.UTC` arithmetic: no zone is involved (a local date is a date), and it is fast enough to
 * run over every day of a history for every payroll rule.
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

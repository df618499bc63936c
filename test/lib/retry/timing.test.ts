import { DateTime } from 'luxon';

import {
	chooseWithinBudget,
	daysSincePayday,
	DEFAULT_TIMING_POLICY,
	TIMING_ERRORS,
	atLocalHour,
	candidateSlots,
	candidateTimes,
	inQuietHours,
	isBusinessDay,
	isPayday,
	learnPaydays,
	nextAllowedLocal,
	normalizePolicy,
	parsePaydayRule,
	paydaysInMonth,
	type PaydayRule,
	type PaymentOutcome,
	type TimingPolicy,
	type Weekday,
} from '../../../lib/retry/timing';
import { mulberry32 } from '../../../lib/retry/prng';

/** Unix seconds of a UTC wall time: the expectations below are worked out by hand from the zones' offsets. */
const utc = (y: number, mo: number, d: number, h = 0, mi = 0) => Date.UTC(y, mo - 1, d, h, mi) / 1000;
const HOUR = 3600;
const DAY = 86_400;
const ALL_DAYS: Weekday[] = [1, 2, 3, 4, 5, 6, 7];
/** Local wall parts of an instant, read with luxon (not with the code under test). */
const local = (at: number, zone: string) => DateTime.fromSeconds(at, { zone });

// 2026: EU summer time 29 March – 25 October (last Sundays); US DST 8 March – 1 November;
// Australia (NSW) DST ends 5 April, starts 4 October; Lord Howe shifts by 30 minutes.
describe('atLocalHour: the intended local wall time, whatever the offset', () => {
	test.each<[string, string, number, number, number, string]>([
		['Europe/Berlin', '2026-03-27', 10, 0, utc(2026, 3, 27, 9), 'Friday before spring forward: CET, UTC+1'],
		['Europe/Berlin', '2026-03-30', 10, 0, utc(2026, 3, 30, 8), 'Monday after: CEST, UTC+2'],
		['Europe/Berlin', '2026-10-23', 10, 0, utc(2026, 10, 23, 8), 'Friday before fall back: CEST'],
		['Europe/Berlin', '2026-10-26', 10, 0, utc(2026, 10, 26, 9), 'Monday after: CET'],
		['Europe/Berlin', '2026-03-29', 2, 30, utc(2026, 3, 29, 1), 'nonexistent 02:30 → 03:00 CEST'],
		['Europe/Berlin', '2026-10-25', 2, 30, utc(2026, 10, 25, 0, 30), 'ambiguous 02:30 → first occurrence (CEST)'],
		['America/New_York', '2026-03-06', 10, 0, utc(2026, 3, 6, 15), 'EST, UTC−5'],
		['America/New_York', '2026-03-09', 10, 0, utc(2026, 3, 9, 14), 'EDT, UTC−4'],
		['America/New_York', '2026-03-08', 2, 30, utc(2026, 3, 8, 7), 'nonexistent 02:30 → 03:00 EDT'],
		['America/New_York', '2026-03-08', 2, 0, utc(2026, 3, 8, 7), 'nonexistent 02:00 → 03:00 EDT'],
		['America/New_York', '2026-03-08', 3, 0, utc(2026, 3, 8, 7), '03:00 itself'],
		['America/New_York', '2026-11-01', 1, 30, utc(2026, 11, 1, 5, 30), 'ambiguous 01:30 → first occurrence (EDT)'],
		['America/New_York', '2026-10-30', 10, 0, utc(2026, 10, 30, 14), 'EDT'],
		['America/New_York', '2026-11-02', 10, 0, utc(2026, 11, 2, 15), 'EST'],
		['Australia/Sydney', '2026-04-05', 2, 30, utc(2026, 4, 4, 15, 30), 'ambiguous → first occurrence (AEDT, UTC+11)'],
		['Australia/Sydney', '2026-10-04', 2, 30, utc(2026, 10, 3, 16), 'nonexistent → 03:00 AEDT'],
		['Australia/Lord_Howe', '2026-10-04', 2, 15, utc(2026, 10, 3, 15, 30), 'half-hour gap: 02:15 → 02:30 (UTC+11)'],
		['Asia/Tokyo', '2026-03-08', 10, 0, utc(2026, 3, 8, 1), 'no DST'],
		['UTC', '2026-03-08', 0, 0, utc(2026, 3, 8), 'UTC'],
	])('%s %s %i:%i → expected (%s)', (zone, date, hour, minute, expected) => {
		expect(atLocalHour(date, hour, zone, minute)).toBe(expected);
	});

	test.each(['Europe/Berlin', 'America/New_York', 'Australia/Sydney', 'America/Sao_Paulo', 'Europe/London', 'America/Santiago'])(
		'%s: 10:00 local on every day of 2026 reads 10:00 in luxon',
		(zone) => {
			const offsets = new Set<number>();
			for (let d = DateTime.fromISO('2026-01-01', { zone: 'utc' }); d.year === 2026; d = d.plus({ days: 1 })) {
				const at = atLocalHour({ year: d.year, month: d.month, day: d.day }, 10, zone);
				const t = local(at, zone);
				expect([t.toISODate(), t.hour, t.minute]).toEqual([d.toISODate(), 10, 0]);
				offsets.add(t.offset);
			}
			if (zone !== 'America/Sao_Paulo') expect(offsets.size).toBe(2);
		},
	);

	test.each<[unknown, number, string, keyof typeof TIMING_ERRORS]>([
		['2026-02-30', 10, 'Europe/Berlin', 'date'],
		['26-02-01', 10, 'Europe/Berlin', 'date'],
		['2026-02-01', 24, 'Europe/Berlin', 'hour'],
		['2026-02-01', 10.5, 'Europe/Berlin', 'hour'],
		['2026-02-01', 10, 'CEST', 'zone'],
	])('%j %i %s is refused', (date, hour, zone, code) => {
		expect(() => atLocalHour(date as string, hour, zone)).toThrow(TIMING_ERRORS[code]);
	});
});

describe('nextAllowedLocal: next business day at a local hour, across DST changes', () => {
	const weekdays = {};
	const everyDay = { businessDays: ALL_DAYS, quietHours: null };
	test.each<[string, number, string, number, number, Partial<TimingPolicy>, number | null]>([
		['Berlin, Fri after 10:00 → Mon 10:00 CEST', utc(2026, 3, 27, 12), 'Europe/Berlin', 10, 0, weekdays, utc(2026, 3, 30, 8)],
		['Berlin, Fri after 10:00 → Mon 10:00 CET', utc(2026, 10, 23, 12), 'Europe/Berlin', 10, 0, weekdays, utc(2026, 10, 26, 9)],
		['Berlin, before 10:00 → today', utc(2026, 3, 27, 8), 'Europe/Berlin', 10, 0, weekdays, utc(2026, 3, 27, 9)],
		['Berlin, at 10:00 exactly → now', utc(2026, 3, 27, 9), 'Europe/Berlin', 10, 0, weekdays, utc(2026, 3, 27, 9)],
		['Berlin, every day: Sat → Sun 10:00 CEST (change day)', utc(2026, 3, 28, 12), 'Europe/Berlin', 10, 0, everyDay, utc(2026, 3, 29, 8)],
		['New York, Fri → Mon 10:00 EDT', utc(2026, 3, 6, 16), 'America/New_York', 10, 0, weekdays, utc(2026, 3, 9, 14)],
		['New York, Fri → Mon 10:00 EST', utc(2026, 10, 30, 15), 'America/New_York', 10, 0, weekdays, utc(2026, 11, 2, 15)],
		['New York, every day: Sat → Sun 10:00 EDT', utc(2026, 3, 7, 16), 'America/New_York', 10, 0, everyDay, utc(2026, 3, 8, 14)],
		['New York, every day: Sat → Sun 10:00 EST', utc(2026, 10, 31, 15), 'America/New_York', 10, 0, everyDay, utc(2026, 11, 1, 15)],
		['New York, 02:30 on spring-forward day → 03:00 EDT', utc(2026, 3, 8, 5), 'America/New_York', 2, 30, everyDay, utc(2026, 3, 8, 7)],
		['Berlin, Monday a holiday → Tuesday', utc(2026, 3, 27, 12), 'Europe/Berlin', 10, 0, { holidays: ['2026-03-30'] }, utc(2026, 3, 31, 8)],
		['Easter 2026 in Berlin: Fri 3 Apr and Mon 6 Apr holidays', utc(2026, 4, 2, 12), 'Europe/Berlin', 10, 0, { holidays: ['2026-04-03', '2026-04-06'] }, utc(2026, 4, 7, 8)],
		['22:00 lies in the default quiet hours → never', utc(2026, 3, 27, 12), 'Europe/Berlin', 22, 0, weekdays, null],
		['no business days → never', utc(2026, 3, 27, 12), 'Europe/Berlin', 10, 0, { businessDays: [] }, null],
		['02:30 in quiet hours moves to 03:00, still quiet → never', utc(2026, 3, 8, 5), 'America/New_York', 2, 30, { businessDays: ALL_DAYS }, null],
	])('%s', (_name, now, zone, hour, minute, policy, expected) => {
		const at = nextAllowedLocal(now, zone, hour, minute, policy);
		expect(at).toBe(expected);
		if (at !== null && policy !== everyDay) expect(inQuietHours(at, zone, policy)).toBe(false);
	});
});

describe('quiet hours and business days', () => {
	test.each<[number, string, Partial<TimingPolicy>, boolean]>([
		[utc(2026, 3, 27, 20), 'Europe/Berlin', {}, true], // 21:00 local: quiet starts (inclusive)
		[utc(2026, 3, 27, 19, 59), 'Europe/Berlin', {}, false],
		[utc(2026, 3, 30, 5, 59), 'Europe/Berlin', {}, true], // 07:59 CEST
		[utc(2026, 3, 30, 6), 'Europe/Berlin', {}, false], // 08:00 CEST: quiet ends (exclusive)
		[utc(2026, 3, 30, 6), 'Europe/Berlin', { quietHours: null }, false],
		[utc(2026, 3, 30, 12), 'Europe/Berlin', { quietHours: { start: '12:00', end: '13:00' } }, false], // 14:00 CEST
		[utc(2026, 3, 30, 10, 30), 'Europe/Berlin', { quietHours: { start: '12:00', end: '13:00' } }, true], // 12:30 CEST
		[utc(2026, 3, 30, 10, 30), 'Europe/Berlin', { quietHours: { start: '12:00', end: '12:00' } }, false], // empty window
		[utc(2026, 3, 8, 7), 'America/New_York', {}, true], // 03:00 EDT, the gap's end, still quiet
		[utc(2026, 3, 9, 12), 'America/New_York', {}, false], // 08:00 EDT
	])('%i in %s %j → quiet %s', (at, zone, policy, quiet) => {
		expect(inQuietHours(at, zone, policy)).toBe(quiet);
	});

	test.each<[string, Partial<TimingPolicy>, boolean]>([
		['2026-03-27', {}, true], // Friday
		['2026-03-28', {}, false], // Saturday
		['2026-03-29', {}, false], // Sunday
		['2026-03-29', { businessDays: [7] }, true],
		['2026-12-25', { holidays: ['2026-12-25'] }, false],
		['2026-12-24', { holidays: ['2026-12-25'] }, true],
		['2026-03-29', { businessDays: [1, 2, 3, 4, 7] }, true], // a Sun–Thu week
		['2026-03-27', { businessDays: [1, 2, 3, 4, 7] }, false],
	])('%s %j → business day %s', (date, policy, expected) => {
		expect(isBusinessDay(date, policy)).toBe(expected);
	});
});

describe('paydays', () => {
	test.each<[string, PaydayRule]>([
		['15', 15],
		['last', 'last'],
		['last friday', { weekday: 5, nth: 'last' }],
		['Last  Friday', { weekday: 5, nth: 'last' }],
		['1st monday', { weekday: 1, nth: 1 }],
		['second wed', { weekday: 3, nth: 2 }],
	])('parsePaydayRule(%j)', (text, rule) => {
		expect(parsePaydayRule(text)).toEqual(rule);
	});

	test.each<unknown>(['32', '0', 'foo', 'last funday', 'first monday please', 0, 32, 1.5, { weekday: 8, nth: 1 }, { weekday: 5, nth: 6 }])(
		'parsePaydayRule(%j) is refused',
		(rule) => {
			expect(() => parsePaydayRule(rule as PaydayRule)).toThrow(TIMING_ERRORS.payday);
		},
	);

	test.each<[number, number, Partial<TimingPolicy>, string[]]>([
		// February 2026: 1st and 15th are Sundays, 28th a Saturday.
		[2026, 2, { paydayAdjustment: 'none' }, ['2026-02-01', '2026-02-15', '2026-02-28']],
		[2026, 2, {}, ['2026-01-30', '2026-02-13', '2026-02-27']],
		[2026, 2, { paydayAdjustment: 'nextBusinessDay' }, ['2026-02-02', '2026-02-16', '2026-03-02']],
		[2026, 3, { paydays: [{ weekday: 5, nth: 'last' }] }, ['2026-03-27']],
		[2026, 4, { paydays: ['last friday' as unknown as PaydayRule] }, ['2026-04-24']],
		[2026, 3, { paydays: [{ weekday: 1, nth: 1 }] }, ['2026-03-02']],
		[2026, 3, { paydays: [{ weekday: 5, nth: 5 }] }, []], // March 2026 has four Fridays
		[2026, 2, { paydays: [31], paydayAdjustment: 'none' }, ['2026-02-28']],
		[2026, 4, { paydays: [25], holidays: ['2026-04-24'] }, ['2026-04-23']], // 25th a Saturday, Friday a holiday
	])('paydaysInMonth(%i, %i, %j)', (year, month, policy, expected) => {
		expect(paydaysInMonth(year, month, policy)).toEqual(expected);
	});

	test.each<[string, boolean]>([
		['2026-01-30', true], // February's 1st (a Sunday) paid the Friday before; also January's last (Sat 31)
		['2026-02-13', true],
		['2026-02-15', false],
		['2026-03-31', true],
		['2026-03-13', true], // March 15 2026 is a Sunday → Friday 13
		['2026-03-16', false],
	])('isPayday(%s) with the defaults', (date, expected) => {
		expect(isPayday(date)).toBe(expected);
	});
});

describe('candidateTimes: every candidate obeys every rule', () => {
	interface Case {
		name: string;
		now: number;
		zone: string;
		policy: Partial<TimingPolicy>;
		firstFailureAt: number;
		attempts: number[];
	}
	const cases: Case[] = [
		{ name: 'Berlin across spring forward, defaults', now: utc(2026, 3, 20, 9), zone: 'Europe/Berlin', policy: {}, firstFailureAt: utc(2026, 3, 20, 9), attempts: [] },
		{ name: 'Berlin across fall back, two attempts made', now: utc(2026, 10, 21, 12), zone: 'Europe/Berlin', policy: {}, firstFailureAt: utc(2026, 10, 16, 9), attempts: [utc(2026, 10, 19, 9), utc(2026, 10, 21, 8)] },
		{ name: 'New York across March, holidays', now: utc(2026, 3, 4, 15), zone: 'America/New_York', policy: { holidays: ['2026-03-09', '2026-03-10'] }, firstFailureAt: utc(2026, 3, 4, 15), attempts: [] },
		{ name: 'New York across November, 30-minute grid, 2 h spacing', now: utc(2026, 10, 28, 15), zone: 'America/New_York', policy: { slotMinutes: 30, minSpacingSeconds: 2 * HOUR }, firstFailureAt: utc(2026, 10, 28, 15), attempts: [] },
		{ name: 'Sydney, quiet 20:00–09:30, Sun–Thu', now: utc(2026, 4, 1), zone: 'Australia/Sydney', policy: { quietHours: { start: '20:00', end: '09:30' }, businessDays: [7, 1, 2, 3, 4], slotMinutes: 15 }, firstFailureAt: utc(2026, 3, 30), attempts: [utc(2026, 3, 31)] },
		{ name: 'budget of 3 in 7 days, 5 attempts over 14 days', now: utc(2026, 6, 10, 12), zone: 'Europe/Paris', policy: { attemptBudget: { attempts: 3, windowSeconds: 7 * DAY }, recoveryWindowSeconds: 21 * DAY }, firstFailureAt: utc(2026, 6, 1, 8), attempts: [utc(2026, 6, 2, 8), utc(2026, 6, 4, 8), utc(2026, 6, 8, 8), utc(2026, 6, 9, 8), utc(2026, 6, 10, 8)] },
	];

	test.each(cases)('$name', ({ now, zone, policy, firstFailureAt, attempts }) => {
		const p = normalizePolicy(policy);
		const times = candidateTimes(now, policy, zone, { firstFailureAt, attempts });
		expect(times.length).toBeGreaterThan(0);
		expect([...times].sort((a, b) => a - b)).toEqual(times);
		expect(new Set(times).size).toBe(times.length);
		const quietStart = p.quietHours ? p.quietHours.start.split(':').map(Number) : null;
		const quietEnd = p.quietHours ? p.quietHours.end.split(':').map(Number) : null;
		for (const at of times) {
			const t = local(at, zone);
			const minutes = t.hour * 60 + t.minute;
			expect(at).toBeGreaterThanOrEqual(now);
			expect(at).toBeLessThanOrEqual(firstFailureAt + p.recoveryWindowSeconds);
			expect(minutes % p.slotMinutes).toBe(0);
			if (quietStart && quietEnd) {
				const s = quietStart[0] * 60 + quietStart[1];
				const e = quietEnd[0] * 60 + quietEnd[1];
				expect(s > e ? minutes >= e && minutes < s : minutes < s || minutes >= e).toBe(true);
			}
			expect(p.businessDays).toContain(t.weekday);
			expect(p.holidays).not.toContain(t.toISODate());
			for (const a of [firstFailureAt, ...attempts]) expect(Math.abs(at - a)).toBeGreaterThanOrEqual(p.minSpacingSeconds);
			const inBudgetWindow = attempts.filter((a) => a <= at && a > at - p.attemptBudget.windowSeconds).length;
			expect(inBudgetWindow).toBeLessThan(p.attemptBudget.attempts);
		}
	});

	test('Berlin: after a Friday 10:00 failure, the first candidate is Monday 08:00 CEST, then hourly to 20:00', () => {
		const first = utc(2026, 3, 27, 9);
		const times = candidateTimes(first, {}, 'Europe/Berlin', { firstFailureAt: first, attempts: [] });
		const monday = times.filter((t) => t < utc(2026, 3, 31));
		expect(monday).toEqual(Array.from({ length: 13 }, (_, i) => utc(2026, 3, 30, 6 + i)));
	});

	test('the day of the spring-forward gap has 23 hourly candidates, the fall-back day 24 (first occurrence only)', () => {
		const policy = { businessDays: ALL_DAYS, quietHours: null, minSpacingSeconds: 0 };
		const zone = 'America/New_York';
		const march = candidateTimes(utc(2026, 3, 8, 5), policy, zone, { firstFailureAt: utc(2026, 3, 8, 5), attempts: [] })
			.filter((t) => local(t, zone).toISODate() === '2026-03-08');
		expect(march.length).toBe(23);
		expect(march.map((t) => local(t, zone).hour)).toEqual([0, 1, ...Array.from({ length: 21 }, (_, i) => i + 3)]);
		const november = candidateTimes(utc(2026, 11, 1, 4), policy, zone, { firstFailureAt: utc(2026, 11, 1, 4), attempts: [] })
			.filter((t) => local(t, zone).toISODate() === '2026-11-01');
		expect(november.map((t) => local(t, zone).hour)).toEqual(Array.from({ length: 24 }, (_, i) => i));
		expect(november[1]).toBe(utc(2026, 11, 1, 5)); // 01:00 EDT, the first 01:00
	});

	test.each<[string, number, number[], Partial<TimingPolicy>]>([
		['8 retries made: Stripe\'s default budget is used up', utc(2026, 3, 10), Array.from({ length: 8 }, (_, i) => utc(2026, 3, 2 + i, 10)), {}],
		['now is past the 14-day window', utc(2026, 3, 16, 1), [], {}],
		['budget of zero', utc(2026, 3, 2), [], { attemptBudget: { attempts: 0, windowSeconds: DAY } }],
	])('no candidates when %s', (_name, now, attempts, policy) => {
		expect(candidateTimes(now, policy, 'Europe/Berlin', { firstFailureAt: utc(2026, 3, 1, 10), attempts })).toEqual([]);
	});

	test('7 retries made leaves candidates; all before the window closes', () => {
		const firstFailureAt = utc(2026, 3, 1, 10);
		const attempts = Array.from({ length: 7 }, (_, i) => utc(2026, 3, 2 + i, 10));
		const times = candidateTimes(utc(2026, 3, 9, 12), {}, 'Europe/Berlin', { firstFailureAt, attempts });
		expect(times.length).toBeGreaterThan(0);
		expect(Math.max(...times)).toBeLessThanOrEqual(firstFailureAt + 14 * DAY);
	});

	test('slots carry payday information', () => {
		const slots = candidateSlots(utc(2026, 3, 30, 6), {}, 'Europe/Berlin', { firstFailureAt: utc(2026, 3, 27, 9), attempts: [] });
		const monday = slots.find((s) => s.local.startsWith('2026-03-30'));
		const tuesday = slots.find((s) => s.local.startsWith('2026-03-31'));
		expect(monday).toMatchObject({ isPayday: false, daysSincePayday: 17, weekday: 1, dayOfMonth: 30, minuteOfDay: 480 });
		expect(monday?.local).toBe('2026-03-30T08:00:00+02:00');
		expect(tuesday).toMatchObject({ isPayday: true, daysSincePayday: 0 });
	});

	test('the defaults are Stripe\'s Smart Retries default: 8 tries in 2 weeks', () => {
		expect(DEFAULT_TIMING_POLICY.attemptBudget).toEqual({ attempts: 8, windowSeconds: 14 * DAY });
		expect(DEFAULT_TIMING_POLICY.recoveryWindowSeconds).toBe(14 * DAY);
	});

	test.each<[Partial<TimingPolicy>, keyof typeof TIMING_ERRORS]>([
		[{ quietHours: { start: '25:00', end: '08:00' } }, 'time'],
		[{ businessDays: [0 as Weekday] }, 'weekday'],
		[{ holidays: ['2026-13-01'] }, 'date'],
		[{ minSpacingSeconds: -1 }, 'number'],
		[{ slotMinutes: 7 }, 'number'],
	])('policy %j is refused', (policy, code) => {
		expect(() => candidateTimes(0, policy, 'UTC', { firstFailureAt: 0, attempts: [] })).toThrow(TIMING_ERRORS[code]);
	});

	test('an invalid zone and a non-integer now are refused', () => {
		expect(() => candidateTimes(0, {}, 'Nowhere/Land', { firstFailureAt: 0, attempts: [] })).toThrow(TIMING_ERRORS.zone);
		expect(() => candidateTimes(0.5, {}, 'UTC', { firstFailureAt: 0, attempts: [] })).toThrow(TIMING_ERRORS.seconds);
	});
});

describe('learnPaydays: days of the month with a success lift', () => {
	/** 10 attempts a day at 21:00 New York time (02:00 UTC the next day), `k(day)` of them succeed. */
	function history(months: number[], k: (date: DateTime) => number): PaymentOutcome[] {
		const out: PaymentOutcome[] = [];
		for (const month of months) {
			for (let d = DateTime.fromObject({ year: 2026, month, day: 1 }, { zone: 'America/New_York' }); d.month === month; d = d.plus({ days: 1 })) {
				const at = d.set({ hour: 21 }).toSeconds();
				for (let i = 0; i < 10; i++) out.push({ at, succeeded: i < k(d), zone: 'America/New_York' });
			}
		}
		return out;
	}

	test.each<[string, PaymentOutcome[], PaydayRule[]]>([
		['the 1st and 15th (local days, not UTC days)', history([1, 2, 3, 4, 5, 6], (d) => (d.day === 1 || d.day === 15 ? 6 : 3)), [1, 15]],
		['the last day of the month', history([1, 2, 3, 4, 5, 6], (d) => (d.day === d.daysInMonth ? 6 : 3)), ['last']],
		['no lift anywhere', history([1, 2, 3, 4, 5, 6], () => 3), []],
		['too few attempts in all', history([1], (d) => (d.day === 1 ? 10 : 1)).slice(0, 150), []],
	])('%s', (_name, h, expected) => {
		expect(learnPaydays(h).paydays).toEqual(expected);
	});

	test('a day with fewer attempts than minSamplesPerDay is not believed', () => {
		const h = history([1, 2], (d) => (d.day === 1 ? 9 : 3)); // day 1: 20 attempts
		expect(learnPaydays(h).paydays).toEqual([]);
		expect(learnPaydays(h, { minSamplesPerDay: 20 }).paydays).toEqual([1]);
	});

	test('counts are reported with the base rate', () => {
		const r = learnPaydays(history([1, 2, 3, 4, 5, 6], (d) => (d.day === 1 ? 6 : 3)));
		const day1 = r.byDay.find((e) => e.day === 1);
		expect(r.samples).toBe(1810);
		expect(day1).toMatchObject({ attempts: 60, successes: 36 });
		expect(r.baseRate).toBeCloseTo((36 + 175 * 30 * 0 + (1810 - 60) * 0.3) / 1810, 10);
		expect(r.reason).toContain('1');
	});
});

describe('chooseWithinBudget', () => {
	const H = 3600;
	test('spends the budget on the best-scored times and tries the earliest of them first', () => {
		// A late payday-like peak (0.6) and earlier ordinary times (0.2): with 3 tries, one ordinary time comes first.
		const slots = [
			{ at: 0 * H, score: 0.2 },
			{ at: 12 * H, score: 0.21 },
			{ at: 100 * H, score: 0.6 },
			{ at: 112 * H, score: 0.55 },
			{ at: 200 * H, score: 0.1 },
		];
		expect(chooseWithinBudget(slots, 3, 12 * H)).toEqual({ next: slots[1], chosen: [slots[1], slots[2], slots[3]] });
		// One try left: the best time, however late (what planRetry's single best pick does).
		expect(chooseWithinBudget(slots, 1, 12 * H)?.next).toBe(slots[2]);
		// More budget than times: all of them, the first now.
		expect(chooseWithinBudget(slots, 8, 12 * H)?.chosen).toHaveLength(5);
	});
	test('keeps the chosen times apart by the minimum spacing', () => {
		const slots = [
			{ at: 0, score: 0.5 },
			{ at: H, score: 0.49 },
			{ at: 2 * H, score: 0.48 },
			{ at: 13 * H, score: 0.1 },
		];
		expect(chooseWithinBudget(slots, 2, 12 * H)?.chosen.map((s) => s.at)).toEqual([0, 13 * H]);
		expect(chooseWithinBudget(slots, 2, 0)?.chosen.map((s) => s.at)).toEqual([0, H]);
	});
	test('with a state horizon, spreads the budget over distinct days unless one time is clearly better', () => {
		// Day 0 looks a little better at every hour than days 2 and 4: independent tries spend all three on day 0,
		// tries that share the card's state for 48 h take one per state.
		const slots = [
			{ at: 0, score: 0.3 },
			{ at: 12 * H, score: 0.29 },
			{ at: 20 * H, score: 0.28 },
			{ at: 48 * H, score: 0.2 },
			{ at: 96 * H, score: 0.19 },
		];
		expect(chooseWithinBudget(slots, 3, 12 * H)?.chosen.map((s) => s.at / H)).toEqual([0, 12, 48]);
		expect(chooseWithinBudget(slots, 3, 12 * H, { sameStateSeconds: 48 * H })?.chosen.map((s) => s.at / H)).toEqual([0, 48, 96]);
		// A time far better than the rest still gets a second, near try: 0.9 · (1 − 0.6 · (1 − 12/48)) = 0.495 > 0.2.
		const peak = [{ at: 0, score: 0.9 }, { at: 12 * H, score: 0.9 }, { at: 48 * H, score: 0.2 }];
		expect(chooseWithinBudget(peak, 2, 12 * H, { sameStateSeconds: 48 * H })?.chosen.map((s) => s.at / H)).toEqual([0, 12]);
		// No overlap: the independent choice.
		expect(chooseWithinBudget(slots, 3, 12 * H, { sameStateSeconds: 48 * H, sameStateOverlap: 0 })?.chosen.map((s) => s.at / H)).toEqual([0, 12, 48]);
	});
	test('nothing to choose with no candidate or no budget', () => {
		expect(chooseWithinBudget([], 3, 0)).toBeNull();
		expect(chooseWithinBudget([{ at: 0, score: 1 }], 0, 0)).toBeNull();
	});
});

describe('learnPaydays: minZ', () => {
	test('keeps a day only when its lift is unlikely to be chance', () => {
		const zone = 'UTC';
		const rnd = mulberry32(3);
		const h: PaymentOutcome[] = [];
		// 31 days × 40 attempts at 20 %, the 25th at 60 %: with 40 attempts a day, some ordinary day lifts by chance.
		for (let d = 1; d <= 31; d++) {
			for (let i = 0; i < 40; i++) {
				const at = Math.floor(DateTime.fromObject({ year: 2026, month: 1 + (i % 12), day: Math.min(d, 28), hour: 10 }, { zone }).toSeconds());
				h.push({ at: d > 28 ? at + (d - 28) * 86400 : at, zone, succeeded: rnd() < (d === 25 ? 0.6 : 0.2) });
			}
		}
		const loose = learnPaydays(h, { minSamplesPerDay: 30, minLift: 1.25 });
		const strict = learnPaydays(h, { minSamplesPerDay: 30, minLift: 1.25, minZ: 3 });
		expect(loose.paydays.length).toBeGreaterThan(1);
		expect(strict.paydays).toEqual([25]);
		expect(strict.reason).toContain('z ≥ 3');
	});
});

describe('daysSincePayday', () => {
	test('counts from the latest adjusted payday, as candidateSlots does', () => {
		const policy = { paydays: [25] as PaydayRule[] };
		expect(daysSincePayday('2026-07-24', policy)).toBe(0); // the 25th is a Saturday: paid on Friday the 24th
		expect(daysSincePayday('2026-07-27', policy)).toBe(3);
		expect(daysSincePayday('2026-08-03', policy)).toBe(10);
		expect(daysSincePayday('2026-07-27', { paydays: [] })).toBeNull();
		// With every day a business day the 25th stays the 25th.
		const everyDay = { ...policy, businessDays: [1, 2, 3, 4, 5, 6, 7] as Weekday[] };
		expect(daysSincePayday('2026-07-27', everyDay)).toBe(2);
		for (const p of [policy, everyDay]) {
			const slot = candidateSlots(atLocalHour('2026-07-27', 9, 'Europe/Berlin'), p, 'Europe/Berlin', { firstFailureAt: atLocalHour('2026-07-24', 9, 'Europe/Berlin'), attempts: [] })[0];
			expect(slot.local.slice(0, 10)).toBe('2026-07-27');
			expect(slot.daysSincePayday).toBe(daysSincePayday('2026-07-27', p));
		}
	});
});

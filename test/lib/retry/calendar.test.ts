import fc from 'fast-check';
import { DateTime } from 'luxon';

import { epochDay, localClock } from '../../../lib/retry/calendar';
import { localParts } from '../../../lib/retry/timing';

const zones = ['UTC', 'America/New_York', 'America/St_Johns', 'Europe/London', 'Europe/Berlin', 'Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'Pacific/Chatham', 'America/Sao_Paulo', 'Pacific/Honolulu'];

describe('localClock (the one instant → wall clock helper)', () => {
	it('agrees with luxon for any instant 2000–2040 in zones with DST, half- and quarter-hour offsets', () => {
		fc.assert(
			fc.property(fc.integer({ min: 946_684_800, max: 2_208_988_800 }), fc.constantFrom(...zones), (at, zone) => {
				const t = DateTime.fromSeconds(at, { zone });
				const c = localClock(at, zone);
				expect([c.year, c.month, c.day, c.hour, c.minute, c.weekday]).toEqual([t.year, t.month, t.day, t.hour, t.minute, t.weekday]);
				expect(c.e).toBe(epochDay(t.year, t.month, t.day));
			}),
			{ numRuns: 3000 },
		);
	});

	it('reads the wall clock on both sides of a DST change (New York, 2026-03-08 02:00 → 03:00)', () => {
		const before = Date.UTC(2026, 2, 8, 6, 59) / 1000; // 01:59 EST
		const after = Date.UTC(2026, 2, 8, 7, 0) / 1000; // 03:00 EDT
		expect(localClock(before, 'America/New_York')).toMatchObject({ day: 8, hour: 1, minute: 59, weekday: 7 });
		expect(localClock(after, 'America/New_York')).toMatchObject({ day: 8, hour: 3, minute: 0, weekday: 7 });
		expect(localClock(after, 'Asia/Tokyo')).toMatchObject({ day: 8, hour: 16, minute: 0 });
	});

	it('midnight is hour 0 of the new day, never 24 of the old one', () => {
		expect(localClock(Date.UTC(2026, 11, 31, 23, 0) / 1000, 'Europe/Berlin')).toMatchObject({ year: 2027, month: 1, day: 1, hour: 0 });
	});

	it('localParts keeps its ISO form with the offset', () => {
		expect(localParts(Date.UTC(2026, 0, 1) / 1000, 'America/St_Johns')).toMatchObject({ day: 31, minutes: 20 * 60 + 30, iso: '2025-12-31T20:30:00-03:30' });
	});

	it('an unknown zone throws', () => {
		expect(() => localClock(0, 'Mars/Olympus')).toThrow(RangeError);
	});
});

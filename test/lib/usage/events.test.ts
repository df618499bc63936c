import fc from 'fast-check';

import { MAX_IDENTIFIER_LENGTH, aggregate, eventIdentifier, parseTimestamp, validateUsage, type Keyed } from '../../../lib/usage';

const NOW = Date.UTC(2026, 11, 1, 12) / 1000;
const DAY = 86_400;

describe('parseTimestamp', () => {
	it.each([
		[NOW, NOW],
		[NOW * 1000, NOW],
		[String(NOW), NOW],
		['2026-12-01T12:00:00Z', NOW],
		['2026-12-01T13:00:00+01:00', NOW],
		[new Date(NOW * 1000), NOW],
		['', NOW],
		[undefined, NOW],
		[null, NOW],
	])('%p → %p', (input, expected) => expect(parseTimestamp(input, NOW)).toBe(expected));
	it.each([['yesterday'], [Number.NaN], [-5], [{}], [new Date('x')]])('%p is not a time', (input) => expect(parseTimestamp(input, NOW)).toBeUndefined());
});

describe('validateUsage', () => {
	const ok = { eventName: 'api_calls', customer: 'cus_123', value: 3, timestamp: NOW - 60 };
	const opts = { now: NOW, knownEventNames: new Set(['api_calls']) };
	it('accepts a good event and keeps its source id as a string', () => {
		expect(validateUsage({ ...ok, sourceId: 42 }, opts)).toEqual({ ok: true, event: { eventName: 'api_calls', customer: 'cus_123', value: 3, timestamp: NOW - 60, sourceId: '42' } });
		expect(validateUsage({ ...ok, value: '2.5' }, opts)).toMatchObject({ ok: true, event: { value: 2.5 } });
	});
	it.each([
		[{ eventName: '' }, 'event name is empty'],
		[{ eventName: 'x'.repeat(101) }, 'Stripe allows 100'],
		[{ eventName: 'other' }, 'No active meter has the event name "other" (active: api_calls)'],
		[{ customer: 'bob@example.com' }, 'not a Stripe customer id'],
		[{ value: 'abc' }, 'not a finite number'],
		[{ value: Number.POSITIVE_INFINITY }, 'not a finite number'],
		[{ value: '' }, 'not a finite number'],
		[{ value: -1 }, 'is negative'],
		[{ timestamp: 'soon' }, 'is not a date'],
		[{ timestamp: NOW - 35 * DAY }, 'older than Stripe accepts'],
		[{ timestamp: NOW + 6 * 60 }, 'more than 5 minutes in the future'],
		[{ sourceId: { a: 1 } }, 'source id'],
	])('%p is rejected: %s', (change, reason) => {
		const v = validateUsage({ ...ok, ...change }, opts);
		expect(v.ok).toBe(false);
		expect(!v.ok && v.reason).toContain(reason);
	});
	it('negative values pass when allowed; 5 minutes ahead is still inside the window', () => {
		expect(validateUsage({ ...ok, value: -4 }, { ...opts, allowNegative: true }).ok).toBe(true);
		expect(validateUsage({ ...ok, timestamp: NOW + 300 }, opts).ok).toBe(true);
	});
});

describe('eventIdentifier', () => {
	const base = { eventName: 'api_calls', customer: 'cus_1', value: 1, timestamp: NOW };
	it('is readable from the source id when it fits, hashed when not', () => {
		expect(eventIdentifier({ ...base, sourceId: 'row-7' })).toBe('api_calls:row-7');
		const long = eventIdentifier({ ...base, sourceId: 'r'.repeat(120) });
		expect(long).toMatch(/^u_[\w-]{32}$/);
		expect(eventIdentifier({ ...base, sourceId: 'with space' })).toMatch(/^u_/);
	});
	it('is deterministic, never over 100 characters, and differs when anything that identifies the event differs', () => {
		fc.assert(
			fc.property(fc.string(), fc.string({ maxLength: 200 }), fc.string({ maxLength: 200 }), (eventName, a, b) => {
				const x = eventIdentifier({ ...base, eventName, sourceId: a });
				expect(x).toBe(eventIdentifier({ ...base, eventName, sourceId: a }));
				expect(x.length).toBeLessThanOrEqual(MAX_IDENTIFIER_LENGTH);
				if (a !== b) expect(x).not.toBe(eventIdentifier({ ...base, eventName, sourceId: b }));
			}),
		);
		expect(eventIdentifier(base)).toBe(eventIdentifier({ ...base }));
		expect(eventIdentifier(base)).not.toBe(eventIdentifier({ ...base, value: 2 }));
	});
});

describe('aggregate', () => {
	const k = (item: number, customer: string, value: number, timestamp: number, sourceId = `s${item}`): Keyed => ({ item, event: { eventName: 'm', customer, value, timestamp, sourceId } });
	const hour = Math.floor(NOW / 3600) * 3600;
	const input = [k(0, 'cus_a', 2, hour + 10), k(1, 'cus_a', 3, hour + 50), k(2, 'cus_b', 7, hour + 20), k(3, 'cus_a', 4, hour + 3600 + 5)];
	it('folds per customer × meter × window: sum, count, last', () => {
		const sum = aggregate(input, 'sum', 'hour');
		expect(sum.map((e) => [e.customer, e.value, e.items])).toEqual([
			['cus_a', 5, [0, 1]],
			['cus_b', 7, [2]],
			['cus_a', 4, [3]],
		]);
		expect(sum[0].timestamp).toBe(hour + 10);
		expect(aggregate(input, 'count', 'hour').map((e) => e.value)).toEqual([2, 1, 1]);
		expect(aggregate(input, 'last', 'hour').map((e) => e.value)).toEqual([3, 7, 4]);
		expect(aggregate(input, 'sum', 'day').map((e) => e.value)).toEqual([9, 7]);
	});
	it('the same rows give the same identifiers (a re-run adds nothing); new rows form a new group', () => {
		const again = aggregate([...input].reverse(), 'sum', 'hour');
		expect(new Set(again.map((e) => e.identifier))).toEqual(new Set(aggregate(input, 'sum', 'hour').map((e) => e.identifier)));
		const more = aggregate([k(9, 'cus_a', 1, hour + 30)], 'sum', 'hour');
		expect(aggregate(input, 'sum', 'hour').map((e) => e.identifier)).not.toContain(more[0].identifier);
	});
});

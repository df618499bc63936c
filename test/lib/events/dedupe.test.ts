import {
	DEFAULT_WINDOW_MAX_AGE_SECONDS,
	DEFAULT_WINDOW_MAX_SIZE,
	InFlightClaims,
	LastEmittedPerObject,
	SeenEventWindow,
	STRIPE_RETRY_HORIZON_SECONDS,
} from '../../../lib/events/dedupe';

const DAY = 86_400;
const T0 = 1_760_000_000;

/** JSON round trip, as through n8n's static data. */
function roundTrip<T>(value: T): unknown {
	return JSON.parse(JSON.stringify(value));
}

describe('SeenEventWindow', () => {
	it("defaults cover Stripe's 3-day retry horizon for a busy account, by time and by count", () => {
		expect(DEFAULT_WINDOW_MAX_AGE_SECONDS).toBeGreaterThanOrEqual(STRIPE_RETRY_HORIZON_SECONDS);
		expect(STRIPE_RETRY_HORIZON_SECONDS).toBe(3 * DAY);
		// A busy account: one event every two seconds for three days (129,600 events).
		const window = new SeenEventWindow();
		window.add('evt_first', T0);
		const perDay = DAY / 2;
		for (let i = 1; i <= 3 * perDay; i++) window.add(`evt_${i}`, T0 + i * 2);
		// Stripe's last retry of the first event, three days later, is still caught.
		expect(window.claim('evt_first', T0 + 3 * DAY)).toBe(false);
		expect(DEFAULT_WINDOW_MAX_SIZE).toBeGreaterThanOrEqual(3 * perDay);
	});

	it('forgets ids after the time window even when the count allows more', () => {
		const window = new SeenEventWindow();
		window.add('evt_old', T0);
		window.add('evt_new', T0 + DEFAULT_WINDOW_MAX_AGE_SECONDS + 1);
		expect(window.has('evt_old', T0 + DEFAULT_WINDOW_MAX_AGE_SECONDS + 1)).toBe(false);
		expect(window.size).toBe(1);
	});

	it('claims a new id once and reports redeliveries as duplicates', () => {
		const window = new SeenEventWindow();
		expect(window.claim('evt_1', T0)).toBe(true);
		expect(window.claim('evt_1', T0 + 5)).toBe(false);
		expect(window.claim('evt_2', T0 + 5)).toBe(true);
		expect(window.has('evt_1', T0 + 6)).toBe(true);
		expect(window.has('evt_3', T0 + 6)).toBe(false);
		expect(window.size).toBe(2);
	});

	it('survives a restart through JSON', () => {
		const window = new SeenEventWindow();
		for (let i = 0; i < 50; i++) window.add(`evt_${i}`, T0 + i);
		const restored = SeenEventWindow.fromJSON(roundTrip(window));
		expect(restored.restoredFromInvalidState).toBe(false);
		expect(restored.size).toBe(50);
		for (let i = 0; i < 50; i++) expect(restored.claim(`evt_${i}`, T0 + 100)).toBe(false);
		expect(restored.claim('evt_new', T0 + 100)).toBe(true);
	});

	it('serialises oldest first; a refresh moves an id to the end', () => {
		const window = new SeenEventWindow();
		window.add('evt_a', T0);
		window.add('evt_b', T0 + 1);
		window.add('evt_a', T0 + 2); // refresh moves it to the end
		expect(window.entries()).toEqual([['evt_b', T0 + 1], ['evt_a', T0 + 2]]);
	});

	it('evicts the oldest ids first when full', () => {
		const window = new SeenEventWindow({ maxSize: 3 });
		for (const [i, id] of ['a', 'b', 'c', 'd'].entries()) window.add(id, T0 + i);
		expect(window.size).toBe(3);
		expect(window.has('a', T0 + 10)).toBe(false);
		expect(['b', 'c', 'd'].every((id) => window.has(id, T0 + 10))).toBe(true);
	});

	it('keeps a redelivered id alive: a duplicate refreshes its entry', () => {
		const window = new SeenEventWindow({ maxSize: 2 });
		window.claim('a', T0);
		window.claim('b', T0 + 1);
		expect(window.claim('a', T0 + 2)).toBe(false); // 'a' is now the newest
		window.claim('c', T0 + 3); // evicts 'b', not 'a'
		expect(window.has('a', T0 + 4)).toBe(true);
		expect(window.has('b', T0 + 4)).toBe(false);
	});

	it('forgets ids older than maxAge', () => {
		const window = new SeenEventWindow({ maxAgeSeconds: 30 * DAY });
		window.add('old', T0);
		expect(window.has('old', T0 + 30 * DAY)).toBe(true);
		expect(window.has('old', T0 + 30 * DAY + 1)).toBe(false);
		expect(window.claim('old', T0 + 31 * DAY)).toBe(true);
	});

	it('stores two strings (ids, base-36 offsets), not one object per id, and reads them back', () => {
		const window = new SeenEventWindow();
		window.add('evt_a', T0 + 40);
		window.add('evt_b', T0 + 41);
		window.add('evt_c', T0 + 3640);
		const stored = window.toJSON();
		expect(stored).toEqual({ v: 2, base: T0 + 40, ids: 'evt_a evt_b evt_c', at: `0 1 ${(3600).toString(36)}` });
		expect(SeenEventWindow.fromJSON(JSON.parse(JSON.stringify(stored))).entries()).toEqual(window.entries());
		expect(SeenEventWindow.fromJSON(new SeenEventWindow().toJSON()).size).toBe(0);
	});

	it('still reads the version 1 form ([id, seenAt] pairs)', () => {
		const window = SeenEventWindow.fromJSON({ v: 1, entries: [['evt_1', T0], ['evt_2', T0 + 5]] });
		expect(window.entries()).toEqual([['evt_1', T0], ['evt_2', T0 + 5]]);
		expect(window.restoredFromInvalidState).toBe(false);
	});

	it('drops expired ids from storage on the next write', () => {
		const window = new SeenEventWindow({ maxAgeSeconds: 100 });
		window.add('a', T0);
		window.add('b', T0 + 50);
		window.add('c', T0 + 151);
		expect(window.entries().map(([id]) => id)).toEqual(['c']);
	});

	it('stays bounded and exact under a long stream (10 % duplicates)', () => {
		const window = new SeenEventWindow({ maxSize: 1000 });
		let emitted = 0;
		for (let i = 0; i < 20_000; i++) {
			const id = i % 10 === 9 ? `evt_${i - 1}` : `evt_${i}`; // every 10th is a redelivery of the previous
			if (window.claim(id, T0 + Math.floor(i / 100))) emitted++;
		}
		expect(emitted).toBe(18_000);
		expect(window.size).toBe(1000);
	});

	it('trims restored state that exceeds a smaller maxSize, oldest first', () => {
		const big = new SeenEventWindow();
		for (let i = 0; i < 10; i++) big.add(`evt_${i}`, T0 + i);
		const small = SeenEventWindow.fromJSON(roundTrip(big), { maxSize: 4 });
		expect(small.entries().map(([id]) => id)).toEqual(['evt_6', 'evt_7', 'evt_8', 'evt_9']);
	});

	it.each([undefined, null])('starts empty from %p', (state) => {
		const window = SeenEventWindow.fromJSON(state);
		expect(window.size).toBe(0);
		expect(window.restoredFromInvalidState).toBe(false);
	});

	it.each([
		['a string', 'evt_1'],
		['an array', [['evt_1', T0]]],
		['another version', { v: 2, entries: [] }],
		['entries that are not an array', { v: 1, entries: {} }],
	])('starts empty and says so when the stored state is %s', (_label, state) => {
		const window = SeenEventWindow.fromJSON(state);
		expect(window.size).toBe(0);
		expect(window.restoredFromInvalidState).toBe(true);
	});

	it('skips unreadable entries and keeps the rest', () => {
		const window = SeenEventWindow.fromJSON({ v: 1, entries: [['evt_1', T0], ['evt_2'], [3, T0], 'x', ['evt_4', T0 + 1]] });
		expect(window.entries()).toEqual([['evt_1', T0], ['evt_4', T0 + 1]]);
	});

	it('delete lets a redelivery through again', () => {
		const window = new SeenEventWindow();
		window.claim('evt_1', T0);
		expect(window.delete('evt_1')).toBe(true);
		expect(window.claim('evt_1', T0 + 1)).toBe(true);
	});

	it('merge unions two copies, keeping the later sighting', () => {
		const a = new SeenEventWindow();
		const b = new SeenEventWindow();
		a.add('x', T0);
		a.add('y', T0 + 1);
		b.add('x', T0 + 5);
		b.add('z', T0 + 2);
		a.merge(b, T0 + 10);
		expect(a.entries()).toEqual([['y', T0 + 1], ['z', T0 + 2], ['x', T0 + 5]]);
	});

	it.each([
		[{ maxSize: 0 }, /maxSize/],
		[{ maxSize: 1.5 }, /maxSize/],
		[{ maxAgeSeconds: 0 }, /maxAgeSeconds/],
		[{ maxAgeSeconds: Number.NaN }, /maxAgeSeconds/],
	])('rejects bad options %p', (options, message) => {
		expect(() => new SeenEventWindow(options)).toThrow(message);
	});

	it('rejects a missing clock', () => {
		expect(() => new SeenEventWindow().has('x', undefined as unknown as number)).toThrow(/unix seconds/);
	});
});

describe('LastEmittedPerObject', () => {
	const ref = (objectId: string, created: number, eventId: string) => ({ objectId, created, eventId });

	it('admits newer events and skips strictly older ones for the same object', () => {
		const index = new LastEmittedPerObject();
		expect(index.admit(ref('in_1', 100, 'evt_b'), T0)).toBe(true);
		expect(index.admit(ref('in_1', 99, 'evt_a'), T0)).toBe(false);
		expect(index.admit(ref('in_1', 101, 'evt_c'), T0)).toBe(true);
		expect(index.admit(ref('in_2', 50, 'evt_d'), T0)).toBe(true); // other object, own history
		expect(index.get('in_1', T0)).toEqual({ created: 101, eventId: 'evt_c' });
	});

	it('never calls an event of the same second stale, whatever the ids', () => {
		const index = new LastEmittedPerObject();
		expect(index.admit(ref('in_1', 100, 'evt_z'), T0)).toBe(true);
		expect(index.admit(ref('in_1', 100, 'evt_a'), T0)).toBe(true);
		expect(index.admit(ref('in_1', 100, 'evt_m'), T0)).toBe(true);
	});

	it('keeps the greater (created, id) as the record, independent of arrival order', () => {
		const forward = new LastEmittedPerObject();
		const backward = new LastEmittedPerObject();
		const events = [ref('in_1', 100, 'evt_a'), ref('in_1', 100, 'evt_c'), ref('in_1', 100, 'evt_b')];
		for (const e of events) forward.record(e, T0);
		for (const e of [...events].reverse()) backward.record(e, T0);
		expect(forward.get('in_1', T0)).toEqual({ created: 100, eventId: 'evt_c' });
		expect(backward.get('in_1', T0)).toEqual({ created: 100, eventId: 'evt_c' });
	});

	it('never moves a record backwards', () => {
		const index = new LastEmittedPerObject();
		index.record(ref('in_1', 200, 'evt_2'), T0);
		index.record(ref('in_1', 100, 'evt_1'), T0);
		expect(index.get('in_1', T0)).toEqual({ created: 200, eventId: 'evt_2' });
	});

	it('survives a restart through JSON', () => {
		const index = new LastEmittedPerObject();
		index.record(ref('in_1', 200, 'evt_2'), T0);
		index.record(ref('sub_1', 150, 'evt_3'), T0 + 1);
		const restored = LastEmittedPerObject.fromJSON(roundTrip(index));
		expect(restored.toJSON()).toEqual({ v: 1, entries: [['in_1', 200, 'evt_2', T0], ['sub_1', 150, 'evt_3', T0 + 1]] });
		expect(restored.isStale(ref('in_1', 199, 'evt_0'), T0 + 2)).toBe(true);
		expect(restored.isStale(ref('sub_1', 151, 'evt_9'), T0 + 2)).toBe(false);
	});

	it('evicts the least recently updated object when full', () => {
		const index = new LastEmittedPerObject({ maxSize: 2 });
		index.record(ref('a', 1, 'e1'), T0);
		index.record(ref('b', 1, 'e2'), T0);
		index.record(ref('a', 2, 'e3'), T0); // 'a' refreshed
		index.record(ref('c', 1, 'e4'), T0); // evicts 'b'
		expect(index.get('b', T0)).toBeUndefined();
		expect(index.get('a', T0)).toEqual({ created: 2, eventId: 'e3' });
		expect(index.size).toBe(2);
	});

	it('forgets objects after maxAge: an old record cannot block events forever', () => {
		const index = new LastEmittedPerObject({ maxAgeSeconds: 100 });
		index.record(ref('in_1', 500, 'evt_1'), T0);
		expect(index.isStale(ref('in_1', 400, 'evt_0'), T0 + 100)).toBe(true);
		expect(index.isStale(ref('in_1', 400, 'evt_0'), T0 + 101)).toBe(false);
	});

	it('starts empty and says so for unreadable state, skipping bad entries otherwise', () => {
		expect(LastEmittedPerObject.fromJSON('junk').restoredFromInvalidState).toBe(true);
		const index = LastEmittedPerObject.fromJSON({ v: 1, entries: [['in_1', 1, 'evt_1', T0], ['in_2', '1', 'evt', T0]] });
		expect(index.restoredFromInvalidState).toBe(false);
		expect(index.toJSON().entries).toEqual([['in_1', 1, 'evt_1', T0]]);
	});
});

describe('InFlightClaims', () => {
	it('answers inFlight while a claim is pending, duplicate once confirmed, and lets a released id through', () => {
		const claims = new InFlightClaims(new SeenEventWindow(), 60);
		expect(claims.claim('evt_1', T0)).toBe('claimed');
		expect(claims.claim('evt_1', T0 + 1)).toBe('inFlight');
		claims.confirm('evt_1', T0 + 2);
		expect(claims.claim('evt_1', T0 + 3)).toBe('duplicate');
		expect(claims.claim('evt_2', T0)).toBe('claimed');
		claims.release('evt_2');
		expect(claims.claim('evt_2', T0 + 1)).toBe('claimed');
	});

	it('lets a redelivery through once the lease of an unconfirmed claim ran out', () => {
		const claims = new InFlightClaims(new SeenEventWindow(), 60);
		expect(claims.claim('evt_1', T0)).toBe('claimed');
		expect(claims.isPending('evt_1', T0 + 59)).toBe(true);
		expect(claims.claim('evt_1', T0 + 59)).toBe('inFlight');
		expect(claims.claim('evt_1', T0 + 60)).toBe('claimed');
	});
});

describe('InFlightClaims memory', () => {
	it('forgets claims whose lease ran out, so unconfirmed claims (queue mode) do not pile up', () => {
		const claims = new InFlightClaims(new SeenEventWindow(), 60);
		for (let i = 0; i < 1000; i++) claims.claim(`evt_${i}`, T0 + i);
		// Only the claims of the last 60 seconds are still held.
		expect((claims as unknown as { pending: Map<string, number> }).pending.size).toBe(60);
		expect(claims.claim('evt_999', T0 + 1000)).toBe('inFlight');
		expect(claims.claim('evt_0', T0 + 1000)).toBe('claimed');
	});
});

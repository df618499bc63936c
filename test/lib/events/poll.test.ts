import { STRIPE_EVENT_RETENTION_SECONDS } from '../../../lib/events/constants';
import { createEventMatcher } from '../../../lib/events/filter';
import {
	latestEvent,
	POLL_DEFAULTS,
	pollEventBatches,
	pollEvents,
	readCursor,
	type PollBatchesOptions,
	type PollCursor,
	type PollOptions,
	type PollResult,
} from '../../../lib/events/poll';
import { PollGuard, pollGuardKey } from '../../../lib/events/pollGuard';
import { FakeEventStore, prng, type FakeEvent } from './fakeEventStore';

const T = 1_760_000_000;
const DAY = 86_400;

/** Polls like the node: cursor in, cursor out through JSON (static data survives restarts as JSON). */
class Poller {
	stored: unknown = undefined;

	readonly emitted: FakeEvent[] = [];

	readonly results: Array<PollResult<FakeEvent>> = [];

	constructor(
		readonly store: FakeEventStore,
		readonly options: Partial<PollOptions<FakeEvent>> = {},
	) {}

	async poll(now: number, extra: Partial<PollOptions<FakeEvent>> = {}): Promise<PollResult<FakeEvent>> {
		const result = await pollEvents<FakeEvent>({ listEvents: this.store.list, now, cursor: this.stored, ...this.options, ...extra });
		this.emitted.push(...result.events);
		this.results.push(result);
		this.stored = JSON.parse(JSON.stringify(result.cursor));
		return result;
	}

	/** Polls until caught up (bounded, so a bug cannot hang the test). */
	async drain(now: number): Promise<void> {
		for (let i = 0; i < 1000; i++) {
			if ((await this.poll(now)).caughtUp) return;
		}
		throw new Error('did not catch up in 1000 polls');
	}

	ids(): string[] {
		return this.emitted.map((e) => e.id);
	}
}

function expectExactlyOnce(poller: Poller, expected: FakeEvent[]): void {
	const ids = poller.ids();
	expect(new Set(ids).size).toBe(ids.length);
	expect([...ids].sort()).toEqual(expected.map((e) => e.id).sort());
}

function expectOldestFirst(events: FakeEvent[]): void {
	for (let i = 1; i < events.length; i++) expect(events[i].created).toBeGreaterThanOrEqual(events[i - 1].created);
}

describe('pollEvents: first run', () => {
	it('emits nothing and takes position at now by default', async () => {
		const store = new FakeEventStore();
		store.addMany(T - 100, 3);
		store.addMany(T, 2); // same second as the first poll: exists already, so not emitted
		const poller = new Poller(store);
		const result = await poller.poll(T);
		expect(result).toMatchObject({ events: [], firstRun: true, caughtUp: true, gap: null });
		expect(result.cursor.created).toBe(T);
		expect(result.skipped).toBe(2);
	});

	it('emits what happens after the first poll, including later in the same second', async () => {
		const store = new FakeEventStore();
		store.addMany(T, 2);
		const poller = new Poller(store);
		await poller.poll(T);
		const later = [...store.addMany(T, 2), ...store.addMany(T + 30, 3)];
		const result = await poller.poll(T + 60);
		expect(result.firstRun).toBe(false);
		expect(result.events.map((e) => e.id)).toEqual(later.map((e) => e.id));
	});

	it('emits the lookback period, oldest first, and nothing older', async () => {
		const store = new FakeEventStore();
		store.addMany(T - 3601, 2);
		const inside = [...store.addMany(T - 3600, 2), ...store.addMany(T - 60, 3), ...store.addMany(T, 1)];
		const poller = new Poller(store, { lookbackSeconds: 3600 });
		const result = await poller.poll(T);
		expect(result.events.map((e) => e.id)).toEqual(inside.map((e) => e.id));
		expect((await poller.poll(T + 60)).events).toEqual([]);
	});

	it('reports an unreadable stored cursor as a gap and starts from now', async () => {
		const store = new FakeEventStore();
		store.addMany(T - 10, 2);
		const result = await pollEvents({ listEvents: store.list, now: T, cursor: { v: 7, position: 'x' } });
		expect(result.firstRun).toBe(true);
		expect(result.events).toEqual([]);
		expect(result.gap).toMatchObject({ reason: 'cursorUnreadable', lostFrom: null, lostUntil: new Date(T * 1000).toISOString() });
		expect(result.gap?.message).toMatch(/may have been missed/);
	});
});

describe('pollEvents: exactly once', () => {
	it('never loses nor repeats several events in one second across polls', async () => {
		const store = new FakeEventStore();
		const poller = new Poller(store, { overlapSeconds: 0 });
		await poller.poll(T - 1);
		const first = store.addMany(T, 5);
		expect((await poller.poll(T)).events.map((e) => e.id)).toEqual(first.map((e) => e.id));
		// More events in the cursor's second, after it was polled, plus the next second.
		const second = [...store.addMany(T, 3), ...store.addMany(T + 1, 2)];
		const result = await poller.poll(T + 1);
		expect(result.events.map((e) => e.id)).toEqual(second.map((e) => e.id));
		expect(result.cursor.created).toBe(T + 1);
		expect(result.cursor.seen.map(([id]) => id)).toEqual(second.slice(3).map((e) => e.id));
		expect((await poller.poll(T + 2)).events).toEqual([]);
		expectExactlyOnce(poller, [...first, ...second]);
	});

	it.each([1, 2, 3, 7, 100])('pages through many same-second events with page size %i', async (pageSize) => {
		const store = new FakeEventStore();
		const poller = new Poller(store, { pageSize, overlapSeconds: 0 });
		await poller.poll(T - 5);
		const events = [...store.addMany(T - 1, 4), ...store.addMany(T, 7), ...store.addMany(T + 1, 3)];
		const result = await poller.poll(T + 1);
		expect(result.events.map((e) => e.id)).toEqual(events.map((e) => e.id));
		expect(result.requests).toBe(Math.ceil(events.length / pageSize));
		expect((await poller.poll(T + 2)).events).toEqual([]);
	});

	it('is not confused by events created while it paginates', async () => {
		const store = new FakeEventStore();
		const poller = new Poller(store, { pageSize: 2 });
		await poller.poll(T - 1);
		const before = store.addMany(T, 5);
		const during: FakeEvent[] = [];
		store.beforePage = (params) => {
			if (params.startingAfter !== undefined && during.length < 4) during.push(...store.addMany(T, 2));
		};
		const first = await poller.poll(T);
		store.beforePage = undefined;
		expect(first.events.map((e) => e.id)).toEqual(before.map((e) => e.id));
		const second = await poller.poll(T + 1);
		expect(second.events.map((e) => e.id)).toEqual(during.map((e) => e.id));
		expectExactlyOnce(poller, [...before, ...during]);
	});

	it('survives a restart between polls (cursor through JSON, new poller)', async () => {
		const store = new FakeEventStore();
		const a = new Poller(store);
		await a.poll(T);
		const first = store.addMany(T, 3);
		await a.poll(T);
		const second = store.addMany(T, 2);
		// "Restart": a new poller that only has the stored JSON.
		const b = new Poller(store);
		b.stored = JSON.parse(JSON.stringify(a.stored));
		const result = await b.poll(T + 1);
		expect(result.events.map((e) => e.id)).toEqual(second.map((e) => e.id));
		expect(a.ids()).toEqual(first.map((e) => e.id));
	});

	it('picks up an event that becomes visible late, within the overlap', async () => {
		const store = new FakeEventStore();
		const poller = new Poller(store, { overlapSeconds: 10 });
		await poller.poll(T - 20);
		const late = store.add(T - 5, { visible: false });
		const onTime = store.addMany(T, 2);
		expect((await poller.poll(T)).events.map((e) => e.id)).toEqual(onTime.map((e) => e.id));
		store.reveal(late.id);
		expect((await poller.poll(T + 2)).events.map((e) => e.id)).toEqual([late.id]);
		expectExactlyOnce(poller, [late, ...onTime]);
	});

	it('with overlap 0 an event that appears late in an already-passed second is not caught (documented limit)', async () => {
		const store = new FakeEventStore();
		const poller = new Poller(store, { overlapSeconds: 0 });
		await poller.poll(T - 20);
		const late = store.add(T - 5, { visible: false });
		store.addMany(T, 2);
		await poller.poll(T);
		store.reveal(late.id);
		expect((await poller.poll(T + 2)).events).toEqual([]);
	});

	it('keeps only the overlap window of ids in the cursor', async () => {
		const store = new FakeEventStore();
		const poller = new Poller(store, { overlapSeconds: 10 });
		await poller.poll(T - 100);
		store.addMany(T - 50, 3);
		const recent = [...store.addMany(T - 9, 2), ...store.addMany(T, 1)];
		const result = await poller.poll(T);
		expect(result.cursor.seen.map(([id]) => id)).toEqual(recent.map((e) => e.id));
	});

	it('randomised: events produced between polls, restarts and page sizes, all emitted exactly once in order', async () => {
		for (const seed of [1, 2, 3, 4, 5]) {
			const random = prng(seed);
			const store = new FakeEventStore();
			const poller = new Poller(store, { overlapSeconds: seed % 2 === 0 ? 0 : 10 });
			let clock = T;
			await poller.poll(clock);
			const produced: FakeEvent[] = [];
			for (let round = 0; round < 60; round++) {
				const burst = Math.floor(random() * 6);
				for (let i = 0; i < burst; i++) {
					clock += random() < 0.6 ? 0 : 1; // mostly several per second
					produced.push(store.add(clock));
				}
				if (random() < 0.3) poller.stored = JSON.parse(JSON.stringify(poller.stored)); // restart
				await poller.poll(clock, { pageSize: 1 + Math.floor(random() * 4) });
			}
			await poller.poll(clock + 1);
			expectExactlyOnce(poller, produced);
			expect(poller.ids()).toEqual(store.all().map((e) => e.id));
		}
	});
});

describe('pollEvents: catching up', () => {
	it('emits a backlog in bounded, oldest-first batches until caught up', async () => {
		const store = new FakeEventStore();
		const poller = new Poller(store, { maxEventsPerPoll: 10, overlapSeconds: 0 });
		await poller.poll(T - 1000);
		const backlog: FakeEvent[] = [];
		for (let s = 0; s < 50; s++) backlog.push(...store.addMany(T - 900 + s * 7, 1 + (s % 3)));
		await poller.drain(T);
		const batches = poller.results.slice(1);
		expect(batches.length).toBeGreaterThan(5);
		for (const batch of batches) expect(batch.events.length).toBeLessThanOrEqual(10);
		expect(batches.slice(0, -1).every((b) => !b.caughtUp)).toBe(true);
		expect(batches[batches.length - 1].caughtUp).toBe(true);
		expectExactlyOnce(poller, backlog);
		expectOldestFirst(poller.emitted);
	});

	it('catches up on a month-sized backlog in few polls of half to full batches, with bounded requests', async () => {
		const store = new FakeEventStore();
		const cap = 500;
		const poller = new Poller(store, { maxEventsPerPoll: cap });
		await poller.poll(T);
		const random = prng(7);
		const backlog: FakeEvent[] = [];
		for (let i = 0; i < 6000; i++) backlog.push(store.add(T + Math.floor(random() * 29 * DAY)));
		await poller.drain(T + 29 * DAY + 60);
		const batches = poller.results.slice(1);
		expectExactlyOnce(poller, backlog);
		expectOldestFirst(poller.emitted);
		for (const batch of batches.slice(0, -1)) {
			expect(batch.events.length).toBeGreaterThanOrEqual(cap / 2);
			expect(batch.events.length).toBeLessThanOrEqual(cap);
		}
		expect(batches.length).toBeLessThanOrEqual(Math.ceil((2 * backlog.length) / cap) + 1);
		// One probe costs at most ceil((cap + 1) / 100) pages; a search needs about log2(seconds) probes.
		const maxRequests = Math.ceil((cap + 1) / 100) * (Math.ceil(Math.log2(29 * DAY)) + 2);
		for (const batch of batches) expect(batch.requests).toBeLessThanOrEqual(maxRequests);
	});

	it('takes an over-full second whole, so a burst cannot stall polling', async () => {
		const store = new FakeEventStore();
		const poller = new Poller(store, { maxEventsPerPoll: 10, overlapSeconds: 0 });
		await poller.poll(T - 10);
		const burst = store.addMany(T - 5, 35);
		const after = store.addMany(T - 2, 3);
		await poller.drain(T);
		expect(poller.results.some((r) => r.events.length === 35)).toBe(true);
		expectExactlyOnce(poller, [...burst, ...after]);
		expectOldestFirst(poller.emitted);
	});

	it('catches up after a week of downtime with events in the overlap', async () => {
		const store = new FakeEventStore();
		const poller = new Poller(store, { maxEventsPerPoll: 25 });
		await poller.poll(T);
		const produced: FakeEvent[] = [];
		const random = prng(42);
		for (let i = 0; i < 300; i++) produced.push(store.add(T + Math.floor(random() * 7 * DAY)));
		await poller.drain(T + 7 * DAY + 60);
		expectExactlyOnce(poller, produced);
		expectOldestFirst(poller.emitted);
		for (const result of poller.results) expect(result.gap).toBeNull();
	});

	it('warns clearly when the last position is older than Stripe\'s 30-day retention', async () => {
		const store = new FakeEventStore();
		const poller = new Poller(store);
		await poller.poll(T);
		const now = T + 45 * DAY;
		const available = store.addMany(now - 10 * DAY, 2);
		const result = await poller.poll(now);
		expect(result.gap).toEqual({
			reason: 'retentionExceeded',
			message: expect.stringContaining('more than 30 days ago'),
			lostFrom: new Date(T * 1000).toISOString(),
			lostUntil: new Date((now - STRIPE_EVENT_RETENTION_SECONDS) * 1000).toISOString(),
		});
		expect(result.gap?.message).toMatch(/may have been missed/);
		expect(result.events.map((e) => e.id)).toEqual(available.map((e) => e.id));
		expect((await poller.poll(now + 60)).gap).toBeNull();
	});

	it('does not report a gap for an account that was idle but polled', async () => {
		const store = new FakeEventStore();
		const poller = new Poller(store);
		for (let day = 0; day <= 40; day += 5) expect((await poller.poll(T + day * DAY)).gap).toBeNull();
	});
});

describe('pollEvents: filtering', () => {
	it('emits only matching events and never brings back the others', async () => {
		const store = new FakeEventStore();
		const filter = createEventMatcher({ events: ['invoice.paid'], mode: 'live' });
		const poller = new Poller(store, { filter });
		await poller.poll(T - 1);
		const wanted = store.add(T, { type: 'invoice.paid', livemode: true });
		store.add(T, { type: 'invoice.paid', livemode: false });
		store.add(T, { type: 'charge.refunded', livemode: true });
		const result = await poller.poll(T);
		expect(result.events.map((e) => e.id)).toEqual([wanted.id]);
		expect(result.skipped).toBe(2);
		expect((await poller.poll(T + 1)).events).toEqual([]);
	});

	it.each([
		[['invoice.paid', 'charge.refunded'], ['charge.refunded', 'invoice.paid']],
		[['*'], undefined],
		[['invoice.paid', '*'], undefined],
		[[], undefined],
		[Array.from({ length: 21 }, (_, i) => `type.${i}`), undefined],
	])('passes types %p to the list as %p', async (types, expected) => {
		const store = new FakeEventStore();
		await pollEvents({ listEvents: store.list, now: T, types });
		expect(store.calls[0].types).toEqual(expected);
	});
});

describe('pollEvents: requests and contract', () => {
	it('asks for created[gte] = mark - overlap and Stripe\'s maximum page size', async () => {
		const store = new FakeEventStore();
		store.add(T - 3);
		const first = await pollEvents({ listEvents: store.list, now: T });
		await pollEvents({ listEvents: store.list, now: T + 60, cursor: first.cursor });
		// The first poll takes position from the newest event, without a lower bound from the local clock.
		expect(store.calls).toEqual([
			{ createdGte: 0, limit: 100 },
			{ createdGte: T - 3 - POLL_DEFAULTS.overlapSeconds, limit: 100 },
		]);
	});

	it('counts its requests', async () => {
		const store = new FakeEventStore();
		const poller = new Poller(store, { overlapSeconds: 0 });
		await poller.poll(T - 1);
		store.addMany(T, 250);
		expect((await poller.poll(T)).requests).toBe(3);
	});

	it('propagates a transport error and leaves the stored cursor for a retry', async () => {
		const store = new FakeEventStore();
		const poller = new Poller(store);
		await poller.poll(T);
		const stored = poller.stored;
		const failure = new Error('Stripe 500');
		await expect(
			pollEvents({
				listEvents: async () => {
					throw failure;
				},
				now: T + 60,
				cursor: stored,
			}),
		).rejects.toBe(failure);
		const events = store.addMany(T + 30, 2);
		expect((await poller.poll(T + 120)).events.map((e) => e.id)).toEqual(events.map((e) => e.id));
	});

	it('rejects a transport that ignores created[gte]', async () => {
		const store = new FakeEventStore();
		store.add(T - 5000);
		const ignoring = (params: Parameters<FakeEventStore['list']>[0]) => store.list({ ...params, createdGte: 0 });
		const cursor: PollCursor = { v: 1, created: T - 100, seen: [] };
		await expect(pollEvents({ listEvents: ignoring, now: T, cursor })).rejects.toThrow(/outside the requested range.*created\[gte\]/);
	});

	it('rejects a transport that ignores starting_after instead of looping', async () => {
		const store = new FakeEventStore();
		store.addMany(T, 5);
		const ignoring = (params: Parameters<FakeEventStore['list']>[0]) => store.list({ ...params, startingAfter: undefined });
		await expect(pollEvents({ listEvents: ignoring, now: T, pageSize: 2 })).rejects.toThrow(/starting_after/);
	});

	it.each([
		['not a page', null],
		['no data array', { data: 'x', has_more: false }],
		['no has_more', { data: [] }],
	])('rejects a page that is %s', async (_label, page) => {
		await expect(pollEvents({ listEvents: async () => page as never, now: T })).rejects.toThrow(/has_more: boolean/);
	});

	it('rejects events without id or created', async () => {
		await expect(pollEvents({ listEvents: async () => ({ data: [{ id: 'evt_1' }] as never, has_more: false }), now: T })).rejects.toThrow(
			/numeric "created"/,
		);
	});

	it.each([
		[{ now: T * 1000 }, /milliseconds/],
		[{ now: Number.NaN }, /unix seconds/],
		[{ lookbackSeconds: -1 }, /lookbackSeconds/],
		[{ lookbackSeconds: 31 * DAY }, /30 days/],
		[{ overlapSeconds: 1.5 }, /overlapSeconds/],
		[{ maxEventsPerPoll: 0 }, /maxEventsPerPoll/],
		[{ pageSize: 101 }, /pageSize/],
		[{ pageSize: 0 }, /pageSize/],
	])('rejects options %p', async (overrides, message) => {
		const store = new FakeEventStore();
		await expect(pollEvents({ listEvents: store.list, now: T, ...overrides })).rejects.toThrow(message);
		await expect(pollEvents({ listEvents: store.list, now: T, ...overrides })).rejects.toBeInstanceOf(RangeError);
	});
});

/**
 * Polls as the node does inside n8n: batch after batch within one poll, and persisting only what
 * n8n persists (the cursor stored before an execution is started; nothing after a poll that
 * emitted nothing). `memory` is the running n8n's static data, `stored` its database.
 */
class BatchPoller {
	memory: unknown = undefined;

	stored: unknown = undefined;

	readonly executions: FakeEvent[][] = [];

	readonly batches: Array<PollResult<FakeEvent>> = [];

	constructor(
		readonly store: FakeEventStore,
		readonly options: Partial<PollBatchesOptions<FakeEvent>> = {},
	) {}

	/** One poll; `activation`: the poll n8n runs when it activates the workflow, after which it stores static data. */
	async poll(now: number, extra: Partial<PollBatchesOptions<FakeEvent>> = {}, activation = false): Promise<void> {
		const cap = extra.maxEventsPerPoll ?? this.options.maxEventsPerPoll ?? POLL_DEFAULTS.maxEventsPerPoll;
		let pending: FakeEvent[] = [];
		let cursor: unknown = this.memory;
		const emit = () => {
			this.memory = cursor;
			this.stored = JSON.parse(JSON.stringify(cursor));
			this.executions.push(pending);
			pending = [];
		};
		for await (const batch of pollEventBatches<FakeEvent>({ listEvents: this.store.list, now, cursor: this.memory, ...this.options, ...extra })) {
			this.batches.push(batch);
			if (pending.length > 0 && pending.length + batch.events.length > cap) emit();
			pending.push(...batch.events);
			cursor = batch.cursor;
		}
		if (pending.length > 0) emit();
		else this.memory = cursor; // a poll that emits nothing: in memory only
		if (activation) this.stored = JSON.parse(JSON.stringify(this.memory));
	}

	restart(): void {
		this.memory = this.stored === undefined ? undefined : JSON.parse(JSON.stringify(this.stored));
	}

	ids(): string[] {
		return this.executions.flat().map((e) => e.id);
	}
}

describe('pollEvents: the cursor follows Stripe\'s clock, not the local one', () => {
	it('skips nothing when the host clock is ahead of Stripe\'s by more than the overlap', async () => {
		const store = new FakeEventStore();
		const ahead = 300; // host clock 5 minutes ahead
		store.addMany(T - 50, 2);
		const poller = new Poller(store);
		const first = await poller.poll(T + ahead);
		expect(first.cursor.created).toBe(T - 50);
		const created: FakeEvent[] = [];
		for (let round = 1; round <= 5; round++) {
			created.push(...store.addMany(T + round * 20, 2));
			const result = await poller.poll(T + round * 20 + ahead);
			// The mark is the newest event's created, never the local "now".
			expect(result.cursor.created).toBe(T + round * 20);
		}
		expectExactlyOnce(poller, created);
	});

	it('an idle account keeps its mark at the last event and still reports no gap after 40 days', async () => {
		const store = new FakeEventStore();
		store.add(T - 5);
		const poller = new Poller(store);
		await poller.poll(T);
		for (let day = 1; day <= 40; day += 3) {
			const result = await poller.poll(T + day * DAY);
			expect(result.cursor.created).toBe(T - 5);
			expect(result.gap).toBeNull();
		}
		const later = store.add(T + 40 * DAY);
		expect((await poller.poll(T + 40 * DAY + 1)).events.map((e) => e.id)).toEqual([later.id]);
	});

	it('a first poll on an account without events takes position 0 and emits whatever comes later', async () => {
		const store = new FakeEventStore();
		const poller = new Poller(store);
		expect((await poller.poll(T)).cursor).toMatchObject({ created: 0, seen: [] });
		// Stripe's clock behind the host's by an hour: still caught.
		const event = store.add(T - 3600);
		expect((await poller.poll(T + 60)).events.map((e) => e.id)).toEqual([event.id]);
	});

	it('overlapSeconds sets how many seconds before the newest event are re-read', async () => {
		const store = new FakeEventStore();
		store.add(T - 100);
		const wide = await pollEvents({ listEvents: store.list, now: T, overlapSeconds: 60 });
		const wideNext = await pollEvents({ listEvents: store.list, now: T + 60, overlapSeconds: 60, cursor: wide.cursor });
		expect(store.calls[store.calls.length - 1].createdGte).toBe(T - 160);
		const late = store.add(T - 130, { visible: false });
		store.reveal(late.id);
		expect((await pollEvents({ listEvents: store.list, now: T + 120, overlapSeconds: 60, cursor: wideNext.cursor })).events).toEqual([late]);
	});
});

describe('pollEventBatches: catching up within one poll', () => {
	it('does not fall behind an account that produces more than a batch per poll interval', async () => {
		const store = new FakeEventStore();
		const cap = 40;
		const poller = new BatchPoller(store, { maxEventsPerPoll: cap, pageSize: 10 });
		await poller.poll(T, {}, true);
		const produced: FakeEvent[] = [];
		const random = prng(11);
		for (let interval = 1; interval <= 6; interval++) {
			// 2.5 batches' worth of events per interval, several per second.
			for (let i = 0; i < cap * 2.5; i++) produced.push(store.add(T + (interval - 1) * 60 + Math.floor(random() * 60)));
			await poller.poll(T + interval * 60);
			// Caught up after every poll: everything produced so far is emitted.
			expect(new Set(poller.ids())).toEqual(new Set(produced.map((e) => e.id)));
		}
		expectExactlyOnce({ ids: () => poller.ids() } as Poller, produced);
		expectOldestFirst(poller.executions.flat());
		for (const execution of poller.executions) expect(execution.length).toBeLessThanOrEqual(cap);
		expect(poller.executions.length).toBeGreaterThanOrEqual(6 * 3);
	});

	it('stops when told (the poll\'s time budget) and the next poll continues from the last batch', async () => {
		const store = new FakeEventStore();
		const poller = new BatchPoller(store, { maxEventsPerPoll: 10, pageSize: 5 });
		await poller.poll(T, {}, true);
		const backlog = Array.from({ length: 35 }, (_, i) => store.add(T + 1 + i));
		let asked = 0;
		await poller.poll(T + 60, { shouldContinue: () => ++asked < 2 });
		// Two batches, then told to stop: part of the backlog, oldest first.
		expect(poller.batches).toHaveLength(3);
		expect(poller.ids()).toEqual(backlog.slice(0, poller.ids().length).map((e) => e.id));
		expect(poller.ids().length).toBeLessThan(backlog.length);
		poller.restart();
		await poller.poll(T + 120);
		expect(poller.ids()).toEqual(backlog.map((e) => e.id));
	});

	it('a poll that emits nothing (so n8n does not store it) still reads through more filtered-out events than one batch holds', async () => {
		const store = new FakeEventStore();
		const filter = createEventMatcher({ events: ['invoice.paid'], mode: 'all' });
		const poller = new BatchPoller(store, { maxEventsPerPoll: 10, pageSize: 10, filter });
		store.add(T - 1, { type: 'invoice.paid' });
		await poller.poll(T, {}, true);
		for (let i = 0; i < 45; i++) store.add(T + 1 + i, { type: 'charge.refunded' });
		const wanted = store.add(T + 50, { type: 'invoice.paid' });
		// Every poll starts from the database (a restart, or n8n's durable scheduler).
		for (let i = 0; i < 3 && poller.ids().length === 0; i++) {
			poller.restart();
			await poller.poll(T + 60 + i);
		}
		expect(poller.ids()).toEqual([wanted.id]);
	});

	it('reports a retention gap once per poll, in the first batch', async () => {
		const store = new FakeEventStore();
		const poller = new BatchPoller(store, { maxEventsPerPoll: 5 });
		await poller.poll(T, {}, true);
		const now = T + 45 * DAY;
		for (let i = 0; i < 17; i++) store.add(now - DAY + i);
		await poller.poll(now);
		const batches = poller.batches.slice(1);
		expect(batches.length).toBeGreaterThan(3);
		expect(batches.map((b) => b.gap?.reason ?? null)).toEqual(['retentionExceeded', ...batches.slice(1).map(() => null)]);
		expect(poller.ids()).toHaveLength(17);
	});
});

describe('latestEvent ("Fetch Test Event")', () => {
	it('makes one list request (limit and Stripe\'s type filter, no created range) and returns the newest match', async () => {
		const store = new FakeEventStore();
		store.addMany(T - 40 * 60, 3, { type: 'invoice.paid' });
		const newest = store.add(T - 60, { type: 'invoice.paid' });
		store.add(T - 30, { type: 'invoice.paid', livemode: true });
		const calls: unknown[] = [];
		const found = await latestEvent<FakeEvent>({
			listLatest: async (params) => {
				calls.push(params);
				return await store.list({ createdGte: 0, ...params });
			},
			limit: 10,
			types: ['invoice.paid'],
			filter: createEventMatcher({ events: ['invoice.paid'], mode: 'test' }),
		});
		expect(found).toEqual(newest);
		expect(calls).toEqual([{ limit: 10, types: ['invoice.paid'] }]);
	});

	it('returns undefined when none of the newest events matches, and checks the limit', async () => {
		const page = async () => ({ data: [{ id: 'evt_1', created: T }], has_more: false });
		expect(await latestEvent({ listLatest: page, filter: () => false })).toBeUndefined();
		await expect(latestEvent({ listLatest: page, limit: 101 })).rejects.toBeInstanceOf(RangeError);
	});
});

describe('PollGuard', () => {
	it('lets one poll per key run: a synchronous check-and-set, released after', () => {
		const guard = new PollGuard(600);
		const key = pollGuardKey('wf1', 'node1', 'trigger');
		const first = guard.acquire(key, T);
		expect(first).toBeDefined();
		expect(guard.acquire(key, T + 1)).toBeUndefined();
		// Another node, another workflow or a manual test run is not blocked.
		expect(guard.acquire(pollGuardKey('wf1', 'node2', 'trigger'), T)).toBeDefined();
		expect(guard.acquire(pollGuardKey('wf2', 'node1', 'trigger'), T)).toBeDefined();
		expect(guard.acquire(pollGuardKey('wf1', 'node1', 'manual'), T)).toBeDefined();
		guard.release(first!);
		expect(guard.acquire(key, T + 2)).toBeDefined();
	});

	it('takes over a lease stuck longer than staleAfterSeconds; the stuck poll no longer holds it', () => {
		const guard = new PollGuard(600);
		const key = pollGuardKey('wf1', 'node1', 'trigger');
		const stuck = guard.acquire(key, T)!;
		expect(guard.acquire(key, T + 599)).toBeUndefined();
		const next = guard.acquire(key, T + 600)!;
		expect(next).toBeDefined();
		expect(guard.holds(stuck)).toBe(false);
		guard.release(stuck); // late: must not free the new holder's lease
		expect(guard.holds(next)).toBe(true);
		expect(guard.acquire(key, T + 601)).toBeUndefined();
	});

	it('rejects a non-positive staleness', () => {
		expect(() => new PollGuard(0)).toThrow(RangeError);
	});
});

describe('readCursor', () => {
	it('reads a stored cursor and drops unreadable seen entries', () => {
		expect(readCursor({ v: 1, created: T, seen: [['evt_1', T], ['bad'], [1, 2]] })).toEqual({ v: 1, created: T, seen: [['evt_1', T]] });
		expect(readCursor({ v: 1, created: T, seen: [], listed: T + 5 })).toEqual({ v: 1, created: T, seen: [], listed: T + 5 });
		expect(readCursor({ v: 1, created: T, seen: [], listed: 'x' })).toEqual({ v: 1, created: T, seen: [] });
	});

	it.each([undefined, null, 'x', { v: 2, created: T, seen: [] }, { v: 1, created: 'T', seen: [] }, { v: 1, created: T }])(
		'returns undefined for %p',
		(value) => {
			expect(readCursor(value)).toBeUndefined();
		},
	);
});

/**
 * The core of the Events Poll Trigger: list `/v1/events` since a persistent cursor and return
 * what is new, oldest first, exactly once across polls and restarts.
 *
 * Facts it relies on (https://docs.stripe.com/api/events/list, read 2025): the list is sorted
 * newest first; `created` is in whole seconds, so many events share one; `created[gte]`,
 * `created[lte]`, `starting_after` and `limit` (1 to 100) page through it stably; events are
 * listed for 30 days only.
 *
 * The cursor is a high-water mark `created` plus the ids of the events already handled whose
 * `created` is within `overlapSeconds` of it. The mark is always a `created` Stripe stamped (the
 * newest event listed, or a bound between listed events), never the local clock: a host clock
 * ahead of Stripe's would otherwise move the mark past events Stripe has yet to create. Each poll
 * lists `created >= mark - overlap` and drops the ids it already knows, so
 * - several events in one second are neither lost nor emitted twice (with overlap 0 the cursor
 *   is exactly "last second seen + the ids seen in it");
 * - an event created in an already-polled second that becomes visible late, or stamped by a
 *   Stripe clock slightly behind ours, is still picked up if it is at most `overlapSeconds` late.
 *
 * Catch-up after downtime is bounded: when more than `maxEventsPerPoll` new events are pending,
 * {@link pollEvents} narrows the time window (halving it) until the oldest pending events fit and
 * returns those as one batch, so items stay oldest first and a batch never holds a month of events
 * in memory. {@link pollEventBatches} repeats that until caught up (or until its caller's time
 * budget says stop), so an account that produces more than one batch per poll interval does not
 * fall behind; every batch's cursor is a valid place to stop and resume.
 *
 * Pure: the clock is `now`, the API is the injected `listEvents`.
 */
import { STRIPE_EVENT_RETENTION_SECONDS } from './constants';

/** What the poll reads of an event. Stripe's `Stripe.Event` fits. */
export interface PollableEvent {
	id: string;
	/** Unix seconds. */
	created: number;
}

/** Parameters for one `GET /v1/events` page; map them to `created[gte]`, `created[lte]`, `starting_after`, `limit`, `types[]`. */
export interface ListEventsParams {
	createdGte: number;
	/** Set only while catching up in windows. */
	createdLte?: number;
	startingAfter?: string;
	limit: number;
	/** Stripe's own type filter (at most 20 types); absent means all types. */
	types?: string[];
}

/** One page of the list, as Stripe returns it (newest first). */
export interface ListEventsPage<T> {
	data: T[];
	has_more: boolean;
}

/** Fetches one page of `GET /v1/events`. */
export type ListEvents<T> = (params: ListEventsParams) => Promise<ListEventsPage<T>>;

/** The persistent poll position (JSON; keep it in workflow static data). */
export interface PollCursor {
	v: 1;
	/** High-water mark, unix seconds: everything created before `created - overlap` is done. */
	created: number;
	/** `[eventId, created]` of handled events with `created >= this.created - overlap`, oldest first. */
	seen: Array<[string, number]>;
	/**
	 * Local unix seconds up to which the list was read completely (the last poll that caught up). Only
	 * used to tell whether Stripe's 30-day retention cut off unread events: an idle account's mark
	 * stays at its last event, which is no gap. Absent in cursors written before it existed.
	 */
	listed?: number;
}

/** Why events may have been missed. */
export interface PollGap {
	reason: 'retentionExceeded' | 'cursorUnreadable';
	/** A sentence for the user (and the node's log). */
	message: string;
	/** Start of the period whose events may be lost, ISO 8601, if known. */
	lostFrom: string | null;
	/** End of that period, ISO 8601, if known. */
	lostUntil: string | null;
}

/** Input of {@link pollEvents}. */
export interface PollOptions<T extends PollableEvent> {
	listEvents: ListEvents<T>;
	/** Current time, unix seconds. */
	now: number;
	/** The stored cursor from the previous poll; `undefined` on the first poll. */
	cursor?: unknown;
	/**
	 * First poll only: also emit the events of this many seconds before `now`. Default 0: the
	 * first poll emits nothing and only takes position. At most 30 days (Stripe's retention).
	 */
	lookbackSeconds?: number;
	/**
	 * How late (in `created` seconds, behind the newest event listed) an event may become listable
	 * and still be caught. Default 10 s (see {@link POLL_DEFAULTS}); 0 is allowed.
	 */
	overlapSeconds?: number;
	/** Most new events (before `filter`) one batch takes while catching up. Default 1,000. */
	maxEventsPerPoll?: number;
	/** Page size, 1 to 100 (Stripe's maximum and the default). */
	pageSize?: number;
	/**
	 * Selected event types. Passed on to Stripe's list filter when there are 1 to 20 of them and
	 * no `*`; otherwise all types are listed (use `filter` to select).
	 */
	types?: readonly string[];
	/** Which new events to emit (type and live/test filter); the others are marked handled silently. */
	filter?: (event: T) => boolean;
	/**
	 * How long Stripe keeps the listed objects: events 30 days (the default), balance transactions
	 * forever (`Infinity`). Bounds `lookbackSeconds` and decides when a gap is reported. The same
	 * cursor rules then serve any list sorted newest first with whole-second `created`.
	 */
	retentionSeconds?: number;
}

/** Outcome of {@link pollEvents}. Store `cursor` only after the events were emitted. */
export interface PollResult<T extends PollableEvent> {
	/** New events that pass `filter`, oldest first. */
	events: T[];
	/** The position to store for the next poll. */
	cursor: PollCursor;
	/** True when there was no usable cursor (first run, or unreadable stored data). */
	firstRun: boolean;
	/** False when more events are pending than `maxEventsPerPoll`; poll again soon. */
	caughtUp: boolean;
	/** Set when events may have been missed; say so to the user. */
	gap: PollGap | null;
	/** New events not emitted: filtered out, or older than the first run's start. */
	skipped: number;
	/** Number of list requests made. */
	requests: number;
}

/** Defaults, exported for the node's parameter descriptions. */
export const POLL_DEFAULTS = {
	lookbackSeconds: 0,
	/**
	 * Stripe stamps `created` in whole seconds and its list is eventually consistent: an event can
	 * become listable a moment after younger ones. Re-listing the last 10 seconds before the newest
	 * event seen (and dropping the ids already handled) catches those at the cost of re-reading a few
	 * ids per poll; raise it if late events are missed, 0 trusts the list to be immediately complete.
	 */
	overlapSeconds: 10,
	maxEventsPerPoll: 1000,
	pageSize: 100,
} as const;

/** Stripe's list filter accepts at most 20 types. */
export const MAX_LIST_TYPES = 20;

interface WindowResult<T> {
	/** Distinct events of the window, in list order (newest first). */
	events: T[];
	complete: boolean;
	/** How many of `events` the cursor did not know. */
	unseen: number;
}

/**
 * For a window that overflowed: the smallest upper bound that surely overflows too, i.e. the
 * `created` of the (cap+1)-th oldest new event among those fetched (all of them lie in it).
 */
function overflowBound<T extends PollableEvent>(window: WindowResult<T>, known: ReadonlyMap<string, number>, cap: number): number {
	const created = window.events
		.filter((event) => !known.has(event.id))
		.map((event) => event.created)
		.sort((a, b) => a - b);
	return created[cap];
}

/**
 * Polls for new events. See the module comment for the guarantees.
 *
 * Call it, emit `events`, then store `cursor` (e.g. `staticData.cursor = result.cursor`). If
 * `listEvents` throws, the error propagates and nothing is to be stored, so the next poll
 * retries from the same position.
 *
 * @throws RangeError for invalid options (programming or configuration errors).
 * @throws Error when `listEvents` breaks the list contract (events outside the requested
 *   `created` range, `has_more` without progress): a transport bug that would otherwise loop.
 */
export async function pollEvents<T extends PollableEvent>(options: PollOptions<T>): Promise<PollResult<T>> {
	return await pollBatch(options, true);
}

/** Input of {@link pollEventBatches}. */
export interface PollBatchesOptions<T extends PollableEvent> extends PollOptions<T> {
	/**
	 * Asked before each further batch while not caught up; `false` stops (e.g. the poll's time budget
	 * is used up) and the next poll continues from the last batch's cursor. Default: always go on.
	 */
	shouldContinue?: () => boolean;
}

/**
 * Polls like {@link pollEvents}, batch after batch, until caught up or `shouldContinue` says stop.
 * Each batch holds at most `maxEventsPerPoll` new events (oldest first, continuing the previous
 * batch); emit a batch's events and store its `cursor` before asking for the next one. A gap is
 * reported in the first batch only.
 *
 * @throws as {@link pollEvents}.
 */
export async function* pollEventBatches<T extends PollableEvent>(
	options: PollBatchesOptions<T>,
): AsyncGenerator<PollResult<T>, void, undefined> {
	let result = await pollBatch(options, true);
	yield result;
	// Terminates: a batch that is not caught up was bounded by an upper `created` above its mark
	// (at least mark + 1), and its cursor's mark moves to that bound.
	while (!result.caughtUp && (options.shouldContinue?.() ?? true)) {
		result = await pollBatch({ ...options, cursor: result.cursor, lookbackSeconds: 0 }, false);
		yield result;
	}
}

/**
 * The newest event that passes `filter` among the `limit` newest events (one list request): what
 * the editor's "Fetch Test Event" shows. No cursor is read or written.
 */
export async function latestEvent<T extends PollableEvent>(options: {
	listLatest: (params: { limit: number; types?: string[] }) => Promise<ListEventsPage<T>>;
	limit?: number;
	types?: readonly string[];
	filter?: (event: T) => boolean;
}): Promise<T | undefined> {
	const limit = options.limit ?? POLL_DEFAULTS.pageSize;
	if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
		throw new RangeError('latestEvent: "limit" must be a whole number from 1 to 100 (Stripe\'s limit).');
	}
	const types = listTypes(options.types);
	const page = await options.listLatest(types === undefined ? { limit } : { limit, types });
	if (typeof page !== 'object' || page === null || !Array.isArray(page.data)) {
		throw new Error('latestEvent: listLatest must resolve with { data: [...] }, as GET /v1/events does.');
	}
	return page.data.find((event) => options.filter === undefined || options.filter(event));
}

async function pollBatch<T extends PollableEvent>(options: PollOptions<T>, reportGap: boolean): Promise<PollResult<T>> {
	const now = options.now;
	if (typeof now !== 'number' || !Number.isFinite(now) || now < 0) {
		throw new RangeError('pollEvents: "now" must be the current time in unix seconds.');
	}
	if (now > 1e11) {
		throw new RangeError('pollEvents: "now" looks like milliseconds; pass unix seconds (Math.floor(Date.now() / 1000)).');
	}
	const lookback = options.lookbackSeconds ?? POLL_DEFAULTS.lookbackSeconds;
	const overlap = options.overlapSeconds ?? POLL_DEFAULTS.overlapSeconds;
	const cap = options.maxEventsPerPoll ?? POLL_DEFAULTS.maxEventsPerPoll;
	const pageSize = options.pageSize ?? POLL_DEFAULTS.pageSize;
	const retention = options.retentionSeconds ?? STRIPE_EVENT_RETENTION_SECONDS;
	if (!Number.isInteger(lookback) || lookback < 0 || lookback > retention) {
		throw new RangeError(
			retention === STRIPE_EVENT_RETENTION_SECONDS
				? `pollEvents: "lookbackSeconds" must be a whole number from 0 to ${STRIPE_EVENT_RETENTION_SECONDS} (30 days, Stripe's event retention).`
				: `pollEvents: "lookbackSeconds" must be a whole number from 0 to ${retention}.`,
		);
	}
	if (!Number.isInteger(overlap) || overlap < 0) {
		throw new RangeError('pollEvents: "overlapSeconds" must be a whole number of seconds, 0 or more.');
	}
	if (!Number.isInteger(cap) || cap < 1) {
		throw new RangeError('pollEvents: "maxEventsPerPoll" must be a whole number of at least 1.');
	}
	if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) {
		throw new RangeError('pollEvents: "pageSize" must be a whole number from 1 to 100 (Stripe\'s limit).');
	}
	const types = listTypes(options.types);

	const restored = readCursor(options.cursor);
	const firstRun = restored === undefined;
	let gap: PollGap | null = null;
	let mark: number;
	let emitFrom: number;
	const known = new Map<string, number>();
	if (restored === undefined) {
		if (options.cursor !== undefined && options.cursor !== null && reportGap) {
			gap = {
				reason: 'cursorUnreadable',
				message:
					'The stored poll position could not be read, so polling restarted from now. Events created since the last successful poll may have been missed; check them in the Stripe Dashboard (Developers > Events).',
				lostFrom: null,
				lostUntil: isoOf(now),
			};
		}
		// Without lookback the first poll only takes position: nothing before it is emitted.
		if (lookback === 0) return await takePosition(options, { now, overlap, pageSize, types, gap });
		mark = now - lookback;
		emitFrom = mark;
	} else {
		mark = restored.created;
		emitFrom = Number.NEGATIVE_INFINITY;
		for (const [id, created] of restored.seen) known.set(id, created);
		const oldestListed = now - retention;
		const readUntil = Math.max(mark, restored.listed ?? mark);
		if (Number.isFinite(retention) && readUntil < oldestListed && reportGap) {
			gap = {
				reason: 'retentionExceeded',
				message: `The last poll position is from ${isoOf(readUntil)}, more than 30 days ago. Stripe lists events for 30 days only, so events created between ${isoOf(readUntil)} and ${isoOf(oldestListed)} can no longer be fetched and may have been missed. Events since then are being delivered.`,
				lostFrom: isoOf(readUntil),
				lostUntil: isoOf(oldestListed),
			};
		}
	}

	const gte = Math.max(0, mark - overlap);
	let requests = 0;

	const fetchWindow = async (upper: number | undefined, capped: boolean): Promise<WindowResult<T>> => {
		const events: T[] = [];
		const ids = new Set<string>();
		let unseen = 0;
		let startingAfter: string | undefined;
		for (;;) {
			const params: ListEventsParams = { createdGte: gte, limit: pageSize };
			if (upper !== undefined) params.createdLte = upper;
			if (startingAfter !== undefined) params.startingAfter = startingAfter;
			if (types !== undefined) params.types = [...types];
			const page = await options.listEvents(params);
			requests++;
			if (typeof page !== 'object' || page === null || !Array.isArray(page.data) || typeof page.has_more !== 'boolean') {
				throw new Error('pollEvents: listEvents must resolve with { data: [...], has_more: boolean }, as GET /v1/events does.');
			}
			let progressed = false;
			for (const event of page.data) {
				checkEvent(event, gte, upper);
				if (ids.has(event.id)) continue;
				ids.add(event.id);
				progressed = true;
				events.push(event);
				if (!known.has(event.id)) unseen++;
			}
			if (capped && unseen > cap) return { events, complete: false, unseen };
			if (!page.has_more) return { events, complete: true, unseen };
			if (!progressed) {
				throw new Error(
					'pollEvents: listEvents returned has_more: true without any new event; check that starting_after is passed to Stripe.',
				);
			}
			startingAfter = page.data[page.data.length - 1].id;
		}
	};

	// Find the window: everything if it fits; else search the time axis for an upper bound whose
	// window holds between half and all of `maxEventsPerPoll` new events. `fits` is the largest
	// bound known to fit, `overflows` the smallest known not to.
	let upper: number | undefined;
	let window = await fetchWindow(undefined, true);
	if (!window.complete) {
		let overflows = overflowBound(window, known, cap);
		let fits: { upper: number; window: WindowResult<T> } | undefined;
		for (;;) {
			const base = fits?.upper ?? mark;
			const probe = Math.floor((base + overflows) / 2);
			if (probe <= base) {
				// The window up to `base + 1` overflows although the one up to `base` fits: more
				// than `maxEventsPerPoll` pending events crowd into that one second. `created` cannot
				// split it, so take it whole, however large, so that every batch advances (and a
				// near-empty batch before it would only cost a poll).
				upper = base + 1;
				window = await fetchWindow(upper, false);
				break;
			}
			const result = await fetchWindow(probe, true);
			if (result.complete) {
				fits = { upper: probe, window: result };
				if (result.unseen * 2 >= cap) {
					upper = fits.upper;
					window = fits.window;
					break;
				}
			} else {
				overflows = overflowBound(result, known, cap);
			}
		}
	}

	let newest = Number.NEGATIVE_INFINITY;
	for (const event of window.events) newest = Math.max(newest, event.created);
	// Stripe's clock only: the newest event listed, or the bound of a complete catch-up window (a
	// `created` between listed events). Never `now`: see the module comment.
	const nextMark = Math.max(mark, newest, upper ?? Number.NEGATIVE_INFINITY);
	const listed = upper === undefined ? now : Math.max(restored?.listed ?? Number.NEGATIVE_INFINITY, nextMark);

	const fresh = window.events.filter((event) => !known.has(event.id)).reverse();
	// Stable sort: same-second events keep Stripe's order, reversed to oldest first.
	fresh.sort((a, b) => a.created - b.created);
	const filter = options.filter;
	const events = fresh.filter((event) => event.created >= emitFrom && (filter === undefined || filter(event)));

	for (const event of window.events) known.set(event.id, event.created);
	const seen = [...known.entries()]
		.filter(([, created]) => created >= nextMark - overlap)
		.sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

	return {
		events,
		cursor: { v: 1, created: nextMark, seen, listed },
		firstRun,
		caughtUp: upper === undefined,
		gap,
		skipped: fresh.length - events.length,
		requests,
	};
}

/**
 * The first poll without lookback: the position is the newest event Stripe lists (plus the ids
 * within the overlap before it), found without the local clock; nothing is emitted. An account
 * without events gets position 0: everything it lists later is new.
 */
async function takePosition<T extends PollableEvent>(
	options: PollOptions<T>,
	context: { now: number; overlap: number; pageSize: number; types: string[] | undefined; gap: PollGap | null },
): Promise<PollResult<T>> {
	const seen = new Map<string, number>();
	let newest: number | undefined;
	let requests = 0;
	let startingAfter: string | undefined;
	for (let done = false; !done; ) {
		const params: ListEventsParams = { createdGte: 0, limit: context.pageSize };
		if (startingAfter !== undefined) params.startingAfter = startingAfter;
		if (context.types !== undefined) params.types = [...context.types];
		const page = await options.listEvents(params);
		requests++;
		if (typeof page !== 'object' || page === null || !Array.isArray(page.data) || typeof page.has_more !== 'boolean') {
			throw new Error('pollEvents: listEvents must resolve with { data: [...], has_more: boolean }, as GET /v1/events does.');
		}
		done = !page.has_more || page.data.length === 0;
		let progressed = false;
		for (const event of page.data) {
			checkEvent(event, 0, undefined);
			newest ??= event.created;
			if (event.created < newest - context.overlap) {
				done = true;
				break;
			}
			progressed ||= !seen.has(event.id);
			seen.set(event.id, event.created);
		}
		if (!done && !progressed) {
			throw new Error('pollEvents: listEvents returned has_more: true without any new event; check that starting_after is passed to Stripe.');
		}
		startingAfter = page.data[page.data.length - 1]?.id;
	}
	const mark = newest ?? 0;
	const entries = [...seen.entries()].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
	return {
		events: [],
		cursor: { v: 1, created: mark, seen: entries, listed: context.now },
		firstRun: true,
		caughtUp: true,
		gap: context.gap,
		skipped: entries.length,
		requests,
	};
}

/**
 * Reads a stored cursor. Returns `undefined` for anything that is not a cursor (then
 * {@link pollEvents} starts afresh and reports it). Unreadable `seen` entries are dropped.
 */
export function readCursor(value: unknown): PollCursor | undefined {
	if (typeof value !== 'object' || value === null) return undefined;
	const candidate = value as { v?: unknown; created?: unknown; seen?: unknown };
	if (candidate.v !== 1 || typeof candidate.created !== 'number' || !Number.isFinite(candidate.created)) return undefined;
	if (!Array.isArray(candidate.seen)) return undefined;
	const seen: Array<[string, number]> = [];
	for (const entry of candidate.seen) {
		if (Array.isArray(entry) && typeof entry[0] === 'string' && typeof entry[1] === 'number') seen.push([entry[0], entry[1]]);
	}
	const listed = (value as { listed?: unknown }).listed;
	return typeof listed === 'number' && Number.isFinite(listed) ? { v: 1, created: candidate.created, seen, listed } : { v: 1, created: candidate.created, seen };
}

function listTypes(types: readonly string[] | undefined): string[] | undefined {
	if (types === undefined) return undefined;
	const list = [...new Set(types.filter((t) => typeof t === 'string' && t !== ''))];
	if (list.length === 0 || list.length > MAX_LIST_TYPES || list.includes('*')) return undefined;
	return list.sort();
}

function checkEvent(event: unknown, gte: number, upper: number | undefined): asserts event is PollableEvent {
	const e = event as Partial<PollableEvent> | null;
	if (typeof e !== 'object' || e === null || typeof e.id !== 'string' || typeof e.created !== 'number') {
		throw new Error('pollEvents: listEvents returned an item without a string "id" and a numeric "created".');
	}
	if (e.created < gte || (upper !== undefined && e.created > upper)) {
		throw new Error(
			`pollEvents: listEvents returned event ${e.id} created at ${e.created}, outside the requested range (created >= ${gte}${upper === undefined ? '' : ` and <= ${upper}`}). Pass createdGte/createdLte to Stripe as created[gte]/created[lte].`,
		);
	}
}

function isoOf(seconds: number): string {
	return new Date(seconds * 1000).toISOString();
}

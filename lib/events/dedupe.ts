/**
 * Bounded memories that survive restarts, for the triggers' duplicate and staleness checks.
 *
 * Stripe delivers every event at least once and retries for up to three days, and does not
 * guarantee order (https://docs.stripe.com/webhooks#handle-duplicate-events and
 * #event-ordering, read 2025). Both structures live in n8n's workflow static data, so they
 * are plain classes over a `Map` (O(1) checks, insertion order = eviction order) with a JSON
 * form (`toJSON` / `fromJSON`). Entries expire after `maxAgeSeconds` (default: Stripe's 30-day
 * event retention, after which no redelivery can happen) and the oldest go first when
 * `maxSize` is reached. Time is always passed in as `now` (unix seconds).
 */

/**
 * Stripe retries a delivery that got no 2xx "for up to three days" with exponential backoff
 * (https://docs.stripe.com/webhooks#retries, read 2026-12). A duplicate can therefore arrive up to
 * three days after the first delivery; the in-process window keeps ids that long, plus a day of margin.
 */
export const STRIPE_RETRY_HORIZON_SECONDS = 3 * 24 * 60 * 60;

/** Default lifetime of a remembered event id: Stripe's retry horizon plus one day. */
export const DEFAULT_WINDOW_MAX_AGE_SECONDS = STRIPE_RETRY_HORIZON_SECONDS + 24 * 60 * 60;

/**
 * Default number of ids kept in the trigger's in-process window: 200,000, i.e. four days of an
 * account that produces about 0.6 events per second. An entry costs about 100 bytes of memory
 * (about 20 MB when full); nothing is written to a database per entry, so the count can be large.
 * Durable memory (n8n's deduplication store, across restarts) is bounded separately, see
 * {@link DEFAULT_DURABLE_MAX_ENTRIES}.
 */
export const DEFAULT_WINDOW_MAX_SIZE = 200_000;

/**
 * Default number of event ids kept in n8n's own deduplication store (processed-data table), which
 * survives restarts. n8n stores them as one JSON row per node that is read and rewritten with every
 * emitted event, so its size is paid on every execution (measured with `npm run bench:webhook`, see
 * README). It only has to cover redeliveries that cross an n8n restart.
 */
export const DEFAULT_DURABLE_MAX_ENTRIES = 10_000;

/** Limits of a bounded window. */
export interface WindowOptions {
	/** Most entries kept; the oldest are evicted first. Default {@link DEFAULT_WINDOW_MAX_SIZE}. */
	maxSize?: number;
	/** Entries older than this (since last recorded) are forgotten. Default {@link DEFAULT_WINDOW_MAX_AGE_SECONDS}. */
	maxAgeSeconds?: number;
}

/** JSON form of {@link SeenEventWindow}: `[eventId, seenAt]`, oldest first. */
/**
 * The stored form of a {@link SeenEventWindow}, oldest first: ids separated by spaces, and each id's
 * time as a base-36 offset from `base`. Two strings instead of 10,000 `[id, at]` pairs, because n8n
 * loads, parses and wraps every stored value of the workflow's static data (one Proxy per object)
 * on every webhook request: measured with bench/webhook.mjs, pairs cost about 5 ms per request at
 * 10,000 ids, the strings about 0.2 ms. Version 1 (`entries` pairs) is still read.
 */
export interface SeenEventsState {
	v: 2;
	/** Unix seconds that every offset in `at` is added to. */
	base: number;
	ids: string;
	at: string;
}

/** JSON form of {@link LastEmittedPerObject}: `[objectId, created, eventId, recordedAt]`, least recently updated first. */
export interface LastEmittedState {
	v: 1;
	entries: Array<[string, number, string, number]>;
}

function resolveLimits(options: WindowOptions | undefined): { maxSize: number; maxAgeSeconds: number } {
	const maxSize = options?.maxSize ?? DEFAULT_WINDOW_MAX_SIZE;
	const maxAgeSeconds = options?.maxAgeSeconds ?? DEFAULT_WINDOW_MAX_AGE_SECONDS;
	if (!Number.isInteger(maxSize) || maxSize < 1) {
		throw new RangeError(`Window maxSize must be a whole number of at least 1; got ${String(maxSize)}.`);
	}
	if (typeof maxAgeSeconds !== 'number' || !(maxAgeSeconds > 0)) {
		throw new RangeError(`Window maxAgeSeconds must be a positive number of seconds; got ${String(maxAgeSeconds)}.`);
	}
	return { maxSize, maxAgeSeconds };
}

function checkNow(now: number): void {
	if (typeof now !== 'number' || !Number.isFinite(now)) {
		throw new RangeError('"now" must be the current time in unix seconds.');
	}
}

function isCompactState(value: unknown): value is SeenEventsState {
	const state = value as Partial<SeenEventsState> | null;
	return (
		typeof state === 'object' &&
		state !== null &&
		state.v === 2 &&
		typeof state.base === 'number' &&
		typeof state.ids === 'string' &&
		typeof state.at === 'string'
	);
}

function isStateOf(value: unknown): value is { v: 1; entries: unknown[] } {
	return (
		typeof value === 'object' &&
		value !== null &&
		(value as { v?: unknown }).v === 1 &&
		Array.isArray((value as { entries?: unknown }).entries)
	);
}

/**
 * The ids of events already emitted, so that a redelivery is acknowledged and dropped.
 *
 * Use {@link SeenEventWindow.claim} for the check: it tests and records in one synchronous
 * step, so two concurrent deliveries of one event in the same process cannot both pass.
 */
export class SeenEventWindow {
	/** True when {@link SeenEventWindow.fromJSON} got stored data it could not read and started empty. */
	restoredFromInvalidState = false;

	private readonly seen = new Map<string, number>();

	private readonly maxSize: number;

	private readonly maxAgeSeconds: number;

	constructor(options?: WindowOptions) {
		({ maxSize: this.maxSize, maxAgeSeconds: this.maxAgeSeconds } = resolveLimits(options));
	}

	/**
	 * Restores a window from its JSON form (workflow static data). `undefined` or `null` give an
	 * empty window. Unreadable data also gives an empty window, with `restoredFromInvalidState`
	 * set so the caller can log it: failing every delivery because of a damaged memory would be
	 * worse than a possible duplicate. Unreadable entries are skipped; if there are more
	 * entries than `maxSize`, the oldest are dropped.
	 */
	static fromJSON(state: unknown, options?: WindowOptions): SeenEventWindow {
		const window = new SeenEventWindow(options);
		if (state === undefined || state === null) return window;
		if (isCompactState(state)) {
			const ids = state.ids === '' ? [] : state.ids.split(' ');
			const at = state.at === '' ? [] : state.at.split(' ');
			for (let i = 0; i < ids.length; i++) {
				const seenAt = state.base + parseInt(at[i] ?? '', 36);
				if (!ids[i] || !Number.isFinite(seenAt)) continue;
				window.seen.delete(ids[i]);
				window.seen.set(ids[i], seenAt);
			}
			window.evictOverflow();
			return window;
		}
		if (!isStateOf(state)) {
			window.restoredFromInvalidState = true;
			return window;
		}
		for (const entry of state.entries) {
			if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1] !== 'number') continue;
			window.seen.delete(entry[0]);
			window.seen.set(entry[0], entry[1]);
		}
		window.evictOverflow();
		return window;
	}

	/** Number of ids remembered (expired ones included until the next write). */
	get size(): number {
		return this.seen.size;
	}

	/** True when `eventId` was recorded less than `maxAgeSeconds` before `now`. */
	has(eventId: string, now: number): boolean {
		checkNow(now);
		const seenAt = this.seen.get(eventId);
		return seenAt !== undefined && now - seenAt <= this.maxAgeSeconds;
	}

	/** Records `eventId` as seen at `now` (a repeat refreshes it), then evicts expired and excess ids. */
	add(eventId: string, now: number): void {
		checkNow(now);
		this.seen.delete(eventId);
		this.seen.set(eventId, now);
		this.evict(now);
	}

	/**
	 * Checks and records in one step. Returns true when the id is new (emit the event) and false
	 * for a duplicate (acknowledge and drop it). A duplicate's entry is refreshed, so an event
	 * that keeps being redelivered is not forgotten while it does.
	 */
	claim(eventId: string, now: number): boolean {
		const isNew = !this.has(eventId, now);
		this.add(eventId, now);
		return isNew;
	}

	/** Forgets `eventId`, e.g. when emitting it failed and a redelivery should go through. */
	delete(eventId: string): boolean {
		return this.seen.delete(eventId);
	}

	/** Adds every id of `other` not known here or known with an older time (to reconcile two copies). */
	merge(other: SeenEventWindow, now: number): void {
		checkNow(now);
		const entries = [...this.seen.entries(), ...other.seen.entries()].sort((a, b) => a[1] - b[1]);
		this.seen.clear();
		for (const [id, seenAt] of entries) {
			const known = this.seen.get(id);
			if (known !== undefined && known >= seenAt) continue;
			this.seen.delete(id);
			this.seen.set(id, seenAt);
		}
		this.evict(now);
	}

	/** The JSON form, oldest first. `JSON.stringify(window)` uses it. */
	/** `[id, seenAt]` pairs, oldest first. */
	entries(): Array<[string, number]> {
		return [...this.seen.entries()];
	}

	toJSON(): SeenEventsState {
		let base = Infinity;
		for (const seenAt of this.seen.values()) if (seenAt < base) base = seenAt;
		if (base === Infinity) base = 0;
		const ids: string[] = [];
		const at: string[] = [];
		for (const [id, seenAt] of this.seen) {
			ids.push(id);
			at.push((seenAt - base).toString(36));
		}
		return { v: 2, base, ids: ids.join(' '), at: at.join(' ') };
	}

	private evict(now: number): void {
		for (const [id, seenAt] of this.seen) {
			if (now - seenAt <= this.maxAgeSeconds) break;
			this.seen.delete(id);
		}
		this.evictOverflow();
	}

	private evictOverflow(): void {
		for (const id of this.seen.keys()) {
			if (this.seen.size <= this.maxSize) break;
			this.seen.delete(id);
		}
	}
}

/** An event as seen by the staleness check. */
export interface ObjectEventRef {
	/** Id of the object the event is about (`data.object.id`). */
	objectId: string;
	/** The event's `created`, unix seconds. */
	created: number;
	eventId: string;
}

/** The last emitted event for one object. */
export interface LastEmitted {
	created: number;
	eventId: string;
}

/**
 * Per object, the newest event emitted so far, for the "skip stale events" option: an event
 * older than the last one emitted for the same object carries an outdated snapshot (Stripe
 * does not deliver in order), so emitting it would let a workflow overwrite newer data.
 *
 * The rule: stale when `created` is strictly older than the last emitted one. Events of the
 * same second are never stale: `created` has one-second resolution and event ids carry no
 * order, so such events cannot be ordered, and dropping one (say `invoice.finalized` and
 * `invoice.paid` of one invoice in the same second) would lose a real transition. The
 * event id only decides which of two same-second events is kept as the record (the greater
 * id), so the record does not depend on arrival order.
 *
 * Caveat for the node's help text: this compares objects, not event types, so an
 * `invoice.paid` that arrives after a later `invoice.updated` of the same invoice is skipped.
 */
export class LastEmittedPerObject {
	/** True when {@link LastEmittedPerObject.fromJSON} got unreadable data and started empty. */
	restoredFromInvalidState = false;

	private readonly last = new Map<string, { created: number; eventId: string; at: number }>();

	private readonly maxSize: number;

	private readonly maxAgeSeconds: number;

	constructor(options?: WindowOptions) {
		({ maxSize: this.maxSize, maxAgeSeconds: this.maxAgeSeconds } = resolveLimits(options));
	}

	/** Restores from the JSON form; same tolerance rules as {@link SeenEventWindow.fromJSON}. */
	static fromJSON(state: unknown, options?: WindowOptions): LastEmittedPerObject {
		const index = new LastEmittedPerObject(options);
		if (state === undefined || state === null) return index;
		if (!isStateOf(state)) {
			index.restoredFromInvalidState = true;
			return index;
		}
		for (const entry of state.entries) {
			if (
				!Array.isArray(entry) ||
				typeof entry[0] !== 'string' ||
				typeof entry[1] !== 'number' ||
				typeof entry[2] !== 'string' ||
				typeof entry[3] !== 'number'
			) {
				continue;
			}
			index.last.delete(entry[0]);
			index.last.set(entry[0], { created: entry[1], eventId: entry[2], at: entry[3] });
		}
		index.evictOverflow();
		return index;
	}

	/** Number of objects remembered. */
	get size(): number {
		return this.last.size;
	}

	/** The last emitted event for `objectId`, if remembered and not expired at `now`. */
	get(objectId: string, now: number): LastEmitted | undefined {
		checkNow(now);
		const entry = this.last.get(objectId);
		if (entry === undefined || now - entry.at > this.maxAgeSeconds) return undefined;
		return { created: entry.created, eventId: entry.eventId };
	}

	/** True when `event` is strictly older than the last emitted event for its object. */
	isStale(event: ObjectEventRef, now: number): boolean {
		const last = this.get(event.objectId, now);
		return last !== undefined && event.created < last.created;
	}

	/** Records `event` as emitted; never moves an object's record backwards. */
	record(event: ObjectEventRef, now: number): void {
		checkNow(now);
		const last = this.get(event.objectId, now);
		let keep = { created: event.created, eventId: event.eventId };
		if (
			last !== undefined &&
			(last.created > event.created || (last.created === event.created && last.eventId > event.eventId))
		) {
			keep = last;
		}
		this.last.delete(event.objectId);
		this.last.set(event.objectId, { ...keep, at: now });
		this.evict(now);
	}

	/** Checks and records in one step: returns false for a stale event (skip it), else records it and returns true. */
	admit(event: ObjectEventRef, now: number): boolean {
		if (this.isStale(event, now)) return false;
		this.record(event, now);
		return true;
	}

	/** The JSON form, least recently updated first. */
	toJSON(): LastEmittedState {
		return {
			v: 1,
			entries: [...this.last.entries()].map(([objectId, e]) => [objectId, e.created, e.eventId, e.at]),
		};
	}

	private evict(now: number): void {
		for (const [objectId, entry] of this.last) {
			if (now - entry.at <= this.maxAgeSeconds) break;
			this.last.delete(objectId);
		}
		this.evictOverflow();
	}

	private evictOverflow(): void {
		for (const objectId of this.last.keys()) {
			if (this.last.size <= this.maxSize) break;
			this.last.delete(objectId);
		}
	}
}

/** What {@link InFlightClaims.claim} found. */
export type ClaimOutcome = 'claimed' | 'duplicate' | 'inFlight';

/** Default lease of an in-flight claim: how long a delivery may take before a redelivery is let through. */
export const DEFAULT_CLAIM_LEASE_SECONDS = 120;

/**
 * Event ids whose delivery is being processed, next to a {@link SeenEventWindow} of ids already
 * emitted. A redelivery of an event whose first delivery is still in flight must not get a 2xx:
 * if the first then fails, Stripe would hold a 2xx for the event and never send it again. So a
 * claim is *pending* until the emitted event is confirmed (the execution it started ran) or
 * released (a step after the claim failed). A claim that is neither confirmed nor released within
 * `leaseSeconds` (the execution never started, or runs in another process) lets the next delivery
 * through; the durable check inside the execution then decides.
 */
export class InFlightClaims {
	private readonly pending = new Map<string, number>();

	constructor(
		readonly seen: SeenEventWindow,
		private readonly leaseSeconds = DEFAULT_CLAIM_LEASE_SECONDS,
	) {}

	/** Checks and claims in one synchronous step. */
	claim(eventId: string, now: number): ClaimOutcome {
		checkNow(now);
		if (this.seen.has(eventId, now)) return 'duplicate';
		if (this.isPending(eventId, now)) return 'inFlight';
		// Claims whose lease ran out are forgotten (oldest first: the map is in claim order), so claims that
		// are never confirmed here (queue mode, an execution that never started) cannot pile up.
		for (const [id, at] of this.pending) {
			if (now - at < this.leaseSeconds) break;
			this.pending.delete(id);
		}
		this.pending.delete(eventId);
		this.pending.set(eventId, now);
		return 'claimed';
	}

	/** True while `eventId` is claimed and its lease has not run out. */
	isPending(eventId: string, now: number): boolean {
		const at = this.pending.get(eventId);
		return at !== undefined && now - at < this.leaseSeconds;
	}

	/** The event was emitted and its execution ran: later deliveries are duplicates. */
	confirm(eventId: string, now: number): void {
		this.pending.delete(eventId);
		this.seen.add(eventId, now);
	}

	/** Processing failed after the claim: the next delivery goes through. */
	release(eventId: string): void {
		this.pending.delete(eventId);
	}
}

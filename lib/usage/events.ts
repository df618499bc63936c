/**
 * Usage events before they reach Stripe (issue 9): validation, deterministic identifiers,
 * in-input duplicates and aggregation. Pure: the clock (`now`) is passed in.
 *
 * Stripe's rules (https://docs.stripe.com/api/billing/meter-event/create and the v2 stream
 * reference, read 2026-12-01): `event_name` at most 100 characters; `identifier` at most 100,
 * unique within a rolling period of at least 24 hours; `timestamp` within the past 35 calendar
 * days and at most 5 minutes in the future; payload values are strings.
 */
import { createHash } from 'node:crypto';
import { isoSeconds } from '../iso';

export const MAX_EVENT_NAME_LENGTH = 100;
export const MAX_IDENTIFIER_LENGTH = 100;
export const MAX_PAST_SECONDS = 35 * 86_400;
export const MAX_FUTURE_SECONDS = 5 * 60;
/**
 * Events are refused this long before they would leave Stripe's window (ours): an event checked
 * at 34 days 23:59:59 must still be inside the window when Stripe receives it, after retries.
 */
export const WINDOW_SAFETY_SECONDS = 10 * 60;

/** What one input item says (fields as mapped in the node). */
export interface UsageInput {
	/** The meter's `event_name`. */
	eventName: unknown;
	/** The Stripe customer id (`cus_…`), once resolved. */
	customer: unknown;
	/** The usage value; ignored (1) by `count` meters. */
	value: unknown;
	/** Unix seconds or milliseconds, an ISO 8601 string, or a Date; empty: now. */
	timestamp?: unknown;
	/** The row's id in the source system: the basis of the identifier. */
	sourceId?: unknown;
}

/** A valid event, ready to send. */
export interface UsageEvent {
	eventName: string;
	customer: string;
	value: number;
	/** Unix seconds. */
	timestamp: number;
	identifier: string;
	/** The input items this event stands for (several when aggregated). */
	items: number[];
}

export type Validation = { ok: true; event: Omit<UsageEvent, 'identifier' | 'items'> & { sourceId?: string } } | { ok: false; reason: string };

export interface ValidateOptions {
	/** Unix seconds. */
	now: number;
	/** Accept negative values (some meters net out credits); default false. */
	allowNegative?: boolean;
	/** Event names of the account's active meters; when given, others are refused. */
	knownEventNames?: ReadonlySet<string>;
}

/** Unix seconds from what a database or an API gives; `undefined` when it cannot be read. */
export function parseTimestamp(value: unknown, now: number): number | undefined {
	if (value === undefined || value === null || value === '') return now;
	if (value instanceof Date) return Number.isFinite(value.getTime()) ? Math.floor(value.getTime() / 1000) : undefined;
	if (typeof value === 'number') {
		if (!Number.isFinite(value) || value < 0) return undefined;
		// Milliseconds (13 digits) or seconds (10 digits).
		return Math.floor(value > 1e11 ? value / 1000 : value);
	}
	if (typeof value === 'string') {
		const trimmed = value.trim();
		if (/^\d+(\.\d+)?$/.test(trimmed)) return parseTimestamp(Number(trimmed), now);
		const ms = Date.parse(trimmed);
		return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
	}
	return undefined;
}


/** Checks one item against Stripe's rules; the reason says what to fix. */
export function validateUsage(input: UsageInput, options: ValidateOptions): Validation {
	const { eventName, customer } = input;
	if (typeof eventName !== 'string' || eventName.trim() === '') return { ok: false, reason: 'The event name is empty: map the meter\'s event_name.' };
	if (eventName.length > MAX_EVENT_NAME_LENGTH) return { ok: false, reason: `The event name is ${eventName.length} characters; Stripe allows ${MAX_EVENT_NAME_LENGTH}.` };
	if (options.knownEventNames && !options.knownEventNames.has(eventName)) {
		const names = [...options.knownEventNames].slice(0, 10).join(', ');
		return { ok: false, reason: `No active meter has the event name "${eventName}"${names ? ` (active: ${names})` : ' (the account has no active meter)'}.` };
	}
	if (typeof customer !== 'string' || !/^cus_\w+$/.test(customer)) {
		return { ok: false, reason: `The customer ${JSON.stringify(customer ?? null)} is not a Stripe customer id (cus_…): map the customer id, or look customers up by email or metadata.` };
	}
	const raw = input.value;
	const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
	if (!Number.isFinite(value)) return { ok: false, reason: `The value ${JSON.stringify(raw ?? null)} is not a finite number.` };
	if (value < 0 && !options.allowNegative) return { ok: false, reason: `The value ${value} is negative; turn on "Allow Negative Values" if the meter nets out credits.` };
	const timestamp = parseTimestamp(input.timestamp, options.now);
	if (timestamp === undefined) return { ok: false, reason: `The timestamp ${JSON.stringify(input.timestamp)} is not a date: use unix seconds or milliseconds, or ISO 8601.` };
	const oldest = options.now - MAX_PAST_SECONDS + WINDOW_SAFETY_SECONDS;
	if (timestamp < oldest) {
		return { ok: false, reason: `The timestamp ${isoSeconds(timestamp)} is older than Stripe accepts (35 days: nothing before ${isoSeconds(oldest)}, with 10 minutes to spare). Such usage can only be billed with an invoice item.` };
	}
	if (timestamp > options.now + MAX_FUTURE_SECONDS) return { ok: false, reason: `The timestamp ${isoSeconds(timestamp)} is more than 5 minutes in the future (now ${isoSeconds(options.now)}).` };
	let sourceId: string | undefined;
	if (input.sourceId !== undefined && input.sourceId !== null && input.sourceId !== '') {
		if (typeof input.sourceId !== 'string' && typeof input.sourceId !== 'number') return { ok: false, reason: `The source id ${JSON.stringify(input.sourceId)} is not a string or number.` };
		sourceId = String(input.sourceId);
	}
	return { ok: true, event: { eventName, customer, value, timestamp, ...(sourceId !== undefined ? { sourceId } : {}) } };
}

function hash(parts: unknown[]): string {
	return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 32);
}

/**
 * The identifier of one event, deterministic so a re-run never bills twice within Stripe's
 * dedupe window: `<eventName>:<sourceId>` when that fits in 100 characters and is plain, else
 * `u_<hash>` of both. Without a source id, a hash of event name, customer, timestamp and value:
 * two events equal in all four count once (give a source id when that can happen).
 */
export function eventIdentifier(event: { eventName: string; customer: string; value: number; timestamp: number; sourceId?: string }): string {
	if (event.sourceId !== undefined) {
		const readable = `${event.eventName}:${event.sourceId}`;
		if (readable.length <= MAX_IDENTIFIER_LENGTH && /^[\w.:-]+$/.test(readable)) return readable;
		return `u_${hash([event.eventName, event.sourceId])}`;
	}
	return `h_${hash([event.eventName, event.customer, event.timestamp, event.value])}`;
}

export type Aggregation = 'none' | 'sum' | 'count' | 'last';
export type AggregationWindow = 'minute' | 'hour' | 'day';

const WINDOW_SECONDS: Record<AggregationWindow, number> = { minute: 60, hour: 3600, day: 86_400 };

/** One valid event per item (identifier and its items). */
export interface Keyed {
	item: number;
	event: Omit<UsageEvent, 'identifier' | 'items'> & { sourceId?: string };
}

/**
 * Groups valid events per customer × meter × window (UTC) and folds their values (`sum`, `count`,
 * `last` by timestamp, then input order). The group's identifier is a hash of meter, customer,
 * window start and the sorted identifiers of its events: the same rows give the same identifier
 * on a re-run; new rows in a later run form their own group. Its timestamp is its earliest event's.
 */
export function aggregate(events: readonly Keyed[], how: Exclude<Aggregation, 'none'>, window: AggregationWindow): UsageEvent[] {
	const size = WINDOW_SECONDS[window];
	const groups = new Map<string, { first: Keyed; ids: string[]; items: number[]; sum: number; count: number; last: { t: number; v: number }; min: number }>();
	for (const k of events) {
		const start = Math.floor(k.event.timestamp / size) * size;
		const key = `${k.event.eventName}\u0000${k.event.customer}\u0000${start}`;
		let g = groups.get(key);
		if (!g) groups.set(key, (g = { first: k, ids: [], items: [], sum: 0, count: 0, last: { t: -Infinity, v: 0 }, min: Infinity }));
		g.ids.push(eventIdentifier(k.event));
		g.items.push(k.item);
		g.sum += k.event.value;
		g.count += 1;
		if (k.event.timestamp >= g.last.t) g.last = { t: k.event.timestamp, v: k.event.value };
		g.min = Math.min(g.min, k.event.timestamp);
	}
	const out: UsageEvent[] = [];
	for (const [key, g] of groups) {
		const start = Number(key.split('\u0000')[2]);
		const value = how === 'sum' ? g.sum : how === 'count' ? g.count : g.last.v;
		out.push({
			eventName: g.first.event.eventName,
			customer: g.first.event.customer,
			value,
			timestamp: g.min,
			identifier: `a_${hash([g.first.event.eventName, g.first.event.customer, start, how, [...g.ids].sort()])}`,
			items: g.items,
		});
	}
	return out;
}

/** Stripe keeps identifiers unique "within a rolling period of at least 24 hours". */
export const DEDUPE_WINDOW_SECONDS = 24 * 3600;

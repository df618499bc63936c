/**
 * The triggers' event filter: selected types (or `*`) and live/test mode.
 */
import { ALL_EVENTS } from './catalog';

/** Which events to keep by `livemode`. */
export type LivemodeFilter = 'all' | 'live' | 'test';

/** The filter settings of a trigger. */
export interface EventFilter {
	/** Selected event types; `*` matches every type. */
	events: readonly string[];
	mode: LivemodeFilter;
}

/** The fields of an event the filter reads (snapshot events and thin notifications alike). */
export interface FilterableEvent {
	type: string;
	livemode: boolean;
	/** `v2.core.event` for thin notifications. */
	object?: string;
}

const MODES: readonly LivemodeFilter[] = ['all', 'live', 'test'];

/**
 * The type a selection is compared with. A thin notification about a v1 resource is typed
 * `v1.invoice.paid` where the snapshot event is `invoice.paid`; the user selected the latter
 * from the catalog, so the `v1.` prefix is removed for thin events. (Thin events of v1
 * resources: https://docs.stripe.com/event-destinations, private preview in 2025.)
 */
export function effectiveEventType(event: Pick<FilterableEvent, 'type' | 'object'>): string {
	return event.object === 'v2.core.event' && event.type.startsWith('v1.') ? event.type.slice(3) : event.type;
}

/**
 * Builds a predicate for a filter, with the selection in a Set so each check is O(1).
 *
 * @throws Error when `mode` is not `all`, `live` or `test` (a misconfigured parameter).
 */
export function createEventMatcher(filter: EventFilter): (event: FilterableEvent) => boolean {
	if (!MODES.includes(filter.mode)) {
		throw new Error(`Unknown mode ${JSON.stringify(filter.mode)}; use "all", "live" or "test".`);
	}
	const selected = new Set(filter.events);
	const all = selected.has(ALL_EVENTS);
	const mode = filter.mode;
	return (event) => {
		if (mode === 'live' && event.livemode !== true) return false;
		if (mode === 'test' && event.livemode !== false) return false;
		if (all) return true;
		return selected.has(event.type) || selected.has(effectiveEventType(event));
	};
}

/**
 * True when `event` passes `filter`: its type is selected (or `*` is) and its `livemode`
 * fits `mode` (`live` keeps `livemode: true`, `test` keeps `livemode: false`). For many events
 * with one filter, build the predicate once with {@link createEventMatcher}.
 */
export function matchesEvent(event: FilterableEvent, filter: EventFilter): boolean {
	return createEventMatcher(filter)(event);
}

/**
 * The Stripe event types for the triggers' "Events" parameter. The data is generated from the
 * `stripe` package's `Stripe.Event.Type` union (eventTypes.generated.ts); a test fails when the
 * installed types and the list differ. Option values are the event type strings themselves,
 * which is what Stripe's `enabled_events` and saved workflows hold, so they never change.
 */
import type Stripe from 'stripe';

import { STRIPE_EVENT_TYPES } from './eventTypes.generated';

/** The selection meaning every event, as in Stripe's `enabled_events: ['*']`. */
export const ALL_EVENTS = '*';

/** A v1 snapshot event type known to the installed Stripe types. */
export type StripeEventType = Stripe.Event.Type;

/** An editor option, compatible with n8n's `INodePropertyOptions`. */
export interface EventTypeOption {
	name: string;
	value: string;
	description?: string;
}

/** The event types sharing a first segment (`invoice`, `customer`, ...). */
export interface EventTypeGroup {
	/** The first segment of the type, e.g. `payment_intent`. */
	prefix: string;
	/** Display label, e.g. `Payment Intent`. */
	label: string;
	types: StripeEventType[];
}

/** Every known event type, sorted. */
export const STRIPE_EVENT_TYPE_VALUES: readonly StripeEventType[] = STRIPE_EVENT_TYPES.map(([type]) => type);

const KNOWN_TYPES: ReadonlySet<string> = new Set(STRIPE_EVENT_TYPE_VALUES);

// Words that title-casing gets wrong.
const WORD_LABELS: Readonly<Record<string, string>> = {
	id: 'ID',
	invoiceitem: 'Invoice Item',
	topup: 'Top-Up',
	three: '3',
};

function titleCase(segment: string): string {
	return segment
		.split('_')
		.map((word) => WORD_LABELS[word] ?? `${word.charAt(0).toUpperCase()}${word.slice(1)}`)
		.join(' ')
		.replace(/^3 D /, '3D ');
}

/**
 * Display name of an event type: the group label, a colon, and the rest, so that the sorted
 * option list reads as groups: `invoice.payment_failed` -> `Invoice: Payment Failed`,
 * `three_d_secure.authentication.failed` -> `3D Secure: Authentication Failed`.
 */
export function eventTypeLabel(type: string): string {
	const [prefix, ...rest] = type.split('.');
	const head = titleCase(prefix);
	return rest.length === 0 ? head : `${head}: ${rest.map(titleCase).join(' ')}`;
}

/** The event types grouped by first segment, groups and types sorted. */
export const EVENT_TYPE_GROUPS: readonly EventTypeGroup[] = (() => {
	const groups = new Map<string, EventTypeGroup>();
	for (const type of STRIPE_EVENT_TYPE_VALUES) {
		const prefix = type.split('.')[0];
		let group = groups.get(prefix);
		if (group === undefined) {
			group = { prefix, label: titleCase(prefix), types: [] };
			groups.set(prefix, group);
		}
		group.types.push(type);
	}
	return [...groups.values()];
})();

/**
 * The options for the "Events" multi-select: `*` first, then every event type sorted by value,
 * which keeps each group (`customer.*`, `invoice.*`, ...) together. Descriptions are Stripe's.
 */
export const EVENT_TYPE_OPTIONS: EventTypeOption[] = [
	{
		name: 'All Events (*)',
		value: ALL_EVENTS,
		description: 'Every event, including types Stripe adds later',
	},
	...STRIPE_EVENT_TYPES.map(([value, description]) => ({ name: eventTypeLabel(value), value, description })),
];

/** True for a v1 snapshot event type of the installed Stripe types. */
export function isStripeEventType(value: string): value is StripeEventType {
	return KNOWN_TYPES.has(value);
}

/** Messages of {@link normalizeEventSelection}. */
export const EVENT_SELECTION_ERRORS = {
	empty: 'Select at least one event, or "*" for all events.',
	unknown: (types: string[]) =>
		`Unknown Stripe event type${types.length > 1 ? 's' : ''}: ${types.join(', ')}. Choose from the list (names like "invoice.paid"), or "*" for all events.`,
} as const;

/**
 * Cleans a user's event selection for Stripe's `enabled_events` and for `matchesEvent` (filter.ts):
 * trims, drops blanks and repeats, sorts, and collapses to `['*']` when `*` is present.
 *
 * @param options.allowUnknown accept types missing from the installed Stripe types (events
 *   Stripe added later, typed in as an expression). Default false.
 * @throws Error when nothing is selected or (unless allowed) a type is unknown; the message
 *   names the offending values.
 */
export function normalizeEventSelection(
	selection: readonly string[] | string,
	options: { allowUnknown?: boolean } = {},
): string[] {
	const list = (typeof selection === 'string' ? selection.split(',') : [...selection])
		.filter((value): value is string => typeof value === 'string')
		.map((value) => value.trim())
		.filter((value) => value !== '');
	if (list.length === 0) throw new Error(EVENT_SELECTION_ERRORS.empty);
	if (list.includes(ALL_EVENTS)) return [ALL_EVENTS];
	const unique = [...new Set(list)].sort();
	if (!options.allowUnknown) {
		const unknown = unique.filter((value) => !KNOWN_TYPES.has(value));
		if (unknown.length > 0) throw new Error(EVENT_SELECTION_ERRORS.unknown(unknown));
	}
	return unique;
}

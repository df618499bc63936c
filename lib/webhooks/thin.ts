/**
 * Thin event notifications, sent by Stripe event destinations (https://docs.stripe.com/event-destinations,
 * read 2025). A thin notification is signed exactly like a snapshot event, but carries no object
 * snapshot: only the event id, its type, `related_object` (id, type, url) and `context`. The
 * full event is fetched with `GET /v2/core/events/:id`; the current object from
 * `related_object.url`. Thin events are unversioned, so the fetched data is always current.
 *
 * Pure: the HTTP call is the caller's `fetchEvent` callback.
 */

/** The `object` value of thin event notifications and of v2 events. */
export const THIN_EVENT_OBJECT = 'v2.core.event';

/** Reference to the API resource an event is about. */
export interface ThinEventRelatedObject {
	id: string;
	/** Object tag, e.g. `invoice` or `v2.core.account`. */
	type: string;
	/** API path to retrieve the current object, e.g. `/v1/invoices/in_123`. */
	url: string;
}

/** What an event destination POSTs: a thin event notification (`object: 'v2.core.event'`). */
export interface ThinEventNotification {
	id: string;
	object: 'v2.core.event';
	/** E.g. `v1.invoice.paid` (thin events for v1 resources) or `v2.core.account.created`. */
	type: string;
	/** ISO 8601 timestamp (v2 uses strings, v1 uses unix seconds). */
	created: string;
	livemode: boolean;
	/** Account context to fetch the event in (the connected account), if any. */
	context?: string | null;
	related_object?: ThinEventRelatedObject | null;
	reason?: {
		type: string;
		request?: { id: string; idempotency_key?: string | null } | null;
	} | null;
}

/** The full v2 event returned by `GET /v2/core/events/:id`. */
export interface FetchedThinEvent extends ThinEventNotification {
	/** Event-specific data (v2 event types); absent for most thin events of v1 resources. */
	data?: Record<string, unknown> | null;
	/** Before and after values of the changed fields of the related object. */
	changes?: Record<string, unknown> | null;
	/** For thin events with a snapshot counterpart, the id of that v1 snapshot event. */
	snapshot_event?: string | null;
}

/** How to fetch the full event of a thin notification, for the transport to perform. */
export interface ThinEventFetchRequest {
	method: 'GET';
	/** Path on the API host, id percent-encoded (it comes from the request body). */
	path: string;
	/**
	 * `Stripe-Context` when the notification has a `context` (events of connected accounts must
	 * be fetched in that account), and `Stripe-Request-Trigger`, which the official libraries send
	 * so that Stripe can link the fetch to the delivery.
	 */
	headers: Record<string, string>;
}

/** Performs the request and resolves with the parsed JSON response body. */
export type FetchThinEvent = (id: string, request: ThinEventFetchRequest) => Promise<unknown>;

/** Why expanding a thin event failed. */
export type ThinEventErrorReason = 'notThinEvent' | 'invalidResponse' | 'idMismatch';

/** Thrown by {@link expandThinEvent}. */
export class ThinEventError extends Error {
	override readonly name = 'ThinEventError';

	constructor(
		readonly reason: ThinEventErrorReason,
		message: string,
	) {
		super(message);
	}
}

/**
 * True when a verified payload is a thin event notification rather than a snapshot event.
 * Checks `object` and the fields {@link expandThinEvent} relies on.
 */
export function isThinEventNotification(payload: unknown): payload is ThinEventNotification {
	if (typeof payload !== 'object' || payload === null) return false;
	const p = payload as Record<string, unknown>;
	return p.object === THIN_EVENT_OBJECT && typeof p.id === 'string' && p.id !== '' && typeof p.type === 'string';
}

/**
 * Describes the request that fetches the full event of a thin notification:
 * `GET /v2/core/events/:id`, with the notification's `context` as `Stripe-Context`.
 * The transport adds authentication and a `Stripe-Version` that the v2 API accepts.
 */
export function thinEventFetchRequest(notification: ThinEventNotification): ThinEventFetchRequest {
	const headers: Record<string, string> = { 'Stripe-Request-Trigger': `event=${notification.id}` };
	if (typeof notification.context === 'string' && notification.context !== '') {
		headers['Stripe-Context'] = notification.context;
	}
	return {
		method: 'GET',
		path: `/v2/core/events/${encodeURIComponent(notification.id)}`,
		headers,
	};
}

/**
 * Expands a thin event notification into the full v2 event by calling `fetchEvent` once.
 *
 * The response is checked (an object with `object: 'v2.core.event'` and the same id) so that a
 * transport mistake cannot put another event's data under this delivery.
 *
 * @throws ThinEventError `notThinEvent` if `notification` is not a thin notification;
 *   `invalidResponse` / `idMismatch` if the response is not the requested event.
 *   Errors from `fetchEvent` propagate unchanged (a failed fetch should fail the delivery,
 *   so that Stripe retries it).
 */
export async function expandThinEvent(
	notification: ThinEventNotification,
	fetchEvent: FetchThinEvent,
): Promise<FetchedThinEvent> {
	if (!isThinEventNotification(notification)) {
		throw new ThinEventError(
			'notThinEvent',
			'expandThinEvent was given a payload that is not a thin event notification (object "v2.core.event"); snapshot events already carry their data.',
		);
	}
	const response = await fetchEvent(notification.id, thinEventFetchRequest(notification));
	if (typeof response !== 'object' || response === null || Array.isArray(response)) {
		throw new ThinEventError(
			'invalidResponse',
			`Fetching the full event ${notification.id} returned no JSON object; expected a v2 event from GET /v2/core/events/:id.`,
		);
	}
	const event = response as Record<string, unknown>;
	if (event.object !== THIN_EVENT_OBJECT) {
		throw new ThinEventError(
			'invalidResponse',
			`Fetching the full event ${notification.id} returned an object of type ${JSON.stringify(event.object)}; expected "v2.core.event". Check that the request went to /v2/core/events/:id.`,
		);
	}
	if (event.id !== notification.id) {
		throw new ThinEventError(
			'idMismatch',
			`Fetching the full event ${notification.id} returned event ${JSON.stringify(event.id)}; the transport returned the wrong event.`,
		);
	}
	return response as FetchedThinEvent;
}

/**
 * The triggers' output item: the event plus the flat fields the next node needs without
 * digging through `data.object`.
 */
import type Stripe from 'stripe';

import type { FetchedThinEvent, ThinEventNotification } from '../webhooks/thin';

/** An event either trigger can emit: a v1 snapshot event, or a thin (v2) event. */
export type TriggerEvent = Stripe.Event | FetchedThinEvent | ThinEventNotification;

/** One output item. Every key is always present; missing values are `null`. */
export interface EventItem {
	/** The event as received (snapshot) or fetched (thin). */
	event: TriggerEvent;
	/** `invoice.paid`; thin events keep their own type (`v1.invoice.paid`). */
	type: string;
	eventId: string;
	/** `data.object.id`, or `related_object.id` for thin events. */
	objectId: string | null;
	/** `data.object.object` (`invoice`, `checkout.session`...), or `related_object.type`. */
	objectType: string | null;
	/** The customer the object belongs to; see {@link customerIdOf}. */
	customerId: string | null;
	/** Integer amount in the currency's minor unit (cents), as Stripe gives it; see {@link amountOf}. */
	amount: number | null;
	/** Three-letter ISO code, lower case, as Stripe gives it. */
	currency: string | null;
	livemode: boolean;
	/** When the event was created, ISO 8601 (UTC). */
	created: string;
	/** API version the snapshot was rendered with; `null` for thin events (unversioned). */
	apiVersion: string | null;
	/** Id of the API request that caused the event; `null` for automatic events. */
	requestId: string | null;
	/** Idempotency key of that request, if it had one. */
	idempotencyKey: string | null;
	/** The connected account the event comes from (Connect), else `null`. */
	account: string | null;
}

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | null {
	return typeof value === 'string' && value !== '' ? value : null;
}

function num(value: unknown): number | null {
	return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/**
 * Per object type, the amount that answers "how much is this event about". The rule:
 * - `invoice`: `amount_paid` once the invoice is `paid`, otherwise `amount_due` (what is owed;
 *   `invoice.payment_failed`, `invoice.finalized`...).
 * - `invoice_payment`: `amount_paid` once `paid`, otherwise `amount_requested`.
 * - `payment_intent`: `amount_received` once `succeeded`, otherwise `amount` (the amount asked).
 * - `checkout.session`, `quote`: `amount_total` (after discounts and taxes).
 * - `price`: `unit_amount`. `customer_cash_balance_transaction`: `net_amount`.
 * - anything else: `amount` if the object has a numeric one (charge, refund, dispute, payout,
 *   transfer, topup, credit note, invoice item, plan, application fee, issuing and treasury
 *   objects...), else `amount_total`, else `null` (customer, subscription, product...).
 * Amounts are Stripe's integers in minor units, never converted.
 */
const AMOUNT_RULES: Readonly<Record<string, (object: Json) => number | null>> = {
	invoice: (o) => (o.status === 'paid' ? num(o.amount_paid) : num(o.amount_due)),
	invoice_payment: (o) => (o.status === 'paid' ? num(o.amount_paid) : num(o.amount_requested)),
	payment_intent: (o) => (o.status === 'succeeded' ? num(o.amount_received) : num(o.amount)),
	'checkout.session': (o) => num(o.amount_total),
	quote: (o) => num(o.amount_total),
	price: (o) => num(o.unit_amount),
	customer_cash_balance_transaction: (o) => num(o.net_amount),
};

/** The amount of a Stripe object by the rule documented on `AMOUNT_RULES` above. */
export function amountOf(object: unknown): number | null {
	if (!isRecord(object)) return null;
	const rule = typeof object.object === 'string' ? AMOUNT_RULES[object.object] : undefined;
	if (rule) return rule(object);
	return num(object.amount) ?? num(object.amount_total);
}

/**
 * The customer id of a Stripe object: its own id when it is a customer; otherwise its
 * `customer` field, whether a plain id or an expanded (or deleted) customer object.
 */
export function customerIdOf(object: unknown): string | null {
	if (!isRecord(object)) return null;
	if (object.object === 'customer') return str(object.id);
	const customer = object.customer;
	if (typeof customer === 'string') return str(customer);
	if (isRecord(customer)) return str(customer.id);
	return null;
}

function createdMs(created: unknown, eventId: string): number {
	let ms: number | undefined;
	if (typeof created === 'number' && Number.isFinite(created)) ms = created * 1000;
	else if (typeof created === 'string') ms = Date.parse(created);
	if (ms === undefined || Number.isNaN(ms)) {
		throw new TypeError(`Event ${eventId} has no valid "created" timestamp (got ${JSON.stringify(created)}).`);
	}
	return ms;
}

function isoFromCreated(created: unknown, eventId: string): string {
	return new Date(createdMs(created, eventId)).toISOString();
}

/**
 * An event's `created` in unix seconds, for snapshot events (already seconds) and thin events
 * (ISO strings, rounded down), e.g. for the staleness check.
 *
 * @throws TypeError when the event has no usable `created` timestamp.
 */
export function createdSeconds(event: TriggerEvent): number {
	const raw = event as unknown as Json;
	return Math.floor(createdMs(raw.created, String(raw.id)) / 1000);
}

/** Options of {@link flattenEvent}. */
export interface FlattenOptions {
	/**
	 * The object as fetched from the API now ("fetch the current object", or the related object
	 * of a thin event). When given, the object fields are read from it instead of the snapshot.
	 */
	currentObject?: Record<string, unknown> | null;
}

/**
 * Builds the output item of a trigger from a Stripe event.
 *
 * Snapshot events (`object: 'event'`) read `data.object`; thin events (`v2.core.event`) read
 * `related_object`, `reason.request` and `context`, and have no amount, currency or customer
 * unless `currentObject` is passed (or the related object is a customer).
 *
 * @throws TypeError when the event has no usable `created` timestamp.
 */
export function flattenEvent(event: TriggerEvent, options: FlattenOptions = {}): EventItem {
	const raw = event as unknown as Json;
	const eventId = String(raw.id);
	const current = isRecord(options.currentObject) ? options.currentObject : null;

	if (raw.object === 'v2.core.event') {
		const related = isRecord(raw.related_object) ? raw.related_object : null;
		const reason = isRecord(raw.reason) ? raw.reason : null;
		const request = reason && isRecord(reason.request) ? reason.request : null;
		const objectType = str(current?.object) ?? str(related?.type);
		const objectId = str(current?.id) ?? str(related?.id);
		return {
			event,
			type: String(raw.type),
			eventId,
			objectId,
			objectType,
			customerId: current ? customerIdOf(current) : objectType === 'customer' ? objectId : null,
			amount: amountOf(current),
			currency: str(current?.currency),
			livemode: raw.livemode === true,
			created: isoFromCreated(raw.created, eventId),
			apiVersion: null,
			requestId: str(request?.id),
			idempotencyKey: str(request?.idempotency_key),
			account: str(raw.context),
		};
	}

	const data = isRecord(raw.data) ? raw.data : null;
	const object = current ?? (data && isRecord(data.object) ? data.object : null);
	// Before API version 2017-05-25 `request` was the request id itself.
	const request = raw.request;
	const requestId = typeof request === 'string' ? str(request) : isRecord(request) ? str(request.id) : null;
	const idempotencyKey = isRecord(request) ? str(request.idempotency_key) : null;
	return {
		event,
		type: String(raw.type),
		eventId,
		objectId: str(object?.id),
		objectType: str(object?.object),
		customerId: customerIdOf(object),
		amount: amountOf(object),
		currency: str(object?.currency),
		livemode: raw.livemode === true,
		created: isoFromCreated(raw.created, eventId),
		apiVersion: str(raw.api_version),
		requestId,
		idempotencyKey,
		account: str(raw.account),
	};
}

import { isMissing, settle } from '../stripe/errors';

/**
 * Where to re-fetch the object an event is about, for "fetch the current object"
 * (Stripe advises it because events can arrive out of order: https://docs.stripe.com/webhooks#event-ordering, 2026).
 */
const OBJECT_PATHS: Record<string, string> = {
	account: '/v1/accounts',
	charge: '/v1/charges',
	checkout_session: '/v1/checkout/sessions',
	'checkout.session': '/v1/checkout/sessions',
	coupon: '/v1/coupons',
	credit_note: '/v1/credit_notes',
	customer: '/v1/customers',
	dispute: '/v1/disputes',
	invoice: '/v1/invoices',
	invoiceitem: '/v1/invoiceitems',
	payment_intent: '/v1/payment_intents',
	payment_method: '/v1/payment_methods',
	payout: '/v1/payouts',
	price: '/v1/prices',
	product: '/v1/products',
	refund: '/v1/refunds',
	setup_intent: '/v1/setup_intents',
	subscription: '/v1/subscriptions',
	subscription_schedule: '/v1/subscription_schedules',
	'billing.meter': '/v1/billing/meters',
	'test_helpers.test_clock': '/v1/test_helpers/test_clocks',
};

/** The API path of an object, or `undefined` when it cannot be retrieved on its own. */
export function objectPath(objectType: string | undefined, id: string | undefined): string | undefined {
	if (!objectType || !id) return undefined;
	const base = OBJECT_PATHS[objectType];
	return base ? `${base}/${encodeURIComponent(id)}` : undefined;
}

/** The current object of an event, or `null` with `deleted` when Stripe no longer has it. */
export interface CurrentObject {
	currentObject: Record<string, unknown> | null;
	deleted: boolean;
}

/**
 * Re-fetches the object an event is about. A `*.deleted` event's object is gone by definition, so
 * it is not fetched; a 404 (`resource_missing`, e.g. a deleted product or price) and a deleted stub
 * (`{id, object, deleted: true}`, what Stripe returns for a deleted customer) also mean deleted. Both give `currentObject: null`
 * and `deleted: true` instead of an error, because failing the delivery would make Stripe retry it
 * for three days and stop a poll cursor at that event for good. Other errors propagate.
 */
export async function fetchCurrentObject(
	eventType: string,
	path: string,
	headers: Record<string, string>,
	get: (path: string, headers?: Record<string, string>) => Promise<unknown>,
): Promise<CurrentObject> {
	if (/\.deleted$/.test(eventType)) return { currentObject: null, deleted: true };
	const fetched = await settle(get(path, headers));
	if (fetched.ok) {
		const object = fetched.value as Record<string, unknown>;
		// Some objects (customers) are still retrievable after deletion as a stub `{id, object, deleted: true}`.
		if (object && object.deleted === true) return { currentObject: null, deleted: true };
		return { currentObject: object, deleted: false };
	}
	if (isMissing(fetched.error)) return { currentObject: null, deleted: true };
	throw fetched.error;
}

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

import { readFileSync } from 'node:fs';

import type Stripe from 'stripe';

import { amountOf, createdSeconds, customerIdOf, flattenEvent, type EventItem } from '../../../lib/events/flatten';
import type { FetchedThinEvent } from '../../../lib/webhooks/thin';

// Stripe's official example objects (MIT), see /work/shared/stripe/LICENSE-stripe-openapi.
const FIXTURES = (JSON.parse(readFileSync('/work/shared/stripe/fixtures3.json', 'utf8')) as { resources: Record<string, Record<string, unknown>> }).resources;

function fixture(name: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
	return { ...structuredClone(FIXTURES[name]), ...overrides };
}

function eventOf(type: string, object: Record<string, unknown>, overrides: Record<string, unknown> = {}): Stripe.Event {
	return {
		...structuredClone(FIXTURES.event),
		id: 'evt_1TestFlatten',
		type,
		created: 1_760_000_000,
		api_version: '2025-09-30.clover',
		livemode: true,
		request: { id: 'req_123', idempotency_key: 'idem-1' },
		data: { object },
		...overrides,
	} as unknown as Stripe.Event;
}

describe('flattenEvent on snapshot events', () => {
	it('builds the complete item from an invoice.paid event', () => {
		const invoice = fixture('invoice', { status: 'paid', amount_paid: 1000, amount_due: 1000 });
		const event = eventOf('invoice.paid', invoice);
		const expected: EventItem = {
			event,
			type: 'invoice.paid',
			eventId: 'evt_1TestFlatten',
			objectId: invoice.id as string,
			objectType: 'invoice',
			customerId: 'cus_QXg1o8vcGmoR32',
			amount: 1000,
			currency: 'usd',
			livemode: true,
			created: '2025-10-09T08:53:20.000Z',
			apiVersion: '2025-09-30.clover',
			requestId: 'req_123',
			idempotencyKey: 'idem-1',
			account: null,
		};
		expect(flattenEvent(event)).toEqual(expected);
	});

	it('uses nulls, never undefined, for what an event lacks', () => {
		const item = flattenEvent(eventOf('balance.available', fixture('balance'), { request: { id: null, idempotency_key: null }, api_version: null }));
		expect(item).toMatchObject({ objectId: null, objectType: 'balance', customerId: null, amount: null, currency: null, requestId: null, idempotencyKey: null, apiVersion: null });
		expect(Object.values(item).includes(undefined)).toBe(false);
	});

	it('reads the pre-2017 request id string and the Connect account', () => {
		const item = flattenEvent(eventOf('charge.succeeded', fixture('charge'), { request: 'req_old', account: 'acct_1' }));
		expect(item).toMatchObject({ requestId: 'req_old', idempotencyKey: null, account: 'acct_1' });
	});

	it('reports livemode false as false', () => {
		expect(flattenEvent(eventOf('charge.succeeded', fixture('charge'), { livemode: false })).livemode).toBe(false);
	});

	it('reads the fields from the current object when one is passed', () => {
		const snapshot = fixture('invoice', { status: 'open', amount_due: 1000 });
		const current = fixture('invoice', { status: 'paid', amount_paid: 1500, customer: 'cus_now' });
		const item = flattenEvent(eventOf('invoice.updated', snapshot), { currentObject: current });
		expect(item).toMatchObject({ amount: 1500, customerId: 'cus_now' });
	});

	it('throws a clear error for an event without a usable created', () => {
		expect(() => flattenEvent(eventOf('charge.succeeded', fixture('charge'), { created: 'yesterday' }))).toThrow(
			'Event evt_1TestFlatten has no valid "created" timestamp (got "yesterday").',
		);
	});
});

describe('amountOf: the documented rule per object type', () => {
	it.each([
		['a draft invoice: amount_due', fixture('invoice', { status: 'draft', amount_due: 1000, amount_paid: 0 }), 1000],
		['an open invoice after a failed payment: amount_due', fixture('invoice', { status: 'open', amount_due: 2500, amount_paid: 0 }), 2500],
		['a paid invoice: amount_paid', fixture('invoice', { status: 'paid', amount_due: 2500, amount_paid: 2500 }), 2500],
		['a paid invoice with a credit: amount_paid', fixture('invoice', { status: 'paid', amount_due: 0, amount_paid: 700 }), 700],
		['an open invoice payment: amount_requested', fixture('invoice_payment', { status: 'open', amount_requested: 900, amount_paid: null }), 900],
		['a paid invoice payment: amount_paid', fixture('invoice_payment', { status: 'paid', amount_requested: 900, amount_paid: 900 }), 900],
		['a pending payment intent: amount', fixture('payment_intent', { status: 'requires_payment_method', amount: 1099, amount_received: 0 }), 1099],
		['a succeeded payment intent: amount_received', fixture('payment_intent', { status: 'succeeded', amount: 1099, amount_received: 1000 }), 1000],
		['a checkout session: amount_total', fixture('checkout.session', { amount_total: 4200, amount_subtotal: 4000 }), 4200],
		['a checkout session without total', fixture('checkout.session'), null],
		['a quote: amount_total', fixture('quote', { amount_total: 300 }), 300],
		['a price: unit_amount', fixture('price', { unit_amount: 1500 }), 1500],
		['a tiered price: null', fixture('price', { unit_amount: null }), null],
		['a cash balance transaction: net_amount', fixture('customer_cash_balance_transaction'), 5000],
		['a charge: amount', fixture('charge'), 100],
		['a refund: amount', fixture('refund'), 100],
		['a dispute: amount', fixture('dispute'), 1000],
		['a payout: amount', fixture('payout'), 1100],
		['a credit note: amount', fixture('credit_note'), 1690],
		['a plan: amount', fixture('plan'), FIXTURES.plan.amount as number],
		['a customer: none', fixture('customer'), null],
		['a subscription: none', fixture('subscription'), null],
		['an unknown object with amount_total', { object: 'future_thing', amount_total: 12 }, 12],
		['a string amount', { object: 'charge', amount: '100' }, null],
		['not an object', 'ch_123', null],
	])('%s', (_label, object, expected) => {
		expect(amountOf(object)).toBe(expected);
	});
});

describe('customerIdOf', () => {
	it.each([
		['a customer: its own id', fixture('customer'), 'cus_QXg1o8vcGmoR32'],
		['a deleted customer object', fixture('deleted_customer'), FIXTURES.deleted_customer.id as string],
		['an invoice with a customer id', fixture('invoice'), 'cus_QXg1o8vcGmoR32'],
		['an expanded customer', fixture('invoice', { customer: fixture('customer', { id: 'cus_expanded' }) }), 'cus_expanded'],
		['a deleted expanded customer', fixture('subscription', { customer: { id: 'cus_gone', object: 'customer', deleted: true } }), 'cus_gone'],
		['no customer', fixture('payment_intent', { customer: null }), null],
		['an object without customer field', fixture('dispute'), null],
	])('%s', (_label, object, expected) => {
		expect(customerIdOf(object)).toBe(expected);
	});
});

describe('flattenEvent on thin events', () => {
	const thin: FetchedThinEvent = {
		id: 'evt_test_65R',
		object: 'v2.core.event',
		type: 'v1.invoice.paid',
		created: '2025-10-01T12:00:00.134Z',
		livemode: false,
		context: 'acct_9',
		related_object: { id: 'in_1', type: 'invoice', url: '/v1/invoices/in_1' },
		reason: { type: 'request', request: { id: 'req_v2', idempotency_key: 'k2' } },
		snapshot_event: 'evt_1Snapshot',
	};

	it('takes object, request and account from the v2 fields', () => {
		expect(flattenEvent(thin)).toEqual({
			event: thin,
			type: 'v1.invoice.paid',
			eventId: 'evt_test_65R',
			objectId: 'in_1',
			objectType: 'invoice',
			customerId: null,
			amount: null,
			currency: null,
			livemode: false,
			created: '2025-10-01T12:00:00.134Z',
			apiVersion: null,
			requestId: 'req_v2',
			idempotencyKey: 'k2',
			account: 'acct_9',
		});
	});

	it('fills amount, currency and customer from the fetched related object', () => {
		const invoice = fixture('invoice', { id: 'in_1', status: 'paid', amount_paid: 1000 });
		expect(flattenEvent(thin, { currentObject: invoice })).toMatchObject({ objectId: 'in_1', amount: 1000, currency: 'usd', customerId: 'cus_QXg1o8vcGmoR32' });
	});

	it('uses the related object id as customer id for customer events', () => {
		const item = flattenEvent({ ...thin, type: 'v1.customer.updated', related_object: { id: 'cus_7', type: 'customer', url: '/v1/customers/cus_7' } });
		expect(item.customerId).toBe('cus_7');
	});

	it('handles a thin event without related object or reason', () => {
		const item = flattenEvent({ ...thin, related_object: null, reason: null, context: null });
		expect(item).toMatchObject({ objectId: null, objectType: null, requestId: null, account: null });
	});
});

describe('createdSeconds', () => {
	it('returns snapshot seconds as they are and floors thin ISO timestamps', () => {
		expect(createdSeconds(eventOf('charge.succeeded', fixture('charge')))).toBe(1_760_000_000);
		const thin = { id: 'evt_t', object: 'v2.core.event', type: 'v1.charge.succeeded', created: '2025-10-09T08:53:20.999Z', livemode: false } as const;
		expect(createdSeconds(thin)).toBe(1_760_000_000);
	});

	it('throws for an unusable created', () => {
		expect(() => createdSeconds({ id: 'evt_t', object: 'v2.core.event', type: 'x', created: 'soon', livemode: false })).toThrow(/evt_t/);
	});
});

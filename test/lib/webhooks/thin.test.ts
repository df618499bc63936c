import Stripe from 'stripe';

import { verifyStripeSignature } from '../../../lib/webhooks/signature';
import {
	ThinEventError,
	expandThinEvent,
	isThinEventNotification,
	thinEventFetchRequest,
	type FetchThinEvent,
	type ThinEventFetchRequest,
	type ThinEventNotification,
} from '../../../lib/webhooks/thin';

const stripe = new Stripe('sk_test_thin_tests');
const SECRET = 'whsec_test_thin_Hq2Lm9Xc4Vb7Nz1';
const NOW = 1_760_000_000;

// Shape from https://docs.stripe.com/api/v2/core/events/object (thin notification = event without data).
const NOTIFICATION: ThinEventNotification = {
	id: 'evt_test_65RCjj4EqW1sabcjs2Z16RCMoNQdSQkOWvfL6L5uU2K40u',
	object: 'v2.core.event',
	type: 'v1.billing.meter.error_report_triggered',
	created: '2024-09-26T17:46:22.134Z',
	livemode: false,
	context: null,
	related_object: {
		id: 'mtr_test_61RCjiqdTDC91zgip41IqPCzPnxqqSVc',
		type: 'billing.meter',
		url: '/v1/billing/meters/mtr_test_61RCjiqdTDC91zgip41IqPCzPnxqqSVc',
	},
};

const FULL_EVENT = {
	...NOTIFICATION,
	data: { developer_message_summary: 'There is 1 invalid event' },
	reason: null,
};

function recordingFetch(response: unknown): { fetch: FetchThinEvent; calls: Array<[string, ThinEventFetchRequest]> } {
	const calls: Array<[string, ThinEventFetchRequest]> = [];
	return {
		calls,
		fetch: async (id, request) => {
			calls.push([id, request]);
			return response;
		},
	};
}

describe('isThinEventNotification', () => {
	it.each([
		['a thin notification', NOTIFICATION, true],
		['a snapshot event', { id: 'evt_1', object: 'event', type: 'invoice.paid' }, false],
		['a thin object without id', { object: 'v2.core.event', type: 'x' }, false],
		['a thin object with an empty id', { id: '', object: 'v2.core.event', type: 'x' }, false],
		['a thin object without type', { id: 'evt_1', object: 'v2.core.event' }, false],
		['null', null, false],
		['a string', 'v2.core.event', false],
	])('%s -> %p', (_label, payload, expected) => {
		expect(isThinEventNotification(payload)).toBe(expected);
	});

	it('recognises a verified thin delivery', () => {
		const body = JSON.stringify(NOTIFICATION);
		const header = stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRET, timestamp: NOW });
		const payload = verifyStripeSignature({ rawBody: body, header, secrets: SECRET, now: NOW });
		expect(isThinEventNotification(payload)).toBe(true);
	});
});

describe('thinEventFetchRequest', () => {
	it('describes GET /v2/core/events/:id with the request trigger header', () => {
		expect(thinEventFetchRequest(NOTIFICATION)).toEqual({
			method: 'GET',
			path: `/v2/core/events/${NOTIFICATION.id}`,
			headers: { 'Stripe-Request-Trigger': `event=${NOTIFICATION.id}` },
		});
	});

	it('sends the context of a connected account as Stripe-Context', () => {
		const request = thinEventFetchRequest({ ...NOTIFICATION, context: 'acct_123' });
		expect(request.headers['Stripe-Context']).toBe('acct_123');
	});

	it('percent-encodes the id, which comes from the request body', () => {
		const request = thinEventFetchRequest({ ...NOTIFICATION, id: 'evt_1/../../v1/customers?x=1' });
		expect(request.path).toBe('/v2/core/events/evt_1%2F..%2F..%2Fv1%2Fcustomers%3Fx%3D1');
	});
});

describe('expandThinEvent', () => {
	it('fetches the full event once and returns it', async () => {
		const { fetch, calls } = recordingFetch(FULL_EVENT);
		await expect(expandThinEvent(NOTIFICATION, fetch)).resolves.toEqual(FULL_EVENT);
		expect(calls).toEqual([[NOTIFICATION.id, thinEventFetchRequest(NOTIFICATION)]]);
	});

	it('refuses a snapshot event', async () => {
		const { fetch, calls } = recordingFetch(FULL_EVENT);
		const snapshot = { id: 'evt_1', object: 'event', type: 'invoice.paid' } as unknown as ThinEventNotification;
		await expect(expandThinEvent(snapshot, fetch)).rejects.toMatchObject({ reason: 'notThinEvent' });
		expect(calls).toHaveLength(0);
	});

	it.each([
		['no object', null, 'invalidResponse'],
		['an array', [FULL_EVENT], 'invalidResponse'],
		['a v1 event', { ...FULL_EVENT, object: 'event' }, 'invalidResponse'],
		['another event', { ...FULL_EVENT, id: 'evt_other' }, 'idMismatch'],
	])('rejects a response that is %s', async (_label, response, reason) => {
		const { fetch } = recordingFetch(response);
		const error = await expandThinEvent(NOTIFICATION, fetch).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(ThinEventError);
		expect(error).toMatchObject({ reason });
	});

	it('lets a failed fetch propagate so the delivery fails and Stripe retries', async () => {
		const failure = new Error('503 from Stripe');
		await expect(
			expandThinEvent(NOTIFICATION, async () => {
				throw failure;
			}),
		).rejects.toBe(failure);
	});
});

import Stripe from 'stripe';

import {
	StripeAPIError,
	StripeAuthenticationError,
	StripeCardError,
	StripeClient,
	StripeConnectionError,
	StripeIdempotencyError,
	StripeInvalidRequestError,
	StripePermissionError,
	StripeRateLimitError,
	encodeForm,
	fetchTransport,
	toStripeError,
	type FormParams,
} from '../../../lib/stripe';
import { startRecordingServer, type RecordingServer } from '../../helpers/recordingServer';

const KEY = 'sk_test_transport_0000000000';
const sleeps: number[] = [];
const sleep = async (ms: number) => {
	sleeps.push(ms);
};

function client(server: RecordingServer, extra: Partial<ConstructorParameters<typeof StripeClient>[0]> = {}) {
	return new StripeClient({
		request: fetchTransport(KEY),
		baseUrl: server.url,
		apiVersion: '2026-10-28.endive',
		sleep,
		random: () => 0.5,
		...extra,
	});
}

const cardDeclined = {
	error: {
		type: 'card_error',
		code: 'card_declined',
		decline_code: 'insufficient_funds',
		advice_code: 'try_again_later',
		message: 'Your card has insufficient funds.',
		charge: 'ch_1',
	},
};

let server: RecordingServer | undefined;
afterEach(async () => {
	await server?.close();
	server = undefined;
	sleeps.length = 0;
});

describe('retries', () => {
	test('a 429 then a 200 succeeds, with the same idempotency key on both tries', async () => {
		server = await startRecordingServer((_req, i) =>
			i === 0
				? { status: 429, body: { error: { type: 'invalid_request_error', code: 'rate_limit', message: 'Too many requests' } } }
				: { status: 200, body: { id: 'cus_1', object: 'customer' } },
		);
		const result = await client(server).post<{ id: string }>('/v1/customers', { email: 'a@example.com' });
		expect(result.id).toBe('cus_1');
		expect(server.requests).toHaveLength(2);
		const [first, second] = server.requests.map((r) => r.headers['idempotency-key']);
		expect(first).toMatch(/^revops-/);
		expect(second).toBe(first);
		expect(sleeps).toHaveLength(1);
	});

	test('a caller-given idempotency key is sent as is', async () => {
		server = await startRecordingServer(() => ({ status: 200, body: { id: 'in_1' } }));
		await client(server).post('/v1/invoices/in_1/pay', {}, { idempotencyKey: 'retry-in_1-attempt-2' });
		expect(server.requests[0].headers['idempotency-key']).toBe('retry-in_1-attempt-2');
	});

	test('Stripe-Should-Retry: false stops retrying even on a 500', async () => {
		server = await startRecordingServer(() => ({
			status: 500,
			headers: { 'Stripe-Should-Retry': 'false' },
			body: { error: { type: 'api_error', message: 'boom' } },
		}));
		await expect(client(server).post('/v1/customers', {})).rejects.toBeInstanceOf(StripeAPIError);
		expect(server.requests).toHaveLength(1);
	});

	test('Stripe-Should-Retry: true retries a 400', async () => {
		server = await startRecordingServer((_r, i) =>
			i === 0 ? { status: 400, headers: { 'Stripe-Should-Retry': 'true' }, body: { error: { type: 'invalid_request_error' } } } : { status: 200, body: { ok: true } },
		);
		await expect(client(server).get('/v1/balance')).resolves.toEqual({ ok: true });
		expect(server.requests).toHaveLength(2);
	});

	test('409 lock_timeout is retried; 400 is not', async () => {
		server = await startRecordingServer((r, i) => {
			if (r.url.startsWith('/v1/a')) return i === 0 ? { status: 409, body: { error: { type: 'invalid_request_error', code: 'lock_timeout' } } } : { status: 200, body: {} };
			return { status: 400, body: { error: { type: 'invalid_request_error', param: 'email', message: 'Invalid email address' } } };
		});
		await client(server).post('/v1/a', {});
		const err = await client(server).post('/v1/b', {}).catch((e: unknown) => e);
		expect(err).toBeInstanceOf(StripeInvalidRequestError);
		expect((err as StripeInvalidRequestError).param).toBe('email');
		expect(server.requests.map((r) => r.url)).toEqual(['/v1/a', '/v1/a', '/v1/b']);
	});

	test('dropped connections are retried, then surface as a connection error', async () => {
		server = await startRecordingServer(() => ({ status: 0, drop: true }));
		const err = await client(server, { retry: { maxRetries: 2 } }).get('/v1/balance').catch((e: unknown) => e);
		expect(err).toBeInstanceOf(StripeConnectionError);
		expect((err as Error).message).toContain('after 3 attempt(s)');
		expect(server.requests).toHaveLength(3);
	});

	test('backoff is exponential, capped and jittered; retries stop at the total time budget', async () => {
		server = await startRecordingServer(() => ({ status: 503, body: { error: { type: 'api_error' } } }));
		let now = 0;
		const timed = client(server, {
			retry: { maxRetries: 10, initialDelayMs: 500, maxDelayMs: 4000, maxTotalMs: 10000 },
			nowMs: () => now,
			sleep: async (ms) => {
				sleeps.push(ms);
				now += ms;
			},
		});
		await expect(timed.get('/v1/balance')).rejects.toBeInstanceOf(StripeAPIError);
		// random() = 0.5 gives 3/4 of the exponential step: 500 (floor), 750, 1500, 3000, 3000 (capped at 4000 * 0.75)
		expect(sleeps).toEqual([500, 750, 1500, 3000, 3000]);
		expect(sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(10000);
	});
});

describe('errors', () => {
	test('a card error surfaces decline_code, advice_code and the request id', async () => {
		server = await startRecordingServer(() => ({ status: 402, body: cardDeclined }));
		const err = (await client(server).post('/v1/invoices/in_1/pay', {}).catch((e: unknown) => e)) as StripeCardError;
		expect(err).toBeInstanceOf(StripeCardError);
		expect(err.declineCode).toBe('insufficient_funds');
		expect(err.adviceCode).toBe('try_again_later');
		expect(err.code).toBe('card_declined');
		expect(err.requestId).toBe('req_test_1');
		expect(err.message).toBe('Your card has insufficient funds.');
		expect(server.requests).toHaveLength(1);
	});

	test.each<[number, string | undefined, new (...args: never[]) => Error]>([
		[400, 'invalid_request_error', StripeInvalidRequestError],
		[404, 'invalid_request_error', StripeInvalidRequestError],
		[400, 'idempotency_error', StripeIdempotencyError],
		[401, 'invalid_request_error', StripeAuthenticationError],
		[403, 'invalid_request_error', StripePermissionError],
		[402, 'card_error', StripeCardError],
		[429, 'invalid_request_error', StripeRateLimitError],
		[500, 'api_error', StripeAPIError],
		[502, undefined, StripeAPIError],
	])('HTTP %i with type %s maps to %p', (status, type, cls) => {
		const err = toStripeError(status, { error: { type, message: 'x' } }, { 'request-id': 'req_1' });
		expect(err).toBeInstanceOf(cls);
		expect(err.requestId).toBe('req_1');
		expect(err.statusCode).toBe(status);
	});

	test('a non-JSON error body still gives a useful message', async () => {
		server = await startRecordingServer(() => ({ status: 404, body: '<html>Not Found</html>' }));
		const err = (await client(server).get('/v1/nothing').catch((e: unknown) => e)) as Error;
		expect(err).toBeInstanceOf(StripeInvalidRequestError);
		expect(err.message).toContain('HTTP 404');
	});
});

describe('headers', () => {
	test('Stripe-Version, Stripe-Account and Bearer auth are sent; GET has no idempotency key', async () => {
		server = await startRecordingServer(() => ({ status: 200, body: {} }));
		await client(server, { stripeAccount: 'acct_123' }).get('/v1/balance');
		const h = server.requests[0].headers;
		expect(h['stripe-version']).toBe('2026-10-28.endive');
		expect(h['stripe-account']).toBe('acct_123');
		expect(h.authorization).toBe(`Bearer ${KEY}`);
		expect(h['idempotency-key']).toBeUndefined();
	});
});

describe('pagination', () => {
	test('1,000 objects are each yielded exactly once, with limit=100 and starting_after', async () => {
		const all = Array.from({ length: 1000 }, (_, i) => ({ id: `txn_${String(1000 - i).padStart(4, '0')}`, created: 2000 - i }));
		server = await startRecordingServer((r) => {
			const url = new URL(r.url, 'http://x');
			const limit = Number(url.searchParams.get('limit'));
			const after = url.searchParams.get('starting_after');
			const gte = Number(url.searchParams.get('created[gte]') ?? 0);
			const pool = all.filter((o) => o.created >= gte);
			const start = after ? pool.findIndex((o) => o.id === after) + 1 : 0;
			const data = pool.slice(start, start + limit);
			return { status: 200, body: { object: 'list', url: '/v1/balance_transactions', has_more: start + limit < pool.length, data } };
		});
		const seen: string[] = [];
		for await (const txn of client(server).list<{ id: string }>('/v1/balance_transactions', { created: { gte: 1001 } })) seen.push(txn.id);
		expect(seen).toHaveLength(1000);
		expect(new Set(seen).size).toBe(1000);
		expect(server.requests).toHaveLength(10);
		expect(server.requests.every((r) => r.url.includes('limit=100'))).toBe(true);
		expect(server.requests[0].url).toContain('created[gte]=1001');
		expect(server.requests[1].url).toContain(`starting_after=${seen[99]}`);
	});
});

describe('form encoding matches the official stripe client', () => {
	const cases: Array<[string, FormParams]> = [
		['nested objects, metadata and arrays', {
			email: 'jenny+test@example.com',
			name: "Jenny O'Rosen (VIP)!",
			metadata: { plan: 'pro', seats: 5, empty: '' },
			address: { line1: '1 Main St', city: 'San Francisco', country: 'US' },
			preferred_locales: ['fr-FR', 'en'],
			invoice_settings: { custom_fields: [{ name: 'PO', value: '#42 & more' }] },
			expand: ['invoice_settings.default_payment_method', 'default_source'],
			tax_exempt: 'none',
		}],
		['booleans, numbers, unicode, null unsets', {
			amount: 2000,
			currency: 'eur',
			confirm: true,
			off_session: false,
			description: 'Café ☕ 100% = ok?',
			metadata: { order: null },
		}],
	];

	test.each(cases)('%s', async (_name, params) => {
		server = await startRecordingServer(() => ({ status: 200, body: { id: 'x', object: 'customer' } }));
		const official = new Stripe(KEY, { host: '127.0.0.1', port: Number(new URL(server.url).port), protocol: 'http', maxNetworkRetries: 0 });
		await official.customers.create(params as Stripe.CustomerCreateParams);
		await client(server).post('/v1/customers', params);
		expect(server.requests).toHaveLength(2);
		expect(server.requests[1].body).toBe(server.requests[0].body);
		expect(encodeForm(params)).toBe(server.requests[0].body);
		expect(server.requests[0].headers['content-type']).toBe(server.requests[1].headers['content-type']);
	});
});

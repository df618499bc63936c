/**
 * Issue 7: which failures are retried (only the network's and Stripe's), a request timeout,
 * Retry-After, and no secret in anything an error makes reachable.
 */
import { NodeApiError, NodeOperationError, type INode } from 'n8n-workflow';

import {
	KEY_ERRORS,
	StripeClient,
	StripeConnectionError,
	StripeError,
	StripeRateLimitError,
	fetchTransport,
	isNetworkError,
	redactSecrets,
	type HttpRequest,
	type HttpResponse,
	type RequestFn,
} from '../../../lib/stripe';
import { toNodeError } from '../../../nodes/shared/stripeApi';
import { startRecordingServer, type RecordingServer } from '../../helpers/recordingServer';
import { reachableStrings } from '../../helpers/reachableStrings';

const KEY = 'sk_live_51SecretKeyThatMustNotLeak0000';
const NODE: INode = { id: '1', name: 'Stripe', type: 'x.stripe', typeVersion: 1, position: [0, 0], parameters: {} };

function clientWith(request: RequestFn, extra: Partial<ConstructorParameters<typeof StripeClient>[0]> = {}) {
	const sleeps: number[] = [];
	const client = new StripeClient({
		request,
		baseUrl: 'https://api.stripe.com',
		sleep: async (ms) => {
			sleeps.push(ms);
		},
		random: () => 0.5,
		...extra,
	});
	return { client, sleeps };
}


function causeChain(error: unknown): unknown[] {
	const chain: unknown[] = [];
	for (let e = error; e && typeof e === 'object' && chain.length < 10; e = (e as { cause?: unknown }).cause) chain.push(e);
	return chain;
}

/** An error shaped like the one axios (and so n8n's HTTP helper) throws: config with the key, request, no response. */
function axiosLikeError(code: string, message: string) {
	const config = {
		url: 'https://api.stripe.com/v1/customers',
		method: 'post',
		headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/x-www-form-urlencoded' },
		data: 'email=a%40example.com',
		auth: { username: KEY },
	};
	const error = Object.assign(new Error(message), {
		name: 'AxiosError',
		code,
		isAxiosError: true,
		config,
		request: { _header: `POST /v1/customers HTTP/1.1\r\nAuthorization: Bearer ${KEY}\r\n`, _options: { headers: config.headers } },
		toJSON: () => ({ message, code, config }),
	});
	return error;
}

describe('item 14: only network and HTTP failures are retried', () => {
	test('a credential that refuses to build the request fails at once with its own message', async () => {
		let calls = 0;
		const { client, sleeps } = clientWith(async () => {
			calls++;
			throw new Error(KEY_ERRORS.publishable);
		});
		const error = (await client.get('/v1/balance').catch((e: unknown) => e)) as Error;
		expect(calls).toBe(1);
		expect(sleeps).toEqual([]);
		expect(error).not.toBeInstanceOf(StripeConnectionError);
		expect(error.message).toBe(KEY_ERRORS.publishable);
		const nodeError = toNodeError(NODE, error);
		expect(nodeError).toBeInstanceOf(NodeOperationError);
		expect(nodeError.message).toBe(KEY_ERRORS.publishable);
	});

	test.each([
		['a TypeError in the transport', new TypeError("Cannot read properties of undefined (reading 'status')")],
		['an aborted execution', Object.assign(new Error('canceled'), { name: 'CanceledError', code: 'ERR_CANCELED', isAxiosError: true })],
		['an invalid URL', Object.assign(new TypeError('Invalid URL'), { code: 'ERR_INVALID_URL' })],
	])('%s is not retried', async (_name, thrown) => {
		let calls = 0;
		const { client } = clientWith(async () => {
			calls++;
			throw thrown;
		});
		const error = (await client.post('/v1/customers', {}).catch((e: unknown) => e)) as Error;
		expect(calls).toBe(1);
		expect(error).not.toBeInstanceOf(StripeConnectionError);
		expect(error.message).toContain(thrown.message);
	});

	test.each([
		['ECONNREFUSED', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' })],
		['ECONNRESET', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
		['ENOTFOUND', Object.assign(new Error('getaddrinfo ENOTFOUND api.stripe.com'), { code: 'ENOTFOUND' })],
		['EAI_AGAIN', Object.assign(new Error('getaddrinfo EAI_AGAIN'), { code: 'EAI_AGAIN' })],
		['ETIMEDOUT', Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })],
		['ECONNABORTED (axios timeout)', axiosLikeError('ECONNABORTED', 'timeout of 30000ms exceeded')],
		['undici socket (fetch)', new TypeError('fetch failed', { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) })],
		['axios without response or code', Object.assign(new Error('Network Error'), { isAxiosError: true, code: 'ERR_NETWORK' })],
		['fetch timeout signal', Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' })],
	])('a network failure (%s) is retried, then is a connection error', async (_name, thrown) => {
		let calls = 0;
		const { client, sleeps } = clientWith(async () => {
			calls++;
			throw thrown;
		}, { retry: { maxRetries: 2 } });
		const error = (await client.get('/v1/balance').catch((e: unknown) => e)) as Error;
		expect(isNetworkError(thrown)).toBe(true);
		expect(calls).toBe(3);
		expect(sleeps).toHaveLength(2);
		expect(error).toBeInstanceOf(StripeConnectionError);
		expect(error.message).toContain('after 3 attempt(s)');
	});
});

describe('item 15: request timeout and Retry-After', () => {
	let server: RecordingServer | undefined;
	afterEach(async () => {
		await server?.close();
		server = undefined;
	});

	test('a default timeout and a per-call timeout reach the request function', async () => {
		const seen: HttpRequest[] = [];
		const { client } = clientWith(async (request) => {
			seen.push(request);
			return { status: 200, headers: {}, body: '{}' };
		}, { timeoutMs: 12000 });
		await client.get('/v1/balance');
		await client.post('/v1/customers', {}, { timeoutMs: 2500 });
		expect(seen.map((r) => r.timeoutMs)).toEqual([12000, 2500]);
		const { client: defaults } = clientWith(async (request) => {
			seen.push(request);
			return { status: 200, headers: {}, body: '{}' };
		});
		await defaults.get('/v1/balance');
		expect(seen[2].timeoutMs).toBe(30000);
	});

	test('fetchTransport aborts a slow answer at the timeout; the client retries it as a connection failure', async () => {
		server = await startRecordingServer(async (_r, i) => {
			if (i === 0) await new Promise((resolve) => setTimeout(resolve, 1500));
			return { status: 200, body: { ok: true } };
		});
		const { client } = clientWith(fetchTransport('sk_test_x_0000'), { baseUrl: server.url, timeoutMs: 200 });
		const started = Date.now();
		await expect(client.get('/v1/balance')).resolves.toEqual({ ok: true });
		expect(Date.now() - started).toBeLessThan(1400);
		expect(server.requests).toHaveLength(2);
	});

	test('Retry-After is honoured above the backoff cap when it fits in the total budget', async () => {
		let calls = 0;
		const { client, sleeps } = clientWith(async (): Promise<HttpResponse> =>
			++calls === 1
				? { status: 429, headers: { 'retry-after': '12' }, body: '{"error":{"type":"invalid_request_error","code":"rate_limit"}}' }
				: { status: 200, headers: {}, body: '{}' },
		);
		await client.get('/v1/balance');
		expect(sleeps).toEqual([12000]);
	});

	test('a Retry-After beyond the total budget is not waited for: the 429 surfaces at once', async () => {
		let calls = 0;
		const { client, sleeps } = clientWith(async () => {
			calls++;
			return { status: 429, headers: { 'retry-after': '120' }, body: '{"error":{"type":"invalid_request_error","code":"rate_limit"}}' };
		});
		await expect(client.get('/v1/balance')).rejects.toBeInstanceOf(StripeRateLimitError);
		expect(calls).toBe(1);
		expect(sleeps).toEqual([]);
	});
});

describe('item 7: no secret reaches an error', () => {
	test.each([
		['a network error', () => axiosLikeError('ECONNRESET', 'socket hang up')],
		['a non-network error', () => axiosLikeError('ERR_BAD_OPTION', `Bad option, key ${KEY}`)],
		['an error whose message holds the key', () => Object.assign(new Error(`connect ECONNREFUSED while sending Bearer ${KEY}`), { code: 'ECONNREFUSED', headers: { Authorization: `Bearer ${KEY}` } })],
	])('%s: the thrown error, its causes and the node error hold no key', async (_name, make) => {
		const { client } = clientWith(async () => {
			throw make();
		}, { retry: { maxRetries: 1 } });
		const error = await client.post('/v1/customers', { email: 'a@example.com' }).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(StripeError);
		const nodeError = toNodeError(NODE, error);
		for (const value of [error, ...causeChain(error), nodeError, ...causeChain(nodeError)]) {
			expect(JSON.stringify(value)).not.toContain('sk_live');
			for (const text of reachableStrings(value)) expect(text).not.toContain(KEY);
		}
		expect(String((error as Error).message)).not.toContain('sk_live');
	});

	test('the safe parts stay: code and a redacted message', async () => {
		const { client } = clientWith(async () => {
			throw axiosLikeError('ECONNRESET', 'socket hang up');
		}, { retry: { maxRetries: 0 } });
		const error = (await client.get('/v1/balance').catch((e: unknown) => e)) as StripeConnectionError;
		expect(error.message).toContain('ECONNRESET socket hang up');
		expect((error.cause as { code?: string }).code).toBe('ECONNRESET');
		expect(toNodeError(NODE, error)).toBeInstanceOf(NodeApiError);
	});

	test.each<[string, string]>([
		[`Bearer ${KEY}`, 'Bearer [redacted]'],
		['key sk_test_abc123 and rk_live_Zz9 and whsec_abc', 'key [redacted] and [redacted] and [redacted]'],
		['authorization: Basic c2tfbGl2ZTo=', 'authorization: Basic [redacted]'],
		['nothing secret here', 'nothing secret here'],
	])('redactSecrets(%j)', (input, expected) => {
		expect(redactSecrets(input)).toBe(expected);
	});
});

import {
	MAX_IDEMPOTENCY_KEY_LENGTH,
	StripeClient,
	StripeLocalError,
	encodePath,
	endpointKey,
	fetchTransport,
	idempotencyKey,
	pathSegment,
} from '../../../lib/stripe';
import { startRecordingServer, type RecordingServer } from '../../helpers/recordingServer';

describe('encodePath', () => {
	test.each<[string, string]>([
		['cus_123', '/v1/customers/cus_123'],
		['cus_1/../../v1/balance', '/v1/customers/cus_1%2F..%2F..%2Fv1%2Fbalance'],
		['a?b=c#d', '/v1/customers/a%3Fb%3Dc%23d'],
		['with space', '/v1/customers/with%20space'],
		['ünï', '/v1/customers/%C3%BCn%C3%AF'],
	])('%j', (id, expected) => {
		expect(encodePath`/v1/customers/${id}`).toBe(expected);
	});

	test('several ids and numbers', () => {
		expect(encodePath`/v1/customers/${'cus_1'}/balance_transactions/${'cbtxn/2'}`).toBe('/v1/customers/cus_1/balance_transactions/cbtxn%2F2');
		expect(encodePath`/v1/x/${42}`).toBe('/v1/x/42');
	});

	test.each(['', '.', '..'])('%j is refused (it would address another resource)', (id) => {
		expect(() => encodePath`/v1/customers/${id}`).toThrow(StripeLocalError);
		expect(() => pathSegment(id)).toThrow(/must not be/);
	});

	test('an encoded id reaches the server as one segment', async () => {
		const server: RecordingServer = await startRecordingServer(() => ({ status: 200, body: {} }));
		try {
			const client = new StripeClient({ request: fetchTransport('sk_test_x'), baseUrl: server.url, sleep: async () => undefined });
			await client.get(encodePath`/v1/customers/${'cus_1/../balance'}`);
			expect(server.requests[0].url).toBe('/v1/customers/cus_1%2F..%2Fbalance');
		} finally {
			await server.close();
		}
	});
});

test.each<[string, string, string]>([
	['POST', '/v1/invoices/in_1MtHbELkdIwHu7ix/pay', 'POST /v1/invoices/:id/pay'],
	['GET', '/v1/balance_transactions?limit=100&starting_after=txn_1', 'GET /v1/balance_transactions'],
	['GET', '/v1/customers/search?query=x', 'GET /v1/customers/search'],
	['POST', '/v2/billing/meter_event_session', 'POST /v2/billing/meter_event_session'],
	['GET', '/v2/core/events/evt_test_65R9Ijk8hpD', 'GET /v2/core/events/:id'],
	['get', 'https://api.stripe.com/v1/customers/cus_9s6XKzkNRiz8i3', 'GET /v1/customers/:id'],
	['DELETE', '/v1/customers/a%2Fb', 'DELETE /v1/customers/:id'],
])('endpointKey(%s %s) is %s', (method, path, expected) => {
	expect(endpointKey(method, path)).toBe(expected);
});

describe('idempotencyKey', () => {
	test.each<[string, Array<string | number>, string]>([
		['retry-invoice', ['in_123', 2], 'retry-invoice:in_123:2'],
		['meter', ['mtr_1', 'cus_9', '2026-11-27'], 'meter:mtr_1:cus_9:2026-11-27'],
		['x', [], 'x'],
	])('readable when short and safe: %s %j', (purpose, parts, expected) => {
		expect(idempotencyKey(purpose, ...parts)).toBe(expected);
	});

	test('deterministic, and distinct inputs give distinct keys', () => {
		expect(idempotencyKey('retry', 'in_1', 1)).toBe(idempotencyKey('retry', 'in_1', 1));
		const keys = [
			idempotencyKey('retry', 'in_1', 1),
			idempotencyKey('retry', 'in_1', 2),
			idempotencyKey('retry', 'in_2', 1),
			idempotencyKey('retry', 'a:b', 'c'),
			idempotencyKey('retry', 'a', 'b:c'),
			idempotencyKey('retry', 'a b'),
			idempotencyKey('retry', 'a_b'),
		];
		expect(new Set(keys).size).toBe(keys.length);
	});

	test('unsafe characters give a sanitised prefix and a SHA-256 suffix', () => {
		const key = idempotencyKey('crm sync', 'jenny@example.com');
		expect(key).toMatch(/^crm_sync:jenny_example\.com:[0-9a-f]{64}$/);
	});

	test.each([256, 1000, 10000])('a %i-character input stays within 255 characters and keeps a readable prefix', (length) => {
		const long = 'x'.repeat(length);
		const key = idempotencyKey('export', 'in_1', long);
		expect(key.length).toBeLessThanOrEqual(MAX_IDEMPOTENCY_KEY_LENGTH);
		expect(key.startsWith('export:in_1:xxx')).toBe(true);
		expect(key).not.toBe(idempotencyKey('export', 'in_1', long + 'y'));
	});

	test('a readable key of exactly 255 characters is kept as is', () => {
		const part = 'a'.repeat(255 - 'p:'.length);
		expect(idempotencyKey('p', part)).toBe(`p:${part}`);
	});

	test('a purpose is required', () => {
		expect(() => idempotencyKey('')).toThrow(/purpose/);
	});
});

describe('pagination of v2 lists and search', () => {
	let server: RecordingServer | undefined;
	afterEach(async () => {
		await server?.close();
		server = undefined;
	});
	const client = (s: RecordingServer) => new StripeClient({ request: fetchTransport('sk_test_x'), baseUrl: s.url, sleep: async () => undefined });

	test('listV2 follows next_page_url until it is null, yielding each object once', async () => {
		const all = Array.from({ length: 25 }, (_, i) => ({ id: `evt_${i}` }));
		server = await startRecordingServer((r) => {
			const url = new URL(r.url, 'http://x');
			const start = Number(url.searchParams.get('page') ?? 0);
			const limit = Number(url.searchParams.get('limit') ?? 10);
			const next = start + limit < all.length ? `/v2/core/events?limit=${limit}&page=${start + limit}` : null;
			return { status: 200, body: { data: all.slice(start, start + limit), next_page_url: next, previous_page_url: null } };
		});
		const seen: string[] = [];
		for await (const event of client(server).listV2<{ id: string }>('/v2/core/events', { limit: 10 })) seen.push(event.id);
		expect(seen).toEqual(all.map((e) => e.id));
		expect(server.requests.map((r) => r.url)).toEqual(['/v2/core/events?limit=10', '/v2/core/events?limit=10&page=10', '/v2/core/events?limit=10&page=20']);
	});

	test('listV2 accepts an absolute next_page_url', async () => {
		server = await startRecordingServer((_r, i) => ({
			status: 200,
			body: i === 0 ? { data: [{ id: 'a' }], next_page_url: 'https://api.stripe.com/v2/core/events?page=p2' } : { data: [{ id: 'b' }], next_page_url: null },
		}));
		const seen: string[] = [];
		for await (const event of client(server).listV2<{ id: string }>('/v2/core/events')) seen.push(event.id);
		expect(seen).toEqual(['a', 'b']);
		expect(server.requests[1].url).toBe('/v2/core/events?page=p2');
	});

	test('search passes next_page back as page while has_more, keeping the query', async () => {
		server = await startRecordingServer((r) => {
			const page = new URL(r.url, 'http://x').searchParams.get('page');
			if (!page) return { status: 200, body: { object: 'search_result', data: [{ id: 'cus_1' }, { id: 'cus_2' }], has_more: true, next_page: 'tok_2', url: '/v1/customers/search' } };
			if (page === 'tok_2') return { status: 200, body: { object: 'search_result', data: [{ id: 'cus_3' }], has_more: true, next_page: 'tok_3', url: '/v1/customers/search' } };
			return { status: 200, body: { object: 'search_result', data: [{ id: 'cus_4' }], has_more: false, next_page: null, url: '/v1/customers/search' } };
		});
		const seen: string[] = [];
		for await (const c of client(server).search<{ id: string }>('/v1/customers/search', { query: "email:'a@example.com'" })) seen.push(c.id);
		expect(seen).toEqual(['cus_1', 'cus_2', 'cus_3', 'cus_4']);
		const urls = server.requests.map((r) => new URL(r.url, 'http://x'));
		expect(urls.map((u) => u.searchParams.get('page'))).toEqual([null, 'tok_2', 'tok_3']);
		expect(urls.every((u) => u.searchParams.get('query') === "email:'a@example.com'" && u.searchParams.get('limit') === '100')).toBe(true);
	});
});

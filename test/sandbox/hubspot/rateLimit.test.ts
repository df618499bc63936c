/** The HubSpot sandbox's private-app limits: rolling burst window, daily quota and the search endpoints' own limit. */
import { Client } from '@hubspot/api-client';
import { startHubSpotSandbox, type HubSpotSandbox } from '../../../sandbox/hubspot';

const RATE_HEADERS = ['x-hubspot-ratelimit-daily', 'x-hubspot-ratelimit-daily-remaining', 'x-hubspot-ratelimit-interval-milliseconds', 'x-hubspot-ratelimit-max', 'x-hubspot-ratelimit-remaining'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function raw(sb: HubSpotSandbox, method: string, path: string, body?: unknown): Promise<Response> {
	return fetch(`${sb.url}${path}`, {
		method,
		headers: { Authorization: `Bearer ${sb.token}`, 'Content-Type': 'application/json' },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
}

interface ApiError {
	code: number;
	body: Record<string, unknown>;
	headers: Record<string, string>;
}
async function failure(p: Promise<unknown>): Promise<ApiError> {
	try {
		await p;
	} catch (e) {
		return e as ApiError;
	}
	throw new Error('expected the call to fail');
}

describe('HubSpot sandbox rate limits', () => {
	let sb: HubSpotSandbox | undefined;
	afterEach(async () => {
		jest.restoreAllMocks();
		await sb?.close();
		sb = undefined;
	});

	it('puts the X-HubSpot-RateLimit-* headers on every response, counting down the rolling window', async () => {
		sb = await startHubSpotSandbox({ rateLimit: { max: 5, intervalMs: 500 }, dailyLimit: 1000 });
		const res = await raw(sb, 'GET', '/crm/v3/objects/contacts');
		expect(res.status).toBe(200);
		for (const h of RATE_HEADERS) expect(res.headers.get(h)).not.toBeNull();
		expect(res.headers.get('x-hubspot-ratelimit-max')).toBe('5');
		expect(res.headers.get('x-hubspot-ratelimit-interval-milliseconds')).toBe('500');
		expect(res.headers.get('x-hubspot-ratelimit-remaining')).toBe('4');
		expect(res.headers.get('x-hubspot-ratelimit-daily')).toBe('1000');
		expect(res.headers.get('x-hubspot-ratelimit-daily-remaining')).toBe('999');
	});

	it('answers the request over the window with 429 and HubSpot\'s body, and recovers once the window has passed', async () => {
		// A window of 1 s rather than 500 ms leaves room for a slow machine to make the first 6 calls inside it.
		sb = await startHubSpotSandbox({ rateLimit: { max: 5, intervalMs: 1000 } });
		const hs = new Client({ accessToken: sb.token, basePath: sb.url, numberOfApiCallRetries: 0 });
		for (let i = 0; i < 5; i++) await hs.crm.contacts.basicApi.getPage(1);
		const e = await failure(hs.crm.contacts.basicApi.getPage(1));
		expect(e.code).toBe(429);
		expect(e.body).toEqual({
			status: 'error',
			message: 'You have reached your ten_secondly_rolling limit.',
			errorType: 'RATE_LIMIT',
			correlationId: expect.stringMatching(/^[0-9a-f-]{36}$/),
			policyName: 'TEN_SECONDLY_ROLLING',
			groupName: expect.stringMatching(/^publicapi:private-app:burst:\d+$/),
		});
		expect(e.headers['x-hubspot-ratelimit-remaining']).toBe('0');
		expect(e.headers['x-hubspot-ratelimit-max']).toBe('5');
		expect(e.headers['x-hubspot-ratelimit-interval-milliseconds']).toBe('1000');
		expect(e.headers['x-hubspot-ratelimit-daily-remaining']).toBe('249995');
		// 429s are not counted: still limited, then a full window once it has rolled past.
		expect((await raw(sb, 'GET', '/crm/v3/objects/contacts')).status).toBe(429);
		await sleep(1050);
		for (let i = 0; i < 5; i++) await hs.crm.contacts.basicApi.getPage(1);
		expect((await failure(hs.crm.contacts.basicApi.getPage(1))).code).toBe(429);
		expect(sb.requests().map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429, 429, 200, 200, 200, 200, 200, 429]);
	});

	it('with the defaults, the 101st request within 10 s gets 429', async () => {
		sb = await startHubSpotSandbox();
		const statuses = await Promise.all(Array.from({ length: 101 }, () => raw(sb!, 'GET', '/crm/v3/objects/companies?limit=1').then((r) => r.status)));
		expect(statuses.filter((s) => s === 200)).toHaveLength(100);
		expect(statuses.filter((s) => s === 429)).toHaveLength(1);
		sb.setRateLimit(false);
		expect((await raw(sb, 'GET', '/crm/v3/objects/companies?limit=1')).status).toBe(200);
	});

	it('limits search on its own (5/s) and omits the rate headers there', async () => {
		sb = await startHubSpotSandbox();
		const search = () => raw(sb!, 'POST', '/crm/v3/objects/contacts/search', { limit: 1 });
		const first = await search();
		expect(first.status).toBe(200);
		for (const h of RATE_HEADERS) expect(first.headers.get(h)).toBeNull();
		for (let i = 0; i < 4; i++) expect((await search()).status).toBe(200);
		const limited = await search();
		expect(limited.status).toBe(429);
		for (const h of RATE_HEADERS) expect(limited.headers.get(h)).toBeNull();
		expect(await limited.json()).toMatchObject({ status: 'error', message: 'You have reached your secondly limit.', errorType: 'RATE_LIMIT', policyName: 'SECONDLY' });
		// Other endpoints are not held back by the search limit.
		expect((await raw(sb, 'GET', '/crm/v3/objects/contacts')).status).toBe(200);
	});

	it('the client\'s own retry recovers from a search 429', async () => {
		sb = await startHubSpotSandbox();
		jest.spyOn(console, 'error').mockImplementation(() => undefined);
		const hs = new Client({ accessToken: sb.token, basePath: sb.url, numberOfApiCallRetries: 2 });
		for (let i = 0; i < 5; i++) await hs.crm.contacts.searchApi.doSearch({ limit: 1 });
		const res = await hs.crm.contacts.searchApi.doSearch({ limit: 1 });
		expect(res.total).toBe(0);
		expect(sb.requests().map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429, 200]);
	});

	it('enforces the daily limit with policy DAILY', async () => {
		sb = await startHubSpotSandbox({ dailyLimit: 2 });
		expect((await raw(sb, 'GET', '/crm/v3/objects/contacts')).status).toBe(200);
		const last = await raw(sb, 'GET', '/crm/v3/objects/contacts');
		expect(last.headers.get('x-hubspot-ratelimit-daily-remaining')).toBe('0');
		const over = await raw(sb, 'GET', '/crm/v3/objects/contacts');
		expect(over.status).toBe(429);
		expect(await over.json()).toMatchObject({ message: 'You have reached your daily limit.', errorType: 'RATE_LIMIT', policyName: 'DAILY' });
	});

	it('does not count or rate-limit requests with a wrong token', async () => {
		sb = await startHubSpotSandbox({ rateLimit: { max: 1, intervalMs: 10_000 } });
		const wrong = await fetch(`${sb.url}/crm/v3/objects/contacts`, { headers: { Authorization: 'Bearer nope' } });
		expect(wrong.status).toBe(401);
		expect(wrong.headers.get('x-hubspot-ratelimit-remaining')).toBeNull();
		expect((await fetch(`${sb.url}/crm/v3/objects/contacts`)).status).toBe(401);
		expect((await raw(sb, 'GET', '/crm/v3/objects/contacts')).status).toBe(200);
	});
});

import type Stripe from 'stripe';

import { startSandbox, type Sandbox } from '../../../sandbox';
import { StripeClient, fetchTransport, type HttpRequest, type RequestFn } from '../../../lib/stripe';
import { endpointMatches, ensureEndpoint, type EndpointSpec, type EndpointState } from '../../../lib/triggers/endpoint';

const V1 = '2025-09-30.clover';
const V2 = '2026-10-28.endive';
const URL_A = 'https://n8n.example.com/webhook/aaaa-1111/webhook';
const URL_B = 'https://n8n.example.com/webhook/bbbb-2222/webhook';

/** 25 real event types: joined, they alone are over 500 characters. */
const MANY_EVENTS = [
	'charge.succeeded', 'charge.failed', 'charge.refunded', 'charge.dispute.created', 'charge.dispute.closed',
	'customer.created', 'customer.updated', 'customer.deleted', 'customer.subscription.created', 'customer.subscription.updated',
	'customer.subscription.deleted', 'customer.subscription.trial_will_end', 'customer.subscription.paused', 'customer.subscription.resumed', 'invoice.created',
	'invoice.finalized', 'invoice.paid', 'invoice.payment_failed', 'invoice.payment_succeeded', 'invoice.upcoming',
	'invoice.voided', 'invoice.marked_uncollectible', 'payment_intent.succeeded', 'payment_intent.payment_failed', 'checkout.session.completed',
];

let sb: Sandbox;
let requests: HttpRequest[];
/** While set, `POST /v1/webhook_endpoints` (create) fails this way. */
let failCreate: 'status500' | 'throw' | null;
/** Ids whose next DELETE answers 500. */
let failDeleteOnce: Set<string>;

beforeEach(async () => {
	sb = await startSandbox({ seed: 7, rateLimits: false, webhooks: { autoDeliver: false } });
	requests = [];
	failCreate = null;
	failDeleteOnce = new Set();
});
afterEach(() => sb.close());

/** The real transport, recording every request and failing the ones a test asks for. */
function transport(): RequestFn {
	const real = fetchTransport(sb.secretKey);
	return async (request) => {
		requests.push(request);
		const path = new URL(request.url).pathname;
		if (request.method === 'POST' && path === '/v1/webhook_endpoints' && failCreate) {
			if (failCreate === 'throw') throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
			return { status: 500, headers: { 'stripe-should-retry': 'false' }, body: JSON.stringify({ error: { type: 'api_error', message: 'injected' } }) };
		}
		const id = decodeURIComponent(path.split('/')[3] ?? '');
		if (request.method === 'DELETE' && failDeleteOnce.delete(id)) {
			return { status: 500, headers: {}, body: JSON.stringify({ error: { type: 'api_error', message: 'injected delete failure' } }) };
		}
		return real(request);
	};
}

function client(): StripeClient {
	return new StripeClient({ request: transport(), baseUrl: sb.url, sleep: async () => {}, retry: { maxRetries: 0 } });
}

function spec(over: Partial<EndpointSpec> = {}): EndpointSpec {
	return { url: URL_A, events: ['invoice.paid'], description: 'n8n workflow 1 (Stripe RevOps Trigger)', apiVersion: V1, ...over };
}

async function allEndpoints(): Promise<Stripe.WebhookEndpoint[]> {
	const out: Stripe.WebhookEndpoint[] = [];
	for await (const e of client().list<Stripe.WebhookEndpoint>('/v1/webhook_endpoints')) out.push(e);
	return out;
}

/** An endpoint somebody else made (Dashboard, another tool): its secret is not in our state. */
async function foreignEndpoint(url: string): Promise<Stripe.WebhookEndpoint> {
	return client().post<Stripe.WebhookEndpoint>('/v1/webhook_endpoints', { url, enabled_events: ['*'], description: 'made in the Dashboard' });
}

/** Activates once with `s`, as n8n's create does, and returns the stored state. */
async function activate(s: EndpointSpec, state: EndpointState = {}): Promise<EndpointState> {
	return (await ensureEndpoint(client(), s, state)).state;
}

describe('ensureEndpoint: update in place', () => {
	test('an update with 25 events carries no idempotency key built from the events (Stripe refuses keys over 255 characters)', async () => {
		const state = await activate(spec());
		requests = [];
		const result = await ensureEndpoint(client(), spec({ events: MANY_EVENTS }), state);
		const update = requests.find((r) => r.method === 'POST' && r.url.endsWith(`/v1/webhook_endpoints/${state.endpointId}`));
		expect(update).toBeDefined();
		const key = update?.headers['Idempotency-Key'] ?? '';
		expect(key.length).toBeLessThanOrEqual(255);
		expect(key).not.toContain('invoice.paid');
		const [endpoint] = await allEndpoints();
		expect(endpoint.id).toBe(state.endpointId);
		expect([...endpoint.enabled_events].sort()).toEqual([...MANY_EVENTS].sort());
		expect(result).toMatchObject({ created: false, updated: true, deleted: [], failedDeletes: [] });
	});

	test('events X → A → B → A within 24 h end at A: no replay of the earlier update to A', async () => {
		const A = ['invoice.paid', 'invoice.payment_failed'];
		const B = ['customer.subscription.deleted'];
		let state = await activate(spec({ events: ['charge.succeeded'] }));
		for (const events of [A, B, A]) {
			state = (await ensureEndpoint(client(), spec({ events }), state)).state;
			await sb.clock.advance(3600);
		}
		const endpoints = await allEndpoints();
		expect(endpoints).toHaveLength(1);
		expect(endpoints[0].id).toBe(state.endpointId);
		expect([...endpoints[0].enabled_events].sort()).toEqual([...A].sort());
		expect(await endpointMatches(client(), spec({ events: A }), state)).toBe(true);
	});

	test('an unchanged endpoint is neither updated nor replaced', async () => {
		const state = await activate(spec());
		requests = [];
		const result = await ensureEndpoint(client(), spec(), state);
		expect(result).toEqual({ state, created: false, updated: false, deleted: [], failedDeletes: [] });
		expect(requests.filter((r) => r.method !== 'GET')).toEqual([]);
	});
});

describe('ensureEndpoint: replace', () => {
	test('an api_version change counts as a change: a new endpoint with the new version, the old one deleted, the new secret stored', async () => {
		const old = await activate(spec({ apiVersion: V1 }));
		expect(await endpointMatches(client(), spec({ apiVersion: V2 }), old)).toBe(false);
		const result = await ensureEndpoint(client(), spec({ apiVersion: V2 }), old);
		expect(result.created).toBe(true);
		expect(result.deleted).toEqual([{ id: old.endpointId, url: URL_A, reason: 'replaced' }]);
		expect(result.failedDeletes).toEqual([]);
		const endpoints = await allEndpoints();
		expect(endpoints.map((e) => [e.id, e.url, e.api_version])).toEqual([[result.state.endpointId, URL_A, V2]]);
		expect(result.state).toEqual({ endpointId: endpoints[0].id, secret: expect.stringMatching(/^whsec_/), url: URL_A, apiVersion: V2 });
		expect(result.state.secret).not.toBe(old.secret);
		expect(await endpointMatches(client(), spec({ apiVersion: V2 }), result.state)).toBe(true);
	});

	test("n8n's webhook URL changed: this trigger's endpoint at the old URL is deleted, nobody else's is touched", async () => {
		const old = await activate(spec({ url: URL_A }));
		const other = await foreignEndpoint('https://elsewhere.example.com/hooks');
		const foreignAtOldUrl = await foreignEndpoint(URL_A);
		expect(await endpointMatches(client(), spec({ url: URL_B }), old)).toBe(false);
		const result = await ensureEndpoint(client(), spec({ url: URL_B }), old);
		const ids = (await allEndpoints()).map((e) => e.id).sort();
		expect(ids).toEqual([result.state.endpointId, other.id, foreignAtOldUrl.id].sort());
		expect(result.state.url).toBe(URL_B);
		expect(result.created).toBe(true);
		expect(result.deleted).toEqual([{ id: old.endpointId, url: URL_A, reason: 'oldUrl' }]);
	});

	test('an endpoint at the same URL that this trigger did not create is deleted and reported as foreign, with or without one of our own', async () => {
		const first = await foreignEndpoint(URL_A);
		const created = await ensureEndpoint(client(), spec(), {});
		expect(created.deleted).toEqual([{ id: first.id, url: URL_A, reason: 'foreign' }]);
		expect(created.created).toBe(true);

		const second = await foreignEndpoint(URL_A);
		const reused = await ensureEndpoint(client(), spec(), created.state);
		expect(reused.deleted).toEqual([{ id: second.id, url: URL_A, reason: 'foreign' }]);
		expect(reused).toMatchObject({ created: false, updated: false, state: created.state });
		expect((await allEndpoints()).map((e) => e.id)).toEqual([created.state.endpointId]);
	});

	test.each(['status500', 'throw'] as const)('a failed create (%s) leaves every previous endpoint in place and throws', async (how) => {
		const old = await activate(spec({ apiVersion: V1 }));
		const foreign = await foreignEndpoint(URL_A);
		const before = (await allEndpoints()).map((e) => e.id).sort();
		failCreate = how;
		await expect(ensureEndpoint(client(), spec({ apiVersion: V2 }), old)).rejects.toThrow(how === 'throw' ? /socket hang up/ : /injected/);
		await expect(ensureEndpoint(client(), spec({ url: URL_B }), old)).rejects.toThrow();
		expect((await allEndpoints()).map((e) => e.id).sort()).toEqual(before);
		expect(before).toEqual([old.endpointId, foreign.id].sort());
		expect(requests.filter((r) => r.method === 'DELETE')).toEqual([]);
	});

	test('a failed delete after a successful create is returned, not thrown, and the new secret reaches the state', async () => {
		const old = await activate(spec({ url: URL_A }));
		failDeleteOnce.add(old.endpointId as string);
		const result = await ensureEndpoint(client(), spec({ url: URL_B }), old);
		expect(result.created).toBe(true);
		expect(result.deleted).toEqual([]);
		expect(result.failedDeletes).toEqual([{ id: old.endpointId, url: URL_A, reason: 'oldUrl', message: 'injected delete failure', error: expect.any(Error) }]);
		expect(result.state).toMatchObject({ url: URL_B, secret: expect.stringMatching(/^whsec_/) });
		expect((await allEndpoints()).map((e) => e.id).sort()).toEqual([old.endpointId, result.state.endpointId].sort());
	});

	test('a state without its secret replaces its own endpoint instead of reusing it', async () => {
		const old = await activate(spec());
		const result = await ensureEndpoint(client(), spec(), { ...old, secret: undefined });
		expect(result.created).toBe(true);
		expect(result.deleted).toEqual([{ id: old.endpointId, url: URL_A, reason: 'replaced' }]);
		expect((await allEndpoints()).map((e) => e.id)).toEqual([result.state.endpointId]);
	});
});

/**
 * The webhook trigger under what real Stripe and a real n8n do to it (issue 7, items 1–5, 7):
 * a test listener beside production, re-publishing while executions are in flight, redeliveries
 * while the first delivery is pending, deleted objects, connected accounts, and what a rejected
 * sender learns. Runs in-process through test/harness/webhookHost.ts against the Stripe sandbox.
 */
import { request as httpRequest } from 'node:http';

import Stripe from 'stripe';

import { startSandbox, type Sandbox } from '../../sandbox';
import { startRecordingServer, type RecordedRequest, type RecordingServer } from '../helpers/recordingServer';
import { startWebhookHost, type WebhookHost, type WebhookHostOptions } from '../harness/webhookHost';
import { triggerWorkflow } from './fixtures';

const NODE = 'Stripe RevOps Trigger';

let sandbox: Sandbox;
let stripe: Stripe;
const closers: Array<() => Promise<void>> = [];
let counter = 0;

beforeEach(async () => {
	sandbox = await startSandbox({ seed: 33, rateLimits: false, webhooks: { autoDeliver: false } });
	stripe = new Stripe(sandbox.secretKey, { host: '127.0.0.1', port: sandbox.port, protocol: 'http', maxNetworkRetries: 0 });
});
afterEach(async () => {
	for (const close of closers.splice(0).reverse()) await close();
	await sandbox.close();
});

const credentials = (baseUrl = sandbox.url) => ({ stripeRevOpsApi: { secretKey: sandbox.secretKey, baseUrl, apiVersion: '2026-10-28.endive', stripeAccount: '' } });

async function host(parameters: Record<string, unknown>, options: Partial<WebhookHostOptions> = {}) {
	const h = await startWebhookHost(triggerWorkflow(parameters as never, `hard-${++counter}`), { credentials: credentials(), ...options });
	closers.push(() => h.close());
	return h;
}

/**
 * A proxy in front of the sandbox that records every API request and can answer some itself
 * (to fail a fetch, or to serve a v2 event the sandbox does not have).
 */
async function proxy(answer: (request: RecordedRequest) => { status: number; body: unknown } | undefined): Promise<RecordingServer> {
	const target = new URL(sandbox.url);
	const server = await startRecordingServer(async (recorded) => {
		const own = answer(recorded);
		if (own) return own;
		return new Promise((resolve, reject) => {
			const forwarded = httpRequest(
				{ host: target.hostname, port: target.port, method: recorded.method, path: recorded.url, headers: { ...recorded.headers, host: target.host } },
				(res) => {
					const chunks: Buffer[] = [];
					res.on('data', (c: Buffer) => chunks.push(c));
					res.on('end', () => resolve({ status: res.statusCode ?? 502, body: Buffer.concat(chunks).toString('utf8') }));
				},
			);
			forwarded.on('error', reject);
			forwarded.end(recorded.body);
		});
	});
	closers.push(() => server.close());
	return server;
}

function secretOf(h: WebhookHost): string {
	return (h.staticData[`node:${NODE}`] as { endpoint: { secret: string } }).endpoint.secret;
}

async function post(url: string, payload: string, secret: string) {
	const res = await fetch(url, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json', 'Stripe-Signature': Stripe.webhooks.generateTestHeaderString({ payload, secret }) },
		body: payload,
	});
	const text = await res.text();
	let body: Record<string, unknown> = { text };
	try {
		body = JSON.parse(text) as Record<string, unknown>;
	} catch {
		// n8n answers a failed webhook with plain text
	}
	return { status: res.status, body };
}

/** A gate that holds the first `limit` executions the host starts until opened. */
function gate(limit = Infinity) {
	let open: () => void = () => undefined;
	const opened = new Promise<void>((resolve) => (open = resolve));
	let held = 0;
	// A test that fails before opening the gate must not leave executions held (close() waits for them).
	closers.push(async () => open());
	return {
		beforeExecution: async () => {
			if (held >= limit) return;
			held++;
			await opened;
		},
		open,
		get held() {
			return held;
		},
	};
}

describe('1. a test listener and production on the same workflow', () => {
	test('the same event reaches both: each emits it once, and ending the test session leaves production state alone', async () => {
		const h = await host({ events: ['customer.created'] });
		await h.activate();
		await h.listenTest();
		const endpoints = (await stripe.webhookEndpoints.list()).data;
		expect(endpoints.map((e) => e.url).sort()).toEqual([h.testWebhookUrl(NODE), h.webhookUrl(NODE)].sort());
		const production = JSON.stringify(h.staticData);

		const customer = await stripe.customers.create({ email: 'both@example.com' });
		await sandbox.deliverWebhooks();
		await h.idle();
		expect(h.testEmitted.map((b) => (b[0].json as { objectId: string }).objectId)).toEqual([customer.id]);
		expect(h.emitted.map((b) => (b[0].json as { objectId: string }).objectId)).toEqual([customer.id]);
		expect(h.executions.map((run) => run.outputs.NoOp?.[0]?.length)).toEqual([1]);
		expect(h.testExecutions.map((run) => run.outputs.NoOp?.[0]?.length)).toEqual([1]);
		// The test execution recorded nothing in n8n's deduplication store; production's did.
		const eventId = (h.emitted[0][0].json as { eventId: string }).eventId;
		expect(h.processedData.entriesOf('harness', `hard-${counter}`)).toHaveLength(1);

		await h.stopTest();
		expect((await stripe.webhookEndpoints.list()).data.map((e) => e.url)).toEqual([h.webhookUrl(NODE)]);
		expect(JSON.stringify(h.staticData)).toBe(production);
		// Production's memory survived the test session's delete(): a redelivery is a duplicate.
		const again = await post(h.webhookUrl(NODE), JSON.stringify(await stripe.events.retrieve(eventId)), secretOf(h));
		expect(again).toMatchObject({ status: 200, body: { reason: 'duplicate' } });
	});
});

describe('2. re-publishing while executions are in flight', () => {
	test('executions that finish after a deactivate → activate do not write the old secret back: deliveries still verify', async () => {
		const held = gate(5);
		const h = await host({ events: ['customer.created'] }, { beforeExecution: held.beforeExecution });
		await h.activate();
		const oldSecret = secretOf(h);
		for (let i = 0; i < 5; i++) await stripe.customers.create({ email: `inflight${i}@example.com` });
		await sandbox.deliverWebhooks();
		expect(held.held).toBe(5);

		await h.deactivate();
		await h.activate();
		const newSecret = secretOf(h);
		expect(newSecret).not.toBe(oldSecret);
		// A delivery to the new endpoint while the old executions are still held.
		const between = await stripe.customers.create({ email: 'between@example.com' });
		await sandbox.deliverWebhooks();
		for (let i = 0; i < 200 && h.executions.length < 1; i++) await new Promise((resolve) => setTimeout(resolve, 10));
		expect(h.executions).toHaveLength(1);
		held.open();
		await h.idle();
		expect(h.executions).toHaveLength(6);
		expect(secretOf(h)).toBe(newSecret);

		const later = await stripe.customers.create({ email: 'after@example.com' });
		await sandbox.deliverWebhooks();
		await h.idle();
		const last = sandbox.webhookLog().at(-1);
		expect(last?.status).toBe(200);
		expect(h.emitted.map((b) => (b[0].json as { objectId: string }).objectId)).toEqual(expect.arrayContaining([between.id, later.id]));
	});
});

describe('3. a redelivery while the first delivery is pending', () => {
	test('gets 409, not 200; once the execution ran, it is a duplicate', async () => {
		const held = gate();
		const h = await host({ events: ['customer.created'] }, { beforeExecution: held.beforeExecution });
		await h.activate();
		await stripe.customers.create({ email: 'pending@example.com' });
		const [event] = (await stripe.events.list({ type: 'customer.created', limit: 1 })).data;
		const payload = JSON.stringify(event);
		expect(await post(h.webhookUrl(NODE), payload, secretOf(h))).toMatchObject({ status: 200, body: { emitted: true } });
		expect(await post(h.webhookUrl(NODE), payload, secretOf(h))).toMatchObject({ status: 409, body: { reason: 'inFlight' } });
		held.open();
		await h.idle();
		expect(await post(h.webhookUrl(NODE), payload, secretOf(h))).toMatchObject({ status: 200, body: { reason: 'duplicate' } });
		expect(h.emitted).toHaveLength(1);
	});

	test('a failed fetch releases the claim, and "skip stale" does not record an event that was never emitted', async () => {
		let failFetches = true;
		const api = await proxy((req) => (failFetches && req.method === 'GET' && req.url.startsWith('/v1/customers/') ? { status: 500, body: { error: { type: 'api_error', message: 'boom' } } } : undefined));
		const h = await startWebhookHost(triggerWorkflow({ events: ['customer.updated'], options: { fetchCurrentObject: true, skipStaleEvents: true } } as never, `hard-${++counter}`), {
			credentials: credentials(api.url),
		});
		closers.push(() => h.close());
		await h.activate();
		const customer = await stripe.customers.create({ email: 'stale@example.com' });
		await stripe.customers.update(customer.id, { name: 'Older' });
		await sandbox.clock.advance(10);
		await stripe.customers.update(customer.id, { name: 'Newer' });
		const [newer, older] = (await stripe.events.list({ type: 'customer.updated', limit: 2 })).data;
		expect(newer.created).toBeGreaterThan(older.created);

		// The newer event's fetch fails: 500, so Stripe will retry it.
		expect((await post(h.webhookUrl(NODE), JSON.stringify(newer), secretOf(h))).status).toBe(500);
		failFetches = false;
		// The older event is not stale: the newer one was never emitted.
		expect(await post(h.webhookUrl(NODE), JSON.stringify(older), secretOf(h))).toMatchObject({ status: 200, body: { emitted: true } });
		// Stripe's retry of the newer event goes through (its claim was released).
		expect(await post(h.webhookUrl(NODE), JSON.stringify(newer), secretOf(h))).toMatchObject({ status: 200, body: { emitted: true } });
		await h.idle();
		expect(h.emitted.map((b) => (b[0].json as { eventId: string }).eventId)).toEqual([older.id, newer.id]);
	});
});

describe('4. deleted objects with "Fetch Current Object"', () => {
	test('a *.deleted event, an event about a customer deleted since (a deleted stub) and one about a product deleted since (404) are emitted with currentObject null and objectDeleted', async () => {
		const api = await proxy(() => undefined);
		const h = await startWebhookHost(
			triggerWorkflow({ events: ['customer.created', 'customer.deleted', 'product.created'], options: { fetchCurrentObject: true } } as never, `hard-${++counter}`),
			{ credentials: credentials(api.url) },
		);
		closers.push(() => h.close());
		await h.activate();
		const customer = await stripe.customers.create({ email: 'gone@example.com' });
		await stripe.customers.del(customer.id);
		const product = await stripe.products.create({ name: 'Gone' });
		await stripe.products.del(product.id);
		await sandbox.deliverWebhooks();
		await h.idle();
		expect(sandbox.webhookLog().map((d) => d.status)).toEqual([200, 200, 200]);
		const items = h.emitted.map((b) => b[0].json as { type: string; currentObject: unknown; objectDeleted: boolean });
		expect(items.map((i) => [i.type, i.currentObject, i.objectDeleted]).sort()).toEqual([
			['customer.created', null, true],
			['customer.deleted', null, true],
			['product.created', null, true],
		]);
		// customer.deleted was not fetched at all.
		expect(api.requests.filter((r) => r.method === 'GET' && r.url.startsWith('/v1/customers/'))).toHaveLength(1);
		expect(api.requests.filter((r) => r.method === 'GET' && r.url.startsWith('/v1/products/'))).toHaveLength(1);
	});

	test('an object that still exists is emitted as currentObject with objectDeleted false', async () => {
		const h = await host({ events: ['customer.created'], options: { fetchCurrentObject: true } });
		await h.activate();
		const customer = await stripe.customers.create({ email: 'here@example.com' });
		await stripe.customers.update(customer.id, { name: 'Renamed' });
		await sandbox.deliverWebhooks();
		await h.idle();
		expect(h.emitted[0][0].json).toMatchObject({ currentObject: { id: customer.id, name: 'Renamed' }, objectDeleted: false });
	});
});

describe('5. connected accounts', () => {
	test('a snapshot event with `account` is fetched with Stripe-Account; a thin event with `context` with Stripe-Context', async () => {
		const customer = await stripe.customers.create({ email: 'connect@example.com' });
		const thinId = 'evt_test_thin_connect';
		const api = await proxy((req) =>
			req.url.startsWith(`/v2/core/events/${thinId}`)
				? {
						status: 200,
						body: {
							id: thinId,
							object: 'v2.core.event',
							type: 'v1.customer.updated',
							created: new Date().toISOString(),
							livemode: false,
							context: 'acct_thin456',
							related_object: { id: customer.id, type: 'customer', url: `/v1/customers/${customer.id}` },
						},
					}
				: undefined,
		);
		const h = await startWebhookHost(triggerWorkflow({ events: ['*'], options: { fetchCurrentObject: true } } as never, `hard-${++counter}`), {
			credentials: credentials(api.url),
		});
		closers.push(() => h.close());
		await h.activate();
		const [created] = (await stripe.events.list({ type: 'customer.created', limit: 1 })).data;
		const snapshot = { ...created, id: 'evt_test_connect_snapshot', account: 'acct_snap123' };
		expect((await post(h.webhookUrl(NODE), JSON.stringify(snapshot), secretOf(h))).status).toBe(200);
		const thin = { id: thinId, object: 'v2.core.event', type: 'v1.customer.updated', created: new Date().toISOString(), livemode: false, context: 'acct_thin456', related_object: { id: customer.id, type: 'customer', url: `/v1/customers/${customer.id}` } };
		expect((await post(h.webhookUrl(NODE), JSON.stringify(thin), secretOf(h))).status).toBe(200);
		await h.idle();

		const gets = api.requests.filter((r) => r.method === 'GET');
		const customerGets = gets.filter((r) => r.url.startsWith(`/v1/customers/${customer.id}`));
		expect(customerGets.map((r) => [r.headers['stripe-account'], r.headers['stripe-context']])).toEqual([
			['acct_snap123', undefined],
			[undefined, 'acct_thin456'],
		]);
		expect(customerGets[1].headers['stripe-request-trigger']).toBe(`event=${thinId}`);
		const eventGet = gets.find((r) => r.url.startsWith('/v2/core/events/'));
		expect(eventGet?.headers['stripe-context']).toBe('acct_thin456');
	});
});

describe('7. what a rejected sender learns', () => {
	test('a 400 carries a generic message; the diagnosis (secret hints) goes to n8n\'s log, and no secret anywhere', async () => {
		const realSecret = 'whsec_realsecret0123456789abcdef';
		const h = await host({ registration: 'manual', signingSecret: `  sk_test_${'x'.repeat(24)}  `, events: ['*'] });
		await h.activate();
		const payload = JSON.stringify({ id: 'evt_wrong', object: 'event', type: 'customer.created', created: Math.floor(Date.now() / 1000), livemode: false, data: { object: { id: 'cus_1', object: 'customer' } } });
		const res = await post(h.webhookUrl(NODE), payload, realSecret);
		expect(res.status).toBe(400);
		const error = res.body.error as { reason: string; message: string };
		expect(error.reason).toBe('signatureMismatch');
		expect(error.message).toBe('The delivery could not be verified as coming from Stripe. Details are in the n8n log.');
		expect(JSON.stringify(res.body)).not.toMatch(/sk_|whsec_|Note:|API key/);
		const logged = h.logs.filter((l) => l.message.includes('rejected a delivery'));
		expect(logged).toHaveLength(1);
		expect(logged[0].message).toMatch(/looks like an API key/);
		expect(h.logs.map((l) => l.message).join('\n')).not.toMatch(/sk_test_x|whsec_real/);
	});
});

describe('8. the deduplication window', () => {
	test("the node's defaults are the library's: 96 hours (Stripe's 3-day retry horizon plus a day) and a count that covers it", async () => {
		const { StripeRevOpsTrigger } = await import('../../nodes/StripeRevOpsTrigger/StripeRevOpsTrigger.node');
		const dedupe = await import('../../lib/events/dedupe');
		const options = new StripeRevOpsTrigger().description.properties.find((p) => p.name === 'options')?.options as Array<{ name: string; default: unknown }>;
		const byName = Object.fromEntries(options.map((o) => [o.name, o.default]));
		expect(byName.dedupeWindowHours).toBe(dedupe.DEFAULT_WINDOW_MAX_AGE_SECONDS / 3600);
		expect(byName.dedupeWindowHours).toBeGreaterThanOrEqual(72);
		expect(byName.dedupeWindowSize).toBe(dedupe.DEFAULT_WINDOW_MAX_SIZE);
		expect(byName.durableDedupeSize).toBe(dedupe.DEFAULT_DURABLE_MAX_ENTRIES);
	});
});

import Stripe from 'stripe';

import { startSandbox, type Sandbox } from '../../sandbox';
import { startWebhookHost, type WebhookHost } from '../harness/webhookHost';
import { triggerWorkflow } from './fixtures';

let sandbox: Sandbox;
let stripe: Stripe;
const hosts: WebhookHost[] = [];
let counter = 0;

beforeEach(async () => {
	sandbox = await startSandbox({ seed: 21, rateLimits: false, webhooks: { autoDeliver: false } });
	stripe = new Stripe(sandbox.secretKey, { host: '127.0.0.1', port: sandbox.port, protocol: 'http', maxNetworkRetries: 0 });
});
afterEach(async () => {
	for (const h of hosts.splice(0)) await h.close();
	await sandbox.close();
});

const credentials = () => ({ stripeRevOpsApi: { secretKey: sandbox.secretKey, baseUrl: sandbox.url, apiVersion: '2026-10-28.endive', stripeAccount: '' } });

async function host(parameters: Record<string, unknown>) {
	const h = await startWebhookHost(triggerWorkflow(parameters as never, `opt-${++counter}`), { credentials: credentials() });
	hosts.push(h);
	return h;
}

async function post(h: WebhookHost, payload: string, secret?: string, extraHeaders: Record<string, string> = {}) {
	const headers: Record<string, string> = { 'Content-Type': 'application/json', ...extraHeaders };
	if (secret) headers['Stripe-Signature'] = Stripe.webhooks.generateTestHeaderString({ payload, secret });
	const res = await fetch(h.webhookUrl('Stripe RevOps Trigger'), { method: 'POST', headers, body: payload });
	return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
}

function event(id: string, type: string, object: Record<string, unknown>, extra: Record<string, unknown> = {}) {
	return JSON.stringify({ id, object: 'event', api_version: '2026-10-28.endive', created: Math.floor(Date.now() / 1000), livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null }, type, data: { object }, ...extra });
}

const OLD = 'whsec_old_secret_0000000000000000';
const NEW = 'whsec_new_secret_1111111111111111';

test('manual registration: either of two secrets verifies (rotation); no endpoint is created', async () => {
	const h = await host({ registration: 'manual', signingSecret: `${OLD}, ${NEW}`, events: ['*'] });
	await h.activate();
	expect((await stripe.webhookEndpoints.list()).data).toHaveLength(0);
	expect((await post(h, event('evt_a', 'customer.created', { id: 'cus_a', object: 'customer' }), OLD)).status).toBe(200);
	expect((await post(h, event('evt_b', 'customer.created', { id: 'cus_b', object: 'customer' }), NEW)).status).toBe(200);
	expect((await post(h, event('evt_c', 'customer.created', { id: 'cus_c', object: 'customer' }), 'whsec_other')).status).toBe(400);
	expect(h.emitted.map((b) => b[0].json.eventId)).toEqual(['evt_a', 'evt_b']);
});

test('a body that is not JSON, an expired signature and a garbled header are all 400 with a reason', async () => {
	const h = await host({ registration: 'manual', signingSecret: OLD, events: ['*'] });
	const notJson = await post(h, 'not json at all', OLD);
	expect(notJson.status).toBe(400);
	const payload = event('evt_old', 'customer.created', { id: 'cus_a', object: 'customer' });
	const expired = Stripe.webhooks.generateTestHeaderString({ payload, secret: OLD, timestamp: Math.floor(Date.now() / 1000) - 3600 });
	const res = await post(h, payload, undefined, { 'Stripe-Signature': expired });
	expect(res).toMatchObject({ status: 400, body: { error: { reason: 'timestampOutsideTolerance' } } });
	const garbled = await post(h, payload, undefined, { 'Stripe-Signature': 'garbage' });
	expect(garbled).toMatchObject({ status: 400, body: { error: { reason: 'malformedHeader' } } });
	expect(h.emitted).toHaveLength(0);
});

test('"Live Only" drops test-mode events with 200', async () => {
	const h = await host({ registration: 'manual', signingSecret: OLD, events: ['*'], mode: 'live' });
	const res = await post(h, event('evt_t', 'customer.created', { id: 'cus_a', object: 'customer' }), OLD);
	expect(res).toMatchObject({ status: 200, body: { emitted: false, reason: 'filtered' } });
	const live = await post(h, event('evt_l', 'customer.created', { id: 'cus_a', object: 'customer' }, { livemode: true }), OLD);
	expect(live.body.emitted).toBe(true);
	expect(h.emitted).toHaveLength(1);
});

test('"Fetch Current Object" outputs the object as it is now, not the snapshot', async () => {
	const h = await host({ events: ['customer.created'], options: { fetchCurrentObject: true } });
	await h.activate();
	const customer = await stripe.customers.create({ email: 'x@example.com', name: 'Before' });
	await stripe.customers.update(customer.id, { name: 'After' });
	await sandbox.deliverWebhooks();
	expect(h.emitted).toHaveLength(1);
	const json = h.emitted[0][0].json as { event: Stripe.Event; currentObject: Stripe.Customer };
	expect((json.event.data.object as Stripe.Customer).name).toBe('Before');
	expect(json.currentObject.name).toBe('After');
});

test('"Skip Stale Events" drops an event older than the last one emitted for the same object', async () => {
	const h = await host({ registration: 'manual', signingSecret: OLD, events: ['*'], options: { skipStaleEvents: true } });
	const now = Math.floor(Date.now() / 1000);
	const newer = event('evt_new', 'invoice.updated', { id: 'in_1', object: 'invoice', status: 'paid' }, { created: now });
	const older = event('evt_older', 'invoice.updated', { id: 'in_1', object: 'invoice', status: 'open' }, { created: now - 60 });
	expect((await post(h, newer, OLD)).body.emitted).toBe(true);
	expect((await post(h, older, OLD)).body).toMatchObject({ emitted: false, reason: 'stale' });
	const otherObject = event('evt_other', 'invoice.updated', { id: 'in_2', object: 'invoice' }, { created: now - 60 });
	expect((await post(h, otherObject, OLD)).body.emitted).toBe(true);
});

test('"Skip Signature Verification" accepts an unsigned event (local testing only)', async () => {
	const h = await host({ registration: 'manual', signingSecret: '', events: ['*'], options: { skipSignatureVerification: true } });
	const r = await post(h, event('evt_u', 'customer.created', { id: 'cus_u', object: 'customer' }));
	expect(r.status).toBe(200);
	expect(h.emitted).toHaveLength(1);
});

test('without a secret and without the skip option, deliveries fail loudly instead of being accepted unverified', async () => {
	const h = await host({ registration: 'manual', signingSecret: '', events: ['*'] });
	const res = await post(h, event('evt_u', 'customer.created', { id: 'cus_u', object: 'customer' }));
	expect(res.status).toBe(500);
	expect(h.emitted).toHaveLength(0);
});

test('thin events from an event destination are verified and expanded by fetching the event', async () => {
	// The destination's URL must exist before its secret is known: start a host, register, then restart
	// the same node (same webhook URL) with the secret.
	const nodeId = `thin-${++counter}`;
	const first = await startWebhookHost(triggerWorkflow({ registration: 'manual', signingSecret: 'whsec_placeholder', events: ['*'] } as never, nodeId), { credentials: credentials() });
	const url = first.webhookUrl('Stripe RevOps Trigger');
	const destination = (await stripe.rawRequest('POST', '/v2/core/event_destinations', {
		name: 'n8n',
		type: 'webhook_endpoint',
		event_payload: 'thin',
		enabled_events: ['v1.billing.meter.no_meter_found'],
		webhook_endpoint: { url },
	})) as unknown as { webhook_endpoint: { signing_secret: string } };
	const secret = destination.webhook_endpoint.signing_secret;
	expect(secret).toMatch(/^whsec_/);
	await first.close();
	const h = await startWebhookHost(triggerWorkflow({ registration: 'manual', signingSecret: secret, events: ['*'] } as never, nodeId), {
		credentials: credentials(),
		port: Number(new URL(url).port),
	});
	hosts.push(h);
	await stripe.billing.meterEvents.create({ event_name: 'no_such_meter', payload: { stripe_customer_id: 'cus_x', value: '1' } });
	await sandbox.deliverWebhooks();
	expect(sandbox.webhookLog().map((d) => d.status)).toContain(200);
	expect(h.emitted).toHaveLength(1);
	const item = h.emitted[0][0].json as { event: { object: string; type: string; id: string }; type: string; eventId: string };
	expect(item.event.object).toBe('v2.core.event');
	expect(item.type).toBe('v1.billing.meter.no_meter_found');
	expect(item.eventId).toBe(item.event.id);
});

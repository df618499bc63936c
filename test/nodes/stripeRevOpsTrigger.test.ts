import Stripe from 'stripe';

import { startSandbox, type Sandbox } from '../../sandbox';
import { startWebhookHost, type WebhookHost } from '../harness/webhookHost';
import { triggerWorkflow } from './fixtures';

let sandbox: Sandbox;
let stripe: Stripe;
const hosts: WebhookHost[] = [];

beforeEach(async () => {
	sandbox = await startSandbox({ seed: 7, rateLimits: false });
	stripe = new Stripe(sandbox.secretKey, { host: '127.0.0.1', port: sandbox.port, protocol: 'http', maxNetworkRetries: 0 });
});
afterEach(async () => {
	for (const host of hosts.splice(0)) await host.close();
	await sandbox.close();
});

function credentials() {
	return { stripeRevOpsApi: { secretKey: sandbox.secretKey, baseUrl: sandbox.url, apiVersion: '2026-10-28.endive', stripeAccount: '' } };
}

// Each test gets its own node id: the trigger's in-process memory is keyed by workflow and node.
let nodeCounter = 0;
async function host(parameters: Record<string, unknown>, staticData?: Record<string, unknown>) {
	const h = await startWebhookHost(triggerWorkflow(parameters as never, `trigger-${++nodeCounter}`), { credentials: credentials(), staticData: staticData as never });
	hosts.push(h);
	return h;
}

async function endpointsAt(url: string) {
	const all = await stripe.webhookEndpoints.list({ limit: 100 });
	return all.data.filter((e) => e.url === url);
}

describe('endpoint lifecycle', () => {
	test('activation registers one endpoint with the credential API version; activate → deactivate → activate leaves exactly one', async () => {
		const h = await host({ events: ['customer.created'] });
		await h.activate();
		let at = await endpointsAt(h.webhookUrl('Stripe RevOps Trigger'));
		expect(at).toHaveLength(1);
		expect(at[0].enabled_events).toEqual(['customer.created']);
		expect(at[0].api_version).toBe('2026-10-28.endive');
		await h.deactivate();
		expect(await endpointsAt(h.webhookUrl('Stripe RevOps Trigger'))).toHaveLength(0);
		await h.activate();
		await h.activate();
		at = await endpointsAt(h.webhookUrl('Stripe RevOps Trigger'));
		expect(at).toHaveLength(1);
	});

	test('an endpoint deleted in Stripe is repaired on the next activation check; changed events update it in place', async () => {
		const h = await host({ events: ['customer.created'] });
		await h.activate();
		const [first] = await endpointsAt(h.webhookUrl('Stripe RevOps Trigger'));
		await stripe.webhookEndpoints.del(first.id);
		await h.activate();
		const repaired = await endpointsAt(h.webhookUrl('Stripe RevOps Trigger'));
		expect(repaired).toHaveLength(1);
		expect(repaired[0].id).not.toBe(first.id);
	});

	test('an endpoint at the same URL whose secret this trigger does not hold is replaced, not duplicated', async () => {
		const h = await host({ events: ['customer.created'] });
		await stripe.webhookEndpoints.create({ url: h.webhookUrl('Stripe RevOps Trigger'), enabled_events: ['*'] });
		await h.activate();
		const at = await endpointsAt(h.webhookUrl('Stripe RevOps Trigger'));
		expect(at).toHaveLength(1);
		expect(at[0].enabled_events).toEqual(['customer.created']);
		expect((h.staticData['node:Stripe RevOps Trigger'] as { endpoint: { endpointId: string } }).endpoint.endpointId).toBe(at[0].id);
	});
});

describe('deliveries', () => {
	test('signed events from the sandbox are emitted with flat fields; unselected events are acknowledged and dropped', async () => {
		const h = await host({ events: ['customer.created', 'invoice.paid'] });
		await h.activate();
		const customer = await stripe.customers.create({ email: 'jenny@example.com' });
		await stripe.customers.update(customer.id, { name: 'Jenny' });
		await sandbox.deliverWebhooks();
		await h.idle();
		expect(h.emitted).toHaveLength(1);
		const item = h.emitted[0][0].json as Record<string, unknown>;
		expect(item).toMatchObject({
			type: 'customer.created',
			objectId: customer.id,
			objectType: 'customer',
			customerId: customer.id,
			livemode: false,
		});
		// The delivery started one execution that passed the event on to the next node.
		expect(h.executions).toHaveLength(1);
		expect(h.executions[0].status).toBe('success');
		expect(h.executions[0].outputs.NoOp[0][0].json).toEqual(item);
		expect(typeof item.created).toBe('string');
		expect(new Date(item.created as string).toISOString()).toBe(item.created);
	});

	test('a tampered delivery gets 400 and emits nothing', async () => {
		const h = await host({ events: ['*'] });
		await h.activate();
		const body = JSON.stringify({ id: 'evt_forged', object: 'event', type: 'customer.created', created: 1, livemode: false, data: { object: { id: 'cus_x', object: 'customer' } } });
		const header = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: 'whsec_not_the_real_one' });
		const res = await fetch(h.webhookUrl('Stripe RevOps Trigger'), { method: 'POST', headers: { 'Content-Type': 'application/json', 'Stripe-Signature': header }, body });
		expect(res.status).toBe(400);
		expect(((await res.json()) as { error: { reason: string } }).error.reason).toBe('signatureMismatch');
		const unsigned = await fetch(h.webhookUrl('Stripe RevOps Trigger'), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
		expect(unsigned.status).toBe(400);
		expect(h.emitted).toHaveLength(0);
	});

	test('1,000 events with 10% duplicates, shuffled, up to 20 in flight: exactly the 1,000 unique events are emitted', async () => {
		await sandbox.close();
		sandbox = await startSandbox({ seed: 11, rateLimits: false, webhooks: { autoDeliver: false, duplicateRate: 0.1, shuffle: true, maxInFlight: 20 } });
		stripe = new Stripe(sandbox.secretKey, { host: '127.0.0.1', port: sandbox.port, protocol: 'http', maxNetworkRetries: 0 });
		const h = await host({ events: ['customer.created'] });
		await h.activate();
		const ids: string[] = [];
		for (let i = 0; i < 1000; i++) ids.push((await stripe.customers.create({ email: `c${i}@example.com` })).id);
		await sandbox.deliverWebhooks();
		await h.idle();
		// A duplicate that arrives while the first delivery's execution has not run yet gets 409, and
		// Stripe (the sandbox) retries it later: then it is a plain duplicate.
		for (let round = 0; round < 3; round++) {
			await sandbox.clock.advance(3600);
			await sandbox.deliverWebhooks();
			await h.idle();
		}
		const log = sandbox.webhookLog();
		expect(log.length).toBeGreaterThan(1050);
		const acknowledged = new Set(log.filter((d) => d.status === 200).map((d) => d.event));
		expect(acknowledged.size).toBe(1000);
		expect(log.every((d) => d.status === 200 || d.status === 409)).toBe(true);
		const emittedIds = h.emitted.map((batch) => (batch[0].json as { objectId: string }).objectId);
		expect(emittedIds).toHaveLength(1000);
		expect(new Set(emittedIds)).toEqual(new Set(ids));
		// Shuffled: the emission order is not the creation order.
		expect(emittedIds).not.toEqual(ids);
		// Every execution passed its event on; none ran twice.
		const passedOn = h.executions.flatMap((run) => run.outputs.NoOp?.[0] ?? []).map((item) => (item.json as { eventId: string }).eventId);
		expect(passedOn).toHaveLength(1000);
		expect(new Set(passedOn).size).toBe(1000);
		// n8n's deduplication store (read and rewritten without a lock) lost none of the 1,000 ids.
		expect(h.processedData.entriesOf('harness', `trigger-${nodeCounter}`)).toHaveLength(1000);
		expect(h.processedData.insertConflicts).toBe(0);
	});

	test('after a restart, a redelivery of an emitted event is stopped by n8n\'s deduplication store: nothing downstream runs again', async () => {
		const h = await host({ events: ['customer.created'] });
		await h.activate();
		await stripe.customers.create({ email: 'a@example.com' });
		await sandbox.deliverWebhooks();
		await h.idle();
		expect(h.emitted).toHaveLength(1);
		const eventId = (h.emitted[0][0].json as { eventId: string }).eventId;
		const nodeId = `trigger-${nodeCounter}`;
		expect(h.processedData.has('harness', nodeId, eventId)).toBe(true);
		// Static data holds the endpoint only: no memory snapshot that an execution could write back stale.
		expect(Object.keys(h.staticData['node:Stripe RevOps Trigger'] as object)).toEqual(['endpoint']);
		// "Restart": fresh process memory (a new node id key) over the same database (static data and processed data).
		const saved = JSON.parse(JSON.stringify(h.staticData));
		const restartedId = `trigger-restarted-${++nodeCounter}`;
		const restarted = await startWebhookHost(triggerWorkflow({ events: ['customer.created'] } as never, restartedId), {
			credentials: credentials(),
			staticData: { 'node:Stripe RevOps Trigger': saved['node:Stripe RevOps Trigger'] },
			processedData: h.processedData.withNodeRenamed('harness', nodeId, restartedId),
		});
		hosts.push(restarted);
		const event = await stripe.events.retrieve(eventId);
		const payload = JSON.stringify(event);
		const secret = (saved['node:Stripe RevOps Trigger'] as { endpoint: { secret: string } }).endpoint.secret;
		const send = () =>
			fetch(restarted.webhookUrl('Stripe RevOps Trigger'), {
				method: 'POST',
				headers: { 'Content-Type': 'application/json', 'Stripe-Signature': Stripe.webhooks.generateTestHeaderString({ payload, secret }) },
				body: payload,
			});
		expect((await send()).status).toBe(200);
		await restarted.idle();
		expect(restarted.executions).toHaveLength(1);
		expect(restarted.executions[0].outputs.NoOp).toBeUndefined();
		expect(restarted.logs.some((l) => l.message.includes(`event ${eventId} was already emitted`))).toBe(true);
		// The execution told the process memory: the next redelivery starts no execution at all.
		const again = await send();
		expect(((await again.json()) as { reason: string }).reason).toBe('duplicate');
		await restarted.idle();
		expect(restarted.executions).toHaveLength(1);
	});
});

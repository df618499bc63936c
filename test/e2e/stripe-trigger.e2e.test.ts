/**
 * The Stripe RevOps Trigger in a real n8n 2.41.1 (Node 24) with the packed package, fed by the Stripe
 * sandbox running in this Jest process: activation registers exactly one endpoint at n8n's production
 * URL; 1,000 events delivered with 10 % duplicates, shuffled, 20 in flight start exactly 1,000
 * executions; tampered deliveries get 400 and start nothing; the dedupe memory and the endpoint
 * survive a restart of n8n; deactivate → activate leaves exactly one endpoint.
 *
 * One n8n serves the whole file (it is restarted once, on the same user folder and port, by the
 * restart test), so the tests run in order and build on each other.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

import Stripe from 'stripe';

import { startSandbox, type Sandbox } from '../../sandbox';
import { packPackage, startN8n, type N8nInstance, type StartOptions } from './helpers/n8n';
import { loadFixture } from './helpers/package';
import { executionsReader, firstItem, inFlight, postRaw, waitFor, type ExecutionsReader, type PublicExecution } from './triggerHelpers';

interface WorkflowFixture {
	id: string;
	nodes: Array<{ name: string; webhookId?: string; parameters: Record<string, unknown> }>;
}

interface TriggerStaticData {
	endpoint?: { endpointId?: string; secret?: string; url?: string; apiVersion?: string };
}

const API_VERSION = '2026-10-28.endive';
const TRIGGER = 'Stripe RevOps Trigger';
const EVENTS = 1000;

const workflow = loadFixture<WorkflowFixture>('stripe-trigger.workflow.json');
/** Trigger (customer.updated) → Wait 6 s → NoOp: executions stay in flight while the workflow is re-published. */
const waitWorkflow = loadFixture<WorkflowFixture>('stripe-trigger-wait.workflow.json');
const WORKFLOW_ID = workflow.id;
const WEBHOOK_ID = workflow.nodes.find((node) => node.name === TRIGGER)!.webhookId!;

let sandbox: Sandbox;
let stripe: Stripe;
let n8n: N8nInstance;
let executions: ExecutionsReader;
let userFolder: string;
let ownTarball: string | undefined;
let tarball: string;
/** customer.created events of the 1,000 customers, in creation order. */
let emittedEventIds: string[] = [];

const webhookPath = () => `${WEBHOOK_ID}/webhook`;
const webhookUrl = () => n8n.webhookUrl(webhookPath());

async function allEndpoints(): Promise<Stripe.WebhookEndpoint[]> {
	return await stripe.webhookEndpoints.list({ limit: 100 }).autoPagingToArray({ limit: 1000 });
}

async function triggerStaticData(workflowId = WORKFLOW_ID): Promise<TriggerStaticData> {
	const stored = await n8n.rest<{ staticData?: Record<string, TriggerStaticData> | null }>('GET', `/rest/workflows/${workflowId}`);
	return stored.staticData?.[`node:${TRIGGER}`] ?? {};
}

/**
 * n8n 2.41 publishes a workflow in the background (an outbox): the REST call returns first, then the
 * webhook path is stored, then the node's checkExists/create run. Waits until the sandbox holds an
 * endpoint at n8n's URL, the webhook answers, and the trigger saved the endpoint's secret.
 */
async function waitUntilRegistered(): Promise<Stripe.WebhookEndpoint> {
	const endpoint = await waitFor('an endpoint at n8n\'s webhook URL in the sandbox', async () =>
		(await allEndpoints()).find((candidate) => candidate.url === webhookUrl()),
	);
	await n8n.waitForWebhook(webhookPath());
	await waitFor('the endpoint id and secret in the trigger\'s static data', async () => {
		const state = (await triggerStaticData()).endpoint;
		return state?.endpointId === endpoint.id && Boolean(state.secret);
	});
	return endpoint;
}

/** n8n on this file's user folder, so a restart (same folder, same port) keeps its data and webhook URLs. */
async function startInstance(options: Pick<StartOptions, 'port' | 'imports'> = {}): Promise<N8nInstance> {
	return await startN8n({ ...options, packageTarball: tarball, userFolder, keepUserFolder: true });
}

/** Sandbox-side delivery of everything queued, then n8n's executions of those events. */
async function deliverAndWaitForExecutions(expectedTotal: number): Promise<void> {
	await sandbox.deliverWebhooks();
	// n8n creates the execution before it answers an onReceived webhook, so the count is final here;
	// waiting covers the executions still running.
	await waitFor(`${expectedTotal} executions`, async () => (await executions.count(WORKFLOW_ID)) >= expectedTotal, { timeoutMs: 120_000, intervalMs: 500 });
}

/** The trigger's `reason` for a 200 that emitted nothing, or the raw body when it is not the trigger's JSON. */
function reasonOf(body: string): string {
	try {
		return (JSON.parse(body) as { reason?: string }).reason ?? body;
	} catch {
		return body;
	}
}

/** How many executions of a workflow have not finished (n8n's REST list shows running ones too). */
async function unfinished(workflowId: string): Promise<number> {
	const filter = encodeURIComponent(JSON.stringify({ workflowId }));
	const page = await n8n.rest<{ results: Array<{ status: string }> }>('GET', `/rest/executions?filter=${filter}&limit=100`);
	return page.results.filter((execution) => ['new', 'running', 'waiting'].includes(execution.status)).length;
}

function signedWith(secret: string, payload: string): string {
	return Stripe.webhooks.generateTestHeaderString({ payload, secret });
}

beforeAll(async () => {
	sandbox = await startSandbox({
		seed: 4242,
		rateLimits: false,
		webhooks: { autoDeliver: false, duplicateRate: 0.1, shuffle: true, maxInFlight: 20 },
	});
	stripe = new Stripe(sandbox.secretKey, { host: '127.0.0.1', port: sandbox.port, protocol: 'http', maxNetworkRetries: 0 });
	tarball = process.env.N8N_E2E_PACKAGE_TARBALL || (ownTarball = await packPackage());
	userFolder = await mkdtemp(path.join(tmpdir(), 'n8n-e2e-trigger-'));
	n8n = await startInstance({
		imports: {
			credentials: [loadFixture('stripe-trigger.credentials.json', { SECRET_KEY: sandbox.secretKey, STRIPE_BASE_URL: sandbox.url })],
			workflows: [workflow, waitWorkflow],
		},
	});
	executions = await executionsReader(n8n);
});

afterAll(async () => {
	await n8n?.stop();
	await sandbox?.close();
	if (userFolder) await rm(userFolder, { recursive: true, force: true });
	if (ownTarball) await rm(path.dirname(ownTarball), { recursive: true, force: true });
});

describe('Stripe RevOps Trigger in a real n8n', () => {
	it('activation registers exactly one endpoint in the sandbox, at n8n\'s production webhook URL, with the credential\'s API version', async () => {
		expect(await allEndpoints()).toEqual([]);
		await n8n.activateWorkflow(WORKFLOW_ID);
		const endpoint = await waitUntilRegistered();

		const endpoints = await allEndpoints();
		expect(endpoints).toHaveLength(1);
		expect(endpoints[0]).toMatchObject({
			id: endpoint.id,
			url: `${n8n.url}/webhook/${WEBHOOK_ID}/webhook`,
			enabled_events: ['customer.created'],
			api_version: API_VERSION,
			status: 'enabled',
		});
		expect(await executions.count(WORKFLOW_ID)).toBe(0);
	});

	it(`${EVENTS} events with 10 % duplicates, shuffled, 20 in flight, start exactly ${EVENTS} executions with the ${EVENTS} unique events`, async () => {
		const customers: string[] = [];
		for (let i = 0; i < EVENTS; i++) customers.push((await stripe.customers.create({ email: `e2e-${i}@example.com` })).id);
		const created = await stripe.events.list({ type: 'customer.created', limit: 100 }).autoPagingToArray({ limit: 10_000 });
		expect(created).toHaveLength(EVENTS);
		const eventOf = new Map(created.map((event) => [(event.data.object as Stripe.Customer).id, event.id]));
		emittedEventIds = customers.map((id) => eventOf.get(id)!);

		await deliverAndWaitForExecutions(EVENTS);
		// A duplicate that arrives while the first delivery's execution has not run yet is answered 409
		// (not a 2xx: the first may still fail); Stripe retries it later, and then it is a plain duplicate.
		for (let round = 0; round < 3 && sandbox.webhookLog().some((d) => d.status !== 200); round++) {
			await sandbox.clock.advance(3600);
			await sandbox.deliverWebhooks();
		}

		const deliveries = sandbox.webhookLog();
		// Every delivery was acknowledged or answered 409 (and then retried); the sandbox did send repeats.
		expect(deliveries.filter((delivery) => delivery.status !== 200 && delivery.status !== 409)).toEqual([]);
		expect(new Set(deliveries.filter((d) => d.status === 200).map((delivery) => delivery.event))).toEqual(new Set(emittedEventIds));
		expect(deliveries.length).toBeGreaterThan(EVENTS + 50);

		const all = await waitFor('every execution to finish', async () => {
			const list = await executions.all(WORKFLOW_ID);
			return list.every((execution) => execution.finished) ? list : undefined;
		});
		expect(all).toHaveLength(EVENTS);
		expect(all.filter((execution) => execution.status !== 'success').map((execution) => execution.id)).toEqual([]);
		expect(new Set(all.map((execution) => execution.mode))).toEqual(new Set(['webhook']));

		const items = all.map((execution) => firstItem(execution, TRIGGER)!);
		const eventIds = items.map((item) => item.eventId as string);
		expect(new Set(eventIds).size).toBe(EVENTS);
		expect(new Set(eventIds)).toEqual(new Set(emittedEventIds));
		expect(new Set(items.map((item) => item.objectId as string))).toEqual(new Set(customers));
		// The NoOp after the trigger received the item too.
		expect(all.every((execution: PublicExecution) => firstItem(execution, 'NoOp')?.eventId === firstItem(execution, TRIGGER)?.eventId)).toBe(true);

		const one = items.find((item) => item.objectId === customers[0])!;
		expect(one).toMatchObject({
			type: 'customer.created',
			eventId: emittedEventIds[0],
			objectType: 'customer',
			customerId: customers[0],
			livemode: false,
			apiVersion: API_VERSION,
		});
		expect(new Date(one.created as string).toISOString()).toBe(one.created);
		expect((one.event as { data: { object: { email: string } } }).data.object.email).toBe('e2e-0@example.com');
	});

	it('keeps nothing but the endpoint in the workflow\'s static data (the memory of emitted events is in n8n\'s deduplication store)', async () => {
		expect(Object.keys(await triggerStaticData())).toEqual(['endpoint']);
	});

	it('a tampered delivery gets 400 and starts no execution', async () => {
		const before = await executions.count(WORKFLOW_ID);
		const secret = (await triggerStaticData()).endpoint!.secret!;
		const event = await stripe.events.retrieve(emittedEventIds[0]);
		const forged = JSON.stringify({ ...event, id: 'evt_forged_e2e_000000000001' }, null, 2);

		const wrongSecret = await postRaw(webhookUrl(), forged, { 'stripe-signature': signedWith('whsec_not_the_endpoint_secret_0000', forged) });
		expect(wrongSecret.status).toBe(400);
		expect(JSON.parse(wrongSecret.body)).toMatchObject({ error: { reason: 'signatureMismatch' } });
		// The sender learns nothing about the secret; n8n's log has the diagnosis.
		expect(JSON.parse(wrongSecret.body).error.message).toBe('The delivery could not be verified as coming from Stripe. Details are in the n8n log.');

		// Signed by the real secret, but over other bytes than the ones sent.
		const original = JSON.stringify({ ...event, id: 'evt_forged_e2e_000000000002' }, null, 2);
		const bodyChanged = await postRaw(webhookUrl(), original.replace('e2e-0@example.com', 'mallory@example.com'), {
			'stripe-signature': signedWith(secret, original),
		});
		expect(bodyChanged.status).toBe(400);
		expect(JSON.parse(bodyChanged.body)).toMatchObject({ error: { reason: 'signatureMismatch' } });

		const unsigned = await postRaw(webhookUrl(), forged, {});
		expect(unsigned.status).toBe(400);
		expect(JSON.parse(unsigned.body)).toMatchObject({ error: { reason: 'missingHeader' } });

		// A genuine event afterwards starts exactly one execution: nothing else was started in between.
		const customer = await stripe.customers.create({ email: 'after-tamper@example.com' });
		await deliverAndWaitForExecutions(before + 1);
		const after = await executions.all(WORKFLOW_ID);
		expect(after).toHaveLength(before + 1);
		expect(after.map((execution) => firstItem(execution, TRIGGER)?.eventId)).not.toContain('evt_forged_e2e_000000000001');
		const genuine = after.map((execution) => firstItem(execution, TRIGGER)!).find((item) => item.objectId === customer.id);
		expect(genuine).toBeDefined();
		emittedEventIds.push(genuine!.eventId as string);
	});

	it('after a restart of n8n the endpoint is reused (still exactly one) and events already emitted are not emitted again', async () => {
		const before = await allEndpoints();
		expect(before).toHaveLength(1);
		const { port } = n8n;
		await n8n.stop();
		n8n = await startInstance({ port });
		executions = await executionsReader(n8n);
		await n8n.waitForWebhook(webhookPath());

		const after = await allEndpoints();
		expect(after).toHaveLength(1);
		expect(after[0].id).toBe(before[0].id);

		// Stripe retries after an outage: every event already emitted arrives again, 20 at a time.
		const count = await executions.count(WORKFLOW_ID);
		const secret = (await triggerStaticData()).endpoint!.secret!;
		const replay = async () =>
			await inFlight(
				emittedEventIds.map((id) => async () => {
					const payload = JSON.stringify(await stripe.events.retrieve(id), null, 2);
					return await postRaw(webhookUrl(), payload, { 'stripe-signature': signedWith(secret, payload) });
				}),
				20,
			);
		// The restarted process has an empty memory: each replay starts an execution in which the trigger
		// finds the event in n8n's deduplication store (in the database) and passes nothing on.
		const replays = await replay();
		expect(replays.filter((answer) => answer.status !== 200)).toEqual([]);
		const afterReplay = await waitFor(
			'every replay execution to finish',
			async () => {
				const list = await executions.all(WORKFLOW_ID);
				return list.length >= count + emittedEventIds.length && list.every((execution) => execution.finished) ? list : undefined;
			},
			{ timeoutMs: 240_000, intervalMs: 1000 },
		);
		expect(afterReplay).toHaveLength(count + emittedEventIds.length);
		expect(afterReplay.filter((execution) => execution.status !== 'success')).toEqual([]);
		const passedOn = afterReplay.map((execution) => firstItem(execution, 'NoOp')?.eventId).filter(Boolean);
		expect(passedOn).toHaveLength(count);
		expect(new Set(passedOn).size).toBe(count);
		// Those executions told the process memory: a second replay starts no execution at all.
		const again = await replay();
		expect(again.map((answer) => reasonOf(answer.body)).filter((reason) => reason !== 'duplicate')).toEqual([]);
		const settled = await executions.count(WORKFLOW_ID);
		expect(settled).toBe(count + emittedEventIds.length);

		// A new event still goes through (answered with the node's own acknowledgement), once.
		const customer = await stripe.customers.create({ email: 'after-restart@example.com' });
		const [fresh] = (await stripe.events.list({ type: 'customer.created', limit: 1 })).data;
		expect((fresh.data.object as Stripe.Customer).id).toBe(customer.id);
		const payload = JSON.stringify(fresh, null, 2);
		const answer = await postRaw(webhookUrl(), payload, { 'stripe-signature': signedWith(secret, payload) });
		expect(answer.status).toBe(200);
		expect(JSON.parse(answer.body)).toMatchObject({ received: true, emitted: true, id: fresh.id });
		// The sandbox's own delivery of the same event is then a duplicate.
		await deliverAndWaitForExecutions(settled + 1);
		expect(await executions.count(WORKFLOW_ID)).toBe(settled + 1);
		// A restart, two replays of every emitted event and their executions: on a loaded 2-CPU CI machine this
		// took longer than the suite's 300 s once (2026-12-02), so it gets 600 s (its waits keep their own limits).
	}, 600_000);

	it('deactivate → activate leaves exactly one endpoint, and deliveries verify with its new secret', async () => {
		const [first] = await allEndpoints();
		await n8n.deactivateWorkflow(WORKFLOW_ID);
		await waitFor('the endpoint to be deleted on deactivation', async () => (await allEndpoints()).length === 0);

		await n8n.activateWorkflow(WORKFLOW_ID);
		const endpoint = await waitUntilRegistered();
		const endpoints = await allEndpoints();
		expect(endpoints).toHaveLength(1);
		expect(endpoints[0]).toMatchObject({ id: endpoint.id, url: webhookUrl(), status: 'enabled', enabled_events: ['customer.created'] });
		expect(endpoint.id).not.toBe(first.id);

		const count = await executions.count(WORKFLOW_ID);
		const customer = await stripe.customers.create({ email: 'after-reactivation@example.com' });
		await deliverAndWaitForExecutions(count + 1);
		const latest = sandbox.webhookLog().filter((delivery) => delivery.endpoint === endpoint.id);
		expect(latest.length).toBeGreaterThan(0);
		expect(latest.every((delivery) => delivery.status === 200)).toBe(true);
		const all = await executions.all(WORKFLOW_ID);
		expect(all).toHaveLength(count + 1);
		expect(all.map((execution) => firstItem(execution, TRIGGER)?.objectId)).toContain(customer.id);
	});
	it('a test listener ("Listen for test event") beside the active workflow: production still receives every event, once', async () => {
		// The test session starts first, then the workflow is published: the sandbox, like Stripe, sends each event to
		// the older endpoint (the test one) first, so a shared memory would make production drop the contested event.
		await n8n.deactivateWorkflow(WORKFLOW_ID);
		await waitFor('the production endpoint to be deleted', async () => (await allEndpoints()).length === 0);
		const before = await executions.count(WORKFLOW_ID);
		const started = await n8n.rest<{ waitingForWebhook?: boolean }>('POST', `/rest/workflows/${WORKFLOW_ID}/run`, { triggerToStartFrom: { name: TRIGGER } });
		expect(started.waitingForWebhook).toBe(true);
		const testUrl = `${n8n.url}/webhook-test/${WEBHOOK_ID}/webhook`;
		const testEndpoint = await waitFor('an endpoint at n8n\'s test webhook URL', async () => (await allEndpoints()).find((e) => e.url === testUrl));
		expect(testEndpoint.enabled_events).toEqual(['customer.created']);
		await n8n.activateWorkflow(WORKFLOW_ID);
		await waitUntilRegistered();
		const productionState = JSON.stringify(await triggerStaticData());

		const customers: string[] = [];
		for (let i = 0; i < 20; i++) customers.push((await stripe.customers.create({ email: `listen-${i}@example.com` })).id);
		// Stripe sends each event to both endpoints: here the first one reaches both at the same moment. A memory shared
		// by test and production would answer one of them "duplicate", whichever came second.
		const [contested] = (await stripe.events.list({ type: 'customer.created', limit: 20 })).data.filter((e) => (e.data.object as Stripe.Customer).id === customers[0]);
		const contestedBody = JSON.stringify(contested, null, 2);
		const productionSecret = (await triggerStaticData()).endpoint!.secret!;
		const [toTest, toProduction] = await Promise.all([
			postRaw(testUrl, contestedBody, { 'stripe-signature': signedWith(sandbox.webhookSecrets(testEndpoint.id)[0], contestedBody) }),
			postRaw(webhookUrl(), contestedBody, { 'stripe-signature': signedWith(productionSecret, contestedBody) }),
		]);
		expect([toTest.status, toProduction.status]).toEqual([200, 200]);
		expect(JSON.parse(toProduction.body)).toMatchObject({ emitted: true });
		await deliverAndWaitForExecutions(before + 20);
		// The test session received the first event it was sent, then n8n ended it: its endpoint is deleted.
		await waitFor('the test endpoint to be deleted when the test session ended', async () => !(await allEndpoints()).some((e) => e.url === testUrl));
		expect(JSON.parse(toTest.body)).toMatchObject({ emitted: true });

		await waitFor('every execution to finish', async () => (await unfinished(WORKFLOW_ID)) === 0);
		const all = await executions.all(WORKFLOW_ID);
		const production = all.filter((execution) => execution.mode === 'webhook').map((execution) => firstItem(execution, 'NoOp')?.objectId);
		expect(customers.filter((id) => !production.includes(id))).toEqual([]);
		expect(production.filter((id) => customers.includes(id as string))).toHaveLength(20);
		expect(JSON.stringify(await triggerStaticData())).toBe(productionState);
		expect((await allEndpoints()).map((e) => e.url)).toEqual([webhookUrl()]);
	});

	it('re-publishing while executions are in flight: they finish, and deliveries still verify with the new secret', async () => {
		const WAIT_ID = waitWorkflow.id;
		const waitHook = `${waitWorkflow.nodes.find((node) => node.name === TRIGGER)!.webhookId!}/webhook`;
		const waitUrl = n8n.webhookUrl(waitHook);
		await n8n.activateWorkflow(WAIT_ID);
		const first = await waitFor('the wait workflow\'s endpoint and secret', async () => {
			const endpoint = (await allEndpoints()).find((e) => e.url === waitUrl);
			const state = (await triggerStaticData(WAIT_ID)).endpoint;
			return endpoint && state?.endpointId === endpoint.id && state.secret ? state : undefined;
		});
		await n8n.waitForWebhook(waitHook);

		const customer = await stripe.customers.create({ email: 'republish@example.com' });
		for (let i = 0; i < 5; i++) await stripe.customers.update(customer.id, { name: `In flight ${i}` });
		// n8n answers each delivery once its execution is started; the executions then wait 6 s.
		await sandbox.deliverWebhooks();
		// n8n itself may answer 409 for a moment right after publishing; Stripe (the sandbox) retries those.
		const acknowledged = () => new Set(sandbox.webhookLog().filter((d) => d.endpoint === first.endpointId && d.status === 200).map((d) => d.event));
		for (let round = 0; round < 3 && acknowledged().size < 5; round++) {
			await sandbox.clock.advance(3600);
			await sandbox.deliverWebhooks();
		}
		expect(acknowledged().size).toBe(5);

		// Re-publish while they wait: the endpoint is deleted and a new one (new secret) is created.
		await n8n.deactivateWorkflow(WAIT_ID);
		await n8n.activateWorkflow(WAIT_ID);
		const second = await waitFor('a new endpoint and secret', async () => {
			const state = (await triggerStaticData(WAIT_ID)).endpoint;
			return state?.endpointId && state.endpointId !== first.endpointId && state.secret ? state : undefined;
		});
		const republishedAt = Date.now();
		await n8n.waitForWebhook(waitHook);
		const filter = encodeURIComponent(JSON.stringify({ workflowId: WAIT_ID }));
		const finished = await waitFor('the 5 executions to finish', async () => {
			const page = await n8n.rest<{ results: Array<{ status: string; stoppedAt: string }> }>('GET', `/rest/executions?filter=${filter}&limit=50`);
			return page.results.length >= 5 && page.results.every((execution) => !['new', 'running', 'waiting'].includes(execution.status)) ? page.results : undefined;
		});
		expect(finished.map((execution) => execution.status)).toEqual(['success', 'success', 'success', 'success', 'success']);
		// They were in flight across the re-publish.
		expect(finished.every((execution) => Date.parse(execution.stoppedAt) > republishedAt)).toBe(true);
		// No execution wrote the old endpoint back over the new one.
		expect((await triggerStaticData(WAIT_ID)).endpoint).toEqual(second);

		await stripe.customers.update(customer.id, { name: 'After re-publish' });
		await sandbox.deliverWebhooks();
		const latest = sandbox.webhookLog().filter((d) => d.endpoint === second.endpointId);
		expect(latest.length).toBeGreaterThan(0);
		expect(latest.every((d) => d.status === 200)).toBe(true);
		await waitFor('the new event\'s execution', async () => (await executions.count(WAIT_ID)) >= 6);
		await n8n.deactivateWorkflow(WAIT_ID);
	});
});

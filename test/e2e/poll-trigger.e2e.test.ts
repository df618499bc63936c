/**
 * The Stripe RevOps Events Poll Trigger in a real n8n 2.41.1 (Node 24, its default in-memory poll
 * scheduler) with the packed package, polling the Stripe sandbox running in this Jest process
 * (its clock follows wall time, as Stripe's does):
 * - activation takes position (events from before it are not emitted) and n8n stores that position;
 * - a scheduled poll emits the new events once, oldest first, in one execution;
 * - a poll that finds nothing returns null, and n8n does not store what it changed (observed here:
 *   the node updates the cursor's `listed` time on every such poll, the database keeps the old one);
 * - events created while n8n is down are emitted once by the poll n8n runs at startup, and a second
 *   restart emits nothing again; a scheduled poll after that emits only the next event.
 *
 * One n8n serves the whole file (restarted twice on the same user folder and port), so the tests run
 * in order and build on each other. Scheduled polls come every minute, so this file takes minutes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

import Stripe from 'stripe';

import { startSandbox, type Sandbox } from '../../sandbox';
import { packPackage, startN8n, type N8nInstance, type StartOptions } from './helpers/n8n';
import { executionsReader, waitFor, type ExecutionsReader, type PublicExecution } from './triggerHelpers';

const API_VERSION = '2026-10-28.endive';
const WORKFLOW_ID = 'e2ePollTrigger01';
const CREDENTIAL_ID = 'e2ePollSandbox01';
const POLL = 'Stripe RevOps Events Poll Trigger';
const MINUTE_MS = 60_000;

interface PollCursor {
	v: 1;
	created: number;
	seen: Array<[string, number]>;
	listed?: number;
}

const workflow = {
	id: WORKFLOW_ID,
	name: 'E2E: Stripe RevOps Events Poll Trigger → NoOp',
	nodes: [
		{
			id: '7c1e0a52-3b4d-4f6e-8a9b-0c1d2e3f4a01',
			name: POLL,
			type: 'n8n-nodes-stripe-revops.stripeRevOpsEventsPollTrigger',
			typeVersion: 1,
			position: [0, 0],
			parameters: { pollTimes: { item: [{ mode: 'everyMinute' }] }, events: ['customer.created'] },
			credentials: { stripeRevOpsApi: { id: CREDENTIAL_ID, name: 'Stripe sandbox (e2e poll trigger)' } },
		},
		{
			id: '7c1e0a52-3b4d-4f6e-8a9b-0c1d2e3f4a02',
			name: 'NoOp',
			type: 'n8n-nodes-base.noOp',
			typeVersion: 1,
			position: [220, 0],
			parameters: {},
		},
	],
	connections: { [POLL]: { main: [[{ node: 'NoOp', type: 'main', index: 0 }]] } },
	settings: { executionOrder: 'v1' },
	active: false,
};

let sandbox: Sandbox;
let stripe: Stripe;
let n8n: N8nInstance;
let executions: ExecutionsReader;
let userFolder: string;
let ownTarball: string | undefined;
let tarball: string;
/** When n8n's polls listed events (GET /v1/events), seen by the sandbox. */
const listRequests: number[] = [];
/** customer.created events that exist before activation: never to be emitted. */
let before: string[] = [];

async function storedCursor(): Promise<PollCursor | undefined> {
	const stored = await n8n.rest<{ staticData?: Record<string, { cursor?: PollCursor }> | null }>('GET', `/rest/workflows/${WORKFLOW_ID}`);
	return stored.staticData?.[`node:${POLL}`]?.cursor;
}

/** customer.created events in the sandbox, oldest first. */
async function createdEvents(): Promise<Stripe.Event[]> {
	return (await stripe.events.list({ type: 'customer.created', limit: 100 }).autoPagingToArray({ limit: 10_000 })).reverse();
}

/** Every item the poll trigger emitted, execution by execution (oldest execution first). */
async function emittedItems(): Promise<Array<Array<Record<string, unknown>>>> {
	const all = await waitFor('every execution to finish', async () => {
		const list = await executions.all(WORKFLOW_ID);
		return list.every((execution) => execution.finished) ? list : undefined;
	});
	return all
		.sort((a, b) => Number(a.id) - Number(b.id))
		.map((execution: PublicExecution) => (execution.data.resultData.runData[POLL]?.[0]?.data?.main?.[0] ?? []).map((item) => item.json));
}

async function emittedIds(): Promise<string[]> {
	return (await emittedItems()).flat().map((item) => item.eventId as string);
}

async function startInstance(options: Pick<StartOptions, 'port' | 'imports'> = {}): Promise<N8nInstance> {
	return await startN8n({ ...options, packageTarball: tarball, userFolder, keepUserFolder: true });
}

async function restart(): Promise<void> {
	const { port } = n8n;
	await n8n.stop();
	n8n = await startInstance({ port });
	executions = await executionsReader(n8n);
}

/** Waits until n8n's poller has listed events again (a scheduled tick or the startup poll), and a moment for its hand-off. */
async function nextPoll(after: number, timeoutMs = 2 * MINUTE_MS): Promise<void> {
	await waitFor('the next poll of n8n', () => listRequests.some((at) => at > after), { timeoutMs, intervalMs: 250 });
	await new Promise((resolve) => setTimeout(resolve, 3000));
}

beforeAll(async () => {
	sandbox = await startSandbox({
		seed: 977,
		rateLimits: false,
		webhooks: { autoDeliver: false },
		latencyMs: (request) => {
			if (request.method === 'GET' && request.path === '/v1/events') listRequests.push(Date.now());
			return 0;
		},
	});
	stripe = new Stripe(sandbox.secretKey, { host: '127.0.0.1', port: sandbox.port, protocol: 'http', maxNetworkRetries: 0 });
	tarball = process.env.N8N_E2E_PACKAGE_TARBALL || (ownTarball = await packPackage());
	userFolder = await mkdtemp(path.join(tmpdir(), 'n8n-e2e-poll-'));
	n8n = await startInstance({
		imports: {
			credentials: [
				[
					{
						id: CREDENTIAL_ID,
						name: 'Stripe sandbox (e2e poll trigger)',
						type: 'stripeRevOpsApi',
						data: { secretKey: sandbox.secretKey, baseUrl: sandbox.url, apiVersion: API_VERSION, stripeAccount: '' },
					},
				],
			],
			workflows: [workflow],
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

describe('Stripe RevOps Events Poll Trigger in a real n8n', () => {
	it('activation takes position at the newest event (n8n stores it) and emits nothing', async () => {
		for (let i = 0; i < 2; i++) await stripe.customers.create({ email: `before-${i}@example.com` });
		before = (await createdEvents()).map((event) => event.id);
		expect(before).toHaveLength(2);
		await n8n.activateWorkflow(WORKFLOW_ID);
		const cursor = await waitFor('the position in the workflow\'s static data', storedCursor);
		const events = await createdEvents();
		expect(cursor.created).toBe(events[events.length - 1].created);
		expect(cursor.seen.map(([id]) => id)).toEqual(expect.arrayContaining(before));
		expect(await executions.count(WORKFLOW_ID)).toBe(0);
	});

	it('a scheduled poll emits the new events once, oldest first, in one execution; n8n stores the cursor with it', async () => {
		const customers: string[] = [];
		for (let i = 0; i < 3; i++) customers.push((await stripe.customers.create({ email: `tick-${i}@example.com` })).id);
		await waitFor('an execution of the poll trigger', async () => (await executions.count(WORKFLOW_ID)) >= 1, { timeoutMs: 2 * MINUTE_MS, intervalMs: 500 });
		const items = await emittedItems();
		expect(items).toHaveLength(1);
		expect(items[0].map((item) => item.objectId)).toEqual(customers);
		expect(items[0][0]).toMatchObject({ type: 'customer.created', objectType: 'customer', livemode: false, apiVersion: API_VERSION });
		const events = await createdEvents();
		const cursor = await waitFor('the stored cursor to hold the emitted events', async () => {
			const stored = await storedCursor();
			return stored && stored.created === events[events.length - 1].created ? stored : undefined;
		});
		expect(cursor.seen.map(([id]) => id)).toEqual(expect.arrayContaining(items[0].map((item) => item.eventId as string)));
	});

	it('a poll that finds nothing returns null, and n8n 2.41.1 does not store what it changed', async () => {
		const stored = (await storedCursor())!;
		expect(stored.listed).toBeDefined();
		const since = Date.now();
		await nextPoll(since);
		// The node set cursor.listed to the time of this poll; the database still has the last hand-off's.
		expect(await storedCursor()).toEqual(stored);
		expect(await executions.count(WORKFLOW_ID)).toBe(1);
	});

	it('events created while n8n is down are emitted once by the poll n8n runs at startup; a second restart emits nothing again', async () => {
		const { port } = n8n;
		await n8n.stop();
		const whileDown: string[] = [];
		for (let i = 0; i < 2; i++) whileDown.push((await stripe.customers.create({ email: `down-${i}@example.com` })).id);
		n8n = await startInstance({ port });
		executions = await executionsReader(n8n);
		await waitFor('the startup poll\'s execution', async () => (await executions.count(WORKFLOW_ID)) >= 2, { timeoutMs: 2 * MINUTE_MS, intervalMs: 500 });
		const items = await emittedItems();
		expect(items).toHaveLength(2);
		expect(items[1].map((item) => item.objectId)).toEqual(whileDown);

		const since = Date.now();
		await restart();
		await nextPoll(since);
		expect(await executions.count(WORKFLOW_ID)).toBe(2);
	});

	it('after the restarts a scheduled poll emits only the next event; every event after activation was emitted exactly once', async () => {
		const customer = await stripe.customers.create({ email: 'after-restarts@example.com' });
		await waitFor('the next execution', async () => (await executions.count(WORKFLOW_ID)) >= 3, { timeoutMs: 2 * MINUTE_MS, intervalMs: 500 });
		const items = await emittedItems();
		expect(items).toHaveLength(3);
		expect(items[2].map((item) => item.objectId)).toEqual([customer.id]);

		const ids = await emittedIds();
		const expected = (await createdEvents()).map((event) => event.id).filter((id) => !before.includes(id));
		expect(ids).toEqual(expected);
		expect(new Set(ids).size).toBe(ids.length);
		const logs = await n8n.logs();
		expect(logs).not.toMatch(/previous poll of this node is still running/);
	});
});

import Stripe from 'stripe';
import type { IDataObject, INodeExecutionData, INodeProperties, WorkflowActivateMode } from 'n8n-workflow';

import { POLL_DEFAULTS } from '../../lib/events/poll';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../sandbox';
import { loadPackages, runPoll, type PollRun, type WorkflowJson } from '../harness/n8n';
import { PKG } from './fixtures';

let sandbox: Sandbox;
let stripe: Stripe;
const T0 = 1_780_000_000;
const hostNow = () => Math.floor(Date.now() / 1000);

/** The sandbox's clock runs with wall time from `now` (default: the host's time, as with a real Stripe). */
async function start(options: Partial<SandboxOptions> = {}) {
	await sandbox?.close();
	sandbox = await startSandbox({ seed: 3, rateLimits: false, now: T0, webhooks: { autoDeliver: false }, ...options });
	stripe = new Stripe(sandbox.secretKey, { host: '127.0.0.1', port: sandbox.port, protocol: 'http', maxNetworkRetries: 0 });
}

beforeEach(async () => {
	await start();
});
afterEach(() => sandbox.close());

function workflow(parameters: Record<string, unknown>): WorkflowJson {
	return {
		nodes: [
			{
				id: 'poll-1',
				name: 'Poll',
				type: `${PKG}.stripeRevOpsEventsPollTrigger`,
				typeVersion: 1,
				position: [0, 0],
				parameters: parameters as never,
				credentials: { stripeRevOpsApi: { id: '1', name: 'Stripe sandbox' } },
			},
		],
		connections: {},
	};
}

const credentials = () => ({ stripeRevOpsApi: { secretKey: sandbox.secretKey, baseUrl: sandbox.url, apiVersion: '2026-10-28.endive', stripeAccount: '' } });

/** The poll node reads the real time; the sandbox's clock is moved to it so events are "now". */
function syncClock() {
	sandbox.clock.set(Math.floor(Date.now() / 1000));
}

function ids(items: PollRun['items']): string[] {
	return (items?.[0] ?? []).filter((i) => !i.json.gap).map((i) => i.json.eventId as string);
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/**
 * One running n8n with the workflow active: `memory` is its in-memory static data, `db` what it
 * saved (runPoll says when n8n 2.41.1 saves). `restart()` starts again from the database and runs
 * the poll n8n runs when it activates the workflow at startup.
 */
class RunningN8n {
	memory: IDataObject = {};

	db: IDataObject | undefined;

	readonly executions: INodeExecutionData[][][] = [];

	constructor(
		readonly wf: WorkflowJson,
		readonly extra: Partial<Parameters<typeof runPoll>[2]> = {},
	) {}

	async poll(options: Partial<Parameters<typeof runPoll>[2]> = {}): Promise<PollRun> {
		const run = await runPoll(this.wf, 'Poll', { credentials: credentials(), staticData: this.memory, ...this.extra, ...options });
		if (run.persisted !== undefined) this.db = run.persisted;
		this.executions.push(...run.executions);
		return run;
	}

	async activate(activation: WorkflowActivateMode = 'activate'): Promise<PollRun> {
		return await this.poll({ activation });
	}

	async restart(): Promise<PollRun> {
		this.memory = this.db === undefined ? {} : clone(this.db);
		return await this.activate('init');
	}

	/** Event ids of all executions so far, in order. */
	emitted(): string[] {
		return this.executions.flatMap((execution) => ids(execution));
	}

	cursor(from: IDataObject | undefined = this.memory): { created: number; seen: Array<[string, number]>; listed?: number } | undefined {
		return (from?.['node:Poll'] as IDataObject | undefined)?.cursor as never;
	}
}

/** Events of the given types in the sandbox, oldest first. */
async function sandboxEvents(types: string[]): Promise<Stripe.Event[]> {
	const all = await stripe.events.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 });
	return all.filter((e) => types.includes(e.type)).reverse();
}

function expectOnceOldestFirst(emitted: string[], events: Stripe.Event[]) {
	expect(new Set(emitted).size).toBe(emitted.length);
	expect([...emitted].sort()).toEqual(events.map((e) => e.id).sort());
	const createdOf = new Map(events.map((e) => [e.id, e.created]));
	const times = emitted.map((id) => createdOf.get(id) ?? -1);
	expect(times).toEqual([...times].sort((a, b) => a - b));
}

test('polled repeatedly while events are produced (several per second), each event is emitted exactly once, oldest first, also across a restart', async () => {
	syncClock();
	const wf = workflow({ events: ['customer.created', 'customer.updated'] });
	const n8n = new RunningN8n(wf);
	// The activation poll takes position and emits nothing.
	expect((await n8n.activate()).items).toBeNull();
	const created: string[] = [];
	for (let round = 0; round < 6; round++) {
		syncClock();
		// Several events in the same second, between polls.
		for (let i = 0; i < 7; i++) {
			const c = await stripe.customers.create({ email: `r${round}-${i}@example.com` });
			created.push(c.id);
			if (i % 3 === 0) await stripe.customers.update(c.id, { name: `N${i}` });
		}
		if (round === 3) await n8n.restart();
		else await n8n.poll();
		// A poll right after, with nothing new, emits nothing.
		expect((await n8n.poll()).items).toBeNull();
	}
	const emitted = n8n.emitted();
	const all = (await stripe.events.list({ limit: 100 }).autoPagingToArray({ limit: 1000 })).filter(
		(e) => e.type === 'customer.created' || e.type === 'customer.updated',
	);
	const allIds = all.map((e) => e.id);
	expect(allIds).toHaveLength(42 + 6 * 3);
	expect(emitted).toHaveLength(allIds.length);
	// Oldest first: creation times never go backwards in emission order.
	const createdOf = new Map(all.map((e) => [e.id, e.created]));
	const times = emitted.map((id) => createdOf.get(id) ?? -1);
	expect(times).toEqual([...times].sort((a, b) => a - b));
	expect(new Set(emitted)).toEqual(new Set(allIds));
	expect(new Set(emitted).size).toBe(emitted.length);
	expect(created.length).toBe(42);
});

test('the first poll with a lookback emits recent events; filters by type', async () => {
	syncClock();
	await stripe.customers.create({ email: 'a@example.com' });
	const product = await stripe.products.create({ name: 'Pro' });
	expect(product.id).toMatch(/^prod_/);
	const run = await runPoll(workflow({ events: ['customer.created'], options: { lookbackHours: 1 } }), 'Poll', { credentials: credentials() });
	const items = run.items?.[0] ?? [];
	expect(items.map((i) => i.json.type)).toEqual(['customer.created']);
	expect(items[0].json).toMatchObject({ objectType: 'customer', livemode: false });
});

test('a cursor older than Stripe\'s 30-day retention says clearly that events may be missing', async () => {
	syncClock();
	const wf = workflow({ events: ['*'] });
	const first = await runPoll(wf, 'Poll', { credentials: credentials(), activation: 'activate' });
	// Pretend n8n was down for 40 days.
	const stale = clone(first.persisted!);
	const cursor = (stale['node:Poll'] as IDataObject).cursor as unknown as { created: number; seen: Array<[string, number]>; listed: number };
	const shift = 40 * 86400;
	cursor.created -= shift;
	cursor.listed -= shift;
	cursor.seen = cursor.seen.map(([id, created]) => [id, created - shift]);
	await stripe.customers.create({ email: 'late@example.com' });
	const run = await runPoll(wf, 'Poll', { credentials: credentials(), staticData: stale });
	const gap = run.items?.[0].find((i) => i.json.gap);
	expect(gap).toBeDefined();
	expect(String(gap?.json.message)).toMatch(/30 days|retention/i);
	expect(ids(run.items)).toHaveLength(1);
});

test('a bad key gives an n8n API error that says what Stripe answered', async () => {
	const wf = workflow({ events: ['*'] });
	await expect(
		runPoll(wf, 'Poll', { credentials: { stripeRevOpsApi: { ...credentials().stripeRevOpsApi, secretKey: 'sk_test_wrong_key_123' } } }),
	).rejects.toMatchObject({ name: 'NodeApiError', httpCode: '401' });
});

describe('runPoll persists what n8n 2.41.1 persists', () => {
	test('static data is saved when a poll emits and after the activation poll, not after a poll that returns null', async () => {
		syncClock();
		const n8n = new RunningN8n(workflow({ events: ['customer.created'] }));
		const activation = await n8n.activate();
		expect(activation.items).toBeNull();
		expect(n8n.cursor(activation.persisted)).toBeDefined();
		const customer = await stripe.customers.create({ email: 'p@example.com' });
		const emitting = await n8n.poll();
		expect(emitting.executions).toHaveLength(1);
		expect(n8n.cursor(emitting.persisted)?.seen.length).toBeGreaterThan(0);
		await stripe.customers.update(customer.id, { name: 'not selected' });
		const quiet = await n8n.poll();
		expect(quiet.items).toBeNull();
		expect(quiet.persisted).toBeUndefined();
	});
});

describe('item 9: overlapping polls', () => {
	test('two polls of one node started together (a long catch-up running into the next tick) emit each event once; the overlapping one emits nothing', async () => {
		syncClock();
		const n8n = new RunningN8n(workflow({ events: ['customer.created'] }));
		await n8n.activate();
		for (let i = 0; i < 5; i++) await stripe.customers.create({ email: `o${i}@example.com` });
		sandbox.setFaults({ latencyMs: 40 }); // the first poll is still listing when the second starts
		const runs = await Promise.all([n8n.poll(), n8n.poll()]);
		sandbox.setFaults({});
		expect(runs.map((r) => r.items === null)).toEqual([false, true]);
		expectOnceOldestFirst(n8n.emitted(), await sandboxEvents(['customer.created']));
		expect((await n8n.poll()).items).toBeNull();
	});

	test('a manual "Fetch Test Event" during a production poll is not blocked and does not touch the cursor', async () => {
		syncClock();
		const wf = workflow({ events: ['customer.created'] });
		const n8n = new RunningN8n(wf);
		await n8n.activate();
		await stripe.customers.create({ email: 'm@example.com' });
		const before = clone(n8n.memory);
		sandbox.setFaults({ latencyMs: 40 });
		const [manual, production] = await Promise.all([
			runPoll(wf, 'Poll', { credentials: credentials(), mode: 'manual', staticData: clone(before) }),
			n8n.poll(),
		]);
		sandbox.setFaults({});
		expect(ids(manual.items)).toHaveLength(1);
		expect(manual.staticData).toEqual(before);
		expect(ids(production.items)).toEqual(ids(manual.items));
	});
});

describe('item 10: the cursor follows Stripe\'s clock', () => {
	test('a host clock ahead of Stripe\'s skips no events; the cursor is the newest created seen', async () => {
		await start({ now: hostNow() - 120 }); // Stripe two minutes behind this host
		const n8n = new RunningN8n(workflow({ events: ['customer.created'] }));
		await n8n.activate();
		for (let round = 0; round < 3; round++) {
			for (let i = 0; i < 2; i++) await stripe.customers.create({ email: `s${round}-${i}@example.com` });
			await n8n.poll();
			const events = await sandboxEvents(['customer.created']);
			expect(n8n.cursor()?.created).toBe(events[events.length - 1].created);
			expect(n8n.cursor()!.created).toBeLessThan(hostNow() - 60);
		}
		expectOnceOldestFirst(n8n.emitted(), await sandboxEvents(['customer.created']));
	});

	test('Overlap (Seconds) is an option: it sets how far before the newest event the cursor keeps ids', async () => {
		const types = await loadPackages();
		const description = types[PKG].getNode('stripeRevOpsEventsPollTrigger').type.description as { properties: INodeProperties[] };
		const options = description.properties.find((p) => p.name === 'options')?.options as INodeProperties[];
		expect(options.find((o) => o.name === 'overlapSeconds')).toMatchObject({ type: 'number', default: POLL_DEFAULTS.overlapSeconds });
		expect(options.find((o) => o.name === 'maxEventsPerPoll')).toMatchObject({ default: POLL_DEFAULTS.maxEventsPerPoll });

		syncClock();
		const wide = new RunningN8n(workflow({ events: ['customer.created'], options: { overlapSeconds: 120 } }));
		const narrow = new RunningN8n(workflow({ events: ['customer.created'] }));
		await wide.activate();
		await narrow.activate();
		await stripe.customers.create({ email: 'a@example.com' });
		sandbox.clock.set(sandbox.clock.now() + 60);
		await stripe.customers.create({ email: 'b@example.com' });
		await wide.poll();
		await narrow.poll();
		expect(wide.emitted()).toEqual(narrow.emitted());
		expect(wide.cursor()?.seen).toHaveLength(2);
		expect(narrow.cursor()?.seen).toHaveLength(1);
	});
});

describe('item 11: progress survives although n8n does not store a poll that returns null', () => {
	// 21 types: too many for Stripe's types[] filter, so the node filters and passes over the rest.
	const selected = [
		'customer.updated',
		...['invoice.created', 'invoice.paid', 'invoice.finalized', 'invoice.voided', 'invoice.payment_failed', 'invoice.upcoming'],
		...['charge.succeeded', 'charge.failed', 'charge.refunded', 'charge.captured', 'charge.updated', 'charge.pending'],
		...['payment_intent.created', 'payment_intent.succeeded', 'payment_intent.canceled', 'payment_intent.payment_failed'],
		...['product.created', 'product.updated', 'price.created', 'price.updated'],
	];

	test('each poll starting from the database still gets through more filtered-out events than one execution holds', async () => {
		expect(selected).toHaveLength(21);
		syncClock();
		const n8n = new RunningN8n(workflow({ events: selected, options: { maxEventsPerPoll: 10 } }));
		await n8n.activate();
		let last: Stripe.Customer | undefined;
		for (let i = 0; i < 35; i++) {
			if (i % 3 === 0) sandbox.clock.set(sandbox.clock.now() + 1); // spread over seconds, so batches can be narrowed
			last = await stripe.customers.create({ email: `f${i}@example.com` }); // customer.created: not selected
		}
		await stripe.customers.update(last!.id, { name: 'selected' });
		// Every poll starts from what n8n stored (as after a restart, or every tick with N8N_SCHEDULER_ENABLED).
		for (let i = 0; i < 3 && n8n.emitted().length === 0; i++) {
			n8n.memory = clone(n8n.db ?? {});
			await n8n.poll();
		}
		expectOnceOldestFirst(n8n.emitted(), await sandboxEvents(['customer.updated']));
	});

	test('quiet polls, then a restart with events created while n8n was down: each event once', async () => {
		syncClock();
		const n8n = new RunningN8n(workflow({ events: ['customer.created'] }));
		await n8n.activate();
		await stripe.customers.create({ email: 'r1@example.com' });
		await n8n.poll();
		for (let i = 0; i < 3; i++) expect((await n8n.poll()).persisted).toBeUndefined();
		await stripe.customers.create({ email: 'r2@example.com' });
		await stripe.customers.create({ email: 'r3@example.com' });
		const restarted = await n8n.restart();
		expect(ids(restarted.items)).toHaveLength(2);
		await n8n.restart();
		expect((await n8n.poll()).items).toBeNull();
		expectOnceOldestFirst(n8n.emitted(), await sandboxEvents(['customer.created']));
	});
});

describe('item 12: Fetch Test Event', () => {
	test('shows the newest matching event with one GET /v1/events, not one from 30 days ago, and leaves the cursor alone', async () => {
		const requests: string[] = [];
		await start({ now: hostNow() - 20 * 86400, latencyMs: (req) => (requests.push(`${req.method} ${req.path}`), 0) });
		for (let i = 0; i < 110; i++) await stripe.customers.create({ email: `old${i}@example.com` });
		sandbox.clock.set(hostNow());
		const newest = await stripe.customers.create({ email: 'newest@example.com' });
		await stripe.products.create({ name: 'not selected' });
		requests.length = 0;
		const staticData = { 'node:Poll': { cursor: { v: 1, created: 5, seen: [] } } };
		const before = clone(staticData);
		const run = await runPoll(workflow({ events: ['customer.created'] }), 'Poll', { credentials: credentials(), mode: 'manual', staticData });
		expect(run.items?.[0]).toHaveLength(1);
		expect(run.items?.[0][0].json).toMatchObject({ type: 'customer.created', objectId: newest.id });
		expect(requests).toEqual(['GET /v1/events']);
		expect(clone(run.staticData)).toEqual(before);
	});

	test('says what to do when none of the newest events matches', async () => {
		syncClock();
		await stripe.products.create({ name: 'only a product' });
		await expect(runPoll(workflow({ events: ['invoice.paid'] }), 'Poll', { credentials: credentials(), mode: 'manual' })).rejects.toMatchObject({
			name: 'NodeOperationError',
			message: expect.stringMatching(/None of the 100 newest events/),
		});
	});
});

describe('item 13: catching up', () => {
	test('an account producing more than Max Events per Execution per interval does not fall behind (oldest first, exactly once)', async () => {
		syncClock();
		const cap = 10;
		const n8n = new RunningN8n(workflow({ events: ['customer.created'], options: { maxEventsPerPoll: cap } }));
		await n8n.activate();
		for (let interval = 0; interval < 3; interval++) {
			for (let i = 0; i < 25; i++) {
				if (i % 4 === 0) sandbox.clock.set(sandbox.clock.now() + 1); // 4 per second
				await stripe.customers.create({ email: `c${interval}-${i}@example.com` });
			}
			await n8n.poll();
			// Caught up after every poll.
			expectOnceOldestFirst(n8n.emitted(), await sandboxEvents(['customer.created']));
		}
		for (const execution of n8n.executions) expect(execution[0].length).toBeLessThanOrEqual(cap);
		expect(n8n.executions.length).toBeGreaterThanOrEqual(9);
	});

	test('a second crowded with more events than Max Events per Execution comes in executions of at most that many', async () => {
		syncClock();
		sandbox.clock.freeze(); // all in one second
		const n8n = new RunningN8n(workflow({ events: ['customer.created'], options: { maxEventsPerPoll: 10 } }));
		await n8n.activate();
		for (let i = 0; i < 25; i++) await stripe.customers.create({ email: `x${i}@example.com` });
		const run = await n8n.poll();
		const events = await sandboxEvents(['customer.created']);
		expect(new Set(events.map((e) => e.created)).size).toBe(1);
		expect(run.executions.map((e) => e[0].length)).toEqual([10, 10, 5]);
		expectOnceOldestFirst(n8n.emitted(), events);
	});

	test('a poll stops at its time budget with the progress stored; the next poll continues', async () => {
		syncClock();
		const n8n = new RunningN8n(workflow({ events: ['customer.created'], options: { maxEventsPerPoll: 10 } }), { pollBudgetMs: 1 });
		await n8n.activate();
		for (let i = 0; i < 35; i++) {
			if (i % 5 === 0) sandbox.clock.set(sandbox.clock.now() + 1); // 5 per second: batches of 5 to 10
			await stripe.customers.create({ email: `b${i}@example.com` });
		}
		await n8n.poll();
		const first = n8n.emitted().length;
		expect(first).toBeGreaterThan(0);
		expect(first).toBeLessThan(35);
		for (let i = 0; i < 10 && n8n.emitted().length < 35; i++) await n8n.restart();
		expectOnceOldestFirst(n8n.emitted(), await sandboxEvents(['customer.created']));
	});
});

describe('item 4: deleted objects with "Fetch Current Object"', () => {
	test('events about deleted objects are emitted with currentObject null and objectDeleted, and the cursor moves past them', async () => {
		syncClock();
		const wf = workflow({ events: ['customer.created', 'customer.deleted', 'product.created'], options: { fetchCurrentObject: true } });
		const n8n = new RunningN8n(wf);
		await n8n.activate();
		syncClock();
		const customer = await stripe.customers.create({ email: 'gone@example.com' });
		await stripe.customers.del(customer.id);
		const product = await stripe.products.create({ name: 'Gone' });
		await stripe.products.del(product.id);
		const kept = await stripe.customers.create({ email: 'kept@example.com' });
		const run = await n8n.poll();
		const items = (run.items?.[0] ?? []).map((i) => i.json as { type: string; objectId: string; currentObject: { id?: string } | null; objectDeleted: boolean });
		expect(items.map((i) => [i.type, i.objectId, i.currentObject === null, i.objectDeleted])).toEqual([
			['customer.created', customer.id, true, true],
			['customer.deleted', customer.id, true, true],
			['product.created', product.id, true, true],
			['customer.created', kept.id, false, false],
		]);
		expect(items[3].currentObject?.id).toBe(kept.id);
		expect((await n8n.poll()).items).toBeNull();
	});
});

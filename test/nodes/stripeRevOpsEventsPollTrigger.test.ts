import Stripe from 'stripe';

import { startSandbox, type Sandbox } from '../../sandbox';
import { runPoll, type WorkflowJson } from '../harness/n8n';
import { PKG } from './fixtures';

let sandbox: Sandbox;
let stripe: Stripe;
const T0 = 1_780_000_000;

beforeEach(async () => {
	sandbox = await startSandbox({ seed: 3, rateLimits: false, now: T0, webhooks: { autoDeliver: false } });
	stripe = new Stripe(sandbox.secretKey, { host: '127.0.0.1', port: sandbox.port, protocol: 'http', maxNetworkRetries: 0 });
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

function ids(items: Awaited<ReturnType<typeof runPoll>>['items']): string[] {
	return (items?.[0] ?? []).filter((i) => !i.json.gap).map((i) => i.json.eventId as string);
}

test('polled repeatedly while events are produced (several per second), each event is emitted exactly once, oldest first, also across a restart', async () => {
	syncClock();
	const wf = workflow({ events: ['customer.created', 'customer.updated'] });
	// First poll takes position and emits nothing.
	let state = (await runPoll(wf, 'Poll', { credentials: credentials() })).staticData;
	const emitted: string[] = [];
	const created: string[] = [];
	for (let round = 0; round < 6; round++) {
		syncClock();
		// Several events in the same second, between polls.
		for (let i = 0; i < 7; i++) {
			const c = await stripe.customers.create({ email: `r${round}-${i}@example.com` });
			created.push(c.id);
			if (i % 3 === 0) await stripe.customers.update(c.id, { name: `N${i}` });
		}
		const run = await runPoll(wf, 'Poll', { credentials: credentials(), staticData: round === 3 ? JSON.parse(JSON.stringify(state)) : state });
		emitted.push(...ids(run.items));
		state = run.staticData;
		// A poll right after, with nothing new, emits nothing.
		const again = await runPoll(wf, 'Poll', { credentials: credentials(), staticData: state });
		expect(again.items).toBeNull();
		state = again.staticData;
	}
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
	const first = await runPoll(wf, 'Poll', { credentials: credentials() });
	// Pretend n8n was down for 40 days.
	const stale = JSON.parse(JSON.stringify(first.staticData));
	const cursor = stale['node:Poll'].cursor;
	const shift = 40 * 86400;
	cursor.created -= shift;
	cursor.seen = cursor.seen.map(([id, created]: [string, number]) => [id, created - shift]);
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

/**
 * Stripe RevOps Usage Report in-process (n8n-core's WorkflowExecute) against the sandbox with
 * Stripe's limits on: 10,000 events with 5 % invalid and 5 % repeated source ids reach the meters
 * exactly once; the same with 10 % injected 429s, 500s and lost responses; a re-run adds nothing;
 * v1 answers duplicates; aggregation; a session that expires mid-batch; cancel; summaries.
 */
import type { IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';
import type Stripe from 'stripe';

import { startSandbox, type Sandbox } from '../../sandbox';
import { runWorkflow, type WorkflowJson } from '../harness/n8n';
import { stripeClient } from '../sandbox/helpers';

const NODE_TYPE = 'n8n-nodes-stripe-revops.stripeRevOpsUsageReport';
const HOUR = 3600;

let sb: Sandbox;
let stripe: Stripe;
let customers: string[];
let streamRequests = 0;
let onStream: (() => void) | undefined;

beforeAll(async () => {
	sb = await startSandbox({
		seed: 9,
		latencyMs: ({ path }) => {
			if (path === '/v2/billing/meter_event_stream') {
				streamRequests++;
				onStream?.();
			}
			return 0;
		},
	});
	stripe = stripeClient(sb);
	customers = [];
	for (let i = 0; i < 20; i++) customers.push((await paced(() => stripe.customers.create({ email: `user${i}@example.com`, metadata: { account_id: `acct-${i}` } }))).id);
});
afterAll(() => sb.close());
beforeEach(() => {
	sb.setFaults({});
	onStream = undefined;
});

const credentials = () => ({ stripeRevOpsApi: { secretKey: sb.secretKey, baseUrl: sb.url, apiVersion: '2026-10-28.endive', stripeAccount: '' } });

/** The sandbox enforces Stripe's 100 operations/s on the test's own calls too: wait out a 429 and call again. */
async function paced<T>(call: () => Promise<T>): Promise<T> {
	for (let attempt = 0; ; attempt++) {
		try {
			return await call();
		} catch (error) {
			if ((error as { statusCode?: number }).statusCode !== 429 || attempt > 20) throw error;
			await new Promise((resolve) => setTimeout(resolve, 50));
		}
	}
}

async function meter(eventName: string, formula: 'sum' | 'count' | 'last' = 'sum'): Promise<Stripe.Billing.Meter> {
	return paced(() => stripe.billing.meters.create({ display_name: eventName, event_name: eventName, default_aggregation: { formula } }));
}

async function run(parameters: IDataObject, input: IDataObject[], continueOnFail = false) {
	const wf: WorkflowJson = {
		nodes: [
			{
				id: 'usage',
				name: 'Usage',
				type: NODE_TYPE,
				typeVersion: 1,
				position: [0, 0],
				parameters: parameters as INodeParameters,
				credentials: { stripeRevOpsApi: { id: '1', name: 'Stripe sandbox' } },
				...(continueOnFail ? { onError: 'continueRegularOutput' as const } : {}),
			},
		],
		connections: {},
	};
	const result = await runWorkflow(wf, { startNode: 'Usage', input: input.map((json) => ({ json })), credentials: credentials() });
	return { ...result, items: (result.outputs.Usage?.[0] ?? []) as INodeExecutionData[] };
}

/** What the sandbox's meter adds up for each customer over the last 40 days (through the official client). */
async function totals(m: Stripe.Billing.Meter): Promise<Map<string, number>> {
	const end = Math.ceil((sb.clock.now() + 2 * HOUR) / HOUR) * HOUR;
	const start = end - 40 * 24 * HOUR;
	const out = new Map<string, number>();
	for (const c of customers) {
		const page = await paced(() => stripe.billing.meters.listEventSummaries(m.id, { customer: c, start_time: start, end_time: end }));
		const v = page.data.reduce((s, w) => s + w.aggregated_value, 0);
		if (v) out.set(c, v);
	}
	return out;
}

/** 10,000 rows: 5 % invalid (in five different ways), 5 % repeating an earlier row's source id. */
function rows(eventName: string, n = 10_000): { rows: IDataObject[]; expected: Map<string, number>; invalid: number; repeated: number } {
	const now = Math.floor(Date.now() / 1000);
	const out: IDataObject[] = [];
	const expected = new Map<string, number>();
	let invalid = 0;
	let repeated = 0;
	for (let i = 0; i < n; i++) {
		const customer = customers[i % customers.length];
		const value = (i % 7) + 1;
		const row: IDataObject = { id: `row-${i}`, customer, value, timestamp: now - (i % 3000) * 60 };
		if (i % 20 === 3) {
			// invalid, cycling through the kinds of bad input
			invalid++;
			const kind = ((i / 20) | 0) % 5;
			if (kind === 0) row.value = 'abc';
			else if (kind === 1) row.customer = 'not-a-customer';
			else if (kind === 2) row.timestamp = now - 40 * 24 * HOUR;
			else if (kind === 3) row.value = -5;
			else row.timestamp = now + HOUR;
		} else if (i % 20 === 7 && i > 20) {
			repeated++;
			row.id = out[i - 20].id; // repeats an earlier valid row (same source id, same data)
			row.customer = out[i - 20].customer;
			row.value = out[i - 20].value;
			row.timestamp = out[i - 20].timestamp;
		} else {
			expected.set(customer, (expected.get(customer) ?? 0) + value);
		}
		out.push(row);
	}
	return { rows: out, expected, invalid, repeated };
}

const REPORT = (eventName: string, options: IDataObject = {}) => ({ operation: 'reportUsage', eventName: { __rl: true, mode: 'eventName', value: eventName }, options });

test('10,000 events, 5 % invalid and 5 % repeated: the meters hold exactly the valid, unique usage; a re-run adds nothing', async () => {
	const m = await meter('api_calls_a');
	const { rows: input, expected, invalid, repeated } = rows('api_calls_a');
	expect([invalid, repeated]).toEqual([500, 499]); // 5 % each
	const out = await run(REPORT('api_calls_a'), input);
	expect(out.status).toBe('success');
	expect(out.items).toHaveLength(input.length + 1);
	const summary = out.items[out.items.length - 1].json as IDataObject & { totals: Record<string, number> };
	expect(summary).toMatchObject({ summary: true, items: 10_000, rejected: 500, duplicate: 499, accepted: 9001, failed: 0, transport: 'v2Stream' });
	expect(summary.totals.api_calls_a).toBe([...expected.values()].reduce((a, b) => a + b, 0));
	// Every input item has its result, with its pairedItem; bad ones say why.
	expect(out.items.slice(0, -1).map((i) => (i.pairedItem as { item: number }).item)).toEqual(input.map((_, k) => k));
	const rejected = out.items.filter((i) => i.json.status === 'rejected').map((i) => String(i.json.reason));
	expect(rejected.some((r) => r.includes('not a finite number'))).toBe(true);
	expect(rejected.some((r) => r.includes('not a Stripe customer id'))).toBe(true);
	expect(rejected.some((r) => r.includes('older than Stripe accepts'))).toBe(true);
	expect(rejected.some((r) => r.includes('negative'))).toBe(true);
	expect(rejected.some((r) => r.includes('in the future'))).toBe(true);
	expect(await totals(m)).toEqual(expected);

	const again = await run(REPORT('api_calls_a', { output: 'summaryOnly' }), input);
	expect(again.items).toHaveLength(1);
	expect(await totals(m)).toEqual(expected);
}, 120_000);

test('with 10 % injected 429s, 500s and lost responses the totals are the same', async () => {
	const m = await meter('api_calls_b');
	const { rows: input, expected } = rows('api_calls_b');
	sb.setFaults({ rateLimitRate: 0.033, errorRate: 0.033, lostResponseRate: 0.034 });
	const out = await run(REPORT('api_calls_b', { output: 'summaryOnly' }), input);
	sb.setFaults({});
	expect(out.status).toBe('success');
	expect(out.items[0].json).toMatchObject({ accepted: 9001, duplicate: 499, rejected: 500, failed: 0 });
	expect(await totals(m)).toEqual(expected);
}, 120_000);

test('a session token that expires mid-batch is renewed and the batch resent', async () => {
	const m = await meter('api_calls_c');
	const { rows: input, expected } = rows('api_calls_c', 2000);
	const before = streamRequests;
	onStream = () => {
		if (streamRequests - before === 5) void sb.clock.advance(16 * 60); // the 15-minute token runs out
	};
	const out = await run(REPORT('api_calls_c', { output: 'summaryOnly', concurrency: 1 }), input);
	expect(out.items[0].json).toMatchObject({ failed: 0, sessions: 2 });
	expect(await totals(m)).toEqual(expected);
}, 60_000);

test('v1 transport: one event a call; a re-run is answered "duplicate" item by item', async () => {
	const m = await meter('seats_v1');
	const input = customers.slice(0, 5).map((customer, i) => ({ id: `seat-${i}`, customer, value: 10 + i }));
	const first = await run(REPORT('seats_v1', { transport: 'v1', output: 'itemsOnly' }), input);
	expect(first.items.map((i) => i.json.status)).toEqual(['accepted', 'accepted', 'accepted', 'accepted', 'accepted']);
	const again = await run(REPORT('seats_v1', { transport: 'v1', output: 'itemsOnly' }), input);
	expect(again.items.map((i) => i.json.status)).toEqual(['duplicate', 'duplicate', 'duplicate', 'duplicate', 'duplicate']);
	const t = await totals(m);
	expect(customers.slice(0, 5).map((c) => t.get(c))).toEqual([10, 11, 12, 13, 14]);
});

test('aggregation sums per customer and hour: fewer events, the same totals, and a re-run adds nothing', async () => {
	const m = await meter('tokens_sum');
	const { rows: input, expected } = rows('tokens_sum', 3000);
	const out = await run(REPORT('tokens_sum', { aggregation: 'sum', window: 'hour', output: 'summaryOnly' }), input);
	const s = out.items[0].json as IDataObject;
	expect(s.eventsSent as number).toBeLessThan(s.accepted as number);
	expect(await totals(m)).toEqual(expected);
	await run(REPORT('tokens_sum', { aggregation: 'sum', window: 'hour', output: 'summaryOnly' }), input);
	expect(await totals(m)).toEqual(expected);
}, 60_000);

test('customers by email and by metadata are looked up once each; unknown ones are rejected with the reason', async () => {
	const m = await meter('lookups');
	const input = [
		{ id: 'l1', who: 'user1@example.com', value: 3 },
		{ id: 'l2', who: 'user1@example.com', value: 4 },
		{ id: 'l3', who: 'nobody@example.com', value: 5 },
	];
	const out = await run({ ...REPORT('lookups', { output: 'itemsOnly' }), customerBy: 'email', customerField: 'who' }, input);
	expect(out.items.map((i) => i.json.status)).toEqual(['accepted', 'accepted', 'rejected']);
	expect(out.items[2].json.reason).toBe('No Stripe customer has email nobody@example.com.');
	const byMeta = await run({ ...REPORT('lookups', { output: 'itemsOnly' }), customerBy: 'metadata', metadataKey: 'account_id', customerField: 'acct' }, [{ id: 'l4', acct: 'acct-2', value: 7 }]);
	expect(byMeta.items[0].json).toMatchObject({ status: 'accepted', customer: customers[2] });
	const t = await totals(m);
	expect(t.get(customers[1])).toBe(7);
	expect(t.get(customers[2])).toBe(7);
});

test('an unknown meter is refused before sending; "Rejected Items: Fail" turns bad items into errors with Continue On Fail', async () => {
	const out = await run(REPORT('no_such_meter', { output: 'itemsOnly' }), [{ id: 'x', customer: customers[0], value: 1 }]);
	expect(out.items[0].json).toMatchObject({ status: 'rejected' });
	expect(String(out.items[0].json.reason)).toContain('No active meter has the event name "no_such_meter"');
	await meter('strict_meter');
	const strict = await run(REPORT('strict_meter', { output: 'itemsOnly', rejected: 'error' }), [{ id: 'a', customer: customers[0], value: 1 }, { id: 'b', customer: customers[0], value: 'x' }], true);
	expect(strict.items.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
	expect(strict.items[0].json.status).toBe('accepted');
	expect(String(strict.items[1].json.error)).toContain('Rejected: The value "x" is not a finite number');
	const failing = await run(REPORT('strict_meter', { output: 'itemsOnly', rejected: 'error' }), [{ id: 'c', customer: customers[0], value: 'x' }]);
	expect(failing.status).toBe('error');
});

test('Cancel Usage takes an event back within 24 hours, and says what to do after that', async () => {
	const m = await meter('cancel_me');
	const sent = await run(REPORT('cancel_me', { transport: 'v1', output: 'itemsOnly' }), [{ id: 'c1', customer: customers[3], value: 42 }]);
	const identifier = sent.items[0].json.identifier as string;
	expect((await totals(m)).get(customers[3])).toBe(42);
	const cancel = { operation: 'cancelUsage', eventName: { __rl: true, mode: 'eventName', value: 'cancel_me' }, identifier };
	expect((await run(cancel, [{}])).items[0].json).toEqual({ status: 'canceled', identifier, eventName: 'cancel_me' });
	expect((await totals(m)).get(customers[3])).toBeUndefined();

	const late = await run(REPORT('cancel_me', { transport: 'v1', output: 'itemsOnly' }), [{ id: 'c2', customer: customers[3], value: 8 }]);
	await sb.clock.advance(25 * HOUR);
	const refused = await run({ ...cancel, identifier: late.items[0].json.identifier }, [{}], true);
	expect(String(refused.items[0].json.error)).toContain('only events received in the last 24 hours');
	expect(String(refused.items[0].json.error)).toContain('negative value');
});

test('Get Usage Summary flags customers approaching or over their allowance', async () => {
	const m = await meter('summary_meter');
	const now = Math.floor(Date.now() / 1000);
	await run(REPORT('summary_meter', { output: 'itemsOnly' }), [
		{ id: 's1', customer: customers[5], value: 850, timestamp: now - HOUR },
		{ id: 's2', customer: customers[6], value: 1200, timestamp: now - HOUR },
		{ id: 's3', customer: customers[7], value: 100, timestamp: now - HOUR },
	]);
	const ask = (customer: string) => ({
		operation: 'getUsageSummary',
		meter: { __rl: true, mode: 'id', value: m.id },
		customer: { __rl: true, mode: 'id', value: customer },
		start: new Date((now - 3 * 24 * HOUR) * 1000).toISOString(),
		grouping: 'day',
		allowance: 1000,
		thresholds: '80,100',
	});
	const status = async (c: string) => (await run(ask(c), [{}])).items[0].json;
	expect(await status(customers[5])).toMatchObject({ total: 850, status: 'approaching', thresholdReached: 80 });
	expect(await status(customers[6])).toMatchObject({ total: 1200, status: 'overAllowance', thresholdReached: 100 });
	expect(await status(customers[7])).toMatchObject({ total: 100, status: 'within', thresholdReached: null });
});

/**
 * The shared per-item router of the action nodes (nodes/shared/router.ts), run in-process through
 * n8n-core's WorkflowExecute with a probe node that uses it: pairedItem on every output, one shared
 * setup per execution, Continue On Fail turning a bad item into an error item while the others go
 * on, and without it the node failing with the item's index and nothing run past it.
 */
import { NodeConnectionTypes, NodeOperationError, type IDataObject, type INodeType, type INodeTypeDescription } from 'n8n-workflow';

import { StripeCardError } from '../../lib/stripe/errors';
import { executionStripe, stripeClient } from '../../nodes/shared/stripeApi';
import { startSandbox } from '../../sandbox';
import { route, type ItemOutcome } from '../../nodes/shared/router';
import { registerTestNodeType, runWorkflow, type WorkflowJson } from '../harness/n8n';

const calls: { shared: number; items: number[] } = { shared: 0, items: [] };

class RouterProbe implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Router Probe',
		name: 'routerProbe',
		group: ['transform'],
		version: 1,
		description: 'Test node for the shared router',
		defaults: { name: 'Probe' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		properties: [
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				options: [
					{ name: 'Double', value: 'double' },
					{ name: 'Batch Sum', value: 'batchSum' },
					{ name: 'Many', value: 'many' },
				],
				default: 'double',
			},
		],
	};

	execute = route<{ factor: number }>({
		shared: async () => {
			calls.shared++;
			return { factor: 2 };
		},
		operations: {
			double: {
				item: async ({ itemIndex, json, shared, context }) => {
					calls.items.push(itemIndex);
					if (json.declined) {
						throw new StripeCardError({ message: 'Your card has insufficient funds.', statusCode: 402, type: 'card_error', code: 'card_declined', declineCode: 'insufficient_funds', requestId: 'req_123' });
					}
					if (typeof json.n !== 'number') {
						throw new NodeOperationError(context.getNode(), `"n" must be a number; item ${itemIndex} has ${JSON.stringify(json.n)}. Map a numeric field to it.`);
					}
					return { n: json.n, doubled: json.n * shared.factor };
				},
			},
			many: {
				item: async ({ json }) => Array.from({ length: json.n as number }, (_, i) => ({ i })),
			},
			batchSum: {
				batch: async (inputs) => {
					calls.items.push(...inputs.map((i) => i.itemIndex));
					return inputs.map((input): ItemOutcome =>
						typeof input.json.n === 'number' && input.json.n >= 0
							? { ok: true, json: { n: input.json.n, total: inputs.reduce((sum, i) => sum + (typeof i.json.n === 'number' && i.json.n >= 0 ? i.json.n : 0), 0) } }
							: { ok: false, error: new Error(`"n" must be a non-negative number; got ${JSON.stringify(input.json.n)}`) },
					);
				},
			},
		},
	});
}

registerTestNodeType('test.routerProbe', new RouterProbe());

function workflow(operation: string, continueOnFail = false): WorkflowJson {
	return {
		nodes: [
			{
				id: 'probe',
				name: 'Probe',
				type: 'test.routerProbe',
				typeVersion: 1,
				position: [0, 0],
				parameters: { operation },
				...(continueOnFail ? { onError: 'continueRegularOutput' as const } : {}),
			},
		],
		connections: {},
	};
}

const run = (operation: string, input: IDataObject[], continueOnFail = false) =>
	runWorkflow(workflow(operation, continueOnFail), { startNode: 'Probe', input: input.map((json) => ({ json })) });

beforeEach(() => {
	calls.shared = 0;
	calls.items = [];
});

test('every output item carries pairedItem; what the execution shares is built once', async () => {
	const result = await run('double', [{ n: 1 }, { n: 2 }, { n: 3 }]);
	expect(result.status).toBe('success');
	const out = result.outputs.Probe[0];
	expect(out.map((i) => i.json.doubled)).toEqual([2, 4, 6]);
	expect(out.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
	expect(calls.shared).toBe(1);
});

test('without Continue On Fail a bad item fails the node with its index and what to fix; later items do not run', async () => {
	const result = await run('double', [{ n: 1 }, { n: 'x' }, { n: 3 }]);
	expect(result.status).toBe('error');
	const error = result.errors.Probe as NodeOperationError;
	expect(error.message).toContain('"n" must be a number; item 1 has "x"');
	expect(error.context.itemIndex).toBe(1);
	expect(calls.items).toEqual([0, 1]);
});

test('with Continue On Fail the bad item becomes an error item with its pairedItem, the good items go on', async () => {
	const result = await run('double', [{ n: 1 }, { n: 'x' }, { declined: true }, { n: 3 }], true);
	expect(result.status).toBe('success');
	const out = result.outputs.Probe[0];
	expect(out.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }, { item: 3 }]);
	expect(out[0].json).toEqual({ n: 1, doubled: 2 });
	expect(out[1].json.error).toContain('"n" must be a number');
	// A Stripe error keeps Stripe's details (NodeApiError from the one mapping at the transport boundary).
	expect(out[2].json).toMatchObject({
		error: 'Your card has insufficient funds.',
		httpCode: '402',
		details: { type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds', request_id: 'req_123' },
	});
	expect(out[3].json).toEqual({ n: 3, doubled: 6 });
});

test('a batch operation gets all items at once; each outcome goes to its own item', async () => {
	const result = await run('batchSum', [{ n: 1 }, { n: -1 }, { n: 5 }], true);
	const out = result.outputs.Probe[0];
	expect(calls.items).toEqual([0, 1, 2]);
	expect(out.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
	expect(out.map((i) => i.json.total ?? i.json.error)).toEqual([6, '"n" must be a non-negative number; got -1', 6]);
});

test('an unknown operation value says which ones exist', async () => {
	const result = await run('triple', [{ n: 1 }]);
	expect(result.status).toBe('error');
	expect((result.errors.Probe as Error).message).toBe('The operation "triple" is not known. Pick one of: double, many, batchSum.');
});

describe('executionStripe: one client and one rate limiter for all items of an execution', () => {
	class StripeProbe implements INodeType {
		description: INodeTypeDescription = {
			...new RouterProbe().description,
			name: 'stripeProbe',
			credentials: [{ name: 'stripeRevOpsApi', required: true }],
			properties: [
				{ displayName: 'Operation', name: 'operation', type: 'options', options: [{ name: 'Balance', value: 'balance' }], default: 'balance' },
				{ displayName: 'Limited', name: 'limited', type: 'boolean', default: true },
			],
		};

		execute = route({
			// `limited: false` is the control: a client without the shared limiter and without retries.
			shared: async (context) =>
				context.getNodeParameter('limited', 0) ? (await executionStripe(context)).client : (await stripeClient(context, { maxRetries: 0 })).client,
			operations: {
				balance: {
					item: async ({ shared }) => ({ object: (await shared.get<{ object: string }>('/v1/balance')).object }),
				},
			},
		});
	}
	registerTestNodeType('test.stripeProbe', new StripeProbe());

	test('40 items stay under a 30/s account limit with the shared limiter (25/s for a test key); without it Stripe answers 429', async () => {
		const sandbox = await startSandbox({ seed: 5, rateLimits: { opsPerSecond: 30 } });
		const run = async (limited: boolean) => {
			const result = await runWorkflow(
				{
					nodes: [
						{
							id: 'sp',
							name: 'Probe',
							type: 'test.stripeProbe',
							typeVersion: 1,
							position: [0, 0],
							parameters: { operation: 'balance', limited },
							onError: 'continueRegularOutput',
							credentials: { stripeRevOpsApi: { id: '1', name: 'sandbox' } },
						},
					],
					connections: {},
				},
				{
					startNode: 'Probe',
					input: Array.from({ length: 40 }, (_, n) => ({ json: { n } })),
					credentials: { stripeRevOpsApi: { secretKey: sandbox.secretKey, baseUrl: sandbox.url, apiVersion: '2026-10-28.endive', stripeAccount: '' } },
				},
			);
			const out = result.outputs.Probe[0];
			return { ok: out.filter((i) => i.json.object === 'balance').length, errors: out.filter((i) => i.json.error).length };
		};
		try {
			expect(await run(true)).toEqual({ ok: 40, errors: 0 });
			expect((await run(false)).errors).toBeGreaterThan(0);
		} finally {
			await sandbox.close();
		}
	});
});

test('one input item may give very many output items (no spread of them into one call)', async () => {
	const result = await run('many', [{ n: 200_000 }]);
	expect(result.status).toBe('success');
	const out = result.outputs.Probe[0];
	expect(out).toHaveLength(200_000);
	expect(out[199_999]).toMatchObject({ json: { i: 199_999 }, pairedItem: { item: 0 } });
});

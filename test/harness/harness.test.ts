import { runWorkflow, type WorkflowJson } from './n8n';

const workflow: WorkflowJson = {
	name: 'manual-set-if',
	nodes: [
		{ id: '1', name: 'Manual', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
		{
			id: '2',
			name: 'Set',
			type: 'n8n-nodes-base.set',
			typeVersion: 3.4,
			position: [200, 0],
			parameters: {
				mode: 'manual',
				assignments: {
					assignments: [
						{ id: 'a1', name: 'amount', value: '={{ 1200 + 34 }}', type: 'number' },
						{ id: 'a2', name: 'currency', value: '={{ "EUR".toLowerCase() }}', type: 'string' },
					],
				},
				options: {},
			},
		},
		{
			id: '3',
			name: 'If',
			type: 'n8n-nodes-base.if',
			typeVersion: 2.2,
			position: [400, 0],
			parameters: {
				conditions: {
					options: { caseSensitive: true, leftValue: '', typeValidation: 'strict', version: 2 },
					conditions: [
						{ id: 'c1', leftValue: '={{ $json.amount }}', rightValue: 1000, operator: { type: 'number', operation: 'gt' } },
					],
					combinator: 'and',
				},
				options: {},
			},
		},
	],
	connections: {
		Manual: { main: [[{ node: 'Set', type: 'main', index: 0 }]] },
		Set: { main: [[{ node: 'If', type: 'main', index: 0 }]] },
	},
};

test('Manual Trigger → Set (expressions) → If runs in n8n-core and routes to the true branch', async () => {
	const result = await runWorkflow(workflow);
	expect(result.errors).toEqual({});
	expect(result.status).toBe('success');
	expect(result.order).toEqual(['Manual', 'Set', 'If']);
	expect(result.outputs.Set[0].map((i) => i.json)).toEqual([{ amount: 1234, currency: 'eur' }]);
	expect(result.outputs.If[0].map((i) => i.json)).toEqual([{ amount: 1234, currency: 'eur' }]);
	expect(result.outputs.If[1]).toEqual([]);
});

test('the If node sends an item below the threshold to the false branch', async () => {
	const lower = JSON.parse(JSON.stringify(workflow)) as WorkflowJson;
	(lower.nodes[1].parameters as { assignments: { assignments: Array<{ value: string }> } }).assignments.assignments[0].value = '={{ 10 * 9 }}';
	const result = await runWorkflow(lower);
	expect(result.outputs.If[0]).toEqual([]);
	expect(result.outputs.If[1].map((i) => i.json)).toEqual([{ amount: 90, currency: 'eur' }]);
});

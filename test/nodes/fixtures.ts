import type { INode } from 'n8n-workflow';

import type { WorkflowJson } from '../harness/n8n';

export const PKG = 'n8n-nodes-stripe-revops';

/** A workflow with the Stripe RevOps Trigger and a NoOp after it. */
export function triggerWorkflow(parameters: INode['parameters'], id = 'trigger-1'): WorkflowJson {
	return {
		name: 'stripe-trigger',
		nodes: [
			{
				id,
				name: 'Stripe RevOps Trigger',
				type: `${PKG}.stripeRevOpsTrigger`,
				typeVersion: 1,
				position: [0, 0],
				webhookId: `wh-${id}`,
				parameters,
				credentials: { stripeRevOpsApi: { id: '1', name: 'Stripe sandbox' } },
			},
			{ id: 'noop', name: 'NoOp', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [200, 0], parameters: {} },
		],
		connections: { 'Stripe RevOps Trigger': { main: [[{ node: 'NoOp', type: 'main', index: 0 }]] } },
	};
}

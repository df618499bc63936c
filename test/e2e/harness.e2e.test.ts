/**
 * The real-n8n harness itself (scripts/n8n/env.mjs through test/e2e/helpers/n8n.ts): imports before start,
 * publishing a webhook workflow and driving it over HTTP, and CLI failures surfacing as errors. Uses only
 * n8n-nodes-base, so it shows how a trigger e2e test of this package is written.
 */
import { startN8n, type N8nInstance } from './helpers/n8n';

const WEBHOOK_PATH = 'e2e-harness-echo';

const echoWorkflow = {
	id: 'e2eHarnessEcho01',
	name: 'E2E harness: webhook echo',
	nodes: [
		{
			id: '5d1f0c2e-0000-4000-8000-000000000001',
			name: 'Webhook',
			type: 'n8n-nodes-base.webhook',
			typeVersion: 2,
			position: [0, 0],
			webhookId: '5d1f0c2e-0000-4000-8000-0000000000aa',
			parameters: { httpMethod: 'POST', path: WEBHOOK_PATH, responseMode: 'lastNode', options: {} },
		},
		{
			id: '5d1f0c2e-0000-4000-8000-000000000002',
			name: 'Echo',
			type: 'n8n-nodes-base.set',
			typeVersion: 3.4,
			position: [220, 0],
			parameters: {
				assignments: { assignments: [{ id: 'a1', name: 'echo', value: '={{ $json.body.say }}', type: 'string' }] },
				options: {},
			},
		},
	],
	connections: { Webhook: { main: [[{ node: 'Echo', type: 'main', index: 0 }]] } },
	settings: { executionOrder: 'v1' },
	active: false,
};

let n8n: N8nInstance;

/** Repeats a request until it answers `wanted` or the time is up; returns the last status. */
async function statusWithin(timeoutMs: number, wanted: number, send: () => Promise<Response>): Promise<number> {
	const until = Date.now() + timeoutMs;
	for (;;) {
		const response = await send();
		await response.arrayBuffer();
		if (response.status === wanted || Date.now() > until) return response.status;
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}

beforeAll(async () => {
	// This test is about n8n itself, so it runs without the package.
	n8n = await startN8n({ packageTarball: null, imports: { workflows: [echoWorkflow] } });
});

afterAll(async () => {
	await n8n?.stop();
});

describe('the real-n8n harness', () => {
	it('imports workflows before the server starts', async () => {
		const stored = await n8n.rest<{ id: string; name: string; active: boolean }>('GET', `/rest/workflows/${echoWorkflow.id}`);
		expect(stored).toMatchObject({ id: echoWorkflow.id, name: echoWorkflow.name, active: false });
		expect(n8n.packageDir).toBeNull();
	});

	it('publishes a webhook workflow, which then answers on its production URL; unpublishing removes it', async () => {
		const notYet = await fetch(n8n.webhookUrl(WEBHOOK_PATH), { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
		await notYet.arrayBuffer();
		expect(notYet.status).toBe(404);

		const activated = await n8n.activateWorkflow(echoWorkflow.id);
		expect(activated.active).toBe(true);
		await n8n.waitForWebhook(WEBHOOK_PATH);

		const response = await fetch(n8n.webhookUrl(WEBHOOK_PATH), {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ say: 'hello from the test' }),
		});
		expect(response.status).toBe(200);
		expect(await response.json()).toEqual({ echo: 'hello from the test' });

		const executions = await n8n.rest<{ results: Array<{ workflowId: string; status: string; mode: string }> }>(
			'GET',
			`/rest/executions?filter=${encodeURIComponent(JSON.stringify({ workflowId: echoWorkflow.id }))}`,
		);
		expect(executions.results).toEqual([expect.objectContaining({ workflowId: echoWorkflow.id, status: 'success', mode: 'webhook' })]);

		const deactivated = await n8n.deactivateWorkflow(echoWorkflow.id);
		expect(deactivated.active).toBe(false);
		// n8n takes the webhook down a moment after the call returns; until then a call still runs the workflow.
		expect(await statusWithin(20_000, 404, () => fetch(n8n.webhookUrl(WEBHOOK_PATH), { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }))).toBe(404);
	});

	it('reports a failing n8n CLI command with its output', async () => {
		const missing = '/nonexistent/e2e-workflow.json';
		const outcome = await n8n.cli(['import:workflow', `--input=${missing}`], { allowFailure: true });
		expect(outcome.code).not.toBe(0);
		await expect(n8n.importWorkflow(missing)).rejects.toThrow(/import:workflow/);
	});

	it('rejects REST calls n8n refuses, with the status in the message', async () => {
		await expect(n8n.rest('GET', '/rest/workflows/doesNotExist0001')).rejects.toThrow(/answered 404/);
	});
});

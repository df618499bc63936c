/**
 * Helpers for end-to-end tests of the Stripe RevOps Trigger in a real n8n: waiting for n8n's
 * asynchronous workflow publication, reading executions (REST for counts, the public API for data),
 * and sending deliveries the way Stripe does (raw body, Stripe-Signature, several in flight).
 */
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';

import type { N8nInstance } from './helpers/n8n';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `probe` until it returns something other than `undefined`/`false` and returns that.
 * Used to wait for n8n's background work (publication, executions finishing); it measures nothing.
 */
export async function waitFor<T>(
	what: string,
	probe: () => Promise<T | undefined | false> | T | undefined | false,
	{ timeoutMs = 60_000, intervalMs = 200 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	let last: unknown;
	for (;;) {
		try {
			const value = await probe();
			if (value !== undefined && value !== false) return value;
			last = value;
		} catch (error) {
			last = error;
		}
		if (Date.now() > deadline) {
			const detail = last instanceof Error ? last.message : JSON.stringify(last);
			throw new Error(`Gave up after ${Math.round(timeoutMs / 1000)} s waiting for ${what} (last probe: ${detail}).`);
		}
		await sleep(intervalMs);
	}
}

/** One execution as n8n's public API returns it with `includeData=true`. */
export interface PublicExecution {
	id: string;
	finished: boolean;
	mode: string;
	status: string;
	workflowId: string;
	data: {
		resultData: {
			runData: Record<string, Array<{ data?: { main?: Array<Array<{ json: Record<string, unknown> }> | null> } }>>;
			error?: { message?: string };
		};
	};
}

export interface ExecutionsReader {
	/** How many executions the workflow has (n8n's REST list count). */
	count(workflowId: string): Promise<number>;
	/** Every execution of the workflow with its data, through the public API (paginated). */
	all(workflowId: string): Promise<PublicExecution[]>;
}

/** Creates a public-API key for the owner and returns a reader of executions. */
export async function executionsReader(n8n: N8nInstance): Promise<ExecutionsReader> {
	const key = await n8n.rest<{ rawApiKey?: string }>('POST', '/rest/api-keys', {
		label: `e2e executions ${Date.now()}`,
		scopes: ['execution:list', 'execution:read'],
		expiresAt: null,
	});
	if (!key.rawApiKey) throw new Error('n8n created an API key but did not return it (rawApiKey is missing).');
	const apiKey = key.rawApiKey;
	return {
		async count(workflowId) {
			const filter = encodeURIComponent(JSON.stringify({ workflowId }));
			const page = await n8n.rest<{ count: number; estimated: boolean }>('GET', `/rest/executions?filter=${filter}&limit=1`);
			return page.count;
		},
		async all(workflowId) {
			const executions: PublicExecution[] = [];
			let cursor: string | undefined;
			do {
				const query = new URLSearchParams({ workflowId, includeData: 'true', limit: '250' });
				if (cursor) query.set('cursor', cursor);
				const response = await fetch(`${n8n.url}/api/v1/executions?${query}`, { headers: { 'X-N8N-API-KEY': apiKey, accept: 'application/json' } });
				const text = await response.text();
				if (!response.ok) throw new Error(`GET /api/v1/executions answered ${response.status}: ${text.slice(0, 300)}`);
				const page = JSON.parse(text) as { data: PublicExecution[]; nextCursor: string | null };
				executions.push(...page.data);
				cursor = page.nextCursor ?? undefined;
			} while (cursor);
			return executions;
		},
	};
}

/** The first output item of `nodeName` in an execution, or undefined when the node produced none. */
export function firstItem(execution: PublicExecution, nodeName: string): Record<string, unknown> | undefined {
	return execution.data.resultData.runData[nodeName]?.[0]?.data?.main?.[0]?.[0]?.json;
}

export interface DeliveryAnswer {
	status: number;
	body: string;
}

/** POSTs a raw body (the bytes that were signed) with the given headers. */
export function postRaw(url: string, body: string, headers: OutgoingHttpHeaders, agent?: import('node:http').Agent): Promise<DeliveryAnswer> {
	return new Promise((resolve, reject) => {
		const request = httpRequest(
			url,
			{ method: 'POST', agent, headers: { 'content-type': 'application/json; charset=utf-8', ...headers, 'content-length': Buffer.byteLength(body) } },
			(response) => {
				const chunks: Buffer[] = [];
				response.on('data', (chunk: Buffer) => chunks.push(chunk));
				response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
				response.on('error', reject);
			},
		);
		request.on('error', reject);
		request.end(body);
	});
}

/** Runs `tasks` with at most `concurrency` in flight; results keep the input order. */
export async function inFlight<T>(tasks: Array<() => Promise<T>>, concurrency: number): Promise<T[]> {
	const results = new Array<T>(tasks.length);
	let next = 0;
	const worker = async () => {
		while (next < tasks.length) {
			const index = next++;
			results[index] = await tasks[index]();
		}
	};
	await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
	return results;
}

export interface ExecutionSummary {
	id: string;
	status: string;
	mode?: string;
	workflowId?: string;
}

/** The workflow's newest 100 executions as n8n's REST list shows them (running and waiting ones included). */
export async function listExecutions(n8n: N8nInstance, workflowId: string): Promise<ExecutionSummary[]> {
	const filter = encodeURIComponent(JSON.stringify({ workflowId }));
	return (await n8n.rest<{ results: ExecutionSummary[] }>('GET', `/rest/executions?filter=${filter}&limit=100`)).results;
}

const UNFINISHED = ['new', 'running', 'waiting'];

/** Runs a workflow from one of its triggers as the editor's "Execute workflow" does, and waits for it to end. */
export async function runFromTrigger(n8n: N8nInstance, reader: ExecutionsReader, workflowId: string, trigger: string): Promise<PublicExecution> {
	const before = new Set((await listExecutions(n8n, workflowId)).map((e) => e.id));
	const started = await n8n.rest<{ executionId?: string }>('POST', `/rest/workflows/${workflowId}/run`, { triggerToStartFrom: { name: trigger } });
	const executionId = await waitFor('the execution to be listed', async () => started?.executionId ?? (await listExecutions(n8n, workflowId)).find((e) => !before.has(e.id))?.id);
	await waitFor(
		`execution ${executionId} to finish`,
		async () => {
			const found = (await listExecutions(n8n, workflowId)).find((e) => String(e.id) === String(executionId));
			return found && !UNFINISHED.includes(found.status);
		},
		{ timeoutMs: 240_000, intervalMs: 500 },
	);
	return (await reader.all(workflowId)).find((e) => String(e.id) === String(executionId))!;
}

/** Waits until the workflow has at least `count` executions and none is unfinished. */
export async function settled(n8n: N8nInstance, reader: ExecutionsReader, workflowId: string, count: number, timeoutMs = 120_000): Promise<ExecutionSummary[]> {
	return waitFor(
		`${count} executions of ${workflowId} to end`,
		async () => {
			if ((await reader.count(workflowId)) < count) return undefined;
			const list = await listExecutions(n8n, workflowId);
			return list.every((e) => !UNFINISHED.includes(e.status)) ? list : undefined;
		},
		{ timeoutMs, intervalMs: 300 },
	);
}

/** Every item a node output (on `output`) over all its runs in an execution. */
export function nodeItems(execution: PublicExecution, node: string, output = 0): Array<Record<string, unknown>> {
	return (execution.data.resultData.runData[node] ?? []).flatMap((run) => run.data?.main?.[output] ?? []).map((item) => item.json);
}

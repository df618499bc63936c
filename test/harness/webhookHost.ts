/**
 * An in-process stand-in for n8n's webhook server: activates a workflow's webhook nodes through
 * their webhookMethods (checkExists → create, delete on deactivation) with n8n-core's HookContext,
 * serves `/webhook/<path>` on a loopback port, and runs each request through the node's `webhook()`
 * with n8n-core's WebhookContext, as n8n 2.41's live and test webhooks do: a fresh Workflow per
 * request built from the persisted static data; the answer goes out once an execution is started
 * (responseMode `onReceived`), and the execution then runs on its own, saving the whole static-data
 * object it loaded when it changed it. Test webhooks (`/webhook-test/…`, mode `manual`) have their
 * own cached static data that is never saved. n8n's deduplication store is an in-memory copy of
 * n8n's own processed-data logic (test/harness/processedData.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { HookContext, WebhookContext } from 'n8n-core';
import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	INode,
	INodeExecutionData,
	IWebhookData,
	IWebhookDescription,
	IWebhookFunctions,
	IWebhookResponseData,
	IHookFunctions,
	Workflow,
	WorkflowActivateMode,
	WorkflowExecuteMode,
} from 'n8n-workflow';

import { additionalData, buildWorkflow, runWorkflow, type RunResult, type WorkflowJson } from './n8n';
import { captureLogs, ProcessedDataStore, useProcessedDataStore } from './processedData';

export interface WebhookHost {
	/** Base URL that webhook URLs are built on (`http://127.0.0.1:PORT/webhook`). */
	webhookBaseUrl: string;
	/** The production URL of a webhook node's default webhook. */
	webhookUrl(nodeName: string): string;
	/** The test URL ("Listen for test event") of a webhook node's default webhook. */
	testWebhookUrl(nodeName: string): string;
	/** Every emitted batch of items (one per execution a production delivery started). */
	emitted: INodeExecutionData[][];
	/** The batches test deliveries emitted. */
	testEmitted: INodeExecutionData[][];
	/** The finished executions production deliveries started, run through WorkflowExecute (mode `webhook`). */
	executions: RunResult[];
	/** The finished executions of test deliveries (mode `manual`). */
	testExecutions: RunResult[];
	/** HTTP responses given, in order: status code and body. */
	responses: Array<{ status: number; body: string }>;
	/** The persisted workflow static data (what n8n would have in its database). */
	staticData: IDataObject;
	/** n8n's deduplication store (the processed-data table) of this "instance". */
	processedData: ProcessedDataStore;
	/** What nodes logged through n8n's logger, in order. */
	logs: Array<{ level: 'info' | 'warn' | 'error'; message: string }>;
	/** Production activation: checkExists, then create when it says false (mode `trigger`, activation `activate`). */
	activate(): Promise<void>;
	/** Production deactivation: delete (mode `internal`, activation `update`). */
	deactivate(): Promise<void>;
	/** Starts "Listen for test event": checkExists → create in mode `manual`, with static data cached apart (never saved). */
	listenTest(): Promise<void>;
	/** Ends the test session: delete (mode `internal`) with the cached test static data. */
	stopTest(): Promise<void>;
	/** Resolves when every execution started so far has finished. */
	idle(): Promise<void>;
	close(): Promise<void>;
}

export interface WebhookHostOptions {
	credentials: Record<string, ICredentialDataDecryptedObject>;
	/** Static data from an earlier "process", to simulate a restart. */
	staticData?: IDataObject;
	/** n8n's deduplication store from an earlier "process" (it lives in n8n's database, so a restart keeps it). */
	processedData?: ProcessedDataStore;
	port?: number;
	/**
	 * Holds every started execution until the returned promise resolves (to test what happens while
	 * executions are in flight). Called once per execution, before it runs.
	 */
	beforeExecution?: () => Promise<void>;
}

interface ExpressLikeRequest {
	method: string;
	url: string;
	headers: IncomingMessage['headers'];
	body: unknown;
	rawBody: Buffer;
	query: Record<string, string>;
	params: Record<string, string>;
	header(name: string): string | undefined;
	get(name: string): string | undefined;
}

function webhookNodes(workflow: Workflow): Array<{ node: INode; description: IWebhookDescription }> {
	const found: Array<{ node: INode; description: IWebhookDescription }> = [];
	for (const node of Object.values(workflow.nodes)) {
		const type = workflow.nodeTypes.getByNameAndVersion(node.type, node.typeVersion);
		for (const description of type.description.webhooks ?? []) found.push({ node, description });
	}
	return found;
}

export async function startWebhookHost(json: WorkflowJson, options: WebhookHostOptions): Promise<WebhookHost> {
	let persisted: IDataObject = JSON.parse(JSON.stringify(options.staticData ?? {}));
	/** The test registration's static data, cached by n8n's TestWebhooks and never saved to the database. */
	let testStaticData: IDataObject | undefined;
	const processedData = options.processedData ?? new ProcessedDataStore();
	useProcessedDataStore(processedData);
	const logs: WebhookHost['logs'] = [];
	const restoreLogger = captureLogs(logs);
	const emitted: INodeExecutionData[][] = [];
	const testEmitted: INodeExecutionData[][] = [];
	const executions: RunResult[] = [];
	const testExecutions: RunResult[] = [];
	const running = new Set<Promise<void>>();
	const responses: Array<{ status: number; body: string }> = [];
	let baseUrl = '';

	const copy = (value: IDataObject) => JSON.parse(JSON.stringify(value)) as IDataObject;
	const save = (workflow: Workflow) => {
		if (workflow.staticData.__dataChanged === true) {
			const saved = copy(workflow.staticData);
			delete saved.__dataChanged;
			persisted = saved;
		}
	};
	const webhookData = async (workflow: Workflow, node: INode, description: IWebhookDescription, isTest: boolean): Promise<IWebhookData> => {
		const data = await additionalData(options.credentials);
		Object.assign(data as object, { webhookBaseUrl: `${baseUrl}/webhook`, webhookTestBaseUrl: `${baseUrl}/webhook-test` });
		const path = `${node.webhookId ?? node.id}/${String(description.path)}`;
		return {
			httpMethod: 'POST',
			node: node.name,
			path,
			webhookDescription: description,
			workflowId: workflow.id,
			workflowExecuteAdditionalData: data,
			webhookId: node.webhookId,
			isTest,
		};
	};

	/** Runs a hook method on every webhook node, as n8n's WebhookService does. */
	const runHooks = async (workflow: Workflow, method: 'checkExists' | 'delete', mode: WorkflowExecuteMode, activation: WorkflowActivateMode, isTest: boolean) => {
		for (const { node, description } of webhookNodes(workflow)) {
			const type = workflow.nodeTypes.getByNameAndVersion(node.type, node.typeVersion);
			const fn = type.webhookMethods?.[description.name]?.[method] as ((this: IHookFunctions) => Promise<boolean>) | undefined;
			if (!fn) continue;
			const data = await webhookData(workflow, node, description, isTest);
			const context = new HookContext(workflow, node, data.workflowExecuteAdditionalData, mode, activation, data);
			const exists = await fn.call(context);
			if (method === 'checkExists' && !exists) {
				const create = type.webhookMethods?.[description.name]?.create as ((this: IHookFunctions) => Promise<boolean>) | undefined;
				if (create) await create.call(context);
			}
		}
	};

	const runExecution = async (startNode: string, input: INodeExecutionData[], mode: WorkflowExecuteMode, staticData: IDataObject, isTest: boolean) => {
		if (options.beforeExecution) await options.beforeExecution();
		// As n8n 2.41 does: the execution starts from the static-data object the request loaded (its
		// change flag cleared) and, for production, saves the whole object at the end when it changed:
		// whatever was saved in between by others is overwritten.
		const loaded = copy(staticData);
		delete loaded.__dataChanged;
		const run = await runWorkflow(json, { startNode, input, mode, staticData: loaded, credentials: options.credentials });
		(isTest ? testExecutions : executions).push(run);
		if (!isTest && run.workflow.staticData.__dataChanged === true) save(run.workflow);
	};

	const handle = async (req: IncomingMessage, res: ServerResponse, rawBody: Buffer) => {
		const isTest = (req.url ?? '').startsWith('/webhook-test/');
		if (isTest && !testStaticData) {
			res.writeHead(404).end('test webhook not registered');
			responses.push({ status: 404, body: 'test webhook not registered' });
			return;
		}
		const workflow = await buildWorkflow(json, copy(isTest ? (testStaticData as IDataObject) : persisted));
		const prefix = isTest ? '/webhook-test/' : '/webhook/';
		const target = webhookNodes(workflow).find(({ node, description }) => req.url === `${prefix}${node.webhookId ?? node.id}/${String(description.path)}`);
		if (!target) {
			res.writeHead(404).end('webhook not registered');
			responses.push({ status: 404, body: 'webhook not registered' });
			return;
		}
		const mode: WorkflowExecuteMode = isTest ? 'manual' : 'webhook';
		const data = await webhookData(workflow, target.node, target.description, isTest);
		const text = rawBody.toString('utf8');
		let body: unknown = {};
		if (text && String(req.headers['content-type'] ?? '').includes('json')) {
			try {
				body = JSON.parse(text);
			} catch {
				body = {};
			}
		}
		const headers = req.headers;
		const request: ExpressLikeRequest = {
			method: req.method ?? 'POST',
			url: req.url ?? '/',
			headers,
			body,
			rawBody,
			query: {},
			params: {},
			header: (name) => headers[name.toLowerCase()] as string | undefined,
			get: (name) => headers[name.toLowerCase()] as string | undefined,
		};
		let status = 200;
		let sent: string | undefined;
		const response = {
			status(code: number) {
				status = code;
				return response;
			},
			json(value: unknown) {
				sent = JSON.stringify(value);
				return response;
			},
			send(value: unknown) {
				sent = typeof value === 'string' ? value : JSON.stringify(value);
				return response;
			},
			end(value?: unknown) {
				if (value !== undefined) sent = String(value);
				return response;
			},
			setHeader() {
				return response;
			},
			header() {
				return response;
			},
		};
		Object.assign(data.workflowExecuteAdditionalData, { httpRequest: request, httpResponse: response });
		const context = new WebhookContext(workflow, target.node, data.workflowExecuteAdditionalData, mode, data, [], null);
		const type = workflow.nodeTypes.getByNameAndVersion(target.node.type, target.node.typeVersion);
		let result: IWebhookResponseData;
		try {
			result = await (type.webhook as (this: IWebhookFunctions) => Promise<IWebhookResponseData>).call(context);
		} catch (error) {
			res.writeHead(500, { 'Content-Type': 'text/plain' }).end((error as Error).message);
			responses.push({ status: 500, body: (error as Error).message });
			return;
		}
		if (result.workflowData) {
			// n8n 2.41 does not save static data written by webhook() when the request starts an
			// execution; with responseMode `onReceived` it answers once the execution is started, not finished.
			(isTest ? testEmitted : emitted).push(...result.workflowData);
			const execution = runExecution(target.node.name, result.workflowData[0], mode, copy(workflow.staticData), isTest).catch((error: Error) => {
				responses.push({ status: 500, body: `execution failed: ${error.message}` });
			});
			running.add(execution);
			void execution.finally(() => running.delete(execution));
		} else if (!isTest) {
			save(workflow);
		}
		if (result.noWebhookResponse) {
			const out = sent ?? '';
			res.writeHead(status, { 'Content-Type': 'application/json' }).end(out);
			responses.push({ status, body: out });
			return;
		}
		const out = JSON.stringify(result.webhookResponse ?? { message: 'Workflow was started' });
		res.writeHead(200, { 'Content-Type': 'application/json' }).end(out);
		responses.push({ status: 200, body: out });
	};

	const server: Server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			handle(req, res, Buffer.concat(chunks)).catch((error: Error) => {
				responses.push({ status: 500, body: error.message });
				res.writeHead(500).end(error.message);
			});
		});
	});
	await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
	baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

	const urlOf = (nodeName: string, prefix: string) => {
		const node = json.nodes.find((n) => n.name === nodeName);
		if (!node) throw new Error(`No node ${nodeName}`);
		return `${baseUrl}/${prefix}/${node.webhookId ?? node.id}/webhook`;
	};
	const idle = async () => {
		while (running.size > 0) await Promise.all([...running]);
	};

	return {
		get webhookBaseUrl() {
			return `${baseUrl}/webhook`;
		},
		webhookUrl: (nodeName) => urlOf(nodeName, 'webhook'),
		testWebhookUrl: (nodeName) => urlOf(nodeName, 'webhook-test'),
		emitted,
		testEmitted,
		executions,
		testExecutions,
		responses,
		get staticData() {
			return persisted;
		},
		processedData,
		logs,
		activate: async () => {
			// ActiveWorkflowManager: addWebhooks(workflow, …, 'trigger', activation), then saves static data.
			const workflow = await buildWorkflow(json, copy(persisted));
			await runHooks(workflow, 'checkExists', 'trigger', 'activate', false);
			save(workflow);
		},
		deactivate: async () => {
			const workflow = await buildWorkflow(json, copy(persisted));
			await runHooks(workflow, 'delete', 'internal', 'update', false);
			save(workflow);
		},
		listenTest: async () => {
			// TestWebhooks: createWebhookIfNotExists(workflow, webhook, 'manual', 'manual'); the registration caches workflow.staticData.
			const workflow = await buildWorkflow(json, copy(persisted));
			await runHooks(workflow, 'checkExists', 'manual', 'manual', true);
			const cached = copy(workflow.staticData);
			delete cached.__dataChanged;
			testStaticData = cached;
		},
		stopTest: async () => {
			if (!testStaticData) return;
			const workflow = await buildWorkflow(json, copy(testStaticData));
			await runHooks(workflow, 'delete', 'internal', 'update', true);
			testStaticData = undefined;
		},
		idle,
		close: async () => {
			await idle();
			restoreLogger();
			await new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			});
		},
	};
}

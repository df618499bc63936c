/**
 * An in-process stand-in for n8n's webhook server: activates a workflow's webhook nodes through
 * their webhookMethods (checkExists → create, delete on deactivation) with n8n-core's HookContext,
 * serves `/webhook/<path>` on a loopback port, and runs each request through the node's `webhook()`
 * with n8n-core's WebhookContext, as n8n's live-webhooks do: a fresh Workflow per request built
 * from the persisted static data, saved back when the node changed it.
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
} from 'n8n-workflow';

import { additionalData, buildWorkflow, runWorkflow, type RunResult, type WorkflowJson } from './n8n';

export interface WebhookHost {
	/** Base URL that webhook URLs are built on (`http://127.0.0.1:PORT/webhook`). */
	webhookBaseUrl: string;
	/** The production URL of a webhook node's default webhook. */
	webhookUrl(nodeName: string): string;
	/** Every emitted batch of items (one per execution the trigger started). */
	emitted: INodeExecutionData[][];
	/** The executions the deliveries started, run through WorkflowExecute. */
	executions: RunResult[];
	/** HTTP responses given, in order: status code and body. */
	responses: Array<{ status: number; body: string }>;
	/** The persisted workflow static data (what n8n would have in its database). */
	staticData: IDataObject;
	activate(): Promise<void>;
	deactivate(): Promise<void>;
	close(): Promise<void>;
}

export interface WebhookHostOptions {
	credentials: Record<string, ICredentialDataDecryptedObject>;
	/** Static data from an earlier "process", to simulate a restart. */
	staticData?: IDataObject;
	port?: number;
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
	const emitted: INodeExecutionData[][] = [];
	const executions: RunResult[] = [];
	const responses: Array<{ status: number; body: string }> = [];
	let baseUrl = '';

	const freshWorkflow = async () => buildWorkflow(json, JSON.parse(JSON.stringify(persisted)) as IDataObject);
	const save = (workflow: Workflow) => {
		if (workflow.staticData.__dataChanged === true) {
			const copy = JSON.parse(JSON.stringify(workflow.staticData)) as IDataObject;
			delete copy.__dataChanged;
			persisted = copy;
		}
	};
	const webhookData = async (workflow: Workflow, node: INode, description: IWebhookDescription): Promise<IWebhookData> => {
		const data = await additionalData(options.credentials);
		(data as { webhookBaseUrl: string }).webhookBaseUrl = `${baseUrl}/webhook`;
		const path = `${node.webhookId ?? node.id}/${String(description.path)}`;
		return {
			httpMethod: 'POST',
			node: node.name,
			path,
			webhookDescription: description,
			workflowId: workflow.id,
			workflowExecuteAdditionalData: data,
			webhookId: node.webhookId,
		};
	};

	const runHook = async (method: 'checkExists' | 'create' | 'delete') => {
		const workflow = await freshWorkflow();
		for (const { node, description } of webhookNodes(workflow)) {
			const type = workflow.nodeTypes.getByNameAndVersion(node.type, node.typeVersion);
			const fn = type.webhookMethods?.[description.name]?.[method] as ((this: IHookFunctions) => Promise<boolean>) | undefined;
			if (!fn) continue;
			const data = await webhookData(workflow, node, description);
			const context = new HookContext(workflow, node, data.workflowExecuteAdditionalData, 'webhook', 'activate', data);
			const exists = await fn.call(context);
			if (method === 'checkExists' && !exists) {
				const create = type.webhookMethods?.[description.name]?.create as ((this: IHookFunctions) => Promise<boolean>) | undefined;
				if (create) await create.call(context);
			}
		}
		save(workflow);
	};

	const handle = async (req: IncomingMessage, res: ServerResponse, rawBody: Buffer) => {
		const workflow = await freshWorkflow();
		const target = webhookNodes(workflow).find(({ node, description }) => req.url === `/webhook/${node.webhookId ?? node.id}/${String(description.path)}`);
		if (!target) {
			res.writeHead(404).end('webhook not registered');
			responses.push({ status: 404, body: 'webhook not registered' });
			return;
		}
		const data = await webhookData(workflow, target.node, target.description);
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
		const context = new WebhookContext(workflow, target.node, data.workflowExecuteAdditionalData, 'webhook', data, [], null);
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
			// As n8n 2.41 does: the static data written by webhook() is not saved when the request starts
			// an execution; the execution (which runs the trigger's execute(), if any) starts from the
			// stored static data and saves it at the end when it changed.
			emitted.push(...result.workflowData);
			const startData = JSON.parse(JSON.stringify(persisted)) as IDataObject;
			const run = await runWorkflow(json, { startNode: target.node.name, input: result.workflowData[0], mode: 'webhook', staticData: startData, credentials: options.credentials });
			executions.push(run);
			if (run.workflow.staticData.__dataChanged === true) save(run.workflow);
		} else {
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

	return {
		get webhookBaseUrl() {
			return `${baseUrl}/webhook`;
		},
		webhookUrl(nodeName: string) {
			const node = json.nodes.find((n) => n.name === nodeName);
			if (!node) throw new Error(`No node ${nodeName}`);
			return `${baseUrl}/webhook/${node.webhookId ?? node.id}/webhook`;
		},
		emitted,
		executions,
		responses,
		get staticData() {
			return persisted;
		},
		activate: () => runHook('checkExists'),
		deactivate: () => runHook('delete'),
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
}

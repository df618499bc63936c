/**
 * In-process n8n: loads n8n-nodes-base and this package's dist/ with n8n-core's loader and runs
 * workflow JSON through WorkflowExecute, the engine a real n8n uses. Credentials come from the test.
 *
 * Learned from n8n's own NodeTestHarness (packages/core/nodes-testing), which is not published.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// n8n-core reads its user folder at import time: point it at a temp folder first.
process.env.N8N_USER_FOLDER ??= mkdtempSync(path.join(tmpdir(), 'revops-n8n-'));
process.env.N8N_DIAGNOSTICS_ENABLED = 'false';

import {
	ExecutionLifecycleHooks,
	LazyPackageDirectoryLoader,
	WorkflowExecute,
	type DirectoryLoader,
} from 'n8n-core';
import {
	createRunExecutionData,
	ICredentialsHelper,
	NodeHelpers,
	Workflow,
	type ICredentialDataDecryptedObject,
	type ICredentialType,
	type ICredentialTypes,
	type ICredentials,
	type IDataObject,
	type IHttpRequestHelper,
	type IHttpRequestOptions,
	type INode,
	type INodeCredentialsDetails,
	type INodeExecutionData,
	type INodeType,
	type INodeTypes,
	type IRun,
	type IRunExecutionData,
	type IVersionedNodeType,
	type IWorkflowBase,
	type IWorkflowExecuteAdditionalData,
	type WorkflowActivateMode,
	type WorkflowExecuteMode,
} from 'n8n-workflow';

export const PACKAGE_ROOT = path.resolve(__dirname, '../..');
export const PACKAGE_NAME = 'n8n-nodes-stripe-revops';

type Loader = DirectoryLoader;

let loadersPromise: Promise<Record<string, Loader>> | undefined;

/** Loads n8n-nodes-base and this package (from dist/; run `npm run build` first) once per test file. */
export function loadPackages(): Promise<Record<string, Loader>> {
	loadersPromise ??= (async () => {
		const basePath = path.dirname(require.resolve('n8n-nodes-base/package.json'));
		const loaders: Record<string, Loader> = {};
		for (const dir of [basePath, PACKAGE_ROOT]) {
			const loader = new LazyPackageDirectoryLoader(dir);
			await loader.loadAll();
			loaders[loader.packageName] = loader;
		}
		return loaders;
	})();
	return loadersPromise;
}

/** Node types defined by tests themselves (e.g. a probe for the shared action router), by full type name. */
const testNodeTypes = new Map<string, INodeType | IVersionedNodeType>();

/** Makes a test-defined node type available to workflows run by this harness as `typeName` (e.g. `test.routerProbe`). */
export function registerTestNodeType(typeName: string, type: INodeType | IVersionedNodeType): void {
	testNodeTypes.set(typeName, type);
}

class HarnessNodeTypes implements INodeTypes {
	constructor(private readonly loaders: Record<string, Loader>) {}

	getByName(nodeType: string): INodeType | IVersionedNodeType {
		const own = testNodeTypes.get(nodeType);
		if (own) return own;
		const [packageName, name] = splitType(nodeType);
		const loader = this.loaders[packageName];
		if (!loader) throw new Error(`Unknown node package "${packageName}" for ${nodeType}`);
		return loader.getNode(name).type;
	}

	getByNameAndVersion(nodeType: string, version?: number): INodeType {
		return NodeHelpers.getVersionedNodeType(this.getByName(nodeType), version);
	}

	getKnownTypes() {
		const known: Record<string, { className: string; sourcePath: string }> = {};
		for (const [pkg, loader] of Object.entries(this.loaders)) {
			for (const [name, info] of Object.entries(loader.known.nodes)) known[`${pkg}.${name}`] = info;
		}
		return known;
	}
}

function splitType(nodeType: string): [string, string] {
	const dot = nodeType.lastIndexOf('.');
	return [nodeType.slice(0, dot), nodeType.slice(dot + 1)];
}

class HarnessCredentialTypes implements ICredentialTypes {
	constructor(private readonly loaders: Record<string, Loader>) {}

	recognizes(type: string): boolean {
		return Object.values(this.loaders).some((l) => type in l.known.credentials);
	}

	getByName(type: string): ICredentialType {
		for (const loader of Object.values(this.loaders)) {
			if (type in loader.known.credentials) return loader.getCredential(type).type;
		}
		throw new Error(`Unknown credential type "${type}"`);
	}

	getSupportedNodes(): string[] {
		return [];
	}

	getParentTypes(): string[] {
		return [];
	}
}

/** Hands the test's credentials to nodes and authenticates requests the way the credential type says. */
class HarnessCredentialsHelper extends ICredentialsHelper {
	constructor(
		private readonly types: HarnessCredentialTypes,
		private readonly credentials: Record<string, ICredentialDataDecryptedObject>,
	) {
		super();
	}

	getParentTypes(): string[] {
		return [];
	}

	isCredentialUsableByNode(): boolean {
		return true;
	}

	async authenticate(credentials: ICredentialDataDecryptedObject, typeName: string, requestOptions: IHttpRequestOptions): Promise<IHttpRequestOptions> {
		const type = this.types.getByName(typeName);
		if (typeof type.authenticate === 'function') return await type.authenticate(credentials, requestOptions);
		return requestOptions;
	}

	async preAuthentication(
		_helpers: IHttpRequestHelper,
		_credentials: ICredentialDataDecryptedObject,
	): Promise<ICredentialDataDecryptedObject | undefined> {
		return undefined;
	}

	async runPreAuthentication(): Promise<ICredentialDataDecryptedObject | undefined> {
		return undefined;
	}

	async getCredentials(_details: INodeCredentialsDetails, _type: string): Promise<ICredentials> {
		throw new Error('getCredentials is not used by the harness');
	}

	async getDecrypted(_additional: IWorkflowExecuteAdditionalData, _details: INodeCredentialsDetails, type: string): Promise<ICredentialDataDecryptedObject> {
		const found = this.credentials[type];
		if (!found) throw new Error(`The test gave no credentials of type "${type}"`);
		return found;
	}

	async updateCredentials(): Promise<void> {}

	async updateCredentialsOauthTokenData(): Promise<void> {}

	getCredentialsProperties() {
		return [];
	}
}

export interface RunOptions {
	/** Credential data by credential type name, e.g. `{ stripeRevOpsApi: { secretKey, baseUrl } }`. */
	credentials?: Record<string, ICredentialDataDecryptedObject>;
	/** Items the start node receives (default one empty item). */
	input?: INodeExecutionData[];
	/** Name of the node to start from (default: n8n's choice of start node). */
	startNode?: string;
	mode?: WorkflowExecuteMode;
	/** Workflow static data (persisted trigger state); mutated in place like n8n does. */
	staticData?: IDataObject;
}

export interface RunResult {
	status: IRun['status'];
	/** Each node's items on each output of its last run. */
	outputs: Record<string, INodeExecutionData[][]>;
	/** Node names in the order they ran. */
	order: string[];
	/** Node-level errors by node name. */
	errors: Record<string, Error>;
	run: IRun;
	workflow: Workflow;
}

export type WorkflowJson = Pick<IWorkflowBase, 'nodes' | 'connections'> & Partial<Pick<IWorkflowBase, 'settings' | 'staticData' | 'name'>>;

/** Builds an n8n Workflow with this harness's node types (for trigger and webhook tests). */
export async function buildWorkflow(json: WorkflowJson, staticData?: IDataObject): Promise<Workflow> {
	const loaders = await loadPackages();
	return new Workflow({
		id: 'harness',
		name: json.name ?? 'harness',
		nodes: json.nodes,
		connections: json.connections,
		nodeTypes: new HarnessNodeTypes(loaders),
		settings: json.settings,
		staticData: staticData ?? (json.staticData as IDataObject | undefined),
		active: false,
	});
}

/** Additional data as a real n8n would pass it; only what nodes in these tests read. */
export async function additionalData(credentials: Record<string, ICredentialDataDecryptedObject> = {}, hooks?: ExecutionLifecycleHooks): Promise<IWorkflowExecuteAdditionalData> {
	const loaders = await loadPackages();
	const helper = new HarnessCredentialsHelper(new HarnessCredentialTypes(loaders), credentials);
	return {
		credentialsHelper: helper,
		hooks,
		executionId: '1',
		currentNodeExecutionIndex: 0,
		restApiUrl: 'http://127.0.0.1:5678/rest',
		instanceBaseUrl: 'http://127.0.0.1:5678/',
		formBaseUrl: 'http://127.0.0.1:5678/form',
		formWaitingBaseUrl: 'http://127.0.0.1:5678/form-waiting',
		formTestBaseUrl: 'http://127.0.0.1:5678/form-test',
		webhookBaseUrl: 'http://127.0.0.1:5678/webhook',
		webhookWaitingBaseUrl: 'http://127.0.0.1:5678/webhook-waiting',
		webhookTestBaseUrl: 'http://127.0.0.1:5678/webhook-test',
		mcpBaseUrl: 'http://127.0.0.1:5678/mcp',
		mcpTestBaseUrl: 'http://127.0.0.1:5678/mcp-test',
		variables: {},
		executeWorkflow: async () => {
			throw new Error('Sub-workflows are not supported by the harness');
		},
		getRunExecutionData: async () => undefined,
		getRuntimeCredential: async () => undefined,
		logAiEvent: () => undefined,
		startRunnerTask: async () => {
			throw new Error('The Code node needs a task runner, which the in-process harness does not have');
		},
	} as unknown as IWorkflowExecuteAdditionalData;
}

/** Runs a workflow JSON to completion and returns every node's output. */
export async function runWorkflow(json: WorkflowJson, options: RunOptions = {}): Promise<RunResult> {
	const workflow = await buildWorkflow(json, options.staticData);
	const mode = options.mode ?? 'manual';
	const hooks = new ExecutionLifecycleHooks(mode, '1', json as IWorkflowBase);
	const order: string[] = [];
	hooks.addHandler('nodeExecuteAfter', (nodeName: string) => {
		order.push(nodeName);
	});
	let finish: (run: IRun) => void = () => undefined;
	const done = new Promise<IRun>((resolve) => (finish = resolve));
	hooks.addHandler('workflowExecuteAfter', (run: IRun) => finish(run));

	const data = await additionalData(options.credentials, hooks);
	const start: INode | undefined = options.startNode ? workflow.getNode(options.startNode) ?? undefined : workflow.getStartNode();
	if (!start) throw new Error('The workflow has no start node');
	const runExecutionData: IRunExecutionData = createRunExecutionData({
		executionData: {
			nodeExecutionStack: [{ node: start, data: { main: [options.input ?? [{ json: {} }]] }, source: null }],
		},
	});
	const execute = new WorkflowExecute(data, mode, runExecutionData);
	await execute.processRunExecutionData(workflow);
	const run = await done;

	const outputs: Record<string, INodeExecutionData[][]> = {};
	const errors: Record<string, Error> = {};
	for (const [name, runs] of Object.entries(run.data.resultData.runData)) {
		const last = runs[runs.length - 1];
		outputs[name] = (last?.data?.main ?? []).map((items) => items ?? []);
		if (last?.error) errors[name] = last.error;
	}
	return { status: run.status, outputs, order, errors, run, workflow };
}

export interface PollRun {
	/** What `poll()` returned (n8n starts one more execution with it when it is not null). */
	items: INodeExecutionData[][] | null;
	/** Every execution this poll started, in order: the node's own `__emit` calls, then the returned items. */
	executions: INodeExecutionData[][][];
	/**
	 * The static data in the running n8n after the poll: the same object that was passed in, mutated
	 * (n8n keeps one Workflow per active workflow in memory). Pass it to the next poll of the same process.
	 */
	staticData: IDataObject;
	/**
	 * A JSON copy of what n8n wrote to its database during this poll, or `undefined` when it wrote
	 * nothing (then the database keeps what it had). Start the next poll from the last one to simulate
	 * a restart.
	 */
	persisted: IDataObject | undefined;
}

/**
 * Runs one poll of a polling trigger with n8n-core's PollContext and persists static data when
 * n8n 2.41.1 does (its default, in-memory poll scheduler; read in n8n/dist and n8n-core/dist):
 * - `PollTriggerExecutor.create` (n8n-core execution-engine/poll-trigger-executor.js) calls
 *   `__emit(response)` when the poll returns items; `TriggerExecutionContextFactory.getExecutePollFunctions`
 *   (n8n workflows/triggers/trigger-execution-context.factory.js) implements `__emit` as
 *   `saveStaticData(workflow)` and then starts an execution. A node may call `this.__emit` itself.
 * - A poll that returns `null` calls `commitStagedCursor`, i.e. `__commitCursor`, which saves nothing
 *   unless durable poll cursors are on (N8N_POLLER_DURABLE_CURSORS_ENABLED with the durable scheduler):
 *   its static data stays in memory only, until the next `__emit`, and is lost on a restart.
 * - The poll n8n runs while activating a workflow (publish, or every active workflow at startup:
 *   `ActiveWorkflowTriggers.activatePollTrigger` → `executePollTrigger(true)`) is followed by
 *   `ActiveWorkflowManager.add` → `saveStaticData(workflow)`: pass `activation` for that poll.
 * `saveStaticData` writes the whole static-data object, and only when `__dataChanged` is set.
 */
export async function runPoll(
	json: WorkflowJson,
	nodeName: string,
	options: {
		credentials: Record<string, ICredentialDataDecryptedObject>;
		/** The in-memory static data (default: a fresh, empty one). */
		staticData?: IDataObject;
		mode?: WorkflowExecuteMode;
		/** Set for the poll n8n runs while activating the workflow ('init' at startup, 'activate' on publish). */
		activation?: WorkflowActivateMode;
		/** What `getPollBudgetMs()` answers (n8n's default poll context: 5 minutes). */
		pollBudgetMs?: number;
	},
): Promise<PollRun> {
	const { PollContext } = await import('n8n-core');
	const staticData = options.staticData ?? {};
	// A new Workflow resets the change flag; the running n8n keeps it set until it saves.
	const changed = (staticData as { __dataChanged?: unknown }).__dataChanged === true;
	const workflow = await buildWorkflow(json, staticData);
	if (changed) workflow.staticData.__dataChanged = true;
	const node = workflow.getNode(nodeName);
	if (!node) throw new Error(`No node ${nodeName}`);
	const type = workflow.nodeTypes.getByNameAndVersion(node.type, node.typeVersion);
	if (!type.poll) throw new Error(`${node.type} is not a polling node`);
	const data = await additionalData(options.credentials);
	const mode = options.mode ?? 'trigger';
	const executions: INodeExecutionData[][][] = [];
	let persisted: IDataObject | undefined;
	const saveStaticData = () => {
		if (workflow.staticData.__dataChanged !== true) return;
		persisted = JSON.parse(JSON.stringify(workflow.staticData)) as IDataObject;
		delete persisted.__dataChanged;
		workflow.staticData.__dataChanged = false;
	};
	const emit = (items: INodeExecutionData[][]) => {
		saveStaticData();
		executions.push(items);
	};
	const emitError = (error: Error) => {
		throw error;
	};
	const budgetMs = options.pollBudgetMs;
	const budget = budgetMs === undefined ? undefined : () => budgetMs;
	// A manual run ("Fetch Test Event") gets WorkflowExecute's bare PollContext, whose __emit throws.
	const context =
		mode === 'manual'
			? new PollContext(workflow, node, data, mode, 'manual', undefined, undefined, undefined, undefined, undefined, budget)
			: new PollContext(workflow, node, data, mode, options.activation ?? 'activate', emit, emitError, undefined, undefined, undefined, budget);
	const items = await type.poll.call(context);
	// In manual mode ("Fetch Test Event") the editor shows the items; nothing is emitted or saved.
	if (mode !== 'manual') {
		if (items !== null) emit(items);
		if (options.activation !== undefined) saveStaticData();
	}
	return { items, executions, staticData, persisted };
}

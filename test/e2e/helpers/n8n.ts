/**
 * Typed access to a real n8n from Jest. The work is done by scripts/n8n/env.mjs (plain Node ESM, which Jest
 * cannot import): each startN8n() runs `node scripts/n8n/env.mjs rpc` as a child process and talks to it in
 * JSON lines. When the child's stdin closes (stop(), or this Jest worker dying), it stops its n8n.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';
import { createInterface } from 'node:readline';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
const ENV_SCRIPT = path.join(ROOT, 'scripts', 'n8n', 'env.mjs');

export interface CliResult {
	code: number;
	stdout: string;
	stderr: string;
}

export interface CliOptions {
	timeoutMs?: number;
	/** Return a non-zero exit instead of throwing. */
	allowFailure?: boolean;
}

/** A workflow or credentials export, or the path of a JSON file holding one. */
export type ImportInput = string | object;

export interface StartOptions {
	/** .tgz from `npm pack`; undefined: $N8N_E2E_PACKAGE_TARBALL (set by scripts/e2e.mjs) or build and pack now; null: no package. */
	packageTarball?: string | null;
	/** Extra environment for n8n and its CLI. */
	env?: Record<string, string>;
	/** HTTP port (default: a free one). */
	port?: number;
	/**
	 * N8N_USER_FOLDER to use (default: a fresh temporary folder that stop() removes). A folder you pass is kept;
	 * starting again on it (same port for the same webhook URLs) restarts n8n on the same data and encryption key.
	 */
	userFolder?: string;
	/** N8N_ENCRYPTION_KEY (default: random, remembered in `<userFolder>/.n8n/e2e-encryption-key`). */
	encryptionKey?: string;
	/** Imported with the n8n CLI before the server starts (so triggers of active workflows register at start). */
	imports?: { credentials?: ImportInput[]; workflows?: ImportInput[] };
	/** Create the owner account at start (rest() does it on first use anyway). */
	owner?: boolean;
	/** Keep the temporary user folder after stop() (also N8N_E2E_KEEP=1). */
	keepUserFolder?: boolean;
	readyTimeoutMs?: number;
}

export interface NodeTypeDescription {
	name: string;
	displayName: string;
	version: number | number[];
	[key: string]: unknown;
}

export interface CredentialTypeDescription {
	name: string;
	displayName: string;
	properties: Array<{ name: string; type: string; default?: unknown; [key: string]: unknown }>;
	[key: string]: unknown;
}

export interface ExecutionItem {
	json: Record<string, unknown>;
	[key: string]: unknown;
}

export interface NodeRun {
	executionStatus?: string;
	data?: { main?: Array<ExecutionItem[] | null> };
	error?: { message?: string; description?: string; [key: string]: unknown };
	[key: string]: unknown;
}

/** What `n8n execute --rawOutput` prints. */
export interface Execution {
	status: string;
	finished: boolean;
	mode: string;
	data: {
		resultData: {
			runData: Record<string, NodeRun[]>;
			lastNodeExecuted?: string;
			error?: { message?: string; [key: string]: unknown };
		};
		[key: string]: unknown;
	};
	[key: string]: unknown;
}

export interface N8nInstance {
	/** http://127.0.0.1:<port> */
	url: string;
	port: number;
	brokerPort: number;
	/** N8N_USER_FOLDER; n8n's data is in `<userFolder>/.n8n`. */
	userFolder: string;
	n8nFolder: string;
	/** Where the package was unpacked (`.n8n/nodes/node_modules/n8n-nodes-stripe-revops`). */
	packageDir: string | null;
	pid: number;
	/** n8n's own output goes here. */
	logPath: string;
	owner: { email: string; password: string; firstName: string; lastName: string };
	/** Runs `n8n <args>` with this instance's environment; throws on a non-zero exit unless allowFailure. */
	cli(args: string[], options?: CliOptions): Promise<CliResult>;
	/** `n8n import:workflow`; throws unless it reports success. */
	importWorkflow(input: ImportInput): Promise<CliResult>;
	/** `n8n import:credentials` (plain `data` is encrypted on import); throws unless it reports success. */
	importCredentials(input: ImportInput): Promise<CliResult>;
	/** `n8n execute --id=<id> --rawOutput` (Manual Trigger workflows) and its parsed execution. */
	executeWorkflow(id: string, options?: { timeoutMs?: number }): Promise<Execution>;
	/** n8n's REST API as the owner (session cookie); returns the `data` of the answer; throws on a non-2xx status. */
	rest<T = unknown>(method: string, urlPath: string, body?: unknown): Promise<T>;
	nodeTypes(): Promise<NodeTypeDescription[]>;
	credentialTypes(): Promise<CredentialTypeDescription[]>;
	/** Publishes a workflow in the running server (its webhooks go live a moment later: see waitForWebhook). */
	activateWorkflow(id: string): Promise<Record<string, unknown>>;
	deactivateWorkflow(id: string): Promise<Record<string, unknown>>;
	/** `${url}/webhook/${path}` */
	webhookUrl(webhookPath: string): string;
	/**
	 * Resolves once n8n serves the production webhook `path` (probes with a CORS preflight, which runs nothing).
	 * It cannot tell when a webhook is gone: after deactivateWorkflow() the preflight still answers while the
	 * webhook itself answers 404 a moment later; poll the webhook itself if a test needs that.
	 */
	waitForWebhook(webhookPath: string, options?: { method?: string; timeoutMs?: number }): Promise<void>;
	/** Everything n8n printed so far. */
	logs(): Promise<string>;
	/** Stops n8n (SIGTERM, then SIGKILL) and removes its temporary user folder. Safe to call twice. */
	stop(): Promise<void>;
}

interface RpcAnswer {
	id: number | null;
	result?: unknown;
	error?: { message: string; stack?: string };
}

class RpcChild {
	private readonly child: ChildProcessWithoutNullStreams;
	private nextId = 1;
	private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
	private exited: Promise<void>;
	private closed = false;

	constructor() {
		this.child = spawn(process.execPath, [ENV_SCRIPT, 'rpc'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
		this.child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
		createInterface({ input: this.child.stdout }).on('line', (line) => this.onLine(line));
		this.exited = new Promise((resolve) => {
			this.child.on('exit', (code, signal) => {
				this.closed = true;
				for (const { reject } of this.waiting.values()) {
					reject(new Error(`scripts/n8n/env.mjs rpc exited (code ${code}, signal ${signal}) before answering`));
				}
				this.waiting.clear();
				resolve();
			});
		});
	}

	/**
	 * While no call is waiting, the child does not keep Jest alive: a test file that forgets stop() does not hang
	 * the run, and when Jest exits the child's stdin closes, which stops its n8n.
	 */
	private hold(on: boolean): void {
		const handles = [this.child, this.child.stdin, this.child.stdout, this.child.stderr] as unknown as Array<{ ref?(): void; unref?(): void }>;
		for (const handle of handles) {
			if (on) handle.ref?.();
			else handle.unref?.();
		}
	}

	private onLine(line: string): void {
		let answer: RpcAnswer;
		try {
			answer = JSON.parse(line) as RpcAnswer;
		} catch {
			process.stderr.write(`${line}\n`);
			return;
		}
		if (answer.id === null) {
			process.stderr.write(`env.mjs rpc: ${answer.error?.message}\n`);
			return;
		}
		const waiter = this.waiting.get(answer.id);
		if (!waiter) return;
		this.waiting.delete(answer.id);
		if (this.waiting.size === 0) this.hold(false);
		if (answer.error) {
			const error = new Error(answer.error.message);
			waiter.reject(error);
		} else waiter.resolve(answer.result);
	}

	call<T>(method: string, ...params: unknown[]): Promise<T> {
		if (this.closed) return Promise.reject(new Error('scripts/n8n/env.mjs rpc is not running'));
		const id = this.nextId++;
		return new Promise<T>((resolve, reject) => {
			this.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
			this.hold(true);
			this.child.stdin.write(`${JSON.stringify({ id, method, params })}\n`);
		});
	}

	/** Closing stdin makes the child stop every n8n it started and exit. */
	async close(): Promise<void> {
		if (!this.closed) {
			this.hold(true);
			this.child.stdin.end();
		}
		await this.exited;
	}
}

interface Description {
	handle: number;
	url: string;
	port: number;
	brokerPort: number;
	userFolder: string;
	n8nFolder: string;
	packageDir: string | null;
	pid: number;
	logPath: string;
	owner: N8nInstance['owner'];
}

/** Starts a real n8n 2.41.1 (Node 24) with this package installed, on free loopback ports, and waits until it is ready. */
export async function startN8n(options: StartOptions = {}): Promise<N8nInstance> {
	const rpc = new RpcChild();
	let description: Description;
	try {
		description = await rpc.call<Description>('startN8n', options);
	} catch (error) {
		await rpc.close();
		throw error;
	}
	const { handle, ...fields } = description;
	const call = <T>(method: string, ...args: unknown[]) => rpc.call<T>(`instance.${method}`, handle, ...args);
	let stopped: Promise<void> | undefined;
	return {
		...fields,
		packageDir: fields.packageDir ?? null,
		cli: (args, cliOptions) => call<CliResult>('cli', args, cliOptions ?? {}),
		importWorkflow: (input) => call<CliResult>('importWorkflow', input),
		importCredentials: (input) => call<CliResult>('importCredentials', input),
		executeWorkflow: (id, executeOptions) => call<Execution>('executeWorkflow', id, executeOptions ?? {}),
		rest: <T>(method: string, urlPath: string, body?: unknown) => call<T>('rest', method, urlPath, body),
		nodeTypes: () => call<NodeTypeDescription[]>('nodeTypes'),
		credentialTypes: () => call<CredentialTypeDescription[]>('credentialTypes'),
		activateWorkflow: (id) => call<Record<string, unknown>>('activateWorkflow', id),
		deactivateWorkflow: (id) => call<Record<string, unknown>>('deactivateWorkflow', id),
		webhookUrl: (webhookPath) => `${fields.url}/webhook/${webhookPath.replace(/^\/+/, '')}`,
		waitForWebhook: (webhookPath, waitOptions) => call<void>('waitForWebhook', webhookPath, waitOptions ?? {}),
		logs: () => call<string>('logs'),
		stop: () => {
			stopped ??= (async () => {
				try {
					await call<void>('stop');
				} finally {
					await rpc.close();
				}
			})();
			return stopped;
		},
	};
}

/** Builds and packs the package once (scripts/e2e.mjs does this and passes N8N_E2E_PACKAGE_TARBALL). */
export async function packPackage(options: { build?: boolean } = {}): Promise<string> {
	const rpc = new RpcChild();
	try {
		return await rpc.call<string>('packPackage', options);
	} finally {
		await rpc.close();
	}
}

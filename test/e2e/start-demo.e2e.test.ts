/**
 * `npm start` as a new user runs it (scripts/start.mjs, the script itself, in a child process, on a temporary
 * n8n user folder): it comes up with the editor's URL and a login; every template is imported, the pipeline is
 * published, and within a minute of the "running" line the live traffic of the Stripe sandbox has started
 * pipeline executions that n8n records as successful; the outbox receives what the pipeline sends; Ctrl-C
 * (SIGINT) stops everything it started and frees its ports.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

import { executionsList, openEditor, screenshot } from './helpers/editor';
import { ROOT } from './helpers/n8n';
import { waitFor } from './triggerHelpers';

const PIPELINE = 'revopsPipeline01';

let child: ChildProcessWithoutNullStreams;
let stdout = '';
let stderr = '';
let userFolder: string;
let runningAt = 0;
let url = '';
let login = { email: '', password: '' };
let cookie = '';
let exited: Promise<number | null>;

function portOpen(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const socket = createConnection({ host: '127.0.0.1', port });
		socket.once('connect', () => {
			socket.destroy();
			resolve(true);
		});
		socket.once('error', () => resolve(false));
	});
}

async function rest<T>(method: string, urlPath: string, body?: unknown): Promise<T> {
	const response = await fetch(`${url}${urlPath}`, {
		method,
		headers: { 'browser-id': 'e2e-demo', accept: 'application/json', ...(cookie ? { cookie } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
		body: body ? JSON.stringify(body) : undefined,
	});
	const text = await response.text();
	if (!response.ok) throw new Error(`${method} ${urlPath} answered ${response.status}: ${text.slice(0, 300)}`);
	const setCookie = response.headers.getSetCookie().map((c) => c.split(';')[0]).find((c) => c.startsWith('n8n-auth='));
	if (setCookie) cookie = setCookie;
	const json = JSON.parse(text) as { data?: T };
	return (json.data ?? json) as T;
}

const ports = () => [...stdout.matchAll(/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));

beforeAll(async () => {
	userFolder = mkdtempSync(path.join(tmpdir(), 'revops-demo-'));
	child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'start.mjs'), `--user-folder=${userFolder}`, '--port=0'], { cwd: ROOT, env: { ...process.env }, stdio: ['pipe', 'pipe', 'pipe'] });
	exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
	child.stdout.on('data', (chunk: Buffer) => {
		stdout += chunk.toString();
		if (!runningAt && /is running/.test(stdout)) runningAt = Date.now();
	});
	child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
	await waitFor('npm start to say it is running', () => {
		if (child.exitCode !== null) throw new Error(`npm start exited (${child.exitCode}):\n${stderr.slice(-3000)}`);
		return runningAt > 0 && /Traffic follows below/.test(stdout);
	}, { timeoutMs: 280_000, intervalMs: 500 });
	url = /is running \(ready in \d+ s\): (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)![1];
	const match = /Log in as (\S+) \/ (\S+)/.exec(stdout)!;
	login = { email: match[1], password: match[2] };
}, 300_000);

afterAll(async () => {
	if (child && child.exitCode === null) {
		child.kill('SIGKILL');
		await exited;
	}
	rmSync(userFolder, { recursive: true, force: true });
});

describe('npm start', () => {
	it('prints the editor URL, a login that works and what to look at; every template is imported and the pipeline is published', async () => {
		expect(stdout).toMatch(/Look first:/);
		expect(stdout).toContain(`${url}/workflow/${PIPELINE}`);
		await rest('POST', '/rest/login', { emailOrLdapLoginId: login.email, password: login.password });
		const workflows = await rest<Array<{ id: string; active: boolean }>>('GET', '/rest/workflows');
		const templateIds = readdirSync(path.join(ROOT, 'workflows'))
			.filter((f) => f.endsWith('.json'))
			.map((f) => (JSON.parse(readFileSync(path.join(ROOT, 'workflows', f), 'utf8')) as { id: string }).id);
		expect(workflows.map((w) => w.id).sort()).toEqual(expect.arrayContaining(templateIds));
		expect(workflows.filter((w) => w.active).map((w) => w.id).sort()).toEqual([PIPELINE, 'stripeDashboard0', 'stripeWarehouse0'].sort());
		// The CRM setup ran: no note says it failed.
		expect(stdout).not.toMatch(/CRM setup run failed|Could not publish/);
	});

	it('within a minute of start-up the live traffic has started pipeline executions, all successful, and the outbox got a dunning mail or an access change', async () => {
		const filter = encodeURIComponent(JSON.stringify({ workflowId: PIPELINE }));
		const list = await waitFor(
			'a successful pipeline execution',
			async () => {
				const page = await rest<{ results: Array<{ id: string; status: string; mode: string }> }>('GET', `/rest/executions?filter=${filter}&limit=100`);
				return page.results.some((e) => e.status === 'success') ? page.results : undefined;
			},
			{ timeoutMs: Math.max(1000, runningAt + 60_000 - Date.now()), intervalMs: 1000 },
		);
		expect(list.filter((e) => !['success', 'running', 'new'].includes(e.status))).toEqual([]);
		const outbox = /The outbox: (http:\/\/127\.0\.0\.1:\d+)\//.exec(stdout)![1];
		// The pipeline also sends journals to the ERP and alerts to Slack; what this test looks for is the dunning side
		// (a mail or an access change), which follows the first failed payment the poll trigger reads. Wait for that
		// kind, not for whichever message comes first; on a timeout, say what did arrive.
		const dunning = await waitFor(
			'the pipeline to send a dunning mail or an access change to the outbox',
			async () => {
				const body = (await (await fetch(`${outbox}/messages.json`)).json()) as { messages: Array<{ kind: string; path?: string }> };
				const found = body.messages.find((m) => m.path === '/product/api/billing/access' || m.kind === 'mail');
				if (found) return found;
				throw new Error(`not yet; ${body.messages.length} messages: ${[...new Set(body.messages.map((m) => m.path ?? m.kind))].join(', ')}`);
			},
			{ timeoutMs: 180_000, intervalMs: 2000 },
		);
		expect(dunning.path === '/product/api/billing/access' || dunning.kind === 'mail').toBe(true);
		// The terminal shows the business living.
		expect(stderr).toMatch(/renewal paid|sign-up|payment failed/);
	});

	it('in the editor (headless Chromium), the pipeline\'s executions list shows its executions green', async () => {
		const session = await openEditor({ url, owner: login, theme: 'light' });
		try {
			const entries = await executionsList(session.page, PIPELINE, { minEntries: 3, timeoutMs: 60_000 });
			// The editor's "Production Checklist" popover of a published workflow covers the list: close it.
			await session.page.keyboard.press('Escape');
			const checklist = session.page.getByText('Production Checklist');
			if (await checklist.isVisible()) await checklist.locator('xpath=..').locator('button, [role=button], svg').last().click();
			expect(entries.length).toBeGreaterThanOrEqual(3);
			const finished = entries.filter((e) => !['running', 'new'].includes(e.status));
			expect(finished.length).toBeGreaterThan(0);
			expect(finished.filter((e) => e.status !== 'success' || e.colourClass !== 'success' || e.label !== 'Succeeded')).toEqual([]);
			expect(await screenshot(session.page, path.join(ROOT, 'docs', 'editor', 'demo-pipeline-executions.png'), { fit: false })).toBeGreaterThan(10_000);
			await session.page.goto(`${url}/workflow/${PIPELINE}`);
			await session.page.locator('[data-test-id=canvas-node]').first().waitFor({ state: 'visible', timeout: 30_000 });
			expect(await screenshot(session.page, path.join(ROOT, 'docs', 'editor', 'demo-pipeline.png'))).toBeGreaterThan(10_000);
		} finally {
			await session.close();
		}
	});

	it('Ctrl-C stops n8n, PostgreSQL and the sandboxes and frees their ports', async () => {
		const open = ports();
		expect(open.length).toBeGreaterThan(3);
		child.kill('SIGINT');
		const code = await Promise.race([exited, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 60_000))]);
		expect(code).toBe(0);
		const stillOpen: number[] = [];
		for (const port of new Set(open)) if (await portOpen(port)) stillOpen.push(port);
		expect(stillOpen).toEqual([]);
	});
});

describe('npm start with STRIPE_API_KEY (Stripe test mode; this machine cannot reach Stripe, so only the set-up is checked)', () => {
	it('refuses a live key before starting anything', async () => {
		const run = spawn(process.execPath, [path.join(ROOT, 'scripts', 'start.mjs'), '--port=0'], { cwd: ROOT, env: { ...process.env, STRIPE_API_KEY: 'sk_live_notAllowedHere000' } });
		let err = '';
		run.stderr.on('data', (d: Buffer) => (err += d.toString()));
		const code = await new Promise<number | null>((resolve) => run.once('exit', resolve));
		expect(code).toBe(1);
		expect(err).toContain('STRIPE_API_KEY must be a test-mode key');
		expect(err).not.toContain('Start n8n');
	}, 120_000);

	it('without a webhook secret: the pipeline reads the events with the poll trigger, published, and the notes say how webhooks would reach n8n', async () => {
		const folder = mkdtempSync(path.join(tmpdir(), 'revops-demo-real-'));
		const run = spawn(process.execPath, [path.join(ROOT, 'scripts', 'start.mjs'), `--user-folder=${folder}`, '--port=0'], { cwd: ROOT, env: { ...process.env, STRIPE_API_KEY: 'sk_test_e2eNoNetwork0000' } });
		let out = '';
		let err = '';
		run.stdout.on('data', (d: Buffer) => (out += d.toString()));
		run.stderr.on('data', (d: Buffer) => (err += d.toString()));
		const done = new Promise<number | null>((resolve) => run.once('exit', resolve));
		try {
			await waitFor('npm start (Stripe test mode) to say it is running', () => {
				if (run.exitCode !== null) throw new Error(`npm start exited (${run.exitCode}):\n${err.slice(-3000)}`);
				return /Ctrl-C stops everything/.test(out);
			}, { timeoutMs: 280_000, intervalMs: 500 });
			expect(out).toContain('Stripe test mode');
			expect(out).toContain('stripe listen --print-secret');
			expect(out).toMatch(/Could not list your meters/);
			expect(out).not.toMatch(/Stripe sandbox:|Could not publish/);
			expect(err).toContain('no Stripe sandbox');
			url = /is running \(ready in \d+ s\): (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1];
			cookie = '';
			const match = /Log in as (\S+) \/ (\S+)/.exec(out)!;
			await rest('POST', '/rest/login', { emailOrLdapLoginId: match[1], password: match[2] });
			const pipeline = await rest<{ active: boolean; nodes: Array<{ name: string; type: string }> }>('GET', `/rest/workflows/${PIPELINE}`);
			expect(pipeline.active).toBe(true);
			expect(pipeline.nodes.find((n) => n.name === 'Stripe Events')?.type).toBe('n8n-nodes-stripe-revops.stripeRevOpsEventsPollTrigger');
			const credentials = await rest<Array<{ name: string; type: string }>>('GET', '/rest/credentials');
			expect(credentials.map((c) => c.type).sort()).toEqual(['hubspotAppToken', 'postgres', 'smtp', 'stripeRevOpsApi']);
		} finally {
			run.kill('SIGINT');
			expect(await done).toBe(0);
			rmSync(folder, { recursive: true, force: true });
		}
	}, 300_000);
});

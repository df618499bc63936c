import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import Stripe from 'stripe';
import { startRecordingServer, type RecordingServer } from '../helpers/recordingServer';

const TSX = join(__dirname, '../../node_modules/tsx/dist/cli.mjs');
const SCRIPT = join(__dirname, '../../scripts/demo/services.ts');

interface Ready {
	stripe: { url: string; secretKey: string } | null;
	hubspot: { url: string; token: string };
	outbox: { httpUrl: string; smtpHost: string; smtpPort: number };
	traffic: { speed: number };
}

interface Services {
	child: ChildProcessWithoutNullStreams;
	ready: Ready;
	stdout: () => string;
	stderr: () => string;
	exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function startServices(args: string[]): Promise<Services> {
	const child = spawn(process.execPath, [TSX, SCRIPT, '--stripe-port', '0', '--hubspot-port', '0', '--outbox-port', '0', '--smtp-port', '0', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
	let out = '';
	let err = '';
	child.stderr.on('data', (d: Buffer) => (err += d.toString()));
	const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
	const ready = await new Promise<Ready>((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`no READY line in 40 s: ${out}\n${err}`)), 40_000);
		child.stdout.on('data', (d: Buffer) => {
			out += d.toString();
			const m = /^DEMO_SERVICES_READY (.*)$/m.exec(out);
			if (m) {
				clearTimeout(timer);
				resolve(JSON.parse(m[1]) as Ready);
			}
		});
		void exited.then(({ code }) => reject(new Error(`services exited (${code}) before READY: ${out}\n${err}`)));
	});
	return { child, ready, stdout: () => out, stderr: () => err, exited };
}

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, ms = 15_000): Promise<T> {
	const deadline = Date.now() + ms;
	for (;;) {
		const v = await probe();
		if (v) return v;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 200));
	}
}

describe('scripts/demo/services.ts', () => {
	let usage: RecordingServer;
	let services: Services;
	let stripe: Stripe;
	let startedAt: number;

	beforeAll(async () => {
		// The pipeline's webhook is not up at first: the first POST fails, and the same batch comes again.
		usage = await startRecordingServer((_r, i) => (i === 0 ? { status: 503, body: { message: 'not ready' } } : { status: 200, body: { ok: true } }));
		services = await startServices(['--traffic', '3600', '--tick-ms', '200', '--customers', '20', '--months', '2', '--usage-url', `${usage.url}/webhook/usage`, '--usage-every-ms', '300']);
		const u = new URL(services.ready.stripe!.url);
		stripe = new Stripe(services.ready.stripe!.secretKey, { host: u.hostname, port: Number(u.port), protocol: 'http', maxNetworkRetries: 2 });
		const clock = (await (await fetch(`${services.ready.stripe!.url}/_sandbox/clock`, { headers: { Authorization: `Bearer ${services.ready.stripe!.secretKey}` } })).json()) as { now: number };
		startedAt = clock.now;
	}, 60_000);
	afterAll(async () => {
		if (services?.child.exitCode === null) services.child.kill('SIGKILL');
		await usage?.close();
	});

	it('prints one READY line with where everything is', () => {
		const { ready } = services;
		expect(services.stdout().trim().split('\n')).toHaveLength(1);
		expect(ready).toMatchObject({
			stripe: { url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), secretKey: expect.stringMatching(/^sk_test_/) },
			hubspot: { url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), token: expect.stringMatching(/^pat-/) },
			outbox: { httpUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), smtpHost: '127.0.0.1', smtpPort: expect.any(Number) },
			traffic: { speed: 3600 },
		});
	});

	it('serves the seeded Stripe business to the official client', async () => {
		const customers = await stripe.customers.list({ limit: 100 });
		expect(customers.data.length).toBeGreaterThanOrEqual(20);
	});

	it('keeps making business: new customers, invoices and events, as the clock moves', async () => {
		const created = { gt: startedAt };
		await waitFor('a sign-up', async () => (await stripe.customers.list({ created })).data.length > 0);
		await waitFor('invoices', async () => (await stripe.invoices.list({ created })).data.length > 1);
		await waitFor('events', async () => (await stripe.events.list({ created, type: 'invoice.*' })).data.length > 1);
		await waitFor('a failed payment event', async () => (await stripe.events.list({ created, type: 'invoice.payment_failed' })).data.length > 0);
		const clock = (await (await fetch(`${services.ready.stripe!.url}/_sandbox/clock`, { headers: { Authorization: `Bearer ${services.ready.stripe!.secretKey}` } })).json()) as { now: number; mode: string };
		expect(clock.mode).toBe('frozen');
		// The first sign-up comes 3 sandbox hours in; the clock is at least there.
		expect(clock.now).toBeGreaterThanOrEqual(startedAt + 3 * 3600);
		await waitFor('a sign-up line on stderr', async () => /sign-up cus_\w+ \(\w+, \w+, \w+\)/.test(services.stderr()));
	});

	it('has the HubSpot sandbox answer with its token', async () => {
		const { url, token } = services.ready.hubspot;
		const ok = await fetch(`${url}/crm/v3/objects/contacts?limit=1`, { headers: { Authorization: `Bearer ${token}` } });
		expect(ok.status).toBe(200);
		const refused = await fetch(`${url}/crm/v3/objects/contacts?limit=1`, { headers: { Authorization: 'Bearer pat-na1-wrong' } });
		expect(refused.status).toBe(401);
	});

	it('records what is sent to the outbox', async () => {
		const { httpUrl } = services.ready.outbox;
		const res = await fetch(`${httpUrl}/slack/demo`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text: 'hello' }) });
		expect(await res.json()).toEqual({ ok: true });
		const json = (await (await fetch(`${httpUrl}/messages.json`)).json()) as { messages: Array<{ kind: string; path?: string; body?: unknown }> };
		expect(json.messages[0]).toMatchObject({ kind: 'http', path: '/slack/demo', body: { text: 'hello' } });
	});

	it('posts usage batches to --usage-url, the same batch again after a failure', async () => {
		await waitFor('two usage POSTs', async () => usage.requests.length >= 2);
		const [first, second] = usage.requests.map((r) => ({ method: r.method, url: r.url, type: r.headers['content-type'], body: JSON.parse(r.body) as { records: Array<Record<string, unknown>> } }));
		expect(first).toMatchObject({ method: 'POST', url: '/webhook/usage', type: 'application/json' });
		expect(second.body).toEqual(first.body);
		expect(first.body.records.length).toBeGreaterThan(0);
		const customers = new Set((await stripe.customers.list({ limit: 100 })).data.map((c) => c.id));
		for (const r of first.body.records) {
			expect(r).toEqual({ id: expect.stringMatching(/^use_\w+$/), customer: expect.stringMatching(/^cus_/), event_name: 'api_requests', value: expect.any(Number), timestamp: expect.any(Number) });
			expect(customers.has(r.customer as string)).toBe(true);
			// Stamped with the product's (wall) clock, not the sandbox's fast one.
			expect(Math.abs((r.timestamp as number) - Date.now() / 1000)).toBeLessThan(120);
		}
		await waitFor('a third POST with new records', async () => usage.requests.length >= 3);
		const third = JSON.parse(usage.requests[2].body) as { records: Array<{ id: string }> };
		const ids = new Set(first.body.records.map((r) => r.id));
		expect(third.records.some((r) => ids.has(r.id))).toBe(false);
	});

	it('stops within 5 s on SIGTERM', async () => {
		const t0 = Date.now();
		services.child.kill('SIGTERM');
		const { code, signal } = await services.exited;
		expect(Date.now() - t0).toBeLessThan(5000);
		expect(code === 0 || signal === 'SIGTERM').toBe(true);
	});

	it('with --no-stripe: the HubSpot sandbox and the outbox only, no usage posts', async () => {
		const before = usage.requests.length;
		const only = await startServices(['--no-stripe', '--usage-url', `${usage.url}/webhook/other`, '--usage-every-ms', '200']);
		try {
			expect(only.ready.stripe).toBeNull();
			expect((await fetch(`${only.ready.hubspot.url}/crm/v3/objects/contacts?limit=1`, { headers: { Authorization: `Bearer ${only.ready.hubspot.token}` } })).status).toBe(200);
			expect(only.stderr()).toContain('no Stripe sandbox');
			await new Promise((r) => setTimeout(r, 1500));
			expect(usage.requests.slice(before).filter((r) => r.url === '/webhook/other')).toEqual([]);
		} finally {
			only.child.kill('SIGTERM');
			await only.exited;
		}
	}, 60_000);

	it('stops when stdin closes', async () => {
		const quiet = await startServices(['--traffic', '0', '--customers', '0']);
		const t0 = Date.now();
		quiet.child.stdin.end();
		const { code } = await quiet.exited;
		expect(Date.now() - t0).toBeLessThan(5000);
		expect(code).toBe(0);
	}, 60_000);
});

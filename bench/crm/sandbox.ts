/**
 * The Stripe sandbox for bench/crm.mjs, in its own process (Stripe is another machine: its CPU and memory are not
 * n8n's), started with `node --import tsx bench/crm/sandbox.ts '<json options>'` and an IPC channel.
 *
 * Options (JSON): { seed, now, customers, months, limits: 'test' | 'live' | 'off', latency: 'stripe' | 0 }
 *   customers, months  the seeded business (sandbox seedData { customers, months }) up to `now` (unix seconds; absent:
 *                      real time), on a frozen clock, so the state (and every customer's test clock) does not move
 *                      between the two sides of the bench
 *   limits   test: Stripe's test-mode limits, 25 operations/s for the account + 25 requests/s per endpoint (default)
 *            live: 100 operations/s + 25 requests/s per endpoint; off: none
 *   latency  stripe: Stripe-like, 120 ms a call + 2 ms per object a list returns (a full page of 100: 320 ms; a
 *            customer's list of 3 invoices: 126 ms); 0: none
 *
 * The latency is added by a small proxy in front of the sandbox (this process), which the node talks to: the
 * sandbox's own `latencyMs` sees the path only, not the query (`limit`) nor the answer, so it cannot charge per
 * listed item. The proxy forwards at once (so the sandbox's rate limits apply at arrival, as Stripe's do), then holds
 * the answer for 120 ms + 2 ms per object in its `data`; it also counts the requests, per endpoint (ids as `:id`),
 * and the 429s.
 *
 * Messages: sends { type: 'ready', url, key, now, customers, seedMs, seedReport } once listening; answers
 * { type: 'customers', id } with { ids } (every customer id, in creation order), and { type: 'requests', id, reset }
 * with { total, byEndpoint, answered429, inFlightPeak } (since the last reset; reset: true starts a new count).
 */
import { createServer, request as httpRequest, Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { startSandbox } from '../../sandbox';

interface Options {
	seed: number;
	now?: number;
	customers: number;
	months: number;
	limits: 'test' | 'live' | 'off';
	latency: 'stripe' | 0;
}

const opts = JSON.parse(process.argv[2] ?? '{}') as Options;

/** lib/stripe/path.ts's id segment: a lower-case prefix, `_`, then characters with a digit or an upper-case letter. */
const ID_SEGMENT = /^[a-z]+(?:_[a-z]+)*_(?=[A-Za-z0-9_]*[0-9A-Z])[A-Za-z0-9_]+$/;
const endpoint = (method: string, url: string) =>
	`${method} ${url
		.split('?')[0]
		.split('/')
		.map((s) => (s.includes('%') || ID_SEGMENT.test(s) ? ':id' : s))
		.join('/')}`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const rateLimits = opts.limits === 'off' ? false : opts.limits === 'live' ? { opsPerSecond: 100, perEndpointPerSecond: 25 } : { opsPerSecond: 25, perEndpointPerSecond: 25 };

async function main(): Promise<void> {
	const sb = await startSandbox({ seed: opts.seed, now: opts.now, clock: 'frozen', rateLimits, seedData: { customers: opts.customers, months: opts.months } });
	const target = new URL(sb.url);
	const agent = new Agent({ keepAlive: true, maxSockets: 256 });

	let counts = new Map<string, number>();
	let total = 0;
	let answered429 = 0;
	let inFlight = 0;
	let inFlightPeak = 0;

	const proxy = createServer((req: IncomingMessage, res: ServerResponse) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			const key = endpoint(req.method ?? 'GET', req.url ?? '/');
			counts.set(key, (counts.get(key) ?? 0) + 1);
			total++;
			inFlight++;
			inFlightPeak = Math.max(inFlightPeak, inFlight);
			const started = performance.now();
			const upstream = httpRequest(
				{ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host }, agent },
				(answer) => {
					const body: Buffer[] = [];
					answer.on('data', (c: Buffer) => body.push(c));
					answer.on('end', async () => {
						const buffer = Buffer.concat(body);
						if (answer.statusCode === 429) answered429++;
						let listed = 0;
						if (opts.latency === 'stripe' && answer.statusCode === 200) {
							try {
								const json = JSON.parse(buffer.toString('utf8')) as { object?: string; data?: unknown[] };
								if (json.object === 'list' && Array.isArray(json.data)) listed = json.data.length;
							} catch {
								// not JSON: no listed objects
							}
						}
						const wait = opts.latency === 'stripe' ? 120 + 2 * listed - (performance.now() - started) : 0;
						if (wait > 0) await sleep(wait);
						inFlight--;
						const headers = { ...answer.headers };
						delete headers['transfer-encoding'];
						headers['content-length'] = String(buffer.length);
						res.writeHead(answer.statusCode ?? 502, headers);
						res.end(buffer);
					});
				},
			);
			upstream.on('error', (e) => {
				inFlight--;
				res.writeHead(502, { 'content-type': 'application/json' });
				res.end(JSON.stringify({ error: { type: 'api_error', message: `bench proxy: ${e.message}` } }));
			});
			upstream.end(Buffer.concat(chunks));
		});
	});
	proxy.keepAliveTimeout = 60_000;
	await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve()));
	const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;

	process.on('message', (m: { type: string; id: number; reset?: boolean }) => {
		if (m.type === 'customers') {
			process.send?.({ type: 'customers', id: m.id, ids: [...sb.world.customers.values()].map((c) => c.id) });
		} else if (m.type === 'requests') {
			process.send?.({ type: 'requests', id: m.id, total, byEndpoint: Object.fromEntries([...counts].sort((a, b) => b[1] - a[1])), answered429, inFlightPeak });
			if (m.reset) {
				counts = new Map();
				total = 0;
				answered429 = 0;
				inFlightPeak = inFlight;
			}
		}
	});
	const close = () => {
		proxy.close();
		proxy.closeAllConnections();
		agent.destroy();
		void sb.close().then(() => process.exit(0));
	};
	process.on('disconnect', close);
	process.on('SIGTERM', close);

	process.send?.({ type: 'ready', url, key: sb.secretKey, now: sb.clock.now(), customers: sb.world.customers.count(), seedMs: sb.seedReport?.elapsedMs, seedReport: sb.seedReport });
}

main().catch((e: unknown) => {
	process.stderr.write(`bench crm sandbox: ${(e as Error).stack ?? String(e)}\n`);
	process.exit(1);
});

/**
 * The `npm start` demo's services in one process: the Stripe sandbox (a seeded business, frozen clock moved by live
 * traffic), the HubSpot sandbox and the outbox (SMTP and an HTTP catch-all for Slack, product and ERP calls).
 *
 *   npx tsx scripts/demo/services.ts [--stripe-port 12111] [--hubspot-port 12112] [--outbox-port 12113] [--smtp-port 12114]
 *                                    [--traffic 600] [--tick-ms 1000] [--usage-url URL] [--usage-every-ms 5000]
 *                                    [--seed 42] [--customers 300] [--months 12] [--ignore-stdin]
 *
 * When ready it prints one line `DEMO_SERVICES_READY {json}` on stdout (see `Ready`), then a short line per notable
 * event on stderr (sign-ups, failed and recovered payments, churn, payouts, outbox messages), flushed every 2 s.
 * With `--usage-url`, every `--usage-every-ms` it POSTs `{"records":[{id, customer, event_name, value, timestamp}]}`
 * for a few active metered customers (the product's usage, for the pipeline's Usage Report); a failing URL (n8n not
 * up yet) is retried quietly with the same batch. SIGINT, SIGTERM and the end of stdin (unless `--ignore-stdin`) stop
 * everything.
 */
import { Rng } from '../../sandbox/core/rng';
import { API_VERSION, GLOBAL_TEST_CLOCK_ID, startSandbox, type Sandbox } from '../../sandbox';
import { startHubSpotSandbox, type HubSpotSandbox } from '../../sandbox/hubspot';
import { startOutbox, type Outbox, type OutboxMessage } from '../../sandbox/outbox';
import { findCatalog } from '../../sandbox/seed';
import { meteredSubscriptions, startTraffic, type Traffic, type TrafficActivity } from '../../sandbox/traffic';

export interface Ready {
	stripe: { url: string; secretKey: string; apiVersion: string; testClock: string; webhookSecretHint: string } | null;
	hubspot: { url: string; token: string };
	outbox: { httpUrl: string; smtpHost: '127.0.0.1'; smtpPort: number };
	traffic: { speed: number; tickMs: number };
	usage: { url: string; everyMs: number } | null;
}

export interface UsageRecord {
	id: string;
	customer: string;
	event_name: 'api_requests';
	value: number;
	/** Wall-clock time (the product's clock), unix seconds. */
	timestamp: number;
}

const HELP = `Demo services: the Stripe sandbox with live traffic, the HubSpot sandbox and the outbox, in one process.

Options:
  --stripe-port N      Stripe sandbox port (default 12111; 0 = any free port)
  --hubspot-port N     HubSpot sandbox port (default 12112)
  --outbox-port N      outbox HTTP port (default 12113)
  --smtp-port N        outbox SMTP port (default 12114)
  --traffic SPEED      sandbox seconds per tick (default 600: a sandbox day in 2.4 min); 0 = no traffic, a live clock
  --tick-ms N          real milliseconds per tick (default 1000)
  --usage-url URL      POST usage records there (the pipeline's usage webhook) every --usage-every-ms
  --usage-every-ms N   default 5000
  --seed N             default 42
  --customers N        seeded customers (default 300)
  --months N           months of seeded history (default 12)
  --no-stripe          no Stripe sandbox, no traffic, no usage (npm start with STRIPE_API_KEY: real Stripe test mode)
  --ignore-stdin       keep running when stdin ends (default: the end of stdin stops everything)
  --help               this text
`;

const VALUED = ['stripe-port', 'hubspot-port', 'outbox-port', 'smtp-port', 'traffic', 'tick-ms', 'usage-url', 'usage-every-ms', 'seed', 'customers', 'months'];
const FLAGS = ['ignore-stdin', 'no-stripe', 'help'];

function parseArgs(argv: string[]): Map<string, string> {
	const out = new Map<string, string>();
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
		if (!m) throw new Error(`Unexpected argument '${a}'; see --help.`);
		const [, key, inline] = m;
		if (FLAGS.includes(key)) out.set(key, 'true');
		else if (!VALUED.includes(key)) throw new Error(`Unknown option --${key}; see --help.`);
		else if (inline !== undefined) out.set(key, inline);
		else if (argv[i + 1] === undefined || argv[i + 1].startsWith('--')) throw new Error(`Option --${key} needs a value; see --help.`);
		else out.set(key, argv[++i]);
	}
	return out;
}

function num(args: Map<string, string>, key: string, def: number, integer = true): number {
	const raw = args.get(key);
	if (raw === undefined) return def;
	const n = Number(raw);
	if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) throw new Error(`--${key} must be a non-negative ${integer ? 'integer' : 'number'}, got '${raw}'.`);
	return n;
}

function money(amount: number, currency: string): string {
	return `${(amount / 100).toFixed(2)} ${currency.toUpperCase()}`;
}

/** One short line per notable event, or null for what is too frequent to print (usage, plain first invoices). */
function describeActivity(a: TrafficActivity): string | null {
	switch (a.kind) {
		case 'signup':
			return `sign-up ${a.customer} (${a.plan}, ${a.currency}, ${a.interval})${a.declined ? ': first payment declined' : ''}`;
		case 'payment_failed':
			return `payment failed ${a.invoice} (${a.code}, attempt ${a.attempt})`;
		case 'invoice_paid':
			if (a.recovered) return `payment recovered ${a.invoice} ${money(a.amount, a.currency)}`;
			return a.reason === 'subscription_cycle' ? `renewal paid ${a.invoice} ${money(a.amount, a.currency)}` : null;
		case 'card_updated':
			return `card updated ${a.customer}`;
		case 'churn':
			return `churn ${a.subscription} (cancels at period end)`;
		case 'subscription_canceled':
			return `subscription canceled ${a.subscription} (${a.reason})`;
		case 'payout_created':
			return `payout ${a.payout} created ${money(a.amount, a.currency)}`;
		case 'payout_paid':
			return `payout ${a.payout} paid ${money(a.amount, a.currency)}`;
		case 'error':
			return `traffic error: ${a.message}`;
		default:
			return null;
	}
}

function describeMessage(m: OutboxMessage): string {
	return m.kind === 'mail' ? `outbox: mail to ${m.to.join(', ')}: ${m.subject}` : `outbox: ${m.method} ${m.path}`;
}

/** Lines to stderr, flushed every `everyMs`, at most `max` per flush (the rest counted). */
function printer(everyMs: number, max = 8): { push(line: string): void; flush(): void; stop(): void } {
	const queue: string[] = [];
	const flush = () => {
		if (queue.length === 0) return;
		const lines = queue.splice(0);
		const shown = lines.slice(0, max);
		if (lines.length > max) shown.push(`… and ${lines.length - max} more`);
		process.stderr.write(shown.map((l) => `  ${l}\n`).join(''));
	};
	const timer = setInterval(flush, everyMs);
	return { push: (line) => queue.push(line), flush, stop: () => clearInterval(timer) };
}

/** Posts usage batches to `url`; a failed batch is sent again (same ids) until it is a minute old, then replaced. */
function usagePoster(sandbox: Sandbox, url: string, everyMs: number, seed: number, log: (line: string) => void): { stop(): void } {
	const catalog = findCatalog(sandbox.world);
	const rng = Rng.fork(seed, 'demo:usage');
	// Sandbox time at start: ids stay unique across restarts (the sandbox starts at real time) and stable for a retry.
	const run = sandbox.clock.now().toString(36);
	let seq = 0;
	let pending: { records: UsageRecord[]; madeAt: number } | null = null;
	let inFlight = false;
	let failing = false;
	let posted = 0;
	const batch = (): UsageRecord[] => {
		if (!catalog) return [];
		const subs = meteredSubscriptions(sandbox.world, catalog.meterId).filter((s) => s.status === 'active');
		const picked = new Set<string>();
		for (let k = 0; k < Math.min(3, subs.length); k++) picked.add(rng.pick(subs).customer as string);
		// Stamped with the product's (wall) clock, as a real product would: Stripe's rules for a meter event's time
		// (35 days back, 5 minutes ahead) hold against it while the sandbox's fast clock is less than 35 days ahead.
		return [...picked].map((customer) => ({ id: `use_${run}_${seq++}`, customer, event_name: 'api_requests', value: rng.range(20, 500), timestamp: Math.floor(Date.now() / 1000) }));
	};
	const timer = setInterval(() => {
		if (inFlight) return;
		if (pending && Date.now() - pending.madeAt > 60_000) pending = null;
		if (!pending) {
			const records = batch();
			if (records.length === 0) return;
			pending = { records, madeAt: Date.now() };
		}
		const body = JSON.stringify({ records: pending.records });
		inFlight = true;
		fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body, signal: AbortSignal.timeout(10_000) })
			.then(async (res) => {
				await res.arrayBuffer().catch(() => undefined);
				if (!res.ok) throw new Error(`HTTP ${res.status}`);
				pending = null;
				posted++;
				if (failing || posted === 1) log(`usage: posting to ${url} (${posted === 1 ? 'first batch' : 'again'})`);
				failing = false;
			})
			.catch((e: unknown) => {
				if (!failing) log(`usage: POST ${url} failed (${e instanceof Error ? e.message : String(e)}); retrying quietly`);
				failing = true;
			})
			.finally(() => {
				inFlight = false;
			});
	}, everyMs);
	return { stop: () => clearInterval(timer) };
}

async function main(): Promise<void> {
	const args = parseArgs(process.argv.slice(2));
	if (args.has('help')) {
		process.stdout.write(HELP);
		return;
	}
	const speed = num(args, 'traffic', 600, false);
	const tickMs = num(args, 'tick-ms', 1000);
	if (tickMs < 1) throw new Error('--tick-ms must be at least 1.');
	const seed = num(args, 'seed', 42);
	const usageUrl = args.get('usage-url');
	if (usageUrl !== undefined && !/^https?:\/\/\S+$/.test(usageUrl)) throw new Error(`--usage-url must be an http(s) URL, got '${usageUrl}'.`);
	const usageEveryMs = num(args, 'usage-every-ms', 5000);
	if (usageEveryMs < 100) throw new Error('--usage-every-ms must be at least 100.');
	const months = num(args, 'months', 12);
	if (months < 1) throw new Error('--months must be at least 1.');

	const closers: Array<() => Promise<void> | void> = [];
	let stopping = false;
	const stop = (code = 0) => {
		if (stopping) return;
		stopping = true;
		setTimeout(() => process.exit(code), 4000).unref();
		void (async () => {
			for (const close of closers.reverse()) {
				try {
					await close();
				} catch {
					// Closing what is left matters more.
				}
			}
			process.exit(code);
		})();
	};
	process.on('SIGINT', () => stop());
	process.on('SIGTERM', () => stop());
	if (!args.has('ignore-stdin')) {
		process.stdin.on('end', () => stop());
		process.stdin.on('error', () => stop());
		process.stdin.resume();
	}

	const out = printer(2000);
	closers.push(() => out.flush(), () => out.stop());
	const withStripe = !args.has('no-stripe');
	const sandbox = withStripe
		? await startSandbox({
				seed,
				port: num(args, 'stripe-port', 12111),
				clock: speed > 0 ? 'frozen' : 'live',
				rateLimits: {},
				seedData: { customers: num(args, 'customers', 300), months },
			})
		: null;
	if (sandbox) closers.push(() => sandbox.close());
	const hubspot: HubSpotSandbox = await startHubSpotSandbox({ port: num(args, 'hubspot-port', 12112) });
	closers.push(() => hubspot.close());
	const outbox: Outbox = await startOutbox({ port: num(args, 'outbox-port', 12113), smtpPort: num(args, 'smtp-port', 12114), onMessage: (m) => out.push(describeMessage(m)) });
	closers.push(() => outbox.close());
	let traffic: Traffic | null = null;
	if (sandbox && speed > 0) {
		traffic = startTraffic(sandbox, {
			speed,
			tickMs,
			// With the pipeline's usage webhook, usage reaches the meter only through n8n (Report Usage), not twice.
			...(usageUrl !== undefined ? { usageEvery: 0 } : {}),
			onActivity: (a) => {
				const line = describeActivity(a);
				if (line) out.push(line);
			},
		});
		const t = traffic;
		closers.push(() => t.stop());
	}
	if (sandbox && usageUrl !== undefined) {
		const poster = usagePoster(sandbox, usageUrl, usageEveryMs, seed, (line) => out.push(line));
		closers.push(() => poster.stop());
	}
	if (stopping) return;

	const ready: Ready = {
		stripe: sandbox
			? {
					url: sandbox.url,
					secretKey: sandbox.secretKey,
					apiVersion: API_VERSION,
					testClock: GLOBAL_TEST_CLOCK_ID,
					webhookSecretHint: 'each webhook endpoint gets its whsec_ secret in the response that creates it (the trigger stores it)',
				}
			: null,
		hubspot: { url: hubspot.url, token: hubspot.token },
		outbox: { httpUrl: outbox.httpUrl, smtpHost: '127.0.0.1', smtpPort: outbox.smtpPort },
		traffic: { speed, tickMs },
		usage: sandbox && usageUrl !== undefined ? { url: usageUrl, everyMs: usageEveryMs } : null,
	};
	process.stdout.write(`DEMO_SERVICES_READY ${JSON.stringify(ready)}\n`);
	const r = sandbox?.seedReport;
	process.stderr.write(
		`demo services: ${sandbox ? `Stripe sandbox ${sandbox.url} (${r ? `${r.customers} customers, ${r.invoices} invoices` : 'empty'})` : 'no Stripe sandbox'}, HubSpot ${hubspot.url}, outbox ${outbox.httpUrl} (SMTP 127.0.0.1:${outbox.smtpPort})\n` +
			(!sandbox ? '' : speed > 0 ? `  traffic: ${speed} sandbox seconds every ${tickMs} ms (a sandbox day in ${((86400 / speed) * (tickMs / 1000)).toFixed(0)} s)\n` : '  traffic: off (live clock)\n'),
	);
}

main().catch((e: unknown) => {
	process.stderr.write(`demo services: ${e instanceof Error ? e.message : String(e)}\n`);
	process.exit(1);
});

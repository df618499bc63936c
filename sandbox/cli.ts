/**
 * npm run sandbox -- [--seed 42] [--customers 500] [--months 12] [--balance-transactions 1000000]
 *                    [--port 12111] [--key sk_test_...] [--rate-limit live|sandbox|off] [--latency stripe|<ms>]
 *                    [--error-rate 0.01] [--rate-limit-rate 0.01] [--drop-rate 0.01] [--lost-response-rate 0.01]
 *                    [--error-after-work-rate 0.01] [--clock live|frozen] [--scenario FILE.json] [--traffic 600]
 */
import { readFileSync } from 'node:fs';
import { startSandbox, stripeLikeLatency, API_VERSION, GLOBAL_TEST_CLOCK_ID, type SandboxOptions } from './index';
import { startTraffic } from './traffic';

const HELP = `Stripe sandbox: a stateful Stripe-compatible server on 127.0.0.1.

Options:
  --seed N                   seed for ids, outcomes, faults and data (default 42)
  --customers N              seeded customers (default 500; 0 for an empty account)
  --months N                 months of history to simulate (default 12)
  --balance-transactions N   extra bulk card-payment volume as balance transactions (default 0)
  --port N                   port (default 12111; 0 = any free port)
  --key sk_test_...          secret key to accept (default sk_test_sandbox_000000000000000000000000)
  --rate-limit MODE          live (100 ops/s, default), sandbox (25 ops/s) or off
  --latency MODE             stripe (Stripe-like per-request latency) or a number of ms
  --clock MODE               live (default: follows wall time) or frozen (moves only when advanced)
  --error-rate X, --rate-limit-rate X, --drop-rate X   injected fault shares (0..1) before any work
  --lost-response-rate X, --error-after-work-rate X     injected fault shares (0..1) after the work (saved for the idempotency key)
  --scenario FILE            JSON merged over the default ScenarioParams (sandbox/scenario.ts, mergeScenario)
  --traffic SPEED            live traffic (sandbox/traffic.ts): a frozen clock moved SPEED sandbox seconds per real
                             second (600 = a day in 2.4 min), with sign-ups, declines, recoveries, churn and usage;
                             0 = off (default)
  --help                     this text
`;

function parseArgs(argv: string[]): Record<string, string> {
	const out: Record<string, string> = {};
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (!a.startsWith('--')) throw new Error(`Unexpected argument '${a}'. Options start with --; see --help.`);
		const [k, inline] = a.slice(2).split('=', 2);
		if (k === 'help') out.help = 'true';
		else if (inline !== undefined) out[k] = inline;
		else {
			const v = argv[i + 1];
			if (v === undefined || v.startsWith('--')) throw new Error(`Option --${k} needs a value; see --help.`);
			out[k] = v;
			i++;
		}
	}
	return out;
}

function int(args: Record<string, string>, k: string, def: number): number {
	if (args[k] === undefined) return def;
	const n = Number(args[k].replace(/_/g, ''));
	if (!Number.isInteger(n) || n < 0) throw new Error(`--${k} must be a non-negative integer, got '${args[k]}'.`);
	return n;
}

function share(args: Record<string, string>, k: string): number | undefined {
	if (args[k] === undefined) return undefined;
	const n = Number(args[k]);
	if (!(n >= 0 && n <= 1)) throw new Error(`--${k} must be a number between 0 and 1, got '${args[k]}'.`);
	return n;
}

async function main(): Promise<void> {
	const args = parseArgs(process.argv.slice(2));
	if (args.help) {
		process.stdout.write(HELP);
		return;
	}
	const known = ['seed', 'customers', 'months', 'balance-transactions', 'port', 'key', 'rate-limit', 'latency', 'error-rate', 'rate-limit-rate', 'drop-rate', 'lost-response-rate', 'error-after-work-rate', 'clock', 'scenario', 'traffic', 'help'];
	for (const k of Object.keys(args)) if (!known.includes(k)) throw new Error(`Unknown option --${k}; see --help.`);
	const customers = int(args, 'customers', 500);
	const months = int(args, 'months', 12);
	const mode = args['rate-limit'] ?? 'live';
	if (!['live', 'sandbox', 'off'].includes(mode)) throw new Error(`--rate-limit must be live, sandbox or off, got '${mode}'.`);
	const latency = args.latency;
	const traffic = args.traffic === undefined ? 0 : Number(args.traffic);
	if (!(traffic >= 0 && Number.isFinite(traffic))) throw new Error(`--traffic must be a non-negative number of sandbox seconds per real second, got '${args.traffic}'.`);
	const clock = args.clock ?? (traffic > 0 ? 'frozen' : 'live');
	if (clock !== 'live' && clock !== 'frozen') throw new Error(`--clock must be live or frozen, got '${clock}'.`);
	if (traffic > 0 && clock === 'live') throw new Error('--traffic moves the clock itself: it needs --clock frozen (the default with --traffic).');
	let scenario: SandboxOptions['scenario'];
	if (args.scenario !== undefined) {
		try {
			scenario = JSON.parse(readFileSync(args.scenario, 'utf8')) as SandboxOptions['scenario'];
		} catch (e) {
			throw new Error(`--scenario ${args.scenario}: ${(e as Error).message}`);
		}
		if (typeof scenario !== 'object' || scenario === null || Array.isArray(scenario)) throw new Error(`--scenario ${args.scenario} must hold a JSON object.`);
	}
	const opts: SandboxOptions = {
		scenario,
		seed: int(args, 'seed', 42),
		port: int(args, 'port', 12111),
		secretKey: args.key,
		rateLimits: mode === 'off' ? false : mode === 'sandbox' ? { opsPerSecond: 25 } : {},
		latencyMs: latency === undefined ? undefined : latency === 'stripe' ? (req) => stripeLikeLatency(req) : int(args, 'latency', 0),
		clock,
		faults: { errorRate: share(args, 'error-rate'), rateLimitRate: share(args, 'rate-limit-rate'), dropRate: share(args, 'drop-rate'), lostResponseRate: share(args, 'lost-response-rate'), errorAfterWorkRate: share(args, 'error-after-work-rate') },
		seedData: customers > 0 || int(args, 'balance-transactions', 0) > 0 ? { customers, months: Math.max(1, months), balanceTransactions: int(args, 'balance-transactions', 0) } : undefined,
	};
	const t0 = Date.now();
	const sb = await startSandbox(opts);
	const r = sb.seedReport;
	const lines = [
		`Stripe sandbox listening on ${sb.url} (started in ${((Date.now() - t0) / 1000).toFixed(1)} s)`,
		'',
		'Point the "Stripe RevOps API" credential at it:',
		`  API Key      ${sb.secretKey}`,
		`  Base URL     ${sb.url}`,
		`  API Version  ${API_VERSION}`,
		'',
		`Try: curl ${sb.url}/v1/customers?limit=3 -u ${sb.secretKey}:`,
		`Test clock: POST ${sb.url}/_sandbox/clock/advance with seconds=86400 (same key) runs renewals, retries, payouts and webhook retries;`,
		`  or, as on Stripe, POST ${sb.url}/v1/test_helpers/test_clocks/${GLOBAL_TEST_CLOCK_ID}/advance with frozen_time=<unix seconds> (seeded customers are attached to it).`,
	];
	if (r) {
		lines.push(
			'',
			`Seeded (seed ${opts.seed}): ${r.customers} customers, ${r.subscriptions} subscriptions, ${r.invoices} invoices (${r.invoicesPaid} paid, ${r.invoicesOpen} open), ` +
				`${r.charges} charges (${r.chargesFailed} declined), ${r.refunds} refunds, ${r.disputes} disputes, ${r.payouts} payouts, ${r.balanceTransactions} balance transactions, ${r.events} events (last 30 days) in ${(r.elapsedMs / 1000).toFixed(1)} s.`,
		);
	}
	const live = traffic > 0 ? startTraffic(sb, { speed: traffic, onActivity: (a) => a.kind === 'error' && process.stderr.write(`sandbox: traffic: ${a.message}\n`) }) : null;
	if (live) lines.push('', `Live traffic: ${traffic} sandbox seconds per real second (a sandbox day in ${86400 / traffic < 120 ? `${(86400 / traffic).toFixed(1)} s` : `${(86400 / traffic / 60).toFixed(1)} min`}): sign-ups, declines, recoveries, churn, usage, renewals and payouts.`);
	process.stdout.write(lines.join('\n') + '\n');
	const stop = () => {
		live?.stop();
		void sb.close().then(() => process.exit(0));
	};
	process.on('SIGINT', stop);
	process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
	process.stderr.write(`sandbox: ${(e as Error).message}\n`);
	process.exit(1);
});

/**
 * npm run sandbox:hubspot -- [--port 12112] [--token pat-...] [--rate-limit on|off] [--seed N]
 * Starts the HubSpot sandbox and prints its base URL and token; Ctrl-C stops it.
 */
import { startHubSpotSandbox } from './index';

const HELP = `HubSpot sandbox: a stateful HubSpot-CRM-compatible server on 127.0.0.1.

Options:
  --port N           port (default 12112; 0 = any free port)
  --token T          private-app token to accept (default pat-na1-00000000-0000-4000-8000-000000000000)
  --rate-limit MODE  on (100 requests per rolling 10 s, 5 searches/s; default) or off
  --seed N           seed for ids and correlation ids (default 1)
  --help             this text
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
	const n = Number(args[k]);
	if (!Number.isInteger(n) || n < 0) throw new Error(`--${k} must be a non-negative integer, got '${args[k]}'.`);
	return n;
}

async function main(): Promise<void> {
	const args = parseArgs(process.argv.slice(2));
	if (args.help) {
		process.stdout.write(HELP);
		return;
	}
	for (const k of Object.keys(args)) if (!['port', 'token', 'rate-limit', 'seed'].includes(k)) throw new Error(`Unknown option --${k}; see --help.`);
	const mode = args['rate-limit'] ?? 'on';
	if (mode !== 'on' && mode !== 'off') throw new Error(`--rate-limit must be on or off, got '${mode}'.`);
	const sb = await startHubSpotSandbox({ port: int(args, 'port', 12112), token: args.token, seed: int(args, 'seed', 1), rateLimit: mode === 'off' ? false : undefined });
	process.stdout.write(`HubSpot sandbox listening\n  base URL: ${sb.url}\n  token:    ${sb.token}\n  rate limit: ${mode}\n`);
	const stop = () => {
		void sb.close().then(() => process.exit(0));
	};
	process.on('SIGINT', stop);
	process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
	process.stderr.write(`sandbox:hubspot: ${e instanceof Error ? e.message : String(e)}\n`);
	process.exit(1);
});

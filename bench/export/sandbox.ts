/**
 * The Stripe sandbox for bench/export.mjs, in its own process (Stripe is another machine: its CPU and memory are
 * not n8n's), started with `node --import tsx bench/export/sandbox.ts '<json options>'` and an IPC channel.
 *
 * Options (JSON): { seed, rows, months, limits: 'live' | 'test' | 'off', latency: 'stripe' | 0 }
 *   rows     bulk balance transactions seeded (sandbox seedData.balanceTransactions, customers 0), over `months`
 *   limits   live: Stripe's live limits, 100 operations/s for the account + 25 requests/s per endpoint
 *            test: Stripe's test-mode limits, 25 operations/s + 25 requests/s per endpoint
 *            off:  none
 *   latency  stripe: Stripe-like, 120 ms a call, + 2 ms per listed item on lists (both sides of the bench ask for
 *            100 a page, so a balance transaction list page takes 320 ms); 0: none
 *
 * Messages: sends { type: 'ready', url, key, startedAt, now, size } once listening; answers
 * { type: 'totals', id, from, to } with { type: 'totals', id, count, byCurrency: { cur: { count, amount, fee, net } } }
 * (the ledger as the API serves it: every balance transaction created in [from, to)), and
 * { type: 'createdAt', id, index } with the `created` of the index-th oldest transaction.
 */
import { startSandbox } from '../../sandbox';

interface Options {
	seed: number;
	rows: number;
	months: number;
	limits: 'live' | 'test' | 'off';
	latency: 'stripe' | 0;
}

const opts = JSON.parse(process.argv[2] ?? '{}') as Options;

/** Stripe-like latency. (sandbox's stripeLikeLatency takes /v1/balance_transactions for a retrieve: its regex
 * for an object id, `name_id`, also matches `balance_transactions`; and it cannot see `limit`, hence this one.) */
function latency(req: { method: string; path: string }): number {
	const retrieve = /\/[a-z]+_[A-Za-z0-9]{8,}$/.test(req.path) && !/\/v1\/balance_transactions$/.test(req.path);
	return 120 + (req.method === 'GET' && !retrieve ? 2 * 100 : 0);
}

const rateLimits =
	opts.limits === 'off'
		? false
		: opts.limits === 'test'
			? { opsPerSecond: 25, perEndpointPerSecond: 25 }
			: { opsPerSecond: 100, perEndpointPerSecond: 25 };

async function main(): Promise<void> {
	const sb = await startSandbox({
		seed: opts.seed,
		rateLimits,
		latencyMs: opts.latency === 'stripe' ? latency : undefined,
		seedData: { customers: 0, months: opts.months, balanceTransactions: opts.rows },
	});
	const ledger = sb.world.ledger;

	process.on('message', (m: { type: string; id: number; from?: number; to?: number; index?: number }) => {
		if (m.type === 'totals') {
			const byCurrency: Record<string, { count: number; amount: number; fee: number; net: number }> = {};
			let count = 0;
			for (let i = 0; i < ledger.size(); i++) {
				const bt = ledger.at(i);
				if (!bt || bt.created < (m.from ?? 0) || bt.created >= (m.to ?? Infinity)) continue;
				const t = (byCurrency[bt.currency] ??= { count: 0, amount: 0, fee: 0, net: 0 });
				t.count++;
				t.amount += bt.amount;
				t.fee += bt.fee;
				t.net += bt.net;
				count++;
			}
			process.send?.({ type: 'totals', id: m.id, count, byCurrency });
		} else if (m.type === 'createdAt') {
			const created: number[] = [];
			for (let i = 0; i < ledger.size(); i++) created.push(ledger.row(i).created);
			created.sort((a, b) => a - b);
			process.send?.({ type: 'createdAt', id: m.id, created: created[Math.min(created.length - 1, m.index ?? 0)] });
		}
	});
	process.on('disconnect', () => void sb.close().then(() => process.exit(0)));
	process.on('SIGTERM', () => void sb.close().then(() => process.exit(0)));

	process.send?.({ type: 'ready', url: sb.url, key: sb.secretKey, startedAt: sb.seedReport?.startedAt, now: sb.clock.now(), size: ledger.size(), seedMs: sb.seedReport?.elapsedMs });
}

main().catch((e: unknown) => {
	process.stderr.write(`bench sandbox: ${(e as Error).stack ?? String(e)}\n`);
	process.exit(1);
});

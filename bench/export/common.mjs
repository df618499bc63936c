// Helpers shared by bench/export.mjs and bench/export/file.mjs (run under tsx).
import { fork } from 'node:child_process';
import { createReadStream, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const NODE_TYPE = 'n8n-nodes-stripe-revops.stripeRevOpsBalanceExport';
export const NODE_NAME = 'Stripe RevOps Balance Export';
export const API_VERSION = '2026-10-28.endive';
export const MB = 1024 * 1024;
export const mb = (bytes) => Math.round((bytes / MB) * 10) / 10;
export const iso = (t) => new Date(t * 1000).toISOString();

export function parseFlags(argv) {
	const flags = {};
	for (const arg of argv) {
		const match = /^--([\w-]+)(?:=(.*))?$/.exec(arg);
		if (!match) throw new Error(`Unexpected argument "${arg}". Options look like --rows=200000.`);
		flags[match[1]] = match[2] ?? true;
	}
	return flags;
}

export function positiveInt(flags, name, fallback) {
	if (flags[name] === undefined) return fallback;
	const value = Number(String(flags[name]).replace(/_/g, ''));
	if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive whole number, got "${flags[name]}".`);
	return value;
}

const children = new Set();
process.on('exit', () => {
	for (const child of children) child.kill('SIGTERM');
});

/** Kills `child` when this process exits, so a bench that stops early leaves nothing running. */
export function track(child) {
	children.add(child);
	child.once('exit', () => children.delete(child));
	return child;
}

/** Stops a tracked child: `stop` asks it to (default SIGTERM), and this waits for it to exit. */
export async function stopChild(child, stop = () => child.kill('SIGTERM')) {
	if (child.exitCode !== null || child.signalCode !== null) return;
	const exited = new Promise((r) => child.once('exit', r));
	stop();
	await exited;
}

/**
 * A TypeScript script in its own process (under tsx) that talks over IPC: it sends `{ type: 'ready', ... }` once,
 * then answers each message `{ id, ... }` with `{ id, ... }`. Returns what `ready` carried, `ask(message)` and
 * `close()`. The bench sandboxes (bench/export/sandbox.ts, bench/crm/sandbox.ts) work this way.
 */
export async function forkWithIpc(script, opts) {
	const child = track(
		fork(join(ROOT, script), [JSON.stringify(opts)], {
			cwd: ROOT,
			execArgv: ['--import', 'tsx'],
			stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
			env: { ...process.env, NODE_OPTIONS: '' },
		}),
	);
	const pending = new Map();
	let nextId = 1;
	const ready = await new Promise((resolveReady, reject) => {
		child.on('message', (m) => {
			if (m.type === 'ready') resolveReady(m);
			else pending.get(m.id)?.(m);
		});
		child.once('exit', (code) => reject(new Error(`${script} exited (${code}) before it was ready`)));
	});
	const ask = (message) =>
		new Promise((resolveAnswer) => {
			const id = nextId++;
			pending.set(id, (m) => {
				pending.delete(id);
				resolveAnswer(m);
			});
			child.send({ ...message, id });
		});
	return { ready, ask, close: () => stopChild(child) };
}

/**
 * The sandbox in its own process (bench/export/sandbox.ts) with an IPC channel for the ledger's totals.
 * `opts`: { seed, rows, months, limits: 'live' | 'test' | 'off', latency: 'stripe' | 0 }.
 */
export async function startSandboxProcess(opts) {
	const { ready, ask, close } = await forkWithIpc('bench/export/sandbox.ts', opts);
	return {
		...ready,
		/** { count, byCurrency: { usd: { count, amount, fee, net } } } of the transactions created in [from, to). */
		totals: (from, to) => ask({ type: 'totals', from, to }),
		/** The `created` of the index-th oldest transaction. */
		createdAt: async (index) => (await ask({ type: 'createdAt', index })).created,
		close,
	};
}

/** The Balance Export node's Export Transactions (mode range) as a one-node workflow. */
export function exportWorkflow({ from, to, output = 'items', rowsPerFile = 0 }) {
	return {
		nodes: [
			{
				id: 'export',
				name: NODE_NAME,
				type: NODE_TYPE,
				typeVersion: 1,
				position: [0, 0],
				parameters: { operation: 'exportTransactions', mode: 'range', from: iso(from), to: iso(to), output, ...(output === 'items' ? {} : { rowsPerFile }) },
				credentials: { stripeRevOpsApi: { id: '1', name: 'Stripe sandbox' } },
			},
		],
		connections: {},
	};
}

export const credentialsFor = (sb) => ({ stripeRevOpsApi: { secretKey: sb.key, baseUrl: sb.url, apiVersion: API_VERSION, stripeAccount: '' } });

/** Minor-unit exponents that are not 2 (Stripe's zero- and three-decimal currencies). */
const ZERO_DECIMAL = new Set(['bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf']);
const THREE_DECIMAL = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

/** "12.34" (usd) → 1234: the exact decimal string back to minor units. */
export function minorUnits(decimal, currency) {
	const digits = ZERO_DECIMAL.has(currency) ? 0 : THREE_DECIMAL.has(currency) ? 3 : 2;
	const negative = decimal.startsWith('-');
	const [whole, frac = ''] = (negative ? decimal.slice(1) : decimal).split('.');
	if (frac.length > digits) throw new Error(`"${decimal}" has more than ${digits} decimals for ${currency}`);
	const value = Number(whole) * 10 ** digits + Number(frac.padEnd(digits, '0') || '0');
	return negative ? -value : value;
}

/** Running per-currency totals and the count of distinct ids. */
export class Tally {
	ids = new Set();
	duplicates = 0;
	count = 0;
	byCurrency = {};
	add(id, currency, amount, fee, net) {
		if (this.ids.has(id)) this.duplicates++;
		else this.ids.add(id);
		this.count++;
		const t = (this.byCurrency[currency] ??= { count: 0, amount: 0, fee: 0, net: 0 });
		t.count++;
		t.amount += amount;
		t.fee += fee;
		t.net += net;
	}
}

/** Compares a tally with the sandbox ledger's totals; returns { ok, text }. */
export function compare(tally, truth) {
	const problems = [];
	if (tally.count !== truth.count) problems.push(`count ${tally.count} vs ledger ${truth.count}`);
	if (tally.duplicates) problems.push(`${tally.duplicates} duplicate ids`);
	for (const cur of new Set([...Object.keys(tally.byCurrency), ...Object.keys(truth.byCurrency)])) {
		const a = tally.byCurrency[cur] ?? { count: 0, amount: 0, fee: 0, net: 0 };
		const b = truth.byCurrency[cur] ?? { count: 0, amount: 0, fee: 0, net: 0 };
		for (const k of ['count', 'amount', 'fee', 'net']) if (a[k] !== b[k]) problems.push(`${cur} ${k} ${a[k]} vs ledger ${b[k]}`);
	}
	const sums = Object.entries(truth.byCurrency)
		.map(([cur, t]) => `${cur}: ${t.count} rows, amount ${t.amount}, fee ${t.fee}, net ${t.net}`)
		.join('; ');
	return { ok: problems.length === 0, text: problems.length ? `DIFFERS from the ledger: ${problems.join(', ')}` : `EQUALS the sandbox ledger (${tally.count} rows, ${tally.ids.size} distinct ids; ${sums})` };
}

/** Tallies CSV text lines of the node's file (header first; columns id, …, currency, gross, fee, net, …). */
function csvColumns(header) {
	const cols = header.split(',');
	const at = (name) => {
		const i = cols.indexOf(name);
		if (i < 0) throw new Error(`the CSV has no "${name}" column: ${header}`);
		return i;
	};
	return { id: at('id'), currency: at('currency'), gross: at('gross'), fee: at('fee'), net: at('net') };
}

/** Splits one CSV line (quoted cells with "" escapes). */
function splitCsv(line) {
	if (!line.includes('"')) return line.split(',');
	const out = [];
	let cell = '';
	let quoted = false;
	for (let i = 0; i < line.length; i++) {
		const c = line[i];
		if (quoted) {
			if (c === '"' && line[i + 1] === '"') (cell += '"'), i++;
			else if (c === '"') quoted = false;
			else cell += c;
		} else if (c === '"') quoted = true;
		else if (c === ',') out.push(cell), (cell = '');
		else cell += c;
	}
	out.push(cell);
	return out;
}

function tallyLine(tally, cols, line) {
	const cells = splitCsv(line);
	const cur = cells[cols.currency];
	tally.add(cells[cols.id], cur, minorUnits(cells[cols.gross], cur), minorUnits(cells[cols.fee], cur), minorUnits(cells[cols.net], cur));
}

/** Streams a CSV file into the tally (the descriptions hold no line breaks). */
export async function tallyCsvFile(tally, path) {
	let cols;
	const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
	for await (const line of lines) {
		if (!cols) cols = csvColumns(line);
		else if (line) tallyLine(tally, cols, line);
	}
}

export function tallyCsvText(tally, text) {
	const lines = text.split('\n');
	const cols = csvColumns(lines[0]);
	for (const line of lines.slice(1)) if (line) tallyLine(tally, cols, line);
}

/** Peak resident set size of this process so far (Linux VmHWM), in bytes; null elsewhere. */
export function vmHwm() {
	try {
		const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
		return m ? Number(m[1]) * 1024 : null;
	} catch {
		return null;
	}
}

/** Samples this process's RSS and heap every `everyMs` while running; `gcEach`: collect before each sample (live memory). */
export function memorySampler(everyMs = 25, gcEach = false) {
	globalThis.gc?.();
	const before = process.memoryUsage();
	const t0 = performance.now();
	const peak = { rss: before.rss, rssAt: 0, heapUsed: before.heapUsed, external: before.external + before.arrayBuffers, externalAt: 0 };
	const sample = () => {
		if (gcEach) globalThis.gc?.();
		const m = process.memoryUsage();
		if (m.rss > peak.rss) (peak.rss = m.rss), (peak.rssAt = performance.now() - t0);
		if (m.heapUsed > peak.heapUsed) peak.heapUsed = m.heapUsed;
		if (m.external + m.arrayBuffers > peak.external) (peak.external = m.external + m.arrayBuffers), (peak.externalAt = performance.now() - t0);
	};
	const timer = setInterval(sample, everyMs);
	return {
		stop() {
			clearInterval(timer);
			sample();
			globalThis.gc?.();
			const after = process.memoryUsage();
			return {
				rssBeforeMB: mb(before.rss),
				rssPeakMB: mb(peak.rss),
				rssGrowthMB: mb(peak.rss - before.rss),
				rssPeakAtMs: Math.round(peak.rssAt),
				heapBeforeMB: mb(before.heapUsed),
				heapPeakMB: mb(peak.heapUsed),
				externalBeforeMB: mb(before.external + before.arrayBuffers),
				externalPeakMB: mb(peak.external),
				externalPeakAtMs: Math.round(peak.externalAt),
				heapAfterGcMB: mb(after.heapUsed),
				vmHwmMB: vmHwm() === null ? null : mb(vmHwm()),
			};
		},
	};
}

#!/usr/bin/env node
// npm run bench:webhook [-- --events=2000 --warmup=200 --rounds=8 --concurrency=20 --tarball=<.tgz>]
//
// Throughput and latency of the Stripe RevOps Trigger in a real n8n 2.41.1 (Node 24), against n8n's plain
// Webhook node receiving the same payloads, in one run of one n8n:
//   ours:     Stripe RevOps Trigger (Manual registration, known signing secret) -> NoOp
//   baseline: Webhook (n8n-nodes-base.webhook 2.1, POST, respond immediately)  -> NoOp
// Both get signed Stripe v1 events (shapes from Stripe's official example objects, bench/webhook-events.json),
// each with a unique id, pretty-printed as Stripe sends them, 20 in flight over keep-alive connections.
// After a warm-up per side, the measured events are sent in rounds that alternate A B B A A B B A ... so that
// drift (the database growing, the JIT warming) falls on both sides alike. A round is timed from its first request
// until n8n has finished the execution of every event in it (n8n answers an "immediately" webhook once the execution
// is created, and runs it afterwards), so events/s is work done, not only requests answered, and no side pays for
// the other's backlog. p50/p99 are the HTTP response times the sender sees; n8n's CPU time per event is read from
// /proc for the same windows.
//
// Manual registration keeps Stripe out of the loop: no endpoint is registered, the trigger verifies with the
// signing secret given here, and the credential is never called (its base URL points at a closed port).
//
// The last line of output is one JSON object (see `result` at the end). Standard library only.
import { execFileSync } from 'node:child_process';
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { N8N_VERSION, ensureN8n, packPackage, runtimePaths, startN8n } from '../scripts/n8n/env.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const TARGET_RATIO = 0.9;
const API_VERSION = '2026-10-28.endive';
const TRIGGER_TYPE = 'n8n-nodes-stripe-revops.stripeRevOpsTrigger';

function parseFlags(argv) {
	const flags = {};
	for (const arg of argv) {
		const match = /^--([\w-]+)(?:=(.*))?$/.exec(arg);
		if (!match) throw new Error(`Unexpected argument "${arg}". Options look like --events=2000.`);
		flags[match[1]] = match[2] ?? true;
	}
	return flags;
}

function positiveInt(flags, name, fallback) {
	if (flags[name] === undefined) return fallback;
	const value = Number(flags[name]);
	if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive whole number, got "${flags[name]}".`);
	return value;
}

const flags = parseFlags(process.argv.slice(2));
const EVENTS = positiveInt(flags, 'events', 2000);
const WARMUP = positiveInt(flags, 'warmup', 200);
const ROUNDS = positiveInt(flags, 'rounds', 8);
const CONCURRENCY = positiveInt(flags, 'concurrency', 20);
/**
 * --prefill=N: the trigger starts with N older event ids in its durable deduplication memory (n8n's processed_data
 * table, which n8n reads and rewrites with every event the trigger emits), as after N events in production;
 * 10000 (the node's default "Deduplication Memory Across Restarts") measures the steady state. Default 0.
 */
const PREFILL = flags.prefill === undefined ? 0 : positiveInt(flags, 'prefill', 0);
/** --durable-size=N: the trigger's "Deduplication Memory Across Restarts (Events)" option (default: the node's default). */
const DURABLE_SIZE = flags['durable-size'] === undefined ? undefined : positiveInt(flags, 'durable-size', 0);
/** typeVersion of the trigger in the workflow (default 2, the node's default version). */
const TRIGGER_VERSION = flags['trigger-version'] === undefined ? 2 : Number(flags['trigger-version']);
if (EVENTS % ROUNDS !== 0) throw new Error(`--events (${EVENTS}) must be a multiple of --rounds (${ROUNDS}).`);
/** --n8n-env=KEY=VALUE[,KEY=VALUE...]: extra environment for n8n, for experiments (e.g. N8N_EXPRESSION_ENGINE=legacy). */
const N8N_ENV = Object.fromEntries(
	(typeof flags['n8n-env'] === 'string' ? flags['n8n-env'].split(',') : []).map((pair) => {
		const eq = pair.indexOf('=');
		if (eq <= 0) throw new Error(`--n8n-env takes KEY=VALUE pairs separated by commas, got "${pair}".`);
		return [pair.slice(0, eq), pair.slice(eq + 1)];
	}),
);

const log = (message) => process.stderr.write(`[bench:webhook] ${message}\n`);

// ---------------------------------------------------------------------------------------------
// Payloads: Stripe v1 snapshot events, unique ids, signed like Stripe signs them.

const templates = JSON.parse(readFileSync(join(HERE, 'webhook-events.json'), 'utf8'));
const EVENT_TYPES = templates.events.map((event) => event.type);
const SIGNING_SECRET = `whsec_${randomBytes(24).toString('base64url')}`;

let sequence = 0;
/** One delivery: the exact body and its Stripe-Signature header (t = now, one v1). */
function makeDelivery(side) {
	const n = sequence++;
	const template = templates.events[n % templates.events.length];
	const created = Math.floor(Date.now() / 1000);
	const event = {
		id: `evt_${side}${n.toString(36).padStart(6, '0')}${randomBytes(6).toString('hex')}`,
		object: 'event',
		api_version: API_VERSION,
		created,
		data: {
			object: template.object,
			...(template.previous_attributes ? { previous_attributes: template.previous_attributes } : {}),
		},
		livemode: false,
		pending_webhooks: 1,
		request: { id: `req_${randomBytes(7).toString('hex')}`, idempotency_key: randomUUID() },
		type: template.type,
	};
	const body = JSON.stringify(event, null, 2);
	const t = Math.floor(Date.now() / 1000);
	const v1 = createHmac('sha256', SIGNING_SECRET).update(`${t}.${body}`, 'utf8').digest('hex');
	return { id: event.id, body, signature: `t=${t},v1=${v1}` };
}

// ---------------------------------------------------------------------------------------------
// The two workflows and the credential, imported with the n8n CLI before n8n starts.

const CREDENTIAL = {
	id: 'benchStripeCred1',
	name: 'Stripe RevOps (bench, never called)',
	type: 'stripeRevOpsApi',
	data: { secretKey: 'sk_test_bench_never_called_0000', baseUrl: 'http://127.0.0.1:9', apiVersion: API_VERSION, stripeAccount: '' },
};

const OURS = {
	id: 'benchStripeTrig1',
	webhookId: randomUUID(),
	get path() {
		return `${this.webhookId}/webhook`;
	},
};
const TRIGGER_NODE_ID = randomUUID();
const BASELINE = { id: 'benchPlainHook01', webhookId: randomUUID(), path: 'bench-plain-webhook' };

function noOp(id) {
	return { id, name: 'NoOp', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [220, 0], parameters: {} };
}

const oursWorkflow = {
	id: OURS.id,
	name: 'Bench: Stripe RevOps Trigger → NoOp',
	nodes: [
		{
			id: TRIGGER_NODE_ID,
			name: 'Stripe RevOps Trigger',
			type: TRIGGER_TYPE,
			typeVersion: TRIGGER_VERSION,
			position: [0, 0],
			webhookId: OURS.webhookId,
			parameters: { registration: 'manual', signingSecret: SIGNING_SECRET, events: EVENT_TYPES, options: DURABLE_SIZE === undefined ? {} : { durableDedupeSize: DURABLE_SIZE } },
			credentials: { stripeRevOpsApi: { id: CREDENTIAL.id, name: CREDENTIAL.name } },
		},
		noOp(randomUUID()),
	],
	connections: { 'Stripe RevOps Trigger': { main: [[{ node: 'NoOp', type: 'main', index: 0 }]] } },
	settings: { executionOrder: 'v1' },
	active: false,
};

/** n8n's processed_data hash of a value (its CLI's DeduplicationHelper: MD5, base64). */
const processedHash = (value) => createHash('md5').update(String(value)).digest('base64');

/**
 * Runs SQL on n8n's SQLite database with the Node 24 that runs n8n (its node:sqlite; this script may run on an
 * older Node). `script` gets `db` (DatabaseSync) and `input`; what it returns is printed as JSON and returned.
 */
function withN8nDatabase(n8nFolder, script, input) {
	const code = `const { DatabaseSync } = require('node:sqlite');
const db = new DatabaseSync(${JSON.stringify(join(n8nFolder, 'database.sqlite'))});
db.exec('PRAGMA busy_timeout = 10000');
const input = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
const result = (() => { ${script} })();
process.stdout.write(JSON.stringify(result ?? null));`;
	const out = execFileSync(runtimePaths().node, ['--no-warnings', '-e', code], { input: JSON.stringify(input), maxBuffer: 64 * 1024 * 1024 });
	return JSON.parse(out.toString('utf8'));
}

const baselineWorkflow = {
	id: BASELINE.id,
	name: 'Bench: Webhook → NoOp',
	nodes: [
		{
			id: randomUUID(),
			name: 'Webhook',
			type: 'n8n-nodes-base.webhook',
			typeVersion: 2.1,
			position: [0, 0],
			webhookId: BASELINE.webhookId,
			parameters: { httpMethod: 'POST', path: BASELINE.path, responseMode: 'onReceived', options: {} },
		},
		noOp(randomUUID()),
	],
	connections: { Webhook: { main: [[{ node: 'NoOp', type: 'main', index: 0 }]] } },
	settings: { executionOrder: 'v1' },
	active: false,
};

// ---------------------------------------------------------------------------------------------
// Load generator: keep-alive agent, at most CONCURRENCY requests in flight.

function post(url, delivery, agent) {
	return new Promise((resolve, reject) => {
		const started = process.hrtime.bigint();
		const req = request(
			url,
			{
				method: 'POST',
				agent,
				headers: {
					'content-type': 'application/json; charset=utf-8',
					'content-length': Buffer.byteLength(delivery.body),
					'stripe-signature': delivery.signature,
					'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
				},
			},
			(res) => {
				const chunks = [];
				res.on('data', (chunk) => chunks.push(chunk));
				res.on('end', () =>
					resolve({
						status: res.statusCode,
						body: Buffer.concat(chunks).toString('utf8'),
						ms: Number(process.hrtime.bigint() - started) / 1e6,
					}),
				);
				res.on('error', reject);
			},
		);
		req.on('error', reject);
		req.end(delivery.body);
	});
}

async function sendAll(url, deliveries, agent) {
	const answers = new Array(deliveries.length);
	let next = 0;
	const worker = async () => {
		while (next < deliveries.length) {
			const index = next++;
			answers[index] = await post(url, deliveries[index], agent);
		}
	};
	const started = process.hrtime.bigint();
	await Promise.all(Array.from({ length: Math.min(CONCURRENCY, deliveries.length) }, worker));
	return { answers, elapsedMs: Number(process.hrtime.bigint() - started) / 1e6 };
}

// ---------------------------------------------------------------------------------------------
// n8n process figures from /proc (Linux): resident memory and CPU time of the main n8n process.

const CLOCK_TICKS = 100;
async function processFigures(pid) {
	try {
		const status = await readFile(`/proc/${pid}/status`, 'utf8');
		const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
		const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
		const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		const cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
		return { rssMb: rssKb / 1024, cpuMs };
	} catch {
		return { rssMb: NaN, cpuMs: NaN };
	}
}

function percentile(sorted, p) {
	if (sorted.length === 0) return NaN;
	const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
	return sorted[rank];
}

const round2 = (x) => Math.round(x * 100) / 100;

async function main() {
	await ensureN8n({ log });
	let tarball = typeof flags.tarball === 'string' ? flags.tarball : process.env.N8N_E2E_PACKAGE_TARBALL;
	let ownTarball;
	if (!tarball) tarball = ownTarball = await packPackage({ log });

	const n8n = await startN8n({
		packageTarball: tarball,
		imports: { credentials: [[CREDENTIAL]], workflows: [oursWorkflow, baselineWorkflow] },
		env: N8N_ENV,
		log,
	});
	const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
	try {
		if (PREFILL > 0) {
			const hashes = Array.from({ length: PREFILL }, (_, i) => processedHash(`evt_prefill${i.toString(36).padStart(5, '0')}${randomBytes(8).toString('hex')}`));
			withN8nDatabase(
				n8n.n8nFolder,
				`db.prepare("INSERT INTO processed_data (workflowId, context, value, createdAt, updatedAt) VALUES (?, ?, ?, datetime('now'), datetime('now'))").run(input.workflowId, input.context, JSON.stringify({ mode: 'entries', data: input.hashes }));`,
				{ workflowId: OURS.id, context: `n:${TRIGGER_NODE_ID}`, hashes },
			);
		}
		await n8n.activateWorkflow(OURS.id);
		await n8n.activateWorkflow(BASELINE.id);
		await n8n.waitForWebhook(OURS.path);
		await n8n.waitForWebhook(BASELINE.path);

		const sides = {
			ours: { ...OURS, url: n8n.webhookUrl(OURS.path), latencies: [], elapsedMs: 0, answeredMs: 0, cpuMs: 0, sent: 0, bad: [] },
			baseline: { ...BASELINE, url: n8n.webhookUrl(BASELINE.path), latencies: [], elapsedMs: 0, answeredMs: 0, cpuMs: 0, sent: 0, bad: [] },
		};

		const sentIds = new Set();
		const successCount = async (workflowId) => {
			const filter = encodeURIComponent(JSON.stringify({ workflowId, status: ['success'] }));
			return (await n8n.rest('GET', `/rest/executions?filter=${filter}&limit=1`)).count;
		};
		/** Waits until n8n finished an execution for every delivery sent so far (not timed). */
		const drain = async () => {
			const deadline = Date.now() + 300_000;
			for (;;) {
				const [ours, baseline] = await Promise.all([successCount(OURS.id), successCount(BASELINE.id)]);
				if (ours >= sides.ours.sent && baseline >= sides.baseline.sent) return { ours, baseline };
				if (Date.now() > deadline) {
					throw new Error(`n8n finished ${ours}/${sides.ours.sent} and ${baseline}/${sides.baseline.sent} executions after 5 minutes; see ${n8n.logPath}.`);
				}
				await new Promise((r) => setTimeout(r, 100));
			}
		};

		const round = async (name, count, measured) => {
			const side = sides[name];
			const deliveries = Array.from({ length: count }, () => makeDelivery(name === 'ours' ? 'o' : 'b'));
			const before = await processFigures(n8n.pid);
			const started = process.hrtime.bigint();
			const { answers, elapsedMs: answeredMs } = await sendAll(side.url, deliveries, agent);
			side.sent += count;
			if (name === 'ours') for (const delivery of deliveries) sentIds.add(delivery.id);
			await drain();
			const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
			const after = await processFigures(n8n.pid);
			for (const answer of answers) if (answer.status !== 200) side.bad.push(`${answer.status} ${answer.body.slice(0, 200)}`);
			if (measured) {
				side.elapsedMs += elapsedMs;
				side.answeredMs += answeredMs;
				side.cpuMs += after.cpuMs - before.cpuMs;
				for (const answer of answers) side.latencies.push(answer.ms);
			}
			log(
				`${measured ? 'measured' : 'warm-up '} ${name.padEnd(8)} ${count} events: answered in ${answeredMs.toFixed(0)} ms, ` +
					`executed in ${elapsedMs.toFixed(0)} ms (${((count * 1000) / elapsedMs).toFixed(1)} events/s)`,
			);
		};

		log(`n8n ${N8N_VERSION} at ${n8n.url}; warm-up ${WARMUP} per side, then ${EVENTS} per side in ${ROUNDS} rounds, ${CONCURRENCY} in flight.`);
		await round('ours', WARMUP, false);
		await round('baseline', WARMUP, false);
		const memoryBefore = await processFigures(n8n.pid);
		const perRound = EVENTS / ROUNDS;
		for (let i = 0; i < ROUNDS; i++) {
			const order = i % 2 === 0 ? ['ours', 'baseline'] : ['baseline', 'ours'];
			for (const name of order) await round(name, perRound, true);
		}
		const memoryAfter = await processFigures(n8n.pid);

		for (const [name, side] of Object.entries(sides)) {
			if (side.bad.length > 0) throw new Error(`${side.bad.length} ${name} deliveries were not answered 200, e.g. ${side.bad[0]}`);
		}
		const executions = { ours: await successCount(OURS.id), baseline: await successCount(BASELINE.id) };
		for (const name of ['ours', 'baseline']) {
			if (executions[name] !== sides[name].sent) {
				throw new Error(`${name}: ${sides[name].sent} unique events sent but ${executions[name]} successful executions.`);
			}
		}
		// How many of the events sent to the trigger n8n's deduplication store holds (what a restart would remember).
		const row = withN8nDatabase(n8n.n8nFolder, `return db.prepare('SELECT value FROM processed_data WHERE workflowId = ? AND context = ?').get(input.workflowId, input.context) ?? null;`, {
			workflowId: OURS.id,
			context: `n:${TRIGGER_NODE_ID}`,
		});
		const storedHashes = new Set(row ? JSON.parse(row.value).data : []);
		const remembered = [...sentIds].filter((id) => storedHashes.has(processedHash(id))).length;

		const figures = {};
		for (const [name, side] of Object.entries(sides)) {
			const sorted = [...side.latencies].sort((a, b) => a - b);
			figures[name] = {
				rate: (side.latencies.length * 1000) / side.elapsedMs,
				answerRate: (side.latencies.length * 1000) / side.answeredMs,
				p50: percentile(sorted, 50),
				p99: percentile(sorted, 99),
				cpuPerEvent: side.cpuMs / side.latencies.length,
			};
		}
		const ratio = figures.ours.rate / figures.baseline.rate;
		const result = {
			bench: 'webhook',
			ours: round2(figures.ours.rate),
			baseline: round2(figures.baseline.rate),
			unit: 'events/s',
			ratio: round2(ratio),
			target: TARGET_RATIO,
			pass: ratio >= TARGET_RATIO,
			p50_ms: { ours: round2(figures.ours.p50), baseline: round2(figures.baseline.p50) },
			p99_ms: { ours: round2(figures.ours.p99), baseline: round2(figures.baseline.p99) },
			answered_per_s: { ours: round2(figures.ours.answerRate), baseline: round2(figures.baseline.answerRate) },
			n8n_cpu_ms_per_event: { ours: round2(figures.ours.cpuPerEvent), baseline: round2(figures.baseline.cpuPerEvent) },
			n8n_rss_mb: { before: round2(memoryBefore.rssMb), after: round2(memoryAfter.rssMb) },
			events_per_side: EVENTS,
			warmup_per_side: WARMUP,
			rounds: ROUNDS,
			concurrency: CONCURRENCY,
			executions,
			trigger_stored_ids_of_sent_events: `${remembered}/${sentIds.size}`,
			trigger_type_version: TRIGGER_VERSION,
			trigger_durable_memory_prefill: PREFILL,
			trigger_durable_memory_size: storedHashes.size,
			...(DURABLE_SIZE === undefined ? {} : { trigger_durable_memory_option: DURABLE_SIZE }),
			registration: 'manual (known signing secret)',
			...(Object.keys(N8N_ENV).length > 0 ? { n8n_env: N8N_ENV } : {}),
			n8n: N8N_VERSION,
		};
		process.stdout.write(`${JSON.stringify(result)}\n`);
	} finally {
		agent.destroy();
		await n8n.stop();
		if (ownTarball) await rm(dirname(ownTarball), { recursive: true, force: true });
	}
}

main().catch((error) => {
	process.stderr.write(`${error?.stack ?? error}\n`);
	process.exit(1);
});

#!/usr/bin/env node
// npm run bench:crm [-- --customers=1000 --baseline-customers=100 --months=3 --seed=11 --now=2026-11-30T12:00:00Z|real
//                      --limits=test|live]
//
// CRM sync throughput (issue 11): the Stripe RevOps CRM Sync node's nightly full sync (Every Customer, read in bulk)
// against reading the same profiles customer by customer, in one run, with the nightly sync's memory.
//
// The business. The Stripe sandbox seeds --customers (default 1,000) over --months (3) with --seed (11): sandbox
// seedData { customers, months } (sandbox/seed.ts): subscriptions in usd, eur, gbp, cad and aud, trials, metered
// usage, declines and retries, refunds, disputes; every customer on the sandbox's global test clock. The business
// runs up to --now (default 2026-11-30T12:00:00Z, so a seed gives the same business on every run: seeded up to the
// real time, as the sandbox does by default, --now=real, the outcomes shift with the time of day of the run). The
// sandbox runs in its own process (bench/crm/sandbox.ts: Stripe is another machine) on a frozen clock, so both sides
// read the same state at the same `now`.
//
// Limits and latency. The node's client picks its limiter by the key's prefix: the sandbox key is sk_test_, so 25
// calls/s for the account and 25 per endpoint (lib/stripe/rateLimiter.ts); the sandbox enforces Stripe's test-mode
// limits too (--limits=test, default: rateLimits { opsPerSecond: 25, perEndpointPerSecond: 25 }; --limits=live: 100 +
// 25 per endpoint, the client still at 25/s), answering 429 past them. Latency: the per-request + per-item model of
// bench/export, 120 ms a call + 2 ms per listed object, charged on the objects a list actually returns (a page of 100:
// 320 ms; one customer's 3 invoices: 126 ms; a retrieve: 120 ms), by a proxy in the sandbox process that also counts
// the requests per endpoint (the sandbox's own stripeLikeLatency sees neither the query nor the answer).
//
//   ours:     one workflow execution in n8n-core's WorkflowExecute (test/harness/n8n.ts, this package from dist/):
//             CRM Sync Build Profiles (Customers: Every Customer; reporting currency usd, Exchange Rates for eur,
//             gbp, cad and aud as in workflows/stripe-crm-nightly-sync.json) → CRM Sync Shape for CRM (Contacts and
//             Companies, HubSpot Batch Upsert, batch size 100). Profiles/s = customers profiled / wall time from the
//             start of the execution to its end. Also: the Stripe requests it made (counted at the sandbox), the
//             HubSpot batch bodies (items with body.inputs) per object type, the peak RSS and heap growth of this
//             process during the execution.
//   baseline: the same profiles read customer by customer: CRM Sync Build Profiles (Customers: Named by the Input
//             Items) fed one item { customerId } per customer, one execution; the node reads each customer (customer,
//             subscriptions, invoices, charges; product names and the test clock once per execution), 8 customers in
//             flight, through the same client limiter: the request pattern of an event-driven, per-customer sync (and
//             of a workflow looping n8n's Stripe or HTTP Request node over the customers). At ~4 requests a customer
//             and 25 requests/s that is ~6 customers/s, so it runs on an evenly spread sample of
//             --baseline-customers (100); its rate does not depend on the count (the run is bound by the limiter,
//             past the first second), so profiles/s of the sample are those of the whole account.
//   ratio:    ours / baseline profiles/s; target 10 (pass when ratio >= 10 and correct).
//
// Correctness is part of the bench (a side that is wrong fails): ours must give exactly --customers profiles, one
// per customer id of the sandbox; each baseline profile must deep-equal the bulk profile of the same customer; the
// HubSpot batch bodies must hold 1..100 inputs each, no id twice (within a batch, or across the batches of one object
// type), every contact (distinct valid email) and company (distinct domain) once, in ceil(contacts / 100) contact and
// ceil(companies / 100) company batches. hubspotCalls = batch bodies (what the nightly template sends);
// hubspotCallsOneByOne = records (what one upsert per record would send).
//
// The last line of output is one JSON object: {"bench":"crm","ours","baseline","unit":"profiles/s","ratio","target","pass",...}.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

import { ROOT, credentialsFor, forkWithIpc, memorySampler, parseFlags, positiveInt } from './export/common.mjs';

if (!process.env.BENCH_CRM_TSX) {
	// The harness and the sandbox are TypeScript: run this file again under tsx (a devDependency), with --expose-gc
	// so the memory figures start from a collected heap.
	const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
		stdio: 'inherit',
		cwd: ROOT,
		env: { ...process.env, BENCH_CRM_TSX: '1' },
	});
	process.exit(child.status ?? 1);
}

const TARGET = 10;
const BATCH = 100;
const NODE_TYPE = 'n8n-nodes-stripe-revops.stripeRevOpsCrmSync';
const BUILD = 'Build Profiles';
const SHAPE = 'Shape for CRM';
const PROFILE_OPTIONS = {
	reportingCurrency: 'usd',
	exchangeRates: {
		rate: [
			{ currency: 'eur', rate: 1.08 },
			{ currency: 'gbp', rate: 1.27 },
			{ currency: 'cad', rate: 0.73 },
			{ currency: 'aud', rate: 0.66 },
		],
	},
};

const flags = parseFlags(process.argv.slice(2));
const CUSTOMERS = positiveInt(flags, 'customers', 1000);
const BASELINE_CUSTOMERS = Math.min(CUSTOMERS, positiveInt(flags, 'baseline-customers', 100));
const MONTHS = positiveInt(flags, 'months', 3);
const SEED = positiveInt(flags, 'seed', 11);
const NOW_FLAG = String(flags.now ?? '2026-11-30T12:00:00Z');
const NOW = NOW_FLAG === 'real' ? undefined : /^\d+$/.test(NOW_FLAG) ? Number(NOW_FLAG) : Date.parse(NOW_FLAG) / 1000;
if (NOW !== undefined && !Number.isFinite(NOW)) throw new Error(`--now must be unix seconds, an ISO 8601 time or real, got "${NOW_FLAG}".`);
const LIMITS = String(flags.limits ?? 'test');
if (!['live', 'test'].includes(LIMITS)) throw new Error(`--limits must be test or live, got "${LIMITS}".`);

const log = (message) => process.stderr.write(`[bench:crm] ${message}\n`);
const round = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// dist/ is what n8n loads; warn when it is older than the sources it is built from.
const distNode = join(ROOT, 'dist/nodes/StripeRevOpsCrmSync/StripeRevOpsCrmSync.node.js');
if (!existsSync(distNode)) throw new Error('dist/ has no CRM Sync node: run `npm run build` first.');
for (const src of ['nodes/StripeRevOpsCrmSync/StripeRevOpsCrmSync.node.ts', 'nodes/shared/router.ts', 'lib/crm/load.ts', 'lib/crm/profile.ts', 'lib/crm/shape.ts', 'lib/crm/mrr.ts', 'lib/stripe/rateLimiter.ts', 'lib/stripe/client.ts']) {
	if (statSync(join(ROOT, src)).mtimeMs > statSync(distNode).mtimeMs + 1000) log(`warning: ${src} is newer than dist/: run \`npm run build\` to bench the current code.`);
}

const { runWorkflow } = await import('../test/harness/n8n.ts');
const { isValidEmail } = await import('../lib/crm/shape.ts');

// ---------------------------------------------------------------------------------------------
// The sandbox in its own process.

async function startSandboxProcess(opts) {
	const { ready, ask, close } = await forkWithIpc('bench/crm/sandbox.ts', opts);
	return {
		...ready,
		/** Every customer id, in creation order. */
		customerIds: async () => (await ask({ type: 'customers' })).ids,
		/** Requests since the last reset ({ total, byEndpoint, answered429, inFlightPeak }); starts a new count. */
		requests: () => ask({ type: 'requests', reset: true }),
		close,
	};
}


function crmNode(name, parameters, x) {
	return { id: name.toLowerCase().replace(/ /g, '-'), name, type: NODE_TYPE, typeVersion: 1, position: [x, 0], parameters, credentials: { stripeRevOpsApi: { id: '1', name: 'Stripe sandbox' } } };
}

/** Build Profiles (source) → Shape for CRM (Contacts and Companies, HubSpot batches), or Build Profiles alone. */
function syncWorkflow(source, shape = true) {
	const nodes = [crmNode(BUILD, { operation: 'buildProfiles', source, profileOptions: PROFILE_OPTIONS }, 0)];
	if (!shape) return { nodes, connections: {} };
	nodes.push(crmNode(SHAPE, { operation: 'shapeForCrm', objects: 'contactsAndCompanies', output: 'hubspotBatch', batchSize: BATCH }, 250));
	return { nodes, connections: { [BUILD]: { main: [[{ node: SHAPE, type: 'main', index: 0 }]] } } };
}

const itemsOf = (result, node) => result.outputs[node]?.[0] ?? [];

// ---------------------------------------------------------------------------------------------
// Checks.

/** The HubSpot batch bodies against the profiles: sizes, duplicate ids, every contact and company once. */
function checkBatches(batchItems, profiles) {
	const problems = [];
	const expected = { contacts: new Set(), companies: new Set() };
	const expectedRecords = { contacts: 0, companies: 0 };
	for (const p of profiles) {
		const email = typeof p.email === 'string' ? p.email.toLowerCase() : '';
		if (email && isValidEmail(email)) expected.contacts.add(email), expectedRecords.contacts++;
		if (p.domain) expected.companies.add(p.domain), expectedRecords.companies++;
	}
	const seen = { contacts: new Set(), companies: new Set() };
	const batches = { contacts: 0, companies: 0 };
	const records = { contacts: 0, companies: 0 };
	let largest = 0;
	for (const item of batchItems) {
		const b = item.json;
		const type = b.objectType;
		if (!(type in seen)) {
			problems.push(`a batch of unknown object type "${type}"`);
			continue;
		}
		batches[type]++;
		const inputs = b.body.inputs;
		largest = Math.max(largest, inputs.length);
		if (inputs.length < 1 || inputs.length > BATCH) problems.push(`a ${type} batch of ${inputs.length} inputs`);
		const ids = new Set(inputs.map((x) => x.id));
		if (ids.size !== inputs.length) problems.push(`a ${type} batch names ${inputs.length - ids.size} id(s) twice`);
		for (const id of ids) {
			if (seen[type].has(id)) problems.push(`${type} id ${id} in two batches`);
			seen[type].add(id);
		}
		records[type] += (b.customerIds?.length ?? inputs.length) + (b.mergedCustomerIds?.length ?? 0);
	}
	for (const type of ['contacts', 'companies']) {
		const missing = [...expected[type]].filter((id) => !seen[type].has(id));
		const extra = [...seen[type]].filter((id) => !expected[type].has(id));
		if (missing.length) problems.push(`${missing.length} ${type} missing from the batches (e.g. ${missing[0]})`);
		if (extra.length) problems.push(`${extra.length} ${type} in the batches that no profile names (e.g. ${extra[0]})`);
		const want = Math.ceil(expected[type].size / BATCH);
		if (batches[type] !== want) problems.push(`${batches[type]} ${type} batches for ${expected[type].size} ${type} (want ceil(${expected[type].size}/${BATCH}) = ${want})`);
		if (records[type] !== expectedRecords[type]) problems.push(`${records[type]} ${type} records in the batches for ${expectedRecords[type]} profiles with one`);
	}
	return { ok: problems.length === 0, problems, batches, records, distinct: { contacts: expected.contacts.size, companies: expected.companies.size }, largest };
}

/** The fields in which two profiles differ. */
function diff(a, b) {
	return [...new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})])].filter((k) => !isDeepStrictEqual(a?.[k], b?.[k])).map((k) => `${k}: ${JSON.stringify(a?.[k])} vs bulk ${JSON.stringify(b?.[k])}`);
}

// ---------------------------------------------------------------------------------------------
// ours and baseline.

async function runOurs(sb, ids) {
	const credentials = credentialsFor(sb);
	log(`ours: Build Profiles (Every Customer) → Shape for CRM (Contacts and Companies, HubSpot batches of ${BATCH}), one execution...`);
	const memory = memorySampler();
	const cpu0 = process.cpuUsage();
	const t0 = performance.now();
	const progress = setInterval(() => log(`ours: running, ${Math.round((performance.now() - t0) / 1000)} s, RSS ${Math.round(process.memoryUsage().rss / 2 ** 20)} MB`), 10_000);
	let result;
	try {
		result = await runWorkflow(syncWorkflow('all'), { startNode: BUILD, credentials });
	} finally {
		clearInterval(progress);
	}
	const ms = performance.now() - t0;
	const cpu = process.cpuUsage(cpu0);
	const mem = memory.stop();
	const requests = await sb.requests();
	const profileItems = itemsOf(result, BUILD);
	const shapeItems = itemsOf(result, SHAPE);
	const errors = Object.entries(result.errors).map(([node, e]) => `${node}: ${e.message}`);

	const problems = [...errors];
	if (result.status !== 'success') problems.push(`execution ${result.status}`);
	const profiles = profileItems.map((i) => i.json);
	const bad = profiles.filter((p) => typeof p.customerId !== 'string' || typeof p.paymentHealth !== 'string' || p.error !== undefined);
	if (bad.length) problems.push(`${bad.length} items are not profiles (e.g. ${JSON.stringify(bad[0]).slice(0, 200)})`);
	const byId = new Map(profiles.map((p) => [p.customerId, p]));
	if (profiles.length !== CUSTOMERS) problems.push(`${profiles.length} profiles for ${CUSTOMERS} customers`);
	if (byId.size !== profiles.length) problems.push(`${profiles.length - byId.size} customers profiled twice`);
	const missing = ids.filter((id) => !byId.has(id));
	if (missing.length) problems.push(`${missing.length} customers without a profile (e.g. ${missing[0]})`);
	const idSet = new Set(ids);
	const unknown = [...byId.keys()].filter((id) => !idSet.has(id));
	if (unknown.length) problems.push(`${unknown.length} profiles of customers the sandbox does not have (e.g. ${unknown[0]})`);

	const batchItems = shapeItems.filter((i) => Array.isArray(i.json?.body?.inputs));
	if (batchItems.length !== shapeItems.length) problems.push(`${shapeItems.length - batchItems.length} Shape for CRM items are not batch bodies`);
	const batches = checkBatches(batchItems, profiles);
	problems.push(...batches.problems);
	const skipped = new Set(batchItems.flatMap((i) => i.json.skipped ?? [])).size;
	const health = {};
	for (const p of profiles) health[p.paymentHealth] = (health[p.paymentHealth] ?? 0) + 1;

	const profilesPerSecond = (profiles.length / ms) * 1000;
	log(
		`ours: ${result.status} in ${Math.round(ms)} ms = ${round(profilesPerSecond)} profiles/s (CPU ${Math.round((cpu.user + cpu.system) / 1000)} ms in this process); ` +
			`${profiles.length} profiles ${JSON.stringify(health)}; Stripe requests ${requests.total} (429s ${requests.answered429}) ${JSON.stringify(requests.byEndpoint)}; ` +
			`HubSpot batches ${JSON.stringify(batches.batches)} for ${JSON.stringify(batches.distinct)} distinct, records ${JSON.stringify(batches.records)}, skipped ${skipped}`,
	);
	log(`ours: memory ${JSON.stringify(mem)}`);
	log(`ours: check: ${problems.length ? `WRONG: ${problems.join('; ')}` : 'exactly one profile per customer; batch bodies of at most 100 distinct ids, every contact and company once'}`);
	return { ok: problems.length === 0, problems, profilesPerSecond, ms, cpuMs: (cpu.user + cpu.system) / 1000, profiles: byId, count: profiles.length, requests, batches, health, memory: mem, skipped };
}

async function runBaseline(sb, sample, bulk) {
	const credentials = credentialsFor(sb);
	log(`baseline: Build Profiles (Named by the Input Items) over ${sample.length} items { customerId }, one execution...`);
	const t0 = performance.now();
	const progress = setInterval(() => log(`baseline: running, ${Math.round((performance.now() - t0) / 1000)} s`), 10_000);
	let result;
	try {
		result = await runWorkflow(syncWorkflow('input', false), { startNode: BUILD, credentials, input: sample.map((customerId) => ({ json: { customerId } })) });
	} finally {
		clearInterval(progress);
	}
	const ms = performance.now() - t0;
	const requests = await sb.requests();
	const items = itemsOf(result, BUILD);
	const problems = Object.entries(result.errors).map(([node, e]) => `${node}: ${e.message}`);
	if (result.status !== 'success') problems.push(`execution ${result.status}`);
	if (items.length !== sample.length) problems.push(`${items.length} profiles for ${sample.length} customers`);
	let equal = 0;
	const differing = [];
	for (const item of items) {
		const p = item.json;
		const b = bulk.get(p.customerId);
		if (!b) problems.push(`${p.customerId}: no bulk profile`);
		else if (isDeepStrictEqual(p, b)) equal++;
		else differing.push(`${p.customerId}: ${diff(p, b).join(', ')}`);
	}
	const got = new Set(items.map((i) => i.json.customerId));
	const notProfiled = sample.filter((id) => !got.has(id));
	if (notProfiled.length) problems.push(`${notProfiled.length} sample customers without a profile (e.g. ${notProfiled[0]})`);
	if (differing.length) problems.push(`${differing.length} profiles differ from the bulk ones (${differing.slice(0, 3).join(' | ')})`);
	const profilesPerSecond = (items.length / ms) * 1000;
	log(
		`baseline: ${result.status} in ${Math.round(ms)} ms = ${round(profilesPerSecond)} profiles/s; Stripe requests ${requests.total} (${round(requests.total / sample.length, 2)} a customer, 429s ${requests.answered429}) ${JSON.stringify(requests.byEndpoint)}`,
	);
	log(`baseline: check: ${problems.length ? `WRONG: ${problems.join('; ')}` : `all ${equal} per-customer profiles deep-equal the bulk profiles of the same customers`}`);
	return { ok: problems.length === 0, problems, profilesPerSecond, ms, count: items.length, equal, requests };
}

// ---------------------------------------------------------------------------------------------

const started = Date.now();
const sb = await startSandboxProcess({ seed: SEED, now: NOW, customers: CUSTOMERS, months: MONTHS, limits: LIMITS, latency: 'stripe' });
let ours;
let baseline;
let sample;
try {
	const ids = await sb.customerIds();
	log(
		`sandbox at ${sb.url}: ${sb.customers} customers over ${MONTHS} months up to ${new Date(sb.now * 1000).toISOString()}, seed ${SEED} (seeded in ${sb.seedMs} ms: ${JSON.stringify({ subscriptions: sb.seedReport?.subscriptions, invoices: sb.seedReport?.invoices, charges: sb.seedReport?.charges })}); ` +
			`limits ${LIMITS === 'test' ? "Stripe's test mode: 25 ops/s + 25 requests/s per endpoint" : "Stripe's live mode: 100 ops/s + 25 requests/s per endpoint"} (client: sk_test_ key, 25/s + 25/s per endpoint); ` +
			'latency 120 ms a call + 2 ms per listed object',
	);
	// The baseline's sample: evenly spread over the customers in creation order.
	const step = ids.length / BASELINE_CUSTOMERS;
	sample = Array.from({ length: BASELINE_CUSTOMERS }, (_, k) => ids[Math.floor(k * step)]);
	// Warm-up (module loading, JIT), not measured: one customer through both nodes, and a customer-by-customer read;
	// then the buckets refill.
	const warmId = ids[Math.min(ids.length - 1, Math.floor(step / 2))];
	const warm = await runWorkflow(syncWorkflow('input'), { startNode: BUILD, credentials: credentialsFor(sb), input: [{ json: { customerId: warmId } }] });
	log(`warm-up (one customer, both nodes): ${warm.status}`);
	await sleep(1500);
	await sb.requests();
	ours = await runOurs(sb, ids);
	await sleep(1500);
	await sb.requests();
	baseline = await runBaseline(sb, sample, ours.profiles);
} finally {
	await sb.close();
}

const ratio = ours.profilesPerSecond / baseline.profilesPerSecond;
const correct = ours.ok && baseline.ok;
const hubspotCalls = ours.batches.batches.contacts + ours.batches.batches.companies;
const hubspotCallsOneByOne = ours.batches.records.contacts + ours.batches.records.companies;
const result = {
	bench: 'crm',
	ours: round(ours.profilesPerSecond),
	baseline: round(baseline.profilesPerSecond, 2),
	unit: 'profiles/s',
	ratio: round(ratio, 2),
	target: TARGET,
	pass: ratio >= TARGET && correct,
	correct,
	...(correct ? {} : { problems: [...ours.problems.map((p) => `ours: ${p}`), ...baseline.problems.map((p) => `baseline: ${p}`)].slice(0, 10) }),
	customers: CUSTOMERS,
	months: MONTHS,
	seed: SEED,
	now: new Date(sb.now * 1000).toISOString(),
	limits: LIMITS === 'test' ? 'test: 25 ops/s + 25/s per endpoint (client: sk_test_ key, 25/s + 25/s per endpoint)' : 'live: 100 ops/s + 25/s per endpoint (client: sk_test_ key, 25/s + 25/s per endpoint)',
	latency: 'stripe-like (120 ms a call + 2 ms per listed object), at a proxy in the sandbox process',
	oursMs: Math.round(ours.ms),
	oursCpuMs: Math.round(ours.cpuMs),
	oursProfiles: ours.count,
	oursStripeRequests: ours.requests.total,
	oursStripeRequestsByEndpoint: ours.requests.byEndpoint,
	ours429: ours.requests.answered429,
	oursPaymentHealth: ours.health,
	hubspotBatches: ours.batches.batches,
	hubspotRecords: ours.batches.records,
	hubspotDistinct: ours.batches.distinct,
	hubspotLargestBatch: ours.batches.largest,
	hubspotCalls,
	hubspotCallsOneByOne,
	oursRssPeakMB: ours.memory.rssPeakMB,
	oursRssGrowthMB: ours.memory.rssGrowthMB,
	oursHeapBeforeMB: ours.memory.heapBeforeMB,
	oursHeapPeakMB: ours.memory.heapPeakMB,
	oursHeapGrowthMB: round(ours.memory.heapPeakMB - ours.memory.heapBeforeMB),
	oursVmHwmMB: ours.memory.vmHwmMB,
	baselineCustomers: baseline.count,
	baselineMs: Math.round(baseline.ms),
	baselineStripeRequests: baseline.requests.total,
	baselineStripeRequestsPerCustomer: round(baseline.requests.total / Math.max(1, baseline.count), 2),
	baselineStripeRequestsByEndpoint: baseline.requests.byEndpoint,
	baseline429: baseline.requests.answered429,
	baselineEqualToBulk: baseline.equal,
	baselineFullSyncSecondsEstimate: Math.round(CUSTOMERS / baseline.profilesPerSecond),
	totalSeconds: Math.round((Date.now() - started) / 1000),
};
console.log(JSON.stringify(result));
process.exit(0);

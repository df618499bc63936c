#!/usr/bin/env node
// npm run bench:recovery [-- --scenario FILE --seed N --customers N --months N --live-months N --window-days N --no-crosses
//   --no-customer-paydays --no-explore --same-state-hours N --no-payroll]
//
// Payment recovery of issue 8, decided by the sandbox: the trained retry policy ("ours") against a Stripe-like
// baseline with the same attempt budget (8 tries), live on the sandbox's test clock.
//
// Windows: the attempt budget is the same for every policy, 8 retries per invoice (ours never more: the timing
// policy's budget is 8 within its whole recovery window, and the bench counts). The recovery window is the merchant's
// choice, in Stripe's Smart Retries too (the retry policy's duration: 1 week up to 2 months; the recommended default
// is 8 tries within 2 weeks). The headline baseline is Stripe's default, 8 tries spread over 2 weeks; ours uses
// `--window-days` (default 30: a payday-aware policy can wait for a monthly payroll, which a 2-week window often
// misses; the node's option Recovery Window (Days), whose default stays 14). To separate what the longer window gives
// from what the timing gives, a second baseline runs with ours' window: 8 tries spread evenly over it
// (`baselineSameWindow`, `ratioSameWindow`). With `--window-days 14` that second baseline is the first one.
//
// `--months` of seeded history end at a fixed "now" (default 12 months, 2000 customers); the live comparison runs for
// `--live-months` after it (default 3), plus the longest window and a day, so the last failures use their whole window.
//
// Design (fairness): one sandbox per policy, each with the same seed, scenario and seeded business. All see the
// same history; after "now" each runs the same business forward on its test clock (renewals), and each policy takes
// over collection of every renewal whose first payment fails (`auto_advance=false` within the hour of the failure,
// before the sandbox's own first automatic retry a day later), so the sandbox's retries never run. The sandbox decides
// every outcome (its hidden payment model, sandbox/scenario.ts); both policies use only the public API. Outcomes are
// drawn per card, second and attempt (common random numbers), so the twins' renewals fail alike and two policies
// trying the same card at the same moment get the same result; but once a policy recovers an invoice the other does
// not, the customers' later months differ (a card still short of money fails its next renewal too), so each side
// still meets a partly different sample of failures; and invoice amounts are heavy-tailed. So the headline `ours` /
// `baseline` / `ratio` are standardized: expected revenue recovered of one pooled set of failed invoices, each side's
// share of invoices recovered per first decline code times every side's pooled failures of that code, times the
// pooled mean failed amount (the sandbox draws the code independently of the amount, and neither outcomes nor
// policies look at amounts; a code counts only where every side met it). `byRevenue` weights the codes by their pooled
// failed revenue instead (the headline until 2026-12-01: the same estimate with the heavy tail's variance). `raw` has
// the plain sums (ours against the 2-week baseline), `ceilingRatio` what recovering every invoice of every code that
// any side ever recovered would give against the 2-week baseline, `ceilingRatioSameWindow` the same against the
// same-window baseline (the room the world leaves; no policy can exceed it, whatever its window).
//
// - ours: trained on the history (lib/retry `loadTrainingAttempts` → `train` with the crosses, paydays learned per
//   card country with `learnPaydays` and a significance test), then `planRetry` (a Thompson draw over the model, the
//   network rules over the card's whole history, every day a business day, quiet hours 21:00–08:00 local) ranks the
//   allowed times, `chooseWithinBudget` spends the remaining tries on the best set (tries within `--same-state-hours`, 48,
//   of each other count as meeting the same state of the card) and tries its earliest member; insufficient funds
//   instead by the payroll model (`train` with `payroll: true`; `--no-payroll` for the feature model): the customer's
//   posterior over payroll rules scores the times and the budget goes to the set most likely to meet the money;
//   `retryPayment` at that time, online `update` of the model with the outcome (the payroll model too, by the plan's
//   posterior, for insufficient funds), plan again, until paid, stopped (the
//   decline says no retry: `requestPaymentMethod` …) or out of budget.
// - baseline: 8 tries at fixed offsets after the first failure (14 days × k/8, k = 1…8), whatever the decline says,
//   with the same `retryPayment` (idempotency keys) but no rules, model or zones. baselineSameWindow: the same with
//   ours' window (W days × k/8).
// - network-rule violations: every attempt either policy sends is checked with `checkNetworkRules` against every
//   earlier attempt on the card (all its charges, the sandbox's own included) before it is sent; ours sends none
//   that fails (it plans again).
// - revenue: what the recovered invoices settled in USD (the charge's balance transaction, minor units), so the
//   currencies add up as the sandbox's ledger converts them; failed revenue at the customer's currency's rate.
//
// The last line of output is one JSON object: {"bench":"recovery","ours":…,"baseline":…,"unit":"usd_cents",…}.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');
if (!process.env.BENCH_RECOVERY_TSX) {
	// The engine and the sandbox are TypeScript: run this file again under tsx (a devDependency), as `npm run sandbox` does.
	const child = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, BENCH_RECOVERY_TSX: '1' } });
	process.exit(child.status ?? 1);
}
const { startSandbox, mergeScenario } = await import('../sandbox/index.ts');
const retry = await import('../lib/retry/index.ts');
const { StripeClient, fetchTransport } = await import('../lib/stripe/index.ts');

const TARGET = 1.1;
const DAY = 86400;
const HOUR = 3600;
const TRIES = 8; // the attempt budget of every policy (Stripe's default: 8 tries)
const STRIPE_WINDOW_DAYS = 14; // Stripe's default window: 8 tries within 2 weeks
const offsetsOver = (days) => Array.from({ length: TRIES }, (_, k) => Math.round(((k + 1) * days * DAY) / TRIES));

function parseFlags(argv) {
	const flags = {};
	for (let i = 0; i < argv.length; i++) {
		const m = /^--([\w-]+)(?:=(.*))?$/.exec(argv[i]);
		if (!m) throw new Error(`Unexpected argument "${argv[i]}". Options: --scenario FILE --seed N --customers N --months N --live-months N --window-days N --no-crosses --no-customer-paydays --no-explore --same-state-hours N --no-payroll.`);
		let value = m[2];
		if (value === undefined && argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) value = argv[++i];
		flags[m[1]] = value ?? true;
	}
	return flags;
}
function int(flags, name, fallback, min = 1) {
	if (flags[name] === undefined) return fallback;
	const v = Number(flags[name]);
	if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be a whole number ≥ ${min}, got "${flags[name]}".`);
	return v;
}

const flags = parseFlags(process.argv.slice(2));
const SEED = int(flags, 'seed', 42, 0);
const CUSTOMERS = int(flags, 'customers', 2000);
const MONTHS = int(flags, 'months', 12);
const LIVE_MONTHS = int(flags, 'live-months', 3);
const WINDOW_DAYS = int(flags, 'window-days', 30); // ours' recovery window (the merchant's setting; Stripe allows 7–60 days)
if (WINDOW_DAYS > 60) throw new Error('--window-days: at most 60 (Stripe\'s longest retry window: 2 months).');
const BUDGET = { attempts: TRIES, windowSeconds: WINDOW_DAYS * DAY }; // 8 retries within the whole window: never more than 8
const CROSSES = flags['no-crosses'] === undefined;
const CUSTOMER_PAYDAYS = flags['no-customer-paydays'] === undefined; // --no-customer-paydays: country paydays only
const SAME_STATE_HOURS = int(flags, 'same-state-hours', 48, 0); // how long a card's state lasts, for spreading the budget (TimingPolicy.sameStateSeconds; the node's default, 48 h; 0: tries independent)
const PAYROLL = flags['no-payroll'] === undefined; // --no-payroll: insufficient funds timed by the feature model, not the payroll posterior
const EXPLORE = flags['no-explore'] === undefined; // --no-explore: the model's mean instead of a Thompson draw
const OURS_ONLY = process.env.BENCH_OURS_ONLY === '1'; // development: run ours only, print its line, no comparison // --no-crosses: the model without its crosses, for comparison
const NOW = int(flags, 'now', 1_780_000_000); // 2026-05-28T20:26:40Z: the end of the seeded history
const scenarioFile = typeof flags.scenario === 'string' ? resolve(process.cwd(), flags.scenario) : null;
const overrides = scenarioFile ? JSON.parse(readFileSync(scenarioFile, 'utf8')) : {};
delete overrides.$comment;
const scenario = mergeScenario(overrides);
const log = (...a) => console.log(...a);

function clientOf(sb) {
	let calls = 0;
	const inner = fetchTransport(sb.secretKey);
	const client = new StripeClient({ request: (r) => (calls++, inner(r)), baseUrl: sb.url, sleep: async () => undefined, retry: { maxRetries: 2 } });
	return { client, calls: () => calls };
}

async function start() {
	return startSandbox({ seed: SEED, now: NOW, clock: 'frozen', rateLimits: false, scenario, seedData: { customers: CUSTOMERS, months: MONTHS }, webhooks: { autoDeliver: false } });
}

/** Everything one policy needs from the API about a failed invoice: its first failed charge and the customer. */
async function failedInvoiceInfo(client, invoiceId, customers) {
	const inv = await client.get(`/v1/invoices/${invoiceId}`, { expand: ['payments'] });
	const pi = inv.payments?.data?.[0]?.payment?.payment_intent;
	const piId = typeof pi === 'string' ? pi : pi?.id;
	const charges = [];
	if (piId) for await (const c of client.list('/v1/charges', { payment_intent: piId })) charges.push(c);
	charges.sort((a, b) => a.created - b.created);
	const customerId = typeof inv.customer === 'string' ? inv.customer : inv.customer?.id;
	let customer = customers.get(customerId);
	if (!customer) {
		customer = await client.get(`/v1/customers/${customerId}`);
		customers.set(customerId, customer);
	}
	return { inv, charges, customer };
}

function cardOf(charge) {
	const card = charge?.payment_method_details?.card ?? {};
	return { brand: (card.network ?? card.brand ?? undefined)?.toLowerCase(), funding: card.funding ?? undefined, country: card.country ?? undefined, fingerprint: card.fingerprint ?? undefined, paymentMethodId: typeof charge?.payment_method === 'string' ? charge.payment_method : undefined };
}

/** Runs one policy live on its sandbox; returns what it recovered. */
async function runLive(name, sb, policy) {
	const { client, calls } = clientOf(sb);
	const customers = new Map();
	const managed = new Map(); // invoiceId -> state
	const due = []; // { at, invoiceId }
	const liveEnd = NOW + Math.round(LIVE_MONTHS * 30.44 * DAY);
	const hardEnd = liveEnd + (Math.max(WINDOW_DAYS, STRIPE_WINDOW_DAYS) + 1) * DAY; // every failure gets its whole window
	const out = { failed: 0, failedRevenue: 0, recovered: 0, revenue: 0, attempts: 0, maxRetriesPerInvoice: 0, violations: 0, violationRules: {}, refused: 0, stopped: {}, calls: 0, byCode: {} };
	let polledTo = NOW;

	const schedule = (at, invoiceId) => {
		due.push({ at, invoiceId });
		due.sort((a, b) => a.at - b.at);
	};

	async function settledUsd(invoice) {
		const info = await failedInvoiceInfo(client, invoice.id, customers);
		const paid = info.charges.filter((c) => c.status === 'succeeded').pop();
		if (!paid) return 0;
		const ch = await client.get(`/v1/charges/${paid.id}`, { expand: ['balance_transaction'] });
		return typeof ch.balance_transaction === 'object' && ch.balance_transaction ? ch.balance_transaction.amount : paid.amount;
	}

	async function takeOver(invoice, now) {
		if (managed.has(invoice.id) || invoice.status !== 'open') return;
		if ((invoice.attempt_count ?? 0) !== 1 || invoice.billing_reason === 'subscription_create') return; // only renewals' first failures
		await client.post(`/v1/invoices/${invoice.id}`, { auto_advance: false });
		const info = await failedInvoiceInfo(client, invoice.id, customers);
		const first = info.charges[0];
		if (!first || first.status === 'succeeded') return;
		const paymentIntents = (info.inv.payments?.data ?? []).map((p) => p.payment?.payment_intent).map((pi) => (typeof pi === 'string' ? pi : pi?.id)).filter(Boolean);
		const st = { id: invoice.id, customer: info.customer, firstFailureAt: first.created, firstCharge: first, lastCharge: first, retries: 0, amount: invoice.amount_due, currency: invoice.currency, paymentIntents };
		managed.set(invoice.id, st);
		out.failed++;
		st.usd = await usdOf(first, invoice.amount_due);
		out.failedRevenue += st.usd;
		st.code = classify(first).codes.decline_code ?? 'unknown';
		const bc = (out.byCode[st.code] ??= { failed: 0, recovered: 0, failedUsd: 0, recoveredUsd: 0 });
		bc.failed++;
		bc.failedUsd += st.usd;
		await policy.onFailure(st, now, { client, schedule, out });
	}

	// The USD value of a failed invoice: the sandbox's own exchange rate is only on settled charges, so a failed amount
	// is converted with the rate of the customer's latest settled charge in that currency (1 for USD).
	const rates = new Map([['usd', 1]]);
	async function usdOf(charge, amount) {
		const cur = charge.currency;
		if (!rates.has(cur)) {
			let rate;
			for await (const c of client.list('/v1/charges', { customer: typeof charge.customer === 'string' ? charge.customer : charge.customer?.id, expand: ['data.balance_transaction'] })) {
				if (c.status === 'succeeded' && c.balance_transaction && typeof c.balance_transaction === 'object') {
					rate = c.balance_transaction.amount / c.amount;
					break;
				}
			}
			if (rate === undefined) return amount;
			rates.set(cur, rate);
		}
		return Math.round(amount * rates.get(cur));
	}

	async function poll(now) {
		for await (const ev of client.list('/v1/events', { type: 'invoice.payment_failed', created: { gt: polledTo, lte: now } })) {
			if (ev.created > liveEnd) continue;
			const inv = await client.get(`/v1/invoices/${ev.data.object.id}`);
			await takeOver(inv, now);
		}
		polledTo = now;
	}

	async function attempt(st, now) {
		// Every earlier attempt on the card: the network rules' whole history.
		const card = cardOf(st.lastCharge);
		const history = await retry.loadCardHistory(client, { customerId: st.customer.id, since: 0 });
		const rules = retry.checkNetworkRules({ at: now, brand: card.brand, cardFingerprint: card.fingerprint, paymentMethodId: card.paymentMethodId }, history, now);
		if (!rules.allowed && policy.enforcesRules) {
			// Ours never sends an attempt the rules forbid (retryPayment would refuse it too): plan again.
			out.refused++;
			return { sent: false, history, card };
		}
		if (!rules.allowed) {
			out.violations++;
			for (const v of rules.violations) out.violationRules[v.rule] = (out.violationRules[v.rule] ?? 0) + 1;
		}
		st.retries++;
		out.attempts++;
		if (st.retries > TRIES) throw new Error(`${name} sent retry ${st.retries} of ${st.id}: the budget is ${TRIES}.`);
		out.maxRetriesPerInvoice = Math.max(out.maxRetriesPerInvoice, st.retries);
		const res = await retry.retryPayment(client, { invoiceId: st.id, attempt: st.retries, now, history: policy.enforcesRules ? history : [], card: { brand: card.brand, cardFingerprint: card.fingerprint, paymentMethodId: card.paymentMethodId } });
		if (res.outcome === 'refused' || res.outcome === 'notOpen') {
			st.retries--;
			out.attempts--;
			if (res.outcome === 'refused') out.refused++;
			else st.done = 'notOpen';
			return { sent: false, history, card };
		}
		const info = await failedInvoiceInfo(client, st.id, customers);
		st.lastCharge = info.charges[info.charges.length - 1] ?? st.lastCharge;
		if (res.outcome === 'paid') {
			st.done = 'paid';
			out.recovered++;
			const usd = await settledUsd(res.invoice);
			out.revenue += usd;
			out.byCode[st.code].recovered++;
			out.byCode[st.code].recoveredUsd += usd;
		}
		if (process.env.BENCH_DEBUG) {
			const local = retry.localParts(now, retry.resolveTimeZone({ address: st.customer.address, metadata: st.customer.metadata, cardCountry: card.country }).zone);
			log(`try ${name} ${st.id} ${st.code} ${st.customer.address?.country} ${local.iso} wd=${local.weekday} n=${st.retries} ${res.outcome}`);
		}
		return { sent: true, outcome: res.outcome, history, card };
	}

	// The clock: hourly polls for new failures, plus every planned retry at its exact time.
	let t = NOW;
	for (;;) {
		const nextHour = t + HOUR;
		const nextDue = due.length ? due[0].at : Infinity;
		const next = Math.min(nextHour, nextDue);
		if (next > hardEnd) break;
		if (next > t) await sb.clock.advance(next - t);
		t = sb.clock.now();
		if (t <= liveEnd + HOUR) await poll(t);
		while (due.length && due[0].at <= t) {
			const { invoiceId } = due.shift();
			const st = managed.get(invoiceId);
			if (!st || st.done) continue;
			const r = await attempt(st, t);
			await policy.afterAttempt(st, t, r, { client, schedule, out });
		}
	}
	out.calls = calls();
	out.stillOpen = [...managed.values()].filter((s) => !s.done).length;
	log(`${name}: ${JSON.stringify(out)}`);
	return out;
}

/* ---------- the baselines: 8 tries at fixed offsets over a window ---------- */
function fixedOffsets(name, days) {
	const offsets = offsetsOver(days);
	return {
		name,
		enforcesRules: false,
		async onFailure(st, _now, { schedule }) {
			for (const off of offsets) schedule(st.firstFailureAt + off, st.id);
		},
		async afterAttempt() {},
	};
}

/* ---------- ours: the trained engine ---------- */
async function makeOurs(sb) {
	const { client } = clientOf(sb);
	const from = NOW - MONTHS * 31 * DAY;
	const t0 = Date.now();
	const hist = await retry.loadTrainingAttempts(client, { from, to: NOW });
	// Paydays are learned per card country (payroll habits differ by country), from the insufficient-funds retries,
	// with a significance test; a country with too few retries gets the paydays learned over all countries.
	const ifRetries = hist.attempts.filter((a) => a.declineClass === 'insufficientFunds');
	const learnOpts = { minSamples: 100, minSamplesPerDay: 10, minZ: 3 };
	const overall = retry.learnPaydays(ifRetries.map((a) => ({ at: a.at, succeeded: a.succeeded, zone: a.zone })), learnOpts);
	const byCountry = new Map();
	for (const country of new Set(ifRetries.map((a) => a.country ?? '?'))) {
		const l = retry.learnPaydays(ifRetries.filter((a) => (a.country ?? '?') === country).map((a) => ({ at: a.at, succeeded: a.succeeded, zone: a.zone })), learnOpts);
		byCountry.set(country, l.samples >= learnOpts.minSamples ? l.paydays : overall.paydays);
	}
	const base = { businessDays: [1, 2, 3, 4, 5, 6, 7], attemptBudget: BUDGET, recoveryWindowSeconds: WINDOW_DAYS * DAY, sameStateSeconds: SAME_STATE_HOURS * HOUR };
	// A customer's own paydays: the local days of the month on which their insufficient-funds retries succeeded before
	// (the money came then), added to their country's. Each past attempt is described with only the days learned
	// before it (no attempt sees its own outcome); live, each recovery adds its day for the customer's later failures.
	const customerDays = new Map(); // customerId -> Set of local days of the month
	const learnDay = (customerId, at, zone) => {
		if (!customerId) return;
		const set = customerDays.get(customerId) ?? new Set();
		set.add(retry.localParts(at, zone).day);
		customerDays.set(customerId, set);
	};
	const timingFor = (country, customerId) => {
		const days = CUSTOMER_PAYDAYS && customerId ? [...(customerDays.get(customerId) ?? [])] : [];
		const paydays = byCountry.get(country ?? '?') ?? overall.paydays;
		return { ...base, paydays: [...paydays, ...days.filter((d) => !paydays.includes(d))] };
	};
	// Each past attempt's payday features from its own country's (and customer's) paydays, in its own zone.
	const described = [...hist.attempts].sort((x, y) => x.at - y.at).map((a) => {
		const d = retry.localParts(a.at, a.zone);
		const since = retry.daysSincePayday(d, timingFor(a.country, a.customerId));
		if (a.succeeded && a.declineClass === 'insufficientFunds') learnDay(a.customerId, a.at, a.zone);
		return { ...a, daysSincePayday: since, isPayday: since === 0 };
	});
	let model = retry.train(described, { now: NOW, crosses: CROSSES, payroll: PAYROLL });
	const learned = Object.fromEntries([...byCountry].filter(([, v]) => v.length));
	log(`ours: trained on ${hist.attempts.length} retries of ${hist.invoices} invoices (${hist.charges} charges, ${hist.firstCharges} first charges) in ${Date.now() - t0} ms; paydays learned: ${JSON.stringify(overall.paydays)} overall (${overall.reason}); by country: ${JSON.stringify(learned)}`);
	if (model.payroll) {
		const top = (country) => retry.topPayrollRules(retry.payrollPosterior(model.payroll, country, []), 3).map((r) => `${r.id} ${(r.p * 100).toFixed(0)}%`).join(', ');
		const cells = Object.fromEntries(model.payroll.cells.map((r, c) => [retry.payrollCellLabel(c), r]).filter(([, r], c) => model.payroll.cellCounts[c] >= 5));
		log(`ours: payroll model from ${model.payroll.customers} customers' ${model.payroll.samples} insufficient-funds retries; likeliest rules: ${JSON.stringify(Object.fromEntries(['*', ...Object.keys(model.payroll.byCountry)].map((c) => [c, top(c === '*' ? undefined : c)])))}; rates (cells with ≥ 5 retries): ${JSON.stringify(cells)}`);
	}
	const random = retry.mulberry32(SEED ^ 0x5eed);

	async function plan(st, now, client) {
		const history = await retry.loadCardHistory(client, { customerId: st.customer.id, since: 0 });
		const failure = { ...retry.fromCharge(st.lastCharge), created: st.lastCharge.created };
		const card = cardOf(st.lastCharge);
		const inv = { id: st.id, amount_due: st.amount, currency: st.currency, attempt_count: 1 + st.retries, created: st.firstFailureAt - HOUR };
		return retry.planRetry({ now, invoice: inv, failure, history, firstFailureAt: st.firstFailureAt, invoicePaymentIntents: st.paymentIntents, customer: { address: st.customer.address, metadata: st.customer.metadata, id: st.customer.id }, card, policy: { timing: timingFor(card.country, st.customer.id) }, model, random: EXPLORE ? random : undefined });
	}
	async function next(st, now, ctx) {
		const p = await plan(st, now, ctx.client);
		st.plan = p;
		if (p.action === 'retry' && p.retryAt) {
			// planRetry spends the remaining budget on the best set of times and plans its earliest member
			// (chooseWithinBudget inside planRetry): the time the node would record.
			ctx.schedule(p.retryAt.unix, st.id);
		}
		else {
			st.done = p.action;
			if (process.env.BENCH_DEBUG) log(`stop ${st.id} retries=${st.retries} ${p.action} ${p.reason}`);
			ctx.out.stopped[`${p.action}:${p.declineClass}`] = (ctx.out.stopped[`${p.action}:${p.declineClass}`] ?? 0) + 1;
		}
	}
	return {
		name: 'ours',
		enforcesRules: true,
		learned,
		async onFailure(st, now, ctx) {
			await next(st, now, ctx);
		},
		async afterAttempt(st, now, r, ctx) {
			if (r.sent && r.outcome !== 'unknown') {
				const c = classify(st.firstCharge);
				const zone = retry.resolveTimeZone({ address: st.customer.address, metadata: st.customer.metadata, cardCountry: r.card.country }).zone;
				model = retry.update(model, { at: now, zone, declineClass: c.class, declineCode: c.codes.decline_code, brand: r.card.brand, funding: r.card.funding, country: r.card.country, firstFailureAt: st.firstFailureAt, attemptNumber: st.retries }, r.outcome === 'paid', { paydayPolicy: timingFor(r.card.country, st.customer.id), payrollPosterior: st.plan?.payrollPosterior });
				if (r.outcome === 'paid' && c.class === 'insufficientFunds') learnDay(st.customer.id, now, zone);
			}
			if (!st.done) await next(st, now, ctx);
		},
	};
}
function classify(charge) {
	return retry.classifyDecline(retry.fromCharge(charge));
}

const t0 = Date.now();
const SAME = WINDOW_DAYS === STRIPE_WINDOW_DAYS; // then the same-window baseline is the 2-week one
log(`bench:recovery seed=${SEED} customers=${CUSTOMERS} months=${MONTHS} live-months=${LIVE_MONTHS} window-days=${WINDOW_DAYS} scenario=${scenarioFile ?? 'default'}`);
const sandboxes = await Promise.all((OURS_ONLY ? [0] : SAME ? [0, 1] : [0, 1, 2]).map(() => start()));
const [sbOurs, sbBase, sbSame] = sandboxes;
log(`sandboxes seeded in ${Date.now() - t0} ms: ${JSON.stringify({ invoices: sbOurs.seedReport.invoices, charges: sbOurs.seedReport.charges, chargesFailed: sbOurs.seedReport.chargesFailed })}`);
let oursRes;
let baseRes;
let sameRes;
try {
	const ours = await makeOurs(sbOurs);
	oursRes = await runLive('ours', sbOurs, ours);
	if (OURS_ONLY) {
		const f = oursRes.byCode.insufficient_funds ?? { failed: 0, recovered: 0 };
		log(`ours only: insufficient_funds ${f.recovered}/${f.failed}, all ${oursRes.recovered}/${oursRes.failed}, attempts ${oursRes.attempts}`);
		process.exit(0);
	}
	baseRes = await runLive('baseline', sbBase, fixedOffsets('baseline', STRIPE_WINDOW_DAYS));
	sameRes = SAME ? baseRes : await runLive('baselineSameWindow', sbSame, fixedOffsets('baselineSameWindow', WINDOW_DAYS));
} finally {
	for (const sb of sandboxes) await sb.close();
}
// Each side met its own random sample of failures (the sandboxes draw alike until the policies first act
// differently), and invoice amounts are heavy-tailed (a yearly Business plan is worth hundreds of monthly Starter
// ones), so raw sums compare samples more than policies. Neither policy looks at the amount and the sandbox's outcomes
// do not depend on it, so each side's share of invoices recovered per first decline code is applied to the same failed
// revenue: every side's failures of that code pooled (direct standardization). `raw` keeps the unadjusted sums.
const sides = SAME ? [oursRes, baseRes] : [oursRes, baseRes, sameRes];
const codes = new Set(sides.flatMap((r) => Object.keys(r.byCode)));
const EMPTY = { failed: 0, recovered: 0, failedUsd: 0 };
const std = new Map(sides.map((r) => [r, 0])); // codes weighted by pooled failed revenue (byRevenue)
const stdCount = new Map(sides.map((r) => [r, 0])); // codes weighted by pooled failures (the headline)
const skipped = [];
let pooledFailed = 0;
let pooledFailedUsd = 0;
// The ceilings: what a policy that recovered every invoice of every code any side ever recovered would get, against a
// baseline. They show how much room the world leaves: where 8 spread tries already recover nearly everything
// recoverable, no timing and no window can add much.
let ceiling = 0;
let ceilingCount = 0;
// The headline: expected revenue recovered of one pooled set of failed invoices. The sandbox draws a decline code
// independently of the amount, and neither the outcomes nor either policy depend on the amount, so a side's expected
// revenue is the pooled mean failed amount times its expected count of recovered invoices, Σ over codes of its rate
// times every side's pooled failures of that code. Weighting the codes by their pooled revenue instead (`byRevenue`,
// the headline until 2026-12-01) estimates the same thing with far more variance: a handful of yearly invoices of
// one code can carry a quarter of the weight (seed 7: 7 outage invoices held 25 %), so the ratio measured the sample.
for (const c of codes) {
	const per = sides.map((r) => r.byCode[c] ?? EMPTY);
	const n = per.reduce((sum, x) => sum + x.failed, 0);
	const usd = per.reduce((sum, x) => sum + x.failedUsd, 0);
	pooledFailed += n;
	pooledFailedUsd += usd;
	// A code not met on every side has no rate on some side: it counts for none.
	if (per.some((x) => x.failed === 0)) {
		skipped.push(c);
		continue;
	}
	sides.forEach((r, i) => {
		const rate = per[i].recovered / per[i].failed;
		std.set(r, std.get(r) + rate * usd);
		stdCount.set(r, stdCount.get(r) + rate * n);
	});
	if (per.some((x) => x.recovered > 0)) {
		ceiling += usd;
		ceilingCount += n;
	}
}
const meanFailedUsd = pooledFailed > 0 ? pooledFailedUsd / pooledFailed : 0;
const expected = (r) => Math.round(stdCount.get(r) * meanFailedUsd);
const oursStd = expected(oursRes);
const baseStd = expected(baseRes);
const sameStd = expected(sameRes);
const ratio = baseStd > 0 ? oursStd / baseStd : null;
const ratioSame = sameStd > 0 ? oursStd / sameStd : null;
// The room this world leaves: every invoice of every code some side recovered counted as recovered. The codes no side
// recovered are, in the sandbox, ones it never clears on a retry (expired, lost, stolen and fraudulent cards, incorrect
// CVC), so no retry policy beats it; below the target (`targetReachable: false`), no policy can pass here.
const ceilingStd = ceilingCount * meanFailedUsd;
const ceilingRatio = baseStd > 0 ? ceilingStd / baseStd : null;
const byRevenue = { ours: Math.round(std.get(oursRes)), baseline: Math.round(std.get(baseRes)), baselineSameWindow: Math.round(std.get(sameRes)) };
const rate = (r) => (r.failedRevenue > 0 ? r.revenue / r.failedRevenue : 0);
const round4 = (x) => (x === null ? null : Number(x.toFixed(4)));
const result = {
	bench: 'recovery',
	ours: oursStd,
	baseline: baseStd,
	unit: 'usd_cents',
	method: 'expected revenue recovered of one pooled set of failed invoices: each side\'s share of invoices recovered per first decline code times every side\'s pooled failures of that code, times the pooled mean failed amount (byRevenue: the codes weighted by pooled failed revenue instead; raw: the unadjusted sums); baseline = Stripe\'s default (8 tries spread over 14 days), ours = 8 tries within its window, baselineSameWindow = 8 tries spread over ours\' window',
	ratio: round4(ratio),
	target: TARGET,
	pass: ratio !== null && ratio >= TARGET && oursRes.violations === 0,
	ceilingRatio: round4(ceilingRatio),
	targetReachable: ceilingRatio === null ? null : ceilingRatio >= TARGET,
	byRevenue: { ...byRevenue, ratio: round4(byRevenue.baseline > 0 ? byRevenue.ours / byRevenue.baseline : null), ratioSameWindow: round4(byRevenue.baselineSameWindow > 0 ? byRevenue.ours / byRevenue.baselineSameWindow : null), ceilingRatio: byRevenue.baseline > 0 ? round4(ceiling / byRevenue.baseline) : null },
	windowDays: { ours: WINDOW_DAYS, baseline: STRIPE_WINDOW_DAYS, baselineSameWindow: WINDOW_DAYS },
	baselineSameWindow: sameStd,
	ratioSameWindow: round4(ratioSame),
	ceilingRatioSameWindow: sameStd > 0 ? round4(ceilingStd / sameStd) : null,
	recovered: { ours: oursRes.recovered, baseline: baseRes.recovered, baselineSameWindow: sameRes.recovered },
	failed: { ours: oursRes.failed, baseline: baseRes.failed, baselineSameWindow: sameRes.failed },
	raw: { ours: oursRes.revenue, baseline: baseRes.revenue, baselineSameWindow: sameRes.revenue, ratio: round4(baseRes.revenue > 0 ? oursRes.revenue / baseRes.revenue : null), failedRevenue: { ours: oursRes.failedRevenue, baseline: baseRes.failedRevenue, baselineSameWindow: sameRes.failedRevenue } },
	recoveryRate: { ours: round4(rate(oursRes)), baseline: round4(rate(baseRes)), baselineSameWindow: round4(rate(sameRes)) },
	attempts: { ours: oursRes.attempts, baseline: baseRes.attempts, baselineSameWindow: sameRes.attempts },
	maxRetriesPerInvoice: { ours: oursRes.maxRetriesPerInvoice, baseline: baseRes.maxRetriesPerInvoice, baselineSameWindow: sameRes.maxRetriesPerInvoice },
	violations: oursRes.violations,
	baselineViolations: baseRes.violations,
	baselineSameWindowViolations: sameRes.violations,
	codesSkipped: skipped,
	scenario: scenarioFile ? scenarioFile.replace(`${ROOT}/`, '') : 'default',
	seed: SEED,
	customers: CUSTOMERS,
	months: MONTHS,
	liveMonths: LIVE_MONTHS,
	elapsedMs: Date.now() - t0,
};
console.log(JSON.stringify(result));

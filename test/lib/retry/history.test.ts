/**
 * Reading the account's history (lib/retry/history.ts) from the Stripe sandbox's seeded business over real HTTP,
 * checked against what the official stripe client lists: every invoice charge in the range is read, numbered per
 * invoice from its first charge, classified by the invoice's first failure, and placed in the customer's zone from
 * the billing address; a customer's card history is every charge on the card.
 */
import Stripe from 'stripe';

import { chargeToAttempt, loadCardHistory, loadTrainingAttempts, type HistoryCharge } from '../../../lib/retry/history';
import { train } from '../../../lib/retry/model';
import { StripeClient, fetchTransport, type RequestFn } from '../../../lib/stripe';
import { startSandbox, type Sandbox } from '../../../sandbox';

const NOW = Date.UTC(2026, 5, 15) / 1000;
const DAY = 86400;
const TO = NOW + DAY;

let sb: Sandbox;
let stripe: Stripe;
let start: number;
let requests: string[];

/** Our client over the sandbox, counting the requests it sends. */
function client(): StripeClient {
	const inner = fetchTransport(sb.secretKey);
	const request: RequestFn = (req) => {
		requests.push(`${req.method} ${req.url.replace(sb.url, '')}`);
		return inner(req);
	};
	return new StripeClient({ request, baseUrl: sb.url, sleep: async () => undefined, retry: { maxRetries: 0 } });
}

/** What the official client sees: invoice charges in [from, to), grouped per invoice in time order. */
async function officialInvoiceCharges(from: number, to: number) {
	const invoiceOfPi = new Map<string, Stripe.Invoice>();
	for await (const p of stripe.invoicePayments.list({ limit: 100 })) {
		const pi = p.payment.payment_intent;
		if (typeof pi === 'string') invoiceOfPi.set(pi, await stripe.invoices.retrieve(p.invoice as string));
	}
	const perInvoice = new Map<string, Stripe.Charge[]>();
	let inRange = 0;
	let withoutInvoice = 0;
	for await (const ch of stripe.charges.list({ limit: 100 })) {
		const inv = typeof ch.payment_intent === 'string' ? invoiceOfPi.get(ch.payment_intent) : undefined;
		if (!inv) {
			if (ch.created >= from && ch.created < to) withoutInvoice++;
			continue;
		}
		if (ch.created >= from && ch.created < to) inRange++;
		const list = perInvoice.get(inv.id as string) ?? [];
		list.push(ch);
		perInvoice.set(inv.id as string, list);
	}
	for (const list of perInvoice.values()) list.sort((a, b) => a.created - b.created);
	return { perInvoice, inRange, withoutInvoice };
}

beforeAll(async () => {
	sb = await startSandbox({ seed: 11, now: NOW, clock: 'frozen', rateLimits: false, seedData: { customers: 150, months: 5 } });
	stripe = new Stripe(sb.secretKey, { host: '127.0.0.1', port: sb.port, protocol: 'http', maxNetworkRetries: 0 });
	start = sb.seedReport?.startedAt as number;
	// One payment that belongs to no invoice, then a day passes: the ranges below end at TO.
	const customer = (await stripe.customers.list({ limit: 1 })).data[0];
	await stripe.paymentIntents.create({ amount: 1234, currency: 'usd', customer: customer.id, payment_method: 'pm_card_visa', confirm: true, off_session: true });
	await sb.clock.advance(DAY);
});
afterAll(() => sb.close());
beforeEach(() => {
	requests = [];
});

describe('loadTrainingAttempts', () => {
	test('reads every invoice charge in the range, as the official client lists them, in a few paginated requests', async () => {
		const from = start;
		const h = await loadTrainingAttempts(client(), { from, to: TO });
		const official = await officialInvoiceCharges(from, TO);
		expect(h.charges).toBe(official.inRange);
		expect(h.charges).toBeGreaterThan(500);
		expect(h.skipped).toBe(official.withoutInvoice);
		expect(h.skipped).toBe(1);
		expect(h.invoices).toBe([...official.perInvoice.values()].filter((l) => l.some((c) => c.created >= from && c.created < TO)).length);
		// Retries = every charge after its invoice's first one, when the first one failed.
		const retries = [...official.perInvoice.values()].filter((l) => l[0].status === 'failed').reduce((n, l) => n + l.filter((c, i) => i > 0 && c.created >= from).length, 0);
		expect(h.attempts.length).toBe(retries);
		expect(h.attempts.length).toBeGreaterThan(20);
		expect(h.firstCharges + h.attempts.length).toBeLessThanOrEqual(h.charges);
		// limit=100 pages of invoices (customers expanded) and charges only: no call per customer or invoice.
		const pages = Math.ceil(sb.seedReport!.invoices / 100) + Math.ceil(sb.seedReport!.charges / 100) + 2;
		expect(requests.length).toBeLessThanOrEqual(pages);
		expect(requests.every((r) => r.startsWith('GET /v1/invoices?') || r.startsWith('GET /v1/charges?'))).toBe(true);
		expect(requests.every((r) => r.includes('limit=100') && r.includes('created[gte]=') && r.includes('created[lt]='))).toBe(true);
		expect(requests.filter((r) => r.startsWith('GET /v1/invoices?')).every((r) => r.includes('expand[0]=data.payments') && r.includes('expand[1]=data.customer'))).toBe(true);
	});

	test('numbers the retries of each invoice 1, 2, … from its failed first charge, with that failure, the card and the outcome', async () => {
		const h = await loadTrainingAttempts(client(), { from: start, to: NOW });
		const official = await officialInvoiceCharges(start, NOW);
		const byInvoice = new Map<string, typeof h.attempts>();
		for (const a of h.attempts) byInvoice.set(a.invoiceId as string, [...(byInvoice.get(a.invoiceId as string) ?? []), a]);
		let multi = 0;
		for (const [invoiceId, list] of byInvoice) {
			const charges = official.perInvoice.get(invoiceId) as Stripe.Charge[];
			const first = charges[0];
			expect(first.status).toBe('failed');
			list.sort((a, b) => a.at - b.at);
			expect(list.map((a) => a.attemptNumber)).toEqual(list.map((_, i) => i + 1));
			if (list.length > 1) multi++;
			list.forEach((a, i) => {
				const ch = charges[i + 1];
				expect(a.at).toBe(ch.created);
				expect(a.succeeded).toBe(ch.status === 'succeeded');
				expect(a.firstFailureAt).toBe(first.created);
				expect(a.declineCode).toBe(first.outcome?.reason);
				expect(a.brand).toBe(ch.payment_method_details?.card?.brand);
				expect(a.funding).toBe(ch.payment_method_details?.card?.funding);
				expect(a.country).toBe(ch.payment_method_details?.card?.country);
				expect(a.customerId).toBe(ch.customer);
				expect(a.amount).toBeGreaterThan(0);
			});
			// An invoice paid by a retry has no attempt after the paying one.
			const paidAt = list.findIndex((a) => a.succeeded);
			if (paidAt >= 0) expect(paidAt).toBe(list.length - 1);
		}
		expect(multi).toBeGreaterThan(3);
		const classes = new Set(h.attempts.map((a) => a.declineClass));
		expect(classes.has('insufficientFunds')).toBe(true);
		expect(classes.has('temporary')).toBe(true);
		// Oldest first, and some retries succeed, others not.
		expect(h.attempts.map((a) => a.at)).toEqual([...h.attempts.map((a) => a.at)].sort((x, y) => x - y));
		expect(h.attempts.some((a) => a.succeeded)).toBe(true);
		expect(h.attempts.some((a) => !a.succeeded)).toBe(true);
		// And the model trains on them.
		const model = train(h.attempts, { now: NOW });
		expect(model.samples).toBe(h.attempts.length);
	});

	test('places each attempt in the zone of the customer\'s billing address, and zoneOf overrides it', async () => {
		const h = await loadTrainingAttempts(client(), { from: start, to: NOW });
		const expected: Record<string, string> = { DE: 'Europe/Berlin', FR: 'Europe/Paris', GB: 'Europe/London', JP: 'Asia/Tokyo', 'US-CA': 'America/Los_Angeles', 'US-NY': 'America/New_York', 'US-TX': 'America/Chicago', 'US-IL': 'America/Chicago', 'US-WA': 'America/Los_Angeles', 'US-CO': 'America/Denver', 'US-AZ': 'America/Phoenix', 'AU-VIC': 'Australia/Melbourne', 'CA-BC': 'America/Vancouver' };
		const customers = new Map<string, Stripe.Customer>();
		let checked = 0;
		for (const a of h.attempts) {
			let c = customers.get(a.customerId as string);
			if (!c) {
				c = (await stripe.customers.retrieve(a.customerId as string)) as Stripe.Customer;
				customers.set(c.id, c);
			}
			const key = c.address?.state ? `${c.address.country}-${c.address.state}` : (c.address?.country as string);
			const zone = expected[key] ?? expected[c.address?.country as string];
			if (zone && (c.address?.country !== 'US' || c.address?.state)) {
				expect(`${key} ${a.zone}`).toBe(`${key} ${zone}`);
				checked++;
			}
		}
		expect(checked).toBeGreaterThan(10);
		expect(new Set(h.attempts.map((a) => a.zone)).size).toBeGreaterThan(3);
		const seen: string[] = [];
		const overridden = await loadTrainingAttempts(client(), {
			from: start,
			to: NOW,
			zoneOf: (customer) => {
				seen.push(customer?.id ?? '');
				return customer?.address?.country === 'DE' ? 'Asia/Kolkata' : undefined;
			},
		});
		expect(seen.every((id) => id.startsWith('cus_'))).toBe(true);
		for (const a of overridden.attempts) expect(a.zone === 'Asia/Kolkata').toBe(customers.get(a.customerId as string)?.address?.country === 'DE');
	});

	test('a later range keeps the numbering of the whole invoice (first charges before `from` are read back); one-off charges are skipped', async () => {
		const all = await loadTrainingAttempts(client(), { from: start, to: TO });
		// A range that starts between an invoice's first and second retry.
		const split = all.attempts.find((a) => a.attemptNumber === 2 && all.attempts.some((b) => b.invoiceId === a.invoiceId && b.attemptNumber === 1 && b.at < a.at)) as (typeof all.attempts)[number];
		expect(split).toBeDefined();
		const from = split.at;
		const later = await loadTrainingAttempts(client(), { from, to: TO });
		const expected = all.attempts.filter((a) => a.at >= from);
		expect(later.attempts).toEqual(expected);
		expect(later.attempts.find((a) => a.invoiceId === split.invoiceId)?.attemptNumber).toBe(2);
		expect(later.attempts.every((a) => a.at >= from && a.at < TO)).toBe(true);
		const official = await officialInvoiceCharges(from, TO);
		expect(later.charges).toBe(official.inRange);
		expect(later.skipped).toBe(1);
		// With no lookback the first charge is not read: the invoice's charges in the range are numbered from the first seen.
		const blind = await loadTrainingAttempts(client(), { from, to: TO, lookbackSeconds: 0 });
		expect(blind.attempts.find((a) => a.invoiceId === split.invoiceId)).toBeUndefined();
		// An empty range reads nothing; a reversed one is refused.
		expect((await loadTrainingAttempts(client(), { from: NOW, to: NOW })).attempts).toEqual([]);
		await expect(loadTrainingAttempts(client(), { from: NOW, to: NOW - 1 })).rejects.toThrow(RangeError);
	});
});

describe('loadCardHistory', () => {
	test('every charge on the customer\'s cards since a time, with outcome, brand, fingerprint and payment method', async () => {
		const h = await loadTrainingAttempts(client(), { from: start, to: NOW });
		const customerId = h.attempts.find((a) => !a.succeeded)?.customerId as string;
		const charges = (await stripe.charges.list({ customer: customerId, limit: 100 })).data.sort((a, b) => a.created - b.created);
		requests = [];
		const history = await loadCardHistory(client(), { customerId, since: 0 });
		expect(requests).toHaveLength(1);
		expect(requests[0]).toContain(`customer=${customerId}`);
		expect(history.map((a) => a.at)).toEqual(charges.map((c) => c.created));
		expect(history.map((a) => a.outcome)).toEqual(charges.map((c) => (c.status === 'succeeded' ? 'succeeded' : 'declined')));
		expect(history.some((a) => a.outcome === 'declined')).toBe(true);
		history.forEach((a, i) => {
			expect(a.brand).toBe(charges[i].payment_method_details?.card?.brand);
			expect(a.cardFingerprint).toBe(charges[i].payment_method_details?.card?.fingerprint);
			expect(a.paymentMethodId).toBe(charges[i].payment_method);
		});
		// `since` is inclusive; the card filters keep only that card.
		const mid = charges[Math.floor(charges.length / 2)].created;
		expect((await loadCardHistory(client(), { customerId, since: mid })).map((a) => a.at)).toEqual(charges.filter((c) => c.created >= mid).map((c) => c.created));
		const pm = charges[0].payment_method as string;
		const onPm = await loadCardHistory(client(), { customerId, since: 0, paymentMethodId: pm });
		expect(onPm.length).toBe(charges.filter((c) => c.payment_method === pm).length);
		const other = await loadCardHistory(client(), { customerId, since: 0, paymentMethodId: 'pm_none', fingerprint: 'fp_none' });
		expect(other).toEqual([]);
	});

	test('a charge becomes a network-rule attempt with the network codes from its outcome', () => {
		const charge: HistoryCharge = {
			id: 'ch_1',
			created: 1_780_000_000,
			amount: 1000,
			status: 'failed',
			payment_method: 'pm_1',
			failure_code: 'card_declined',
			outcome: { reason: 'do_not_honor', network_advice_code: '24', network_decline_code: '05' },
			payment_method_details: { card: { brand: 'mastercard', fingerprint: 'fp_1' } },
		};
		expect(chargeToAttempt(charge)).toEqual({ at: 1_780_000_000, cardFingerprint: 'fp_1', paymentMethodId: 'pm_1', brand: 'mastercard', outcome: 'declined', networkAdviceCode: '24', networkDeclineCode: '05', declineCode: 'do_not_honor' });
		expect(chargeToAttempt({ ...charge, status: 'succeeded', outcome: {} })?.outcome).toBe('succeeded');
	});
});

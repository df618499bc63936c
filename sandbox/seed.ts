/**
 * Seeded business: builds a believable SaaS company by running the sandbox's own billing engine forward in time
 * from `months` ago to now: signups, subscriptions across plans / intervals / currencies, renewals, declines and
 * retries (from the scenario model), card updates that recover failed invoices, churn, refunds, disputes, metered
 * usage, FX, fees and daily automatic payouts. Deterministic for a seed.
 *
 * Tax: every subscription has `automatic_tax[enabled]=true`, so invoices carry tax from the sandbox's rate table
 * (sandbox/resources/tax.ts) for the customer's address; about a fifth of EU customers are businesses with
 * `tax_exempt: 'reverse'` (reverse charge, zero VAT). Those choices come from their own random stream, so the rest of
 * the business (customers, plans, payment outcomes) is what it was without tax; amounts include the tax.
 *
 * Checkout: each customer's subscription originates from a completed Checkout Session created a few minutes before it,
 * and prospects abandon others (open, then expired after 24 h) at a rate that varies by country and plan
 * (`CHECKOUT_DROP_OFF`), about one abandoned per completed session. Sessions draw from their own random stream and
 * id prefix, so customers, subscriptions, invoices, charges and balance transactions are what they were without them.
 *
 * `balanceTransactions` adds bulk card-payment volume (one-off payments) spread over the period as compact ledger
 * rows; their charges are rebuilt on read instead of being stored, so a million rows stay a few tens of MB.
 */
import type Stripe from 'stripe';
import type { FormObject } from './core/form';
import { Params } from './core/params';
import { Rng } from './core/rng';
import { cardFee, toSettlement } from './core/ledger';
import { addInterval, createSubscription } from './resources/billing';
import { buildSession, markSessionComplete } from './resources/checkout';
import { createCardPaymentMethod, createCustomer } from './resources/customers';
import { createProduct, buildPrice } from './resources/catalog';
import { meterUsage } from './resources/meters';
import { createDispute, fxDrift, refundCharge, resolveDispute, startOfDay } from './resources/payments';
import { schedulePayouts } from './resources/balance';
import { GLOBAL_TEST_CLOCK_ID } from './resources/testClocks';
import type { DeclineCode } from './scenario';
import type { World, Meter } from './world';

const DAY = 86400;

export interface SeedOptions {
	customers: number;
	months: number;
	balanceTransactions?: number;
	seed: number;
}

export interface SeedReport {
	customers: number;
	subscriptions: number;
	invoices: number;
	invoicesPaid: number;
	invoicesOpen: number;
	chargesFailed: number;
	charges: number;
	refunds: number;
	disputes: number;
	payouts: number;
	balanceTransactions: number;
	events: number;
	startedAt: number;
	elapsedMs: number;
}

const FIRST = ['Ada', 'Ben', 'Chloe', 'Diego', 'Elif', 'Femi', 'Greta', 'Hiro', 'Ines', 'Jonas', 'Kira', 'Liam', 'Mina', 'Noor', 'Oskar', 'Priya', 'Quinn', 'Rosa', 'Sven', 'Tara', 'Umar', 'Vera', 'Wen', 'Yara', 'Zoe'];
const LAST = ['Achebe', 'Brandt', 'Costa', 'Dubois', 'Eriksen', 'Fischer', 'Garcia', 'Haddad', 'Ito', 'Jensen', 'Kowalski', 'Lopez', 'Meyer', 'Nakamura', 'Okafor', 'Petrov', 'Rossi', 'Schmidt', 'Tanaka', 'Varga', 'Weber', 'Yilmaz'];
const COMPANY = ['Acme', 'Bluefin', 'Cobalt', 'Driftwood', 'Ember', 'Fjord', 'Granite', 'Harbor', 'Ion', 'Juniper', 'Kestrel', 'Lumen', 'Meridian', 'Nimbus', 'Orchid', 'Pioneer', 'Quartz', 'Redwood', 'Summit', 'Tidal'];

interface Market {
	country: string;
	currency: string;
	locale: string;
	/** Cities with their state (ISO 3166-2 suffix, for countries whose addresses carry one), weighted. */
	places: { city: string; state?: string; weight: number }[];
	weight: number;
}
/** Customers' countries and cities; the true zone and paydays follow the address (sandbox/scenario.ts). */
const MARKETS: Market[] = [
	{
		country: 'US',
		currency: 'usd',
		locale: 'en-US',
		places: [
			{ city: 'New York', state: 'NY', weight: 20 },
			{ city: 'Austin', state: 'TX', weight: 15 },
			{ city: 'Chicago', state: 'IL', weight: 12 },
			{ city: 'Los Angeles', state: 'CA', weight: 18 },
			{ city: 'Seattle', state: 'WA', weight: 8 },
			{ city: 'Denver', state: 'CO', weight: 7 },
			{ city: 'Phoenix', state: 'AZ', weight: 6 },
			{ city: 'Miami', state: 'FL', weight: 10 },
			{ city: 'Honolulu', state: 'HI', weight: 2 },
		],
		weight: 48,
	},
	{ country: 'DE', currency: 'eur', locale: 'de-DE', places: [{ city: 'Berlin', weight: 1 }, { city: 'München', weight: 1 }], weight: 14 },
	{ country: 'FR', currency: 'eur', locale: 'fr-FR', places: [{ city: 'Lyon', weight: 1 }, { city: 'Paris', weight: 2 }], weight: 7 },
	{ country: 'GB', currency: 'gbp', locale: 'en-GB', places: [{ city: 'Leeds', weight: 1 }, { city: 'London', weight: 2 }], weight: 11 },
	{
		country: 'CA',
		currency: 'cad',
		locale: 'en-CA',
		places: [
			{ city: 'Toronto', state: 'ON', weight: 5 },
			{ city: 'Vancouver', state: 'BC', weight: 3 },
			{ city: 'Calgary', state: 'AB', weight: 2 },
			{ city: 'Halifax', state: 'NS', weight: 1 },
		],
		weight: 7,
	},
	{
		country: 'AU',
		currency: 'aud',
		locale: 'en-AU',
		places: [
			{ city: 'Sydney', state: 'NSW', weight: 4 },
			{ city: 'Melbourne', state: 'VIC', weight: 3 },
			{ city: 'Brisbane', state: 'QLD', weight: 2 },
			{ city: 'Perth', state: 'WA', weight: 2 },
		],
		weight: 6,
	},
	{ country: 'JP', currency: 'usd', locale: 'ja-JP', places: [{ city: 'Tokyo', weight: 3 }, { city: 'Osaka', weight: 1 }], weight: 4 },
	{
		country: 'BR',
		currency: 'usd',
		locale: 'pt-BR',
		places: [
			{ city: 'São Paulo', state: 'SP', weight: 4 },
			{ city: 'Manaus', state: 'AM', weight: 1 },
		],
		weight: 3,
	},
];

/** EU countries among the markets whose business customers may be reverse-charged, and their share. */
const EU_B2B_COUNTRIES = new Set(['DE', 'FR']);
const EU_REVERSE_CHARGE_SHARE = 0.2;

/** The catalog's currencies. */
const CURRENCIES = ['usd', 'eur', 'gbp', 'cad', 'aud'] as const;

/** List prices per plan in minor units; yearly = 10 × monthly. */
const PLANS = [
	{ key: 'starter', name: 'Starter', monthly: { usd: 1900, eur: 1800, gbp: 1600, cad: 2500, aud: 2900 }, weight: 50, metered: false },
	{ key: 'pro', name: 'Pro', monthly: { usd: 4900, eur: 4500, gbp: 3900, cad: 6500, aud: 7500 }, weight: 35, metered: true },
	{ key: 'business', name: 'Business', monthly: { usd: 19900, eur: 18900, gbp: 16900, cad: 26900, aud: 29900 }, weight: 15, metered: true },
] as const;

/**
 * Expected abandoned Checkout Sessions per completed one (completion = 1 / (1 + x)), by country and plan: a
 * modelling choice, about 1 overall (≈50 % completion), higher where card checkouts convert worse (JP, BR) and on
 * the most expensive plan; yearly billing adds a fifth.
 */
const CHECKOUT_DROP_OFF = {
	country: { US: 0.8, DE: 1.0, FR: 1.15, GB: 0.9, CA: 0.95, AU: 1.0, JP: 1.35, BR: 1.7 } as Record<string, number>,
	plan: { starter: 0.8, pro: 1.0, business: 1.6 } as Record<string, number>,
	yearly: 1.2,
};
/** `locale` of a market's Checkout page (Stripe's Checkout locales). */
const CHECKOUT_LOCALE: Record<string, string> = { US: 'en', DE: 'de', FR: 'fr', GB: 'en-GB', CA: 'en', AU: 'en', JP: 'ja', BR: 'pt-BR' };

function params(o: Record<string, unknown>): Params {
	return new Params(JSON.parse(JSON.stringify(o, (_k, v) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : v))) as FormObject);
}

export async function seedBusiness(w: World, o: SeedOptions): Promise<SeedReport> {
	const t0 = Date.now();
	if (!Number.isInteger(o.customers) || o.customers < 0) throw new Error('seedData.customers must be a non-negative integer');
	if (!Number.isInteger(o.months) || o.months < 1 || o.months > 60) throw new Error('seedData.months must be an integer between 1 and 60');
	const r = w.business;
	/** Tax choices draw from their own stream, so they do not move any other draw of the business. */
	const taxRng = Rng.fork(o.seed, 'tax');
	/** Checkout sessions too, so the funnel does not move the business. */
	const checkoutRng = Rng.fork(o.seed, 'checkout');
	const end = w.now();
	const endDate = new Date(end * 1000);
	const start = startOfDay(Date.UTC(endDate.getUTCFullYear(), endDate.getUTCMonth() - o.months, endDate.getUTCDate()) / 1000);
	w.clock.set(start);
	// Events older than the 30-day retention would be pruned anyway; skip creating them.
	w.eventsEnabled = false;
	w.clock.schedule(Math.max(start, end - 30 * DAY), () => {
		w.eventsEnabled = true;
	});
	schedulePayouts(w, start);

	const catalog = seedCatalog(w, start);

	// Customers and their subscriptions, signing up over the period (60% in the first week).
	const meteredSubs: { customer: string; volume: number; sub: Stripe.Subscription }[] = [];
	const hardDeclined = new Set<string>();
	const span = end - start;
	for (let i = 0; i < o.customers; i++) {
		const at = r.chance(0.6) ? start + r.int(7 * DAY) : start + r.int(Math.max(1, span - DAY));
		w.clock.schedule(at, () => {
			const made = signUpCustomer(w, catalog, { r, taxRng, checkoutRng }, i);
			if (made.volume !== null) meteredSubs.push({ customer: made.customer.id, volume: made.volume, sub: made.subscription });
		});
	}
	seedAbandonedSessions(w, checkoutRng, o.customers, start, end);

	// Daily business life.
	const usage = meterUsage(w);
	let chargeCursor = 0;
	let usageSeq = 0;
	for (let day = start; day < end; day += DAY) {
		w.clock.schedule(day + 23 * 3600, () => {
			// Metered usage: one aggregated event per customer per day.
			for (const ms of meteredSubs) {
				if (ms.sub.status === 'canceled') continue;
				const v = Math.max(0, Math.round(ms.volume * (0.6 + r.next() * 0.8)));
				usage.record(catalog.meterId, ms.customer, w.now() - r.int(20 * 3600), v, `seed_${usageSeq++}`);
			}
			// Refunds and disputes on recent successful charges.
			const size = w.charges.size();
			for (; chargeCursor < size; chargeCursor++) {
				const ch = w.charges.at(chargeCursor);
				if (!ch || ch.status !== 'succeeded') continue;
				if (r.chance(0.015)) {
					const when = w.now() + r.range(1, 6) * DAY;
					w.clock.schedule(when, () => {
						if (!ch.disputed && ch.amount_refunded === 0) refundCharge(w, ch, r.chance(0.7) ? ch.amount : Math.round(ch.amount / 2), 'requested_by_customer');
					});
				} else if (r.chance(0.004)) {
					w.clock.schedule(w.now() + r.range(7, 30) * DAY, () => {
						if (ch.amount_refunded > 0) return;
						const d = createDispute(w, ch, r.pick(['fraudulent', 'product_not_received', 'subscription_canceled', 'general'] as const));
						w.clock.schedule(w.now() + r.range(30, 75) * DAY, () => {
							if (d.status === 'needs_response' || d.status === 'under_review') resolveDispute(w, d, r.chance(0.4));
						});
					});
				}
			}
			// Customers with dead cards sometimes add a new one (then the next retry recovers the invoice).
			replaceDeadCards(w, r, hardDeclined);
			// Some churn at period end.
			for (const ms of meteredSubs) {
				if (ms.sub.status === 'active' && !ms.sub.cancel_at_period_end && r.chance(0.0015)) {
					w.update('customer.subscription.updated', ms.sub, (s) => (s.cancel_at_period_end = true));
				}
			}
		});
	}

	// Bulk volume: one-off card payments as a Poisson process over the period.
	const bulk = o.balanceTransactions ?? 0;
	if (bulk > 0) {
		const meanGap = span / bulk;
		const bulkRng = Rng.fork(o.seed, 'bulk');
		let made = 0;
		const next = (at: number) => {
			w.clock.schedule(at, () => {
				if (made >= bulk) return;
				made++;
				const eur = bulkRng.chance(0.2);
				const amount = 500 + bulkRng.int(29500);
				const settled = eur ? toSettlement(amount, 'eur', fxDrift(w, 'eur', at)) : { amount, rate: null };
				w.ledger.append({ created: at, availableOn: startOfDay(at) + 2 * DAY, amount: settled.amount, fee: cardFee(settled.amount, settled.rate !== null), type: 'charge', category: 'charge', exchangeRate: settled.rate, description: 'Online payment' });
				const gap = Math.max(0, Math.round(bulkRng.exponential(meanGap)));
				next(Math.min(at + gap, end - 1));
			});
		};
		next(start + 1);
	}

	await w.clock.runUntil(end);
	w.eventsEnabled = true;

	let invoicesPaid = 0;
	let invoicesOpen = 0;
	for (const inv of w.invoices.values()) {
		if (inv.status === 'paid') invoicesPaid++;
		else if (inv.status === 'open') invoicesOpen++;
	}
	let failed = 0;
	for (const ch of w.charges.values()) if (ch.status === 'failed') failed++;
	return {
		customers: w.customers.count(),
		subscriptions: w.subscriptions.count(),
		invoices: w.invoices.count(),
		invoicesPaid,
		invoicesOpen,
		charges: w.charges.count(),
		chargesFailed: failed,
		refunds: w.refunds.count(),
		disputes: w.disputes.count(),
		payouts: w.payouts.count(),
		balanceTransactions: w.ledger.size(),
		events: w.events.count(),
		startedAt: start,
		elapsedMs: Date.now() - t0,
	};
}

/** The seeded catalog: plans per plan, currency and interval, metered API requests (monthly and yearly), weekly seats. */
export interface SeedCatalog {
	meterId: string;
	/** Keyed `plan:currency:interval`, e.g. `pro:eur:month`. */
	planPrices: Map<string, Stripe.Price>;
	/** Metered API-request prices by currency (monthly, and yearly for yearly plans). */
	usagePrice: Record<string, Stripe.Price>;
	yearlyUsage: Record<string, Stripe.Price>;
	weekly: Stripe.Price;
}

/** Products, prices and the `api_requests` meter of the seeded business, created at `start`. */
export function seedCatalog(w: World, start: number): SeedCatalog {
	const meterId = w.id('mtr_test', 32);
	const meter: Meter = {
		id: meterId,
		object: 'billing.meter',
		created: start,
		customer_mapping: { event_payload_key: 'stripe_customer_id', type: 'by_id' },
		default_aggregation: { formula: 'sum' },
		display_name: 'API requests',
		event_name: 'api_requests',
		event_time_window: null,
		livemode: false,
		status: 'active',
		status_transitions: { deactivated_at: null },
		updated: start,
		value_settings: { event_payload_key: 'value' },
	};
	w.meters.add(meter);
	const usageProduct = createProduct(w, params({ name: 'API requests', unit_label: 'request', metadata: { plan: 'usage' } }));
	const usagePrice: Record<string, Stripe.Price> = {};
	for (const cur of CURRENCIES) {
		usagePrice[cur] = buildPrice(w, params({ currency: cur, unit_amount_decimal: '0.2', recurring: { interval: 'month', usage_type: 'metered', meter: meterId }, lookup_key: `api_requests_${cur}` }), usageProduct.id);
	}
	const yearlyUsage: Record<string, Stripe.Price> = {};
	for (const cur of CURRENCIES) {
		yearlyUsage[cur] = buildPrice(w, params({ currency: cur, unit_amount_decimal: '0.2', recurring: { interval: 'year', usage_type: 'metered', meter: meterId }, lookup_key: `api_requests_${cur}_yearly` }), usageProduct.id);
	}
	const planPrices = new Map<string, Stripe.Price>();
	for (const plan of PLANS) {
		const prod = createProduct(w, params({ name: plan.name, metadata: { plan: plan.key } }));
		for (const [cur, amount] of Object.entries(plan.monthly)) {
			planPrices.set(`${plan.key}:${cur}:month`, buildPrice(w, params({ currency: cur, unit_amount: amount, recurring: { interval: 'month' }, lookup_key: `${plan.key}_${cur}_monthly`, nickname: `${plan.name} monthly` }), prod.id));
			planPrices.set(`${plan.key}:${cur}:year`, buildPrice(w, params({ currency: cur, unit_amount: amount * 10, recurring: { interval: 'year' }, lookup_key: `${plan.key}_${cur}_yearly`, nickname: `${plan.name} yearly` }), prod.id));
		}
		prod.default_price = planPrices.get(`${plan.key}:usd:month`)?.id ?? null;
	}
	const seats = createProduct(w, params({ name: 'Team seats (weekly)', metadata: { plan: 'seats' } }));
	const weekly = buildPrice(w, params({ currency: 'usd', unit_amount: 900, recurring: { interval: 'week' }, lookup_key: 'seats_usd_weekly' }), seats.id);
	return { meterId, planPrices, usagePrice, yearlyUsage, weekly };
}

/** The seeded catalog found by its lookup keys and meter (null when the sandbox was not seeded, or it was changed). */
export function findCatalog(w: World): SeedCatalog | null {
	const byKey = new Map<string, Stripe.Price>();
	for (const p of w.prices.values()) if (p.lookup_key && p.active) byKey.set(p.lookup_key, p);
	let meterId: string | null = null;
	for (const m of w.meters.values()) if (m.event_name === 'api_requests' && m.status === 'active') meterId = m.id;
	const weekly = byKey.get('seats_usd_weekly');
	if (!meterId || !weekly) return null;
	const planPrices = new Map<string, Stripe.Price>();
	const usagePrice: Record<string, Stripe.Price> = {};
	const yearlyUsage: Record<string, Stripe.Price> = {};
	for (const cur of CURRENCIES) {
		const monthlyUsage = byKey.get(`api_requests_${cur}`);
		const yearly = byKey.get(`api_requests_${cur}_yearly`);
		if (!monthlyUsage || !yearly) return null;
		usagePrice[cur] = monthlyUsage;
		yearlyUsage[cur] = yearly;
		for (const plan of PLANS) {
			const month = byKey.get(`${plan.key}_${cur}_monthly`);
			const year = byKey.get(`${plan.key}_${cur}_yearly`);
			if (!month || !year) return null;
			planPrices.set(`${plan.key}:${cur}:month`, month);
			planPrices.set(`${plan.key}:${cur}:year`, year);
		}
	}
	return { meterId, planPrices, usagePrice, yearlyUsage, weekly };
}

/** The random streams a sign-up draws from: the business, tax choices and its Checkout Session. */
export interface SignupRngs {
	r: Rng;
	taxRng: Rng;
	checkoutRng: Rng;
}

export interface Signup {
	customer: Stripe.Customer;
	subscription: Stripe.Subscription;
	paymentMethod: Stripe.PaymentMethod;
	plan: (typeof PLANS)[number]['key'];
	/** True for the weekly team-seats subscription (drawn for some USD customers instead of the plan). */
	seats: boolean;
	country: string;
	currency: string;
	/** Typical daily API requests of a customer on a metered plan (null otherwise). */
	volume: number | null;
}

/**
 * One sign-up as the seed makes them: a customer in a market (address, locale, CRM metadata; on the global test clock),
 * a card, a subscription (plan, interval, seats, trial, automatic tax) and the Checkout Session it came from.
 * `i` numbers the customer (email, `crm_id`). `decline` puts the new card into that decline condition of the
 * scenario before the first payment (the traffic's failing sign-ups); the seed never passes it.
 */
export function signUpCustomer(w: World, catalog: SeedCatalog, rngs: SignupRngs, i: number, opts: { decline?: DeclineCode } = {}): Signup {
	const { r, taxRng, checkoutRng } = rngs;
	const { planPrices, usagePrice, yearlyUsage, weekly } = catalog;
	const m = weightedMarket(r.next());
	const place = m.places[Number(r.weighted(Object.fromEntries(m.places.map((p, k) => [String(k), p.weight]))))];
	const first = r.pick(FIRST);
	const last = r.pick(LAST);
	const company = r.pick(COMPANY);
	const reverseCharge = EU_B2B_COUNTRIES.has(m.country) && taxRng.chance(EU_REVERSE_CHARGE_SHARE);
	const c = createCustomer(
		w,
		params({
			name: `${first} ${last}`,
			email: `${first}.${last}${i}@${company.toLowerCase()}.example`.toLowerCase(),
			description: `${company} ${r.pick(['GmbH', 'Inc.', 'Ltd', 'SAS', 'Pty Ltd', 'LLC'])}`,
			address: { line1: `${r.range(1, 240)} ${r.pick(['Market', 'High', 'Haupt', 'King', 'Harbour'])} Street`, city: place.city, country: m.country, ...(place.state ? { state: place.state } : {}), postal_code: String(r.range(10000, 99999)) },
			preferred_locales: [m.locale],
			metadata: { crm_id: `crm_${(100000 + i).toString(36)}`, segment: r.pick(['smb', 'mid_market', 'enterprise']) },
			...(reverseCharge ? { tax_exempt: 'reverse' } : {}),
		}),
		{ testClock: GLOBAL_TEST_CLOCK_ID },
	);
	const brand = r.weighted({ visa: 55, mastercard: 35, amex: 10 });
	const pm = createCardPaymentMethod(w, null, { brand, last4: String(r.range(1000, 9999)), country: m.country, name: c.name, email: c.email });
	pm.customer = c.id;
	c.invoice_settings.default_payment_method = pm.id;
	if (opts.decline) w.scenario.setCondition(pm.id, opts.decline, w.now());
	const plan = PLANS[r.weighted({ 0: PLANS[0].weight, 1: PLANS[1].weight, 2: PLANS[2].weight } as Record<'0' | '1' | '2', number>) as unknown as number];
	const interval = r.chance(0.2) ? 'year' : 'month';
	const price = planPrices.get(`${plan.key}:${m.currency}:${interval}`) as Stripe.Price;
	const items: Record<string, unknown>[] = [{ price: price.id, quantity: plan.key === 'business' ? r.range(1, 5) : 1 }];
	if (plan.metered) items.push({ price: (interval === 'year' ? yearlyUsage : usagePrice)[m.currency].id });
	let sub: Stripe.Subscription;
	let seats = false;
	if (m.currency === 'usd' && r.chance(0.05)) {
		seats = true;
		sub = createSubscription(w, params({ customer: c.id, items: [{ price: weekly.id, quantity: r.range(2, 20) }], automatic_tax: { enabled: true } }));
	} else {
		sub = createSubscription(w, params({ customer: c.id, items, ...(r.chance(0.15) ? { trial_period_days: 14 } : {}), metadata: { plan: plan.key }, automatic_tax: { enabled: true } }));
	}
	const volume = plan.metered ? r.range(200, 20000) : null;
	seedCompletedSession(w, checkoutRng, c, sub, m.country, plan.key);
	return { customer: c, subscription: sub, paymentMethod: pm, plan: plan.key, seats, country: m.country, currency: m.currency, volume };
}

/** A customer adds a new card and makes it the default (their next payment uses it). */
export function addNewCard(w: World, r: Rng, cust: Stripe.Customer): Stripe.PaymentMethod {
	const pm = createCardPaymentMethod(w, null, { brand: 'visa', last4: String(r.range(1000, 9999)), country: cust.address?.country ?? 'US', name: cust.name, email: cust.email });
	pm.customer = cust.id;
	w.update('customer.updated', cust, (c) => (c.invoice_settings = { ...c.invoice_settings, default_payment_method: pm.id }));
	return pm;
}

/**
 * Customers with dead cards (expired, lost, stolen) and an open invoice still being retried sometimes add a new one
 * (`share` each time this runs), so the next automatic retry recovers the invoice. `hardDeclined` carries who has a
 * dead card from one run to the next. Returns the customers who added a card.
 */
export function replaceDeadCards(w: World, r: Rng, hardDeclined: Set<string>, share = 0.25): Stripe.Customer[] {
	const replaced: Stripe.Customer[] = [];
	for (const inv of w.invoices.values()) {
		if (inv.status !== 'open' || inv.next_payment_attempt === null) continue;
		const cust = w.customers.get(inv.customer as string);
		const pmId = cust?.invoice_settings.default_payment_method as string | null;
		if (!cust || !pmId) continue;
		const cond = w.scenario.conditionOf(pmId);
		if (cond === 'expired_card' || cond === 'lost_card' || cond === 'stolen_card') hardDeclined.add(cust.id);
		if (hardDeclined.has(cust.id) && r.chance(share)) {
			addNewCard(w, r, cust);
			hardDeclined.delete(cust.id);
			replaced.push(cust);
		}
	}
	return replaced;
}

/** The Checkout Session a seeded customer signed up through: created minutes before its subscription, completed with it. */
function seedCompletedSession(w: World, rng: Rng, c: Stripe.Customer, sub: Stripe.Subscription, country: string, plan: string): void {
	const now = w.now();
	const created = now - rng.range(3, 20) * 60;
	const weekly = sub.items.data[0].price.recurring?.interval === 'week';
	const trialDays = sub.trial_end ? Math.round((sub.trial_end - now) / DAY) : null;
	const s = buildSession(w, {
		mode: 'subscription',
		uiMode: 'hosted_page',
		lines: sub.items.data.map((it) => ({ price: it.price, quantity: it.price.recurring?.usage_type === 'metered' ? null : (it.quantity ?? 1) })),
		currency: sub.currency,
		customer: c,
		customerEmail: null,
		customerCreation: null,
		successUrl: 'https://app.example.com/welcome?session_id={CHECKOUT_SESSION_ID}',
		cancelUrl: 'https://app.example.com/pricing',
		returnUrl: null,
		clientReferenceId: c.metadata.crm_id ?? null,
		metadata: { country, plan: weekly ? 'seats' : plan },
		locale: CHECKOUT_LOCALE[country] ?? 'auto',
		created,
		expiresAt: created + DAY,
		automaticTax: sub.automatic_tax?.enabled ?? false,
		trialDays,
		host: '127.0.0.1',
	});
	const inv = sub.latest_invoice ? w.invoices.get(sub.latest_invoice as string) : undefined;
	// A first payment that declined leaves the seed's incomplete subscription; its session reads complete and unpaid.
	const status = sub.status === 'trialing' ? 'no_payment_required' : inv?.status === 'paid' ? 'paid' : 'unpaid';
	markSessionComplete(w, s, { customer: c, email: c.email, name: c.name ?? null, address: c.address ?? null, subscription: sub, paymentStatus: status });
}

/**
 * Abandoned sessions of prospects who never signed up: segments (country, plan, interval) weighted like signups
 * times their drop-off, timed like signups, each opened on the clock and expired 24 hours later by the session's own
 * schedule (those opened in the last day are still open).
 */
function seedAbandonedSessions(w: World, rng: Rng, customers: number, start: number, end: number): void {
	const segments: { m: Market; plan: (typeof PLANS)[number]; interval: 'month' | 'year'; weight: number }[] = [];
	for (const m of MARKETS) {
		for (const plan of PLANS) {
			for (const interval of ['month', 'year'] as const) {
				const share = m.weight * plan.weight * (interval === 'year' ? 0.2 : 0.8);
				const dropOff = (CHECKOUT_DROP_OFF.country[m.country] ?? 1) * (CHECKOUT_DROP_OFF.plan[plan.key] ?? 1) * (interval === 'year' ? CHECKOUT_DROP_OFF.yearly : 1);
				segments.push({ m, plan, interval, weight: share * dropOff });
			}
		}
	}
	const shares = segments.reduce((s, x) => s + x.m.weight * x.plan.weight * (x.interval === 'year' ? 0.2 : 0.8), 0);
	const total = segments.reduce((s, x) => s + x.weight, 0);
	const count = Math.round((customers * total) / shares);
	const weights = Object.fromEntries(segments.map((x, k) => [String(k), x.weight]));
	const span = end - start;
	for (let i = 0; i < count; i++) {
		const seg = segments[Number(rng.weighted(weights))];
		const at = rng.chance(0.6) ? start + rng.int(7 * DAY) : start + rng.int(Math.max(1, span - DAY));
		const withEmail = rng.chance(0.35);
		const n = rng.int(100000);
		w.clock.schedule(at, () => {
			const price = [...w.prices.values()].find((p) => p.lookup_key === `${seg.plan.key}_${seg.m.currency}_${seg.interval === 'year' ? 'yearly' : 'monthly'}`);
			if (!price) return;
			buildSession(w, {
				mode: 'subscription',
				uiMode: 'hosted_page',
				lines: [{ price, quantity: 1 }],
				currency: price.currency,
				customer: null,
				customerEmail: withEmail ? `lead${n}@prospect.example` : null,
				customerCreation: 'always',
				successUrl: 'https://app.example.com/welcome?session_id={CHECKOUT_SESSION_ID}',
				cancelUrl: 'https://app.example.com/pricing',
				returnUrl: null,
				clientReferenceId: null,
				metadata: { country: seg.m.country, plan: seg.plan.key },
				locale: CHECKOUT_LOCALE[seg.m.country] ?? 'auto',
				created: w.now(),
				expiresAt: w.now() + DAY,
				automaticTax: true,
				trialDays: null,
				host: '127.0.0.1',
			});
		});
	}
}

function weightedMarket(x: number): Market {
	const total = MARKETS.reduce((s, m) => s + m.weight, 0);
	let acc = 0;
	for (const m of MARKETS) {
		acc += m.weight / total;
		if (x < acc) return m;
	}
	return MARKETS[0];
}

export { addInterval };

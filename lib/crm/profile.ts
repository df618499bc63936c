/**
 * A customer's revenue profile (issue 11), pure: computed from the customer, its subscriptions (all
 * statuses), its invoices and its charges as Stripe returns them, read at processing time, and the
 * time `now` that state reflects (the customer's test clock, else the real clock). Because the
 * profile is always computed from Stripe's current state, a late or repeated event can never
 * regress a CRM record to an older state: it only triggers a fresh read.
 *
 * Payment health, first rule that holds:
 * - `churned`: the customer is deleted, or it has had subscriptions and none is live any more
 *   (live: active, past_due, unpaid, trialing, paused, incomplete);
 * - `failing`: a live subscription is `past_due` or `unpaid`, or an open invoice has been
 *   attempted and still has an amount remaining;
 * - `recovered`: a payment failed within `recoveredDays` (default 30) and nothing is failing now;
 * - `atRisk`: a live subscription cancels at its period end (or has `cancel_at`), is paused, ends
 *   its trial within 7 days with no payment method, or the default card expires before the next
 *   renewal;
 * - `healthy`: none of these.
 *
 * The churn-risk score (0..100) adds documented weights, each with its reason (see RISK_WEIGHTS);
 * a churned customer scores 100.
 */
import { currencyExponent } from '../money/currency';
import { idOf } from '../ids';
import { isoSeconds } from '../iso';
import { customerMrr, type SubscriptionLike } from './mrr';

export const PAYMENT_HEALTH = ['healthy', 'atRisk', 'failing', 'recovered', 'churned'] as const;
export type PaymentHealth = (typeof PAYMENT_HEALTH)[number];

/** The metadata the Smart Retry node records on an invoice (lib/retry/service.ts PLAN_METADATA). */
const RETRY_STAGE = 'revops_retry_stage';
const RETRY_ACCESS = 'revops_retry_access';

/** Subscription statuses that still bind the customer (not ended). */
export const LIVE_STATUSES: ReadonlySet<string> = new Set(['active', 'past_due', 'unpaid', 'trialing', 'paused', 'incomplete']);

/** Weights of the churn-risk score; the sum is capped at 100. */
export const RISK_WEIGHTS = {
	failing: 40,
	finalDunningStage: 20,
	cancelsAtPeriodEnd: 50,
	paused: 30,
	trialEndingWithoutPaymentMethod: 30,
	cardExpiresBeforeRenewal: 25,
	failedPaymentIn90Days: 5,
	failedPaymentIn90DaysMax: 20,
	recentlyRecovered: 10,
} as const;

const DAY = 86_400;

export interface CustomerLike {
	id: string;
	object?: string;
	deleted?: boolean;
	email?: string | null;
	name?: string | null;
	metadata?: Record<string, string> | null;
	created?: number;
	currency?: string | null;
	invoice_settings?: { default_payment_method?: unknown } | null;
}

export interface ProfileSubscription extends SubscriptionLike {
	customer?: unknown;
	created?: number;
	start_date?: number;
	cancel_at_period_end?: boolean;
	cancel_at?: number | null;
	canceled_at?: number | null;
	ended_at?: number | null;
	trial_end?: number | null;
	current_period_end?: number;
	default_payment_method?: unknown;
	items: { data: Array<SubscriptionLike['items']['data'][number] & { current_period_end?: number; price: SubscriptionLike['items']['data'][number]['price'] & { nickname?: string | null; product?: unknown } }> };
}

export interface InvoiceLikeForProfile {
	id: string;
	status: string | null;
	created: number;
	attempted?: boolean;
	attempt_count?: number;
	amount_remaining?: number;
	amount_due?: number;
	currency?: string;
	metadata?: Record<string, string> | null;
	status_transitions?: { paid_at?: number | null } | null;
	subscription?: unknown;
	parent?: { subscription_details?: { subscription?: unknown } | null } | null;
}

export interface ChargeLikeForProfile {
	id: string;
	status: string;
	created: number;
	currency: string;
	amount: number;
	amount_captured?: number;
	amount_refunded?: number;
	paid?: boolean;
	failure_code?: string | null;
	failure_message?: string | null;
	outcome?: { reason?: string | null; type?: string | null } | null;
	payment_method_details?: { card?: { exp_month?: number; exp_year?: number } | null } | null;
}

export interface ProfileInput {
	customer: CustomerLike;
	subscriptions: readonly ProfileSubscription[];
	invoices: readonly InvoiceLikeForProfile[];
	charges: readonly ChargeLikeForProfile[];
	/** The Stripe state time (unix seconds) this input reflects. */
	now: number;
	/** Where `now` came from. */
	clock?: 'testClock' | 'realClock';
	/** Reporting currency (lower case) and `rates[c]` = units of it per unit of `c` (major units). */
	reportingCurrency: string;
	rates?: Record<string, number>;
	/** Product names by id, for the plan's name. */
	productNames?: Record<string, string>;
	/** How long after a failed payment a now-healthy customer shows as `recovered` (default 30 days). */
	recoveredDays?: number;
}

/** The profile as one flat record (no nested objects: ready for an n8n item and a CRM property map). */
export interface RevenueProfile {
	customerId: string;
	email: string | null;
	name: string | null;
	/** The company domain: metadata `domain` or `website`, else the email's domain unless it is a free mail provider. */
	domain: string | null;
	deleted: boolean;
	/** MRR in the reporting currency, major units (2 decimals for USD). */
	mrr: number;
	reportingCurrency: string;
	/** MRR per currency, major units: `eur:20.00,usd:49.00`. */
	mrrByCurrency: string;
	plan: string | null;
	subscriptionId: string | null;
	subscriptionStatus: string | null;
	liveSubscriptions: number;
	paymentHealth: PaymentHealth;
	/** Why the health is what it is, in a sentence. */
	healthReason: string;
	dunningStage: string | null;
	accessLevel: string | null;
	failingInvoiceId: string | null;
	lastFailureReason: string | null;
	lastFailureAt: string | null;
	/** Paid and not refunded, over all the customer's charges, in the reporting currency (major units). */
	lifetimeValue: number;
	nextRenewalAt: string | null;
	cancelAtPeriodEnd: boolean;
	churnRiskScore: number;
	/** The reasons behind the score, `; `-separated. */
	churnRiskReasons: string;
	/** When the last subscription ended (churned customers only). */
	churnedAt: string | null;
	/** The episode an owner alert is for (`failing:<invoice>`, `churned:<subscription or customer>`), else null. */
	episodeId: string | null;
	/** The Stripe state time the profile reflects (ISO 8601 UTC) and its source. */
	asOf: string;
	asOfClock: 'testClock' | 'realClock';
}

/** Bad input to the CRM sync (the message says what to fix). */
export class CrmInputError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'CrmInputError';
	}
}

const FREE_MAIL = new Set([
	'gmail.com', 'googlemail.com', 'yahoo.com', 'yahoo.co.uk', 'hotmail.com', 'outlook.com', 'live.com', 'msn.com', 'icloud.com', 'me.com', 'mac.com', 'aol.com',
	'proton.me', 'protonmail.com', 'gmx.de', 'gmx.net', 'web.de', 'mail.ru', 'yandex.ru', 'qq.com', '163.com', 'zoho.com', 'fastmail.com',
]);

/** A bare host name from a URL or domain (`https://www.Acme.com/x` gives `acme.com`), or null. */
export function normalizeDomain(value: unknown): string | null {
	if (typeof value !== 'string') return null;
	let host = value.trim().toLowerCase();
	if (!host) return null;
	host = host.replace(/^[a-z][a-z0-9+.-]*:\/\//, '').replace(/[/?#:].*$/, '').replace(/^www\./, '');
	return /^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(host) ? host : null;
}

/** The company domain of a customer (see {@link RevenueProfile.domain}). */
export function customerDomain(customer: CustomerLike): string | null {
	const meta = customer.metadata ?? {};
	const fromMeta = normalizeDomain(meta.domain) ?? normalizeDomain(meta.website);
	if (fromMeta) return fromMeta;
	const email = typeof customer.email === 'string' ? customer.email.trim().toLowerCase() : '';
	const at = email.lastIndexOf('@');
	if (at < 0) return null;
	const domain = normalizeDomain(email.slice(at + 1));
	return domain && !FREE_MAIL.has(domain) ? domain : null;
}

/** Minor units of `currency` in major units, rounded to the currency's digits. */
export function toMajor(minor: number, currency: string): number {
	const exp = currencyExponent(currency);
	return Number((minor / 10 ** exp).toFixed(exp));
}

/**
 * Sums amounts per currency (minor units) in the reporting currency (major units). `rates` are
 * major-unit rates (1 EUR = 1.08 USD: `{eur: 1.08}`); a currency without one is an error naming it.
 */
export function inReporting(byCurrency: Record<string, number>, reporting: string, rates: Record<string, number> = {}): number {
	let total = 0;
	for (const [currency, minor] of Object.entries(byCurrency)) {
		if (minor === 0) continue;
		const rate = currency === reporting ? 1 : rates[currency];
		if (rate === undefined || !Number.isFinite(rate) || rate <= 0) {
			throw new CrmInputError(`No exchange rate from ${currency.toUpperCase()} to ${reporting.toUpperCase()}: add ${currency.toUpperCase()} to Exchange Rates (units of ${reporting.toUpperCase()} per 1 ${currency.toUpperCase()}).`);
		}
		total += (minor / 10 ** currencyExponent(currency)) * rate;
	}
	const exp = currencyExponent(reporting);
	return Number(total.toFixed(exp));
}

function subscriptionOfInvoice(inv: InvoiceLikeForProfile): string | undefined {
	return idOf(inv.subscription) ?? idOf(inv.parent?.subscription_details?.subscription);
}

function periodEnd(sub: ProfileSubscription): number | undefined {
	const ends = sub.items.data.map((i) => i.current_period_end).filter((v): v is number => typeof v === 'number');
	if (ends.length) return Math.min(...ends);
	return typeof sub.current_period_end === 'number' ? sub.current_period_end : undefined;
}

function planName(sub: ProfileSubscription, productNames: Record<string, string>): string {
	return sub.items.data
		.map((item) => {
			const price = item.price;
			const product = idOf(price.product);
			const productName = typeof price.product === 'object' && price.product !== null ? (price.product as { name?: string }).name : undefined;
			const name = price.nickname || productName || (product && productNames[product]) || product || price.id || 'price';
			return (item.quantity ?? 1) > 1 ? `${name} ×${item.quantity}` : name;
		})
		.join(' + ');
}

function cardExpiry(charge: ChargeLikeForProfile | undefined, pm: unknown): number | undefined {
	const card =
		(typeof pm === 'object' && pm !== null ? (pm as { card?: { exp_month?: number; exp_year?: number } }).card : undefined) ?? charge?.payment_method_details?.card ?? undefined;
	if (!card?.exp_month || !card.exp_year) return undefined;
	// A card is valid through the last day of its expiry month.
	return Date.UTC(card.exp_year, card.exp_month, 1) / 1000;
}

/** The revenue profile of one customer (see the module comment for the rules). */
export function buildProfile(input: ProfileInput): RevenueProfile {
	const { customer, now } = input;
	const reporting = input.reportingCurrency.toLowerCase();
	const recoveredDays = input.recoveredDays ?? 30;
	const subs = [...input.subscriptions].sort((a, b) => (b.created ?? 0) - (a.created ?? 0) || a.id.localeCompare(b.id));
	const live = subs.filter((s) => LIVE_STATUSES.has(s.status));
	const deleted = customer.deleted === true;

	const mrr = deleted ? { byCurrency: {}, subscriptions: [] } : customerMrr(subs, now);
	const mrrReporting = inReporting(mrr.byCurrency, reporting, input.rates);
	const mrrByCurrency = Object.entries(mrr.byCurrency)
		.sort(([a], [b]) => a.localeCompare(b))
		.map(([c, minor]) => `${c}:${toMajor(Math.round(minor), c).toFixed(currencyExponent(c))}`)
		.join(',');
	// The primary subscription: the counted one with the highest MRR, else the newest live one, else the newest.
	const counted = mrr.subscriptions.filter((s) => s.counted).sort((a, b) => b.mrr - a.mrr);
	const primary = (counted.length ? subs.find((s) => s.id === counted[0].subscriptionId) : undefined) ?? live[0] ?? subs[0];

	const charges = [...input.charges].sort((a, b) => b.created - a.created || b.id.localeCompare(a.id));
	const failed = charges.filter((c) => c.status === 'failed');
	const lastFailure = failed[0];
	const paidByCurrency: Record<string, number> = {};
	for (const c of charges) {
		if (c.status !== 'succeeded') continue;
		const net = (c.amount_captured ?? c.amount) - (c.amount_refunded ?? 0);
		paidByCurrency[c.currency] = (paidByCurrency[c.currency] ?? 0) + net;
	}
	const lifetimeValue = inReporting(paidByCurrency, reporting, input.rates);

	const invoices = [...input.invoices].sort((a, b) => b.created - a.created || b.id.localeCompare(a.id));
	const liveIds = new Set(live.map((s) => s.id));
	const failingInvoice = invoices.find((inv) => {
		if (inv.status !== 'open' || !(inv.attempted || (inv.attempt_count ?? 0) > 0) || (inv.amount_remaining ?? inv.amount_due ?? 0) <= 0) return false;
		const sub = subscriptionOfInvoice(inv);
		return !sub || liveIds.has(sub) || !subs.some((s) => s.id === sub);
	});
	const delinquentSub = live.find((s) => s.status === 'past_due' || s.status === 'unpaid');
	const dunningInvoice = failingInvoice ?? invoices.find((inv) => inv.metadata?.[RETRY_STAGE] && (inv.status === 'open' || inv.status === 'uncollectible'));

	const reasons: string[] = [];
	let score = 0;
	const risk = (weight: number, reason: string) => {
		score += weight;
		reasons.push(reason);
	};

	let health: PaymentHealth;
	let healthReason: string;
	let episodeId: string | null = null;
	let churnedAt: number | undefined;
	const failedIn = (days: number) => failed.filter((c) => c.created > now - days * DAY);
	if (deleted || (subs.length > 0 && live.length === 0)) {
		health = 'churned';
		const last = subs[0];
		const ends = subs.map((s) => s.ended_at ?? s.canceled_at).filter((t): t is number => typeof t === 'number');
		churnedAt = ends.length ? Math.max(...ends) : undefined;
		healthReason = deleted ? 'the customer was deleted in Stripe' : `no live subscription since ${isoSeconds(churnedAt ?? now)}`;
		episodeId = `churned:${last?.id ?? customer.id}`;
	} else if (delinquentSub || failingInvoice) {
		health = 'failing';
		healthReason = failingInvoice
			? `invoice ${failingInvoice.id} is open after ${failingInvoice.attempt_count ?? 1} failed attempt(s)`
			: `subscription ${delinquentSub!.id} is ${delinquentSub!.status}`;
		episodeId = `failing:${failingInvoice?.id ?? delinquentSub!.id}`;
	} else if (lastFailure && lastFailure.created > now - recoveredDays * DAY) {
		health = 'recovered';
		healthReason = `a payment failed on ${isoSeconds(lastFailure.created)} and nothing is failing now`;
	} else {
		health = 'healthy';
		healthReason = subs.length ? 'payments are current' : 'no subscriptions';
	}

	let nextRenewal: number | undefined;
	let cancelAtPeriodEnd = false;
	if (primary && LIVE_STATUSES.has(primary.status)) {
		cancelAtPeriodEnd = primary.cancel_at_period_end === true || (primary.cancel_at ?? null) !== null;
		if (!cancelAtPeriodEnd) nextRenewal = primary.status === 'trialing' && primary.trial_end ? primary.trial_end : periodEnd(primary);
	}
	const defaultPm = primary?.default_payment_method ?? customer.invoice_settings?.default_payment_method;
	const hasPaymentMethod = idOf(defaultPm) !== undefined;

	if (health === 'churned') {
		score = 100;
		reasons.push(healthReason);
	} else {
		const atRisk: string[] = [];
		if (health === 'failing') {
			risk(RISK_WEIGHTS.failing, `payment failing: ${healthReason}`);
			const stage = dunningInvoice?.metadata?.[RETRY_STAGE];
			if (stage === 'finalNotice' || stage === 'suspended') risk(RISK_WEIGHTS.finalDunningStage, `dunning stage ${stage}`);
		}
		for (const s of live) {
			if (s.cancel_at_period_end || s.cancel_at) {
				const at = s.cancel_at ?? periodEnd(s);
				const why = `subscription ${s.id} cancels${at ? ` on ${isoSeconds(at)}` : ' at its period end'}`;
				risk(RISK_WEIGHTS.cancelsAtPeriodEnd, why);
				atRisk.push(why);
				break;
			}
		}
		const paused = live.find((s) => s.status === 'paused');
		if (paused) {
			const why = `subscription ${paused.id} is paused`;
			risk(RISK_WEIGHTS.paused, why);
			atRisk.push(why);
		}
		const trial = live.find((s) => s.status === 'trialing' && s.trial_end && s.trial_end - now <= 7 * DAY);
		if (trial && !idOf(trial.default_payment_method) && !hasPaymentMethod) {
			const why = `trial of ${trial.id} ends on ${isoSeconds(trial.trial_end!)} with no payment method`;
			risk(RISK_WEIGHTS.trialEndingWithoutPaymentMethod, why);
			atRisk.push(why);
		}
		const expiry = cardExpiry(charges.find((c) => c.status === 'succeeded'), defaultPm);
		if (expiry !== undefined && nextRenewal !== undefined && expiry < nextRenewal) {
			const why = `the card expires before the renewal on ${isoSeconds(nextRenewal)}`;
			risk(RISK_WEIGHTS.cardExpiresBeforeRenewal, why);
			atRisk.push(why);
		}
		const recent = failedIn(90).length;
		if (recent > 0) risk(Math.min(RISK_WEIGHTS.failedPaymentIn90DaysMax, recent * RISK_WEIGHTS.failedPaymentIn90Days), `${recent} failed payment(s) in 90 days`);
		if (health === 'recovered') risk(RISK_WEIGHTS.recentlyRecovered, healthReason.replace(/^a payment/, 'recovered: a payment'));
		if (health === 'healthy' && atRisk.length) {
			health = 'atRisk';
			healthReason = atRisk.join('; ');
		}
	}

	const failureReason = lastFailure ? (lastFailure.outcome?.reason ?? lastFailure.failure_code ?? lastFailure.failure_message ?? 'declined') : null;
	return {
		customerId: customer.id,
		email: typeof customer.email === 'string' && customer.email.trim() ? customer.email.trim() : null,
		name: typeof customer.name === 'string' && customer.name.trim() ? customer.name.trim() : null,
		domain: deleted ? null : customerDomain(customer),
		deleted,
		mrr: mrrReporting,
		reportingCurrency: reporting,
		mrrByCurrency,
		plan: primary ? planName(primary, input.productNames ?? {}) : null,
		subscriptionId: primary?.id ?? null,
		subscriptionStatus: primary?.status ?? null,
		liveSubscriptions: live.length,
		paymentHealth: health,
		healthReason,
		dunningStage: (health === 'failing' || health === 'churned' ? dunningInvoice?.metadata?.[RETRY_STAGE] : undefined) || null,
		accessLevel: (health === 'failing' || health === 'churned' ? dunningInvoice?.metadata?.[RETRY_ACCESS] : undefined) || null,
		failingInvoiceId: health === 'failing' ? (failingInvoice?.id ?? null) : null,
		lastFailureReason: failureReason,
		lastFailureAt: lastFailure ? isoSeconds(lastFailure.created) : null,
		lifetimeValue,
		nextRenewalAt: nextRenewal !== undefined ? isoSeconds(nextRenewal) : null,
		cancelAtPeriodEnd,
		churnRiskScore: Math.min(100, score),
		churnRiskReasons: reasons.join('; '),
		churnedAt: churnedAt !== undefined ? isoSeconds(churnedAt) : null,
		episodeId,
		asOf: isoSeconds(now),
		asOfClock: input.clock ?? 'realClock',
	};
}


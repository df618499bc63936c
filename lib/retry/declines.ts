/**
 * The decline taxonomy: from what Stripe says about a failed card payment (its `decline_code`,
 * `advice_code`, `network_advice_code` and `network_decline_code`, and the card brand) to one class
 * with its rationale and source. Pure; the extractors read the fields from Stripe's objects:
 * a charge's `outcome`, a PaymentIntent's `last_payment_error`, an invoice's payments.
 *
 * Precedence (most cautious signal wins): never retry (a hard decline code, `advice_code`
 * `do_not_try_again`, Mastercard MAC 03/21, a Visa category 1 response code) > needs the customer
 * (such a decline code, `confirm_card_data`, MAC 01, a Visa category 3 code when the decline code
 * says nothing more) > the decline code's own class > temporary (`try_again_later`, MAC 02/24–30,
 * Visa category 2) > unknown. Every signal found is listed in `signals`, so a plan can explain itself.
 */
import {
	declineCodeEntry,
	type CustomerAction,
	type DeclineClass,
	type RuleSource,
	STRIPE_DECLINE_CODES_SOURCE,
} from './declineCodes';
import {
	MASTERCARD_DO_NOT_TRY_AGAIN,
	MASTERCARD_RETRY_AFTER,
	NETWORK_SOURCES,
	normalizeAdviceCode,
	visaCategoryOf,
	type Attempt,
	type VisaCategory,
} from './networkRules';

const READ = '2026-12-01';

/** Stripe's `advice_code` values and their meaning. */
export const ADVICE_CODE_SOURCE: RuleSource = {
	url: 'https://docs.stripe.com/declines#retrying-issuer-declines',
	read: READ,
	fetched: false,
	note: "Values from the installed stripe@23.1.0 types (Charge.Outcome.AdviceCode: confirm_card_data, do_not_try_again, try_again_later), which link this page; their meaning from memory of it.",
};

/** Stripe's network codes, added to charges and errors in API version 2024-12-18.acacia. */
export const NETWORK_CODES_SOURCE: RuleSource = {
	url: 'https://docs.stripe.com/changelog/acacia/2024-12-18/network-advice-code-network-decline-code',
	read: READ,
	fetched: true,
	note: 'network_decline_code: the network\'s reason; network_advice_code: the network\'s advice on how to handle the decline.',
};

/** What `classifyDecline` reads; every field is optional. Field names follow Stripe's. */
export interface DeclineInput {
	decline_code?: string | null;
	advice_code?: string | null;
	network_advice_code?: string | null;
	network_decline_code?: string | null;
	/** The card network (`visa`, `mastercard`, …): `card.network` when Stripe gives it, else `card.brand`. */
	brand?: string | null;
	fingerprint?: string | null;
	payment_method?: string | null;
	/** The payment intent the attempt was for (a charge's `payment_intent`), when known. */
	payment_intent?: string | null;
	/** Unix seconds of the attempt, when known. */
	created?: number | null;
	/** `failed`, `succeeded` or `pending`, when known. */
	status?: string | null;
}

/** One signal the classification found. */
export interface DeclineSignal {
	from: 'decline_code' | 'advice_code' | 'network_advice_code' | 'network_decline_code' | 'default';
	class: DeclineClass;
	customerAction?: CustomerAction;
	rationale: string;
	source: RuleSource;
}

export interface DeclineClassification {
	class: DeclineClass;
	rationale: string;
	source: RuleSource;
	customerAction?: CustomerAction;
	/** Which field decided the class. */
	decidedBy: DeclineSignal['from'];
	/** A minimum wait before a retry that the network asked for (Mastercard MAC 24–30), in seconds. */
	minWaitSeconds?: number;
	codes: {
		decline_code?: string;
		advice_code?: string;
		network_advice_code?: string;
		network_decline_code?: string;
		brand?: string;
		visa_category?: VisaCategory;
	};
	/** Every signal found, most decisive first. */
	signals: DeclineSignal[];
}

const SEVERITY: Record<DeclineClass, number> = { neverRetry: 4, needsCustomer: 3, insufficientFunds: 2, temporary: 1, unknown: 0 };

function clean(s: string | null | undefined): string | undefined {
	if (s === null || s === undefined) return undefined;
	const t = String(s).trim().toLowerCase();
	return t ? t : undefined;
}

/** Classifies a decline. Unknown or missing codes give `unknown` with the reason. */
export function classifyDecline(input: DeclineInput): DeclineClassification {
	const declineCode = clean(input.decline_code);
	const adviceCode = clean(input.advice_code);
	const mac = normalizeAdviceCode(input.network_advice_code ?? undefined);
	const networkDecline = input.network_decline_code ? String(input.network_decline_code).trim().toUpperCase() || undefined : undefined;
	const brand = clean(input.brand);
	const mastercardOrUnknown = brand === undefined || brand === 'mastercard';
	const visaCategory = brand === 'visa' ? visaCategoryOf(networkDecline) : undefined;

	const signals: DeclineSignal[] = [];
	let minWaitSeconds: number | undefined;

	const entry = declineCodeEntry(declineCode);
	if (entry) {
		signals.push({ from: 'decline_code', class: entry.class, customerAction: entry.customerAction, rationale: `decline_code ${entry.code}: ${entry.rationale}`, source: entry.source });
	}
	if (adviceCode === 'do_not_try_again')
		signals.push({ from: 'advice_code', class: 'neverRetry', rationale: 'advice_code do_not_try_again: the issuer will not approve a retry; retrying risks network fees.', source: ADVICE_CODE_SOURCE });
	else if (adviceCode === 'confirm_card_data')
		signals.push({ from: 'advice_code', class: 'needsCustomer', customerAction: 'correctData', rationale: 'advice_code confirm_card_data: a retry only succeeds once the customer confirms or updates the card data.', source: ADVICE_CODE_SOURCE });
	else if (adviceCode === 'try_again_later')
		signals.push({ from: 'advice_code', class: 'temporary', rationale: 'advice_code try_again_later: the issuer may approve a later retry.', source: ADVICE_CODE_SOURCE });

	if (mac && mastercardOrUnknown) {
		const who = brand === undefined ? ' (brand unknown: read as a Mastercard Merchant Advice Code, cautiously)' : '';
		if (MASTERCARD_DO_NOT_TRY_AGAIN.includes(mac))
			signals.push({ from: 'network_advice_code', class: 'neverRetry', rationale: `network_advice_code ${mac}: Mastercard's "${mac === '03' ? 'do not try again' : 'payment cancelled'}"${who}; no retry on this card.`, source: NETWORK_SOURCES.mastercardAdviceCodes });
		else if (mac === '01')
			signals.push({ from: 'network_advice_code', class: 'needsCustomer', customerAction: 'newPaymentMethod', rationale: `network_advice_code 01: Mastercard's "new account information available"${who}; the same card details will not be approved.`, source: NETWORK_SOURCES.mastercardAdviceCodes });
		else if (mac === '02')
			signals.push({ from: 'network_advice_code', class: 'temporary', rationale: `network_advice_code 02: Mastercard's "cannot approve at this time, try again later"${who}.`, source: NETWORK_SOURCES.mastercardAdviceCodes });
		else if (MASTERCARD_RETRY_AFTER[mac] !== undefined) {
			minWaitSeconds = MASTERCARD_RETRY_AFTER[mac];
			signals.push({ from: 'network_advice_code', class: 'temporary', rationale: `network_advice_code ${mac}: Mastercard's "retry after ${minWaitSeconds < 86400 ? '1 hour' : minWaitSeconds === 86400 ? '24 hours' : `${minWaitSeconds / 86400} days`}"${who}: not before then.`, source: NETWORK_SOURCES.mastercardAdviceCodes });
		}
	}

	if (visaCategory === 1)
		signals.push({ from: 'network_decline_code', class: 'neverRetry', rationale: `network_decline_code ${networkDecline}: Visa category 1, the issuer will never approve; Visa allows no reattempt.`, source: NETWORK_SOURCES.visaCategories });
	else if (visaCategory === 2)
		signals.push({ from: 'network_decline_code', class: 'temporary', rationale: `network_decline_code ${networkDecline}: Visa category 2, the issuer cannot approve at this time; a later reattempt may be approved.`, source: NETWORK_SOURCES.visaCategories });
	else if (visaCategory === 3 && (!entry || entry.class === 'temporary'))
		signals.push({ from: 'network_decline_code', class: 'needsCustomer', customerAction: 'correctData', rationale: `network_decline_code ${networkDecline}: Visa category 3 (data quality); a reattempt needs corrected card data.`, source: NETWORK_SOURCES.visaCategories });

	const codes: DeclineClassification['codes'] = {};
	if (declineCode) codes.decline_code = declineCode;
	if (adviceCode) codes.advice_code = adviceCode;
	if (mac) codes.network_advice_code = mac;
	if (networkDecline) codes.network_decline_code = networkDecline;
	if (brand) codes.brand = brand;
	if (visaCategory) codes.visa_category = visaCategory;

	// Most severe first; between equals, the decline code first (it is the most specific).
	const order = (s: DeclineSignal) => SEVERITY[s.class] * 10 + (s.from === 'decline_code' ? 1 : 0);
	signals.sort((a, b) => order(b) - order(a));

	if (signals.length === 0) {
		const unknown: DeclineSignal = {
			from: 'default',
			class: 'unknown',
			rationale: declineCode
				? `decline_code ${declineCode} is not in Stripe's decline-code list as read on ${READ}, and no advice or network code says more: treated cautiously (few, spaced retries), not as a hard decline.`
				: adviceCode || mac || networkDecline
					? 'The advice or network codes present do not say whether to retry, and there is no decline code: treated cautiously (few, spaced retries).'
					: 'No decline code, advice code or network code: treated cautiously (few, spaced retries).',
			source: STRIPE_DECLINE_CODES_SOURCE,
		};
		signals.push(unknown);
	}
	const top = signals[0];
	const result: DeclineClassification = {
		class: top.class,
		rationale: top.rationale,
		source: top.source,
		decidedBy: top.from,
		codes,
		signals,
	};
	const action = top.customerAction ?? signals.find((s) => s.class === top.class && s.customerAction)?.customerAction;
	if (action) result.customerAction = action;
	if (minWaitSeconds !== undefined) result.minWaitSeconds = minWaitSeconds;
	return result;
}

/* ---------- extractors: the fields, read from Stripe's objects (minimal shapes, no stripe import) ---------- */

type Obj = Record<string, unknown>;
function obj(v: unknown): Obj | undefined {
	return v !== null && typeof v === 'object' ? (v as Obj) : undefined;
}
function str(v: unknown): string | undefined {
	return typeof v === 'string' && v ? v : undefined;
}
function num(v: unknown): number | undefined {
	return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
function idOf(v: unknown): string | undefined {
	return str(v) ?? str(obj(v)?.id);
}
function compact(input: DeclineInput): DeclineInput {
	return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined && v !== null)) as DeclineInput;
}
function merge(primary: DeclineInput, fallback: DeclineInput): DeclineInput {
	return { ...compact(fallback), ...compact(primary) };
}

/** The network of a card object: `network` (co-badged cards), else `networks.preferred`, else `brand`. */
function cardNetwork(card: Obj | undefined): string | undefined {
	return str(card?.network) ?? str(obj(card?.networks)?.preferred) ?? str(card?.brand);
}

/**
 * From a Charge: `outcome.reason` holds the decline code of an issuer decline (and Radar's
 * `highest_risk_level` for a block; from memory of Stripe's charge objects, and stripe@23.1.0's
 * types for the block reasons), `failure_code` when it is more than `card_declined`;
 * `outcome.advice_code`, `outcome.network_advice_code`, `outcome.network_decline_code`; the card from
 * `payment_method_details.card`.
 */
export function fromCharge(charge: unknown): DeclineInput {
	const c = obj(charge) ?? {};
	const outcome = obj(c.outcome);
	const card = obj(obj(c.payment_method_details)?.card);
	const reason = str(outcome?.reason);
	const failure = str(c.failure_code);
	const declineCode = (reason && declineCodeEntry(reason) ? reason : undefined) ?? (failure && failure !== 'card_declined' ? failure : undefined) ?? reason;
	return compact({
		decline_code: declineCode,
		advice_code: str(outcome?.advice_code),
		network_advice_code: str(outcome?.network_advice_code),
		network_decline_code: str(outcome?.network_decline_code),
		brand: cardNetwork(card),
		fingerprint: str(card?.fingerprint),
		payment_method: idOf(c.payment_method),
		payment_intent: idOf(c.payment_intent),
		created: num(c.created),
		status: str(c.status),
	});
}

/**
 * From a PaymentIntent: `last_payment_error` (`decline_code`, `advice_code`, `network_advice_code`,
 * `network_decline_code`, its `payment_method.card`); fields it lacks come from `latest_charge` when
 * expanded.
 */
export function fromPaymentIntent(paymentIntent: unknown): DeclineInput {
	const pi = obj(paymentIntent) ?? {};
	const err = obj(pi.last_payment_error);
	const pm = obj(err?.payment_method) ?? obj(pi.payment_method);
	const card = obj(pm?.card);
	const own: DeclineInput = {
		decline_code: str(err?.decline_code),
		advice_code: str(err?.advice_code),
		network_advice_code: str(err?.network_advice_code),
		network_decline_code: str(err?.network_decline_code),
		brand: cardNetwork(card),
		fingerprint: str(card?.fingerprint),
		payment_method: idOf(err?.payment_method) ?? idOf(pi.payment_method),
		status: err ? 'failed' : str(pi.status) === 'succeeded' ? 'succeeded' : undefined,
	};
	const charge = obj(pi.latest_charge);
	return charge ? merge(own, fromCharge(charge)) : compact(own);
}

/**
 * From an InvoicePayment (current API versions: `invoice.payments`, or
 * `GET /v1/invoice_payments`): its `payment.payment_intent` or `payment.charge`, when expanded.
 * Unexpanded ids give nothing but the payment method cannot be known either: expand
 * `payment.payment_intent.latest_charge` to get every field.
 */
export function fromInvoicePayment(invoicePayment: unknown): DeclineInput {
	const payment = obj(obj(invoicePayment)?.payment);
	const pi = obj(payment?.payment_intent);
	if (pi) return fromPaymentIntent(pi);
	const charge = obj(payment?.charge);
	if (charge) return fromCharge(charge);
	return {};
}

/**
 * From an Invoice: the newest of its expanded `payments.data` (current API versions), else the
 * pre-2025 `payment_intent` / `charge` fields when expanded.
 */
export function fromInvoice(invoice: unknown): DeclineInput {
	const inv = obj(invoice) ?? {};
	const data = obj(inv.payments)?.data;
	if (Array.isArray(data) && data.length > 0) {
		const newest = [...data].sort((a, b) => (num(obj(b)?.created) ?? 0) - (num(obj(a)?.created) ?? 0))[0];
		return fromInvoicePayment(newest);
	}
	const pi = obj(inv.payment_intent);
	if (pi) return fromPaymentIntent(pi);
	const charge = obj(inv.charge);
	return charge ? fromCharge(charge) : {};
}

/**
 * A history entry for the network rules from a decline input (`created` is required: pass `at`
 * when the object did not carry it).
 */
export function toAttempt(input: DeclineInput, at?: number): Attempt | undefined {
	const time = at ?? input.created ?? undefined;
	if (time === undefined || time === null) return undefined;
	const attempt: Attempt = { at: time };
	if (input.fingerprint) attempt.cardFingerprint = input.fingerprint;
	if (input.payment_method) attempt.paymentMethodId = input.payment_method;
	if (input.payment_intent) attempt.paymentIntentId = input.payment_intent;
	if (input.brand) attempt.brand = input.brand.toLowerCase();
	attempt.outcome = input.status === 'succeeded' ? 'succeeded' : input.status === 'pending' ? 'pending' : 'declined';
	if (input.network_advice_code) attempt.networkAdviceCode = normalizeAdviceCode(input.network_advice_code);
	if (input.network_decline_code) attempt.networkDeclineCode = input.network_decline_code;
	if (input.decline_code && attempt.outcome === 'declined') attempt.declineCode = String(input.decline_code).trim().toLowerCase();
	return attempt;
}

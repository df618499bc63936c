/**
 * Reads the account's payment history from Stripe for the retry engine: the past attempts that
 * {@link train} learns from, and the attempts on a customer's card that the network rules count.
 * The transport is passed in (a {@link StripeClient}); nothing here reads a clock.
 *
 * How an attempt is tied to its invoice (current API versions, where a charge has no `invoice`
 * field): an invoice's `payments` (expanded on the invoice list) name its PaymentIntent, and each
 * charge names its `payment_intent`. So {@link loadTrainingAttempts} lists
 * - the invoices created in `[from − lookback, to)`, with `expand[]=data.payments` and
 *   `expand[]=data.customer` (the customer's address and metadata give the zone: one read per
 *   invoice page, no call per customer), and
 * - the charges created in `[from − lookback, to)`,
 * both with `limit=100` and `created[gte]`/`created[lt]`, paginated. A charge whose
 * PaymentIntent belongs to none of those invoices (a one-off payment, or an invoice created
 * before the lookback) is not an invoice attempt we can number, and is skipped (counted in
 * `skipped`). The lookback (default 45 days, longer than Stripe's longest retry schedule of
 * about a month) exists so that a retry in the range is numbered from its invoice's real first
 * charge, even when that charge was before `from`.
 *
 * What is an attempt, our choice (documented, tested):
 * - An invoice's charges in time order: the first is the original charge (attempt 0), each later
 *   one a retry (attempt 1, 2, …), whichever card it was made on.
 * - Only retries after a failed first charge are training attempts: the first charge is made on
 *   a card not known to be failing, has no decline to classify, and its outcome says nothing
 *   about when a retry succeeds. First charges are counted (`charges`, `firstCharges`), not
 *   returned. An invoice paid by its first charge gives no attempt.
 * - Every retry carries the decline of the invoice's first failure (`declineClass`,
 *   `declineCode`, the failure the recovery answers) and its own card (`brand`, `funding`,
 *   `country`) and outcome (`succeeded`: the charge's `status` is `succeeded`).
 * - A charge after the invoice was paid (there is none in Stripe; a refund is not a charge) would
 *   still count as a retry; a charge without a `created` time cannot exist and is ignored.
 */
import { idOf } from '../ids';
import { classifyDecline, fromCharge, toAttempt } from './declines';
import type { TrainingAttempt } from './model';
import { sameCard, type Attempt, type CardRef } from './networkRules';
import { resolveTimeZone, type ZoneAddress } from './zones';
import type { StripeClient } from '../stripe/client';

const DAY = 86_400;

/** Default lookback for invoices and first charges before `from`: 45 days. */
export const DEFAULT_HISTORY_LOOKBACK_SECONDS = 45 * DAY;

/** The customer fields the history reads (Stripe's names). */
export interface HistoryCustomer {
	id: string;
	address?: ZoneAddress | null;
	metadata?: Record<string, string> | null;
	deleted?: boolean;
}

/** The charge fields the history reads (Stripe's names; a minimal shape, no `stripe` import). */
export interface HistoryCharge {
	id: string;
	created: number;
	amount: number;
	status: string;
	customer?: string | HistoryCustomer | null;
	payment_intent?: string | { id: string } | null;
	payment_method?: string | null;
	failure_code?: string | null;
	outcome?: Record<string, unknown> | null;
	payment_method_details?: { card?: { brand?: string | null; funding?: string | null; country?: string | null; fingerprint?: string | null; network?: string | null } | null } | null;
}

interface HistoryInvoice {
	id: string;
	created: number;
	amount_due?: number;
	customer?: string | HistoryCustomer | null;
	payments?: { data?: Array<{ payment?: { payment_intent?: string | { id: string } | null } | null }> } | null;
}

/** Options of {@link loadTrainingAttempts}. */
export interface LoadTrainingAttemptsOptions {
	/** Unix seconds, inclusive. */
	from: number;
	/** Unix seconds, exclusive. */
	to: number;
	/**
	 * The customer's zone, when the caller knows better than the address (e.g. a CRM field);
	 * `undefined` falls back to {@link resolveTimeZone} on the customer's metadata, address and
	 * the card's country.
	 */
	zoneOf?: (customer: HistoryCustomer | undefined, charge: HistoryCharge) => string | undefined;
	/** How far before `from` invoices and their first charges are read (default {@link DEFAULT_HISTORY_LOOKBACK_SECONDS}). */
	lookbackSeconds?: number;
}

/** What {@link loadTrainingAttempts} read. */
export interface TrainingHistory {
	/** Retries (attempt ≥ 1) created in `[from, to)`, oldest first. */
	attempts: TrainingAttempt[];
	/** Invoices with at least one charge in `[from, to)`. */
	invoices: number;
	/** Charges in `[from, to)` that belong to an invoice (first charges included). */
	charges: number;
	/** Of `charges`, the invoices' first charges (attempt 0, not returned as attempts). */
	firstCharges: number;
	/** Charges in `[from, to)` tied to no invoice read (one-off payments, invoices older than the lookback). */
	skipped: number;
}

function customerObject(v: unknown): HistoryCustomer | undefined {
	return v && typeof v === 'object' && typeof (v as { id?: unknown }).id === 'string' ? (v as HistoryCustomer) : undefined;
}

async function collect<T extends { id: string }>(client: StripeClient, path: string, params: Record<string, unknown>, into: T[]): Promise<void> {
	for await (const item of client.list<T>(path, { ...(params as Record<string, never>), limit: 100 })) into.push(item);
}

/**
 * Every retry of an invoice made in `[from, to)`, as {@link TrainingAttempt}s for {@link train};
 * see the module comment for what is read and what counts.
 */
export async function loadTrainingAttempts(client: StripeClient, options: LoadTrainingAttemptsOptions): Promise<TrainingHistory> {
	const { from, to } = options;
	if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || to < from) throw new RangeError(`loadTrainingAttempts needs whole unix seconds with from ≤ to; got from=${String(from)}, to=${String(to)}.`);
	const since = from - (options.lookbackSeconds ?? DEFAULT_HISTORY_LOOKBACK_SECONDS);
	const created = { gte: since, lt: to };

	const invoices: HistoryInvoice[] = [];
	const charges: HistoryCharge[] = [];
	await collect(client, '/v1/invoices', { created, expand: ['data.payments', 'data.customer'] }, invoices);
	await collect(client, '/v1/charges', { created }, charges);

	const invoiceOfIntent = new Map<string, HistoryInvoice>();
	const customers = new Map<string, HistoryCustomer>();
	for (const inv of invoices) {
		for (const p of inv.payments?.data ?? []) {
			const pi = idOf(p.payment?.payment_intent);
			if (pi) invoiceOfIntent.set(pi, inv);
		}
		const c = customerObject(inv.customer);
		if (c) customers.set(c.id, c);
	}

	const byInvoice = new Map<string, { invoice: HistoryInvoice; charges: HistoryCharge[] }>();
	let skipped = 0;
	for (const ch of charges) {
		const pi = idOf(ch.payment_intent);
		const inv = pi ? invoiceOfIntent.get(pi) : undefined;
		if (!inv) {
			if (ch.created >= from) skipped++;
			continue;
		}
		const entry = byInvoice.get(inv.id) ?? { invoice: inv, charges: [] };
		entry.charges.push(ch);
		byInvoice.set(inv.id, entry);
	}

	const attempts: TrainingAttempt[] = [];
	let inRange = 0;
	let firstCharges = 0;
	let invoicesInRange = 0;
	for (const { invoice, charges: list } of byInvoice.values()) {
		list.sort((a, b) => a.created - b.created || (a.id < b.id ? -1 : 1));
		const touched = list.filter((c) => c.created >= from).length;
		if (touched === 0) continue;
		invoicesInRange++;
		inRange += touched;
		if (list[0].created >= from) firstCharges++;
		const first = list[0];
		if (first.status === 'succeeded') continue;
		const failure = fromCharge(first);
		const classification = classifyDecline(failure);
		const customerId = idOf(first.customer) ?? idOf(invoice.customer);
		const customer = customerId ? customers.get(customerId) : undefined;
		for (let i = 1; i < list.length; i++) {
			const ch = list[i];
			if (ch.created < from) continue;
			const card = ch.payment_method_details?.card ?? undefined;
			const zone =
				options.zoneOf?.(customer, ch) ??
				resolveTimeZone({ metadata: customer?.metadata ?? undefined, address: customer?.address ?? undefined, cardCountry: card?.country ?? undefined }).zone;
			const att: TrainingAttempt = {
				at: ch.created,
				zone,
				succeeded: ch.status === 'succeeded',
				declineClass: classification.class,
				firstFailureAt: first.created,
				attemptNumber: i,
				invoiceId: invoice.id,
				amount: invoice.amount_due ?? ch.amount,
			};
			const code = classification.codes.decline_code ?? failure.decline_code;
			if (code) att.declineCode = code;
			const brand = card?.network ?? card?.brand;
			if (brand) att.brand = brand.toLowerCase();
			if (card?.funding) att.funding = card.funding.toLowerCase();
			if (card?.country) att.country = card.country.toUpperCase();
			if (customerId) att.customerId = customerId;
			attempts.push(att);
		}
	}
	attempts.sort((a, b) => a.at - b.at || ((a.invoiceId ?? '') < (b.invoiceId ?? '') ? -1 : 1) || (a.attemptNumber ?? 0) - (b.attemptNumber ?? 0));
	return { attempts, invoices: invoicesInRange, charges: inRange, firstCharges, skipped };
}

/** Options of {@link loadCardHistory}. */
export interface LoadCardHistoryOptions {
	customerId: string;
	/** Only attempts on this payment method (or on a card with `fingerprint`); both absent: every card of the customer. */
	paymentMethodId?: string;
	fingerprint?: string;
	/** Unix seconds, inclusive. */
	since: number;
	/** Unix seconds, exclusive (default: no end). */
	until?: number;
}

/** A charge as a network-rule {@link Attempt} (`outcome`, card, the network's codes from `charge.outcome`). */
export function chargeToAttempt(charge: HistoryCharge): Attempt | undefined {
	return toAttempt(fromCharge(charge));
}

/**
 * Every attempt (charge) on the customer's card(s) created from `since` on, oldest first, as the
 * network rules count them: `GET /v1/charges?customer=…&created[gte]=…`, paginated with
 * `limit=100`. With `paymentMethodId` or `fingerprint`, only the attempts on that card
 * ({@link sameCard}: a shared fingerprint or payment method).
 */
export async function loadCardHistory(client: StripeClient, options: LoadCardHistoryOptions): Promise<Attempt[]> {
	const created: Record<string, number> = { gte: options.since };
	if (options.until !== undefined) created.lt = options.until;
	const charges: HistoryCharge[] = [];
	await collect(client, '/v1/charges', { customer: options.customerId, created }, charges);
	const ref: CardRef = {};
	if (options.paymentMethodId) ref.paymentMethodId = options.paymentMethodId;
	if (options.fingerprint) ref.cardFingerprint = options.fingerprint;
	const filter = ref.paymentMethodId !== undefined || ref.cardFingerprint !== undefined;
	const out: Attempt[] = [];
	for (const ch of charges) {
		const a = chargeToAttempt(ch);
		if (!a) continue;
		if (filter && !(a.cardFingerprint || a.paymentMethodId)) continue;
		if (filter && !sameCard(ref, a)) continue;
		out.push(a);
	}
	return out.sort((a, b) => a.at - b.at);
}

/**
 * The failed-payment funnel (issue 12), pure: from invoices, their charges and (optionally) the
 * subscriptions, as Stripe returns them.
 *
 * A charge belongs to an invoice through the invoice's `payments` (2025-03-31 and later: each
 * names its PaymentIntent or charge; every retry of an invoice is a new charge on the same
 * PaymentIntent), or the older `invoice.payment_intent` / `invoice.charge` / `charge.invoice`.
 * - failed: an invoice with at least one charge whose `status` is `failed`;
 * - recovered by retry: a later charge succeeded on the payment method of the first failed charge
 *   (`payment_method`, else the card's `fingerprint` when a charge has no payment method id);
 * - recovered by card update: a later charge succeeded on a different payment method;
 * - recovered otherwise: the invoice is `paid` without a succeeding charge (paid out of band, by
 *   credit balance or a credit note);
 * - lost: `void`, `uncollectible`, or churned (still open while its subscription has ended, or is
 *   `canceled`/`incomplete_expired`); open invoices whose subscription is alive are `pending`.
 * Amounts are minor units per currency: failed = the invoice's `amount_due`, recovered = what the
 * succeeding charge paid (else the invoice's `amount_paid`). Recovery rate = recovered ÷ failed,
 * per currency and in the reporting currency (`toReportingCurrency`, rounded once per total).
 */
import { toReportingCurrency } from '../crm/mrr';
import { idOf, invoicePaymentRefs, invoiceSubscriptionId, type InvoiceLike } from './shapes';

export interface ChargeLike {
	id: string;
	created: number;
	amount: number;
	amount_captured?: number;
	currency: string;
	status: string;
	payment_intent?: string | { id: string } | null;
	/** Older versions. */
	invoice?: string | { id: string } | null;
	payment_method?: string | null;
	payment_method_details?: { card?: { fingerprint?: string | null } | null } | null;
}

export interface SubscriptionStatusLike {
	id: string;
	status: string;
	ended_at?: number | null;
}

export const FAILED_OUTCOMES = ['recoveredByRetry', 'recoveredByCardUpdate', 'recoveredOther', 'churned', 'uncollectible', 'void', 'pending'] as const;
export type FailedOutcome = (typeof FAILED_OUTCOMES)[number];

export interface FailedInvoice {
	invoiceId: string;
	customerId: string | null;
	subscriptionId: string | null;
	currency: string;
	firstFailureAt: number;
	failedAttempts: number;
	outcome: FailedOutcome;
	amountFailed: number;
	amountRecovered: number;
}

export interface FunnelTotals {
	invoices: number;
	amount: Record<string, number>;
	reporting: number;
}

export interface FailedPaymentFunnel {
	failed: FunnelTotals;
	outcomes: Record<FailedOutcome, FunnelTotals>;
	recovered: FunnelTotals;
	lost: FunnelTotals;
	/** Recovered ÷ failed amount, per currency and in the reporting currency. */
	recoveryRate: { byCurrency: Record<string, number>; reporting: number | null };
	invoices: FailedInvoice[];
}

const LOST: ReadonlySet<FailedOutcome> = new Set(['churned', 'uncollectible', 'void']);
const RECOVERED: ReadonlySet<FailedOutcome> = new Set(['recoveredByRetry', 'recoveredByCardUpdate', 'recoveredOther']);

function methodKey(c: ChargeLike): { id?: string; fingerprint?: string } {
	return { id: c.payment_method ?? undefined, fingerprint: c.payment_method_details?.card?.fingerprint ?? undefined };
}

function sameMethod(a: ChargeLike, b: ChargeLike): boolean {
	const x = methodKey(a);
	const y = methodKey(b);
	if (x.id && y.id) return x.id === y.id;
	return !!x.fingerprint && x.fingerprint === y.fingerprint;
}

/** The charges of each invoice, oldest first. */
export function chargesByInvoice(invoices: readonly InvoiceLike[], charges: readonly ChargeLike[]): Map<string, ChargeLike[]> {
	const byPi = new Map<string, string>();
	const byCharge = new Map<string, string>();
	for (const inv of invoices) {
		const refs = invoicePaymentRefs(inv);
		for (const pi of refs.paymentIntents) byPi.set(pi, inv.id);
		for (const ch of refs.charges) byCharge.set(ch, inv.id);
	}
	const out = new Map<string, ChargeLike[]>();
	for (const c of charges) {
		const inv = byCharge.get(c.id) ?? idOf(c.invoice) ?? byPi.get(idOf(c.payment_intent) ?? '');
		if (!inv) continue;
		const list = out.get(inv) ?? [];
		list.push(c);
		out.set(inv, list);
	}
	for (const list of out.values()) list.sort((a, b) => a.created - b.created || a.id.localeCompare(b.id));
	return out;
}

function emptyTotals(): FunnelTotals {
	return { invoices: 0, amount: {}, reporting: 0 };
}

/** The failed-payment funnel (see the module comment). */
export function failedPaymentFunnel(
	input: { invoices: readonly InvoiceLike[]; charges: readonly ChargeLike[]; subscriptions?: readonly SubscriptionStatusLike[] },
	options: { reportingCurrency: string; rates?: Record<string, number> },
): FailedPaymentFunnel {
	const subs = new Map((input.subscriptions ?? []).map((s) => [s.id, s]));
	const charges = chargesByInvoice(input.invoices, input.charges);
	const invoices: FailedInvoice[] = [];
	for (const inv of input.invoices) {
		const list = charges.get(inv.id) ?? [];
		const firstFailed = list.find((c) => c.status === 'failed');
		if (!firstFailed) continue;
		const after = list.filter((c) => c.created >= firstFailed.created && c !== firstFailed);
		const success = after.find((c) => c.status === 'succeeded');
		const subscriptionId = invoiceSubscriptionId(inv) ?? null;
		const sub = subscriptionId ? subs.get(subscriptionId) : undefined;
		let outcome: FailedOutcome;
		let amountRecovered = 0;
		if (success) {
			outcome = sameMethod(success, firstFailed) ? 'recoveredByRetry' : 'recoveredByCardUpdate';
			amountRecovered = success.amount_captured ?? success.amount;
		} else if (inv.status === 'paid') {
			outcome = 'recoveredOther';
			amountRecovered = inv.amount_paid ?? inv.amount_due ?? 0;
		} else if (inv.status === 'void') outcome = 'void';
		else if (inv.status === 'uncollectible') outcome = 'uncollectible';
		else if (sub && (sub.status === 'canceled' || sub.status === 'incomplete_expired' || sub.ended_at != null)) outcome = 'churned';
		else outcome = 'pending';
		invoices.push({
			invoiceId: inv.id,
			customerId: idOf(inv.customer) ?? null,
			subscriptionId,
			currency: inv.currency,
			firstFailureAt: firstFailed.created,
			failedAttempts: list.filter((c) => c.status === 'failed').length,
			outcome,
			amountFailed: inv.amount_due ?? firstFailed.amount,
			amountRecovered,
		});
	}
	const failed = emptyTotals();
	const recovered = emptyTotals();
	const lost = emptyTotals();
	const outcomes = Object.fromEntries(FAILED_OUTCOMES.map((o) => [o, emptyTotals()])) as Record<FailedOutcome, FunnelTotals>;
	const bump = (t: FunnelTotals, currency: string, amount: number) => {
		t.invoices++;
		t.amount[currency] = (t.amount[currency] ?? 0) + amount;
	};
	for (const f of invoices) {
		bump(failed, f.currency, f.amountFailed);
		const amount = RECOVERED.has(f.outcome) ? f.amountRecovered : f.amountFailed;
		bump(outcomes[f.outcome], f.currency, amount);
		if (RECOVERED.has(f.outcome)) bump(recovered, f.currency, f.amountRecovered);
		if (LOST.has(f.outcome)) bump(lost, f.currency, f.amountFailed);
	}
	const rates = options.rates ?? {};
	for (const t of [failed, recovered, lost, ...Object.values(outcomes)]) t.reporting = toReportingCurrency(t.amount, options.reportingCurrency, rates);
	const byCurrency: Record<string, number> = {};
	for (const [c, a] of Object.entries(failed.amount)) if (a > 0) byCurrency[c] = (recovered.amount[c] ?? 0) / a;
	return {
		failed,
		outcomes,
		recovered,
		lost,
		recoveryRate: { byCurrency, reporting: failed.reporting > 0 ? recovered.reporting / failed.reporting : null },
		invoices,
	};
}

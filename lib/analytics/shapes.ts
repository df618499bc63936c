/**
 * The Stripe shapes the analytics read (issue 12), minimal and in both API generations: from
 * 2025-03-31 (and in 2026-10-28.endive) an invoice's subscription is under
 * `parent.subscription_details.subscription`, a line's under
 * `parent.subscription_item_details.subscription` (or `parent.invoice_item_details.subscription`)
 * and its price under `pricing.price_details.price`; older versions have flat `subscription` and
 * `price` fields. Both are read, the newer first. Also UTC month boundaries and period labels.
 */
import { idOf } from '../ids';

/** The id of a Stripe reference, expanded or not (lib/ids.ts). */
export { idOf };

export interface InvoiceLineLike {
	id?: string;
	amount?: number;
	currency?: string;
	quantity?: number | null;
	period?: { start: number; end: number } | null;
	/** 2025-03-31 and later. */
	parent?: {
		type?: string;
		subscription_item_details?: { subscription?: string | null; subscription_item?: string | null; proration?: boolean } | null;
		invoice_item_details?: { subscription?: string | null; proration?: boolean } | null;
	} | null;
	pricing?: { price_details?: { price?: string | { id: string } | null; product?: string | null } | null } | null;
	/** Older versions. */
	subscription?: string | { id: string } | null;
	price?: string | { id: string } | null;
	proration?: boolean;
}

export interface InvoiceLike {
	id: string;
	customer?: string | { id: string } | null;
	status: string | null;
	currency: string;
	created: number;
	billing_reason?: string | null;
	amount_due?: number;
	amount_paid?: number;
	amount_remaining?: number;
	total?: number;
	attempt_count?: number;
	status_transitions?: { paid_at?: number | null; voided_at?: number | null; marked_uncollectible_at?: number | null } | null;
	lines?: { data: InvoiceLineLike[] } | null;
	/** 2025-03-31 and later. */
	parent?: { subscription_details?: { subscription?: string | { id: string } | null } | null } | null;
	/** Older versions. */
	subscription?: string | { id: string } | null;
	/** 2025-03-31 and later: the payments (expand `payments`). */
	payments?: { data?: Array<{ status?: string; payment?: { type?: string; payment_intent?: string | { id: string } | null; charge?: string | { id: string } | null } | null }> } | null;
	/** Older versions. */
	payment_intent?: string | { id: string } | null;
	charge?: string | { id: string } | null;
	total_taxes?: Array<{ amount: number; taxable_amount?: number | null; tax_rate_details?: { tax_rate: string | TaxRateLike } | null }> | null;
}

/** A tax rate as Stripe returns it (the fields lib/export/tax.ts reads). */
export interface TaxRateLike {
	id: string;
	display_name?: string;
	percentage?: number;
	effective_percentage?: number | null;
	jurisdiction?: string | null;
	country?: string | null;
	state?: string | null;
	tax_type?: string | null;
	inclusive?: boolean;
}

/** A line's subscription, newer fields first. */
export function lineSubscriptionId(line: InvoiceLineLike): string | undefined {
	return idOf(line.parent?.subscription_item_details?.subscription) ?? idOf(line.parent?.invoice_item_details?.subscription) ?? idOf(line.subscription);
}

/** A line's price id, newer fields first. */
export function linePriceId(line: InvoiceLineLike): string | undefined {
	return idOf(line.pricing?.price_details?.price) ?? idOf(line.price);
}

/** Whether a line is a proration (either generation). */
export function isProration(line: InvoiceLineLike): boolean {
	return line.parent?.subscription_item_details?.proration === true || line.parent?.invoice_item_details?.proration === true || line.proration === true;
}

/** An invoice's subscription: the invoice's parent, the flat field, else its first subscription line. */
export function invoiceSubscriptionId(inv: InvoiceLike): string | undefined {
	const direct = idOf(inv.parent?.subscription_details?.subscription) ?? idOf(inv.subscription);
	if (direct) return direct;
	for (const line of inv.lines?.data ?? []) {
		const s = lineSubscriptionId(line);
		if (s) return s;
	}
	return undefined;
}

/** The PaymentIntents and charges that paid or tried to pay an invoice (either generation). */
export function invoicePaymentRefs(inv: InvoiceLike): { paymentIntents: Set<string>; charges: Set<string> } {
	const paymentIntents = new Set<string>();
	const charges = new Set<string>();
	for (const p of inv.payments?.data ?? []) {
		const pi = idOf(p.payment?.payment_intent);
		const ch = idOf(p.payment?.charge);
		if (pi) paymentIntents.add(pi);
		if (ch) charges.add(ch);
	}
	const pi = idOf(inv.payment_intent);
	const ch = idOf(inv.charge);
	if (pi) paymentIntents.add(pi);
	if (ch) charges.add(ch);
	return { paymentIntents, charges };
}

/** Unix seconds of the UTC month start containing `t`. */
export function utcMonthStart(t: number): number {
	const d = new Date(t * 1000);
	return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / 1000;
}

/** Unix seconds of the UTC month start `n` months after the one containing `t`. */
export function addUtcMonths(t: number, n: number): number {
	const d = new Date(t * 1000);
	return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1) / 1000;
}

/**
 * Boundaries of the UTC calendar months covering [from, to): the start of `from`'s month, each
 * following month start, up to the first month start at or after `to`. n + 1 boundaries, n months.
 */
export function utcMonthBoundaries(from: number, to: number): number[] {
	if (!(to > from)) throw new RangeError('The range is empty: `to` must be after `from`.');
	const out = [utcMonthStart(from)];
	while (out[out.length - 1] < to) out.push(addUtcMonths(out[out.length - 1], 1));
	return out;
}

/** `2026-03` for a UTC month start, else the UTC date `2026-03-15`. */
export function periodLabel(start: number): string {
	const iso = new Date(start * 1000).toISOString();
	return utcMonthStart(start) === start ? iso.slice(0, 7) : iso.slice(0, 10);
}

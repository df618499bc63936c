/**
 * Collected tax and revenue net of tax per period (issue 12), pure: from paid invoices (with
 * `total_taxes.tax_rate_details.tax_rate` expanded, or the rates passed in by id) and refunds as
 * Stripe returns them. The tax by jurisdiction and rate is lib/export/tax.ts's `taxSummary` over
 * the same `InvoiceTax` records the Balance Export reads; this adds the revenue per period (UTC
 * month, quarter or year of payment) and currency, in minor units:
 * - gross: the paid invoices' `total` (tax included, whether exclusive or inclusive);
 * - tax: their `total_taxes` amounts; net of tax = gross − tax;
 * - refunds (status `succeeded`) in the period they were made, tied to their invoice through the
 *   PaymentIntent or charge (a refund of no given paid invoice is left out and listed in
 *   `unmatchedRefunds`: its revenue was never counted either); a refund's tax share is the invoice's tax ÷ total (rounded per refund), so
 *   refunded net = refund − that share, and net revenue = net of tax − refunded net.
 * Tax refunded is reported, not deducted from `taxSummary`'s collected tax (a credit note with
 * its own tax lines is the exact record; the proportional share is our approximation).
 */
import { toReportingCurrency } from '../crm/mrr';
import { periodOf, rateInfo, taxSummary, type InvoiceTax, type TaxPeriod, type TaxRateInfo, type TaxSummaryRow } from '../export/tax';
import { idOf, invoicePaymentRefs, type InvoiceLike, type TaxRateLike } from './shapes';

export interface RefundLike {
	id: string;
	amount: number;
	currency: string;
	created: number;
	status?: string | null;
	payment_intent?: string | { id: string } | null;
	charge?: string | { id: string } | null;
}

export interface RevenueRow {
	period: string;
	currency: string;
	invoices: number;
	gross: number;
	tax: number;
	netOfTax: number;
	refunded: number;
	refundedTax: number;
	/** netOfTax − (refunded − refundedTax). */
	netRevenue: number;
}

export interface TaxReport {
	tax: TaxSummaryRow[];
	revenue: RevenueRow[];
	/** Net revenue per period in the reporting currency (when one is given). */
	netRevenueReporting: Record<string, number>;
	/** Refunds of no paid invoice in the input (left out). */
	unmatchedRefunds: string[];
}

/** A Stripe tax rate as lib/export/tax.ts's `TaxRateInfo` (the same conversion). */
export const toTaxRateInfo: (raw: TaxRateLike) => TaxRateInfo = rateInfo;

/** A paid invoice as an `InvoiceTax` record; a rate given by id is looked up in `rates` (an error names a missing one). */
export function toInvoiceTax(inv: InvoiceLike, rates: Record<string, TaxRateLike> = {}): InvoiceTax {
	const lines: InvoiceTax['lines'] = [];
	for (const t of inv.total_taxes ?? []) {
		const r = t.tax_rate_details?.tax_rate;
		if (!r) continue;
		const raw = typeof r === 'string' ? rates[r] : r;
		if (!raw) throw new RangeError(`Tax rate ${String(r)} of invoice ${inv.id} is not expanded: expand total_taxes.tax_rate_details.tax_rate or pass the rate.`);
		lines.push({ rate: toTaxRateInfo(raw), amount: t.amount, taxable: t.taxable_amount ?? 0 });
	}
	return { invoiceId: inv.id, currency: inv.currency, paidAt: inv.status_transitions?.paid_at ?? inv.created, paymentIntents: [...invoicePaymentRefs(inv).paymentIntents], lines };
}

/** Collected tax by jurisdiction and rate (`taxSummary`) and revenue net of tax per period (see the module comment). */
export function taxReport(
	input: { invoices: readonly InvoiceLike[]; refunds?: readonly RefundLike[] },
	options: { period?: TaxPeriod; taxRates?: Record<string, TaxRateLike>; reportingCurrency?: string; rates?: Record<string, number> } = {},
): TaxReport {
	const period = options.period ?? 'month';
	const paid = input.invoices.filter((i) => i.status === 'paid');
	const records = paid.map((i) => toInvoiceTax(i, options.taxRates));
	const rows = new Map<string, RevenueRow>();
	const row = (p: string, currency: string): RevenueRow => {
		const key = `${p}\u0000${currency}`;
		let r = rows.get(key);
		if (!r) rows.set(key, (r = { period: p, currency, invoices: 0, gross: 0, tax: 0, netOfTax: 0, refunded: 0, refundedTax: 0, netRevenue: 0 }));
		return r;
	};
	const byRef = new Map<string, { total: number; tax: number }>();
	paid.forEach((inv, i) => {
		const rec = records[i];
		const total = inv.total ?? inv.amount_paid ?? 0;
		const tax = rec.lines.reduce((s, l) => s + l.amount, 0);
		const r = row(periodOf(rec.paidAt, period), inv.currency);
		r.invoices++;
		r.gross += total;
		r.tax += tax;
		const refs = invoicePaymentRefs(inv);
		for (const ref of [...refs.paymentIntents, ...refs.charges]) byRef.set(ref, { total, tax });
	});
	const unmatchedRefunds: string[] = [];
	for (const rf of input.refunds ?? []) {
		if (rf.status && rf.status !== 'succeeded') continue;
		const inv = byRef.get(idOf(rf.payment_intent) ?? '') ?? byRef.get(idOf(rf.charge) ?? '');
		if (!inv) {
			unmatchedRefunds.push(rf.id);
			continue;
		}
		const r = row(periodOf(rf.created, period), rf.currency);
		r.refunded += rf.amount;
		if (inv.total > 0) r.refundedTax += Math.round((rf.amount * inv.tax) / inv.total);
	}
	const revenue = [...rows.values()].sort((a, b) => a.period.localeCompare(b.period) || a.currency.localeCompare(b.currency));
	const perPeriod: Record<string, Record<string, number>> = {};
	for (const r of revenue) {
		r.netOfTax = r.gross - r.tax;
		r.netRevenue = r.netOfTax - (r.refunded - r.refundedTax);
		(perPeriod[r.period] ??= {})[r.currency] = r.netRevenue;
	}
	const netRevenueReporting: Record<string, number> = {};
	if (options.reportingCurrency) for (const [p, m] of Object.entries(perPeriod)) netRevenueReporting[p] = toReportingCurrency(m, options.reportingCurrency, options.rates ?? {});
	return { tax: taxSummary(records, period), revenue, netRevenueReporting, unmatchedRefunds };
}

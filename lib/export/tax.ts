/**
 * Tax collected through invoices (issue 10): per jurisdiction and rate, from the invoices'
 * `total_taxes` (Stripe Tax or tax rates; API versions from 2025 on, where `total_taxes[]` holds
 * `{amount, taxable_amount, tax_rate_details: {tax_rate}}`), with the tax rate's jurisdiction,
 * country, state, type and percentage. Used twice: the journal books a charge's revenue net of its
 * invoice's tax and the tax payable per jurisdiction; Tax Summary totals what a VAT/GST return needs.
 */
import type { StripeClient } from '../stripe/client';
import type { TaxLine } from './journal';

export interface TaxRateInfo {
	id: string;
	displayName: string;
	percentage: number;
	jurisdiction: string | null;
	country: string | null;
	state: string | null;
	taxType: string | null;
	inclusive: boolean;
}

export interface InvoiceTax {
	invoiceId: string;
	currency: string;
	/** Unix seconds the invoice was paid (status_transitions.paid_at), else created. */
	paidAt: number;
	/** The payment intents that paid it (to find a charge's invoice). */
	paymentIntents: string[];
	lines: Array<{ rate: TaxRateInfo; amount: number; taxable: number }>;
}

/** A Stripe tax rate object (the fields read). */
export type RawRate = { id: string; display_name?: string; percentage?: number; effective_percentage?: number | null; jurisdiction?: string | null; country?: string | null; state?: string | null; tax_type?: string | null; inclusive?: boolean };

/** A Stripe tax rate as a {@link TaxRateInfo} (the effective percentage when Stripe gives one). */
export function rateInfo(raw: RawRate): TaxRateInfo {
	return {
		id: raw.id,
		displayName: raw.display_name ?? 'Tax',
		percentage: raw.effective_percentage ?? raw.percentage ?? 0,
		jurisdiction: raw.jurisdiction ?? null,
		country: raw.country ?? null,
		state: raw.state ?? null,
		taxType: raw.tax_type ?? null,
		inclusive: raw.inclusive === true,
	};
}

/** `DE VAT 19%`, `CA-ON HST 13%`, `US-CA sales_tax 7.25%`: the tax payable sub-account. */
export function taxLabel(rate: TaxRateInfo): string {
	const where = [rate.country, rate.state].filter(Boolean).join('-') || rate.jurisdiction || 'XX';
	const type = (rate.taxType ?? rate.displayName).toUpperCase().replace(/_/g, ' ');
	return `${where} ${type} ${rate.percentage}%`;
}

/**
 * The paid invoices of [from, to) with their tax (two levels expanded: the tax rates and the
 * payments), page by page. A tax rate that comes back as an id is fetched once.
 */
export async function loadInvoiceTaxes(client: StripeClient, range: { from: number; to: number }): Promise<InvoiceTax[]> {
	const rates = new Map<string, TaxRateInfo>();
	const out: InvoiceTax[] = [];
	const pending: Array<{ tax: InvoiceTax; raw: Array<{ id: string; amount: number; taxable: number }> }> = [];
	for await (const inv of client.list<{
		id: string;
		currency: string;
		status: string;
		created: number;
		status_transitions?: { paid_at?: number | null };
		total_taxes?: Array<{ amount: number; taxable_amount?: number | null; tax_rate_details?: { tax_rate: string | RawRate } | null }> | null;
		payments?: { data?: Array<{ payment?: { payment_intent?: string | { id: string } | null } }> };
	}>('/v1/invoices', { status: 'paid', created: { gte: range.from, lt: range.to }, limit: 100, expand: ['data.total_taxes.tax_rate_details.tax_rate', 'data.payments'] })) {
		const tax: InvoiceTax = {
			invoiceId: inv.id,
			currency: inv.currency,
			paidAt: inv.status_transitions?.paid_at ?? inv.created,
			paymentIntents: (inv.payments?.data ?? []).map((p) => p.payment?.payment_intent).map((pi) => (typeof pi === 'string' ? pi : pi?.id)).filter((pi): pi is string => !!pi),
			lines: [],
		};
		const raw: Array<{ id: string; amount: number; taxable: number }> = [];
		for (const t of inv.total_taxes ?? []) {
			const r = t.tax_rate_details?.tax_rate;
			if (!r) continue;
			if (typeof r === 'string') raw.push({ id: r, amount: t.amount, taxable: t.taxable_amount ?? 0 });
			else {
				const info = rateInfo(r);
				rates.set(info.id, info);
				tax.lines.push({ rate: info, amount: t.amount, taxable: t.taxable_amount ?? 0 });
			}
		}
		pending.push({ tax, raw });
		out.push(tax);
	}
	for (const { tax, raw } of pending) {
		for (const r of raw) {
			let info = rates.get(r.id);
			if (!info) {
				info = rateInfo(await client.get<RawRate>(`/v1/tax_rates/${encodeURIComponent(r.id)}`));
				rates.set(r.id, info);
			}
			tax.lines.push({ rate: info, amount: r.amount, taxable: r.taxable });
		}
	}
	return out;
}

/** The tax lines of each payment intent (for the journal: a charge's `source.payment_intent`). */
export function taxByPaymentIntent(invoices: readonly InvoiceTax[]): Map<string, TaxLine[]> {
	const out = new Map<string, TaxLine[]>();
	for (const inv of invoices) {
		const lines = inv.lines.map((l) => ({ label: taxLabel(l.rate), amount: l.amount, currency: inv.currency }));
		for (const pi of inv.paymentIntents) out.set(pi, lines);
	}
	return out;
}

export type TaxPeriod = 'month' | 'quarter' | 'year';

export interface TaxSummaryRow {
	period: string;
	jurisdiction: string;
	country: string | null;
	state: string | null;
	taxType: string | null;
	rate: number;
	currency: string;
	/** Minor units of `currency`. */
	taxable: number;
	tax: number;
	invoices: number;
}

/** The period a time falls in, UTC: `2026`, `2026-Q2`, `2026-06`. */
export function periodOf(t: number, period: TaxPeriod): string {
	const d = new Date(t * 1000);
	const y = d.getUTCFullYear();
	if (period === 'year') return String(y);
	if (period === 'quarter') return `${y}-Q${Math.floor(d.getUTCMonth() / 3) + 1}`;
	return `${y}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** Collected tax by period (of payment, UTC), jurisdiction, rate and currency, largest first within a period. */
export function taxSummary(invoices: readonly InvoiceTax[], period: TaxPeriod = 'month'): TaxSummaryRow[] {
	const rows = new Map<string, TaxSummaryRow>();
	for (const inv of invoices) {
		const p = periodOf(inv.paidAt, period);
		const counted = new Set<string>();
		for (const l of inv.lines) {
			const label = taxLabel(l.rate);
			const key = `${p}\u0000${label}\u0000${inv.currency}`;
			const row = rows.get(key) ?? { period: p, jurisdiction: label, country: l.rate.country, state: l.rate.state, taxType: l.rate.taxType, rate: l.rate.percentage, currency: inv.currency, taxable: 0, tax: 0, invoices: 0 };
			row.taxable += l.taxable;
			row.tax += l.amount;
			if (!counted.has(key)) row.invoices++;
			counted.add(key);
			rows.set(key, row);
		}
	}
	return [...rows.values()].sort((a, b) => a.period.localeCompare(b.period) || a.jurisdiction.localeCompare(b.jurisdiction) || a.currency.localeCompare(b.currency));
}

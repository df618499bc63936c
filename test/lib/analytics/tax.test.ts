/** Collected tax (lib/export/tax.ts's taxSummary) and revenue net of tax and refunds per period, hand-computed. */
import { taxReport, type InvoiceLike, type RefundLike, type TaxRateLike } from '../../../lib/analytics';
import { RATES, T } from './fixture';

const DE_VAT: TaxRateLike = { id: 'txr_de', display_name: 'VAT', percentage: 19, country: 'DE', tax_type: 'vat', jurisdiction: 'DE' };
const US_CA: TaxRateLike = { id: 'txr_ca', display_name: 'Sales tax', percentage: 7.25, country: 'US', state: 'CA', tax_type: 'sales_tax' };
const FR_VAT: TaxRateLike = { id: 'txr_fr', display_name: 'TVA', percentage: 20, country: 'FR', tax_type: 'vat', inclusive: true };

const paid = (id: string, at: number, currency: string, total: number, tax: number, taxable: number, rate: string | TaxRateLike, pi: string): InvoiceLike => ({
	id,
	status: 'paid',
	currency,
	created: at,
	total,
	amount_paid: total,
	status_transitions: { paid_at: at },
	total_taxes: [{ amount: tax, taxable_amount: taxable, tax_rate_details: { tax_rate: rate } }],
	payments: { data: [{ payment: { payment_intent: pi } }] },
});

const invoices: InvoiceLike[] = [
	paid('in_1', T(2026, 1, 10), 'usd', 11900, 1900, 10000, DE_VAT, 'pi_1'), // 100.00 + 19 % = 119.00
	paid('in_2', T(2026, 1, 20), 'usd', 4290, 290, 4000, US_CA, 'pi_2'), // 40.00 + 7.25 % = 42.90
	paid('in_3', T(2026, 2, 10), 'usd', 11900, 1900, 10000, 'txr_de', 'pi_3'), // the rate by id, passed in
	paid('in_4', T(2026, 3, 8), 'eur', 2500, 417, 2083, FR_VAT, 'pi_4'), // 25.00 tax included: 2,500 × 20/120 = 416.67 → 417
	{ id: 'in_open', status: 'open', currency: 'usd', created: T(2026, 3, 1), total: 9999 }, // not paid: left out
];
// Half of in_3 refunded in March: its tax share 5,950 × 1,900 / 11,900 = 950, net 5,000.
const refunds: RefundLike[] = [
	{ id: 're_1', amount: 5950, currency: 'usd', created: T(2026, 3, 2), status: 'succeeded', payment_intent: 'pi_3' },
	{ id: 're_2', amount: 100, currency: 'usd', created: T(2026, 3, 3), status: 'failed', payment_intent: 'pi_1' }, // not made: left out
	{ id: 're_3', amount: 700, currency: 'usd', created: T(2026, 3, 4), status: 'succeeded', charge: 'ch_one_off' }, // no invoice here: left out, listed
];

describe('tax and revenue net of tax', () => {
	it('per month: tax by jurisdiction and rate, revenue net of tax and of refunds', () => {
		const r = taxReport({ invoices, refunds }, { period: 'month', taxRates: { txr_de: DE_VAT }, reportingCurrency: 'usd', rates: RATES });
		expect(r.tax.map((t) => [t.period, t.jurisdiction, t.currency, t.taxable, t.tax, t.invoices])).toEqual([
			['2026-01', 'DE VAT 19%', 'usd', 10000, 1900, 1],
			['2026-01', 'US-CA SALES TAX 7.25%', 'usd', 4000, 290, 1],
			['2026-02', 'DE VAT 19%', 'usd', 10000, 1900, 1],
			['2026-03', 'FR VAT 20%', 'eur', 2083, 417, 1],
		]);
		expect(r.revenue).toEqual([
			// Jan: 11,900 + 4,290 = 16,190 gross, 1,900 + 290 = 2,190 tax, 14,000 net
			{ period: '2026-01', currency: 'usd', invoices: 2, gross: 16190, tax: 2190, netOfTax: 14000, refunded: 0, refundedTax: 0, netRevenue: 14000 },
			{ period: '2026-02', currency: 'usd', invoices: 1, gross: 11900, tax: 1900, netOfTax: 10000, refunded: 0, refundedTax: 0, netRevenue: 10000 },
			{ period: '2026-03', currency: 'eur', invoices: 1, gross: 2500, tax: 417, netOfTax: 2083, refunded: 0, refundedTax: 0, netRevenue: 2083 },
			// Mar USD: only the refund, 0 − (5,950 − 950) = −5,000
			{ period: '2026-03', currency: 'usd', invoices: 0, gross: 0, tax: 0, netOfTax: 0, refunded: 5950, refundedTax: 950, netRevenue: -5000 },
		]);
		// Mar in USD: −5,000 + 2,083 × 1.1 = −2,708.7 → −2,709
		expect(r.netRevenueReporting).toEqual({ '2026-01': 14000, '2026-02': 10000, '2026-03': -2709 });
		expect(r.unmatchedRefunds).toEqual(['re_3']);
	});

	it('per quarter and per year', () => {
		const q = taxReport({ invoices, refunds }, { period: 'quarter', taxRates: { txr_de: DE_VAT }, reportingCurrency: 'usd', rates: RATES });
		// Q1 USD: gross 16,190 + 11,900 = 28,090, tax 4,090, net of tax 24,000, refunds net 5,000 → 19,000
		expect(q.revenue.find((x) => x.currency === 'usd')).toEqual({ period: '2026-Q1', currency: 'usd', invoices: 3, gross: 28090, tax: 4090, netOfTax: 24000, refunded: 5950, refundedTax: 950, netRevenue: 19000 });
		expect(q.netRevenueReporting).toEqual({ '2026-Q1': 21291 }); // 19,000 + 2,083 × 1.1 = 21,291.3
		expect(q.tax.find((t) => t.jurisdiction === 'DE VAT 19%')).toMatchObject({ period: '2026-Q1', tax: 3800, invoices: 2 });
		expect(taxReport({ invoices, refunds }, { period: 'year', taxRates: { txr_de: DE_VAT } }).revenue.map((x) => [x.period, x.currency, x.netRevenue])).toEqual([
			['2026', 'eur', 2083],
			['2026', 'usd', 19000],
		]);
	});

	it('a rate that is neither expanded nor passed in is an error naming it', () => {
		expect(() => taxReport({ invoices })).toThrow('Tax rate txr_de of invoice in_3 is not expanded');
	});
});

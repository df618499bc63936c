import { DEFAULT_CHART, hledgerJournal, journalCsvRows, journalEntry, toExportRow, type BalanceTransactionLike } from '../../../lib/export';

const bt = (over: Partial<BalanceTransactionLike>): BalanceTransactionLike => ({
	id: 'txn_1',
	amount: 0,
	fee: 0,
	net: 0,
	currency: 'usd',
	created: Date.UTC(2026, 4, 2, 10) / 1000,
	available_on: Date.UTC(2026, 4, 4) / 1000,
	status: 'available',
	type: 'charge',
	reporting_category: 'charge',
	exchange_rate: null,
	description: null,
	source: 'ch_1',
	...over,
});

describe('journal entries', () => {
	it('a zero-decimal (JPY) charge with tax books exact yen', () => {
		const row = toExportRow(bt({ currency: 'jpy', amount: 11000, fee: 390, net: 10610, fee_details: [{ amount: 390, currency: 'jpy', type: 'stripe_fee' }] }));
		const e = journalEntry(row, DEFAULT_CHART, [{ label: 'JP JCT 10%', amount: 1000, currency: 'jpy' }]);
		expect(e.lines.map((l) => [l.account, l.debitDecimal, l.creditDecimal])).toEqual([
			['Assets:Stripe Clearing', '10610', '0'],
			['Expenses:Stripe Fees', '390', '0'],
			['Income:Sales', '0', '10000'],
			['Liabilities:Tax Payable:JP JCT 10%', '0', '1000'],
		]);
	});
	it('a three-decimal (KWD) refund keeps the third decimal', () => {
		const row = toExportRow(bt({ currency: 'kwd', type: 'refund', reporting_category: 'refund', amount: -12345, net: -12345, source: 're_1' }));
		const e = journalEntry(row);
		expect(e.lines.map((l) => [l.account, l.debitDecimal, l.creditDecimal])).toEqual([
			['Income:Refunds', '12.345', '0.000'],
			['Assets:Stripe Clearing', '0.000', '12.345'],
		]);
		expect(hledgerJournal([e])).toContain('Income:Refunds  12.345 KWD');
	});
	it('FX: the settlement amount is booked, the original amount and rate recorded; tax converted at the rate', () => {
		const row = toExportRow(bt({ amount: 5400, fee: 187, net: 5213, exchange_rate: 1.08, source: { id: 'ch_2', object: 'charge', amount: 5000, currency: 'eur', customer: 'cus_1', payment_intent: 'pi_1' } }));
		expect(row).toMatchObject({ originalCurrency: 'eur', originalAmount: 5000, customerId: 'cus_1', paymentIntentId: 'pi_1' });
		const e = journalEntry(row, DEFAULT_CHART, [{ label: 'DE VAT 19%', amount: 798, currency: 'eur' }]);
		const tax = e.lines.find((l) => l.role === 'taxPayable');
		expect(tax?.credit).toBe(862); // 7.98 EUR × 1.08 = 8.6184 USD → 862 cents
		expect(e.lines.find((l) => l.role === 'revenue')?.credit).toBe(5400 - 862);
		expect(e.note).toBe('original 50.00 EUR at 1.08');
		expect(journalCsvRows([e], 'xero')[0]).toContain(',52.13');
	});
	it('dispute, payout and fee rows balance with their own accounts', () => {
		for (const [over, roles] of [
			[{ type: 'adjustment', reporting_category: 'dispute', amount: -5000, fee: 1500, net: -6500 }, ['disputes', 'fees', 'clearing']],
			[{ type: 'payout', reporting_category: 'payout', amount: -90000, net: -90000, source: 'po_1' }, ['bank', 'clearing']],
			[{ type: 'stripe_fee', reporting_category: 'fee', amount: -200, net: -200 }, ['fees', 'clearing']],
		] as const) {
			const e = journalEntry(toExportRow(bt(over as Partial<BalanceTransactionLike>)));
			expect(e.lines.map((l) => l.role)).toEqual(roles);
			expect(e.lines.reduce((s, l) => s + l.debit - l.credit, 0)).toBe(0);
		}
	});
});

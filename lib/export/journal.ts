/**
 * Double-entry journal lines from balance transactions (issue 10), balanced per transaction, in
 * the settlement currency's minor units inside and exact decimal strings out.
 *
 * The bookings (a chart of accounts maps each role to the ERP's account):
 * - charge / payment: Dr clearing (net) + Dr fees (fee) = Cr revenue (gross − tax) + Cr tax payable
 *   per jurisdiction and rate (the invoice's tax, converted at the transaction's exchange rate);
 * - refund / payment_refund: Dr refunds (|gross|) = Cr clearing (|net|) + Cr fees (a fee credited back, if any);
 * - dispute: Dr disputes (|gross|) + Dr fees (fee) = Cr clearing (|net|); dispute_reversal the other way;
 * - payout (money to the bank): Dr bank = Cr clearing; a failed or cancelled payout the other way;
 * - fee rows (Stripe fees charged on their own): Dr fees = Cr clearing;
 * - anything else (adjustments, transfers, top-ups…): against `other`.
 * The clearing account's balance at any date is Stripe's balance at that date. FX: the settlement
 * amount is booked; the original currency, amount and rate are recorded on the entry.
 */
import { formatMinor } from '../money';
import type { ExportRow } from './rows';

/** Account names per role (any strings the ERP knows: names, numbers, `Assets:Stripe`…). */
export interface ChartOfAccounts {
	clearing: string;
	bank: string;
	revenue: string;
	fees: string;
	refunds: string;
	disputes: string;
	taxPayable: string;
	other: string;
}

/** hledger-friendly defaults. */
export const DEFAULT_CHART: Readonly<ChartOfAccounts> = Object.freeze({
	clearing: 'Assets:Stripe Clearing',
	bank: 'Assets:Bank',
	revenue: 'Income:Sales',
	fees: 'Expenses:Stripe Fees',
	refunds: 'Income:Refunds',
	disputes: 'Expenses:Disputes',
	taxPayable: 'Liabilities:Tax Payable',
	other: 'Equity:Stripe Adjustments',
});

/** One jurisdiction's tax on the transaction's invoice, in the invoice's currency (minor units). */
export interface TaxLine {
	/** E.g. `DE VAT 19%`, `CA-ON HST 13%`: becomes a sub-account of tax payable. */
	label: string;
	amount: number;
	currency: string;
}

export interface JournalLine {
	/** The entry (one per transaction): the balance transaction id. */
	entryId: string;
	date: string;
	account: string;
	/** Minor units of `currency`; exactly one of debit and credit is non-zero. */
	debit: number;
	credit: number;
	debitDecimal: string;
	creditDecimal: string;
	currency: string;
	memo: string;
	/** The role the line plays (stable: revenue, fees, tax…). */
	role: keyof ChartOfAccounts;
}

export interface JournalEntry {
	id: string;
	date: string;
	description: string;
	lines: JournalLine[];
	/** FX and source details recorded on the entry. */
	note: string | null;
	payoutId: string | null;
}

export class JournalError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'JournalError';
	}
}

function line(entry: { id: string; date: string; currency: string; memo: string }, role: keyof ChartOfAccounts, chart: ChartOfAccounts, debit: number, credit: number, account?: string): JournalLine {
	return {
		entryId: entry.id,
		date: entry.date,
		account: account ?? chart[role],
		debit,
		credit,
		debitDecimal: formatMinor(debit, entry.currency),
		creditDecimal: formatMinor(credit, entry.currency),
		currency: entry.currency,
		memo: entry.memo,
		role,
	};
}

/** A positive amount on the debit (> 0) or credit (< 0) side. */
function side(entry: { id: string; date: string; currency: string; memo: string }, role: keyof ChartOfAccounts, chart: ChartOfAccounts, amount: number, account?: string): JournalLine[] {
	if (amount === 0) return [];
	return [amount > 0 ? line(entry, role, chart, amount, 0, account) : line(entry, role, chart, 0, -amount, account)];
}

/**
 * Converts tax in the invoice currency to the settlement currency at the transaction's rate
 * (Stripe's `exchange_rate`: settlement per unit of the source currency), rounding half away from
 * zero per line.
 */
function settledTax(row: ExportRow, taxes: readonly TaxLine[]): Array<{ label: string; amount: number }> {
	return taxes
		.filter((t) => t.amount !== 0)
		.map((t) => {
			if (t.currency === row.currency) return { label: t.label, amount: t.amount };
			if (row.exchangeRate === null) throw new JournalError(`Transaction ${row.id} is in ${row.currency} but its tax is in ${t.currency} and it has no exchange rate.`);
			// Minor units differ between currencies (JPY 0, EUR 2, KWD 3).
			const from = 10 ** exponentOf(t.currency);
			const to = 10 ** exponentOf(row.currency);
			const v = (t.amount / from) * row.exchangeRate * to;
			return { label: t.label, amount: Math.sign(v) * Math.round(Math.abs(v)) };
		});
}

function exponentOf(currency: string): number {
	const s = formatMinor(1, currency);
	const dot = s.indexOf('.');
	return dot < 0 ? 0 : s.length - dot - 1;
}

/** The journal entry of one transaction; `taxes` from its invoice when it is a taxed charge. */
export function journalEntry(row: ExportRow, chart: ChartOfAccounts = DEFAULT_CHART, taxes: readonly TaxLine[] = []): JournalEntry {
	const date = row.created.slice(0, 10);
	const memo = [row.type, row.sourceId, row.description].filter(Boolean).join(' ');
	const e = { id: row.id, date, currency: row.currency, memo };
	const lines: JournalLine[] = [];
	const category = row.reportingCategory;
	const gross = row.gross;
	const fee = row.fee;
	const net = row.net;
	if (category === 'charge' || (category === 'other_adjustment' && row.type === 'payment')) {
		const tax = gross > 0 ? settledTax(row, taxes) : [];
		const taxTotal = tax.reduce((s, t) => s + t.amount, 0);
		lines.push(...side(e, 'clearing', chart, net), ...side(e, 'fees', chart, fee), ...side(e, 'revenue', chart, -(gross - taxTotal)));
		for (const t of tax) lines.push(...side(e, 'taxPayable', chart, -t.amount, `${chart.taxPayable}:${t.label}`));
	} else if (category === 'refund' || category === 'partial_capture_reversal') {
		lines.push(...side(e, 'refunds', chart, -gross), ...side(e, 'fees', chart, fee), ...side(e, 'clearing', chart, net));
	} else if (category === 'dispute' || category === 'dispute_reversal') {
		lines.push(...side(e, 'disputes', chart, -gross), ...side(e, 'fees', chart, fee), ...side(e, 'clearing', chart, net));
	} else if (category === 'payout' || category === 'payout_reversal') {
		lines.push(...side(e, 'bank', chart, -net), ...side(e, 'clearing', chart, net));
	} else if (category === 'fee' || category === 'network_cost' || category === 'platform_earning' || row.type === 'stripe_fee') {
		lines.push(...side(e, 'fees', chart, -net), ...side(e, 'clearing', chart, net));
	} else {
		lines.push(...side(e, 'other', chart, -net), ...side(e, 'clearing', chart, net));
	}
	const debit = lines.reduce((s, l) => s + l.debit, 0);
	const credit = lines.reduce((s, l) => s + l.credit, 0);
	if (debit !== credit) throw new JournalError(`The entry of ${row.id} does not balance (debit ${debit}, credit ${credit}): gross ${gross}, fee ${fee}, net ${net}.`);
	const note =
		row.originalCurrency && row.exchangeRate !== null
			? `original ${formatMinor(row.originalAmount ?? 0, row.originalCurrency)} ${row.originalCurrency.toUpperCase()} at ${row.exchangeRate}`
			: null;
	return { id: row.id, date, description: `Stripe ${row.reportingCategory} ${row.sourceId ?? row.id}`, lines, note, payoutId: row.payoutId };
}

/** Debit − credit per account, minor units, per currency. */
export function trialBalance(entries: Iterable<JournalEntry>): Record<string, Record<string, number>> {
	const out: Record<string, Record<string, number>> = {};
	for (const entry of entries) {
		for (const l of entry.lines) {
			const byAccount = (out[l.currency] ??= {});
			byAccount[l.account] = (byAccount[l.account] ?? 0) + l.debit - l.credit;
		}
	}
	return out;
}

// ---------------------------------------------------------------------------------------------
// Formats
// ---------------------------------------------------------------------------------------------

export type CsvLayout = 'generic' | 'quickbooks' | 'xero' | 'netsuite';

/** One CSV cell (RFC 4180 quoting); null and undefined are empty. */
export function csvCell(value: unknown): string {
	if (value === null || value === undefined) return '';
	const s = String(value);
	return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const CSV_HEADERS: Record<CsvLayout, string[]> = {
	generic: ['Date', 'Entry', 'Account', 'Debit', 'Credit', 'Currency', 'Memo'],
	// QuickBooks Online journal entry import (one row per line, entries grouped by JournalNo).
	quickbooks: ['JournalNo', 'JournalDate', 'AccountName', 'Debits', 'Credits', 'Description', 'Currency'],
	// Xero manual journal import: a signed amount per line (positive debit, negative credit).
	xero: ['Narration', 'Date', 'Description', 'AccountCode', 'TaxRate', 'Amount'],
	// NetSuite journal entry CSV import (External ID groups the lines of one entry).
	netsuite: ['External ID', 'Date', 'Account', 'Debit', 'Credit', 'Memo', 'Currency'],
};

/** CSV rows (without the header) for entries, in a named layout. */
export function journalCsvRows(entries: Iterable<JournalEntry>, layout: CsvLayout = 'generic'): string[] {
	const out: string[] = [];
	for (const entry of entries) {
		for (const l of entry.lines) {
			const cur = l.currency.toUpperCase();
			const memo = entry.note ? `${l.memo} (${entry.note})` : l.memo;
			const debit = l.debit ? l.debitDecimal : '';
			const credit = l.credit ? l.creditDecimal : '';
			let cells: Array<string | number>;
			if (layout === 'quickbooks') cells = [entry.id, entry.date, l.account, debit, credit, memo, cur];
			else if (layout === 'xero') cells = [entry.description, entry.date, memo, l.account, 'Tax Exempt', l.debit ? l.debitDecimal : `-${l.creditDecimal}`];
			else if (layout === 'netsuite') cells = [entry.id, entry.date, l.account, debit, credit, memo, cur];
			else cells = [entry.date, entry.id, l.account, debit, credit, cur, memo];
			out.push(cells.map(csvCell).join(','));
		}
	}
	return out;
}

function hledgerAccount(name: string): string {
	// Two spaces end an account name in (h)ledger; a single space inside is fine.
	return name.replace(/\s{2,}/g, ' ').replace(/[;\t]/g, ' ').trim();
}

/** A plain-text accounting (hledger / ledger) journal: one transaction per entry, amounts as `12.34 USD`. */
export function hledgerJournal(entries: Iterable<JournalEntry>): string {
	const parts: string[] = [];
	for (const entry of entries) {
		const head = `${entry.date} * ${entry.description.replace(/[;\n]/g, ' ')}  ; txn:${entry.id}${entry.payoutId ? `, payout:${entry.payoutId}` : ''}${entry.note ? `, ${entry.note.replace(/[,;\n]/g, ' ')}` : ''}`;
		const body = entry.lines.map((l) => {
			const amount = l.debit ? l.debitDecimal : `-${l.creditDecimal}`;
			return `    ${hledgerAccount(l.account)}  ${amount} ${l.currency.toUpperCase()}`;
		});
		parts.push([head, ...body].join('\n'));
	}
	return parts.length ? `${parts.join('\n\n')}\n` : '';
}

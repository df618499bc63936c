/**
 * Balance transactions as export rows (issue 10): gross, the fee split by Stripe's fee types, net,
 * exchange rate with the original currency and amount (when the source is expanded), reporting
 * category, status, `available_on`, payout. Minor units inside, exact decimal strings beside them.
 */
import { formatMinor } from '../money';
import { isoSeconds } from '../iso';

/** Stripe's fee types in `fee_details[].type` (https://docs.stripe.com/api/balance_transactions/object, read 2026-12-01). */
export const FEE_TYPES = ['stripe_fee', 'application_fee', 'tax', 'withheld_tax', 'payment_method_passthrough_fee'] as const;
export type FeeType = (typeof FEE_TYPES)[number];

/** The balance transaction fields this module reads (Stripe's names). */
export interface BalanceTransactionLike {
	id: string;
	amount: number;
	fee: number;
	net: number;
	currency: string;
	created: number;
	available_on: number;
	status: string;
	type: string;
	reporting_category: string;
	exchange_rate: number | null;
	description: string | null;
	fee_details?: Array<{ amount: number; currency: string; type: string; description?: string | null }>;
	source: string | { id: string; object?: string; [key: string]: unknown } | null;
}

export interface ExportRow {
	id: string;
	type: string;
	reportingCategory: string;
	status: string;
	created: string;
	createdUnix: number;
	availableOn: string;
	currency: string;
	/** Minor units of `currency` (the settlement currency). */
	gross: number;
	fee: number;
	net: number;
	grossDecimal: string;
	feeDecimal: string;
	netDecimal: string;
	/** Fees by type, minor units; `other` for types Stripe adds later. */
	fees: Record<FeeType | 'other', number>;
	exchangeRate: number | null;
	/** The source's own currency and amount (minor units) when it differs from the settlement currency and the source is expanded. */
	originalCurrency: string | null;
	originalAmount: number | null;
	sourceId: string | null;
	sourceType: string | null;
	customerId: string | null;
	/** The charge's payment intent (expanded sources only): links the row to its invoice and tax. */
	paymentIntentId: string | null;
	description: string | null;
	/** The payout this transaction was paid out in, when known (export by payout, or a payout row's own source). */
	payoutId: string | null;
}


function idOf(value: unknown): string | null {
	if (typeof value === 'string') return value;
	if (value && typeof value === 'object' && typeof (value as { id?: unknown }).id === 'string') return (value as { id: string }).id;
	return null;
}

const SOURCE_TYPES: Array<[RegExp, string]> = [
	[/^ch_|^py_/, 'charge'],
	[/^re_|^pyr_/, 'refund'],
	[/^dp_|^du_/, 'dispute'],
	[/^po_/, 'payout'],
	[/^tr_/, 'transfer'],
	[/^fee_|^fr_/, 'application_fee'],
	[/^adj_|^ia_/, 'adjustment'],
	[/^txn_/, 'balance_transaction'],
];

/** One export row; `payoutId` when the caller knows it (e.g. the list was `?payout=`). */
export function toExportRow(bt: BalanceTransactionLike, payoutId: string | null = null): ExportRow {
	const fees: ExportRow['fees'] = { stripe_fee: 0, application_fee: 0, tax: 0, withheld_tax: 0, payment_method_passthrough_fee: 0, other: 0 };
	for (const d of bt.fee_details ?? []) {
		const key = (FEE_TYPES as readonly string[]).includes(d.type) ? (d.type as FeeType) : 'other';
		fees[key] += d.amount;
	}
	const source = bt.source && typeof bt.source === 'object' ? bt.source : null;
	const sourceId = idOf(bt.source);
	const sourceType = (source?.object as string | undefined) ?? SOURCE_TYPES.find(([re]) => sourceId && re.test(sourceId))?.[1] ?? null;
	const sourceCurrency = typeof source?.currency === 'string' ? source.currency : null;
	const differs = sourceCurrency !== null && sourceCurrency !== bt.currency;
	return {
		id: bt.id,
		type: bt.type,
		reportingCategory: bt.reporting_category,
		status: bt.status,
		created: isoSeconds(bt.created),
		createdUnix: bt.created,
		availableOn: isoSeconds(bt.available_on),
		currency: bt.currency,
		gross: bt.amount,
		fee: bt.fee,
		net: bt.net,
		grossDecimal: formatMinor(bt.amount, bt.currency),
		feeDecimal: formatMinor(bt.fee, bt.currency),
		netDecimal: formatMinor(bt.net, bt.currency),
		fees,
		exchangeRate: bt.exchange_rate,
		originalCurrency: differs ? sourceCurrency : null,
		originalAmount: differs && typeof source?.amount === 'number' ? (source.amount as number) : null,
		sourceId,
		sourceType,
		customerId: source ? idOf(source.customer) : null,
		paymentIntentId: source ? idOf(source.payment_intent) : null,
		description: bt.description,
		payoutId: payoutId ?? (bt.type === 'payout' || bt.type === 'payout_cancel' || bt.type === 'payout_failure' ? sourceId : null),
	};
}

/** Per-currency sums of gross, fee and net (the check against Stripe's ledger). */
export function sumRows(rows: Iterable<Pick<ExportRow, 'currency' | 'gross' | 'fee' | 'net'>>): Record<string, { count: number; gross: number; fee: number; net: number }> {
	const out: Record<string, { count: number; gross: number; fee: number; net: number }> = {};
	for (const r of rows) {
		const s = (out[r.currency] ??= { count: 0, gross: 0, fee: 0, net: 0 });
		s.count++;
		s.gross += r.gross;
		s.fee += r.fee;
		s.net += r.net;
	}
	return out;
}

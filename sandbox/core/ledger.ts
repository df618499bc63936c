import type Stripe from 'stripe';
import type { Seq } from './list';

/**
 * Balance transactions stored as compact columns (about 48 bytes a row), so a seeded business can hold
 * millions of them. Objects are built on read; `status` follows the test clock (`available_on <= now`).
 * The id encodes the row number, so lookups and cursors need no index.
 */
type Num = Int32Array | Uint32Array | Float64Array | Uint8Array;
class Column<T extends Num> {
	data: T;
	constructor(private readonly make: (n: number) => T) {
		this.data = make(1024);
	}
	ensure(n: number): void {
		if (n <= this.data.length) return;
		let size = this.data.length;
		while (size < n) size *= 2;
		const next = this.make(size);
		next.set(this.data as never);
		this.data = next;
	}
}

export const TXN_TYPES = ['charge', 'refund', 'adjustment', 'payout', 'stripe_fee', 'payment_failure_refund'] as const;
export type TxnType = (typeof TXN_TYPES)[number];
export const REPORTING_CATEGORIES = ['charge', 'refund', 'dispute', 'dispute_reversal', 'payout', 'fee', 'other_adjustment'] as const;
export type ReportingCategory = (typeof REPORTING_CATEGORIES)[number];

export const SETTLEMENT_CURRENCY = 'usd';
const TXN_PREFIX = 'txn_1Sbx';
/** Charges behind bulk rows (seeded volume) are not stored; they are rebuilt from the row. */
export const BULK_CHARGE_PREFIX = 'ch_3SbxBulk';

export interface TxnInput {
	created: number;
	availableOn: number;
	/** Gross amount in settlement currency minor units (negative for money out). */
	amount: number;
	fee: number;
	type: TxnType;
	category: ReportingCategory;
	/** Original currency of the source when it differs from the settlement currency. */
	sourceCurrency?: string;
	exchangeRate?: number | null;
	/** Source object id; omit for a bulk row (its charge is synthesised from the row). */
	source?: string | null;
	description?: string | null;
	/** How the fee splits (defaults to one stripe_fee line). */
	feeDescription?: string;
}

export class Ledger implements Seq<Stripe.BalanceTransaction> {
	private n = 0;
	private created = new Column((k) => new Uint32Array(k));
	private availableOn = new Column((k) => new Uint32Array(k));
	// Amounts are float64 (exact integers up to 2^53): a payout sweeping a busy day exceeds 2^31 minor units.
	private amount = new Column((k) => new Float64Array(k));
	private fee = new Column((k) => new Float64Array(k));
	private type = new Column((k) => new Uint8Array(k));
	private category = new Column((k) => new Uint8Array(k));
	private rate = new Column((k) => new Float64Array(k));
	private source = new Column((k) => new Int32Array(k));
	private payout = new Column((k) => new Int32Array(k));
	private desc = new Column((k) => new Int32Array(k));
	private sources: string[] = [];
	private strings: string[] = [];
	private stringIndex = new Map<string, number>();
	/** payout ids by ordinal (column `payout` holds ordinal + 1; 0 = not paid out). */
	readonly payoutIds: string[] = [];
	private payoutOrdinal = new Map<string, number>();
	/** Rows not yet swept into a payout (excluding payout rows). */
	private unswept: number[] = [];

	constructor(private readonly now: () => number) {}

	private intern(s: string | null | undefined): number {
		if (s === null || s === undefined) return -1;
		let i = this.stringIndex.get(s);
		if (i === undefined) {
			i = this.strings.length;
			this.strings.push(s);
			this.stringIndex.set(s, i);
		}
		return i;
	}

	append(t: TxnInput): string {
		const i = this.n++;
		for (const c of [this.created, this.availableOn, this.amount, this.fee, this.type, this.category, this.rate, this.source, this.payout, this.desc] as Column<Num>[]) c.ensure(this.n);
		this.created.data[i] = t.created;
		this.availableOn.data[i] = t.availableOn;
		this.amount.data[i] = t.amount;
		this.fee.data[i] = t.fee;
		this.type.data[i] = TXN_TYPES.indexOf(t.type);
		this.category.data[i] = REPORTING_CATEGORIES.indexOf(t.category);
		this.rate.data[i] = t.exchangeRate ?? NaN;
		if (t.source === undefined) this.source.data[i] = -1;
		else if (t.source === null) this.source.data[i] = -2;
		else {
			this.source.data[i] = this.sources.length;
			this.sources.push(t.source);
		}
		this.desc.data[i] = this.intern(t.description ?? null);
		if (t.type !== 'payout') this.unswept.push(i);
		return this.idOf(i);
	}

	idOf(i: number): string {
		return `${TXN_PREFIX}${i.toString(36).padStart(16, '0')}`;
	}

	indexOf(id: string): number {
		if (!id.startsWith(TXN_PREFIX) || id.length !== TXN_PREFIX.length + 16) return -1;
		const i = parseInt(id.slice(TXN_PREFIX.length), 36);
		return Number.isInteger(i) && i >= 0 && i < this.n && this.idOf(i) === id ? i : -1;
	}

	size(): number {
		return this.n;
	}

	at(i: number): Stripe.BalanceTransaction | undefined {
		return i >= 0 && i < this.n ? this.materialize(i) : undefined;
	}

	get(id: string): Stripe.BalanceTransaction | undefined {
		const i = this.indexOf(id);
		return i < 0 ? undefined : this.materialize(i);
	}

	sourceOf(i: number): string | null {
		const s = this.source.data[i];
		if (s === -1) return bulkChargeId(i);
		if (s === -2) return null;
		return this.sources[s];
	}

	/** Raw column values for fast filters and for rebuilding bulk charges. */
	row(i: number): { created: number; availableOn: number; amount: number; fee: number; type: TxnType; category: ReportingCategory; rate: number | null; payout: string | null; description: string | null } {
		const p = this.payout.data[i];
		const r = this.rate.data[i];
		const d = this.desc.data[i];
		return {
			created: this.created.data[i],
			availableOn: this.availableOn.data[i],
			amount: this.amount.data[i],
			fee: this.fee.data[i],
			type: TXN_TYPES[this.type.data[i]],
			category: REPORTING_CATEGORIES[this.category.data[i]],
			rate: Number.isNaN(r) ? null : r,
			payout: p === 0 ? null : this.payoutIds[p - 1],
			description: d < 0 ? null : this.strings[d],
		};
	}

	materialize(i: number): Stripe.BalanceTransaction {
		const r = this.row(i);
		const feeDetails: Stripe.BalanceTransaction.FeeDetail[] =
			r.fee === 0
				? []
				: [{ amount: r.fee, application: null, currency: SETTLEMENT_CURRENCY, description: r.category === 'dispute' ? 'Dispute fee' : 'Stripe processing fees', type: 'stripe_fee' }];
		return {
			id: this.idOf(i),
			object: 'balance_transaction',
			amount: r.amount,
			available_on: r.availableOn,
			balance_type: 'payments',
			created: r.created,
			currency: SETTLEMENT_CURRENCY,
			description: r.description,
			exchange_rate: r.rate,
			fee: r.fee,
			fee_details: feeDetails,
			net: r.amount - r.fee,
			reporting_category: r.category,
			source: this.sourceOf(i),
			status: r.availableOn <= this.now() ? 'available' : 'pending',
			type: r.type,
		};
	}

	/** Match helpers for `?payout=`, `?type=`, `?source=`, `?currency=`, `created[...]`. */
	matcher(f: { payout?: string; type?: string; source?: string; created?: (t: number) => boolean; currency?: string }): (i: number) => boolean {
		let payoutOrd = -1;
		if (f.payout !== undefined) payoutOrd = (this.payoutOrdinal.get(f.payout) ?? -2) + 1;
		const typeIdx = f.type === undefined ? -1 : TXN_TYPES.indexOf(f.type as TxnType);
		return (i) => {
			if (f.currency !== undefined && f.currency !== SETTLEMENT_CURRENCY) return false;
			if (f.payout !== undefined && this.payout.data[i] !== payoutOrd) return false;
			if (f.type !== undefined && this.type.data[i] !== typeIdx) return false;
			if (f.created && !f.created(this.created.data[i])) return false;
			if (f.source !== undefined && this.sourceOf(i) !== f.source) return false;
			return true;
		};
	}

	registerPayout(id: string): number {
		const ord = this.payoutIds.length;
		this.payoutIds.push(id);
		this.payoutOrdinal.set(id, ord);
		return ord;
	}

	/** Links a row (e.g. the payout's own transaction) to a payout. */
	link(i: number, payoutId: string): void {
		const ord = this.payoutOrdinal.get(payoutId);
		if (ord === undefined) throw new Error(`unknown payout ${payoutId}`);
		this.payout.data[i] = ord + 1;
	}

	/** Available and pending balance from rows not yet paid out. */
	balance(): { available: number; pending: number } {
		const now = this.now();
		let available = 0;
		let pending = 0;
		for (const i of this.unswept) {
			const net = this.amount.data[i] - this.fee.data[i];
			if (this.availableOn.data[i] <= now) available += net;
			else pending += net;
		}
		return { available, pending };
	}

	/** Takes every row available by now into the payout; returns their net total and rows. */
	sweep(payoutId: string): { total: number; rows: number[] } {
		const now = this.now();
		const ord = this.payoutOrdinal.get(payoutId);
		if (ord === undefined) throw new Error(`unknown payout ${payoutId}`);
		const keep: number[] = [];
		const rows: number[] = [];
		let total = 0;
		for (const i of this.unswept) {
			if (this.availableOn.data[i] <= now) {
				rows.push(i);
				total += this.amount.data[i] - this.fee.data[i];
				this.payout.data[i] = ord + 1;
			} else keep.push(i);
		}
		this.unswept = keep;
		return { total, rows };
	}

	/** Net available now, without sweeping. */
	availableNow(): number {
		return this.balance().available;
	}
}

export function bulkChargeId(row: number): string {
	return `${BULK_CHARGE_PREFIX}${row.toString(36).padStart(13, '0')}`;
}

export function bulkRowOf(chargeId: string): number {
	if (!chargeId.startsWith(BULK_CHARGE_PREFIX)) return -1;
	const i = parseInt(chargeId.slice(BULK_CHARGE_PREFIX.length), 36);
	return Number.isInteger(i) && bulkChargeId(i) === chargeId ? i : -1;
}

/** Fixed reference FX rates to USD (minor units handled by `toSettlement`). Drift is added by the caller. */
export const FX_TO_USD: Record<string, number> = { usd: 1, eur: 1.08, gbp: 1.27, cad: 0.73, aud: 0.66, jpy: 0.0067, chf: 1.13 };
export const ZERO_DECIMAL = new Set(['jpy', 'krw', 'vnd', 'clp', 'xof', 'xaf', 'bif', 'djf', 'gnf', 'kmf', 'mga', 'pyg', 'rwf', 'ugx', 'vuv', 'xpf']);

/** Converts an amount in a presentment currency to settlement (USD cents); returns the rate applied. */
export function toSettlement(amount: number, currency: string, driftFactor = 1): { amount: number; rate: number | null } {
	const c = currency.toLowerCase();
	if (c === SETTLEMENT_CURRENCY) return { amount, rate: null };
	const base = FX_TO_USD[c];
	if (base === undefined) return { amount, rate: null };
	const rate = Math.round(base * driftFactor * 1e6) / 1e6;
	const major = ZERO_DECIMAL.has(c) ? amount : amount / 100;
	return { amount: Math.round(major * rate * 100), rate };
}

/** Card pricing (US standard, as published on stripe.com/pricing, 2025): 2.9% + 30¢, +1.5% international, +1% conversion. */
export function cardFee(settlementAmount: number, converted: boolean): number {
	const pct = 0.029 + (converted ? 0.025 : 0);
	return Math.round(settlementAmount * pct) + 30;
}

export const DISPUTE_FEE = 1500;

/**
 * Payout reconciliation (issue 10), pure: a payout and the balance transactions it paid out.
 *
 * Automatic payouts: `GET /v1/balance_transactions?payout=po_…` lists exactly what the payout
 * settled (its own `payout` row included); the nets of the other rows must add up to the payout's
 * amount. A difference is reported with its size and the rows most likely behind it, never hidden.
 *
 * Manual and instant payouts: Stripe cannot link them to transactions ("payout" filtering works
 * for automatic payouts only, https://docs.stripe.com/api/balance_transactions/list, read
 * 2026-12-01). The best that can be said is how the balance moved: the nets of the transactions
 * that became available since the previous payout against the payout's amount. That is reported
 * as `bestEffort`, with the explanation, never as a reconciled payout.
 */
import { formatMinor } from '../money';
import type { ExportRow } from './rows';
import { isoSeconds } from '../iso';


export interface PayoutLike {
	id: string;
	amount: number;
	currency: string;
	automatic: boolean;
	method?: string;
	status: string;
	arrival_date: number;
	created: number;
	type?: string;
	balance_transaction?: string | { id: string } | null;
	/** `in_progress` until Stripe has linked every transaction to the payout (automatic payouts). */
	reconciliation_status?: 'not_applicable' | 'in_progress' | 'completed';
}

export interface CategoryTotal {
	count: number;
	gross: number;
	fee: number;
	net: number;
}

export interface Reconciliation {
	payoutId: string;
	amount: number;
	currency: string;
	automatic: boolean;
	method: string | null;
	status: string;
	/**
	 * `reconciled`: the rows add up exactly; `mismatch`: they do not (see `difference`, `suspects`);
	 * `bestEffort`: a manual or instant payout; `inProgress`: Stripe is still linking transactions to
	 * the payout (`reconciliation_status: in_progress`), so the list may be incomplete: try again on
	 * `payout.reconciliation_completed`.
	 */
	result: 'reconciled' | 'mismatch' | 'bestEffort' | 'inProgress';
	amountDecimal: string;
	sumNetDecimal: string;
	differenceDecimal: string;
	/** ISO 8601. */
	created: string;
	arrivalDate: string;
	transactions: number;
	byCategory: Record<string, CategoryTotal>;
	/** Σ net of the rows other than the payout's own. */
	sumNet: number;
	/** payout amount − sumNet (0 when reconciled). */
	difference: number;
	/** Rows that may explain a difference (ids and why), at most 20. */
	suspects: Array<{ id: string; net: number; why: string }>;
	explanation: string;
}

function totals(rows: readonly ExportRow[]): Record<string, CategoryTotal> {
	const out: Record<string, CategoryTotal> = {};
	for (const r of rows) {
		const t = (out[r.reportingCategory] ??= { count: 0, gross: 0, fee: 0, net: 0 });
		t.count++;
		t.gross += r.gross;
		t.fee += r.fee;
		t.net += r.net;
	}
	return out;
}

/** Rows that would explain `difference`: one whose net is exactly it (or its negative), duplicates, rows in another currency, pending rows. */
function suspects(rows: readonly ExportRow[], difference: number, payout: PayoutLike): Reconciliation['suspects'] {
	const out: Reconciliation['suspects'] = [];
	const seen = new Set<string>();
	for (const r of rows) {
		if (seen.has(r.id)) out.push({ id: r.id, net: r.net, why: 'listed twice' });
		seen.add(r.id);
		if (r.net === -difference) out.push({ id: r.id, net: r.net, why: 'its net is exactly the difference (counted but not paid out?)' });
		else if (r.net === difference) out.push({ id: r.id, net: r.net, why: 'its net is exactly the missing amount (paid out but not listed?)' });
		if (r.currency !== payout.currency) out.push({ id: r.id, net: r.net, why: `in ${r.currency}, the payout is in ${payout.currency}` });
		if (r.status === 'pending') out.push({ id: r.id, net: r.net, why: 'still pending' });
	}
	return out.slice(0, 20);
}

/** Reconciles an automatic payout against the rows `?payout=` listed. */
export function reconcilePayout(payout: PayoutLike, rows: readonly ExportRow[]): Reconciliation {
	const own = rows.filter((r) => r.type === 'payout' && r.sourceId === payout.id);
	const settled = rows.filter((r) => !(r.type === 'payout' && r.sourceId === payout.id));
	const sumNet = settled.reduce((s, r) => s + r.net, 0);
	const difference = payout.amount - sumNet;
	const base = {
		payoutId: payout.id,
		amount: payout.amount,
		currency: payout.currency,
		automatic: payout.automatic,
		method: payout.method ?? null,
		status: payout.status,
		transactions: settled.length,
		byCategory: totals(settled),
		sumNet,
		difference,
		amountDecimal: formatMinor(payout.amount, payout.currency),
		sumNetDecimal: formatMinor(sumNet, payout.currency),
		differenceDecimal: formatMinor(difference, payout.currency),
		created: isoSeconds(payout.created),
		arrivalDate: isoSeconds(payout.arrival_date),
	};
	if (payout.automatic && payout.reconciliation_status === 'in_progress') {
		return {
			...base,
			result: 'inProgress',
			suspects: [],
			explanation: `Stripe is still linking transactions to ${payout.id} (reconciliation_status in_progress): its list may be incomplete. Reconcile it on payout.reconciliation_completed.`,
		};
	}
	if (!payout.automatic) {
		return {
			...base,
			result: 'bestEffort',
			suspects: [],
			explanation: `Payout ${payout.id} is ${payout.method === 'instant' ? 'an instant' : 'a manual'} payout: Stripe does not link such payouts to balance transactions, so this is a best-effort match by balance movement (the transactions that became available since the previous payout), not a reconciliation. The difference is what the balance held before or still holds.`,
		};
	}
	if (own.length === 0 && rows.length > 0) {
		// The payout's own row is part of every automatic payout's list; without it the list is not the payout's.
		return { ...base, result: 'mismatch', suspects: suspects(settled, difference, payout), explanation: `The list has no payout row for ${payout.id}: these are not its transactions.` };
	}
	if (difference === 0) {
		return { ...base, result: 'reconciled', suspects: [], explanation: `The ${settled.length} transactions of ${payout.id} add up to its amount exactly.` };
	}
	return {
		...base,
		result: 'mismatch',
		suspects: suspects(settled, difference, payout),
		explanation: `The ${settled.length} transactions of ${payout.id} add up to ${sumNet}, the payout is ${payout.amount} (${payout.currency}, minor units): ${difference > 0 ? 'missing' : 'extra'} ${Math.abs(difference)}.`,
	};
}

/** Best effort for a manual or instant payout: the rows that became available after the previous payout, up to this one. */
export function bestEffortRows(rows: readonly ExportRow[], previousPayoutAt: number, payout: PayoutLike): ExportRow[] {
	const until = payout.created;
	return rows.filter((r) => r.type !== 'payout' && Date.parse(r.availableOn) / 1000 > previousPayoutAt && Date.parse(r.availableOn) / 1000 <= until);
}

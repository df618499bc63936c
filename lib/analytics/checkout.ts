/**
 * The Checkout funnel (issue 12), pure: from Checkout Session objects (with `line_items`
 * expanded for the price), the customers and the invoices, as Stripe returns them.
 *
 * Stages: created (every session) → completed (`status` `complete`) → first invoice paid:
 * - a subscription session: the subscription's first invoice with an amount due (a trial's 0.00
 *   invoice is skipped: nothing was paid yet) has `status` `paid`;
 * - otherwise the session's own `invoice` is `paid`, or, without one, its `payment_status` is
 *   `paid` with an `amount_total` above 0.
 * Grouped by country (`customer_details.address.country`, else the customer's `address.country`,
 * else `unknown`) and by price (each line item's `price.id`, a session with two prices counts in
 * both; `unknown` without line items).
 */
import { idOf, invoiceSubscriptionId, type InvoiceLike } from './shapes';

export interface CheckoutSessionLike {
	id: string;
	created: number;
	status: 'open' | 'complete' | 'expired' | string | null;
	mode?: string;
	customer?: string | { id: string } | null;
	customer_details?: { address?: { country?: string | null } | null } | null;
	subscription?: string | { id: string } | null;
	invoice?: string | { id: string } | null;
	payment_status?: string;
	amount_total?: number | null;
	line_items?: { data: Array<{ price?: { id: string } | string | null; quantity?: number | null }> } | null;
}

export interface CheckoutCustomerLike {
	id: string;
	address?: { country?: string | null } | null;
}

export interface FunnelStage {
	created: number;
	completed: number;
	paid: number;
	/** completed ÷ created and paid ÷ completed. */
	completionRate: number | null;
	paymentRate: number | null;
}

export interface CheckoutFunnel {
	total: FunnelStage;
	byCountry: Record<string, FunnelStage>;
	byPrice: Record<string, FunnelStage>;
	sessions: Array<{ sessionId: string; country: string; prices: string[]; completed: boolean; paid: boolean }>;
}

const newStage = (): FunnelStage => ({ created: 0, completed: 0, paid: 0, completionRate: null, paymentRate: null });

function rates(s: FunnelStage): void {
	s.completionRate = s.created ? s.completed / s.created : null;
	s.paymentRate = s.completed ? s.paid / s.completed : null;
}

/** The Checkout funnel (see the module comment). */
export function checkoutFunnel(input: { sessions: readonly CheckoutSessionLike[]; customers?: readonly CheckoutCustomerLike[]; invoices?: readonly InvoiceLike[] }): CheckoutFunnel {
	const customers = new Map((input.customers ?? []).map((c) => [c.id, c]));
	const invoices = new Map((input.invoices ?? []).map((i) => [i.id, i]));
	const firstBySub = new Map<string, InvoiceLike>();
	for (const inv of [...(input.invoices ?? [])].sort((a, b) => a.created - b.created || a.id.localeCompare(b.id))) {
		const sub = invoiceSubscriptionId(inv);
		if (!sub || firstBySub.has(sub) || !((inv.amount_due ?? inv.total ?? 0) > 0)) continue;
		firstBySub.set(sub, inv);
	}
	const out: CheckoutFunnel = { total: newStage(), byCountry: {}, byPrice: {}, sessions: [] };
	for (const s of [...input.sessions].sort((a, b) => a.created - b.created || a.id.localeCompare(b.id))) {
		const customer = customers.get(idOf(s.customer) ?? '');
		const raw = s.customer_details?.address?.country || customer?.address?.country;
		const country = raw ? raw.toUpperCase() : 'unknown';
		const prices = [...new Set((s.line_items?.data ?? []).map((l) => idOf(l.price)).filter((p): p is string => !!p))];
		const completed = s.status === 'complete';
		let paid = false;
		if (completed) {
			const sub = idOf(s.subscription);
			const inv = sub ? firstBySub.get(sub) : invoices.get(idOf(s.invoice) ?? '');
			if (inv) paid = inv.status === 'paid';
			else if (!sub && !idOf(s.invoice)) paid = s.payment_status === 'paid' && (s.amount_total ?? 0) > 0;
		}
		const stages = [out.total, (out.byCountry[country] ??= newStage()), ...(prices.length ? prices : ['unknown']).map((p) => (out.byPrice[p] ??= newStage()))];
		for (const st of stages) {
			st.created++;
			if (completed) st.completed++;
			if (paid) st.paid++;
		}
		out.sessions.push({ sessionId: s.id, country, prices, completed, paid });
	}
	for (const st of [out.total, ...Object.values(out.byCountry), ...Object.values(out.byPrice)]) rates(st);
	return out;
}

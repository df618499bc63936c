/**
 * Revenue metrics from the synced rows (issue 12): the warehouse tables of lib/warehouse/tables.ts
 * turned back into the Stripe-shaped objects lib/analytics reads (`AnalyticsData`), so
 * `computeAnalytics` gives from the warehouse what it gives from the API.
 *
 * Rebuilt are exactly the fields the analytics read (lib/analytics/*.ts, lib/crm/mrr.ts), in the
 * current API shape:
 * - customers (not deleted: the API does not list them): `id`, `created`, `address.country`;
 * - subscriptions: status, currency, customer, dates, `discounts` (jsonb) and `items.data[]` with
 *   `quantity` and the full `price` from the prices table (`unit_amount`, `currency`,
 *   `recurring.{interval, interval_count, usage_type}`);
 * - invoices: amounts, status, `status_transitions`, `parent.subscription_details.subscription`,
 *   `lines.data[]` (`parent.subscription_item_details`, `pricing.price_details`, `period`),
 *   `payments.data[].payment.{type, payment_intent, charge}` from invoice_payments, `total_taxes`;
 * - charges (`payment_method`, `payment_method_details.card`, `outcome`, `failure_code`), refunds,
 *   Checkout Sessions (`line_items.data[].price.id` from `price_ids`, `customer_details.address.country`)
 *   and tax rates by id.
 * Events: none (the warehouse keeps no events), so `events` is empty.
 *
 * Rows may come from Postgres (`pg`: timestamptz as `Date`, bigint and numeric as strings, jsonb
 * parsed) or from `toRow` (ISO strings, numbers): both are read. Timestamps become unix seconds.
 * Lists are ordered as Stripe lists them, newest first (ties keep the rows' order); child rows
 * keep theirs, after `created` where they have one.
 */
import type { AnalyticsData } from '../analytics/compute';
import type { CheckoutSessionLike } from '../analytics/checkout';
import type { HistorySubscription } from '../analytics/mrrHistory';
import type { ChargeLike } from '../analytics/payments';
import type { InvoiceLike, InvoiceLineLike, TaxRateLike } from '../analytics/shapes';
import type { RefundLike } from '../analytics/tax';
import type { PriceLike } from '../crm/mrr';
import { groupBy } from '../group';

type Row = Record<string, unknown>;

/** A number from a number, a bigint or a numeric string; null otherwise. */
export function toNumber(v: unknown): number | null {
	if (typeof v === 'number') return Number.isFinite(v) ? v : null;
	if (typeof v === 'bigint') return Number(v);
	if (typeof v === 'string' && v.trim() !== '') {
		const n = Number(v);
		return Number.isFinite(n) ? n : null;
	}
	return null;
}

/** Unix seconds from a `Date`, an ISO string or a number of seconds; null otherwise. */
export function toUnixSeconds(v: unknown): number | null {
	if (v instanceof Date) {
		const ms = v.getTime();
		return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
	}
	if (typeof v === 'number') return Number.isFinite(v) ? v : null;
	if (typeof v === 'string' && v.trim() !== '') {
		if (/^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v);
		const ms = Date.parse(v);
		return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
	}
	return null;
}

function str(v: unknown): string | null {
	if (typeof v === 'string') return v;
	if (typeof v === 'number' || typeof v === 'boolean') return String(v);
	return null;
}

function bool(v: unknown): boolean | null {
	if (typeof v === 'boolean') return v;
	if (v === 't' || v === 'true') return true;
	if (v === 'f' || v === 'false') return false;
	return null;
}

/** A jsonb value: parsed already (pg), or JSON text. */
function json(v: unknown): unknown {
	if (typeof v === 'string') {
		try {
			return JSON.parse(v) as unknown;
		} catch {
			return v;
		}
	}
	return v ?? null;
}

function rowsOf(tables: Record<string, Row[] | undefined>, name: string): Row[] {
	const rows = tables[name];
	return Array.isArray(rows) ? rows : [];
}

/** Newest first, as Stripe lists (a stable sort: ties keep the rows' order). */
function newestFirst(rows: Row[]): Row[] {
	return rows
		.map((row, i) => ({ row, i, t: toUnixSeconds(row.created) ?? 0 }))
		.sort((a, b) => b.t - a.t || a.i - b.i)
		.map((x) => x.row);
}

/** Oldest first (child lists). */
function oldestFirst(rows: Row[]): Row[] {
	return rows
		.map((row, i) => ({ row, i, t: toUnixSeconds(row.created) ?? 0 }))
		.sort((a, b) => a.t - b.t || a.i - b.i)
		.map((x) => x.row);
}

function priceOf(row: Row | undefined, id: string | null, fallbackCurrency: string): PriceLike & { id?: string; product?: string | null } {
	if (!row) return { id: id ?? undefined, currency: fallbackCurrency, unit_amount: null, recurring: null };
	const interval = str(row.recurring_interval);
	return {
		id: str(row.id) ?? undefined,
		product: str(row.product_id),
		currency: str(row.currency) ?? fallbackCurrency,
		unit_amount: toNumber(row.unit_amount),
		recurring: interval
			? {
					interval: interval as NonNullable<PriceLike['recurring']>['interval'],
					interval_count: toNumber(row.recurring_interval_count) ?? 1,
					usage_type: (str(row.recurring_usage_type) ?? 'licensed') as 'licensed' | 'metered',
				}
			: null,
	};
}

function subscriptionOf(row: Row, items: Row[], prices: Map<string, Row>): HistorySubscription {
	const currency = str(row.currency) ?? '';
	const discounts = json(row.discounts);
	return {
		id: str(row.id) ?? '',
		customer: str(row.customer_id) ?? '',
		status: str(row.status) ?? '',
		currency,
		created: toUnixSeconds(row.created) ?? undefined,
		start_date: toUnixSeconds(row.start_date) ?? undefined,
		canceled_at: toUnixSeconds(row.canceled_at),
		ended_at: toUnixSeconds(row.ended_at),
		trial_end: toUnixSeconds(row.trial_end),
		discounts: Array.isArray(discounts) ? (discounts as HistorySubscription['discounts']) : [],
		items: {
			data: oldestFirst(items).map((it) => {
				const priceId = str(it.price_id);
				return { id: str(it.id), price: priceOf(priceId ? prices.get(priceId) : undefined, priceId, currency), quantity: toNumber(it.quantity) };
			}),
		},
	};
}

function lineOf(row: Row): InvoiceLineLike {
	const start = toUnixSeconds(row.period_start);
	const end = toUnixSeconds(row.period_end);
	const subscription = str(row.subscription_id);
	const item = str(row.subscription_item_id);
	const price = str(row.price_id);
	const proration = bool(row.proration);
	return {
		id: str(row.id) ?? undefined,
		amount: toNumber(row.amount) ?? 0,
		currency: str(row.currency) ?? undefined,
		quantity: toNumber(row.quantity),
		period: start !== null && end !== null ? { start, end } : null,
		parent:
			subscription || item
				? { type: 'subscription_item_details', subscription_item_details: { subscription, subscription_item: item, proration: proration === true } }
				: null,
		pricing: price ? { price_details: { price, product: str(row.product_id) } } : null,
	};
}

type TotalTax = NonNullable<InvoiceLike['total_taxes']>[number];

function totalTaxes(v: unknown): InvoiceLike['total_taxes'] {
	const list = json(v);
	if (!Array.isArray(list)) return null;
	return list.map((t: Row) => ({ ...t, amount: toNumber(t.amount) ?? 0, taxable_amount: toNumber(t.taxable_amount) }) as TotalTax);
}

function invoiceOf(row: Row, lines: Row[], payments: Row[]): InvoiceLike {
	const subscription = str(row.subscription_id);
	return {
		id: str(row.id) ?? '',
		customer: str(row.customer_id),
		status: str(row.status),
		currency: str(row.currency) ?? '',
		created: toUnixSeconds(row.created) ?? 0,
		billing_reason: str(row.billing_reason),
		amount_due: toNumber(row.amount_due) ?? undefined,
		amount_paid: toNumber(row.amount_paid) ?? undefined,
		amount_remaining: toNumber(row.amount_remaining) ?? undefined,
		total: toNumber(row.total) ?? undefined,
		attempt_count: toNumber(row.attempt_count) ?? undefined,
		status_transitions: {
			paid_at: toUnixSeconds(row.paid_at),
			voided_at: toUnixSeconds(row.voided_at),
			marked_uncollectible_at: toUnixSeconds(row.marked_uncollectible_at),
		},
		parent: subscription ? { subscription_details: { subscription } } : null,
		lines: { data: lines.map(lineOf) },
		payments: {
			data: oldestFirst(payments).map((p) => ({
				status: str(p.status) ?? undefined,
				payment: { type: str(p.payment_type) ?? undefined, payment_intent: str(p.payment_intent_id), charge: str(p.charge_id) },
			})),
		},
		total_taxes: totalTaxes(row.total_taxes),
	};
}

type ChargeObject = ChargeLike & {
	customer: string | null;
	failure_code: string | null;
	failure_message: string | null;
	outcome: { type: string | null; reason: string | null; network_status: string | null; risk_level: string | null } | null;
	payment_method_details: { card?: { brand: string | null; country: string | null; funding: string | null; last4: string | null; exp_month: number | null; exp_year: number | null; fingerprint?: string | null } | null } | null;
};

function chargeOf(row: Row): ChargeObject {
	const card = ['card_brand', 'card_country', 'card_funding', 'card_last4', 'card_exp_month', 'card_exp_year'].some((k) => row[k] !== null && row[k] !== undefined);
	const outcome = ['outcome_type', 'outcome_reason', 'outcome_network_status', 'outcome_risk_level'].some((k) => row[k] !== null && row[k] !== undefined);
	const amount = toNumber(row.amount) ?? 0;
	return {
		id: str(row.id) ?? '',
		created: toUnixSeconds(row.created) ?? 0,
		customer: str(row.customer_id),
		amount,
		amount_captured: toNumber(row.amount_captured) ?? undefined,
		currency: str(row.currency) ?? '',
		status: str(row.status) ?? '',
		payment_intent: str(row.payment_intent_id),
		payment_method: str(row.payment_method_id),
		payment_method_details: card
			? {
					card: {
						brand: str(row.card_brand),
						country: str(row.card_country),
						funding: str(row.card_funding),
						last4: str(row.card_last4),
						exp_month: toNumber(row.card_exp_month),
						exp_year: toNumber(row.card_exp_year),
					},
				}
			: null,
		failure_code: str(row.failure_code),
		failure_message: str(row.failure_message),
		outcome: outcome ? { type: str(row.outcome_type), reason: str(row.outcome_reason), network_status: str(row.outcome_network_status), risk_level: str(row.outcome_risk_level) } : null,
	};
}

function refundOf(row: Row): RefundLike {
	return {
		id: str(row.id) ?? '',
		amount: toNumber(row.amount) ?? 0,
		currency: str(row.currency) ?? '',
		created: toUnixSeconds(row.created) ?? 0,
		status: str(row.status),
		payment_intent: str(row.payment_intent_id),
		charge: str(row.charge_id),
	};
}

function sessionOf(row: Row): CheckoutSessionLike {
	const priceIds = json(row.price_ids);
	const country = str(row.customer_details_address_country);
	const email = str(row.customer_details_email);
	return {
		id: str(row.id) ?? '',
		created: toUnixSeconds(row.created) ?? 0,
		status: str(row.status),
		mode: str(row.mode) ?? undefined,
		customer: str(row.customer_id),
		customer_details: country !== null || email !== null ? ({ email, address: { country } } as CheckoutSessionLike['customer_details']) : null,
		subscription: str(row.subscription_id),
		invoice: str(row.invoice_id),
		payment_status: str(row.payment_status) ?? undefined,
		amount_total: toNumber(row.amount_total),
		line_items: Array.isArray(priceIds) ? { data: priceIds.map((p) => ({ price: typeof p === 'string' ? { id: p } : null })) } : null,
	};
}

function taxRateOf(row: Row): TaxRateLike {
	return {
		id: str(row.id) ?? '',
		display_name: str(row.display_name) ?? undefined,
		percentage: toNumber(row.percentage) ?? undefined,
		effective_percentage: toNumber(row.effective_percentage),
		jurisdiction: str(row.jurisdiction),
		country: str(row.country),
		state: str(row.state),
		tax_type: str(row.tax_type),
		inclusive: bool(row.inclusive) === true,
	};
}

/**
 * The analytics input from warehouse rows: `tables` maps a table name (customers, prices,
 * subscriptions, subscription_items, invoices, invoice_line_items, invoice_payments, charges,
 * refunds, checkout_sessions, tax_rates) to its rows (`SELECT *`); missing tables are empty.
 */
export function rowsToAnalyticsData(tables: Record<string, Array<Record<string, unknown>>>): AnalyticsData {
	const prices = new Map<string, Row>();
	for (const p of rowsOf(tables, 'prices')) {
		const id = str(p.id);
		if (id) prices.set(id, p);
	}
	const items = groupBy(rowsOf(tables, 'subscription_items'), (r) => str(r.subscription_id));
	const lines = groupBy(rowsOf(tables, 'invoice_line_items'), (r) => str(r.invoice_id));
	const payments = groupBy(rowsOf(tables, 'invoice_payments'), (r) => str(r.invoice_id));

	const customers = newestFirst(rowsOf(tables, 'customers'))
		.filter((c) => bool(c.deleted) !== true)
		.map((c) => ({ id: str(c.id) ?? '', created: toUnixSeconds(c.created) ?? undefined, address: { country: str(c.address_country) } }));
	const subscriptions = newestFirst(rowsOf(tables, 'subscriptions')).map((s) => subscriptionOf(s, items.get(str(s.id) ?? '') ?? [], prices));
	const invoices = newestFirst(rowsOf(tables, 'invoices')).map((i) => {
		const id = str(i.id) ?? '';
		return invoiceOf(i, lines.get(id) ?? [], payments.get(id) ?? []);
	});
	const taxRates: Record<string, TaxRateLike> = {};
	for (const r of newestFirst(rowsOf(tables, 'tax_rates'))) {
		const rate = taxRateOf(r);
		if (rate.id) taxRates[rate.id] = rate;
	}
	return {
		customers,
		subscriptions,
		events: [],
		invoices,
		charges: newestFirst(rowsOf(tables, 'charges')).map(chargeOf),
		refunds: newestFirst(rowsOf(tables, 'refunds')).map(refundOf),
		sessions: newestFirst(rowsOf(tables, 'checkout_sessions')).map(sessionOf),
		taxRates,
	};
}

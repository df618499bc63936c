/**
 * Revenue analytics from Stripe directly (the node's Metrics and Report operations): what the
 * metrics need is read in bulk (customers, subscriptions of every status, the subscription events
 * Stripe still lists, invoices, charges, refunds, Checkout Sessions, tax rates), then every metric
 * of lib/analytics is computed over the same months, in one reporting currency.
 *
 * Stripe lists events for 30 days: older subscription changes are not known from the API, so a
 * subscription's current items stand for the time before its oldest listed event (the warehouse
 * tables have the same limit; see lib/analytics/mrrHistory.ts).
 */
import { currencyExponent } from '../money/currency';
import type { StripeClient } from '../stripe/client';
import { checkoutFunnel, type CheckoutFunnel, type CheckoutSessionLike } from './checkout';
import { cohortRetention, monthlyMetrics, type CohortRow, type MonthMetrics } from './metrics';
import { mrrHistory, mrrMovements, type HistorySubscription, type PeriodMovements, type SubscriptionEventLike } from './mrrHistory';
import { failedPaymentFunnel, type ChargeLike, type FailedPaymentFunnel } from './payments';
import type { InvoiceLike, TaxRateLike } from './shapes';
import { addUtcMonths, utcMonthStart } from './shapes';
import { taxReport, type RefundLike, type TaxReport } from './tax';

export interface AnalyticsData {
	customers: Array<{ id: string; created?: number; address?: { country?: string | null } | null }>;
	subscriptions: HistorySubscription[];
	events: SubscriptionEventLike[];
	invoices: InvoiceLike[];
	charges: ChargeLike[];
	refunds: RefundLike[];
	sessions: CheckoutSessionLike[];
	taxRates: Record<string, TaxRateLike>;
}

export interface AnalyticsOptions {
	/** The time the figures reflect (unix seconds). */
	now: number;
	/** Months shown, ending with the current one (default 12). */
	months?: number;
	reportingCurrency: string;
	/** Units of the reporting currency per unit of each other currency (major units: 1 EUR = 1.08 USD is `{ eur: 1.08 }`). */
	rates?: Record<string, number>;
	/** NRR/GRR window in months (default 12, at most the months shown). */
	retentionWindow?: number;
	taxPeriod?: 'month' | 'quarter' | 'year';
}

export interface AnalyticsResult {
	reportingCurrency: string;
	from: string;
	to: string;
	asOf: string;
	movements: PeriodMovements[];
	monthly: MonthMetrics[];
	cohorts: CohortRow[];
	failedPayments: FailedPaymentFunnel;
	checkout: CheckoutFunnel;
	tax: TaxReport;
}

/** Major-unit rates as lib/crm/mrr.ts's minor-per-minor rates (1 EUR = 1.08 USD → 1.08 cents per euro cent; 1 USD = 150 JPY-reporting → 1.5 yen per cent). */
export function minorRates(reportingCurrency: string, rates: Record<string, number> = {}): Record<string, number> {
	const out: Record<string, number> = {};
	const rExp = currencyExponent(reportingCurrency);
	for (const [currency, rate] of Object.entries(rates)) out[currency.toLowerCase()] = rate * 10 ** (rExp - currencyExponent(currency));
	return out;
}

/** Reads what the metrics need, every list in parallel (the client's limiter keeps Stripe's limits). */
export async function loadAnalyticsData(client: StripeClient): Promise<AnalyticsData> {
	const [customers, subscriptions, events, invoices, charges, refunds, sessions, taxRates] = await Promise.all([
		client.listAll<AnalyticsData['customers'][number]>('/v1/customers'),
		client.listAll<HistorySubscription & { id: string }>('/v1/subscriptions', { status: 'all' }),
		client.listAll<SubscriptionEventLike & { id: string }>('/v1/events', { types: ['customer.subscription.updated', 'customer.subscription.deleted'] }),
		client.listAll<InvoiceLike & { id: string }>('/v1/invoices', { expand: ['data.payments'] }),
		client.listAll<ChargeLike & { id: string }>('/v1/charges'),
		client.listAll<RefundLike & { id: string }>('/v1/refunds'),
		client.listAll<CheckoutSessionLike & { id: string }>('/v1/checkout/sessions', { expand: ['data.line_items'] }),
		client.listAll<TaxRateLike & { id: string }>('/v1/tax_rates'),
	]);
	return { customers, subscriptions, events, invoices, charges, refunds, sessions, taxRates: Object.fromEntries(taxRates.map((r) => [r.id, r])) };
}

/** Every metric over the last `months` UTC months up to `now`. */
export function computeAnalytics(data: AnalyticsData, options: AnalyticsOptions): AnalyticsResult {
	const months = options.months ?? 12;
	if (!Number.isInteger(months) || months < 1 || months > 120) throw new RangeError(`Months must be a whole number from 1 to 120, got ${months}.`);
	const reportingCurrency = options.reportingCurrency.toLowerCase();
	const rates = minorRates(reportingCurrency, options.rates);
	const to = addUtcMonths(utcMonthStart(options.now), 1);
	const from = addUtcMonths(to, -months);
	const history = mrrHistory(data.subscriptions, data.events, { from, to, now: options.now, reportingCurrency, rates });
	const taxRates = data.taxRates;
	return {
		reportingCurrency,
		from: new Date(from * 1000).toISOString(),
		to: new Date(to * 1000).toISOString(),
		asOf: new Date(options.now * 1000).toISOString(),
		movements: mrrMovements(history),
		monthly: monthlyMetrics(history, { window: Math.min(options.retentionWindow ?? 12, months) }),
		cohorts: cohortRetention(history),
		failedPayments: failedPaymentFunnel({ invoices: data.invoices, charges: data.charges, subscriptions: data.subscriptions as never }, { reportingCurrency, rates }),
		checkout: checkoutFunnel({ sessions: data.sessions, customers: data.customers as never, invoices: data.invoices }),
		tax: taxReport({ invoices: data.invoices, refunds: data.refunds }, { period: options.taxPeriod ?? 'month', taxRates, reportingCurrency, rates }),
	};
}

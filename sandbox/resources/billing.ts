import type Stripe from 'stripe';
import { invalidParam, invalidState, missingParam } from '../core/errors';
import { createdFilter } from '../core/list';
import type { Params } from '../core/params';
import type { Router } from '../core/router';
import type { InvoiceState, World } from '../world';
import { ACCOUNT_ID } from '../world';
import { attachPaymentMethod } from './customers';
import { usageFor } from './meters';
import { attemptPayment, newPaymentIntent, type AttemptResult } from './payments';
import { automaticTaxPlan, lineTaxes, locationError, manualTaxPlan, readTaxRates, registerTax, taxLocation, totalTaxes, type TaxPlan } from './tax';

const DAY = 86400;
const HOUR = 3600;
/** Stripe finalizes a renewal invoice about an hour after creating it (draft period for edits). */
const FINALIZE_DELAY = HOUR;
/** An incomplete first subscription payment expires after 23 hours. */
const INCOMPLETE_EXPIRY = 23 * HOUR;

export function addInterval(t: number, interval: string, count: number, anchorDay?: number): number {
	const d = new Date(t * 1000);
	switch (interval) {
		case 'day':
			return t + count * DAY;
		case 'week':
			return t + count * 7 * DAY;
		case 'month':
		case 'year': {
			const months = interval === 'year' ? 12 * count : count;
			const day = anchorDay ?? d.getUTCDate();
			const y = d.getUTCFullYear();
			const m = d.getUTCMonth() + months;
			const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
			return Date.UTC(y, m, Math.min(day, last), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()) / 1000;
		}
		default:
			throw new Error(`unknown interval ${interval}`);
	}
}

function idOf(v: string | { id: string } | null | undefined): string | null {
	if (v === null || v === undefined) return null;
	return typeof v === 'string' ? v : v.id;
}

function money(amount: number, currency: string): string {
	const symbol: Record<string, string> = { usd: '$', eur: '€', gbp: '£', cad: 'CA$', aud: 'A$', jpy: '¥' };
	return `${symbol[currency] ?? currency.toUpperCase() + ' '}${(amount / 100).toFixed(2)}`;
}

interface LineInput {
	amount: number;
	quantity: number;
	description: string;
	price: Stripe.Price | null;
	period: { start: number; end: number };
	subscription: string | null;
	subscriptionItem: string | null;
	invoiceItem: string | null;
	metadata?: Record<string, string>;
}

function lineItem(w: World, invoiceId: string, currency: string, l: LineInput): Stripe.InvoiceLineItem {
	return {
		id: w.id('il', 24),
		object: 'line_item',
		amount: l.amount,
		currency,
		description: l.description,
		discount_amounts: [],
		discountable: true,
		discounts: [],
		invoice: invoiceId,
		livemode: false,
		metadata: l.metadata ?? {},
		parent: l.subscriptionItem
			? {
					type: 'subscription_item_details',
					invoice_item_details: null,
					subscription_item_details: { invoice_item: null, proration: false, proration_details: { credited_items: null }, subscription: l.subscription, subscription_item: l.subscriptionItem },
				}
			: {
					type: 'invoice_item_details',
					invoice_item_details: { invoice_item: l.invoiceItem ?? '', proration: false, proration_details: { credited_items: null }, subscription: l.subscription },
					subscription_item_details: null,
				},
		period: l.period,
		pretax_credit_amounts: [],
		pricing: l.price ? { type: 'price_details', price_details: { price: l.price.id, product: idOf(l.price.product as string) ?? '' }, unit_amount_decimal: l.price.unit_amount_decimal } : null,
		quantity: l.quantity,
		subtotal: l.amount,
		taxes: [],
	} as unknown as Stripe.InvoiceLineItem;
}

/** The invoice's tax: Stripe Tax (`automatic_tax.enabled`) from the customer's current address, else its manual `default_tax_rates`. */
function taxPlanFor(w: World, inv: Stripe.Invoice): TaxPlan | null {
	if (inv.automatic_tax?.enabled) {
		const c = w.customers.get(idOf(inv.customer) as string);
		if (!c) return null;
		// Stripe Tax reads the customer's address while the invoice is a draft (and at finalization).
		inv.customer_address = c.address ?? null;
		inv.customer_shipping = c.shipping ?? null;
		inv.customer_tax_exempt = c.tax_exempt ?? null;
		const plan = automaticTaxPlan(w, c);
		inv.automatic_tax = { ...inv.automatic_tax, status: plan.entries ? 'complete' : 'requires_location_inputs' };
		return plan;
	}
	return inv.default_tax_rates?.length ? manualTaxPlan(inv.default_tax_rates) : null;
}

/** Totals from the lines, with tax per line (rounded per line in minor units) and `total_taxes` summed per rate. */
function recalc(w: World, inv: Stripe.Invoice): void {
	const plan = taxPlanFor(w, inv);
	let subtotal = 0;
	let exclusive = 0;
	let inclusive = 0;
	const perLine: Stripe.InvoiceLineItem.Tax[][] = [];
	for (const l of inv.lines.data) {
		subtotal += l.amount;
		l.taxes = plan ? lineTaxes(plan, l.amount) : [];
		for (const t of l.taxes) {
			if (t.tax_behavior === 'inclusive') inclusive += t.amount;
			else exclusive += t.amount;
		}
		perLine.push(l.taxes);
	}
	inv.total_taxes = totalTaxes(perLine);
	inv.subtotal = subtotal;
	inv.subtotal_excluding_tax = subtotal - inclusive;
	inv.total_excluding_tax = subtotal - inclusive;
	inv.total = subtotal + exclusive;
	inv.amount_due = Math.max(0, inv.total + inv.starting_balance);
	inv.amount_remaining = Math.max(0, inv.amount_due - inv.amount_paid);
}

/** `automatic_tax` of an invoice: enabled (Stripe Tax, the account liable) or off. */
function invoiceAutomaticTax(enabled: boolean): Stripe.Invoice.AutomaticTax {
	return enabled
		? { disabled_reason: null, enabled: true, liability: { type: 'self' }, provider: 'stripe', status: 'complete' }
		: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null };
}

/** Reads `automatic_tax[enabled]` (and `automatic_tax[liability][type]`, only `self` without Connect). */
function readAutomaticTax(p: Params): boolean | undefined {
	const at = p.obj('automatic_tax');
	if (!at) return undefined;
	at.allow(['enabled', 'liability']);
	const liability = at.obj('liability');
	if (liability) {
		liability.allow(['type', 'account']);
		const type = liability.oneOf('type', ['self', 'account'] as const);
		if (type === 'account') throw invalidParam('automatic_tax[liability][type]', 'A liability of type `account` needs Connect, which the sandbox does not model; use `self`.');
	}
	const enabled = at.bool('enabled');
	if (enabled === undefined) throw missingParam('automatic_tax[enabled]');
	return enabled;
}

export function newInvoice(
	w: World,
	o: {
		customer: Stripe.Customer;
		currency: string;
		subscription: Stripe.Subscription | null;
		billingReason: Stripe.Invoice.BillingReason;
		collectionMethod: Stripe.Invoice.CollectionMethod;
		autoAdvance: boolean;
		daysUntilDue: number | null;
		periodStart: number;
		periodEnd: number;
		lines: LineInput[];
		description?: string | null;
		metadata?: Record<string, string>;
		defaultPaymentMethod?: string | null;
		automaticTax?: boolean;
		defaultTaxRates?: Stripe.TaxRate[];
	},
): Stripe.Invoice {
	const id = w.id('in', 24);
	const c = o.customer;
	const inv = {
		id,
		object: 'invoice',
		account_country: 'US',
		account_name: 'RevOps Sandbox Inc.',
		account_tax_ids: null,
		amount_due: 0,
		amount_overpaid: 0,
		amount_paid: 0,
		amount_remaining: 0,
		amount_shipping: 0,
		application: null,
		attempt_count: 0,
		attempted: false,
		auto_advance: o.autoAdvance,
		automatic_tax: invoiceAutomaticTax(o.automaticTax ?? false),
		automatically_finalizes_at: null,
		billing_reason: o.billingReason,
		collection_method: o.collectionMethod,
		confirmation_secret: null,
		created: w.now(),
		currency: o.currency,
		custom_fields: null,
		customer: c.id,
		customer_address: c.address,
		customer_email: c.email,
		customer_name: c.name,
		customer_phone: c.phone,
		customer_shipping: c.shipping,
		customer_tax_exempt: c.tax_exempt,
		customer_tax_ids: [],
		default_payment_method: o.defaultPaymentMethod ?? null,
		default_source: null,
		default_tax_rates: o.defaultTaxRates ?? [],
		description: o.description ?? null,
		discounts: [],
		due_date: null,
		effective_at: null,
		ending_balance: null,
		footer: null,
		from_invoice: null,
		hosted_invoice_url: null,
		invoice_pdf: null,
		issuer: { type: 'self' },
		last_finalization_error: null,
		latest_revision: null,
		lines: { object: 'list', data: [], has_more: false, url: `/v1/invoices/${id}/lines` },
		livemode: false,
		metadata: o.metadata ?? {},
		next_payment_attempt: null,
		number: null,
		on_behalf_of: null,
		parent: o.subscription
			? { type: 'subscription_details', quote_details: null, subscription_details: { metadata: { ...o.subscription.metadata }, subscription: o.subscription.id } }
			: null,
		payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
		period_end: o.periodEnd,
		period_start: o.periodStart,
		post_payment_credit_notes_amount: 0,
		pre_payment_credit_notes_amount: 0,
		receipt_number: null,
		rendering: null,
		shipping_cost: null,
		shipping_details: null,
		starting_balance: 0,
		statement_descriptor: null,
		status: 'draft',
		status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
		subtotal: 0,
		subtotal_excluding_tax: 0,
		test_clock: c.test_clock ?? null,
		total: 0,
		total_discount_amounts: [],
		total_excluding_tax: 0,
		total_pretax_credit_amounts: [],
		total_taxes: [],
		webhooks_delivered_at: null,
	} as unknown as Stripe.Invoice;
	(inv as unknown as { due_days?: number | null }).due_days = undefined;
	delete (inv as unknown as { due_days?: unknown }).due_days;
	for (const l of o.lines) inv.lines.data.push(lineItem(w, id, o.currency, l));
	if (o.collectionMethod === 'send_invoice' && o.daysUntilDue !== null) inv.due_date = w.now() + o.daysUntilDue * DAY;
	recalc(w, inv);
	w.invoices.add(inv);
	w.invoiceState.set(id, { paymentIntent: null, firstFailureAt: null, retryIndex: 0, generation: 0 });
	w.emit('invoice.created', inv);
	return inv;
}

function state(w: World, inv: Stripe.Invoice): InvoiceState {
	let s = w.invoiceState.get(inv.id as string);
	if (!s) {
		s = { paymentIntent: null, firstFailureAt: null, retryIndex: 0, generation: 0 };
		w.invoiceState.set(inv.id as string, s);
	}
	return s;
}

export function finalizeInvoice(w: World, inv: Stripe.Invoice): void {
	if (inv.status !== 'draft') throw invalidState(`This invoice is already finalized, you can't re-finalize a non-draft invoice.`, 'invoice_not_editable');
	const customer = w.customers.require(idOf(inv.customer) as string, 'customer');
	if (inv.automatic_tax?.enabled && !taxLocation(customer)) {
		// Stripe Tax cannot finalize without a usable customer location.
		const err = locationError();
		w.update('invoice.updated', inv, (o) => {
			o.automatic_tax = { ...o.automatic_tax, status: 'requires_location_inputs' };
			o.last_finalization_error = { type: 'invalid_request_error', code: 'customer_tax_location_invalid', message: err.message, param: 'customer_tax_location' } as Stripe.Invoice.LastFinalizationError;
		});
		w.emit('invoice.finalization_failed', inv);
		throw err;
	}
	const seq = customer.next_invoice_sequence ?? 1;
	customer.next_invoice_sequence = seq + 1;
	const token = w.ids.token(40);
	w.update('invoice.updated', inv, (o) => {
		o.number = `${customer.invoice_prefix}-${String(seq).padStart(4, '0')}`;
		o.status = 'open';
		o.effective_at = w.now();
		o.status_transitions = { ...o.status_transitions, finalized_at: w.now() };
		o.hosted_invoice_url = `https://invoice.stripe.com/i/${ACCOUNT_ID}/test_${token}?s=ap`;
		o.invoice_pdf = `https://pay.stripe.com/invoice/${ACCOUNT_ID}/test_${token}/pdf?s=ap`;
		o.automatically_finalizes_at = null;
		o.ending_balance = 0;
		if (o.collection_method === 'send_invoice' && !o.due_date) o.due_date = w.now() + 30 * DAY;
		o.last_finalization_error = null;
		recalc(w, o);
	});
	w.emit('invoice.finalized', inv);
	if (inv.amount_due === 0) {
		markPaid(w, inv, null);
		return;
	}
	if (inv.collection_method === 'charge_automatically') {
		const pi = newPaymentIntent(w, { amount: inv.amount_due, currency: inv.currency, customer: customer.id, description: `Invoice ${inv.number}`, paymentMethod: null });
		state(w, inv).paymentIntent = pi.id;
		const payment = {
			id: w.id('inpay', 24),
			object: 'invoice_payment',
			amount_paid: null,
			amount_requested: inv.amount_due,
			created: w.now(),
			currency: inv.currency,
			invoice: inv.id,
			is_default: true,
			livemode: false,
			payment: { type: 'payment_intent', payment_intent: pi.id },
			status: 'open',
			status_transitions: { canceled_at: null, paid_at: null },
		} as Stripe.InvoicePayment;
		w.invoicePayments.add(payment);
		if (inv.auto_advance) {
			// Stripe attempts the first payment right after finalization (about an hour after creation for renewals).
			w.update(null, inv, (o) => (o.next_payment_attempt = w.now()));
		}
	}
}

function markPaid(w: World, inv: Stripe.Invoice, charge: Stripe.Charge | null, outOfBand = false): void {
	w.update('invoice.updated', inv, (o) => {
		o.status = 'paid';
		o.amount_paid = outOfBand ? 0 : o.amount_due;
		o.amount_remaining = 0;
		o.next_payment_attempt = null;
		o.status_transitions = { ...o.status_transitions, paid_at: w.now() };
	});
	for (const p of w.invoicePayments.values()) {
		if (p.invoice === inv.id && p.status === 'open') {
			p.status = 'paid';
			p.amount_paid = inv.amount_due;
			p.status_transitions = { ...p.status_transitions, paid_at: w.now() };
			if (charge) p.payment = { ...p.payment, charge: charge.id } as Stripe.InvoicePayment.Payment;
			w.emit('invoice_payment.paid', p);
		}
	}
	if (!outOfBand) w.emit('invoice.payment_succeeded', inv);
	w.emit('invoice.paid', inv);
	const subId = invoiceSubscription(inv);
	if (subId) {
		const sub = w.subscriptions.get(subId);
		if (sub && ['incomplete', 'past_due', 'unpaid', 'trialing'].includes(sub.status) && sub.status !== 'trialing') {
			w.update('customer.subscription.updated', sub, (o) => (o.status = 'active'));
		}
	}
	state(w, inv).generation++;
}

function invoiceSubscription(inv: Stripe.Invoice): string | null {
	return idOf(inv.parent?.subscription_details?.subscription as string | undefined);
}

/** The card to charge: explicit, invoice default, subscription default, then customer default. */
function paymentMethodFor(w: World, inv: Stripe.Invoice): string | null {
	const direct = idOf(inv.default_payment_method as string | null);
	if (direct) return direct;
	const subId = invoiceSubscription(inv);
	const sub = subId ? w.subscriptions.get(subId) : undefined;
	const subPm = idOf(sub?.default_payment_method as string | null | undefined);
	if (subPm) return subPm;
	const c = w.customers.get(idOf(inv.customer) as string);
	return idOf(c?.invoice_settings.default_payment_method as string | null | undefined);
}

export interface PayOutcome {
	ok: boolean;
	attempt: AttemptResult | null;
}

/** One payment attempt on an open invoice (manual `pay` or an automatic retry). */
export function attemptInvoice(w: World, inv: Stripe.Invoice, opts: { paymentMethod?: string; automatic: boolean }): PayOutcome {
	const st = state(w, inv);
	const pmId = opts.paymentMethod ?? paymentMethodFor(w, inv);
	if (!pmId) {
		if (!opts.automatic) {
			throw invalidState('This customer has no attached payment source or default payment method. Please consider adding a default payment method, or pass payment_method.');
		}
		w.update('invoice.updated', inv, (o) => {
			o.attempt_count += 1;
			o.attempted = true;
		});
		afterFailure(w, inv, st);
		return { ok: false, attempt: null };
	}
	let pi = st.paymentIntent ? w.paymentIntents.get(st.paymentIntent) : undefined;
	if (!pi) {
		pi = newPaymentIntent(w, { amount: inv.amount_remaining, currency: inv.currency, customer: idOf(inv.customer), description: `Invoice ${inv.number}`, paymentMethod: null });
		st.paymentIntent = pi.id;
	}
	const res = attemptPayment(w, pi, pmId);
	w.update(null, inv, (o) => {
		o.attempt_count += 1;
		o.attempted = true;
	});
	if (!res.decline) {
		markPaid(w, inv, res.charge);
		return { ok: true, attempt: res };
	}
	afterFailure(w, inv, st);
	return { ok: false, attempt: res };
}

function afterFailure(w: World, inv: Stripe.Invoice, st: InvoiceState): void {
	if (st.firstFailureAt === null) st.firstFailureAt = w.now();
	st.generation++;
	const subId = invoiceSubscription(inv);
	const sub = subId ? w.subscriptions.get(subId) : undefined;
	const isFirst = inv.billing_reason === 'subscription_create';
	const next = isFirst ? null : scheduleRetry(w, inv, st);
	w.update(null, inv, (o) => (o.next_payment_attempt = next));
	w.emit('invoice.payment_failed', inv);
	if (sub && sub.status !== 'canceled') {
		if (isFirst) {
			if (sub.status !== 'incomplete') w.update('customer.subscription.updated', sub, (o) => (o.status = 'incomplete'));
		} else if (next !== null || !inv.auto_advance) {
			// Still retrying, or collection taken over by the caller (auto_advance=false): past due, not canceled.
			if (sub.status !== 'past_due') w.update('customer.subscription.updated', sub, (o) => (o.status = 'past_due'));
		} else if (inv.auto_advance) {
			switch (w.scenario.params.afterRetries) {
				case 'cancel':
					cancelSubscription(w, sub, 'payment_failed');
					break;
				case 'unpaid':
					w.update('customer.subscription.updated', sub, (o) => (o.status = 'unpaid'));
					break;
				default:
					if (sub.status !== 'past_due') w.update('customer.subscription.updated', sub, (o) => (o.status = 'past_due'));
			}
		}
	}
}

/**
 * Schedules the next automatic retry of a failed invoice (`retryDays` after the first failure), or none: Stripe
 * collects automatically only while `auto_advance` is true (https://docs.stripe.com/invoicing/integration/automatic-advancement-collection,
 * "Turning off automatic advancement ... stops automatic collection", 2026). Returns the time, or null.
 */
function scheduleRetry(w: World, inv: Stripe.Invoice, st: InvoiceState): number | null {
	const retries = w.scenario.params.retryDays;
	if (!inv.auto_advance || inv.collection_method !== 'charge_automatically' || st.firstFailureAt === null || st.retryIndex >= retries.length) return null;
	let next = st.firstFailureAt + retries[st.retryIndex] * DAY;
	if (next <= w.now()) next = w.now() + HOUR;
	st.retryIndex++;
	const gen = st.generation;
	w.clock.schedule(next, () => {
		if (st.generation !== gen || inv.status !== 'open' || !inv.auto_advance) return;
		attemptInvoice(w, inv, { automatic: true });
	});
	return next;
}

export function cancelSubscription(w: World, sub: Stripe.Subscription, reason: Stripe.Subscription.CancellationDetails.Reason = 'cancellation_requested'): void {
	const ss = w.subState.get(sub.id);
	if (ss) ss.generation++;
	w.update(null, sub, (o) => {
		o.status = 'canceled';
		o.canceled_at = w.now();
		o.ended_at = w.now();
		o.cancellation_details = { comment: null, feedback: null, feedback_option: null, reason };
	});
	w.emit('customer.subscription.deleted', sub);
	for (const inv of w.invoices.values()) {
		if (invoiceSubscription(inv) === sub.id && inv.status === 'open' && inv.next_payment_attempt !== null) {
			state(w, inv).generation++;
			w.update('invoice.updated', inv, (o) => (o.next_payment_attempt = null));
		}
	}
}

function priceLine(w: World, sub: Stripe.Subscription, item: Stripe.SubscriptionItem, quantity: number, start: number, end: number, customer: string): LineInput | null {
	const price = w.prices.get(item.price.id) ?? item.price;
	const unit = Number(price.unit_amount_decimal ?? price.unit_amount ?? 0);
	const product = w.products.get(price.product as string);
	if (price.recurring?.usage_type === 'metered') {
		const usage = price.recurring.meter ? usageFor(w, price.recurring.meter, customer, start, end) : 0;
		return { amount: Math.round(usage * unit), quantity: Math.round(usage), description: `${usage} × ${product?.name ?? 'usage'} (at ${money(unit, price.currency)} / unit)`, price, period: { start, end }, subscription: sub.id, subscriptionItem: item.id, invoiceItem: null };
	}
	return { amount: Math.round(unit * quantity), quantity, description: `${quantity} × ${product?.name ?? 'item'} (at ${money(unit, price.currency)} / ${price.recurring?.interval ?? 'unit'})`, price, period: { start, end }, subscription: sub.id, subscriptionItem: item.id, invoiceItem: null };
}

function pendingItemLines(w: World, customer: string, subscription: string | null, invoiceId?: string): LineInput[] {
	const out: LineInput[] = [];
	for (const ii of w.invoiceItems.values()) {
		if (ii.customer !== customer || ii.invoice) continue;
		if (subscription !== null && idOf(ii.parent?.subscription_details?.subscription as string | undefined) !== subscription && subscription !== '*') continue;
		if (invoiceId) ii.invoice = invoiceId;
		out.push({ amount: ii.amount, quantity: ii.quantity, description: ii.description ?? 'Invoice item', price: null, period: ii.period, subscription: null, subscriptionItem: null, invoiceItem: ii.id, metadata: ii.metadata ?? {} });
	}
	return out;
}

function scheduleRenewal(w: World, sub: Stripe.Subscription): void {
	const ss = w.subState.get(sub.id);
	if (!ss) return;
	const gen = ++ss.generation;
	w.clock.schedule(ss.periodEnd, () => {
		if (ss.generation !== gen) return;
		renew(w, sub);
	});
}

function renew(w: World, sub: Stripe.Subscription): void {
	const ss = w.subState.get(sub.id) as NonNullable<ReturnType<typeof w.subState.get>>;
	if (sub.status === 'canceled' || sub.status === 'incomplete' || sub.status === 'incomplete_expired') return;
	if (sub.cancel_at_period_end || (sub.cancel_at !== null && sub.cancel_at <= w.now())) {
		cancelSubscription(w, sub, 'cancellation_requested');
		return;
	}
	if (sub.pause_collection) {
		// Paused collection: advance the period without invoicing.
	}
	const customer = w.customers.get(idOf(sub.customer) as string);
	if (!customer) return;
	const oldStart = ss.periodStart;
	const oldEnd = ss.periodEnd;
	const first = sub.items.data[0];
	const interval = first.price.recurring?.interval ?? 'month';
	const count = first.price.recurring?.interval_count ?? 1;
	const anchorDay = new Date(sub.billing_cycle_anchor * 1000).getUTCDate();
	const newEnd = addInterval(oldEnd, interval, count, anchorDay);
	ss.periodStart = oldEnd;
	ss.periodEnd = newEnd;
	const lines: LineInput[] = [];
	for (const item of sub.items.data) {
		const metered = item.price.recurring?.usage_type === 'metered';
		const l = metered ? priceLine(w, sub, item, 0, oldStart, oldEnd, customer.id) : priceLine(w, sub, item, item.quantity ?? 1, oldEnd, newEnd, customer.id);
		if (l) lines.push(l);
	}
	w.update('customer.subscription.updated', sub, (o) => {
		if (o.status === 'trialing') o.status = 'active';
		for (const it of o.items.data) {
			it.current_period_start = ss.periodStart;
			it.current_period_end = ss.periodEnd;
		}
	});
	if (!sub.pause_collection) {
		lines.push(...pendingItemLines(w, customer.id, sub.id));
		const inv = newInvoice(w, {
			customer,
			currency: sub.currency,
			subscription: sub,
			billingReason: 'subscription_cycle',
			collectionMethod: sub.collection_method,
			autoAdvance: true,
			daysUntilDue: sub.days_until_due,
			periodStart: oldStart,
			periodEnd: oldEnd,
			lines,
			defaultPaymentMethod: null,
			automaticTax: sub.automatic_tax?.enabled ?? false,
			defaultTaxRates: sub.default_tax_rates ?? [],
		});
		w.update(null, inv, (o) => (o.automatically_finalizes_at = w.now() + FINALIZE_DELAY));
		w.update(null, sub, (o) => (o.latest_invoice = inv.id));
		w.clock.schedule(w.now() + FINALIZE_DELAY, () => autoAdvance(w, inv));
	}
	scheduleRenewal(w, sub);
}

/** Finalizes a draft with auto_advance, then attempts payment (charge_automatically) or sends it. */
function autoAdvance(w: World, inv: Stripe.Invoice): void {
	if (inv.status !== 'draft' || !inv.auto_advance) return;
	try {
		finalizeInvoice(w, inv);
	} catch (e) {
		// A finalization that fails (Stripe Tax without a customer location) leaves the draft with `last_finalization_error`.
		if (inv.status === 'draft' && inv.last_finalization_error) return;
		throw e;
	}
	if (inv.status !== 'open') return;
	if (inv.collection_method === 'charge_automatically') attemptInvoice(w, inv, { automatic: true });
	else w.emit('invoice.sent', inv);
}

function buildItems(w: World, p: Params, subId: string, now: number): Stripe.SubscriptionItem[] {
	const items = p.arr('items');
	if (!items || items.length === 0) throw missingParam('items');
	return items.map((it, i) => {
		it.allow(['price', 'quantity', 'metadata', 'price_data', 'tax_rates', 'discounts', 'billing_thresholds', 'plan']);
		const priceId = it.str('price') ?? it.str('plan');
		if (!priceId) throw missingParam(`items[${i}][price]`);
		const price = w.prices.require(priceId, `items[${i}][price]`);
		if (!price.recurring) throw invalidParam(`items[${i}][price]`, `The price specified (${price.id}) is set to \`type=one_time\` but this field only accepts prices with \`type=recurring\`.`);
		if (!price.active) throw invalidParam(`items[${i}][price]`, `The price specified (${price.id}) is inactive. This field only accepts active prices.`);
		const metered = price.recurring.usage_type === 'metered';
		const quantity = metered ? undefined : (it.int('quantity') ?? 1);
		const id = w.id('si', 14);
		w.itemToSub.set(id, subId);
		return {
			id,
			object: 'subscription_item',
			billing_thresholds: null,
			created: now,
			current_period_end: now,
			current_period_start: now,
			discounts: [],
			metadata: it.metadata({}),
			plan: planOf(price),
			price,
			...(quantity === undefined ? {} : { quantity }),
			subscription: subId,
			tax_rates: [],
		} as unknown as Stripe.SubscriptionItem;
	});
}

function planOf(price: Stripe.Price): Stripe.Plan {
	return {
		id: price.id,
		object: 'plan',
		active: price.active,
		amount: price.unit_amount,
		amount_decimal: price.unit_amount_decimal,
		billing_scheme: price.billing_scheme,
		created: price.created,
		currency: price.currency,
		interval: price.recurring?.interval ?? 'month',
		interval_count: price.recurring?.interval_count ?? 1,
		livemode: false,
		metadata: price.metadata,
		meter: price.recurring?.meter ?? null,
		nickname: price.nickname,
		product: price.product,
		tiers_mode: null,
		transform_usage: null,
		trial_period_days: null,
		usage_type: price.recurring?.usage_type ?? 'licensed',
	} as Stripe.Plan;
}

const SUB_PARAMS = ['customer', 'items', 'default_payment_method', 'collection_method', 'days_until_due', 'trial_period_days', 'trial_end', 'payment_behavior', 'metadata', 'description', 'cancel_at_period_end', 'cancel_at', 'billing_cycle_anchor', 'currency', 'off_session', 'proration_behavior', 'automatic_tax', 'coupon', 'discounts', 'default_tax_rates', 'payment_settings', 'trial_from_plan', 'backdate_start_date', 'pending_invoice_item_interval', 'add_invoice_items', 'billing_mode', 'invoice_settings', 'transfer_data', 'application_fee_percent', 'on_behalf_of', 'default_source', 'trial_settings'];

export function createSubscription(w: World, p: Params): Stripe.Subscription {
	p.allow(SUB_PARAMS);
	const customer = w.customers.require(p.str('customer', true), 'customer');
	const automaticTax = readAutomaticTax(p) ?? false;
	const defaultTaxRates = readTaxRates(w, p.strings('default_tax_rates'), 'default_tax_rates') ?? [];
	if (automaticTax && defaultTaxRates.length > 0) throw invalidParam('default_tax_rates', 'You cannot set default_tax_rates when automatic_tax[enabled] is true.');
	// Stripe refuses a subscription with automatic tax for a customer whose location it cannot use.
	if (automaticTax && !taxLocation(customer)) throw locationError();
	const id = w.id('sub', 24);
	const now = w.now();
	const items = buildItems(w, p, id, now);
	const currency = items[0].price.currency;
	const interval = items[0].price.recurring?.interval;
	for (const [i, it] of items.entries()) {
		if (it.price.currency !== currency) throw invalidParam(`items[${i}][price]`, 'All prices on a subscription must have the same currency.');
		if (it.price.recurring?.interval !== interval) throw invalidParam(`items[${i}][price]`, 'All prices on a subscription must have the same `recurring.interval` and `recurring.interval_count`.');
	}
	const pmParam = p.str('default_payment_method');
	const pm = pmParam ? attachPaymentMethod(w, pmParam, customer.id, 'default_payment_method').id : null;
	const collection = p.oneOf('collection_method', ['charge_automatically', 'send_invoice'] as const) ?? 'charge_automatically';
	const daysUntilDue = p.int('days_until_due') ?? null;
	if (collection === 'send_invoice' && daysUntilDue === null) throw missingParam('days_until_due');
	const trialDays = p.int('trial_period_days');
	const trialEndParam = p.str('trial_end');
	let trialEnd: number | null = null;
	if (trialDays !== undefined && trialDays > 0) trialEnd = now + trialDays * DAY;
	if (trialEndParam && trialEndParam !== 'now') {
		trialEnd = p.int('trial_end') as number;
		if (trialEnd <= now) throw invalidParam('trial_end', 'Invalid timestamp: must be an integer Unix timestamp in the future.');
	}
	const anchor = p.int('billing_cycle_anchor') ?? trialEnd ?? now;
	const periodEnd = trialEnd ?? addInterval(now, interval ?? 'month', items[0].price.recurring?.interval_count ?? 1);
	for (const it of items) {
		it.current_period_start = now;
		it.current_period_end = periodEnd;
	}
	const behavior = p.oneOf('payment_behavior', ['allow_incomplete', 'error_if_incomplete', 'default_incomplete', 'pending_if_incomplete'] as const) ?? 'allow_incomplete';
	const sub = {
		id,
		object: 'subscription',
		application: null,
		application_fee_percent: null,
		automatic_tax: automaticTax ? { disabled_reason: null, enabled: true, liability: { type: 'self' } } : { disabled_reason: null, enabled: false, liability: null },
		billing_cycle_anchor: anchor,
		billing_cycle_anchor_config: null,
		billing_mode: { flexible: null, type: 'classic' },
		billing_thresholds: null,
		cancel_at: p.int('cancel_at') ?? null,
		cancel_at_period_end: p.bool('cancel_at_period_end') ?? false,
		canceled_at: null,
		cancellation_details: { comment: null, feedback: null, feedback_option: null, reason: null },
		collection_method: collection,
		created: now,
		currency,
		customer: customer.id,
		days_until_due: daysUntilDue,
		default_payment_method: pm,
		default_source: null,
		default_tax_rates: defaultTaxRates,
		description: p.nullable('description') ?? null,
		discounts: [],
		ended_at: null,
		invoice_settings: { account_tax_ids: null, issuer: { type: 'self' } },
		items: { object: 'list', data: items, has_more: false, url: `/v1/subscription_items?subscription=${id}` },
		latest_invoice: null,
		livemode: false,
		metadata: p.metadata({}),
		next_pending_invoice_item_invoice: null,
		on_behalf_of: null,
		pause_collection: null,
		payment_settings: { payment_method_options: null, payment_method_types: null, save_default_payment_method: 'off' },
		pending_invoice_item_interval: null,
		pending_setup_intent: null,
		pending_update: null,
		schedule: null,
		start_date: now,
		status: trialEnd ? 'trialing' : 'incomplete',
		test_clock: customer.test_clock ?? null,
		transfer_data: null,
		trial_end: trialEnd,
		trial_settings: { end_behavior: { missing_payment_method: 'create_invoice' } },
		trial_start: trialEnd ? now : null,
	} as unknown as Stripe.Subscription;
	w.subscriptions.add(sub);
	w.subState.set(id, { periodStart: now, periodEnd, generation: 0 });
	w.emit('customer.subscription.created', sub);
	const lines = items
		.filter((it) => it.price.recurring?.usage_type !== 'metered')
		.map((it) => {
			const l = priceLine(w, sub, it, it.quantity ?? 1, now, periodEnd, customer.id) as LineInput;
			return trialEnd ? { ...l, amount: 0, description: `Trial period for ${w.products.get(it.price.product as string)?.name ?? 'item'}` } : l;
		});
	const inv = newInvoice(w, {
		customer,
		currency,
		subscription: sub,
		billingReason: 'subscription_create',
		collectionMethod: collection,
		autoAdvance: true,
		daysUntilDue,
		periodStart: now,
		periodEnd: now,
		lines,
		automaticTax,
		defaultTaxRates,
	});
	sub.latest_invoice = inv.id as string;
	finalizeInvoice(w, inv);
	if (inv.status === 'paid') {
		if (!trialEnd) w.update('customer.subscription.updated', sub, (o) => (o.status = 'active'));
	} else if (collection === 'send_invoice') {
		w.emit('invoice.sent', inv);
		w.update('customer.subscription.updated', sub, (o) => (o.status = 'active'));
	} else if (behavior !== 'default_incomplete') {
		const res = attemptInvoice(w, inv, { automatic: false, paymentMethod: pm ?? undefined });
		if (!res.ok) {
			w.clock.schedule(now + INCOMPLETE_EXPIRY, () => {
				if (sub.status !== 'incomplete') return;
				w.update('customer.subscription.updated', sub, (o) => {
					o.status = 'incomplete_expired';
					o.ended_at = w.now();
				});
				if (inv.status === 'open') voidInvoice(w, inv);
			});
			if (behavior === 'error_if_incomplete' && res.attempt?.error) throw res.attempt.error;
		}
	}
	scheduleRenewal(w, sub);
	return sub;
}

function voidInvoice(w: World, inv: Stripe.Invoice): void {
	state(w, inv).generation++;
	w.update('invoice.updated', inv, (o) => {
		o.status = 'void';
		o.next_payment_attempt = null;
		o.status_transitions = { ...o.status_transitions, voided_at: w.now() };
	});
	for (const p of w.invoicePayments.values()) {
		if (p.invoice === inv.id && p.status === 'open') {
			p.status = 'canceled';
			p.status_transitions = { ...p.status_transitions, canceled_at: w.now() };
		}
	}
	const piId = state(w, inv).paymentIntent;
	const pi = piId ? w.paymentIntents.get(piId) : undefined;
	if (pi && pi.status !== 'succeeded' && pi.status !== 'canceled') {
		w.update(null, pi, (o) => {
			o.status = 'canceled';
			o.canceled_at = w.now();
			o.cancellation_reason = 'void_invoice';
		});
		w.emit('payment_intent.canceled', pi);
	}
	w.emit('invoice.voided', inv);
}

export function registerBilling(r: Router, w: World): void {
	registerTax(r, w);
	r.post('/v1/subscriptions', ({ params }) => createSubscription(w, params));
	r.get('/v1/subscriptions/:id', ({ pathParams }) => w.subscriptions.require(pathParams.id));
	r.post('/v1/subscriptions/:id', ({ pathParams, params }) => {
		const sub = w.subscriptions.require(pathParams.id);
		params.allow(['metadata', 'cancel_at_period_end', 'cancel_at', 'default_payment_method', 'description', 'items', 'pause_collection', 'collection_method', 'days_until_due', 'proration_behavior', 'payment_behavior', 'trial_end', 'off_session', 'cancellation_details', 'billing_cycle_anchor', 'default_tax_rates', 'discounts', 'payment_settings', 'invoice_settings', 'automatic_tax']);
		if (sub.status === 'canceled' || sub.status === 'incomplete_expired') {
			throw invalidState(`A canceled subscription can only update its cancellation_details and metadata.`);
		}
		const automaticTax = readAutomaticTax(params);
		const taxRates = readTaxRates(w, params.strings('default_tax_rates'), 'default_tax_rates');
		if ((automaticTax ?? sub.automatic_tax?.enabled) && (taxRates ?? sub.default_tax_rates ?? []).length > 0) throw invalidParam('default_tax_rates', 'You cannot set default_tax_rates when automatic_tax[enabled] is true.');
		if (automaticTax && !taxLocation(w.customers.require(idOf(sub.customer) as string, 'customer'))) throw locationError();
		return w.update('customer.subscription.updated', sub, (o) => {
			o.metadata = params.metadata(o.metadata);
			// Tax settings apply from the next invoice (the sandbox does not prorate).
			if (automaticTax !== undefined) o.automatic_tax = automaticTax ? { disabled_reason: null, enabled: true, liability: { type: 'self' } } : { disabled_reason: null, enabled: false, liability: null };
			if (taxRates !== undefined) o.default_tax_rates = taxRates;
			const cape = params.bool('cancel_at_period_end');
			if (cape !== undefined) {
				o.cancel_at_period_end = cape;
				o.cancel_at = cape ? (w.subState.get(o.id)?.periodEnd ?? null) : null;
			}
			if (params.has('cancel_at')) o.cancel_at = params.raw.cancel_at === '' ? null : (params.int('cancel_at') as number);
			const d = params.nullable('description');
			if (d !== undefined) o.description = d;
			const pm = params.nullable('default_payment_method');
			if (pm !== undefined) o.default_payment_method = pm === null ? null : attachPaymentMethod(w, pm, idOf(o.customer) as string, 'default_payment_method').id;
			if (params.has('pause_collection')) {
				const pc = params.obj('pause_collection');
				o.pause_collection = pc ? { behavior: pc.oneOf('behavior', ['keep_as_draft', 'mark_uncollectible', 'void'] as const) ?? 'void', resumes_at: pc.int('resumes_at') ?? null } : null;
			}
			const cm = params.oneOf('collection_method', ['charge_automatically', 'send_invoice'] as const);
			if (cm) o.collection_method = cm;
			const dud = params.int('days_until_due');
			if (dud !== undefined) o.days_until_due = dud;
			const items = params.arr('items');
			if (items) {
				for (const [i, it] of items.entries()) {
					const itemId = it.str('id');
					const existing = itemId ? o.items.data.find((x) => x.id === itemId) : undefined;
					if (itemId && !existing) throw invalidParam(`items[${i}][id]`, `No such subscription item: '${itemId}'`, 'resource_missing');
					if (existing && it.bool('deleted')) {
						o.items.data = o.items.data.filter((x) => x !== existing);
						continue;
					}
					const priceId = it.str('price');
					const price = priceId ? w.prices.require(priceId, `items[${i}][price]`) : undefined;
					if (existing) {
						if (price) {
							existing.price = price;
							existing.plan = planOf(price);
						}
						const q = it.int('quantity');
						if (q !== undefined) existing.quantity = q;
						existing.metadata = it.metadata(existing.metadata);
					} else {
						if (!price) throw missingParam(`items[${i}][price]`);
						const ss = w.subState.get(o.id);
						const sid = w.id('si', 14);
						w.itemToSub.set(sid, o.id);
						o.items.data.push({
							id: sid,
							object: 'subscription_item',
							billing_thresholds: null,
							created: w.now(),
							current_period_end: ss?.periodEnd ?? w.now(),
							current_period_start: ss?.periodStart ?? w.now(),
							discounts: [],
							metadata: it.metadata({}),
							plan: planOf(price),
							price,
							...(price.recurring?.usage_type === 'metered' ? {} : { quantity: it.int('quantity') ?? 1 }),
							subscription: o.id,
							tax_rates: [],
						} as unknown as Stripe.SubscriptionItem);
					}
				}
			}
			const te = params.str('trial_end');
			if (te === 'now' && o.status === 'trialing') {
				const ss = w.subState.get(o.id);
				if (ss) {
					ss.periodEnd = w.now();
					o.trial_end = w.now();
					w.clock.schedule(w.now(), () => undefined);
					scheduleRenewal(w, o);
				}
			}
		});
	});
	r.del('/v1/subscriptions/:id', ({ pathParams, params }) => {
		const sub = w.subscriptions.require(pathParams.id);
		params.allow(['invoice_now', 'prorate', 'cancellation_details']);
		if (sub.status === 'canceled') throw invalidState(`No such subscription: '${sub.id}'. This subscription has already been canceled.`, 'resource_missing', 404);
		cancelSubscription(w, sub);
		const cd = params.obj('cancellation_details');
		if (cd) sub.cancellation_details = { ...(sub.cancellation_details as Stripe.Subscription.CancellationDetails), comment: cd.nullable('comment') ?? null, feedback: (cd.str('feedback') as Stripe.Subscription.CancellationDetails.Feedback | undefined) ?? null };
		return sub;
	});
	r.post('/v1/subscriptions/:id/resume', ({ pathParams }) => {
		const sub = w.subscriptions.require(pathParams.id);
		return w.update('customer.subscription.updated', sub, (o) => (o.pause_collection = null));
	});
	r.get('/v1/subscriptions', ({ params }) => {
		const customer = params.str('customer');
		const price = params.str('price');
		const status = params.str('status');
		const cm = params.str('collection_method');
		const created = createdFilter(params);
		return w.subscriptions.list(params, '/v1/subscriptions', (o) => {
			if (customer !== undefined && o.customer !== customer) return false;
			if (status === undefined ? o.status === 'canceled' || o.status === 'incomplete_expired' : status !== 'all' && o.status !== status) return false;
			if (price !== undefined && !o.items.data.some((i) => i.price.id === price)) return false;
			if (cm !== undefined && o.collection_method !== cm) return false;
			return !created || created(o.created);
		});
	});
	r.get('/v1/subscription_items', ({ params }) => {
		const sub = w.subscriptions.require(params.str('subscription', true), 'subscription');
		return { object: 'list', data: sub.items.data, has_more: false, url: '/v1/subscription_items' };
	});
	r.get('/v1/subscription_items/:id', ({ pathParams }) => {
		const subId = w.itemToSub.get(pathParams.id);
		const item = subId ? w.subscriptions.get(subId)?.items.data.find((i) => i.id === pathParams.id) : undefined;
		if (!item) throw invalidParam('id', `No such subscription_item: '${pathParams.id}'`, 'resource_missing');
		return item;
	});

	// Invoices
	r.post('/v1/invoices', ({ params }) => {
		params.allow(['customer', 'auto_advance', 'collection_method', 'days_until_due', 'due_date', 'description', 'metadata', 'default_payment_method', 'pending_invoice_items_behavior', 'subscription', 'currency', 'footer', 'automatic_tax', 'custom_fields', 'discounts', 'statement_descriptor', 'rendering', 'payment_settings', 'account_tax_ids', 'default_tax_rates', 'number', 'on_behalf_of', 'issuer', 'shipping_cost', 'shipping_details', 'transfer_data', 'application_fee_amount', 'automatically_finalizes_at', 'from_invoice', 'default_source']);
		const customer = w.customers.require(params.str('customer', true), 'customer');
		const collection = params.oneOf('collection_method', ['charge_automatically', 'send_invoice'] as const) ?? 'charge_automatically';
		const daysUntilDue = params.int('days_until_due') ?? null;
		if (collection === 'send_invoice' && daysUntilDue === null && params.int('due_date') === undefined) throw missingParam('days_until_due');
		const subId = params.str('subscription');
		const sub = subId ? w.subscriptions.require(subId, 'subscription') : null;
		const include = params.oneOf('pending_invoice_items_behavior', ['include', 'exclude'] as const) ?? 'exclude';
		const pm = params.str('default_payment_method');
		const automaticTax = readAutomaticTax(params) ?? false;
		const defaultTaxRates = readTaxRates(w, params.strings('default_tax_rates'), 'default_tax_rates') ?? [];
		if (automaticTax && defaultTaxRates.length > 0) throw invalidParam('default_tax_rates', 'You cannot set default_tax_rates when automatic_tax[enabled] is true.');
		const inv = newInvoice(w, {
			customer,
			currency: params.str('currency') ?? customer.currency ?? 'usd',
			subscription: sub,
			billingReason: sub ? 'subscription' : 'manual',
			collectionMethod: collection,
			autoAdvance: params.bool('auto_advance') ?? false,
			daysUntilDue,
			periodStart: w.now(),
			periodEnd: w.now(),
			lines: [],
			description: params.nullable('description') ?? null,
			metadata: params.metadata({}),
			defaultPaymentMethod: pm ? attachPaymentMethod(w, pm, customer.id, 'default_payment_method').id : null,
			automaticTax,
			defaultTaxRates,
		});
		const due = params.int('due_date');
		if (due !== undefined) inv.due_date = due;
		const footer = params.nullable('footer');
		if (footer !== undefined) inv.footer = footer;
		if (include === 'include') {
			for (const l of pendingItemLines(w, customer.id, sub ? sub.id : '*', inv.id as string)) inv.lines.data.push(lineItem(w, inv.id as string, inv.currency, l));
			recalc(w, inv);
		}
		if (inv.auto_advance) {
			inv.automatically_finalizes_at = w.now() + FINALIZE_DELAY;
			w.clock.schedule(w.now() + FINALIZE_DELAY, () => autoAdvance(w, inv));
		}
		return inv;
	});
	r.get('/v1/invoices/:id', ({ pathParams }) => w.invoices.require(pathParams.id));
	r.post('/v1/invoices/:id', ({ pathParams, params }) => {
		const inv = w.invoices.require(pathParams.id);
		params.allow(['metadata', 'description', 'auto_advance', 'default_payment_method', 'days_until_due', 'due_date', 'collection_method', 'footer', 'custom_fields', 'statement_descriptor', 'rendering', 'payment_settings', 'automatic_tax', 'discounts', 'number', 'default_tax_rates']);
		const draftOnly = ['default_payment_method', 'days_until_due', 'collection_method', 'description', 'footer', 'automatic_tax', 'default_tax_rates'].filter((k) => params.has(k));
		const automaticTax = readAutomaticTax(params);
		const taxRates = readTaxRates(w, params.strings('default_tax_rates'), 'default_tax_rates');
		if ((automaticTax ?? inv.automatic_tax?.enabled) && (taxRates ?? inv.default_tax_rates ?? []).length > 0) throw invalidParam('default_tax_rates', 'You cannot set default_tax_rates when automatic_tax[enabled] is true.');
		if (inv.status !== 'draft' && draftOnly.length > 0 && !(inv.status === 'open' && draftOnly.every((k) => k === 'default_payment_method' || k === 'description' || k === 'footer'))) {
			throw invalidState(`You can only update ${draftOnly.join(', ')} on a draft invoice (this one is ${inv.status}).`, 'invoice_not_editable');
		}
		if (inv.status === 'void' || inv.status === 'paid' || inv.status === 'uncollectible') {
			if (Object.keys(params.raw).some((k) => k !== 'metadata' && k !== 'expand')) throw invalidState(`This invoice is ${inv.status}; only its metadata can be updated.`, 'invoice_not_editable');
		}
		return w.update('invoice.updated', inv, (o) => {
			o.metadata = params.metadata(o.metadata ?? {});
			const aa = params.bool('auto_advance');
			if (aa !== undefined && aa !== o.auto_advance) {
				o.auto_advance = aa;
				const st = state(w, o);
				if (!aa) {
					// Automatic collection stops: no finalization on its own, no retries (Smart Retries off for it).
					st.generation++;
					// The pending retry did not happen: resuming later takes it up again.
					if (o.next_payment_attempt !== null && st.retryIndex > 0) st.retryIndex--;
					o.next_payment_attempt = null;
					if (o.status === 'draft') o.automatically_finalizes_at = null;
				} else if (o.status === 'draft') {
					o.automatically_finalizes_at = w.now() + FINALIZE_DELAY;
					w.clock.schedule(w.now() + FINALIZE_DELAY, () => autoAdvance(w, o));
				} else if (o.status === 'open' && o.attempt_count > 0 && o.billing_reason !== 'subscription_create') {
					// Collection resumes where the schedule stood.
					st.generation++;
					o.next_payment_attempt = scheduleRetry(w, o, st);
				}
			}
			const d = params.nullable('description');
			if (d !== undefined) o.description = d;
			const f = params.nullable('footer');
			if (f !== undefined) o.footer = f;
			const pm = params.nullable('default_payment_method');
			if (pm !== undefined) o.default_payment_method = pm === null ? null : attachPaymentMethod(w, pm, idOf(o.customer) as string, 'default_payment_method').id;
			const cm = params.oneOf('collection_method', ['charge_automatically', 'send_invoice'] as const);
			if (cm) o.collection_method = cm;
			const dud = params.int('days_until_due');
			if (dud !== undefined) o.due_date = w.now() + dud * DAY;
			const due = params.int('due_date');
			if (due !== undefined) o.due_date = due;
			if (automaticTax !== undefined || taxRates !== undefined) {
				if (automaticTax !== undefined) o.automatic_tax = invoiceAutomaticTax(automaticTax);
				if (taxRates !== undefined) o.default_tax_rates = taxRates;
				recalc(w, o);
			}
		});
	});
	r.del('/v1/invoices/:id', ({ pathParams }) => {
		const inv = w.invoices.require(pathParams.id);
		if (inv.status !== 'draft') throw invalidState('You can only delete draft invoices.', 'invoice_not_editable');
		w.invoices.remove(inv.id as string);
		w.emit('invoice.deleted', inv);
		return { id: inv.id, object: 'invoice', deleted: true };
	});
	r.post('/v1/invoices/:id/finalize', ({ pathParams, params }) => {
		const inv = w.invoices.require(pathParams.id);
		params.allow(['auto_advance']);
		const aa = params.bool('auto_advance');
		if (aa !== undefined) inv.auto_advance = aa;
		finalizeInvoice(w, inv);
		if (inv.status === 'open' && inv.auto_advance && inv.collection_method === 'charge_automatically') {
			w.clock.schedule(w.now() + HOUR, () => {
				if (inv.status === 'open' && inv.attempt_count === 0 && inv.auto_advance) attemptInvoice(w, inv, { automatic: true });
			});
		}
		return inv;
	});
	r.post('/v1/invoices/:id/pay', ({ pathParams, params }) => {
		const inv = w.invoices.require(pathParams.id);
		params.allow(['payment_method', 'paid_out_of_band', 'forgive', 'off_session', 'source', 'mandate']);
		if (inv.status === 'paid') throw invalidState('Invoice is already paid');
		if (inv.status === 'void') throw invalidState('This invoice has been voided and cannot be paid.', 'invoice_not_editable');
		if (inv.status === 'draft') finalizeInvoice(w, inv);
		if (inv.status === 'paid') return inv;
		if (params.bool('paid_out_of_band')) {
			markPaid(w, inv, null, true);
			return inv;
		}
		const pmParam = params.str('payment_method');
		const pmId = pmParam ? attachPaymentMethod(w, pmParam, idOf(inv.customer) as string, 'payment_method').id : undefined;
		const res = attemptInvoice(w, inv, { automatic: false, paymentMethod: pmId });
		if (!res.ok && res.attempt?.error) throw res.attempt.error;
		return inv;
	});
	r.post('/v1/invoices/:id/void', ({ pathParams }) => {
		const inv = w.invoices.require(pathParams.id);
		if (inv.status !== 'open' && inv.status !== 'uncollectible') throw invalidState(`You can only void open or uncollectible invoices (this one is ${inv.status}).`, 'invoice_not_editable');
		voidInvoice(w, inv);
		return inv;
	});
	r.post('/v1/invoices/:id/mark_uncollectible', ({ pathParams }) => {
		const inv = w.invoices.require(pathParams.id);
		if (inv.status !== 'open') throw invalidState(`You can only mark open invoices as uncollectible (this one is ${inv.status}).`, 'invoice_not_editable');
		state(w, inv).generation++;
		w.update('invoice.updated', inv, (o) => {
			o.status = 'uncollectible';
			o.next_payment_attempt = null;
			o.status_transitions = { ...o.status_transitions, marked_uncollectible_at: w.now() };
		});
		w.emit('invoice.marked_uncollectible', inv);
		return inv;
	});
	r.post('/v1/invoices/:id/send', ({ pathParams }) => {
		const inv = w.invoices.require(pathParams.id);
		if (inv.status === 'draft') finalizeInvoice(w, inv);
		if (inv.collection_method !== 'send_invoice') throw invalidState('You can only manually send an invoice if its collection method is send_invoice.', 'invoice_not_editable');
		w.emit('invoice.sent', inv);
		return inv;
	});
	r.get('/v1/invoices/:id/lines', ({ pathParams }) => {
		const inv = w.invoices.require(pathParams.id);
		return inv.lines;
	});
	r.get('/v1/invoices', ({ params }) => {
		const customer = params.str('customer');
		const sub = params.str('subscription');
		const status = params.str('status');
		const cm = params.str('collection_method');
		const created = createdFilter(params);
		const due = createdFilter(params, 'due_date');
		return w.invoices.list(params, '/v1/invoices', (o) => (customer === undefined || o.customer === customer) && (sub === undefined || invoiceSubscription(o) === sub) && (status === undefined || o.status === status) && (cm === undefined || o.collection_method === cm) && (!created || created(o.created)) && (!due || (o.due_date !== null && due(o.due_date))));
	});
	r.get('/v1/invoice_payments/:id', ({ pathParams }) => w.invoicePayments.require(pathParams.id));
	r.get('/v1/invoice_payments', ({ params }) => {
		const invoice = params.str('invoice');
		const status = params.str('status');
		return w.invoicePayments.list(params, '/v1/invoice_payments', (o) => (invoice === undefined || o.invoice === invoice) && (status === undefined || o.status === status));
	});

	// Invoice items
	r.post('/v1/invoiceitems', ({ params }) => {
		params.allow(['customer', 'amount', 'currency', 'description', 'invoice', 'metadata', 'period', 'price', 'pricing', 'quantity', 'unit_amount_decimal', 'subscription', 'discountable', 'tax_rates', 'price_data', 'tax_behavior', 'tax_code', 'discounts']);
		const customer = w.customers.require(params.str('customer', true), 'customer');
		const invId = params.str('invoice');
		const inv = invId ? w.invoices.require(invId, 'invoice') : undefined;
		if (inv && inv.status !== 'draft') throw invalidState(`You can only add invoice items to draft invoices (${inv.id} is ${inv.status}).`, 'invoice_not_editable');
		const priceId = params.str('price') ?? params.obj('pricing')?.str('price');
		const price = priceId ? w.prices.require(priceId, 'price') : undefined;
		const quantity = params.int('quantity') ?? 1;
		const amount = params.int('amount') ?? (price ? (price.unit_amount ?? 0) * quantity : params.num('unit_amount_decimal') !== undefined ? Math.round((params.num('unit_amount_decimal') as number) * quantity) : undefined);
		if (amount === undefined) throw missingParam('amount');
		const currency = (params.str('currency') ?? price?.currency ?? inv?.currency ?? customer.currency ?? undefined)?.toLowerCase();
		if (!currency) throw missingParam('currency');
		const period = params.obj('period');
		const ii = {
			id: w.id('ii', 24),
			object: 'invoiceitem',
			amount,
			currency,
			customer: customer.id,
			date: w.now(),
			description: params.nullable('description') ?? (price ? (w.products.get(price.product as string)?.name ?? null) : null),
			discountable: true,
			discounts: [],
			invoice: inv ? inv.id : null,
			livemode: false,
			metadata: params.metadata({}),
			net_amount: amount,
			parent: null,
			period: { start: period?.int('start') ?? w.now(), end: period?.int('end') ?? w.now() },
			pricing: price ? { type: 'price_details', price_details: { price: price.id, product: price.product }, unit_amount_decimal: price.unit_amount_decimal } : null,
			proration: false,
			quantity,
			tax_rates: [],
			test_clock: null,
		} as unknown as Stripe.InvoiceItem;
		w.invoiceItems.add(ii);
		w.emit('invoiceitem.created', ii);
		if (inv) {
			w.update('invoice.updated', inv, (o) => {
				o.lines.data.push(lineItem(w, o.id as string, o.currency, { amount, quantity, description: ii.description ?? 'Invoice item', price: price ?? null, period: ii.period, subscription: null, subscriptionItem: null, invoiceItem: ii.id, metadata: ii.metadata ?? {} }));
				recalc(w, o);
			});
		}
		return ii;
	});
	r.get('/v1/invoiceitems/:id', ({ pathParams }) => w.invoiceItems.require(pathParams.id));
	r.del('/v1/invoiceitems/:id', ({ pathParams }) => {
		const ii = w.invoiceItems.require(pathParams.id);
		const inv = ii.invoice ? w.invoices.get(idOf(ii.invoice as string) as string) : undefined;
		if (inv && inv.status !== 'draft') throw invalidState('This invoice item is on a finalized invoice and cannot be deleted.', 'invoice_not_editable');
		if (inv) {
			inv.lines.data = inv.lines.data.filter((l) => l.parent?.invoice_item_details?.invoice_item !== ii.id);
			recalc(w, inv);
		}
		w.invoiceItems.remove(ii.id);
		w.emit('invoiceitem.deleted', ii);
		return { id: ii.id, object: 'invoiceitem', deleted: true };
	});
	r.get('/v1/invoiceitems', ({ params }) => {
		const customer = params.str('customer');
		const invoice = params.str('invoice');
		const pending = params.bool('pending');
		return w.invoiceItems.list(params, '/v1/invoiceitems', (o) => (customer === undefined || o.customer === customer) && (invoice === undefined || o.invoice === invoice) && (pending === undefined || (o.invoice === null) === pending));
	});
}

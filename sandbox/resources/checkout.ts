/**
 * Checkout Sessions (`/v1/checkout/sessions`, https://docs.stripe.com/api/checkout/sessions) in the
 * `2026-10-28.endive` shape, with a small hosted page (`GET /p/checkout/pay/:id`).
 *
 * Stripe has no API to complete a session: the customer does it on the hosted page. The sandbox's control route
 * `POST /_sandbox/checkout/sessions/:id/complete` stands in for the customer: it creates the customer when the session
 * asks for one, then pays through the sandbox's own paths (a subscription through `createSubscription`, so its first
 * invoice is created and paid or declined by the payment model; a PaymentIntent and charge through `attemptPayment`).
 * A decline leaves the session `open` and `unpaid` (the page lets the customer retry) and answers the card error.
 * Sessions still open at `expires_at` (test clock) become `expired` (`checkout.session.expired`).
 *
 * Not modelled: `price_data`, one-time items in subscription mode, discounts, shipping, optional items, adaptive
 * pricing, SetupIntents (a setup session attaches the card; `setup_intent` stays null) and `checkout.session.async_payment_*`.
 */
import type Stripe from 'stripe';
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError, invalidParam, invalidState, missingParam, notFound, type ErrorBody } from '../core/errors';
import type { FormObject } from '../core/form';
import { createdFilter, paginate } from '../core/list';
import { Params } from '../core/params';
import type { Router } from '../core/router';
import type { World } from '../world';
import { attemptInvoice, createSubscription } from './billing';
import { attachPaymentMethod, createCustomer, resolvePaymentMethod } from './customers';
import { attemptPayment, newPaymentIntent } from './payments';
import { automaticTaxPlan, lineTaxes, taxLocation } from './tax';

/** "It can be anywhere from 30 minutes to 24 hours after Checkout Session creation. By default, this value is 24 hours" (stripe@23.1.0). */
export const CHECKOUT_MIN_EXPIRY = 30 * 60;
export const CHECKOUT_MAX_EXPIRY = 24 * 3600;
const MODES = ['payment', 'setup', 'subscription'] as const;
const UI_MODES = ['hosted_page', 'embedded_page', 'elements', 'form'] as const;
const LOCALES = ['auto', 'bg', 'cs', 'da', 'de', 'el', 'en', 'en-GB', 'es', 'es-419', 'et', 'fi', 'fil', 'fr', 'fr-CA', 'hi-IN', 'hr', 'hu', 'id', 'it', 'ja', 'ko', 'lt', 'lv', 'ms', 'mt', 'nb', 'nl', 'pl', 'pt', 'pt-BR', 'ro', 'ru', 'sk', 'sl', 'sv', 'th', 'tr', 'vi', 'zh', 'zh-HK', 'zh-TW'] as const;
const CREATE_PARAMS = ['adaptive_pricing', 'after_expiration', 'allow_promotion_codes', 'allowed_payment_method_types', 'automatic_tax', 'billing_address_collection', 'branding_settings', 'cancel_url', 'client_reference_id', 'consent_collection', 'currency', 'custom_fields', 'custom_text', 'customer', 'customer_account', 'customer_creation', 'customer_email', 'customer_update', 'discounts', 'excluded_payment_method_types', 'expires_at', 'integration_identifier', 'invoice_creation', 'line_items', 'locale', 'managed_payments', 'metadata', 'mode', 'name_collection', 'optional_items', 'origin_context', 'payment_intent_data', 'payment_method_collection', 'payment_method_configuration', 'payment_method_data', 'payment_method_options', 'payment_method_types', 'permissions', 'phone_number_collection', 'redirect_on_completion', 'return_url', 'saved_payment_method_options', 'setup_intent_data', 'shipping_address_collection', 'shipping_options', 'submit_type', 'subscription_data', 'success_url', 'tax_id_collection', 'ui_mode', 'wallet_options'];
const LIST_PARAMS = ['created', 'customer', 'customer_account', 'customer_details', 'ending_before', 'limit', 'payment_intent', 'payment_link', 'starting_after', 'status', 'subscription'];

/** What a session keeps that Stripe does not show on the object: its line items and what completion needs. */
interface CheckoutState {
	lineItems: Stripe.LineItem[];
	trialDays: number | null;
	subscriptionMetadata: Record<string, string>;
	subscriptionDescription: string | null;
	paymentDescription: string | null;
	paymentMetadata: Record<string, string>;
	saveCard: boolean;
	/** A subscription (its first invoice declined) or PaymentIntent from an earlier attempt, retried by the next one. */
	pendingSubscription: string | null;
	pendingPaymentIntent: string | null;
}

const states = new WeakMap<Stripe.Checkout.Session, CheckoutState>();

function stateOf(s: Stripe.Checkout.Session): CheckoutState {
	const st = states.get(s);
	if (!st) throw new Error(`no state for checkout session ${s.id}`);
	return st;
}

/** The session's line items (for the list route and seeding). */
export function checkoutLineItems(s: Stripe.Checkout.Session): Stripe.LineItem[] {
	return stateOf(s).lineItems;
}

function formParams(o: Record<string, unknown>): Params {
	return new Params(JSON.parse(JSON.stringify(o, (_k, v) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : v))) as FormObject);
}

function isUrl(v: string): boolean {
	return /^https?:\/\/[^\s/]+/i.test(v);
}

function hostOf(headers: IncomingHttpHeaders | undefined): string {
	const h = headers?.host;
	return typeof h === 'string' && /^[A-Za-z0-9.:[\]-]+$/.test(h) ? h : '127.0.0.1';
}

/** The hosted page of an open `hosted_page` session, on the host the request came to (seeded sessions have none). */
function withUrl(s: Stripe.Checkout.Session, headers?: IncomingHttpHeaders): Stripe.Checkout.Session {
	if (s.url !== null && headers?.host) s.url = `http://${hostOf(headers)}/p/checkout/pay/${s.id}`;
	return s;
}

export interface LineInput {
	price: Stripe.Price;
	quantity: number | null;
}

/** Reads and validates `line_items` for the mode, as Stripe does. */
function readLineItems(w: World, p: Params, mode: (typeof MODES)[number]): LineInput[] {
	const raw = p.arr('line_items');
	if (mode === 'setup') {
		if (raw && raw.length > 0) throw invalidParam('line_items', 'You can not pass `line_items` in `setup` mode.');
		return [];
	}
	if (!raw || raw.length === 0) throw missingParam('line_items');
	const max = mode === 'payment' ? 100 : 20;
	if (raw.length > max) throw invalidParam('line_items', `You can pass at most ${max} line items in \`${mode}\` mode.`);
	const out: LineInput[] = raw.map((it, i) => {
		const name = `line_items[${i}]`;
		it.allow(['price', 'quantity', 'price_data', 'adjustable_quantity', 'dynamic_tax_rates', 'tax_rates', 'metadata']);
		if (it.has('price_data')) throw invalidParam(`${name}[price_data]`, 'The sandbox does not model `price_data`; create the price first (POST /v1/prices) and pass `price`.');
		const priceId = it.str('price');
		if (!priceId) throw missingParam(`${name}[price]`);
		const price = w.prices.get(priceId);
		if (!price) throw invalidParam(`${name}[price]`, `No such price: '${priceId}'`, 'resource_missing');
		if (!price.active) throw invalidParam(`${name}[price]`, `The price specified (${price.id}) is inactive. This field only accepts active prices.`);
		const metered = price.recurring?.usage_type === 'metered';
		const quantity = it.int('quantity');
		if (metered) {
			if (quantity !== undefined) throw invalidParam(`${name}[quantity]`, 'Quantity should not be specified where usage_type is `metered`. Remove quantity from the line item.');
		} else {
			if (quantity === undefined) throw missingParam(`${name}[quantity]`);
			if (quantity < 1 || quantity > 999_999) throw invalidParam(`${name}[quantity]`, 'This value must be between 1 and 999999.');
		}
		return { price, quantity: metered ? null : (quantity as number) };
	});
	const currency = out[0].price.currency;
	for (const [i, l] of out.entries()) {
		if (l.price.currency !== currency) throw invalidParam(`line_items[${i}][price]`, `All line items must have the same currency; line_items[0] is in ${currency}, this one in ${l.price.currency}.`);
	}
	if (mode === 'payment') {
		for (const [i, l] of out.entries()) {
			if (l.price.recurring) throw invalidParam(`line_items[${i}][price]`, 'You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.');
		}
	} else {
		const recurring = out.filter((l) => l.price.recurring);
		if (recurring.length === 0) throw invalidParam('line_items', 'You must provide at least one recurring price in `subscription` mode when using prices.');
		const first = recurring[0].price.recurring as Stripe.Price.Recurring;
		for (const [i, l] of out.entries()) {
			if (!l.price.recurring) throw invalidParam(`line_items[${i}][price]`, `The sandbox does not model one-time prices in \`subscription\` mode (${l.price.id} is \`type=one_time\`); Stripe would add them to the first invoice.`);
			if (l.price.recurring.interval !== first.interval || l.price.recurring.interval_count !== first.interval_count) {
				throw invalidParam(`line_items[${i}][price]`, 'All prices on a subscription must have the same `recurring.interval` and `recurring.interval_count`.');
			}
		}
	}
	return out;
}

function lineItemOf(w: World, l: LineInput, trial: boolean): Stripe.LineItem {
	const unit = Number(l.price.unit_amount_decimal ?? l.price.unit_amount ?? 0);
	const amount = trial || l.quantity === null ? 0 : Math.round(unit * l.quantity);
	return {
		id: w.id('li', 24),
		object: 'item',
		adjustable_quantity: null,
		amount_discount: 0,
		amount_subtotal: amount,
		amount_tax: 0,
		amount_total: amount,
		currency: l.price.currency,
		description: w.products.get(l.price.product as string)?.name ?? null,
		metadata: {},
		price: l.price,
		quantity: l.quantity,
	} as Stripe.LineItem;
}

/** Exclusive Stripe Tax on the line items for a customer with a usable location (0 and null status otherwise). */
function sessionTax(w: World, items: Stripe.LineItem[], customer: Stripe.Customer | null): { amount: number; status: 'complete' | 'requires_location_inputs' } {
	if (!customer || !taxLocation(customer)) return { amount: 0, status: 'requires_location_inputs' };
	const plan = automaticTaxPlan(w, customer);
	let total = 0;
	for (const li of items) {
		const tax = lineTaxes(plan, li.amount_subtotal).filter((t) => t.tax_behavior === 'exclusive').reduce((s, t) => s + t.amount, 0);
		li.amount_tax = tax;
		li.amount_total = li.amount_subtotal + tax;
		total += tax;
	}
	return { amount: total, status: 'complete' };
}

export interface SessionInput {
	mode: (typeof MODES)[number];
	uiMode: (typeof UI_MODES)[number];
	lines: LineInput[];
	currency: string | null;
	customer: Stripe.Customer | null;
	customerEmail: string | null;
	customerCreation: 'always' | 'if_required' | null;
	successUrl: string | null;
	cancelUrl: string | null;
	returnUrl: string | null;
	clientReferenceId: string | null;
	metadata: Record<string, string>;
	locale: string | null;
	created: number;
	expiresAt: number;
	automaticTax: boolean;
	trialDays: number | null;
	host: string;
	extra?: Partial<Pick<CheckoutState, 'subscriptionMetadata' | 'subscriptionDescription' | 'paymentDescription' | 'paymentMetadata' | 'saveCard'>>;
	submitType?: string | null;
	billingAddressCollection?: string | null;
	paymentMethodCollection?: string | null;
	allowPromotionCodes?: boolean | null;
	redirectOnCompletion?: string | null;
}

/** Builds, stores and schedules the expiry of a session (no event: Stripe has no `checkout.session.created`). */
export function buildSession(w: World, o: SessionInput): Stripe.Checkout.Session {
	const id = w.id('cs_test', 58);
	const trial = o.mode === 'subscription' && o.trialDays !== null;
	const items = o.lines.map((l) => lineItemOf(w, l, trial));
	const subtotal = items.reduce((s, li) => s + li.amount_subtotal, 0);
	const tax = o.automaticTax && o.mode !== 'setup' ? sessionTax(w, items, o.customer) : null;
	const hosted = o.uiMode === 'hosted_page';
	const s = {
		id,
		object: 'checkout.session',
		adaptive_pricing: { enabled: false },
		after_expiration: null,
		allow_promotion_codes: o.allowPromotionCodes ?? null,
		allowed_payment_method_types: null,
		amount_subtotal: o.mode === 'setup' ? null : subtotal,
		amount_total: o.mode === 'setup' ? null : subtotal + (tax?.amount ?? 0),
		automatic_tax: { enabled: o.automaticTax, liability: o.automaticTax ? { type: 'self' } : null, provider: o.automaticTax ? 'stripe' : null, status: tax ? tax.status : null },
		billing_address_collection: o.billingAddressCollection ?? null,
		cancel_url: o.cancelUrl,
		client_reference_id: o.clientReferenceId,
		client_secret: hosted ? null : `${id}_secret_${w.id('cssecret', 24).slice('cssecret_'.length)}`,
		collected_information: null,
		consent: null,
		consent_collection: null,
		created: o.created,
		currency: o.mode === 'setup' ? o.currency : (o.lines[0]?.price.currency ?? null),
		currency_conversion: null,
		custom_fields: [],
		custom_text: { after_submit: null, shipping_address: null, submit: null, terms_of_service_acceptance: null },
		customer: o.customer?.id ?? null,
		customer_account: null,
		customer_creation: o.customerCreation,
		customer_details: null,
		customer_email: o.customerEmail,
		discounts: [],
		expires_at: o.expiresAt,
		integration_identifier: null,
		invoice: null,
		invoice_creation: o.mode === 'payment' ? { enabled: false, invoice_data: { account_tax_ids: null, custom_fields: null, description: null, footer: null, issuer: null, metadata: {}, rendering_options: null } } : null,
		livemode: false,
		locale: o.locale,
		managed_payments: null,
		metadata: o.metadata,
		mode: o.mode,
		origin_context: null,
		payment_intent: null,
		payment_link: null,
		payment_method_collection: o.mode === 'subscription' ? (o.paymentMethodCollection ?? 'always') : null,
		payment_method_configuration_details: null,
		payment_method_options: { card: { request_three_d_secure: 'automatic' } },
		payment_method_types: ['card'],
		payment_status: o.mode === 'setup' || trial ? 'no_payment_required' : 'unpaid',
		permissions: null,
		phone_number_collection: { enabled: false },
		recovered_from: null,
		saved_payment_method_options: o.customer && o.mode !== 'setup' ? { allow_redisplay_filters: ['always'], payment_method_remove: 'disabled', payment_method_save: null } : null,
		setup_intent: null,
		shipping_address_collection: null,
		shipping_cost: null,
		shipping_options: [],
		status: 'open',
		submit_type: o.submitType ?? null,
		subscription: null,
		success_url: o.successUrl,
		total_details: o.mode === 'setup' ? null : { amount_discount: 0, amount_shipping: 0, amount_tax: tax?.amount ?? 0 },
		ui_mode: o.uiMode,
		url: hosted ? `http://${o.host}/p/checkout/pay/${id}` : null,
		wallet_options: null,
		...(hosted ? {} : { return_url: o.returnUrl ?? undefined, redirect_on_completion: o.redirectOnCompletion ?? 'always' }),
	} as unknown as Stripe.Checkout.Session;
	if (!hosted && o.returnUrl === null) delete (s as { return_url?: unknown }).return_url;
	w.checkoutSessions.add(s);
	states.set(s, {
		lineItems: items,
		trialDays: trial ? o.trialDays : null,
		subscriptionMetadata: o.extra?.subscriptionMetadata ?? {},
		subscriptionDescription: o.extra?.subscriptionDescription ?? null,
		paymentDescription: o.extra?.paymentDescription ?? null,
		paymentMetadata: o.extra?.paymentMetadata ?? {},
		saveCard: o.extra?.saveCard ?? false,
		pendingSubscription: null,
		pendingPaymentIntent: null,
	});
	// Still open at `expires_at` on the test clock: expired, as Stripe does.
	w.clock.schedule(o.expiresAt, () => {
		if (s.status === 'open') expireSession(w, s);
	});
	return s;
}

export function expireSession(w: World, s: Stripe.Checkout.Session): void {
	w.update(null, s, (o) => {
		o.status = 'expired';
		o.url = null;
	});
	const st = stateOf(s);
	// A PaymentIntent left by a declined attempt is canceled with the session.
	const pi = st.pendingPaymentIntent ? w.paymentIntents.get(st.pendingPaymentIntent) : undefined;
	if (pi && pi.status === 'requires_payment_method') {
		w.update(null, pi, (o) => ((o.status = 'canceled'), (o.canceled_at = w.now()), (o.cancellation_reason = 'abandoned')));
		w.emit('payment_intent.canceled', pi);
	}
	w.emit('checkout.session.expired', s);
}

/** `POST /v1/checkout/sessions`, validated as Stripe validates it. */
export function createSession(w: World, p: Params, headers?: IncomingHttpHeaders): Stripe.Checkout.Session {
	p.allow(CREATE_PARAMS);
	const mode = p.oneOf('mode', MODES);
	if (!mode) throw missingParam('mode');
	const uiMode = p.oneOf('ui_mode', UI_MODES) ?? 'hosted_page';
	const hosted = uiMode === 'hosted_page';
	const successUrl = p.str('success_url') ?? null;
	const cancelUrl = p.str('cancel_url') ?? null;
	const returnUrl = p.str('return_url') ?? null;
	const redirect = p.oneOf('redirect_on_completion', ['always', 'if_required', 'never'] as const) ?? null;
	if (hosted) {
		if (successUrl === null) throw missingParam('success_url');
		if (returnUrl !== null) throw invalidParam('return_url', '`return_url` can only be used with `ui_mode: embedded_page` or `elements`; use `success_url` with a hosted page.');
		if (redirect !== null) throw invalidParam('redirect_on_completion', '`redirect_on_completion` can only be used with `ui_mode: embedded_page`.');
	} else {
		if (successUrl !== null) throw invalidParam('success_url', `\`success_url\` is not allowed when \`ui_mode\` is \`${uiMode}\`; use \`return_url\`.`);
		if (cancelUrl !== null) throw invalidParam('cancel_url', `\`cancel_url\` is not allowed when \`ui_mode\` is \`${uiMode}\`.`);
		if (returnUrl === null && redirect !== 'never') throw missingParam('return_url');
	}
	for (const [k, v] of [['success_url', successUrl], ['cancel_url', cancelUrl], ['return_url', returnUrl]] as const) {
		if (v !== null && !isUrl(v)) throw invalidParam(k, 'Not a valid URL', 'url_invalid');
	}
	const lines = readLineItems(w, p, mode);
	let currency = p.str('currency')?.toLowerCase() ?? null;
	if (mode === 'setup') {
		if (!currency) throw missingParam('currency');
		if (!/^[a-z]{3}$/.test(currency)) throw invalidParam('currency', `Invalid currency: ${currency}.`);
	} else if (currency && currency !== lines[0].price.currency) {
		throw invalidParam('currency', `The currency (${currency}) does not match the currency of the line items (${lines[0].price.currency}).`);
	} else currency = lines[0].price.currency;

	const customerId = p.str('customer');
	const customerEmail = p.str('customer_email') ?? null;
	const creation = p.oneOf('customer_creation', ['always', 'if_required'] as const) ?? null;
	if (customerId && customerEmail !== null) throw invalidState('You may only specify one of these parameters: customer, customer_email.');
	if (customerId && creation) throw invalidState('You may only specify one of these parameters: customer, customer_creation.');
	if (creation && mode === 'subscription') throw invalidParam('customer_creation', '`customer_creation` can only be used in `payment` and `setup` mode.');
	if (customerEmail !== null && !/^[^@\s]+@[^@\s]+$/.test(customerEmail)) throw invalidParam('customer_email', `Invalid email address: ${customerEmail}`, 'email_invalid');
	let customer: Stripe.Customer | null = null;
	if (customerId) {
		customer = w.customers.get(customerId) ?? null;
		if (!customer) throw invalidParam('customer', `No such customer: '${customerId}'`, 'resource_missing');
	}

	const now = w.now();
	const expiresAt = p.int('expires_at') ?? now + CHECKOUT_MAX_EXPIRY;
	if (expiresAt < now + CHECKOUT_MIN_EXPIRY) throw invalidParam('expires_at', 'The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.');
	if (expiresAt > now + CHECKOUT_MAX_EXPIRY) throw invalidParam('expires_at', 'The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.');

	const sd = p.obj('subscription_data');
	let trialDays: number | null = null;
	let subscriptionMetadata: Record<string, string> = {};
	let subscriptionDescription: string | null = null;
	if (sd) {
		if (mode !== 'subscription') throw invalidParam('subscription_data', '`subscription_data` can only be used in `subscription` mode.');
		sd.allow(['trial_period_days', 'metadata', 'description', 'trial_end', 'trial_settings', 'default_tax_rates', 'billing_cycle_anchor', 'proration_behavior', 'invoice_settings', 'billing_mode', 'application_fee_percent', 'on_behalf_of', 'transfer_data', 'pending_invoice_item_interval']);
		const days = sd.int('trial_period_days');
		if (days !== undefined) {
			if (days < 1 || days > 730) throw invalidParam('subscription_data[trial_period_days]', 'The trial period must be between 1 and 730 days.');
			trialDays = days;
		}
		subscriptionMetadata = sd.metadata({});
		subscriptionDescription = sd.str('description') ?? null;
	}
	const pid = p.obj('payment_intent_data');
	let paymentDescription: string | null = null;
	let paymentMetadata: Record<string, string> = {};
	let saveCard = false;
	if (pid) {
		if (mode !== 'payment') throw invalidParam('payment_intent_data', '`payment_intent_data` can only be used in `payment` mode.');
		pid.allow(['description', 'metadata', 'setup_future_usage', 'receipt_email', 'statement_descriptor', 'statement_descriptor_suffix', 'capture_method', 'shipping', 'transfer_data', 'transfer_group', 'on_behalf_of', 'application_fee_amount']);
		paymentDescription = pid.str('description') ?? null;
		paymentMetadata = pid.metadata({});
		saveCard = pid.oneOf('setup_future_usage', ['on_session', 'off_session'] as const) !== undefined;
	}
	const at = p.obj('automatic_tax');
	let automaticTax = false;
	if (at) {
		at.allow(['enabled', 'liability']);
		const enabled = at.bool('enabled');
		if (enabled === undefined) throw missingParam('automatic_tax[enabled]');
		automaticTax = enabled;
	}
	const pmc = p.oneOf('payment_method_collection', ['always', 'if_required'] as const) ?? null;
	if (pmc && mode !== 'subscription') throw invalidParam('payment_method_collection', '`payment_method_collection` can only be used in `subscription` mode.');
	const submitType = p.oneOf('submit_type', ['auto', 'book', 'donate', 'pay', 'subscribe'] as const) ?? null;
	if (submitType && mode === 'setup') throw invalidParam('submit_type', '`submit_type` can only be used in `payment` and `subscription` mode.');
	const clientRef = p.str('client_reference_id') ?? null;
	if (clientRef !== null && clientRef.length > 200) throw invalidParam('client_reference_id', 'client_reference_id can be at most 200 characters.');
	const s = buildSession(w, {
		mode,
		uiMode,
		lines,
		currency,
		customer,
		customerEmail,
		customerCreation: customer ? null : mode === 'subscription' ? 'always' : (creation ?? 'if_required'),
		successUrl,
		cancelUrl,
		returnUrl,
		clientReferenceId: clientRef,
		metadata: p.metadata({}),
		locale: p.oneOf('locale', LOCALES) ?? null,
		created: now,
		expiresAt,
		automaticTax,
		trialDays,
		host: hostOf(headers),
		extra: { subscriptionMetadata, subscriptionDescription, paymentDescription, paymentMetadata, saveCard },
		submitType,
		billingAddressCollection: p.oneOf('billing_address_collection', ['auto', 'required'] as const) ?? null,
		paymentMethodCollection: pmc,
		allowPromotionCodes: p.bool('allow_promotion_codes') ?? null,
		redirectOnCompletion: redirect,
	});
	return s;
}

function customerDetails(c: Stripe.Customer | null, email: string | null, name: string | null, address: Stripe.Address | null): Stripe.Checkout.Session.CustomerDetails {
	return {
		address: c?.address ?? address,
		business_name: null,
		email: c?.email ?? email,
		individual_name: null,
		name: c?.name ?? name,
		phone: c?.phone ?? null,
		tax_exempt: (c?.tax_exempt ?? 'none') as Stripe.Checkout.Session.CustomerDetails.TaxExempt,
		tax_ids: [],
	};
}

/** Marks a session complete with what the customer entered and what was created, and emits `checkout.session.completed`. */
export function markSessionComplete(
	w: World,
	s: Stripe.Checkout.Session,
	o: { customer: Stripe.Customer | null; email: string | null; name: string | null; address: Stripe.Address | null; subscription?: Stripe.Subscription; paymentIntent?: Stripe.PaymentIntent; paymentStatus: Stripe.Checkout.Session.PaymentStatus },
): void {
	const inv = o.subscription?.latest_invoice ? w.invoices.get(o.subscription.latest_invoice as string) : undefined;
	w.update(null, s, (x) => {
		x.status = 'complete';
		x.payment_status = o.paymentStatus;
		x.url = null;
		x.customer = o.customer?.id ?? null;
		x.customer_details = customerDetails(o.customer, o.email, o.name, o.address);
		if (o.subscription) {
			x.subscription = o.subscription.id;
			x.invoice = inv?.id ?? null;
		}
		if (o.paymentIntent) x.payment_intent = o.paymentIntent.id;
		if (inv && x.amount_total !== null) {
			// The first invoice's totals (Stripe Tax known once the customer's address is).
			const taxed = inv.total - inv.subtotal;
			x.amount_total = (x.amount_subtotal ?? 0) + taxed;
			if (x.total_details) x.total_details = { ...x.total_details, amount_tax: taxed };
			if (x.automatic_tax.enabled) x.automatic_tax = { ...x.automatic_tax, status: 'complete' };
		}
	});
	w.emit('checkout.session.completed', s);
}

/**
 * What the customer does on the hosted page: enter an email (and name, address) and a card, then pay. Throws the
 * card error (402) when the payment declines; the session stays open for another attempt.
 */
export function completeSession(w: World, s: Stripe.Checkout.Session, p: Params): Stripe.Checkout.Session {
	p.allow(['payment_method', 'email', 'name', 'address']);
	if (s.status !== 'open') throw invalidState(`This Checkout Session is ${s.status}, so it can no longer be completed; only Checkout Sessions with a status in ["open"] can be.`, 'checkout_session_not_open');
	const st = stateOf(s);
	const email = p.str('email') ?? s.customer_email ?? null;
	if (email !== null && !/^[^@\s]+@[^@\s]+$/.test(email)) throw invalidParam('email', `Invalid email address: ${email}`, 'email_invalid');
	const name = p.str('name') ?? null;
	const addr = p.obj('address');
	if (addr) addr.allow(['city', 'country', 'line1', 'line2', 'postal_code', 'state']);
	const address: Stripe.Address | null = addr ? { city: addr.str('city') ?? null, country: addr.str('country') ?? null, line1: addr.str('line1') ?? null, line2: addr.str('line2') ?? null, postal_code: addr.str('postal_code') ?? null, state: addr.str('state') ?? null } : null;
	const pmParam = p.str('payment_method') ?? 'pm_card_visa';
	let customer = typeof s.customer === 'string' ? (w.customers.get(s.customer) ?? null) : null;
	if (!customer && email === null) throw missingParam('email');
	const pm = resolvePaymentMethod(w, pmParam, 'payment_method');
	if (!customer && s.customer_creation === 'always') {
		const given = address ? Object.fromEntries(Object.entries(address).filter(([, v]) => v !== null)) : null;
		customer = createCustomer(w, formParams({ email, ...(name ? { name } : {}), ...(given ? { address: given } : {}) }));
	} else if (customer && address && !customer.address) {
		w.update('customer.updated', customer, (c) => (c.address = address));
	}

	if (s.mode === 'setup') {
		if (customer) attachPaymentMethod(w, pm.id, customer.id, 'payment_method');
		markSessionComplete(w, s, { customer, email, name, address, paymentStatus: 'no_payment_required' });
		return s;
	}

	if (s.mode === 'subscription') {
		const c = customer as Stripe.Customer;
		attachPaymentMethod(w, pm.id, c.id, 'payment_method');
		let sub = st.pendingSubscription ? w.subscriptions.get(st.pendingSubscription) : undefined;
		if (sub && sub.status === 'incomplete') {
			// Retrying on the page: pay the first invoice with the new card.
			const inv = w.invoices.require(sub.latest_invoice as string);
			const res = attemptInvoice(w, inv, { automatic: false, paymentMethod: pm.id });
			if (!res.ok) throw res.attempt?.error ?? invalidState('The payment could not be completed.');
			w.update('customer.subscription.updated', sub, (o) => (o.default_payment_method = pm.id));
		} else {
			if (s.automatic_tax.enabled && !taxLocation(c)) throw invalidParam('address', 'Automatic tax needs the customer\'s address: pass address[country] (and address[state] for US and CA).', 'customer_tax_location_invalid');
			sub = createSubscription(
				w,
				formParams({
					customer: c.id,
					items: st.lineItems.map((li) => ({ price: (li.price as Stripe.Price).id, ...(li.quantity === null ? {} : { quantity: li.quantity }) })),
					default_payment_method: pm.id,
					...(st.trialDays !== null ? { trial_period_days: st.trialDays } : {}),
					...(Object.keys(st.subscriptionMetadata).length ? { metadata: st.subscriptionMetadata } : {}),
					...(st.subscriptionDescription ? { description: st.subscriptionDescription } : {}),
					...(s.automatic_tax.enabled ? { automatic_tax: { enabled: true } } : {}),
				}),
			);
			st.pendingSubscription = sub.id;
			if (sub.status === 'incomplete') {
				const inv = w.invoices.get(sub.latest_invoice as string);
				const piId = inv ? w.invoiceState.get(inv.id as string)?.paymentIntent : null;
				const pi = piId ? w.paymentIntents.get(piId) : undefined;
				const err = pi?.last_payment_error;
				throw new ApiError(402, { ...(err as unknown as ErrorBody), type: 'card_error', message: err?.message ?? 'Your card was declined.', payment_intent: JSON.parse(JSON.stringify(pi ?? null)) });
			}
		}
		markSessionComplete(w, s, { customer: c, email, name, address, subscription: sub, paymentStatus: sub.status === 'trialing' ? 'no_payment_required' : 'paid' });
		return s;
	}

	// payment mode
	let pi = st.pendingPaymentIntent ? w.paymentIntents.get(st.pendingPaymentIntent) : undefined;
	if (!pi || pi.status !== 'requires_payment_method') {
		let tax = 0;
		if (s.automatic_tax.enabled) {
			const taxCustomer = customer ?? ({ address, shipping: null, tax_exempt: 'none' } as unknown as Stripe.Customer);
			const t = sessionTax(w, st.lineItems, taxCustomer);
			if (t.status !== 'complete') throw invalidParam('address', 'Automatic tax needs the customer\'s address: pass address[country] (and address[state] for US and CA).', 'customer_tax_location_invalid');
			tax = t.amount;
			w.update(null, s, (o) => {
				o.amount_total = (o.amount_subtotal ?? 0) + tax;
				o.total_details = { ...(o.total_details as Stripe.Checkout.Session.TotalDetails), amount_tax: tax };
				o.automatic_tax = { ...o.automatic_tax, status: 'complete' };
			});
		}
		pi = newPaymentIntent(w, { amount: s.amount_total ?? 0, currency: s.currency ?? 'usd', customer: customer?.id ?? null, description: st.paymentDescription, metadata: st.paymentMetadata, paymentMethod: pm.id });
		st.pendingPaymentIntent = pi.id;
	}
	if (customer && st.saveCard) attachPaymentMethod(w, pm.id, customer.id, 'payment_method');
	const res = attemptPayment(w, pi, pm.id);
	if (res.error) throw res.error;
	markSessionComplete(w, s, { customer, email, name, address, paymentIntent: pi, paymentStatus: 'paid' });
	return s;
}

function find(w: World, id: string): Stripe.Checkout.Session {
	const s = w.checkoutSessions.get(id);
	if (!s) throw notFound('checkout.session', id);
	return s;
}

/** A session's `line_items` list as Stripe includes it (the first 10). */
function lineItemsList(s: Stripe.Checkout.Session): Stripe.ApiList<Stripe.LineItem> {
	const items = stateOf(s).lineItems;
	return { object: 'list', data: items.slice(0, 10), has_more: items.length > 10, url: `/v1/checkout/sessions/${s.id}/line_items` };
}

/** The session with `line_items` included, when `expand[]=line_items` asks for it (Stripe's includable property). */
function withLineItems(s: Stripe.Checkout.Session, p: Params): Stripe.Checkout.Session {
	if (!p.expand().some((e) => e === 'line_items' || e.startsWith('line_items.'))) return s;
	return { ...s, line_items: lineItemsList(s) } as Stripe.Checkout.Session;
}

export function registerCheckout(r: Router, w: World): void {
	r.post('/v1/checkout/sessions', ({ params, headers }) => withLineItems(createSession(w, params, headers), params));
	r.get('/v1/checkout/sessions/:id', ({ pathParams, params, headers }) => withLineItems(withUrl(find(w, pathParams.id), headers), params));
	r.post('/v1/checkout/sessions/:id', ({ pathParams, params, headers }) => {
		const s = find(w, pathParams.id);
		params.allow(['metadata', 'collected_information', 'shipping_options', 'line_items']);
		if (params.has('collected_information') || params.has('shipping_options') || params.has('line_items')) {
			throw invalidParam(Object.keys(params.raw).find((k) => k !== 'metadata' && k !== 'expand') as string, 'The sandbox does not model dynamic updates of a Checkout Session; only `metadata` can be updated.');
		}
		w.update(null, s, (o) => (o.metadata = params.metadata(o.metadata ?? {})));
		return withLineItems(withUrl(s, headers), params);
	});
	r.get('/v1/checkout/sessions/:id/line_items', ({ pathParams, params }) => {
		const s = find(w, pathParams.id);
		params.allow(['limit', 'starting_after', 'ending_before']);
		// Listed in the order they were passed (paginate walks a sequence from its end, so reverse it).
		const reversed = [...stateOf(s).lineItems].reverse();
		const seq = { size: () => reversed.length, indexOf: (id: string) => reversed.findIndex((li) => li.id === id), at: (i: number) => reversed[i] };
		return paginate(seq, params, `/v1/checkout/sessions/${s.id}/line_items`, () => true, 'line item');
	});
	r.post('/v1/checkout/sessions/:id/expire', ({ pathParams, params, headers }) => {
		const s = find(w, pathParams.id);
		params.allow([]);
		if (s.status !== 'open') throw invalidState(`Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of \`${s.status}\`.`, 'checkout_session_not_open');
		expireSession(w, s);
		return withLineItems(withUrl(s, headers), params);
	});
	r.get('/v1/checkout/sessions', ({ params, headers }) => {
		params.allow(LIST_PARAMS);
		const customer = params.str('customer');
		const status = params.oneOf('status', ['complete', 'expired', 'open'] as const);
		const subscription = params.str('subscription');
		const paymentIntent = params.str('payment_intent');
		const paymentLink = params.str('payment_link');
		const cd = params.obj('customer_details');
		if (cd) cd.allow(['email']);
		const email = cd?.str('email', true);
		const created = createdFilter(params);
		const list = w.checkoutSessions.list(
			params,
			'/v1/checkout/sessions',
			(s) =>
				(customer === undefined || s.customer === customer) &&
				(status === undefined || s.status === status) &&
				(subscription === undefined || s.subscription === subscription) &&
				(paymentIntent === undefined || s.payment_intent === paymentIntent) &&
				(paymentLink === undefined || s.payment_link === paymentLink) &&
				(email === undefined || s.customer_details?.email === email) &&
				(!created || created(s.created)),
		);
		for (const s of list.data) withUrl(s, headers);
		// `expand[]=data.line_items` includes each session's line items, as on a retrieve.
		if (params.expand().some((e) => e === 'data.line_items' || e.startsWith('data.line_items.'))) {
			return { ...list, data: list.data.map((s) => ({ ...s, line_items: lineItemsList(s) })) };
		}
		return list;
	});
}

/** `POST /_sandbox/checkout/sessions/:id/complete`: the customer pays on the hosted page (sandbox control route). */
export function registerCheckoutControl(r: Router, w: World): void {
	r.post('/_sandbox/checkout/sessions/:id/complete', ({ pathParams, params }) => completeSession(w, find(w, pathParams.id), params));
}

function escapeHtml(s: string): string {
	return s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] as string);
}

/** The hosted page for `GET /p/checkout/pay/:id` (no authentication, no scripts or external assets), or null. */
export function checkoutPage(w: World, path: string): string | null {
	const m = /^\/p\/checkout\/pay\/(cs_test_[A-Za-z0-9]+)$/.exec(path);
	if (!m) return null;
	const s = w.checkoutSessions.get(m[1]);
	if (!s) return null;
	const items = stateOf(s).lineItems;
	const money = (n: number | null) => (n === null ? '' : `${(n / 100).toFixed(2)} ${escapeHtml((s.currency ?? '').toUpperCase())}`);
	const rows = items.map((li) => `<li>${li.quantity ?? 'usage'} × ${escapeHtml(li.description ?? '')}: ${money(li.amount_total)}</li>`).join('');
	return [
		'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Checkout (sandbox)</title>',
		'<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}</style></head><body>',
		'<h1>Checkout</h1>',
		`<p>Status: ${escapeHtml(String(s.status))} (<code>${escapeHtml(s.id)}</code>), mode ${escapeHtml(s.mode)}</p>`,
		items.length ? `<ul>${rows}</ul>` : '',
		s.amount_total !== null ? `<p>Total: ${money(s.amount_total)}</p>` : '',
		s.status === 'open' ? `<p>Complete it with <code>POST /_sandbox/checkout/sessions/${escapeHtml(s.id)}/complete</code>.</p>` : '',
		s.cancel_url ? `<p><a href="${escapeHtml(s.cancel_url)}">Back</a></p>` : '',
		'</body></html>',
	].join('\n');
}

import type Stripe from 'stripe';
import { invalidParam, invalidState, notFound } from '../core/errors';
import { createdFilter } from '../core/list';
import type { Params } from '../core/params';
import type { Router } from '../core/router';
import { TEST_CARDS, TEST_CARD_NUMBERS } from '../scenario';
import type { World } from '../world';
import { requireClockForCustomer } from './testClocks';

const CUSTOMER_PARAMS = ['address', 'balance', 'description', 'email', 'invoice_prefix', 'invoice_settings', 'metadata', 'name', 'phone', 'preferred_locales', 'shipping', 'tax_exempt', 'payment_method', 'source', 'test_clock', 'default_source', 'next_invoice_sequence', 'tax', 'tax_id_data', 'coupon', 'promotion_code', 'cash_balance', 'validate'];

function address(p: Params | undefined, current: Stripe.Address | null): Stripe.Address | null {
	if (!p) return current;
	p.allow(['city', 'country', 'line1', 'line2', 'postal_code', 'state']);
	const base: Stripe.Address = current ?? { city: null, country: null, line1: null, line2: null, postal_code: null, state: null };
	const next = { ...base };
	for (const k of ['city', 'country', 'line1', 'line2', 'postal_code', 'state'] as const) {
		const v = p.nullable(k);
		if (v !== undefined) next[k] = v;
	}
	return next;
}

export function applyCustomerParams(w: World, c: Stripe.Customer, p: Params): void {
	for (const k of ['description', 'email', 'name', 'phone'] as const) {
		const v = p.nullable(k);
		if (v !== undefined) {
			if (k === 'email' && v !== null && !/^[^@\s]+@[^@\s]+$/.test(v)) throw invalidParam('email', `Invalid email address: ${v}`, 'email_invalid');
			c[k] = v;
		}
	}
	if (p.has('address')) c.address = p.raw.address === '' ? null : address(p.obj('address'), c.address ?? null);
	const locales = p.strings('preferred_locales');
	if (locales) c.preferred_locales = locales;
	c.metadata = p.metadata(c.metadata);
	const balance = p.int('balance');
	if (balance !== undefined) c.balance = balance;
	const taxExempt = p.oneOf('tax_exempt', ['none', 'exempt', 'reverse'] as const);
	if (taxExempt) c.tax_exempt = taxExempt;
	const nis = p.int('next_invoice_sequence');
	if (nis !== undefined) c.next_invoice_sequence = nis;
	const prefix = p.str('invoice_prefix');
	if (prefix !== undefined) {
		if (!/^[A-Z0-9]{3,12}$/.test(prefix)) throw invalidParam('invoice_prefix', 'Invoice prefix must be 3-12 uppercase letters or numbers.');
		c.invoice_prefix = prefix;
	}
	const shipping = p.obj('shipping');
	if (shipping) {
		c.shipping = { address: address(shipping.obj('address'), null) ?? undefined, name: shipping.str('name', true), phone: shipping.nullable('phone') ?? null } as Stripe.Customer.Shipping;
	} else if (p.raw.shipping === '') c.shipping = null;
	const pm = p.str('payment_method');
	if (pm) {
		const attached = attachPaymentMethod(w, pm, c.id, 'payment_method');
		if (!c.invoice_settings.default_payment_method) c.invoice_settings = { ...c.invoice_settings, default_payment_method: attached.id };
	}
	const inv = p.obj('invoice_settings');
	if (inv) {
		inv.allow(['custom_fields', 'default_payment_method', 'footer', 'rendering_options']);
		const settings = { ...c.invoice_settings };
		const dpm = inv.nullable('default_payment_method');
		if (dpm !== undefined) {
			settings.default_payment_method = dpm === null ? null : attachPaymentMethod(w, dpm, c.id, 'invoice_settings[default_payment_method]').id;
		}
		const footer = inv.nullable('footer');
		if (footer !== undefined) settings.footer = footer;
		c.invoice_settings = settings;
	}
}

export function createCustomer(w: World, p: Params, defaults: { testClock?: string } = {}): Stripe.Customer {
	const clockParam = p.str('test_clock');
	const testClock = clockParam !== undefined ? requireClockForCustomer(w, clockParam) : (defaults.testClock ?? null);
	const id = w.id('cus', 14);
	const c: Stripe.Customer = {
		id,
		object: 'customer',
		address: null,
		balance: 0,
		created: w.now(),
		currency: null,
		default_source: null,
		delinquent: false,
		description: null,
		discount: null,
		email: null,
		invoice_prefix: w.ids.token(8).toUpperCase().replace(/[^A-Z0-9]/g, 'X'),
		invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
		livemode: false,
		metadata: {},
		name: null,
		next_invoice_sequence: 1,
		phone: null,
		preferred_locales: [],
		shipping: null,
		tax_exempt: 'none',
		test_clock: testClock,
	} as Stripe.Customer;
	w.customers.add(c);
	applyCustomerParams(w, c, p);
	w.emit('customer.created', c);
	return c;
}

/** Creates a PaymentMethod from a test token (`pm_card_visa`) or returns an existing one. */
export function resolvePaymentMethod(w: World, idOrToken: string, param: string): Stripe.PaymentMethod {
	const existing = w.paymentMethods.get(idOrToken);
	if (existing) return existing;
	const card = TEST_CARDS[idOrToken];
	if (!card) throw notFound('PaymentMethod', idOrToken, param);
	return createCardPaymentMethod(w, idOrToken);
}

export function createCardPaymentMethod(w: World, token: string | null, opts: { last4?: string; brand?: string; expMonth?: number; expYear?: number; country?: string; funding?: string; name?: string | null; email?: string | null } = {}): Stripe.PaymentMethod {
	const card = token ? TEST_CARDS[token] : undefined;
	const now = new Date(w.now() * 1000);
	const brand = card?.brand ?? opts.brand ?? 'visa';
	const pm = {
		id: w.id('pm', 24),
		object: 'payment_method',
		allow_redisplay: 'unspecified',
		billing_details: {
			address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null },
			email: opts.email ?? null,
			name: opts.name ?? null,
			phone: null,
			tax_id: null,
		},
		card: {
			brand,
			checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
			country: card?.country ?? opts.country ?? 'US',
			display_brand: brand,
			exp_month: opts.expMonth ?? ((now.getUTCMonth() + 5) % 12) + 1,
			exp_year: opts.expYear ?? now.getUTCFullYear() + 3,
			fingerprint: w.ids.token(16),
			funding: card?.funding ?? opts.funding ?? 'credit',
			generated_from: null,
			last4: card?.last4 ?? opts.last4 ?? '4242',
			networks: { available: [brand], preferred: null },
			regulated_status: 'unregulated',
			three_d_secure_usage: { supported: true },
			wallet: null,
		},
		created: w.now(),
		customer: null,
		livemode: false,
		metadata: {},
		type: 'card',
	} as unknown as Stripe.PaymentMethod;
	w.paymentMethods.add(pm);
	if (card) w.scenario.testCards.set(pm.id, card);
	return pm;
}

export function attachPaymentMethod(w: World, idOrToken: string, customerId: string, param = 'payment_method'): Stripe.PaymentMethod {
	const pm = resolvePaymentMethod(w, idOrToken, param);
	if (pm.customer && pm.customer !== customerId) {
		throw invalidState(`The payment method you provided has already been attached to a customer.`, 'payment_method_unexpected_state');
	}
	if (!pm.customer) {
		w.update(null, pm, (o) => (o.customer = customerId));
		w.emit('payment_method.attached', pm);
	}
	return pm;
}

export function registerCustomers(r: Router, w: World): void {
	r.post('/v1/customers', ({ params }) => createCustomer(w, params.allow(CUSTOMER_PARAMS)));
	r.get('/v1/customers/search', ({ params }) => {
		const query = params.str('query', true);
		// Stripe's query language joins clauses with AND or with OR, never both in one query.
		const hasAnd = /\s+AND\s+/i.test(query);
		const hasOr = /\s+OR\s+/i.test(query);
		if (hasAnd && hasOr) throw invalidParam('query', 'A search query cannot combine AND and OR.');
		const clauses = query.split(hasOr ? /\s+OR\s+/i : /\s+AND\s+/i).map((c) => {
			const m = /^(metadata\[['"]([^'"]+)['"]\]|[a-z_]+)\s*(:|~)\s*['"]([^'"]*)['"]$/.exec(c.trim());
			if (!m) throw invalidParam('query', `Could not parse the search query near '${c}'. Use field:'value', e.g. email:'jenny@example.com'.`);
			return { field: m[1], metaKey: m[2], op: m[3], value: m[4] };
		});
		const data = [...w.customers.values()].reverse().filter((c) =>
			clauses[hasOr ? 'some' : 'every']((cl) => {
				const v = cl.metaKey ? c.metadata[cl.metaKey] : String((c as unknown as Record<string, unknown>)[cl.field] ?? '');
				if (v === undefined) return false;
				return cl.op === ':' ? v === cl.value : v.toLowerCase().includes(cl.value.toLowerCase());
			}),
		);
		const limit = params.int('limit') ?? 10;
		return { object: 'search_result', data: data.slice(0, limit), has_more: data.length > limit, next_page: null, url: '/v1/customers/search' };
	});
	r.get('/v1/customers/:id', ({ pathParams }) => {
		const c = w.customers.get(pathParams.id);
		if (!c && w.deletedIds.has(pathParams.id)) return { id: pathParams.id, object: 'customer', deleted: true };
		if (!c) throw notFound('customer', pathParams.id);
		return c;
	});
	r.post('/v1/customers/:id', ({ pathParams, params }) => {
		const c = w.customers.require(pathParams.id);
		// test_clock is set at creation only (CustomerUpdateParams has none).
		params.allow(CUSTOMER_PARAMS.filter((k) => k !== 'test_clock'));
		return w.update('customer.updated', c, (o) => applyCustomerParams(w, o, params));
	});
	r.del('/v1/customers/:id', ({ pathParams }) => {
		const c = w.customers.require(pathParams.id);
		w.customers.remove(c.id);
		w.deletedIds.add(c.id);
		for (const s of w.subscriptions.values()) {
			if (s.customer === c.id && s.status !== 'canceled') {
				w.update('customer.subscription.deleted', s, (o) => {
					o.status = 'canceled';
					o.canceled_at = w.now();
					o.ended_at = w.now();
				});
			}
		}
		w.emit('customer.deleted', c);
		return { id: c.id, object: 'customer', deleted: true };
	});
	r.get('/v1/customers', ({ params }) => {
		const email = params.str('email');
		const created = createdFilter(params);
		return w.customers.list(params, '/v1/customers', (c) => (email === undefined || c.email === email) && (!created || created(c.created)));
	});

	// Payment methods
	r.post('/v1/payment_methods', ({ params }) => {
		params.allow(['type', 'card', 'billing_details', 'metadata', 'customer', 'payment_method']);
		const type = params.str('type', true);
		if (type !== 'card') throw invalidParam('type', `The sandbox only models card payment methods; got type '${type}'.`);
		const card = params.obj('card');
		if (!card) throw invalidParam('card', 'Missing card details: pass card[token]=tok_visa or card[number], card[exp_month], card[exp_year], card[cvc].');
		let pm: Stripe.PaymentMethod;
		const tok = card.str('token');
		if (tok) {
			const name = `pm_card_${tok.replace(/^tok_/, '')}`;
			if (!TEST_CARDS[name]) throw invalidParam('card[token]', `No such token: '${tok}'`, 'resource_missing');
			pm = createCardPaymentMethod(w, name);
		} else {
			const number = card.str('number', true).replace(/\s+/g, '');
			const expMonth = card.int('exp_month', true);
			const expYear = card.int('exp_year', true);
			const token = TEST_CARD_NUMBERS[number] ?? null;
			if (!token && !/^\d{13,19}$/.test(number)) throw invalidParam('card[number]', 'Your card number is incorrect.', 'incorrect_number');
			pm = createCardPaymentMethod(w, token, { last4: number.slice(-4), expMonth, expYear: expYear < 100 ? 2000 + expYear : expYear });
		}
		pm.metadata = params.metadata(pm.metadata ?? {});
		const bd = params.obj('billing_details');
		if (bd) {
			pm.billing_details.name = bd.nullable('name') ?? pm.billing_details.name;
			pm.billing_details.email = bd.nullable('email') ?? pm.billing_details.email;
		}
		return pm;
	});
	r.get('/v1/payment_methods/:id', ({ pathParams }) => w.paymentMethods.require(pathParams.id));
	r.post('/v1/payment_methods/:id', ({ pathParams, params }) => {
		const pm = w.paymentMethods.require(pathParams.id);
		params.allow(['metadata', 'billing_details', 'card', 'allow_redisplay']);
		return w.update('payment_method.updated', pm, (o) => {
			o.metadata = params.metadata(o.metadata ?? {});
			const card = params.obj('card');
			if (card && o.card) {
				const m = card.int('exp_month');
				const y = card.int('exp_year');
				if (m !== undefined) o.card.exp_month = m;
				if (y !== undefined) o.card.exp_year = y;
				if (m !== undefined || y !== undefined) w.scenario.setCondition(o.id, null);
			}
		});
	});
	r.post('/v1/payment_methods/:id/attach', ({ pathParams, params }) => {
		params.allow(['customer']);
		const customer = w.customers.require(params.str('customer', true), 'customer');
		return attachPaymentMethod(w, pathParams.id, customer.id, 'payment_method');
	});
	r.post('/v1/payment_methods/:id/detach', ({ pathParams }) => {
		const pm = w.paymentMethods.require(pathParams.id);
		if (!pm.customer) throw invalidState('The payment method you provided is not attached to a customer so detachment is impossible.', 'payment_method_unexpected_state');
		const customerId = typeof pm.customer === 'string' ? pm.customer : pm.customer.id;
		w.update(null, pm, (o) => (o.customer = null));
		const c = w.customers.get(customerId);
		if (c && c.invoice_settings.default_payment_method === pm.id) w.update('customer.updated', c, (o) => (o.invoice_settings = { ...o.invoice_settings, default_payment_method: null }));
		w.emit('payment_method.detached', pm);
		return pm;
	});
	const listPms = (customerId: string | undefined, params: Params, url: string) => {
		const type = params.str('type');
		return w.paymentMethods.list(params, url, (pm) => pm.customer === customerId && (type === undefined || pm.type === type));
	};
	r.get('/v1/payment_methods', ({ params }) => {
		const customer = params.str('customer');
		if (customer) w.customers.require(customer, 'customer');
		return listPms(customer, params, '/v1/payment_methods');
	});
	r.get('/v1/customers/:id/payment_methods', ({ pathParams, params }) => {
		const c = w.customers.require(pathParams.id);
		return listPms(c.id, params, `/v1/customers/${c.id}/payment_methods`);
	});
	r.get('/v1/customers/:id/payment_methods/:pm', ({ pathParams }) => {
		const pm = w.paymentMethods.require(pathParams.pm);
		if (pm.customer !== pathParams.id) throw notFound('PaymentMethod', pathParams.pm);
		return pm;
	});
}

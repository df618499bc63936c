import type Stripe from 'stripe';
import { invalidParam, invalidState, missingParam } from '../core/errors';
import { createdFilter } from '../core/list';
import type { Params } from '../core/params';
import type { Router } from '../core/router';
import type { World } from '../world';

const INTERVALS = ['day', 'week', 'month', 'year'] as const;

export function createProduct(w: World, p: Params): Stripe.Product {
	p.allow(['name', 'active', 'description', 'metadata', 'id', 'images', 'marketing_features', 'shippable', 'statement_descriptor', 'tax_code', 'unit_label', 'url', 'default_price_data', 'type', 'package_dimensions']);
	const id = p.str('id') ?? w.id('prod', 14);
	if (w.products.get(id)) throw invalidParam('id', `Product already exists.`, 'resource_already_exists');
	const prod = {
		id,
		object: 'product',
		active: p.bool('active') ?? true,
		created: w.now(),
		default_price: null,
		description: p.nullable('description') ?? null,
		images: p.strings('images') ?? [],
		livemode: false,
		marketing_features: [],
		metadata: p.metadata({}),
		name: p.str('name', true),
		package_dimensions: null,
		shippable: p.bool('shippable') ?? null,
		statement_descriptor: p.nullable('statement_descriptor') ?? null,
		tax_code: p.nullable('tax_code') ?? null,
		type: 'service',
		unit_label: p.nullable('unit_label') ?? null,
		updated: w.now(),
		url: p.nullable('url') ?? null,
	} as unknown as Stripe.Product;
	w.products.add(prod);
	w.emit('product.created', prod);
	const dpd = p.obj('default_price_data');
	if (dpd) {
		const price = buildPrice(w, dpd, prod.id);
		prod.default_price = price.id;
	}
	return prod;
}

export function buildPrice(w: World, p: Params, productId: string): Stripe.Price {
	const currency = p.str('currency', true).toLowerCase();
	if (!/^[a-z]{3}$/.test(currency)) throw invalidParam('currency', `Invalid currency: ${currency}. Use a three-letter ISO code in lowercase, e.g. usd.`);
	const rec = p.obj('recurring');
	let recurring: Stripe.Price.Recurring | null = null;
	if (rec) {
		rec.allow(['interval', 'interval_count', 'usage_type', 'meter', 'trial_period_days', 'aggregate_usage']);
		const interval = rec.oneOf('interval', INTERVALS);
		if (!interval) throw missingParam('recurring[interval]');
		const usageType = rec.oneOf('usage_type', ['licensed', 'metered'] as const) ?? 'licensed';
		const meter = rec.str('meter') ?? null;
		if (usageType === 'metered') {
			if (!meter) throw invalidParam('recurring[meter]', 'Metered prices need a billing meter: pass recurring[meter]=mtr_... (create one with POST /v1/billing/meters).');
			w.meters.require(meter, 'recurring[meter]');
		}
		recurring = { interval, interval_count: rec.int('interval_count') ?? 1, meter, trial_period_days: rec.int('trial_period_days') ?? null, usage_type: usageType } as Stripe.Price.Recurring;
	}
	const amountDecimal = p.str('unit_amount_decimal');
	const unitAmount = p.int('unit_amount') ?? (amountDecimal !== undefined ? Math.round(Number(amountDecimal)) : undefined);
	const billingScheme = p.oneOf('billing_scheme', ['per_unit', 'tiered'] as const) ?? 'per_unit';
	if (unitAmount === undefined && billingScheme === 'per_unit' && !p.obj('custom_unit_amount')) throw missingParam('unit_amount');
	if (unitAmount !== undefined && unitAmount < 0) throw invalidParam('unit_amount', 'This value must be greater than or equal to 0.');
	const lookupKey = p.str('lookup_key') ?? null;
	if (lookupKey) {
		for (const other of w.prices.values()) {
			if (other.lookup_key === lookupKey) {
				if (p.bool('transfer_lookup_key')) other.lookup_key = null;
				else throw invalidParam('lookup_key', `A price (\`${other.id}\`) already uses that lookup key.`);
			}
		}
	}
	const price = {
		id: w.id('price', 24),
		object: 'price',
		active: p.bool('active') ?? true,
		billing_scheme: billingScheme,
		created: w.now(),
		currency,
		custom_unit_amount: null,
		livemode: false,
		lookup_key: lookupKey,
		metadata: p.metadata({}),
		nickname: p.nullable('nickname') ?? null,
		product: productId,
		recurring,
		tax_behavior: p.oneOf('tax_behavior', ['exclusive', 'inclusive', 'unspecified'] as const) ?? 'unspecified',
		tiers_mode: null,
		transform_quantity: null,
		type: recurring ? 'recurring' : 'one_time',
		unit_amount: unitAmount ?? null,
		unit_amount_decimal: amountDecimal ?? (unitAmount === undefined ? null : String(unitAmount)),
	} as Stripe.Price;
	w.prices.add(price);
	w.emit('price.created', price);
	return price;
}

export function registerCatalog(r: Router, w: World): void {
	r.post('/v1/products', ({ params }) => createProduct(w, params));
	r.get('/v1/products/:id', ({ pathParams }) => w.products.require(pathParams.id));
	r.post('/v1/products/:id', ({ pathParams, params }) => {
		const prod = w.products.require(pathParams.id);
		params.allow(['name', 'active', 'description', 'metadata', 'default_price', 'images', 'marketing_features', 'shippable', 'statement_descriptor', 'tax_code', 'unit_label', 'url']);
		return w.update('product.updated', prod, (o) => {
			const name = params.str('name');
			if (name !== undefined) o.name = name;
			const active = params.bool('active');
			if (active !== undefined) o.active = active;
			const d = params.nullable('description');
			if (d !== undefined) o.description = d;
			const dp = params.str('default_price');
			if (dp !== undefined) {
				const price = w.prices.require(dp, 'default_price');
				if (price.product !== o.id) throw invalidParam('default_price', `The price ${dp} does not belong to product ${o.id}.`);
				o.default_price = dp;
			}
			o.metadata = params.metadata(o.metadata);
			o.updated = w.now();
		});
	});
	r.del('/v1/products/:id', ({ pathParams }) => {
		const prod = w.products.require(pathParams.id);
		for (const price of w.prices.values()) {
			if (price.product === prod.id) throw invalidState('This product cannot be deleted because it has one or more user-created prices.', 'product_has_prices');
		}
		w.products.remove(prod.id);
		w.emit('product.deleted', prod);
		return { id: prod.id, object: 'product', deleted: true };
	});
	r.get('/v1/products', ({ params }) => {
		const active = params.bool('active');
		const created = createdFilter(params);
		const ids = params.strings('ids');
		return w.products.list(params, '/v1/products', (o) => (active === undefined || o.active === active) && (!created || created(o.created)) && (!ids || ids.includes(o.id)));
	});

	r.post('/v1/prices', ({ params }) => {
		params.allow(['currency', 'product', 'product_data', 'unit_amount', 'unit_amount_decimal', 'recurring', 'active', 'metadata', 'nickname', 'lookup_key', 'transfer_lookup_key', 'tax_behavior', 'billing_scheme', 'custom_unit_amount', 'tiers', 'tiers_mode', 'transform_quantity', 'currency_options']);
		let productId = params.str('product');
		const pd = params.obj('product_data');
		if (!productId && pd) {
			const prod = createProduct(w, pd);
			productId = prod.id;
		}
		if (!productId) throw missingParam('product');
		w.products.require(productId, 'product');
		return buildPrice(w, params, productId);
	});
	r.get('/v1/prices/search', ({ params }) => {
		const q = params.str('query', true);
		const m = /(lookup_key|product|active|currency)\s*:\s*['"]?([^'"\s]+)['"]?/.exec(q);
		const data = [...w.prices.values()].reverse().filter((p) => !m || String((p as unknown as Record<string, unknown>)[m[1]]) === m[2]);
		return { object: 'search_result', data: data.slice(0, params.int('limit') ?? 10), has_more: data.length > (params.int('limit') ?? 10), next_page: null, url: '/v1/prices/search' };
	});
	r.get('/v1/prices/:id', ({ pathParams }) => w.prices.require(pathParams.id));
	r.post('/v1/prices/:id', ({ pathParams, params }) => {
		const price = w.prices.require(pathParams.id);
		params.allow(['active', 'metadata', 'nickname', 'lookup_key', 'transfer_lookup_key', 'tax_behavior']);
		return w.update('price.updated', price, (o) => {
			const active = params.bool('active');
			if (active !== undefined) o.active = active;
			const n = params.nullable('nickname');
			if (n !== undefined) o.nickname = n;
			const lk = params.nullable('lookup_key');
			if (lk !== undefined) o.lookup_key = lk;
			o.metadata = params.metadata(o.metadata);
		});
	});
	r.get('/v1/prices', ({ params }) => {
		const active = params.bool('active');
		const product = params.str('product');
		const currency = params.str('currency');
		const type = params.str('type');
		const lookupKeys = params.strings('lookup_keys');
		const created = createdFilter(params);
		return w.prices.list(
			params,
			'/v1/prices',
			(o) =>
				(active === undefined || o.active === active) &&
				(product === undefined || o.product === product) &&
				(currency === undefined || o.currency === currency) &&
				(type === undefined || o.type === type) &&
				(!lookupKeys || (o.lookup_key !== null && lookupKeys.includes(o.lookup_key))) &&
				(!created || created(o.created)),
		);
	});
}

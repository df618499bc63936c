/**
 * Warehouse tables for Stripe data (issue 12), named and shaped like Stripe Sigma's where Sigma has
 * them: one table per object, one row per object, snake_case columns; a related object is its id in
 * `<field>_id` (`customer_id`, `price_id`, `balance_transaction_id`); a nested object's fields are
 * flattened with `_` (`address_country`, `outcome_reason`, `recurring_interval`); times are
 * `timestamptz`; amounts stay integer minor units (`bigint`) with their `currency`; metadata and
 * lists are `jsonb`. Child tables (`subscription_items`, `invoice_line_items`,
 * `balance_transaction_fee_details`) come from their parent's lists.
 *
 * The DDL (`schemaSql`, written to workflows/sql/schema.sql) and the upsert statements come from
 * these definitions, so the rows, the schema and the SQL cannot drift apart.
 */

export type ColumnType = 'text' | 'bigint' | 'integer' | 'boolean' | 'timestamptz' | 'numeric' | 'jsonb';

export interface Column {
	name: string;
	type: ColumnType;
	/** The value from the Stripe object (and, for child rows, its parent). */
	get: (o: Record<string, unknown>, parent?: Record<string, unknown>) => unknown;
}

export interface TableDef {
	name: string;
	/** The Stripe object type its rows come from (`object` field, or the event's object). */
	object: string;
	/** Root tables are listed; child tables come from a parent table's objects. */
	list?: { path: string; params?: Record<string, unknown> };
	/** `rows` gives undefined when the parent object does not carry the list (an event's snapshot without an expansion): then its child rows are left as they are. */
	parent?: { table: string; rows: (parent: Record<string, unknown>) => Array<Record<string, unknown>> | undefined; key: string };
	columns: Column[];
}

type Obj = Record<string, unknown>;

function at(o: unknown, path: string): unknown {
	let v: unknown = o;
	for (const part of path.split('.')) {
		if (typeof v !== 'object' || v === null) return null;
		v = (v as Obj)[part];
	}
	return v === undefined ? null : v;
}

function idAt(o: unknown, path: string): string | null {
	const v = at(o, path);
	if (typeof v === 'string') return v;
	if (typeof v === 'object' && v !== null && typeof (v as Obj).id === 'string') return (v as Obj).id as string;
	return null;
}

function time(o: unknown, path: string): string | null {
	const v = at(o, path);
	return typeof v === 'number' && Number.isFinite(v) ? new Date(v * 1000).toISOString() : null;
}

const c = {
	text: (name: string, path = name): Column => ({ name, type: 'text', get: (o) => { const v = at(o, path); return v === null ? null : String(v); } }),
	big: (name: string, path = name): Column => ({ name, type: 'bigint', get: (o) => { const v = at(o, path); return typeof v === 'number' ? v : null; } }),
	int: (name: string, path = name): Column => ({ name, type: 'integer', get: (o) => { const v = at(o, path); return typeof v === 'number' ? v : null; } }),
	bool: (name: string, path = name): Column => ({ name, type: 'boolean', get: (o) => { const v = at(o, path); return typeof v === 'boolean' ? v : null; } }),
	time: (name: string, path = name): Column => ({ name, type: 'timestamptz', get: (o) => time(o, path) }),
	num: (name: string, path = name): Column => ({ name, type: 'numeric', get: (o) => { const v = at(o, path); return v === null ? null : String(v); } }),
	json: (name: string, path = name): Column => ({ name, type: 'jsonb', get: (o) => { const v = at(o, path); return v === null ? null : v; } }),
	id: (name: string, path: string): Column => ({ name, type: 'text', get: (o) => idAt(o, path) }),
};

const base = [c.text('id'), c.time('created'), c.bool('livemode')];

/** The subscription an invoice belongs to, in current and older API versions. */
function invoiceSubscription(o: Obj): string | null {
	return idAt(o, 'parent.subscription_details.subscription') ?? idAt(o, 'subscription');
}

function sumTaxes(o: Obj): number | null {
	const taxes = at(o, 'total_taxes');
	if (Array.isArray(taxes)) return taxes.reduce((s: number, t) => s + (typeof (t as Obj).amount === 'number' ? ((t as Obj).amount as number) : 0), 0);
	const tax = at(o, 'tax');
	return typeof tax === 'number' ? tax : null;
}

export const TABLES: readonly TableDef[] = [
	{
		name: 'customers',
		object: 'customer',
		list: { path: '/v1/customers' },
		columns: [
			...base,
			c.text('email'), c.text('name'), c.text('description'), c.text('phone'), c.text('currency'), c.big('balance'), c.bool('delinquent'),
			c.text('address_city', 'address.city'), c.text('address_country', 'address.country'), c.text('address_line1', 'address.line1'), c.text('address_line2', 'address.line2'),
			c.text('address_postal_code', 'address.postal_code'), c.text('address_state', 'address.state'), c.json('preferred_locales'), c.text('tax_exempt'),
			c.id('default_payment_method_id', 'invoice_settings.default_payment_method'), c.id('test_clock_id', 'test_clock'), c.json('metadata'),
			{ name: 'deleted', type: 'boolean', get: (o) => o.deleted === true },
		],
	},
	{
		name: 'products',
		object: 'product',
		list: { path: '/v1/products' },
		columns: [...base, c.time('updated'), c.text('name'), c.text('description'), c.bool('active'), c.text('type'), c.id('default_price_id', 'default_price'), c.text('tax_code'), c.text('unit_label'), c.json('metadata'), { name: 'deleted', type: 'boolean', get: (o) => o.deleted === true }],
	},
	{
		name: 'prices',
		object: 'price',
		list: { path: '/v1/prices' },
		columns: [
			...base,
			c.id('product_id', 'product'), c.bool('active'), c.text('currency'), c.big('unit_amount'), c.num('unit_amount_decimal'), c.text('type'), c.text('billing_scheme'), c.text('nickname'), c.text('lookup_key'),
			c.text('recurring_interval', 'recurring.interval'), c.int('recurring_interval_count', 'recurring.interval_count'), c.text('recurring_usage_type', 'recurring.usage_type'), c.text('recurring_meter', 'recurring.meter'),
			c.text('tax_behavior'), c.json('metadata'), { name: 'deleted', type: 'boolean', get: (o) => o.deleted === true },
		],
	},
	{
		name: 'subscriptions',
		object: 'subscription',
		list: { path: '/v1/subscriptions', params: { status: 'all' } },
		columns: [
			...base,
			c.id('customer_id', 'customer'), c.text('status'), c.text('currency'), c.time('start_date'), c.time('billing_cycle_anchor'), c.time('cancel_at'), c.bool('cancel_at_period_end'), c.time('canceled_at'), c.time('ended_at'),
			c.time('trial_start'), c.time('trial_end'), c.text('collection_method'), c.int('days_until_due'), c.id('default_payment_method_id', 'default_payment_method'), c.id('latest_invoice_id', 'latest_invoice'),
			c.text('pause_collection_behavior', 'pause_collection.behavior'), c.text('cancellation_details_reason', 'cancellation_details.reason'), c.text('cancellation_details_feedback', 'cancellation_details.feedback'),
			c.json('discounts'), c.json('metadata'),
		],
	},
	{
		name: 'subscription_items',
		object: 'subscription_item',
		parent: { table: 'subscriptions', rows: (s) => ((at(s, 'items.data') as Obj[] | null) ?? []), key: 'subscription_id' },
		columns: [
			c.text('id'), c.time('created'), { name: 'subscription_id', type: 'text', get: (o, p) => idAt(o, 'subscription') ?? (p ? String(p.id) : null) }, c.id('price_id', 'price.id'), c.id('product_id', 'price.product'),
			c.big('quantity'), c.time('current_period_start'), c.time('current_period_end'), c.json('discounts'), c.json('metadata'),
		],
	},
	{
		name: 'invoices',
		object: 'invoice',
		// Invoice payments (which payment intent and charge paid or tried to pay the invoice) are an expansion in
		// current API versions: the link from invoices to charges.
		list: { path: '/v1/invoices', params: { expand: ['data.payments'] } },
		columns: [
			...base,
			c.id('customer_id', 'customer'), { name: 'subscription_id', type: 'text', get: (o) => invoiceSubscription(o) }, c.text('number'), c.text('status'), c.text('billing_reason'), c.text('collection_method'), c.text('currency'),
			c.big('amount_due'), c.big('amount_paid'), c.big('amount_remaining'), c.big('subtotal'), c.big('total'), c.big('total_excluding_tax'), { name: 'tax', type: 'bigint', get: (o) => sumTaxes(o) },
			c.int('attempt_count'), c.bool('attempted'), c.bool('auto_advance'), c.time('due_date'), c.time('period_start'), c.time('period_end'),
			c.time('finalized_at', 'status_transitions.finalized_at'), c.time('paid_at', 'status_transitions.paid_at'), c.time('voided_at', 'status_transitions.voided_at'), c.time('marked_uncollectible_at', 'status_transitions.marked_uncollectible_at'),
			c.text('customer_email'), c.text('customer_address_country', 'customer_address.country'), c.text('hosted_invoice_url'), c.json('total_taxes'), c.json('metadata'),
		],
	},
	{
		name: 'invoice_line_items',
		object: 'line_item',
		parent: { table: 'invoices', rows: (i) => ((at(i, 'lines.data') as Obj[] | null) ?? []), key: 'invoice_id' },
		columns: [
			c.text('id'), { name: 'invoice_id', type: 'text', get: (o, p) => idAt(o, 'invoice') ?? (p ? String(p.id) : null) },
			{ name: 'subscription_id', type: 'text', get: (o) => idAt(o, 'parent.subscription_item_details.subscription') ?? idAt(o, 'subscription') },
			{ name: 'subscription_item_id', type: 'text', get: (o) => idAt(o, 'parent.subscription_item_details.subscription_item') ?? idAt(o, 'subscription_item') },
			{ name: 'price_id', type: 'text', get: (o) => idAt(o, 'pricing.price_details.price') ?? idAt(o, 'price') },
			{ name: 'product_id', type: 'text', get: (o) => idAt(o, 'pricing.price_details.product') ?? idAt(o, 'price.product') },
			c.big('amount'), c.text('currency'), c.big('quantity'), c.text('description'), c.time('period_start', 'period.start'), c.time('period_end', 'period.end'),
			{ name: 'proration', type: 'boolean', get: (o) => { const v = at(o, 'parent.subscription_item_details.proration') ?? at(o, 'proration'); return typeof v === 'boolean' ? v : null; } },
			c.json('metadata'),
		],
	},
	{
		name: 'invoice_payments',
		object: 'invoice_payment',
		parent: {
			table: 'invoices',
			rows: (i) => {
				const payments = at(i, 'payments') as { data?: Obj[] } | null;
				return payments && Array.isArray(payments.data) ? payments.data : undefined;
			},
			key: 'invoice_id',
		},
		columns: [
			c.text('id'), c.time('created'), { name: 'invoice_id', type: 'text', get: (o, p) => idAt(o, 'invoice') ?? (p ? String(p.id) : null) }, c.text('status'), c.bool('is_default'), c.big('amount_paid'), c.big('amount_requested'), c.text('currency'),
			c.text('payment_type', 'payment.type'), c.id('payment_intent_id', 'payment.payment_intent'), c.id('charge_id', 'payment.charge'), c.time('paid_at', 'status_transitions.paid_at'), c.time('canceled_at', 'status_transitions.canceled_at'),
		],
	},
	{
		name: 'charges',
		object: 'charge',
		list: { path: '/v1/charges' },
		columns: [
			...base,
			c.id('customer_id', 'customer'), c.id('payment_intent_id', 'payment_intent'), c.id('balance_transaction_id', 'balance_transaction'), c.id('payment_method_id', 'payment_method'),
			c.big('amount'), c.big('amount_captured'), c.big('amount_refunded'), c.text('currency'), c.text('status'), c.bool('paid'), c.bool('captured'), c.bool('refunded'), c.bool('disputed'),
			c.text('failure_code'), c.text('failure_message'), c.text('outcome_type', 'outcome.type'), c.text('outcome_reason', 'outcome.reason'), c.text('outcome_network_status', 'outcome.network_status'), c.text('outcome_risk_level', 'outcome.risk_level'),
			c.text('card_brand', 'payment_method_details.card.brand'), c.text('card_country', 'payment_method_details.card.country'), c.text('card_funding', 'payment_method_details.card.funding'), c.text('card_last4', 'payment_method_details.card.last4'),
			c.int('card_exp_month', 'payment_method_details.card.exp_month'), c.int('card_exp_year', 'payment_method_details.card.exp_year'), c.text('billing_details_address_country', 'billing_details.address.country'),
			c.text('description'), c.json('metadata'),
		],
	},
	{
		name: 'refunds',
		object: 'refund',
		list: { path: '/v1/refunds' },
		columns: [c.text('id'), c.time('created'), c.id('charge_id', 'charge'), c.id('payment_intent_id', 'payment_intent'), c.id('balance_transaction_id', 'balance_transaction'), c.big('amount'), c.text('currency'), c.text('status'), c.text('reason'), c.json('metadata')],
	},
	{
		name: 'disputes',
		object: 'dispute',
		list: { path: '/v1/disputes' },
		columns: [...base, c.id('charge_id', 'charge'), c.id('payment_intent_id', 'payment_intent'), c.big('amount'), c.text('currency'), c.text('status'), c.text('reason'), c.bool('is_charge_refundable'), c.time('evidence_due_by', 'evidence_details.due_by'), c.json('metadata')],
	},
	{
		name: 'balance_transactions',
		object: 'balance_transaction',
		list: { path: '/v1/balance_transactions' },
		columns: [c.text('id'), c.time('created'), c.time('available_on'), c.big('amount'), c.big('fee'), c.big('net'), c.text('currency'), c.text('type'), c.text('reporting_category'), c.text('status'), c.text('description'), c.id('source_id', 'source'), c.num('exchange_rate')],
	},
	{
		name: 'balance_transaction_fee_details',
		object: 'fee_detail',
		parent: {
			table: 'balance_transactions',
			// Fee details have no id of their own: `<transaction>:<index>` keys them, so a re-sync updates, not duplicates.
			rows: (t) => (((at(t, 'fee_details') as Obj[] | null) ?? []).map((f, i) => ({ ...f, id: `${String(t.id)}:${i}` }))),
			key: 'balance_transaction_id',
		},
		columns: [c.text('id'), { name: 'balance_transaction_id', type: 'text', get: (_o, p) => (p ? String(p.id) : null) }, c.big('amount'), c.text('application'), c.text('currency'), c.text('description'), c.text('type')],
	},
	{
		name: 'payouts',
		object: 'payout',
		list: { path: '/v1/payouts' },
		columns: [
			...base,
			c.time('arrival_date'), c.big('amount'), c.text('currency'), c.text('status'), c.text('type'), c.text('method'), c.bool('automatic'), c.text('description'), c.id('destination_id', 'destination'),
			c.id('balance_transaction_id', 'balance_transaction'), c.text('failure_code'), c.text('reconciliation_status'), c.text('statement_descriptor'), c.json('metadata'),
		],
	},
	{
		name: 'tax_rates',
		object: 'tax_rate',
		list: { path: '/v1/tax_rates' },
		columns: [
			...base, c.text('display_name'), c.text('description'), c.text('jurisdiction'), c.text('jurisdiction_level'), c.text('country'), c.text('state'), c.text('tax_type'), c.num('percentage'), c.num('effective_percentage'),
			c.bool('inclusive'), c.bool('active'), c.json('metadata'),
		],
	},
	{
		name: 'checkout_sessions',
		object: 'checkout.session',
		// Line items are an expansion: the first one's price is the session's price (for the funnel by price).
		list: { path: '/v1/checkout/sessions', params: { expand: ['data.line_items'] } },
		columns: [
			...base,
			c.time('expires_at'), c.text('status'), c.text('payment_status'), c.text('mode'), c.id('customer_id', 'customer'), c.text('customer_email'), c.text('customer_details_email', 'customer_details.email'),
			c.text('customer_details_address_country', 'customer_details.address.country'), c.id('subscription_id', 'subscription'), c.id('payment_intent_id', 'payment_intent'), c.big('amount_subtotal'), c.big('amount_total'),
			c.text('currency'), c.text('client_reference_id'), c.id('invoice_id', 'invoice'), c.id('price_id', 'line_items.data.0.price'), c.big('line_items_count', 'line_items.data.length'),
			{ name: 'price_ids', type: 'jsonb', get: (o) => { const d = at(o, 'line_items.data'); return Array.isArray(d) ? d.map((l) => idAt(l, 'price')) : null; } },
			c.json('metadata'),
		],
	},
];

export const TABLE_NAMES = TABLES.map((t) => t.name);

export function table(name: string): TableDef {
	const t = TABLES.find((x) => x.name === name);
	if (!t) throw new RangeError(`Unknown table "${name}". The tables are: ${TABLE_NAMES.join(', ')}.`);
	return t;
}

/** The child tables of a root table. */
export function childrenOf(name: string): TableDef[] {
	return TABLES.filter((t) => t.parent?.table === name);
}

/** One row of `def` from a Stripe object (JSON-ready: timestamps as ISO strings, jsonb as values). */
export function toRow(def: TableDef, object: Record<string, unknown>, parent?: Record<string, unknown>): Record<string, unknown> {
	const row: Record<string, unknown> = {};
	for (const col of def.columns) row[col.name] = col.get(object, parent);
	return row;
}

function quote(identifier: string): string {
	return `"${identifier.replace(/"/g, '""')}"`;
}

/** `CREATE TABLE IF NOT EXISTS` for every table (Postgres), with an index per foreign id and on `created`. */
export function schemaSql(schema?: string): string {
	const prefix = schema ? `${quote(schema)}.` : '';
	const out: string[] = [];
	if (schema) out.push(`CREATE SCHEMA IF NOT EXISTS ${quote(schema)};`);
	for (const t of TABLES) {
		const cols = t.columns.map((col) => `  ${quote(col.name)} ${col.type}${col.name === 'id' ? ' PRIMARY KEY' : ''}`);
		cols.push('  "synced_at" timestamptz NOT NULL DEFAULT now()');
		out.push(`CREATE TABLE IF NOT EXISTS ${prefix}${quote(t.name)} (\n${cols.join(',\n')}\n);`);
		for (const col of t.columns) {
			if (col.name.endsWith('_id') || col.name === 'created') out.push(`CREATE INDEX IF NOT EXISTS ${quote(`${t.name}_${col.name}_idx`)} ON ${prefix}${quote(t.name)} (${quote(col.name)});`);
		}
	}
	return `${out.join('\n')}\n`;
}

/**
 * The upsert of a batch of rows (Postgres): `$1` is the rows as a JSON array, spread into the
 * table's row type with `json_populate_recordset`, inserted or updated on `id`.
 */
export function upsertSql(name: string, schema?: string): string {
	const def = table(name);
	const target = `${schema ? `${quote(schema)}.` : ''}${quote(def.name)}`;
	const cols = def.columns.map((col) => quote(col.name));
	const updates = def.columns.filter((col) => col.name !== 'id').map((col) => `${quote(col.name)} = EXCLUDED.${quote(col.name)}`);
	return `INSERT INTO ${target} (${cols.join(', ')}, "synced_at") SELECT ${cols.join(', ')}, now() FROM json_populate_recordset(NULL::${target}, $1::json) ON CONFLICT ("id") DO UPDATE SET ${updates.join(', ')}, "synced_at" = now()`;
}

/**
 * Removes the child rows of the given parents that are not in the batch (a subscription item
 * removed, a line dropped): `$1` the parent ids, `$2` the child ids kept (JSON arrays).
 */
export function pruneSql(child: string, schema?: string): string {
	const def = table(child);
	if (!def.parent) throw new RangeError(`${child} is not a child table.`);
	const target = `${schema ? `${quote(schema)}.` : ''}${quote(def.name)}`;
	return `DELETE FROM ${target} WHERE ${quote(def.parent.key)} IN (SELECT json_array_elements_text($1::json)) AND "id" NOT IN (SELECT json_array_elements_text($2::json))`;
}

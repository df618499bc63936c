/**
 * Stripe RevOps Balance Export in-process (n8n-core's WorkflowExecute) against the sandbox's
 * seeded business: the range export equals the ledger; "New Since Last Run" keeps its checkpoint
 * in the workflow and exports only what is new; a CSV file has every row; Reconcile Payout from a
 * payout.paid item; Build Journal balances (items, hledger, QuickBooks-style CSV) and says what to
 * fix for items that are not transactions.
 */
import type { IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';
import Stripe from 'stripe';

import type { BalanceTransactionLike } from '../../lib/export';
import { startSandbox, type Sandbox } from '../../sandbox';
import { runWorkflow, type WorkflowJson } from '../harness/n8n';

const NODE_TYPE = 'n8n-nodes-stripe-revops.stripeRevOpsBalanceExport';
const NOW = Date.UTC(2026, 5, 15) / 1000;
const DAY = 86400;

let sb: Sandbox;
let stripe: Stripe;

beforeAll(async () => {
	sb = await startSandbox({ seed: 14, now: NOW, clock: 'frozen', rateLimits: false, seedData: { customers: 60, months: 6 } });
	stripe = new Stripe(sb.secretKey, { host: '127.0.0.1', port: sb.port, protocol: 'http', maxNetworkRetries: 0 });
}, 60_000);
afterAll(() => sb.close());

const credentials = () => ({ stripeRevOpsApi: { secretKey: sb.secretKey, baseUrl: sb.url, apiVersion: '2026-10-28.endive', stripeAccount: '' } });

function wf(parameters: IDataObject, continueOnFail = false): WorkflowJson {
	return {
		nodes: [
			{
				id: 'export',
				name: 'Export',
				type: NODE_TYPE,
				typeVersion: 1,
				position: [0, 0],
				parameters: parameters as INodeParameters,
				credentials: { stripeRevOpsApi: { id: '1', name: 'Stripe sandbox' } },
				...(continueOnFail ? { onError: 'continueRegularOutput' as const } : {}),
			},
		],
		connections: {},
	};
}

async function run(parameters: IDataObject, input: IDataObject[] = [{}], options: { staticData?: IDataObject; continueOnFail?: boolean } = {}) {
	const result = await runWorkflow(wf(parameters, options.continueOnFail), { startNode: 'Export', input: input.map((json) => ({ json })), credentials: credentials(), staticData: options.staticData });
	return { ...result, items: (result.outputs.Export?.[0] ?? []) as INodeExecutionData[] };
}

function ledger(from: number, to: number): BalanceTransactionLike[] {
	const out: BalanceTransactionLike[] = [];
	for (let i = 0; i < sb.world.ledger.size(); i++) {
		const bt = sb.world.ledger.at(i) as unknown as BalanceTransactionLike;
		if (bt.created >= from && bt.created < to) out.push(bt);
	}
	return out;
}

const iso = (t: number) => new Date(t * 1000).toISOString();

test('Export Transactions (date range) equals the ledger, oldest first, with a summary item', async () => {
	const from = NOW - 60 * DAY;
	const out = await run({ operation: 'exportTransactions', mode: 'range', from: iso(from), to: iso(NOW + 1), expandSource: true });
	expect(out.status).toBe('success');
	const rows = out.items.slice(0, -1).map((i) => i.json);
	const summary = out.items[out.items.length - 1].json as IDataObject & { byCurrency: Record<string, { count: number; net: number }> };
	const truth = ledger(from, NOW + 1);
	expect(rows.map((r) => r.id).sort()).toEqual(truth.map((t) => t.id).sort());
	expect(summary).toMatchObject({ summary: true, rows: truth.length });
	expect(summary.byCurrency.usd.net).toBe(truth.reduce((s, t) => s + t.net, 0));
	expect(rows.map((r) => r.createdUnix)).toEqual([...rows.map((r) => r.createdUnix as number)].sort((a, b) => a - b));
	const charge = rows.find((r) => r.reportingCategory === 'charge' && r.originalCurrency);
	expect(charge).toMatchObject({ sourceType: 'charge' });
	expect(typeof charge?.exchangeRate).toBe('number');
	expect(String(charge?.paymentIntentId)).toMatch(/^pi_/);
});

test('Include Payout IDs fills each row with the automatic payout that paid it out, as ?payout= lists it', async () => {
	const from = NOW - 40 * DAY;
	const customer = await stripe.customers.create({ email: 'pending@example.com' });
	const fresh = await stripe.paymentIntents.create({ amount: 777, currency: 'usd', customer: customer.id, payment_method: 'pm_card_visa', confirm: true, off_session: true });
	const out = await run({ operation: 'exportTransactions', mode: 'range', from: iso(from), to: iso(NOW + 1), includePayoutIds: true });
	const rows = out.items.filter((i) => !i.json.summary).map((i) => i.json);
	const paid = rows.filter((r) => r.payoutId && r.type !== 'payout');
	expect(paid.length).toBeGreaterThan(10);
	const one = paid[0];
	const listed = await stripe.balanceTransactions.list({ payout: one.payoutId as string, limit: 100 });
	expect(listed.data.map((t) => t.id)).toContain(one.id);
	for (const r of paid.slice(0, 5)) {
		const of = await stripe.balanceTransactions.list({ payout: r.payoutId as string, limit: 100 });
		expect(of.data.map((t) => t.id)).toContain(r.id);
	}
	// A charge not yet swept into a payout has none.
	expect(fresh.status).toBe('succeeded');
	expect(rows.filter((r) => r.gross === 777).map((r) => r.payoutId)).toEqual([null]);
});

test('New Since Last Run keeps its checkpoint in the workflow: the second run exports only what is new', async () => {
	const staticData: IDataObject = {};
	const since = iso(NOW - 30 * DAY);
	const first = await run({ operation: 'exportTransactions', mode: 'incremental', since }, [{}], { staticData });
	const firstRows = first.items.filter((i) => !i.json.summary);
	expect(firstRows.length).toBeGreaterThan(20);
	expect(firstRows.length).toBe(ledger(NOW - 30 * DAY, NOW + 1).length);
	// n8n keeps node static data under "node:<name>".
	expect((staticData['node:Export'] as IDataObject).balanceExportCheckpoint).toMatchObject({ cursor: { v: 1 } });
	const again = await run({ operation: 'exportTransactions', mode: 'incremental', since }, [{}], { staticData });
	expect(again.items.filter((i) => !i.json.summary)).toHaveLength(0);
	const customer = await stripe.customers.create({ email: 'new@example.com' });
	await stripe.paymentIntents.create({ amount: 4200, currency: 'usd', customer: customer.id, payment_method: 'pm_card_visa', confirm: true, off_session: true });
	const third = await run({ operation: 'exportTransactions', mode: 'incremental', since }, [{}], { staticData });
	expect(third.items.filter((i) => !i.json.summary).map((i) => i.json.gross)).toEqual([4200]);
});

test('CSV file output holds a header and every row', async () => {
	const from = NOW - 20 * DAY;
	const out = await run({ operation: 'exportTransactions', mode: 'range', from: iso(from), to: iso(NOW + 1), output: 'csv' });
	expect(out.items).toHaveLength(1);
	const file = out.items[0].binary?.data;
	expect(file?.fileName).toBe('stripe-balance-transactions.csv');
	const text = Buffer.from(file?.data as string, 'base64').toString('utf8');
	const lines = text.trim().split('\n');
	expect(lines[0]).toMatch(/^id,created,available_on,type,reporting_category,status,currency,gross,fee,net,/);
	expect(lines.length - 1).toBe(ledger(from, NOW + 1).length);
	expect(out.items[0].json).toMatchObject({ summary: true, rows: lines.length - 1 });
});

test('Rows per File splits the export into parts that together hold every row once', async () => {
	const from = NOW - 20 * DAY;
	const n = ledger(from, NOW + 1).length;
	const out = await run({ operation: 'exportTransactions', mode: 'range', from: iso(from), to: iso(NOW + 1), output: 'ndjson', rowsPerFile: 40 });
	expect(out.items).toHaveLength(Math.ceil(n / 40));
	const ids = out.items.flatMap((i) => Buffer.from(i.binary?.data.data as string, 'base64').toString('utf8').trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id));
	expect(ids).toHaveLength(n);
	expect(new Set(ids).size).toBe(n);
	expect(out.items.map((i) => i.binary?.data.fileName)[0]).toBe('stripe-balance-transactions-0001.ndjson');
	expect(out.items.slice(0, -1).every((i) => i.json.rows === 40)).toBe(true);
});

test('Reconcile Payout from a payout.paid trigger item: reconciled, with totals by category', async () => {
	const payouts = await stripe.payouts.list({ limit: 10 });
	const payout = payouts.data.find((p) => p.automatic && p.status === 'paid') as Stripe.Payout;
	const out = await run({ operation: 'reconcilePayout' }, [{ type: 'payout.paid', objectType: 'payout', objectId: payout.id }]);
	expect(out.items[0].json).toMatchObject({ payoutId: payout.id, result: 'reconciled', difference: 0, amount: payout.amount, differenceDecimal: '0.00' });
	expect((out.items[0].json.byCategory as IDataObject).charge).toBeDefined();
	// Its transactions by the Payout ID filter alone (no range), as the reconciliation template builds its journal.
	const rows = await run({ operation: 'exportTransactions', mode: 'range', filters: { payout: payout.id } });
	expect(rows.items.filter((i) => !i.json.summary)).toHaveLength((out.items[0].json.transactions as number) + 1); // + the payout's own row
	const bad = await run({ operation: 'reconcilePayout' }, [{ note: 'no payout' }], { continueOnFail: true });
	expect(String(bad.items[0].json.error)).toContain('No payout: set "Payout ID"');
});

test('Build Journal: every entry balances; hledger and QuickBooks-style CSV files; a non-transaction item is an error item', async () => {
	const exported = await run({ operation: 'exportTransactions', mode: 'range', from: iso(NOW - 10 * DAY), to: iso(NOW + 1), expandSource: true });
	const rows = exported.items.map((i) => i.json);
	const lines = await run({ operation: 'buildJournal', format: 'items', bookTax: true }, rows);
	expect(lines.status).toBe('success');
	const byEntry = new Map<string, number>();
	for (const l of lines.items.map((i) => i.json)) byEntry.set(l.entryId as string, (byEntry.get(l.entryId as string) ?? 0) + (l.debit as number) - (l.credit as number));
	expect(byEntry.size).toBe(rows.length - 1);
	expect([...byEntry.values()].every((v) => v === 0)).toBe(true);
	const ledgerFile = await run({ operation: 'buildJournal', format: 'hledger', bookTax: true }, rows);
	const journal = ledgerFile.items.find((i) => i.binary)?.binary?.data;
	expect(journal?.fileName).toBe('stripe.journal');
	expect(Buffer.from(journal?.data as string, 'base64').toString('utf8')).toContain('Assets:Stripe Clearing');
	const qb = await run({ operation: 'buildJournal', format: 'csvQuickbooks', bookTax: false, chart: { clearing: '1010 Stripe', revenue: '4000 Sales' } }, rows);
	const csv = Buffer.from(qb.items.find((i) => i.binary)?.binary?.data.data as string, 'base64').toString('utf8');
	expect(csv.split('\n')[0]).toBe('JournalNo,JournalDate,AccountName,Debits,Credits,Description,Currency');
	expect(csv).toContain(',1010 Stripe,');
	const mixed = await run({ operation: 'buildJournal', format: 'items', bookTax: false }, [rows[0], { hello: 'world' }], { continueOnFail: true });
	expect(mixed.items.some((i) => String(i.json.error).includes('not an exported balance transaction'))).toBe(true);
	expect(mixed.items.find((i) => i.json.error)?.pairedItem).toEqual({ item: 1 });
});

test('Tax Summary totals per jurisdiction equal the sum of the paid invoices\' tax; the journal books tax payable per jurisdiction', async () => {
	const from = NOW - 200 * DAY;
	const out = await run({ operation: 'taxSummary', from: iso(from), to: iso(NOW + 1), period: 'year' });
	const rows = out.items.map((i) => i.json as IDataObject & { jurisdiction: string; currency: string; tax: number });
	expect(rows.length).toBeGreaterThan(3);
	// The truth through the official client: every paid invoice's total_taxes, per tax rate and currency.
	const truth = new Map<string, number>();
	const rates = new Map<string, Stripe.TaxRate>();
	for await (const inv of stripe.invoices.list({ status: 'paid', created: { gte: from, lt: NOW + 1 }, limit: 100 })) {
		for (const t of inv.total_taxes ?? []) {
			const id = t.tax_rate_details?.tax_rate as string;
			if (!rates.has(id)) rates.set(id, await stripe.taxRates.retrieve(id));
			const r = rates.get(id) as Stripe.TaxRate;
			const key = `${[r.country, r.state].filter(Boolean).join('-')}|${r.percentage}|${inv.currency}`;
			truth.set(key, (truth.get(key) ?? 0) + t.amount);
		}
	}
	const ours = new Map<string, number>();
	for (const r of rows) {
		const key = `${[r.country, r.state].filter(Boolean).join('-')}|${r.rate}|${r.currency}`;
		ours.set(key, (ours.get(key) ?? 0) + r.tax);
	}
	expect(ours).toEqual(truth);
	expect([...new Set(rows.map((r) => r.country))].length).toBeGreaterThanOrEqual(4);

	const exported = await run({ operation: 'exportTransactions', mode: 'range', from: iso(NOW - 40 * DAY), to: iso(NOW + 1), expandSource: true, filters: { type: 'charge' } });
	const lines = await run({ operation: 'buildJournal', format: 'items', bookTax: true }, exported.items.map((i) => i.json));
	const taxLines = lines.items.map((i) => i.json).filter((l) => l.role === 'taxPayable');
	expect(taxLines.length).toBeGreaterThan(5);
	expect(taxLines.every((l) => String(l.account).startsWith('Liabilities:Tax Payable:'))).toBe(true);
	expect(new Set(taxLines.map((l) => l.account)).size).toBeGreaterThan(2);
});

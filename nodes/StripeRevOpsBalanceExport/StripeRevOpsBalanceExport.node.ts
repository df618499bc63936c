import { NodeConnectionTypes, NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeExecutionData, type INodeType, type INodeTypeDescription } from 'n8n-workflow';

import {
	CSV_HEADERS,
	csvCell,
	DEFAULT_CHART,
	bestEffortRows,
	exportIncremental,
	exportRange,
	hledgerJournal,
	journalCsvRows,
	journalEntry,
	loadInvoiceTaxes,
	payoutIdsFor,
	reconcilePayout,
	sumRows,
	taxByPaymentIntent,
	taxSummary,
	toExportRow,
	type BalanceFilters,
	type BalanceTransactionLike,
	type ChartOfAccounts,
	type CsvLayout,
	type ExportRow,
	type PayoutLike,
	type TaxLine,
	type TaxPeriod,
} from '../../lib/export';
import { encodePath } from '../../lib/stripe';
import { OutputItems, route, type ItemInput, type ItemOutcome } from '../shared/router';
import { CREDENTIAL_NAME, executionStripe, type ExecutionStripe } from '../shared/stripeApi';
import { dateParameter, nowSeconds } from '../shared/params';
import { properties } from './description';

const CURSOR_KEY = 'balanceExportCheckpoint';

const ROW_COLUMNS = [
	'id',
	'created',
	'available_on',
	'type',
	'reporting_category',
	'status',
	'currency',
	'gross',
	'fee',
	'net',
	'stripe_fee',
	'application_fee',
	'tax',
	'withheld_tax',
	'payment_method_passthrough_fee',
	'exchange_rate',
	'original_currency',
	'original_amount',
	'source_id',
	'source_type',
	'customer_id',
	'payment_intent_id',
	'payout_id',
	'description',
];

function csvRow(r: ExportRow): string {
	return [
		r.id,
		r.created,
		r.availableOn,
		r.type,
		r.reportingCategory,
		r.status,
		r.currency,
		r.grossDecimal,
		r.feeDecimal,
		r.netDecimal,
		r.fees.stripe_fee,
		r.fees.application_fee,
		r.fees.tax,
		r.fees.withheld_tax,
		r.fees.payment_method_passthrough_fee,
		r.exchangeRate,
		r.originalCurrency,
		r.originalAmount,
		r.sourceId,
		r.sourceType,
		r.customerId,
		r.paymentIntentId,
		r.payoutId,
		r.description,
	]
		.map(csvCell)
		.join(',');
}

/**
 * Turns a producer that pushes pages into an async generator with backpressure: the producer
 * waits while `highWater` pages are queued, so a file export holds a few pages, not the export.
 */
function bridge<T>(produce: (push: (value: T) => Promise<void>) => Promise<unknown>, highWater = 8): AsyncGenerator<T> {
	const queue: T[] = [];
	let done = false;
	let failure: { error: unknown } | undefined;
	let wakeConsumer: (() => void) | undefined;
	// Every producer waiting for room (several slices can be held at once): all are woken when a value is taken.
	let waiting: Array<() => void> = [];
	const wakeProducers = () => {
		const all = waiting;
		waiting = [];
		for (const wake of all) wake();
	};
	const push = async (value: T) => {
		queue.push(value);
		wakeConsumer?.();
		while (queue.length >= highWater && !failure) await new Promise<void>((resolve) => waiting.push(resolve));
	};
	produce(push).then(
		() => {
			done = true;
			wakeConsumer?.();
		},
		(error: unknown) => {
			failure = { error };
			wakeProducers();
			wakeConsumer?.();
		},
	);
	return (async function* () {
		try {
			for (;;) {
				if (queue.length) {
					const value = queue.shift() as T;
					wakeProducers();
					yield value;
					continue;
				}
				if (failure) throw failure.error;
				if (done) return;
				await new Promise<void>((resolve) => (wakeConsumer = resolve));
			}
		} finally {
			// The consumer stopped (an error downstream): let the producers run out instead of hanging.
			failure ??= { error: new Error('The export was stopped.') };
			wakeProducers();
		}
	})();
}

function filtersFrom(context: IExecuteFunctions, itemIndex: number): BalanceFilters {
	const f = context.getNodeParameter('filters', itemIndex, {}) as IDataObject;
	const out: BalanceFilters = {};
	for (const k of ['type', 'currency', 'payout', 'reportingCategory', 'status'] as const) if (typeof f[k] === 'string' && (f[k] as string).trim()) out[k] = (f[k] as string).trim();
	return out;
}

/** Running per-currency sums (memory stays flat however many rows pass). */
class Totals {
	rows = 0;
	requests = 0;
	byCurrency: Record<string, { count: number; gross: number; fee: number; net: number }> = {};
	add(rows: readonly ExportRow[]): void {
		this.rows += rows.length;
		const s = sumRows(rows);
		for (const [cur, v] of Object.entries(s)) {
			const t = (this.byCurrency[cur] ??= { count: 0, gross: 0, fee: 0, net: 0 });
			t.count += v.count;
			t.gross += v.gross;
			t.fee += v.fee;
			t.net += v.net;
		}
	}
}

/** The pages of the export the parameters ask for, and what to do once they are all written. */
function exportPages(input: ItemInput<ExecutionStripe>, totals: Totals): { pages: AsyncGenerator<ExportRow[]>; finish: () => void; checkpoint: () => unknown } {
	const { context, itemIndex, shared } = input;
	const mode = context.getNodeParameter('mode', itemIndex, 'range') as string;
	const filters = filtersFrom(context, itemIndex);
	const expandSource = context.getNodeParameter('expandSource', itemIndex, false) as boolean;
	if (mode === 'incremental') {
		const store = context.getWorkflowStaticData('node');
		// The checkpoint belongs to the filters it was taken with: other filters start anew.
		const key = JSON.stringify({ filters, expandSource });
		const saved = store[CURSOR_KEY] as { key?: string; cursor?: unknown } | undefined;
		const cursor = saved?.key === key ? saved.cursor : undefined;
		const sinceRaw = context.getNodeParameter('since', itemIndex, '') as string;
		const since = sinceRaw ? dateParameter(context, 'since', itemIndex) : undefined;
		let checkpoint: unknown;
		const pages = (async function* () {
			for await (const batch of exportIncremental(shared.client, { now: nowSeconds(), cursor, since: cursor === undefined ? since : undefined, filters, expandSource })) {
				totals.requests += batch.requests;
				checkpoint = batch.cursor;
				if (batch.rows.length) yield batch.rows;
			}
		})();
		// Stored once everything is written; n8n saves it with the execution.
		const finish = () => {
			if (checkpoint !== undefined) store[CURSOR_KEY] = { key, cursor: checkpoint } as unknown as IDataObject;
		};
		return { pages, finish, checkpoint: () => checkpoint };
	}
	// A payout's transactions need no range: Stripe's ?payout= list is the whole payout (one list, no slices).
	const byPayout = filters.payout !== undefined;
	const from = dateParameter(context, 'from', itemIndex, byPayout ? 0 : undefined);
	const to = dateParameter(context, 'to', itemIndex, nowSeconds() + 1);
	if (to <= from) throw new NodeOperationError(context.getNode(), '"To" must be after "From".', { itemIndex });
	const withPayouts = !byPayout && (context.getNodeParameter('includePayoutIds', itemIndex, false) as boolean);
	const pages = bridge<ExportRow[]>(async (push) => {
		const payouts = withPayouts ? await payoutIdsFor(shared.client, { from, to }) : undefined;
		const stats = await exportRange(shared.client, { from, to, filters, expandSource, ...(byPayout ? { slices: 1 } : {}) }, async (rows) => {
			if (payouts) for (const r of rows) r.payoutId ??= payouts.get(r.id) ?? null;
			await push(rows);
		});
		totals.requests += stats.requests;
	});
	return { pages, finish: () => undefined, checkpoint: () => undefined };
}

async function runExport(input: ItemInput<ExecutionStripe>): Promise<OutputItems | IDataObject[]> {
	const { context, itemIndex } = input;
	const output = context.getNodeParameter('output', itemIndex, 'items') as 'items' | 'csv' | 'ndjson';
	const totals = new Totals();
	const job = exportPages(input, totals);
	const summary = () => ({
		summary: true,
		rows: totals.rows,
		byCurrency: totals.byCurrency,
		requests: totals.requests,
		...(job.checkpoint() !== undefined ? { checkpoint: job.checkpoint() as IDataObject } : {}),
	});
	if (output === 'items') {
		const rows: ExportRow[] = [];
		for await (const page of job.pages) {
			totals.add(page);
			rows.push(...page);
		}
		job.finish();
		rows.sort((a, b) => a.createdUnix - b.createdUnix || a.id.localeCompare(b.id));
		return [...(rows as unknown as IDataObject[]), summary() as unknown as IDataObject];
	}
	const csv = output === 'csv';
	const rowsPerFile = Math.max(0, Math.floor(context.getNodeParameter('rowsPerFile', itemIndex, 0) as number));
	const header = csv ? `${ROW_COLUMNS.join(',')}\n` : '';
	const base = csv ? 'stripe-balance-transactions' : 'stripe-balance-transactions';
	const ext = csv ? 'csv' : 'ndjson';
	const mime = csv ? 'text/csv' : 'application/x-ndjson';
	// Pages become bytes as they arrive (rows are not kept as objects). With "Rows per File", each part is
	// handed to n8n as soon as it is full; in n8n's filesystem binary mode only that part is in memory.
	// (A community node may not import node:stream, so it cannot hand n8n one stream.)
	const files: Array<Pick<INodeExecutionData, 'json' | 'binary'>> = [];
	let chunks: Buffer[] = [header ? Buffer.from(header) : Buffer.alloc(0)];
	let inPart = 0;
	let partRows = 0;
	const flush = async () => {
		const part = files.length + 1;
		const name = rowsPerFile ? `${base}-${String(part).padStart(4, '0')}.${ext}` : `${base}.${ext}`;
		const binary = await context.helpers.prepareBinaryData(Buffer.concat(chunks), name, mime);
		files.push({ json: { part, rows: partRows }, binary: { data: binary } });
		chunks = [header ? Buffer.from(header) : Buffer.alloc(0)];
		inPart = 0;
		partRows = 0;
	};
	for await (const page of job.pages) {
		totals.add(page);
		for (let i = 0; i < page.length; ) {
			const take = rowsPerFile ? Math.min(page.length - i, rowsPerFile - inPart) : page.length - i;
			const slice = page.slice(i, i + take);
			chunks.push(Buffer.from(slice.map((r) => (csv ? csvRow(r) : JSON.stringify(r))).join('\n') + '\n', 'utf8'));
			inPart += take;
			partRows += take;
			i += take;
			if (rowsPerFile && inPart >= rowsPerFile) await flush();
		}
	}
	if (partRows > 0 || files.length === 0) await flush();
	job.finish();
	const s = summary() as unknown as IDataObject;
	if (files.length === 1) return new OutputItems([{ json: s, binary: files[0].binary }]);
	return new OutputItems(files.map((f, k) => ({ json: { ...s, ...f.json, parts: files.length, summary: k === files.length - 1 }, binary: f.binary })));
}

function payoutIdFrom(json: IDataObject): string | undefined {
	if (typeof json.payoutId === 'string') return json.payoutId;
	if (json.objectType === 'payout' && typeof json.objectId === 'string') return json.objectId;
	const event = (json.event ?? json) as IDataObject;
	const object = (event.data as IDataObject | undefined)?.object as IDataObject | undefined;
	if (object?.object === 'payout' && typeof object.id === 'string') return object.id;
	if (json.object === 'payout' && typeof json.id === 'string') return json.id;
	return undefined;
}

async function reconcile(input: ItemInput<ExecutionStripe>): Promise<IDataObject> {
	const { context, itemIndex, json, shared } = input;
	const id = ((context.getNodeParameter('payoutId', itemIndex, '') as string).trim() || payoutIdFrom(json)) ?? '';
	if (!/^po_\w+$/.test(id)) throw new NodeOperationError(context.getNode(), `No payout: set "Payout ID" (po_…) or connect a payout.paid trigger item${id ? `; got "${id}"` : ''}.`, { itemIndex });
	const payout = await shared.client.get<PayoutLike>(encodePath`/v1/payouts/${id}`);
	let rows: ExportRow[] = [];
	if (payout.automatic) {
		for await (const bt of shared.client.list<BalanceTransactionLike>('/v1/balance_transactions', { payout: id, limit: 100 })) rows.push(toExportRow(bt, id));
	} else {
		// Manual or instant: what became available between the previous payout and this one (best effort).
		const previous = await shared.client.get<{ data: PayoutLike[] }>('/v1/payouts', { created: { lt: payout.created }, limit: 1 });
		const since = previous.data[0]?.created ?? 0;
		await exportRange(shared.client, { from: Math.max(0, since - 40 * 86_400), to: payout.created + 1 }, (page) => {
			rows.push(...page);
		});
		rows = bestEffortRows(rows, since, payout);
	}
	const result = reconcilePayout(payout, rows) as unknown as IDataObject;
	if (context.getNodeParameter('includeRows', itemIndex, false) as boolean) result.rows = rows as unknown as IDataObject[];
	return result;
}

function isRow(json: IDataObject): boolean {
	return typeof json.id === 'string' && typeof json.gross === 'number' && typeof json.fee === 'number' && typeof json.net === 'number' && typeof json.reportingCategory === 'string' && typeof json.currency === 'string';
}

const LAYOUTS: Record<string, CsvLayout> = { csvGeneric: 'generic', csvQuickbooks: 'quickbooks', csvXero: 'xero', csvNetsuite: 'netsuite' };

async function buildJournal(inputs: Array<ItemInput<ExecutionStripe>>): Promise<ItemOutcome[]> {
	const { context, shared } = inputs[0];
	const first = inputs[0].itemIndex;
	const format = context.getNodeParameter('format', first, 'items') as string;
	const bookTax = context.getNodeParameter('bookTax', first, true) as boolean;
	const chart: ChartOfAccounts = { ...DEFAULT_CHART, ...(context.getNodeParameter('chart', first, {}) as Partial<ChartOfAccounts>) };
	const outcomes: ItemOutcome[] = new Array(inputs.length);
	const rows: Array<{ k: number; row: ExportRow }> = [];
	inputs.forEach((input, k) => {
		if (input.json.summary === true) outcomes[k] = { ok: true, json: [] }; // the export's summary item
		else if (!isRow(input.json)) {
			outcomes[k] = { ok: false, error: new NodeOperationError(context.getNode(), 'This item is not an exported balance transaction (id, gross, fee, net, currency, reportingCategory): connect Export Transactions with Output "Items".', { itemIndex: input.itemIndex }) };
		} else rows.push({ k, row: input.json as unknown as ExportRow });
	});
	let taxes = new Map<string, TaxLine[]>();
	if (bookTax && rows.some((r) => r.row.reportingCategory === 'charge')) {
		const times = rows.map((r) => r.row.createdUnix);
		taxes = taxByPaymentIntent(await loadInvoiceTaxes(shared.client, { from: Math.min(...times) - 60 * 86_400, to: Math.max(...times) + 1 }));
	}
	const entries = [];
	for (const { k, row } of rows) {
		if (bookTax && row.reportingCategory === 'charge' && row.gross > 0 && !row.paymentIntentId && row.sourceType !== 'payout') {
			outcomes[k] = { ok: false, error: new NodeOperationError(context.getNode(), `Transaction ${row.id} was exported without its source, so its invoice's tax cannot be booked: turn on "Expand Source" in Export Transactions, or turn off "Book Tax From Invoices".`, { itemIndex: inputs[k].itemIndex }) };
			continue;
		}
		try {
			const entry = journalEntry(row, chart, row.paymentIntentId ? (taxes.get(row.paymentIntentId) ?? []) : []);
			entries.push(entry);
			outcomes[k] = { ok: true, json: format === 'items' ? (entry.lines as unknown as IDataObject[]) : [] };
		} catch (error) {
			outcomes[k] = { ok: false, error };
		}
	}
	if (format !== 'items' && entries.length) {
		const text = format === 'hledger' ? hledgerJournal(entries) : [CSV_HEADERS[LAYOUTS[format]].join(','), ...journalCsvRows(entries, LAYOUTS[format])].join('\n') + '\n';
		const name = format === 'hledger' ? 'stripe.journal' : `stripe-journal-${LAYOUTS[format]}.csv`;
		const binary = await context.helpers.prepareBinaryData(Buffer.from(text, 'utf8'), name, format === 'hledger' ? 'text/plain' : 'text/csv');
		const last = [...outcomes.keys()].reverse().find((k) => outcomes[k]?.ok) ?? 0;
		const debit = entries.reduce((s, e) => s + e.lines.reduce((t, l) => t + l.debit, 0), 0);
		outcomes[last] = { ok: true, json: new OutputItems([{ json: { entries: entries.length, lines: entries.reduce((s, e) => s + e.lines.length, 0), totalDebit: debit, format }, binary: { data: binary } }]) };
	}
	return outcomes;
}

export class StripeRevOpsBalanceExport implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Stripe RevOps Balance Export',
		name: 'stripeRevOpsBalanceExport',
		icon: { light: 'file:stripeRevOpsBalanceExport.svg', dark: 'file:stripeRevOpsBalanceExport.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"]}}',
		description: 'Export Stripe balance transactions exactly, reconcile payouts and build double-entry journals',
		defaults: { name: 'Stripe RevOps Balance Export' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: CREDENTIAL_NAME, required: true }],
		properties,
	};

	execute = route<ExecutionStripe>({
		shared: async (context) => executionStripe(context),
		operations: {
			exportTransactions: { item: runExport },
			reconcilePayout: { item: reconcile },
			buildJournal: { batch: buildJournal },
			taxSummary: {
				item: async ({ context, itemIndex, shared }) => {
					const from = dateParameter(context, 'from', itemIndex);
					const to = dateParameter(context, 'to', itemIndex, nowSeconds() + 1);
					const period = context.getNodeParameter('period', itemIndex, 'month') as TaxPeriod;
					return taxSummary(await loadInvoiceTaxes(shared.client, { from, to }), period) as unknown as IDataObject[];
				},
			},
		},
	});
}

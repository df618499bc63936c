/**
 * Reading balance transactions (issue 10).
 *
 * **A date range** is cut into time slices listed in parallel (`created[gte]`/`created[lt]`, 100
 * a page, `starting_after` within a slice), so the export runs at the rate Stripe allows instead
 * of one page after another. Concurrency adapts (AIMD): one more slice in flight after every page
 * answered without a 429, half as many after a 429 (the client then waits and retries that page),
 * between 1 and `maxConcurrency`. The client's rate limiter keeps the request rate inside Stripe's
 * limits either way. Pages are handed on as they arrive (not in time order): every row exactly
 * once, which is what a file or a sum needs.
 *
 * **Incrementally** the export uses the poll trigger's exactly-once cursor (lib/events/poll.ts,
 * `pollEventBatches` with `retentionSeconds: Infinity`, since balance transactions are kept
 * forever): no gaps and no duplicates across runs, also for transactions created in the same
 * second and ones that become listable late.
 */
import type { StripeClient } from '../stripe/client';
import type { FormParams } from '../stripe/form';
import { pollEventBatches, type PollCursor } from '../events/poll';
import { toExportRow, type BalanceTransactionLike, type ExportRow } from './rows';

export interface BalanceFilters {
	/** Stripe's `type` filter (charge, refund, payout, …). */
	type?: string;
	/** Stripe's `currency` filter (settlement currency). */
	currency?: string;
	/** Automatic payouts only (Stripe's `payout` filter). */
	payout?: string;
	/** Applied after listing (Stripe's list has no such filter). */
	reportingCategory?: string;
	/** `available` or `pending`, applied after listing. */
	status?: string;
}

export interface ListOptions {
	filters?: BalanceFilters;
	/** `expand[]=data.source` (charge, refund, dispute, payout, transfer: customer, amount, currency). */
	expandSource?: boolean;
	pageSize?: number;
}

function listParams(options: ListOptions): FormParams {
	const f = options.filters ?? {};
	const params: FormParams = { limit: options.pageSize ?? 100 };
	if (f.type) params.type = f.type;
	if (f.currency) params.currency = f.currency.toLowerCase();
	if (f.payout) params.payout = f.payout;
	if (options.expandSource) params.expand = ['data.source'];
	return params;
}

function keep(options: ListOptions): (row: ExportRow) => boolean {
	const f = options.filters ?? {};
	return (row) => (!f.reportingCategory || row.reportingCategory === f.reportingCategory) && (!f.status || row.status === f.status);
}

export interface RangeOptions extends ListOptions {
	/** Unix seconds, inclusive. */
	from: number;
	/** Unix seconds, exclusive. */
	to: number;
	/** How many slices the range is cut into (default: one per day, at least 8, at most 512). */
	slices?: number;
	initialConcurrency?: number;
	maxConcurrency?: number;
}

export interface RangeStats {
	requests: number;
	rateLimited: number;
	peakConcurrency: number;
	slices: number;
}

/**
 * Every balance transaction created in [from, to), page by page as the pages arrive (see the
 * module comment). `onPage` gets each page's rows; the promise resolves with the stats once all
 * slices are read, or rejects with the first error (no further pages are fetched then).
 */
export async function exportRange(client: StripeClient, options: RangeOptions, onPage: (rows: ExportRow[]) => void | Promise<void>): Promise<RangeStats> {
	if (!(options.to > options.from)) throw new RangeError(`The range is empty: "to" (${options.to}) must be after "from" (${options.from}).`);
	const days = Math.ceil((options.to - options.from) / 86_400);
	const count = Math.max(1, Math.min(options.slices ?? Math.min(512, Math.max(8, days)), options.to - options.from));
	const bounds: Array<[number, number]> = [];
	for (let i = 0; i < count; i++) {
		const a = options.from + Math.floor(((options.to - options.from) * i) / count);
		const b = options.from + Math.floor(((options.to - options.from) * (i + 1)) / count);
		if (b > a) bounds.push([a, b]);
	}
	const base = listParams(options);
	const filter = keep(options);
	const stats: RangeStats = { requests: 0, rateLimited: 0, peakConcurrency: 0, slices: bounds.length };
	const max = Math.max(1, options.maxConcurrency ?? 16);
	let allowed = Math.min(max, Math.max(1, options.initialConcurrency ?? 8));
	let grow: () => void = () => undefined;
	let active = 0;
	let next = 0;
	let failed: unknown;
	const onAttempt = (status: number) => {
		if (status === 429) {
			stats.rateLimited++;
			allowed = Math.max(1, Math.floor(allowed / 2));
		}
	};

	const runSlice = async ([gte, lt]: [number, number]) => {
		let startingAfter: string | undefined;
		for (;;) {
			if (failed !== undefined) return;
			const params: FormParams = { ...base, created: { gte, lt } };
			if (startingAfter) params.starting_after = startingAfter;
			stats.requests++;
			const page = await client.get<{ data: BalanceTransactionLike[]; has_more: boolean }>('/v1/balance_transactions', params, { onAttempt });
			if (allowed < max) {
				allowed++;
				grow(); // a slice more may start now, not only when one ends
			}
			const rows = page.data.map((bt) => toExportRow(bt, options.filters?.payout ?? null)).filter(filter);
			if (rows.length) await onPage(rows);
			if (!page.has_more || page.data.length === 0) return;
			startingAfter = page.data[page.data.length - 1].id;
		}
	};

	await new Promise<void>((resolve, reject) => {
		grow = () => pump();
		const pump = () => {
			if (failed !== undefined) {
				if (active === 0) reject(failed);
				return;
			}
			while (active < allowed && next < bounds.length) {
				const slice = bounds[next++];
				active++;
				stats.peakConcurrency = Math.max(stats.peakConcurrency, active);
				runSlice(slice).then(
					() => {
						active--;
						pump();
					},
					(error: unknown) => {
						active--;
						failed ??= error;
						pump();
					},
				);
			}
			if (active === 0 && next >= bounds.length) resolve();
		};
		pump();
	});
	return stats;
}

export interface IncrementalOptions extends ListOptions {
	/** Unix seconds now. */
	now: number;
	/** The checkpoint of the previous run (undefined on the first). */
	cursor?: unknown;
	/** First run: export from this time (unix seconds); default: only take position. */
	since?: number;
	/** Rows per batch (each batch ends with a valid checkpoint). */
	maxRowsPerBatch?: number;
	/** How late (seconds) a transaction may become listable and still be caught (default 10). */
	overlapSeconds?: number;
}

export interface IncrementalBatch {
	rows: ExportRow[];
	/** Store this after the rows are safely written; resume from it. */
	cursor: PollCursor;
	caughtUp: boolean;
	firstRun: boolean;
	requests: number;
}

/** The transactions created since the checkpoint, batch by batch, oldest first (see the module comment). */
export async function* exportIncremental(client: StripeClient, options: IncrementalOptions): AsyncGenerator<IncrementalBatch> {
	const base = listParams(options);
	const filter = keep(options);
	const lookback = options.since !== undefined ? Math.max(0, options.now - options.since) : 0;
	const batches = pollEventBatches<BalanceTransactionLike>({
		now: options.now,
		cursor: options.cursor,
		lookbackSeconds: lookback,
		overlapSeconds: options.overlapSeconds,
		maxEventsPerPoll: options.maxRowsPerBatch ?? 10_000,
		pageSize: options.pageSize,
		retentionSeconds: Number.POSITIVE_INFINITY,
		listEvents: async (p) => {
			const params: FormParams = { ...base, created: p.createdLte !== undefined ? { gte: p.createdGte, lte: p.createdLte } : { gte: p.createdGte }, limit: p.limit };
			if (p.startingAfter) params.starting_after = p.startingAfter;
			return await client.get<{ data: BalanceTransactionLike[]; has_more: boolean }>('/v1/balance_transactions', params);
		},
	});
	for await (const batch of batches) {
		yield {
			rows: batch.events.map((bt) => toExportRow(bt, options.filters?.payout ?? null)).filter(filter),
			cursor: batch.cursor,
			caughtUp: batch.caughtUp,
			firstRun: batch.firstRun,
			requests: batch.requests,
		};
	}
}

/**
 * Which automatic payout paid out each balance transaction created in [from, to): the payouts
 * created from `from` to 35 days after `to` (a transaction becomes available within days and is
 * swept into the next automatic payout), each listed with `?payout=` (Stripe links transactions
 * to automatic payouts only). Transactions not yet paid out, or paid out manually, are absent.
 */
export async function payoutIdsFor(client: StripeClient, range: { from: number; to: number }): Promise<Map<string, string>> {
	const out = new Map<string, string>();
	for await (const payout of client.list<{ id: string; automatic: boolean }>('/v1/payouts', { created: { gte: range.from, lt: range.to + 35 * 86_400 }, limit: 100 })) {
		if (!payout.automatic) continue;
		for await (const bt of client.list<{ id: string; created: number }>('/v1/balance_transactions', { payout: payout.id, limit: 100 })) {
			if (bt.created >= range.from && bt.created < range.to) out.set(bt.id, payout.id);
		}
	}
	return out;
}

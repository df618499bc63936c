/**
 * Sync Tables (issue 12): Stripe into warehouse tables (lib/warehouse/tables.ts), complete and
 * exactly once, resumable from a checkpoint.
 *
 * 1. **Backfill** at a fixed start time T0: every root table is listed with `created < T0` (all
 *    statuses: subscriptions with `status=all`), 100 per page, newest first with `starting_after`;
 *    the checkpoint keeps each table's last emitted id, so a run that stops resumes at the next page.
 * 2. **Incremental**: Stripe's events from T0 on (the poll trigger's cursor, lib/events/poll.ts: no
 *    gaps, no duplicates, oldest first), each applied as its object's snapshot: an update is an
 *    upsert, a `*.deleted` event marks the row `deleted` (customers, products, prices). Objects
 *    created or changed while the backfill ran come in through their events. Balance
 *    transactions have no events: they are listed by `created` on the same cursor rules (kept
 *    forever); a transaction's `status` moves from pending to available without an event, so once
 *    the earliest pending one is due (`available_on`), they are listed again from the oldest pending.
 *
 * Output: batches of rows per table with the SQL that writes them (lib/warehouse/tables.ts
 * `upsertSql`; child rows a parent no longer has are pruned), then the new checkpoint. Written in
 * one transaction with the rows (the template's Postgres node, `queryBatching: transaction`), the
 * checkpoint advances only with what it covers: a run that fails, is rate-limited past its
 * retries or is stopped leaves the previous checkpoint, and the next run repeats its pages (upserts
 * on `id` make a repeat harmless). The transport retries 429s; a page is never counted as done
 * before it was returned.
 */
import type { StripeClient, StripeList } from '../stripe/client';
import { encodePath } from '../stripe/path';
import { pollEvents, readCursor, type PollCursor } from '../events/poll';
import { childrenOf, pruneSql, table, TABLES, toRow, upsertSql, type TableDef } from './tables';

type Obj = Record<string, unknown>;

export const CHECKPOINT_TABLE = 'stripe_sync_state';

export interface BackfillSlice {
	/** `created` range [gte, lte]. */
	gte: number;
	lte: number;
	after?: string;
	done: boolean;
}

export interface BackfillProgress {
	done: boolean;
	after?: string;
	slices?: BackfillSlice[];
}

/** Time slices a large table is read in, side by side. */
const SLICES = 8;

export interface SyncState {
	v: 1;
	/** The backfill's fixed upper bound (unix seconds). */
	startedAt: number;
	/**
	 * Per root table: done, or the last id emitted (the next page starts after it). A table with more than
	 * one page is split after its first page into time slices read side by side, each with its own position.
	 */
	backfill: Record<string, BackfillProgress>;
	/** Events from `startedAt` on, once the backfill is done. */
	events?: PollCursor;
	/** Balance transactions listed by `created` once the backfill is done. */
	balance?: PollCursor;
	/** Totals so far (rows written per table), for the user. */
	counts: Record<string, number>;
	/** The oldest balance transaction last seen `pending` (its `created`) and the earliest `available_on` among them. */
	pending?: { from: number; dueAt: number };
}

/** Folds the pending transactions among `seen` into the pending marker. */
function pendingOf(seen: readonly Obj[], prior: SyncState['pending']): SyncState['pending'] {
	let from = prior?.from;
	let dueAt = prior?.dueAt;
	for (const t of seen) {
		if (t.status !== 'pending' || typeof t.created !== 'number') continue;
		from = from === undefined ? t.created : Math.min(from, t.created);
		const due = typeof t.available_on === 'number' ? t.available_on : t.created;
		dueAt = dueAt === undefined ? due : Math.min(dueAt, due);
	}
	return from === undefined || dueAt === undefined ? undefined : { from, dueAt };
}

export interface RowBatch {
	table: string;
	op: 'upsert' | 'prune' | 'checkpoint';
	rows: number;
	sql: string;
	/** The SQL's parameters in order ($1, $2): JSON texts. */
	params: string[];
	/** Upserts: the rows themselves (for targets other than Postgres). */
	data?: Array<Record<string, unknown>>;
}

export interface SyncOptions {
	/** The real clock, unix seconds. */
	now: number;
	/** Most list pages per run (backfill and incremental together); the checkpoint resumes the rest. */
	maxPages?: number;
	/** Tables to sync (default: all). Child tables follow their parents. */
	tables?: readonly string[];
	/** Postgres schema for the SQL (default: none, the search path). */
	schema?: string;
	/** The name of the checkpoint row (several syncs into one database). */
	name?: string;
}

export interface SyncResult {
	batches: RowBatch[];
	state: SyncState;
	phase: 'backfill' | 'incremental';
	/** Nothing left to read now (backfill finished and events caught up). */
	caughtUp: boolean;
	pages: number;
	/** Set when the checkpoint was older than Stripe's 30 days of events: a new backfill started. */
	gap?: string;
}

/** Event object types (`data.object.object`) per root table. */
const EVENT_OBJECTS = new Map<string, TableDef>(TABLES.filter((t) => t.list).map((t) => [t.object, t]));
const DELETABLE = new Set(['customers', 'products', 'prices']);

function parseJson(text: string): unknown {
	try {
		return JSON.parse(text) as unknown;
	} catch {
		return undefined;
	}
}

/** A stored checkpoint (static data, or the JSON text a database returns), or undefined when there is none. */
export function readState(value: unknown): SyncState | undefined {
	let v = value;
	if (typeof v === 'string') {
		if (!v.trim()) return undefined;
		v = parseJson(v);
		if (v === undefined) throw new RangeError('The checkpoint is not valid JSON: pass the text Sync Tables stored, or nothing to start a new sync.');
	}
	if (typeof v !== 'object' || v === null) return undefined;
	const s = v as Partial<SyncState>;
	if (s.v !== 1 || typeof s.startedAt !== 'number' || typeof s.backfill !== 'object' || s.backfill === null) {
		throw new RangeError('The checkpoint is not one Sync Tables wrote (no v, startedAt and backfill): clear it to start a new sync.');
	}
	return {
		v: 1,
		startedAt: s.startedAt,
		backfill: s.backfill,
		events: readCursor(s.events),
		balance: readCursor(s.balance),
		counts: typeof s.counts === 'object' && s.counts !== null ? s.counts : {},
		...(s.pending && typeof s.pending.from === 'number' && typeof s.pending.dueAt === 'number' ? { pending: { from: s.pending.from, dueAt: s.pending.dueAt } } : {}),
	};
}

class Emitter {
	readonly batches: RowBatch[] = [];
	/** Balance transactions emitted while still pending (their status changes without an event). */
	readonly pendingBalance: Obj[] = [];
	constructor(
		private readonly options: SyncOptions,
		private readonly counts: Record<string, number>,
	) {}

	/** Rows of a root table's objects, and their children's rows (with a prune of the children each parent lost). */
	objects(def: TableDef, objects: Obj[]): void {
		if (objects.length === 0) return;
		if (def.name === 'balance_transactions') for (const o of objects) if (o.status === 'pending') this.pendingBalance.push(o);
		this.upsert(def.name, objects.map((o) => toRow(def, o)));
		for (const child of childrenOf(def.name)) {
			const parents = objects.filter((parent) => child.parent!.rows(parent) !== undefined);
			if (parents.length === 0) continue;
			const rows = parents.flatMap((parent) => child.parent!.rows(parent)!.map((o) => toRow(child, o, parent)));
			this.batches.push({ table: child.name, op: 'prune', rows: 0, sql: pruneSql(child.name, this.options.schema), params: [JSON.stringify(parents.map((o) => String(o.id))), JSON.stringify(rows.map((r) => String(r.id)))] });
			this.upsert(child.name, rows);
		}
	}

	private upsert(name: string, rows: Array<Record<string, unknown>>): void {
		for (let i = 0; i < rows.length; i += 100) {
			const chunk = rows.slice(i, i + 100);
			this.batches.push({ table: name, op: 'upsert', rows: chunk.length, sql: upsertSql(name, this.options.schema), params: [JSON.stringify(chunk)], data: chunk });
			this.counts[name] = (this.counts[name] ?? 0) + chunk.length;
		}
	}
}

/**
 * The time slices of a table whose first page (the newest 100, created down to `c`) has more after it:
 * the oldest object is found by probing back in doubling steps (a request each, about 10 for a year),
 * then [oldest, c] is cut into {@link SLICES} equal ranges. Objects created in second `c` that were on the
 * first page are listed again by the newest slice (an upsert on id makes that harmless).
 */
async function planSlices(first: Obj[], list: (created: Record<string, number>) => Promise<StripeList<Obj & { id: string }>>): Promise<BackfillSlice[]> {
	const newest = Number(first[0].created);
	const c = Number(first[first.length - 1].created);
	const step = Math.max(60, newest - c);
	let lower = 0;
	for (let k = 0; k < 40; k++) {
		const probe = c - step * 2 ** k;
		if (probe <= 0) break;
		lower = probe;
		if ((await list({ lt: probe })).data.length === 0) break;
	}
	const width = Math.max(1, Math.ceil((c - lower + 1) / SLICES));
	const slices: BackfillSlice[] = [];
	for (let from = lower; from <= c; from += width) slices.push({ gte: from, lte: Math.min(c, from + width - 1), done: false });
	// Anything older than the last probe (it found nothing there, but the list may lag) belongs to the oldest slice.
	slices[0].gte = 0;
	return slices;
}

/**
 * Lists that Stripe truncates inside an object (invoice lines, subscription items) are read whole; an
 * invoice without its payments (an event's snapshot: they are an expansion) gets them listed.
 */
async function complete(client: StripeClient, def: TableDef, objects: Obj[]): Promise<Obj[]> {
	if (def.name === 'checkout_sessions') return await withLineItems(client, objects);
	const nested = def.name === 'invoices' ? 'lines' : def.name === 'subscriptions' ? 'items' : undefined;
	if (!nested) return objects;
	// Invoices from events lack their payments (an expansion): list them, 8 invoices at a time.
	const withPayments = new Map<string, Obj[]>();
	if (def.name === 'invoices') {
		const lacking = objects.filter((o) => !(typeof o.payments === 'object' && o.payments !== null && Array.isArray((o.payments as Obj).data)));
		for (let i = 0; i < lacking.length; i += 8) {
			await Promise.all(
				lacking.slice(i, i + 8).map(async (o) => {
					withPayments.set(String(o.id), await client.listAll<Obj & { id: string }>('/v1/invoice_payments', { invoice: String(o.id) }));
				}),
			);
		}
	}
	const out: Obj[] = [];
	for (const raw of objects) {
		const payments = withPayments.get(String(raw.id));
		const o = payments ? { ...raw, payments: { object: 'list', data: payments, has_more: false } } : raw;
		const list = o[nested] as { has_more?: boolean; data?: Obj[] } | undefined;
		if (!list?.has_more) {
			out.push(o);
			continue;
		}
		const path = def.name === 'invoices' ? encodePath`/v1/invoices/${String(o.id)}/lines` : '/v1/subscription_items';
		const data = await client.listAll<Obj & { id: string }>(path, def.name === 'invoices' ? {} : { subscription: String(o.id) });
		out.push({ ...o, [nested]: { ...list, has_more: false, data } });
	}
	return out;
}

/** Checkout Sessions from events lack their line items (an expansion): list them, 8 sessions at a time. */
async function withLineItems(client: StripeClient, sessions: Obj[]): Promise<Obj[]> {
	const out = [...sessions];
	const lacking = out.map((o, i) => ({ o, i })).filter(({ o }) => !(typeof o.line_items === 'object' && o.line_items !== null));
	for (let k = 0; k < lacking.length; k += 8) {
		await Promise.all(
			lacking.slice(k, k + 8).map(async ({ o, i }) => {
				const data = await client.listAll<Obj & { id: string }>(encodePath`/v1/checkout/sessions/${String(o.id)}/line_items`);
				out[i] = { ...o, line_items: { object: 'list', data, has_more: false } };
			}),
		);
	}
	return out;
}

function selected(options: SyncOptions): TableDef[] {
	const wanted = options.tables?.length ? new Set(options.tables.map((name) => table(name).parent?.table ?? name)) : undefined;
	return TABLES.filter((t) => t.list && (!wanted || wanted.has(t.name)));
}

/**
 * The backfill's start on Stripe's clock: the newest event's `created` (every object's creation is an
 * event, so nothing older is unlisted), not this host's clock, which may run ahead of (or behind) Stripe's and
 * skip the events in between (the poll cursor's rule). With no events, the local `now`.
 */
async function stripeNow(client: StripeClient, now: number): Promise<number> {
	const page = await client.get<StripeList<{ id: string; created: number }>>('/v1/events', { limit: 1 });
	const newest = page.data[0]?.created;
	return typeof newest === 'number' ? newest : now;
}

/**
 * A checkpoint older than Stripe's 30 days of events cannot be continued: the run says so (`gap`) and
 * a new backfill starts (rows of objects deleted in between keep their last state).
 *
 * One run: backfill pages, then events and balance transactions, up to `maxPages` list requests;
 * returns the row batches and the checkpoint that covers exactly them.
 */
export async function syncTables(client: StripeClient, stored: unknown, options: SyncOptions): Promise<SyncResult> {
	const maxPages = options.maxPages ?? 200;
	if (!Number.isInteger(maxPages) || maxPages < 1) throw new RangeError(`Max Pages per Run must be a whole number of at least 1, got ${maxPages}.`);
	const roots = selected(options);
	const prior = readState(stored);
	const state: SyncState = prior ?? { v: 1, startedAt: await stripeNow(client, options.now), backfill: {}, counts: {} };
	const counts = { ...state.counts };
	const emit = new Emitter(options, counts);
	let pages = 0;
	const backfill = { ...state.backfill };

	// Tables are read side by side (each one page after another, its checkpoint its last emitted id); a table with
	// more than a page is then split into time slices, also read side by side. The client's rate limiter keeps the
	// requests within Stripe's limits; the page budget is shared.
	const listPage = async (def: TableDef, created: Record<string, number>, after?: string) => {
		pages++;
		return await client.get<StripeList<Obj & { id: string }>>(def.list!.path, { ...def.list!.params, limit: 100, created, ...(after ? { starting_after: after } : {}) });
	};
	const readSlice = async (def: TableDef, slice: BackfillSlice) => {
		while (!slice.done && pages < maxPages) {
			const page = await listPage(def, { gte: slice.gte, lte: slice.lte }, slice.after);
			emit.objects(def, await complete(client, def, page.data));
			if (page.data.length) slice.after = page.data[page.data.length - 1].id;
			if (!page.has_more || page.data.length === 0) slice.done = true;
		}
	};
	await Promise.all(
		roots.map(async (def) => {
			const progress: BackfillProgress = { ...(backfill[def.name] ?? { done: false }), ...(backfill[def.name]?.slices ? { slices: backfill[def.name].slices!.map((x) => ({ ...x })) } : {}) };
			backfill[def.name] = progress;
			if (!progress.done && !progress.slices && !progress.after && pages < maxPages) {
				const first = await listPage(def, { lt: state.startedAt });
				emit.objects(def, await complete(client, def, first.data));
				if (!first.has_more || first.data.length === 0) progress.done = true;
				else if (pages < maxPages) progress.slices = await planSlices(first.data, (created) => listPage(def, created));
				else progress.after = first.data[first.data.length - 1].id;
			}
			if (progress.slices) {
				await Promise.all(progress.slices.map((slice) => readSlice(def, slice)));
				progress.done = progress.slices.every((x) => x.done);
				return;
			}
			// A table started before slices existed, or whose first page used the last of the budget: page on.
			while (!progress.done && pages < maxPages) {
				const page = await listPage(def, { lt: state.startedAt }, progress.after);
				emit.objects(def, await complete(client, def, page.data));
				if (page.data.length) progress.after = page.data[page.data.length - 1].id;
				if (!page.has_more || page.data.length === 0) progress.done = true;
			}
		}),
	);
	const backfilled = roots.every((def) => backfill[def.name]?.done);
	let caughtUp = false;
	let events = state.events;
	let balance = state.balance;
	let pending = state.pending;
	if (backfilled && pages >= maxPages) caughtUp = false;
	else if (backfilled) {
		// Events since the backfill's start, oldest first; one snapshot per object (its newest) per run.
		const types = new Set(roots.map((t) => t.object));
		const eventsResult = await pollEvents<Obj & { id: string; created: number; type: string; data: { object: Obj } }>({
			listEvents: async (p) => {
				pages++;
				return client.get('/v1/events', { limit: p.limit, created: { gte: p.createdGte, ...(p.createdLte !== undefined ? { lte: p.createdLte } : {}) }, ...(p.startingAfter ? { starting_after: p.startingAfter } : {}) });
			},
			now: options.now,
			cursor: events ?? { v: 1, created: state.startedAt, seen: [] },
			maxEventsPerPoll: Math.max(100, (maxPages - pages) * 100),
		});
		const latest = new Map<string, { def: TableDef; object: Obj }>();
		for (const event of eventsResult.events) {
			const object = event.data?.object;
			const def = object && typeof object.object === 'string' ? EVENT_OBJECTS.get(object.object) : undefined;
			if (!def || !types.has(def.object) || def.name === 'balance_transactions') continue;
			const snapshot = /\.deleted$/.test(event.type) && DELETABLE.has(def.name) ? { ...object, deleted: true } : object;
			latest.delete(`${def.name}:${String(object.id)}`);
			latest.set(`${def.name}:${String(object.id)}`, { def, object: snapshot });
		}
		const byTable = new Map<TableDef, Obj[]>();
		for (const { def, object } of latest.values()) byTable.set(def, [...(byTable.get(def) ?? []), object]);
		for (const [def, objects] of byTable) emit.objects(def, await complete(client, def, objects));
		events = eventsResult.cursor;
		if (eventsResult.gap) {
			// Events older than Stripe keeps (30 days) were never read: what changed then is unknown, so start over
			// with a new backfill (upserts on id repair every row; the new one starts at now).
			return {
				batches: emit.batches,
				state: { v: 1, startedAt: await stripeNow(client, options.now), backfill: {}, counts },
				phase: 'backfill',
				caughtUp: false,
				pages,
				gap: eventsResult.gap.message,
			};
		}

		let balanceCaughtUp = true;
		const bt = roots.find((t) => t.name === 'balance_transactions');
		if (bt && pages >= maxPages) balanceCaughtUp = false;
		else if (bt) {
			const balanceResult = await pollEvents<Obj & { id: string; created: number }>({
				listEvents: async (p) => {
					pages++;
					return client.get('/v1/balance_transactions', { limit: p.limit, created: { gte: p.createdGte, ...(p.createdLte !== undefined ? { lte: p.createdLte } : {}) }, ...(p.startingAfter ? { starting_after: p.startingAfter } : {}) });
				},
				now: options.now,
				cursor: balance ?? { v: 1, created: state.startedAt, seen: [] },
				retentionSeconds: Infinity,
				maxEventsPerPoll: Math.max(100, (maxPages - pages) * 100),
			});
			emit.objects(bt, balanceResult.events);
			balance = balanceResult.cursor;
			balanceCaughtUp = balanceResult.caughtUp;
			let seen: Obj[] = balanceResult.events;
			// A pending transaction turns available without an event: once the earliest becomes due, list from the
			// oldest pending one again (upserts on id), and keep track of what is still pending.
			if (pending && options.now >= pending.dueAt && pages >= maxPages) balanceCaughtUp = false;
			else if (pending && options.now >= pending.dueAt) {
				const again: Obj[] = [];
				let after: string | undefined;
				for (;;) {
					const page = await client.get<StripeList<Obj & { id: string }>>('/v1/balance_transactions', { limit: 100, created: { gte: pending.from, lt: balance.created + 1 }, ...(after ? { starting_after: after } : {}) });
					pages++;
					again.push(...page.data);
					if (!page.has_more || page.data.length === 0) break;
					after = page.data[page.data.length - 1].id;
				}
				emit.objects(bt, again);
				seen = [...again, ...seen];
				pending = undefined;
			}
			pending = pendingOf([...seen], pending);
		}
		caughtUp = eventsResult.caughtUp && balanceCaughtUp;
	}
	if (!backfilled) pending = pendingOf(emit.pendingBalance, pending);
	const next: SyncState = { v: 1, startedAt: state.startedAt, backfill, counts, ...(events ? { events } : {}), ...(balance ? { balance } : {}), ...(pending ? { pending } : {}) };
	return { batches: emit.batches, state: next, phase: backfilled ? 'incremental' : 'backfill', caughtUp, pages };
}

/** The statement that stores the checkpoint with the rows (same transaction): `$1` the checkpoint JSON. */
export function checkpointSql(name: string, schema?: string): string {
	const target = `${schema ? `"${schema.replace(/"/g, '""')}".` : ''}"${CHECKPOINT_TABLE}"`;
	return `INSERT INTO ${target} ("name", "state", "updated_at") VALUES ('${name.replace(/'/g, "''")}', $1::jsonb, now()) ON CONFLICT ("name") DO UPDATE SET "state" = EXCLUDED."state", "updated_at" = now()`;
}

/** The checkpoint table's DDL. */
export function checkpointDdl(schema?: string): string {
	const target = `${schema ? `"${schema.replace(/"/g, '""')}".` : ''}"${CHECKPOINT_TABLE}"`;
	return `CREATE TABLE IF NOT EXISTS ${target} (\n  "name" text PRIMARY KEY,\n  "state" jsonb NOT NULL,\n  "updated_at" timestamptz NOT NULL DEFAULT now()\n);\n`;
}

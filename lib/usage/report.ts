/**
 * Report Usage (issue 9): from input items to Stripe meter events and one result per item.
 *
 * 1. The account's active meters are read once (event name → payload keys and formula), so an
 *    unknown event name is refused before sending instead of being reported by Stripe later.
 * 2. Customers given by email or a metadata key are looked up once each (a cache per call).
 * 3. Each item is validated ({@link validateUsage}); a bad item is `rejected` with its reason.
 * 4. Identifiers ({@link eventIdentifier}); an identifier already seen in this input is a
 *    `duplicate` (not sent); with aggregation, groups per customer × meter × window.
 * 5. Sent on the v2 stream or v1 ({@link sendStream}, {@link sendV1}).
 */
import type { StripeClient } from '../stripe/client';
import { settle } from '../stripe/errors';
import { aggregate, eventIdentifier, validateUsage, type Aggregation, type AggregationWindow, type Keyed, type UsageEvent, type UsageInput } from './events';
import { openStreamSession, sendStream, sendV1, type MeterKeys, type SendStats, type SendStatus } from './send';

export type CustomerRef = { by: 'id'; value: unknown } | { by: 'email'; value: unknown } | { by: 'metadata'; key: string; value: unknown };

export interface ReportItem extends Omit<UsageInput, 'customer'> {
	customer: CustomerRef;
}

export interface ActiveMeter extends MeterKeys {
	id: string;
	eventName: string;
	formula: 'sum' | 'count' | 'last';
	displayName: string;
}

export type ItemStatus = 'accepted' | 'duplicate' | 'rejected' | 'failed';

export interface ItemResult {
	status: ItemStatus;
	reason?: string;
	identifier?: string;
	eventName?: string;
	customer?: string;
	value?: number;
	/** ISO 8601. */
	timestamp?: string;
	/** With aggregation: the identifier of the event this item was folded into. */
	aggregatedInto?: string;
}

export interface UsageSummary {
	items: number;
	accepted: number;
	duplicate: number;
	rejected: number;
	failed: number;
	/** Events sent to Stripe (fewer than accepted items when aggregated). */
	eventsSent: number;
	/** Accepted value per event name (what Stripe's meters add up). */
	totals: Record<string, number>;
	requests: number;
	sessions: number;
	resent: number;
	transport: 'v2Stream' | 'v1';
	aggregation: Aggregation;
	durationMs: number;
	/** The first few rejection reasons, with how many items had each. */
	rejections: Array<{ reason: string; count: number }>;
}

export interface ReportOptions {
	now: number;
	nowMs: () => number;
	sleep: (ms: number) => Promise<void>;
	transport?: 'v2Stream' | 'v1';
	aggregation?: Aggregation;
	window?: AggregationWindow;
	allowNegative?: boolean;
	concurrency?: number;
	streamBaseUrl?: string;
	eventsPerSecond?: number;
	/** Check event names against the account's active meters (default true). */
	checkMeters?: boolean;
}

/** The account's active meters by event name. */
export async function loadActiveMeters(client: StripeClient): Promise<Map<string, ActiveMeter>> {
	const meters = new Map<string, ActiveMeter>();
	for await (const m of client.list<{ id: string; event_name: string; display_name: string; status: string; default_aggregation: { formula: ActiveMeter['formula'] }; customer_mapping?: { event_payload_key?: string }; value_settings?: { event_payload_key?: string } }>(
		'/v1/billing/meters',
		{ status: 'active', limit: 100 },
	)) {
		if (m.status !== 'active') continue;
		meters.set(m.event_name, {
			id: m.id,
			eventName: m.event_name,
			displayName: m.display_name,
			formula: m.default_aggregation.formula,
			customerKey: m.customer_mapping?.event_payload_key ?? 'stripe_customer_id',
			valueKey: m.value_settings?.event_payload_key ?? 'value',
		});
	}
	return meters;
}

/** Looks customers up by email or metadata, once each; `undefined` with a reason when not exactly one matches. */
export class CustomerResolver {
	private cache = new Map<string, Promise<{ id?: string; reason?: string }>>();
	lookups = 0;
	constructor(private readonly client: StripeClient) {}

	resolve(ref: CustomerRef): Promise<{ id?: string; reason?: string }> {
		if (ref.by === 'id') return Promise.resolve({ id: typeof ref.value === 'string' ? ref.value.trim() : undefined, reason: typeof ref.value === 'string' ? undefined : 'No customer id on the item.' });
		const value = typeof ref.value === 'string' ? ref.value.trim() : typeof ref.value === 'number' ? String(ref.value) : '';
		if (!value) return Promise.resolve({ reason: `No customer ${ref.by === 'email' ? 'email' : `metadata "${ref.key}"`} on the item.` });
		const key = ref.by === 'email' ? `email\u0000${value.toLowerCase()}` : `meta\u0000${ref.key}\u0000${value}`;
		let found = this.cache.get(key);
		if (!found) {
			this.lookups++;
			found = this.lookup(ref, value);
			this.cache.set(key, found);
		}
		return found;
	}

	private async lookup(ref: CustomerRef, value: string): Promise<{ id?: string; reason?: string }> {
		let ids: string[];
		if (ref.by === 'email') {
			const page = await this.client.get<{ data: Array<{ id: string }> }>('/v1/customers', { email: value, limit: 2 });
			ids = page.data.map((c) => c.id);
		} else {
			const key = (ref as { key: string }).key;
			if (!/^[\w.-]+$/.test(key)) return { reason: `The metadata key "${key}" has characters Stripe search cannot take; use letters, digits, _ . -.` };
			const page = await this.client.get<{ data: Array<{ id: string }> }>('/v1/customers/search', { query: `metadata['${key}']:'${value.replace(/'/g, "\\'")}'`, limit: 2 });
			ids = page.data.map((c) => c.id);
		}
		const what = ref.by === 'email' ? `email ${value}` : `metadata ${(ref as { key: string }).key}=${value}`;
		if (ids.length === 0) return { reason: `No Stripe customer has ${what}.` };
		if (ids.length > 1) return { reason: `More than one Stripe customer has ${what}; map the customer id instead.` };
		return { id: ids[0] };
	}
}

/** Validates, deduplicates, aggregates and sends; one result per item and the summary. */
export async function reportUsage(client: StripeClient, items: readonly ReportItem[], options: ReportOptions): Promise<{ results: ItemResult[]; summary: UsageSummary }> {
	const started = options.nowMs();
	const transport = options.transport ?? 'v2Stream';
	const how = options.aggregation ?? 'none';
	const results: ItemResult[] = new Array(items.length);
	// The stream's session token is asked for while the meters are read (it does not depend on them).
	const session = transport === 'v2Stream' ? settle(openStreamSession(client)) : undefined;
	const meters = options.checkMeters === false ? undefined : await loadActiveMeters(client);
	const known = meters ? new Set(meters.keys()) : undefined;
	const resolver = new CustomerResolver(client);

	// Customers: ids are used as they are; distinct email/metadata lookups run in parallel (bounded by the rate limiter).
	const customers: Array<{ ok: true; value: { id?: string; reason?: string } } | { ok: false; error: unknown }> = new Array(items.length);
	const lookups: Array<Promise<void>> = [];
	items.forEach((item, i) => {
		if (item.customer.by === 'id') {
			const v = item.customer.value;
			customers[i] = { ok: true, value: typeof v === 'string' ? { id: v.trim() } : { reason: 'No customer id on the item.' } };
		} else {
			lookups.push(
				settle(resolver.resolve(item.customer)).then((r) => {
					customers[i] = r;
				}),
			);
		}
	});
	if (lookups.length) await Promise.all(lookups);
	const valid: Keyed[] = [];
	const seen = new Map<string, number>();
	items.forEach((item, i) => {
		const c = customers[i];
		if (!c.ok) {
			results[i] = { status: 'failed', reason: `Customer lookup failed: ${c.error instanceof Error ? c.error.message : String(c.error)}` };
			return;
		}
		if (!c.value.id) {
			results[i] = { status: 'rejected', reason: c.value.reason };
			return;
		}
		const v = validateUsage({ ...item, customer: c.value.id }, { now: options.now, allowNegative: options.allowNegative, knownEventNames: known });
		if (!v.ok) {
			results[i] = { status: 'rejected', reason: v.reason };
			return;
		}
		const meter = meters?.get(v.event.eventName);
		const event = meter?.formula === 'count' ? { ...v.event, value: 1 } : v.event;
		const identifier = eventIdentifier(event);
		const base = { identifier, eventName: event.eventName, customer: event.customer, value: event.value, timestamp: new Date(event.timestamp * 1000).toISOString() };
		const first = seen.get(identifier);
		if (first !== undefined) {
			results[i] = { status: 'duplicate', reason: `Same identifier as item ${first} in this input: sent once.`, ...base };
			return;
		}
		seen.set(identifier, i);
		results[i] = { status: 'accepted', ...base };
		valid.push({ item: i, event });
	});

	// Written out field by field: a spread per event gives each of 100,000 objects its own hidden class.
	const events: UsageEvent[] =
		how === 'none'
			? valid.map((k) => ({ eventName: k.event.eventName, customer: k.event.customer, value: k.event.value, timestamp: k.event.timestamp, identifier: results[k.item].identifier as string, items: [k.item] }))
			: aggregate(valid, how, options.window ?? 'hour');
	const stats: SendStats = { requests: 0, sessions: 0, resent: 0 };
	const senderOptions = {
		keys: (name: string) => meters?.get(name) ?? { customerKey: 'stripe_customer_id', valueKey: 'value' },
		concurrency: options.concurrency,
		nowMs: options.nowMs,
		sleep: options.sleep,
		streamBaseUrl: options.streamBaseUrl,
		eventsPerSecond: options.eventsPerSecond,
		session: session ? session.then((r) => (r.ok ? r.value : undefined)) : undefined,
	};
	const outcomes = events.length === 0 ? [] : transport === 'v1' ? await sendV1(client, events, senderOptions, stats) : await sendStream(client, events, senderOptions, stats);
	const totals: Record<string, number> = {};
	events.forEach((event, k) => {
		const outcome = outcomes[k];
		const status: SendStatus = outcome.status;
		if (status === 'accepted') totals[event.eventName] = (totals[event.eventName] ?? 0) + event.value;
		for (const i of event.items) {
			const r = results[i];
			r.status = status;
			if (outcome.reason) r.reason = outcome.reason;
			if (how !== 'none') r.aggregatedInto = event.identifier;
		}
	});
	const count = (s: ItemStatus) => results.filter((r) => r.status === s).length;
	const reasons = new Map<string, number>();
	for (const r of results) if (r.status === 'rejected' && r.reason) reasons.set(r.reason, (reasons.get(r.reason) ?? 0) + 1);
	const summary: UsageSummary = {
		items: items.length,
		accepted: count('accepted'),
		duplicate: count('duplicate'),
		rejected: count('rejected'),
		failed: count('failed'),
		eventsSent: outcomes.filter((o) => o.status === 'accepted' || o.status === 'duplicate').length,
		totals,
		requests: stats.requests + resolver.lookups + (meters ? 1 : 0),
		sessions: stats.sessions,
		resent: stats.resent,
		transport,
		aggregation: how,
		durationMs: Math.round(options.nowMs() - started),
		rejections: [...reasons.entries()]
			.sort((a, b) => b[1] - a[1])
			.slice(0, 10)
			.map(([reason, n]) => ({ reason, count: n })),
	};
	return { results, summary };
}

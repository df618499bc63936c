import { ApiError, invalidParam, invalidState, missingParam } from '../core/errors';
import type { FormObject } from '../core/form';
import { paginate, type Seq } from '../core/list';
import { Params } from '../core/params';
import type { Router } from '../core/router';
import type { Meter, World } from '../world';

/** Stripe's accepted timestamp window for meter events: up to 35 days in the past, 5 minutes in the future. */
export const METER_EVENT_MAX_PAST = 35 * 86400;
export const METER_EVENT_MAX_FUTURE = 5 * 60;
/** v2 stream requests carry at most 100 events. */
export const STREAM_MAX_EVENTS = 100;
/** Meter event session tokens last 15 minutes (test-clock time). */
export const SESSION_TTL = 15 * 60;

interface Series {
	ts: number[];
	value: number[];
	live: boolean[];
}

export interface MeterError {
	at: number;
	code: string;
	message: string;
	eventName: string;
}

interface Recorded {
	meter: string;
	customer: string;
	index: number;
	/** When Stripe received the event (test-clock time): cancels are accepted for 24 hours. */
	receivedAt: number;
}

/** Stripe: event_name and identifier are at most 100 characters. */
export const METER_EVENT_MAX_NAME = 100;
/** Meter event adjustments (cancel) are accepted for events received in the last 24 hours. */
export const CANCEL_WINDOW = 24 * 3600;

/** Usage store: per meter and customer, the events' timestamps and values (compact arrays). */
export class MeterUsage {
	private series = new Map<string, Map<string, Series>>();
	private identifiers = new Map<string, Recorded>();
	readonly sessions = new Map<string, { id: string; expiresAt: number }>();
	/** Events that failed asynchronous validation (unknown meter), as Stripe reports them later. */
	errors: MeterError[] = [];
	/** Called for each asynchronous validation error (the sandbox turns these into thin events). */
	onError: ((e: MeterError) => void) | null = null;

	reportError(e: MeterError): void {
		this.errors.push(e);
		this.onError?.(e);
	}

	has(identifier: string): boolean {
		return this.identifiers.has(identifier);
	}

	record(meter: string, customer: string, ts: number, value: number, identifier: string, receivedAt = 0): void {
		let byCustomer = this.series.get(meter);
		if (!byCustomer) this.series.set(meter, (byCustomer = new Map()));
		let s = byCustomer.get(customer);
		if (!s) byCustomer.set(customer, (s = { ts: [], value: [], live: [] }));
		s.ts.push(ts);
		s.value.push(value);
		s.live.push(true);
		this.identifiers.set(identifier, { meter, customer, index: s.ts.length - 1, receivedAt });
	}

	/** When the event with this identifier was received, if it exists. */
	receivedAt(identifier: string): number | undefined {
		return this.identifiers.get(identifier)?.receivedAt;
	}

	cancel(identifier: string): boolean {
		const r = this.identifiers.get(identifier);
		if (!r) return false;
		const s = this.series.get(r.meter)?.get(r.customer);
		if (!s || !s.live[r.index]) return false;
		s.live[r.index] = false;
		return true;
	}

	aggregate(meter: Meter, customer: string, start: number, end: number): number {
		const s = this.series.get(meter.id)?.get(customer);
		if (!s) return 0;
		let sum = 0;
		let count = 0;
		let lastTs = -Infinity;
		let last = 0;
		for (let i = 0; i < s.ts.length; i++) {
			const t = s.ts[i];
			if (!s.live[i] || t < start || t >= end) continue;
			sum += s.value[i];
			count++;
			if (t >= lastTs) {
				lastTs = t;
				last = s.value[i];
			}
		}
		switch (meter.default_aggregation.formula) {
			case 'count':
				return count;
			case 'last':
				return last;
			default:
				return sum;
		}
	}
}

export function usageFor(w: World, meterId: string, customer: string, start: number, end: number): number {
	const meter = w.meters.get(meterId);
	return meter ? meterUsage(w).aggregate(meter, customer, start, end) : 0;
}

const usages = new WeakMap<World, MeterUsage>();
export function meterUsage(w: World): MeterUsage {
	let u = usages.get(w);
	if (!u) usages.set(w, (u = new MeterUsage()));
	return u;
}

function activeMeterFor(w: World, eventName: string): Meter | undefined {
	for (const m of w.meters.values()) if (m.event_name === eventName && m.status === 'active') return m;
	return undefined;
}

interface MeterEventInput {
	event_name: string;
	payload: Record<string, string>;
	identifier: string;
	timestamp: number;
}

function checkWindow(w: World, ts: number, param: string): void {
	const now = w.now();
	if (ts < now - METER_EVENT_MAX_PAST) throw invalidParam(param, `Timestamp must be within the past 35 days (got ${ts}, now is ${now}).`, 'timestamp_too_far_in_past');
	if (ts > now + METER_EVENT_MAX_FUTURE) throw invalidParam(param, `Timestamp must not be more than 5 minutes in the future (got ${ts}, now is ${now}).`, 'timestamp_in_future');
}

/** Validates and records one meter event; throws a Stripe-shaped error when the event is refused. */
function ingest(w: World, e: MeterEventInput, param: string): Meter | null {
	const usage = meterUsage(w);
	if (e.event_name.length > METER_EVENT_MAX_NAME) throw invalidParam(`${param}event_name`, `event_name must be at most ${METER_EVENT_MAX_NAME} characters (got ${e.event_name.length}).`);
	if (e.identifier.length > METER_EVENT_MAX_NAME) throw invalidParam(`${param}identifier`, `identifier must be at most ${METER_EVENT_MAX_NAME} characters (got ${e.identifier.length}).`);
	checkWindow(w, e.timestamp, `${param}timestamp`);
	if (usage.has(e.identifier)) {
		throw invalidParam(`${param}identifier`, `An event with identifier '${e.identifier}' already exists; identifiers must be unique for at least 24 hours.`, 'duplicate_meter_event');
	}
	const meter = activeMeterFor(w, e.event_name);
	if (!meter) {
		// Stripe accepts the event and reports "no meter found" asynchronously.
		usage.reportError({ at: w.now(), code: 'no_meter', message: `No active meter found for event_name '${e.event_name}'.`, eventName: e.event_name });
		return null;
	}
	const customer = e.payload[meter.customer_mapping.event_payload_key];
	if (!customer) throw invalidParam(`${param}payload[${meter.customer_mapping.event_payload_key}]`, `The payload needs '${meter.customer_mapping.event_payload_key}' (the customer id) for meter ${meter.id}.`);
	const key = meter.value_settings.event_payload_key;
	const raw = e.payload[key];
	let value = 1;
	if (meter.default_aggregation.formula !== 'count') {
		if (raw === undefined) throw invalidParam(`${param}payload[${key}]`, `The payload needs '${key}' (a number) for meter ${meter.id}.`);
		value = Number(raw);
		if (!Number.isFinite(value)) throw invalidParam(`${param}payload[${key}]`, `Meter event value must be a number, got '${raw}'.`);
	}
	usage.record(meter.id, customer, e.timestamp, value, e.identifier, w.now());
	return meter;
}

function isoToUnix(s: string, param: string): number {
	const t = Date.parse(s);
	if (Number.isNaN(t)) throw invalidParam(param, `Invalid timestamp '${s}': use an ISO 8601 date-time such as 2026-01-01T00:00:00.000Z.`);
	return Math.floor(t / 1000);
}

function iso(t: number): string {
	return new Date(t * 1000).toISOString();
}

function stringPayload(v: unknown, param: string): Record<string, string> {
	if (!v || typeof v !== 'object' || Array.isArray(v)) throw invalidParam(param, 'payload must be an object of string values.');
	const out: Record<string, string> = {};
	for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
		if (typeof val !== 'string' && typeof val !== 'number') throw invalidParam(`${param}[${k}]`, 'payload values must be strings.');
		out[k] = String(val);
	}
	return out;
}

export function registerMeters(r: Router, w: World): void {
	const usage = meterUsage(w);

	r.post('/v1/billing/meters', ({ params }) => {
		params.allow(['display_name', 'event_name', 'default_aggregation', 'customer_mapping', 'value_settings', 'event_time_window']);
		const eventName = params.str('event_name', true);
		const agg = params.obj('default_aggregation');
		if (!agg) throw missingParam('default_aggregation');
		const formula = agg.oneOf('formula', ['sum', 'count', 'last'] as const);
		if (!formula) throw missingParam('default_aggregation[formula]');
		if (activeMeterFor(w, eventName)) throw invalidParam('event_name', `An active meter already uses event_name '${eventName}'.`);
		const cm = params.obj('customer_mapping');
		const vs = params.obj('value_settings');
		const m: Meter = {
			id: w.id('mtr_test', 32),
			object: 'billing.meter',
			created: w.now(),
			customer_mapping: { event_payload_key: cm?.str('event_payload_key') ?? 'stripe_customer_id', type: 'by_id' },
			default_aggregation: { formula },
			display_name: params.str('display_name', true),
			event_name: eventName,
			event_time_window: params.oneOf('event_time_window', ['day', 'hour'] as const) ?? null,
			livemode: false,
			status: 'active',
			status_transitions: { deactivated_at: null },
			updated: w.now(),
			value_settings: { event_payload_key: vs?.str('event_payload_key') ?? 'value' },
		};
		w.meters.add(m);
		return m;
	});
	r.get('/v1/billing/meters/:id', ({ pathParams }) => w.meters.require(pathParams.id));
	r.post('/v1/billing/meters/:id', ({ pathParams, params }) => {
		const m = w.meters.require(pathParams.id);
		params.allow(['display_name']);
		const dn = params.str('display_name');
		if (dn) m.display_name = dn;
		m.updated = w.now();
		return m;
	});
	for (const action of ['deactivate', 'reactivate'] as const) {
		r.post(`/v1/billing/meters/:id/${action}`, ({ pathParams }) => {
			const m = w.meters.require(pathParams.id);
			if (action === 'reactivate' && activeMeterFor(w, m.event_name) && m.status !== 'active') throw invalidState(`Another active meter uses event_name '${m.event_name}'.`);
			m.status = action === 'deactivate' ? 'inactive' : 'active';
			m.status_transitions = { deactivated_at: action === 'deactivate' ? w.now() : null };
			m.updated = w.now();
			return m;
		});
	}
	r.get('/v1/billing/meters', ({ params }) => {
		const status = params.str('status');
		return w.meters.list(params, '/v1/billing/meters', (m) => status === undefined || m.status === status);
	});
	r.get('/v1/billing/meters/:id/event_summaries', ({ pathParams, params }) => {
		const m = w.meters.require(pathParams.id);
		const customer = params.str('customer', true);
		const start = params.int('start_time', true);
		const end = params.int('end_time', true);
		if (end <= start) throw invalidParam('end_time', 'end_time must be after start_time.');
		const window = params.oneOf('value_grouping_window', ['hour', 'day'] as const);
		const step = window === 'hour' ? 3600 : window === 'day' ? 86400 : end - start;
		if (window && (start % step !== 0 || end % step !== 0)) {
			throw invalidParam('start_time', `start_time and end_time must align with the value_grouping_window (${window}: multiples of ${step} seconds).`);
		}
		if ((end - start) / step > 10000) throw invalidParam('end_time', 'That range holds more than 10,000 windows; narrow it or use a larger value_grouping_window.');
		const windows: { id: string; object: 'billing.meter_event_summary'; aggregated_value: number; end_time: number; livemode: boolean; meter: string; start_time: number }[] = [];
		for (let t = start; t < end; t += step) {
			windows.push({ id: `mtrusg_${m.id.slice(-12)}${t.toString(36)}`, object: 'billing.meter_event_summary', aggregated_value: usage.aggregate(m, customer, t, Math.min(t + step, end)), end_time: Math.min(t + step, end), livemode: false, meter: m.id, start_time: t });
		}
		const index = new Map(windows.map((x, i) => [x.id, i]));
		const seq: Seq<(typeof windows)[number]> = { size: () => windows.length, indexOf: (id) => index.get(id) ?? -1, at: (i) => windows[i] };
		return paginate(seq, params, `/v1/billing/meters/${m.id}/event_summaries`, () => true, 'meter event summary');
	});

	// v1 meter events
	r.post(
		'/v1/billing/meter_events',
		({ params }) => {
			params.allow(['event_name', 'payload', 'identifier', 'timestamp']);
			const payloadP = params.obj('payload');
			if (!payloadP) throw missingParam('payload');
			const e: MeterEventInput = {
				event_name: params.str('event_name', true),
				payload: stringPayload(payloadP.raw, 'payload'),
				identifier: params.str('identifier') ?? w.id('mev', 24),
				timestamp: params.int('timestamp') ?? w.now(),
			};
			ingest(w, e, '');
			return { object: 'billing.meter_event', created: w.now(), event_name: e.event_name, identifier: e.identifier, livemode: false, payload: e.payload, timestamp: e.timestamp };
		},
		{ bucket: 'meter_events' },
	);
	const adjust = (p: Params) => {
		const eventName = p.str('event_name', true);
		const type = p.oneOf('type', ['cancel'] as const) ?? 'cancel';
		const cancel = p.obj('cancel');
		const identifier = cancel?.str('identifier');
		if (!identifier) throw missingParam('cancel[identifier]');
		const received = usage.receivedAt(identifier);
		if (received !== undefined && w.now() - received > CANCEL_WINDOW) {
			throw invalidParam('cancel[identifier]', `The meter event '${identifier}' was received more than 24 hours ago; only events received in the last 24 hours can be canceled.`);
		}
		if (!usage.cancel(identifier)) throw invalidParam('cancel[identifier]', `No meter event with identifier '${identifier}' to cancel (or it was already canceled).`, 'resource_missing');
		return { eventName, type, identifier };
	};
	r.post('/v1/billing/meter_event_adjustments', ({ params }) => {
		params.allow(['event_name', 'type', 'cancel']);
		const a = adjust(params);
		return { object: 'billing.meter_event_adjustment', cancel: { identifier: a.identifier }, event_name: a.eventName, livemode: false, status: 'complete', type: a.type };
	});

	// v2: sessions, streams, synchronous meter events, adjustments
	r.post('/v2/billing/meter_event_session', () => {
		const id = w.id('mes_test', 24);
		const token = `mes_token_${w.ids.token(48)}`;
		const created = w.now();
		usage.sessions.set(token, { id, expiresAt: created + SESSION_TTL });
		return { id, object: 'v2.billing.meter_event_session', authentication_token: token, created: iso(created), expires_at: iso(created + SESSION_TTL), livemode: false };
	});
	r.post(
		'/v2/billing/meter_event_stream',
		({ params }) => {
			const events = params.raw.events as unknown;
			if (!Array.isArray(events) || events.length === 0) throw invalidParam('events', 'events must be a non-empty array of meter events.');
			if (events.length > STREAM_MAX_EVENTS) throw invalidParam('events', `A stream request carries at most ${STREAM_MAX_EVENTS} events; got ${events.length}.`);
			const parsed: MeterEventInput[] = events.map((raw, i) => {
				const p = new Params((raw ?? {}) as FormObject, `events[${i}]`);
				const ts = p.str('timestamp');
				return {
					event_name: p.str('event_name', true),
					payload: stringPayload(p.raw.payload, `events[${i}].payload`),
					identifier: p.str('identifier') ?? w.id('mev', 24),
					timestamp: ts ? isoToUnix(ts, `events[${i}].timestamp`) : w.now(),
				};
			});
			// Stream events are validated asynchronously by Stripe: a bad event is dropped and reported, the request still succeeds.
			for (const [i, e] of parsed.entries()) {
				try {
					ingest(w, e, `events[${i}].`);
				} catch (err) {
					if (!(err instanceof ApiError)) throw err;
					usage.reportError({ at: w.now(), code: err.body.code ?? 'invalid', message: err.body.message, eventName: e.event_name });
				}
			}
			return {};
		},
		{ bucket: 'meter_stream', auth: 'session' },
	);
	r.post(
		'/v2/billing/meter_events',
		({ params }) => {
			const ts = params.str('timestamp');
			const e: MeterEventInput = {
				event_name: params.str('event_name', true),
				payload: stringPayload(params.raw.payload, 'payload'),
				identifier: params.str('identifier') ?? w.id('mev', 24),
				timestamp: ts ? isoToUnix(ts, 'timestamp') : w.now(),
			};
			ingest(w, e, '');
			return { object: 'v2.billing.meter_event', created: iso(w.now()), event_name: e.event_name, identifier: e.identifier, livemode: false, payload: e.payload, timestamp: iso(e.timestamp) };
		},
		{ bucket: 'meter_events' },
	);
	r.post('/v2/billing/meter_event_adjustments', ({ params }) => {
		const a = adjust(params);
		return { id: w.id('mea_test', 24), object: 'v2.billing.meter_event_adjustment', cancel: { identifier: a.identifier }, created: iso(w.now()), event_name: a.eventName, livemode: false, status: 'complete', type: a.type };
	});
}

/** Session-token check for the v2 stream; v2-shaped errors so stripe-node raises TemporarySessionExpiredError. */
export function sessionAuth(w: World, token: string): void {
	const s = meterUsage(w).sessions.get(token);
	if (!s) throw new ApiError(401, { type: 'invalid_request_error', code: 'invalid_api_key', message: 'Invalid meter event session token. Create one with POST /v2/billing/meter_event_session.' });
	if (s.expiresAt <= w.now()) {
		throw new ApiError(401, { type: 'temporary_session_expired', code: 'billing_meter_event_session_expired', message: 'The meter event session has expired (sessions last 15 minutes). Create a new one with POST /v2/billing/meter_event_session.' });
	}
}

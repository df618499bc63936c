/**
 * Sending meter events to Stripe (issue 9): the v2 meter event stream (default) or v1 meter
 * events, at Stripe's ceiling and no faster.
 *
 * v2 stream (https://docs.stripe.com/api/v2/billing-meter-stream, read 2026-12-01): a session
 * token from `POST /v2/billing/meter_event_session` (the API key) authorizes
 * `POST /v2/billing/meter_event_stream` on Stripe's meter-events host for 15 minutes; at most 100
 * events a request; up to 10,000 events per second. The token is renewed a minute before it
 * expires, and again when Stripe answers `temporary_session_expired` mid-batch (the batch is
 * resent). Stripe validates stream events asynchronously: the request succeeds and a bad event is
 * reported later (`v1.billing.meter.error_report_triggered`), which is why events are validated
 * before they are sent.
 *
 * v1 (`POST /v1/billing/meter_events`): one event a call, 1,000 calls per second, one call at a
 * time per customer and meter; a duplicate identifier is answered 400 `duplicate_meter_event`.
 *
 * Both: 429, 5xx and lost responses are retried by the client (backoff, Retry-After); a request
 * that still fails leaves its events `failed` while the others go on, and failed requests are
 * tried once more at the end (only those: accepted events are never sent again). A resend is safe
 * because identifiers are deterministic: Stripe drops an identifier it has seen.
 */
import { StripeError, StripeInvalidRequestError, settle } from '../stripe/errors';
import type { StripeClient } from '../stripe/client';
import { TokenBucket } from '../stripe/rateLimiter';
import type { UsageEvent } from './events';

/** Stripe's meter-events host for the v2 stream (live and test). */
export const METER_EVENTS_HOST = 'https://meter-events.stripe.com';
export const STREAM_MAX_EVENTS = 100;
export const STREAM_EVENTS_PER_SECOND = 10_000;
const SESSION_RENEW_BEFORE_MS = 60_000;

/** A meter's payload keys (Stripe's defaults: `stripe_customer_id`, `value`). */
export interface MeterKeys {
	customerKey: string;
	valueKey: string;
}

export type SendStatus = 'accepted' | 'duplicate' | 'rejected' | 'failed';

export interface SendOutcome {
	status: SendStatus;
	reason?: string;
}

export interface SenderOptions {
	/** Payload keys per event name (default Stripe's). */
	keys?: (eventName: string) => MeterKeys;
	/** Requests in flight at once (default 16: at Stripe's ~120 ms a request, what 10,000 events/s needs). */
	concurrency?: number;
	/** Milliseconds clock and sleep for the token renewal and the event-rate bucket. */
	nowMs: () => number;
	sleep: (ms: number) => Promise<void>;
	/** Host of the v2 stream: {@link METER_EVENTS_HOST} for Stripe, the same base URL for a sandbox or proxy. */
	streamBaseUrl?: string;
	/** Events per second on the stream (default Stripe's 10,000). */
	eventsPerSecond?: number;
	/** A session opened beforehand ({@link openStreamSession}), used until it is about to expire. */
	session?: Promise<StreamSession | undefined>;
}

export interface StreamSession {
	token: string;
	expiresAtMs: number;
}

/** `POST /v2/billing/meter_event_session`: a token for the stream, valid 15 minutes. */
export async function openStreamSession(client: StripeClient): Promise<StreamSession> {
	const created = await client.post<{ authentication_token: string; expires_at: string }>('/v2/billing/meter_event_session', {}, { json: true });
	const expires = Date.parse(created.expires_at);
	return { token: created.authentication_token, expiresAtMs: Number.isFinite(expires) ? expires : Number.NaN };
}

export interface SendStats {
	requests: number;
	sessions: number;
	resent: number;
}

const DEFAULT_KEYS: MeterKeys = { customerKey: 'stripe_customer_id', valueKey: 'value' };

function payload(event: UsageEvent, keys: MeterKeys): Record<string, string> {
	return { [keys.customerKey]: event.customer, [keys.valueKey]: String(event.value) };
}

/** Runs `work` over `count` indexes with at most `concurrency` at once (no timers). */
async function pool(count: number, concurrency: number, work: (index: number) => Promise<void>): Promise<void> {
	let next = 0;
	const worker = async () => {
		while (next < count) {
			const i = next++;
			await work(i);
		}
	};
	await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker));
}

function message(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}

/** Sends events on the v2 meter event stream; one outcome per event, in order. */
export async function sendStream(client: StripeClient, events: readonly UsageEvent[], options: SenderOptions, stats: SendStats = { requests: 0, sessions: 0, resent: 0 }): Promise<SendOutcome[]> {
	const outcomes: SendOutcome[] = new Array(events.length);
	const keys = options.keys ?? (() => DEFAULT_KEYS);
	const bucket = new TokenBucket({ ratePerSecond: (options.eventsPerSecond ?? STREAM_EVENTS_PER_SECOND) / STREAM_MAX_EVENTS });
	let session: StreamSession | undefined;
	let pending: Promise<StreamSession> | undefined;
	let given = options.session;

	const token = async (): Promise<string> => {
		if (given) {
			const opened = await given;
			given = undefined;
			if (opened) {
				stats.sessions++;
				session = { token: opened.token, expiresAtMs: Number.isFinite(opened.expiresAtMs) ? opened.expiresAtMs : options.nowMs() + 15 * 60_000 };
			}
		}
		if (session && options.nowMs() < session.expiresAtMs - SESSION_RENEW_BEFORE_MS) return session.token;
		pending ??= (async () => {
			const opened = await openStreamSession(client);
			stats.sessions++;
			session = { token: opened.token, expiresAtMs: Number.isFinite(opened.expiresAtMs) ? opened.expiresAtMs : options.nowMs() + 15 * 60_000 };
			return session;
		})();
		try {
			return (await pending).token;
		} finally {
			pending = undefined;
		}
	};

	const chunks: number[][] = [];
	for (let i = 0; i < events.length; i += STREAM_MAX_EVENTS) chunks.push(Array.from({ length: Math.min(STREAM_MAX_EVENTS, events.length - i) }, (_, k) => i + k));

	const sendChunk = async (indexes: number[]): Promise<SendOutcome> => {
		const body = {
			events: indexes.map((i) => {
				const e = events[i];
				return { event_name: e.eventName, identifier: e.identifier, timestamp: new Date(e.timestamp * 1000).toISOString(), payload: payload(e, keys(e.eventName)) };
			}),
		};
		for (let renewals = 0; ; renewals++) {
			// Full requests at 10,000 events/s: one slot per 100 events (a short last request takes a whole slot).
			const now = options.nowMs();
			const at = bucket.earliest(now);
			bucket.take(at);
			if (at > now) await options.sleep(at - now);
			const auth = await settle(token());
			if (!auth.ok) return { status: 'failed', reason: `No meter event session: ${message(auth.error)}` };
			stats.requests++;
			const sent = await settle(client.post('/v2/billing/meter_event_stream', body, { json: true, baseUrl: options.streamBaseUrl ?? METER_EVENTS_HOST, headers: { Authorization: `Bearer ${auth.value}` } }));
			if (sent.ok) return { status: 'accepted' };
			const error = sent.error;
			if (error instanceof StripeError && (error.type === 'temporary_session_expired' || error.code === 'billing_meter_event_session_expired') && renewals < 2) {
				session = undefined; // expired mid-batch: a new token, the same events
				continue;
			}
			if (error instanceof StripeInvalidRequestError) return { status: 'rejected', reason: `Stripe refused the request: ${error.message}` };
			return { status: 'failed', reason: message(error) };
		}
	};

	const failed: number[] = [];
	await pool(chunks.length, options.concurrency ?? 16, async (c) => {
		const outcome = await sendChunk(chunks[c]);
		if (outcome.status === 'failed') failed.push(c);
		for (const i of chunks[c]) outcomes[i] = outcome;
	});
	// Resume: only the requests that failed are sent again, once, after the rest went through.
	if (failed.length) {
		await pool(failed.length, options.concurrency ?? 16, async (k) => {
			stats.resent += chunks[failed[k]].length;
			const outcome = await sendChunk(chunks[failed[k]]);
			for (const i of chunks[failed[k]]) outcomes[i] = outcome;
		});
	}
	return outcomes;
}

/** Sends events one by one to v1 meter events; one call at a time per customer and meter. */
export async function sendV1(client: StripeClient, events: readonly UsageEvent[], options: SenderOptions, stats: SendStats = { requests: 0, sessions: 0, resent: 0 }): Promise<SendOutcome[]> {
	const outcomes: SendOutcome[] = new Array(events.length);
	const keys = options.keys ?? (() => DEFAULT_KEYS);
	// Events of one customer and meter go in sequence (Stripe allows one concurrent call for them).
	const lanes = new Map<string, number[]>();
	events.forEach((e, i) => {
		const lane = `${e.eventName}\u0000${e.customer}`;
		const list = lanes.get(lane) ?? [];
		list.push(i);
		lanes.set(lane, list);
	});
	const laneList = [...lanes.values()];
	const sendOne = async (i: number): Promise<SendOutcome> => {
		const e = events[i];
		stats.requests++;
		const sent = await settle(
			// No fixed idempotency key: the client's own key covers this call's retries (a lost response
			// is replayed), while a re-run gets Stripe's duplicate_meter_event and says "duplicate".
			client.post('/v1/billing/meter_events', { event_name: e.eventName, identifier: e.identifier, timestamp: e.timestamp, payload: payload(e, keys(e.eventName)) }),
		);
		if (sent.ok) return { status: 'accepted' };
		const error = sent.error;
		if (error instanceof StripeError && error.code === 'duplicate_meter_event') return { status: 'duplicate', reason: 'Stripe already has an event with this identifier (within its dedupe window): not billed again.' };
		if (error instanceof StripeInvalidRequestError) return { status: 'rejected', reason: `Stripe refused the event: ${error.message}` };
		return { status: 'failed', reason: message(error) };
	};
	const failed: number[] = [];
	await pool(laneList.length, options.concurrency ?? 8, async (l) => {
		for (const i of laneList[l]) {
			outcomes[i] = await sendOne(i);
			if (outcomes[i].status === 'failed') failed.push(i);
		}
	});
	for (const i of failed) {
		stats.resent++;
		outcomes[i] = await sendOne(i);
	}
	return outcomes;
}

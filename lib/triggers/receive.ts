import type Stripe from 'stripe';

import {
	verifyStripeSignature,
	WebhookSignatureError,
	type StripeWebhookPayload,
} from '../webhooks/signature';
import { expandThinEvent, isThinEventNotification, type FetchThinEvent } from '../webhooks/thin';
import { settle } from '../stripe/errors';
import type { InFlightClaims, LastEmittedPerObject, ObjectEventRef } from '../events/dedupe';
import { effectiveEventType, matchesEvent, type LivemodeFilter } from '../events/filter';
import { fetchCurrentObject, objectPath } from './objects';

export interface ReceiveConfig {
	/** Signing secrets (`whsec_…`); several during a roll. */
	secrets: string[];
	/** Local testing only: accept unsigned requests. */
	skipVerification: boolean;
	toleranceSeconds: number;
	/** Event types to emit; `*` for all. */
	events: string[];
	mode: LivemodeFilter;
	fetchCurrentObject: boolean;
	skipStale: boolean;
}

export interface ReceiveDeps {
	/** Unix seconds. */
	now: number;
	/**
	 * Claims on event ids: emitted ids and deliveries in flight. Claimed synchronously, before
	 * the first await, so concurrent deliveries of one event cannot both pass.
	 */
	claims: InFlightClaims;
	/** Per object, the newest event emitted (for "skip stale events"). Only read here: the caller records an event once it emitted it. */
	stale?: LastEmittedPerObject;
	/** GET an API path (the current object, a v2 event), with extra headers (Stripe-Account, Stripe-Context). */
	get(path: string, headers?: Record<string, string>): Promise<unknown>;
}

export interface ReceivedEvent {
	/** The v1 snapshot event, or the expanded v2 event for a thin notification. */
	event: Stripe.Event | Record<string, unknown>;
	/**
	 * The object re-fetched from the API when asked to; `null` when it no longer exists
	 * (a `*.deleted` event, or a 404), with `objectDeleted` set.
	 */
	currentObject?: Record<string, unknown> | null;
	/** True when the current object was asked for and Stripe no longer has it. */
	objectDeleted?: boolean;
	thin: boolean;
	/** What "skip stale events" records once the event is emitted (absent when the event names no object). */
	staleRef?: ObjectEventRef;
}

/** The answer to the sender for a rejected delivery: no detail that helps an unauthenticated caller. */
export const GENERIC_REJECTION_MESSAGE = 'The delivery could not be verified as coming from Stripe. Details are in the n8n log.';

export type ReceiveOutcome =
	| {
			status: 400;
			/** Stable reason code, safe to answer with. */
			reason: string;
			/** Generic message for the HTTP answer. */
			message: string;
			/** The diagnosing message (what to fix, secret hints) for n8n's log, never for the HTTP answer. */
			detail: string;
	  }
	| { status: 200; dropped: 'duplicate' | 'filtered' | 'stale'; eventId: string; type: string }
	/** A delivery of this event is still being processed: answer a retryable status so Stripe tries again. */
	| { status: 409; inFlight: true; eventId: string; type: string }
	/** Emit. The claim stays pending until the caller confirms (the execution ran) or releases it (a later step failed). */
	| { status: 200; emit: ReceivedEvent; eventId: string; type: string };

function parseUnverified(rawBody: string | Uint8Array): StripeWebhookPayload | undefined {
	const text = typeof rawBody === 'string' ? rawBody : Buffer.from(rawBody).toString('utf8');
	try {
		const value = JSON.parse(text) as StripeWebhookPayload;
		return value && typeof value === 'object' && typeof value.id === 'string' ? value : undefined;
	} catch {
		return undefined;
	}
}

function rejection(reason: string, detail: string): ReceiveOutcome {
	return { status: 400, reason, message: GENERIC_REJECTION_MESSAGE, detail };
}

/**
 * Everything the Stripe RevOps Trigger does with one delivery, without n8n:
 * verify → filter (type, live/test) → claim the id (duplicate / in flight) → expand thin events /
 * fetch the current object → skip stale → emit. The event id is claimed synchronously, before the
 * first await; if a later step fails the claim is released (so Stripe's retry goes through) and
 * the error propagates. On emit the claim stays pending: the caller confirms or releases it.
 */
export async function receiveDelivery(
	rawBody: string | Uint8Array | undefined,
	signatureHeader: string | string[] | undefined,
	config: ReceiveConfig,
	deps: ReceiveDeps,
): Promise<ReceiveOutcome> {
	let payload: StripeWebhookPayload | undefined;
	if (config.skipVerification) {
		payload = rawBody === undefined ? undefined : parseUnverified(rawBody);
		if (!payload) return rejection('invalidPayload', 'The body is not a JSON Stripe event.');
	} else {
		try {
			payload = verifyStripeSignature({
				rawBody: rawBody ?? '',
				header: signatureHeader,
				secrets: config.secrets,
				toleranceSeconds: config.toleranceSeconds,
				now: deps.now,
			});
		} catch (error) {
			if (error instanceof WebhookSignatureError) return rejection(error.reason, error.message);
			return rejection('invalidPayload', (error as Error).message);
		}
	}

	const thin = isThinEventNotification(payload);
	const filterable = { type: String(payload.type), livemode: Boolean(payload.livemode), object: String(payload.object) };
	const type = effectiveEventType(filterable);
	const eventId = payload.id;
	if (!matchesEvent(filterable, { events: config.events, mode: config.mode })) return { status: 200, dropped: 'filtered', eventId, type };
	const claim = deps.claims.claim(eventId, deps.now);
	if (claim === 'duplicate') return { status: 200, dropped: 'duplicate', eventId, type };
	if (claim === 'inFlight') return { status: 409, inFlight: true, eventId, type };

	const outcome = await settle(complete(payload, thin, eventId, type, config, deps));
	if (!outcome.ok) {
		deps.claims.release(eventId);
		throw outcome.error;
	}
	// A stale event is answered 200 and never emitted: later deliveries of it are duplicates.
	if ('dropped' in outcome.value) deps.claims.confirm(eventId, deps.now);
	return outcome.value;
}

/**
 * Headers for API reads made on behalf of an event, as the official libraries send them:
 * `Stripe-Account` for a snapshot event of a connected account (`event.account`), `Stripe-Context`
 * and `Stripe-Request-Trigger` for a thin event (stripe-node's `fetchRelatedObject`, stripe@23).
 */
export function eventRequestHeaders(payload: { id?: unknown; account?: unknown; context?: unknown }, thin: boolean): Record<string, string> {
	const headers: Record<string, string> = {};
	if (thin) {
		if (typeof payload.context === 'string' && payload.context !== '') headers['Stripe-Context'] = payload.context;
		if (typeof payload.id === 'string') headers['Stripe-Request-Trigger'] = `event=${payload.id}`;
	} else if (typeof payload.account === 'string' && payload.account !== '') {
		headers['Stripe-Account'] = payload.account;
	}
	return headers;
}

async function complete(
	payload: StripeWebhookPayload,
	thin: boolean,
	eventId: string,
	type: string,
	config: ReceiveConfig,
	deps: ReceiveDeps,
): Promise<ReceiveOutcome> {
	let event: Stripe.Event | Record<string, unknown> = payload as Stripe.Event;
	let objectId: string | undefined;
	let objectType: string | undefined;
	let created: number;
	if (thin) {
		const fetchEvent: FetchThinEvent = (_id, request) => deps.get(request.path, request.headers);
		const full = await expandThinEvent(payload as Parameters<typeof expandThinEvent>[0], fetchEvent);
		event = full as unknown as Record<string, unknown>;
		objectId = full.related_object?.id;
		objectType = full.related_object?.type;
		created = Math.floor(Date.parse(full.created) / 1000);
	} else {
		const snapshot = payload as Stripe.Event;
		const object = snapshot.data?.object as unknown as { id?: string; object?: string } | undefined;
		objectId = object?.id;
		objectType = object?.object;
		created = snapshot.created;
	}

	const staleRef = objectId ? { objectId, created, eventId } : undefined;
	if (config.skipStale && deps.stale && staleRef && deps.stale.isStale(staleRef, deps.now)) {
		return { status: 200, dropped: 'stale', eventId, type };
	}

	let currentObject: Record<string, unknown> | null | undefined;
	let objectDeleted: boolean | undefined;
	if (config.fetchCurrentObject) {
		const path = thin ? (event as { related_object?: { url?: string } }).related_object?.url : objectPath(objectType, objectId);
		if (path) {
			const fetched = await fetchCurrentObject(type, path, eventRequestHeaders(payload as unknown as Record<string, unknown>, thin), deps.get);
			currentObject = fetched.currentObject;
			objectDeleted = fetched.deleted;
		}
	}
	return { status: 200, emit: { event, currentObject, objectDeleted, thin, staleRef }, eventId, type };
}

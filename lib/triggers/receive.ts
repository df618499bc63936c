import type Stripe from 'stripe';

import {
	verifyStripeSignature,
	WebhookSignatureError,
	type StripeWebhookPayload,
} from '../webhooks/signature';
import { expandThinEvent, isThinEventNotification, type FetchThinEvent } from '../webhooks/thin';
import { settle } from '../stripe/errors';
import type { LastEmittedPerObject, SeenEventWindow } from '../events/dedupe';
import { effectiveEventType, matchesEvent, type LivemodeFilter } from '../events/filter';
import { objectPath } from './objects';

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
	/** Event ids already emitted (claimed synchronously, so concurrent duplicates cannot both pass). */
	seen: SeenEventWindow;
	/** Per object, the newest event emitted (for "skip stale events"). */
	stale?: LastEmittedPerObject;
	/** GET an API path (the current object, a v2 event). */
	get(path: string, headers?: Record<string, string>): Promise<unknown>;
}

export interface ReceivedEvent {
	/** The v1 snapshot event, or the expanded v2 event for a thin notification. */
	event: Stripe.Event | Record<string, unknown>;
	/** The object re-fetched from the API when asked to. */
	currentObject?: Record<string, unknown>;
	thin: boolean;
}

export type ReceiveOutcome =
	| { status: 400; reason: string; message: string }
	| { status: 200; dropped: 'duplicate' | 'filtered' | 'stale'; eventId: string; type: string }
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

/**
 * Everything the Stripe RevOps Trigger does with one delivery, without n8n:
 * verify → filter (type, live/test) → drop duplicates → expand thin events / fetch the current
 * object → skip stale → emit. The event id is recorded as seen synchronously, before the first
 * await, so concurrent deliveries of the same event cannot both pass; if a later step fails the
 * id is released again, so Stripe's retry of this delivery is not mistaken for a duplicate.
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
		if (!payload) return { status: 400, reason: 'invalidPayload', message: 'The body is not a JSON Stripe event.' };
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
			if (error instanceof WebhookSignatureError) return { status: 400, reason: error.reason, message: error.message };
			return { status: 400, reason: 'invalidPayload', message: (error as Error).message };
		}
	}

	const thin = isThinEventNotification(payload);
	const filterable = { type: String(payload.type), livemode: Boolean(payload.livemode), object: String(payload.object) };
	const type = effectiveEventType(filterable);
	const eventId = payload.id;
	if (!matchesEvent(filterable, { events: config.events, mode: config.mode })) return { status: 200, dropped: 'filtered', eventId, type };
	if (!deps.seen.claim(eventId, deps.now)) return { status: 200, dropped: 'duplicate', eventId, type };

	const outcome = await settle(complete(payload, thin, eventId, type, config, deps));
	if (!outcome.ok) {
		deps.seen.delete(eventId);
		throw outcome.error;
	}
	return outcome.value;
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

	if (config.skipStale && deps.stale && objectId) {
		if (!deps.stale.admit({ objectId, created, eventId }, deps.now)) return { status: 200, dropped: 'stale', eventId, type };
	}

	let currentObject: Record<string, unknown> | undefined;
	if (config.fetchCurrentObject) {
		const path = thin ? (event as { related_object?: { url?: string } }).related_object?.url : objectPath(objectType, objectId);
		if (path) currentObject = (await deps.get(path)) as Record<string, unknown>;
	}
	return { status: 200, emit: { event, currentObject, thin }, eventId, type };
}

import type Stripe from 'stripe';

import type { StripeClient } from '../stripe/client';
import { isMissing, settle } from '../stripe/errors';

/** What the trigger keeps (in n8n's node static data) about the endpoint it registered. */
export interface EndpointState {
	endpointId?: string;
	/** `whsec_…`: Stripe returns it only when the endpoint is created. */
	secret?: string;
	url?: string;
	apiVersion?: string;
}

export interface EndpointSpec {
	url: string;
	events: string[];
	description: string;
	/** Set at creation only; Stripe cannot change an endpoint's version later. */
	apiVersion?: string;
}

export interface EnsureResult {
	state: EndpointState;
	action: 'created' | 'updated';
	/** Endpoints at the same URL that were deleted (duplicates, or ones whose secret we do not have). */
	deleted: string[];
}

type Endpoint = Stripe.WebhookEndpoint;

function sameEvents(a: string[], b: string[]): boolean {
	if (a.length !== b.length) return false;
	const set = new Set(a);
	return b.every((e) => set.has(e));
}

/**
 * Makes sure exactly one Stripe webhook endpoint points at `spec.url`, idempotently:
 * the endpoint this trigger registered before (and whose secret it holds) is reused and
 * updated; other endpoints at the same URL are deleted, because their signing secret cannot be
 * read back from the API; if none is left, one is created. Stripe caps an account at 16 endpoints
 * (https://docs.stripe.com/webhooks#register-webhook, 2026), so re-activating must not add more.
 */
export async function ensureEndpoint(client: StripeClient, spec: EndpointSpec, state: EndpointState): Promise<EnsureResult> {
	const atUrl: Endpoint[] = [];
	for await (const endpoint of client.list<Endpoint>('/v1/webhook_endpoints')) {
		if (endpoint.url === spec.url) atUrl.push(endpoint);
	}
	const reusable = atUrl.find(
		(e) => e.id === state.endpointId && state.secret && (!spec.apiVersion || !e.api_version || e.api_version === spec.apiVersion),
	);
	const deleted: string[] = [];
	for (const endpoint of atUrl) {
		if (endpoint === reusable) continue;
		await deleteIgnoringMissing(client, endpoint.id);
		deleted.push(endpoint.id);
	}
	if (reusable) {
		if (!sameEvents(reusable.enabled_events, spec.events) || reusable.description !== spec.description || reusable.status !== 'enabled') {
			await client.post<Endpoint>(
				`/v1/webhook_endpoints/${reusable.id}`,
				{ enabled_events: spec.events, description: spec.description, disabled: false },
				{ idempotencyKey: `revops-endpoint-update-${reusable.id}-${spec.events.join(',')}` },
			);
		}
		return { state: { ...state, url: spec.url }, action: 'updated', deleted };
	}
	const created = await client.post<Endpoint>('/v1/webhook_endpoints', {
		url: spec.url,
		enabled_events: spec.events,
		description: spec.description,
		api_version: spec.apiVersion,
	});
	if (!created.id || !created.secret) {
		throw new Error('Stripe created the webhook endpoint but returned no signing secret; delete it in the Dashboard and activate again.');
	}
	return {
		state: { endpointId: created.id, secret: created.secret, url: spec.url, apiVersion: created.api_version ?? spec.apiVersion },
		action: 'created',
		deleted,
	};
}

/**
 * True when the registered endpoint still exists in Stripe with this URL and these events;
 * false makes n8n call `create`, which repairs an endpoint deleted or changed in Stripe.
 */
export async function endpointMatches(client: StripeClient, spec: EndpointSpec, state: EndpointState): Promise<boolean> {
	if (!state.endpointId || !state.secret) return false;
	const found = await settle(client.get<Endpoint>(`/v1/webhook_endpoints/${state.endpointId}`));
	if (!found.ok) {
		if (isMissing(found.error)) return false;
		throw found.error;
	}
	const endpoint = found.value;
	return endpoint.url === spec.url && endpoint.status === 'enabled' && sameEvents(endpoint.enabled_events, spec.events);
}

/** Deletes the registered endpoint; one already gone counts as deleted. */
export async function removeEndpoint(client: StripeClient, state: EndpointState): Promise<void> {
	if (state.endpointId) await deleteIgnoringMissing(client, state.endpointId);
}

async function deleteIgnoringMissing(client: StripeClient, id: string): Promise<void> {
	const outcome = await settle(client.del(`/v1/webhook_endpoints/${id}`));
	if (!outcome.ok && !isMissing(outcome.error)) throw outcome.error;
}

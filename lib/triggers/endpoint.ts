import type Stripe from 'stripe';

import type { StripeClient } from '../stripe/client';
import { isMissing, settle } from '../stripe/errors';

/**
 * What the trigger keeps (in n8n's node static data) about the one endpoint it created itself.
 * `endpointId` is how "this trigger's endpoint" is recognised later, also after n8n's webhook URL
 * changed (WEBHOOK_URL, or the node's webhookId): every other endpoint is somebody else's.
 */
export interface EndpointState {
	endpointId?: string;
	/** `whsec_…`: Stripe returns it only when the endpoint is created. */
	secret?: string;
	/** The URL the endpoint was registered at. */
	url?: string;
	/** The endpoint's `api_version` (absent: the account's default). */
	apiVersion?: string;
}

export interface EndpointSpec {
	url: string;
	events: string[];
	description: string;
	/**
	 * Set at creation only: Stripe's update call takes no `api_version`
	 * (https://docs.stripe.com/api/webhook_endpoints/update, 2026), so a different version means
	 * a new endpoint. Absent or empty: the account's default (`api_version: null` on the endpoint).
	 */
	apiVersion?: string;
}

/**
 * Why an endpoint was (or was to be) deleted:
 * - `oldUrl`: this trigger's own endpoint, still at the URL n8n used before its webhook URL changed;
 * - `replaced`: this trigger's own endpoint at the current URL, replaced by a new one because its
 *   `api_version` differs or its signing secret is not in the state;
 * - `foreign`: an endpoint at the current URL that this trigger's state did not create; its signing
 *   secret cannot be read back from the API, so deliveries it sends would fail verification.
 */
export type DeleteReason = 'oldUrl' | 'replaced' | 'foreign';

export interface DeletedEndpoint {
	id: string;
	url: string;
	reason: DeleteReason;
}

export interface FailedDelete extends DeletedEndpoint {
	/** The error's message, for the log. */
	message: string;
	error: unknown;
}

export interface EnsureResult {
	/** Store this; after a create it holds the new endpoint and its secret. */
	state: EndpointState;
	/** A new endpoint was created (its secret is in `state`). */
	created: boolean;
	/** The existing endpoint's events, description or status were updated in place. */
	updated: boolean;
	/** Endpoints deleted (one already gone in Stripe counts as deleted). */
	deleted: DeletedEndpoint[];
	/** Deletes that failed; the endpoints are still in Stripe. Activation itself succeeded. */
	failedDeletes: FailedDelete[];
}

type Endpoint = Stripe.WebhookEndpoint;

function sameEvents(a: string[], b: string[]): boolean {
	if (a.length !== b.length) return false;
	const set = new Set(a);
	return b.every((e) => set.has(e));
}

/** Stripe reports `api_version: null` for an endpoint on the account's default version. */
function sameApiVersion(endpoint: Endpoint, spec: EndpointSpec): boolean {
	return (endpoint.api_version || null) === (spec.apiVersion || null);
}

function endpointPath(id: string): string {
	return `/v1/webhook_endpoints/${encodeURIComponent(id)}`;
}

/**
 * Makes sure exactly one webhook endpoint whose secret this trigger holds points at `spec.url`,
 * with `spec.events` and `spec.apiVersion`, and re-activating never adds endpoints (Stripe caps an
 * account at 16, https://docs.stripe.com/webhooks#register-webhook, 2026):
 *
 * - this trigger's endpoint (`state.endpointId`) at `spec.url` with the same `api_version` and a
 *   secret in the state is reused, and updated in place when events, description or status differ;
 * - otherwise a new endpoint is created **first**; only after that succeeded are this trigger's old
 *   endpoint (at the URL n8n used before, `oldUrl`, or at this URL with another version, `replaced`)
 *   deleted. A failed create throws and leaves every endpoint as it was;
 * - every other endpoint at `spec.url` is deleted and reported as `foreign`: its secret cannot be
 *   read back, so its deliveries would fail verification. There is no option to keep them; the
 *   caller should log each one with its id. Endpoints at other URLs are never touched, and this
 *   trigger's own endpoint is left alone if someone re-pointed it at a third URL.
 *
 * Deletes never make this function throw: once a new endpoint exists, its secret must reach the
 * caller's state, or it would be lost. Failed deletes come back in `failedDeletes` and are not
 * retried later (the next activation's `endpointMatches` is true, and the state no longer names an
 * `oldUrl` endpoint), so the caller should warn with each id for the user to delete it in the Dashboard.
 *
 * Creating before deleting needs a free slot: an account already at 16 endpoints gets Stripe's
 * limit error on a replacement and keeps its old endpoint.
 */
export async function ensureEndpoint(client: StripeClient, spec: EndpointSpec, state: EndpointState): Promise<EnsureResult> {
	let own: Endpoint | undefined;
	const foreign: Endpoint[] = [];
	for await (const endpoint of client.list<Endpoint>('/v1/webhook_endpoints')) {
		if (state.endpointId && endpoint.id === state.endpointId) own = endpoint;
		else if (endpoint.url === spec.url) foreign.push(endpoint);
	}
	const deleted: DeletedEndpoint[] = [];
	const failedDeletes: FailedDelete[] = [];
	const remove = async (endpoint: Endpoint, reason: DeleteReason) => {
		const outcome = await settle(deleteIgnoringMissing(client, endpoint.id));
		const entry = { id: endpoint.id, url: endpoint.url, reason };
		if (outcome.ok) deleted.push(entry);
		else failedDeletes.push({ ...entry, message: outcome.error instanceof Error ? outcome.error.message : String(outcome.error), error: outcome.error });
	};

	if (own && own.url === spec.url && state.secret && sameApiVersion(own, spec)) {
		let updated = false;
		if (!sameEvents(own.enabled_events, spec.events) || own.description !== spec.description || own.status !== 'enabled') {
			// No key of our own: this update sets absolute values, so repeating it is harmless, and a
			// deterministic key would replay an earlier response when events go A → B → A within
			// Stripe's 24 h key window, and exceeds its 255-character limit with a handful of events
			// (https://docs.stripe.com/api/idempotent_requests, 2026). The client adds a random key,
			// reused across its retries.
			await client.post<Endpoint>(endpointPath(own.id), { enabled_events: spec.events, description: spec.description, disabled: false });
			updated = true;
		}
		for (const endpoint of foreign) await remove(endpoint, 'foreign');
		return {
			state: { endpointId: own.id, secret: state.secret, url: spec.url, apiVersion: own.api_version || undefined },
			created: false,
			updated,
			deleted,
			failedDeletes,
		};
	}

	// No key of our own either: the client's random key (one per call, i.e. per activation, reused
	// across its retries) is what keeps a retried create from making two endpoints. A key derived
	// from the spec would, after deactivate → activate within 24 h, replay the create response of the
	// endpoint deactivation deleted: the state would hold a deleted id and its dead secret.
	const created = await client.post<Endpoint>('/v1/webhook_endpoints', {
		url: spec.url,
		enabled_events: spec.events,
		description: spec.description,
		api_version: spec.apiVersion || undefined,
	});
	if (!created.id || !created.secret) {
		throw new Error(`Stripe created the webhook endpoint ${created.id ?? ''} but returned no signing secret; delete it in the Dashboard and activate again.`);
	}
	if (own && (own.url === spec.url || own.url === state.url || !state.url)) {
		await remove(own, own.url === spec.url ? 'replaced' : 'oldUrl');
	}
	for (const endpoint of foreign) await remove(endpoint, 'foreign');
	return {
		state: { endpointId: created.id, secret: created.secret, url: spec.url, apiVersion: created.api_version || spec.apiVersion || undefined },
		created: true,
		updated: false,
		deleted,
		failedDeletes,
	};
}

/**
 * True when this trigger's endpoint still exists in Stripe with this URL, these events, this
 * `api_version` and enabled, and its secret is in the state; false makes n8n call `create`, which
 * repairs an endpoint deleted or changed in Stripe, follows a changed webhook URL and replaces an
 * endpoint on another API version.
 */
export async function endpointMatches(client: StripeClient, spec: EndpointSpec, state: EndpointState): Promise<boolean> {
	if (!state.endpointId || !state.secret) return false;
	const found = await settle(client.get<Endpoint>(endpointPath(state.endpointId)));
	if (!found.ok) {
		if (isMissing(found.error)) return false;
		throw found.error;
	}
	const endpoint = found.value;
	return (
		endpoint.url === spec.url &&
		endpoint.status === 'enabled' &&
		sameEvents(endpoint.enabled_events, spec.events) &&
		sameApiVersion(endpoint, spec)
	);
}

/** Deletes this trigger's endpoint; one already gone counts as deleted. */
export async function removeEndpoint(client: StripeClient, state: EndpointState): Promise<void> {
	if (state.endpointId) await deleteIgnoringMissing(client, state.endpointId);
}

async function deleteIgnoringMissing(client: StripeClient, id: string): Promise<void> {
	const outcome = await settle(client.del(endpointPath(id)));
	if (!outcome.ok && !isMissing(outcome.error)) throw outcome.error;
}

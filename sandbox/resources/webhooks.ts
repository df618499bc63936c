import { createHmac } from 'node:crypto';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type Stripe from 'stripe';
import { STRIPE_EVENT_TYPES } from '../../lib/events/eventTypes.generated';
import { invalidParam, invalidState, missingParam } from '../core/errors';
import { createdFilter } from '../core/list';
import type { Params } from '../core/params';
import { Rng } from '../core/rng';
import type { Router } from '../core/router';
import type { World } from '../world';

export interface WebhookOptions {
	/** Deliver as soon as events happen (default true); otherwise only on deliverWebhooks() / clock.advance(). */
	autoDeliver?: boolean;
	/** Share of deliveries sent twice (Stripe may deliver an event more than once). */
	duplicateRate?: number;
	/** Deliver queued events in random order (Stripe does not guarantee order). */
	shuffle?: boolean;
	/** Concurrent deliveries (default 20). */
	maxInFlight?: number;
	/** Retry non-2xx deliveries with backoff on the test clock (default true). */
	retry?: boolean;
	/**
	 * Disable an endpoint (status `disabled`) once every delivery attempt to it has failed for this many days of
	 * test-clock time (default 3; 0 = never). Stripe disables endpoints that have not answered 2xx "for multiple days
	 * in a row" (https://docs.stripe.com/webhooks#disable-behavior) without publishing the number.
	 */
	disableAfterDays?: number;
}

/** "You can configure up to 16 webhook endpoints on each Stripe account" (https://docs.stripe.com/webhooks). */
export const MAX_WEBHOOK_ENDPOINTS = 16;
/** `GET /v1/events?types[]=` takes at most 20 types. */
const MAX_LIST_TYPES = 20;
const KNOWN_EVENT_TYPES: ReadonlySet<string> = new Set(STRIPE_EVENT_TYPES.map(([t]) => t));

/**
 * Retry delays after a failed delivery, seconds. Stripe retries for up to three days with exponential backoff
 * (https://docs.stripe.com/webhooks#retries); this schedule adds up to about 2.6 days.
 */
export const RETRY_DELAYS = [60, 300, 1800, 3600, 7200, 14400, 28800, 43200, 43200, 43200, 43200];

interface Secret {
	value: string;
	expiresAt: number | null;
}

interface Delivery {
	endpoint: string;
	event: Stripe.Event | ThinEvent;
	attempt: number;
	/** Sent to a v2 event destination (thin or snapshot payload) rather than a webhook endpoint. */
	thin: boolean;
}

export interface ThinEvent {
	id: string;
	object: 'v2.core.event';
	type: string;
	created: string;
	livemode: boolean;
	context: null;
	related_object: { id: string; type: string; url: string } | null;
	reason: null;
	data?: Record<string, unknown>;
	/** For `v1.*` thin events: the id of the v1 snapshot event. */
	snapshot_event?: string;
}

const PATHS: Record<string, string> = { 'billing.meter': 'billing/meters', invoiceitem: 'invoiceitems' };
function resourcePath(objectType: string): string {
	return PATHS[objectType] ?? `${objectType}s`;
}

export interface DeliveryRecord {
	endpoint: string;
	event: string;
	type: string;
	attempt: number;
	status: number | null;
	error: string | null;
	at: number;
}

export function sign(secret: string, t: number, payload: string): string {
	return createHmac('sha256', secret).update(`${t}.${payload}`, 'utf8').digest('hex');
}

function matches(enabled: string[], type: string): boolean {
	for (const e of enabled) {
		if (e === '*' || e === type) return true;
		if (e.endsWith('.*') && type.startsWith(e.slice(0, -1))) return true;
	}
	return false;
}

interface Destination {
	id: string;
	object: 'v2.core.event_destination';
	name: string;
	type: 'webhook_endpoint';
	event_payload: 'thin' | 'snapshot';
	enabled_events: string[];
	status: 'enabled' | 'disabled';
	webhook_endpoint: { signing_secret: string | null; url: string };
	created: string;
	updated: string;
	description: string;
	livemode: boolean;
	metadata: Record<string, string>;
	events_from: string[];
	snapshot_api_version: string | null;
}

export class Dispatcher {
	private queue: Delivery[] = [];
	private inFlight = new Set<Promise<void>>();
	private rng: Rng;
	readonly secrets = new Map<string, Secret[]>();
	readonly destinations = new Map<string, Destination>();
	readonly thinEvents = new Map<string, ThinEvent>();
	readonly log: DeliveryRecord[] = [];
	/** Endpoint or destination id -> test-clock time of the first failed attempt since its last success. */
	readonly failingSince = new Map<string, number>();
	private closed = false;

	constructor(
		private readonly w: World,
		private opts: Required<WebhookOptions>,
	) {
		this.rng = Rng.fork(w.seed, 'webhooks');
		w.onEvent((e) => this.enqueueEvent(e));
	}

	close(): void {
		this.closed = true;
		this.queue = [];
		for (const req of openRequests.get(this) ?? []) req.destroy(new Error('sandbox closed'));
	}

	private endpointsFor(type: string): Stripe.WebhookEndpoint[] {
		const out: Stripe.WebhookEndpoint[] = [];
		for (const ep of this.w.webhookEndpoints.values()) if (ep.status === 'enabled' && matches(ep.enabled_events, type)) out.push(ep);
		return out;
	}

	private enqueueEvent(e: Stripe.Event): void {
		for (const ep of this.endpointsFor(e.type)) {
			e.pending_webhooks++;
			this.push({ endpoint: ep.id, event: e, attempt: 1, thin: false });
		}
		// Event destinations: snapshot destinations get the v1 event; thin ones a `v1.<type>` notification.
		const obj = e.data.object as { id?: string; object?: string };
		for (const dest of this.destinations.values()) {
			if (dest.status !== 'enabled') continue;
			if (dest.event_payload === 'snapshot' && matches(dest.enabled_events, e.type)) {
				e.pending_webhooks++;
				this.push({ endpoint: dest.id, event: e, attempt: 1, thin: true });
			} else if (dest.event_payload === 'thin' && matches(dest.enabled_events, `v1.${e.type}`)) {
				const related = obj.id && obj.object ? { id: obj.id, type: obj.object, url: `/v1/${resourcePath(obj.object)}/${obj.id}` } : null;
				const thin = this.thinEvent(`v1.${e.type}`, related, undefined, e.id);
				this.push({ endpoint: dest.id, event: thin, attempt: 1, thin: true });
			}
		}
		if (this.opts.autoDeliver) this.pump();
	}

	private thinEvent(type: string, related: ThinEvent['related_object'], data: Record<string, unknown> | undefined, snapshot: string | null): ThinEvent {
		const ev: ThinEvent = { id: this.w.id('evt_test', 24), object: 'v2.core.event', type, created: new Date(this.w.now() * 1000).toISOString(), livemode: false, context: null, related_object: related, reason: null, ...(data ? { data } : {}), ...(snapshot ? { snapshot_event: snapshot } : {}) };
		this.thinEvents.set(ev.id, ev);
		return ev;
	}

	/** Sends a thin event (`v2.core.event`) to event destinations that subscribe to its type. */
	emitThin(type: string, related: { id: string; type: string; url: string } | null, data?: Record<string, unknown>): ThinEvent {
		const ev = this.thinEvent(type, related, data, null);
		for (const d of this.destinations.values()) {
			if (d.status === 'enabled' && d.event_payload === 'thin' && matches(d.enabled_events, type)) this.push({ endpoint: d.id, event: ev, attempt: 1, thin: true });
		}
		if (this.opts.autoDeliver) this.pump();
		return ev;
	}

	private push(d: Delivery): void {
		if (this.closed) return;
		this.queue.push(d);
		if (this.opts.duplicateRate > 0 && this.rng.chance(this.opts.duplicateRate)) this.queue.push({ ...d });
	}

	private pump(): void {
		while (this.inFlight.size < this.opts.maxInFlight && this.queue.length > 0) {
			const i = this.opts.shuffle ? this.rng.int(this.queue.length) : 0;
			const [d] = this.queue.splice(i, 1);
			const p: Promise<void> = this.send(d).finally(() => {
				this.inFlight.delete(p);
				this.pump();
			});
			this.inFlight.add(p);
		}
	}

	/** Sends everything queued and waits for all deliveries in flight. */
	async flush(): Promise<void> {
		this.pump();
		while (this.inFlight.size > 0 || this.queue.length > 0) {
			await Promise.race(this.inFlight);
			this.pump();
		}
	}

	setOptions(o: WebhookOptions): void {
		this.opts = { ...this.opts, ...o };
	}

	private target(d: Delivery): { url: string; secrets: Secret[] } | null {
		if (d.thin) {
			const dest = this.destinations.get(d.endpoint);
			if (!dest || dest.status !== 'enabled') return null;
			return { url: dest.webhook_endpoint.url, secrets: this.secrets.get(dest.id) ?? [] };
		}
		const ep = this.w.webhookEndpoints.get(d.endpoint);
		if (!ep || ep.status !== 'enabled') return null;
		return { url: ep.url, secrets: this.secrets.get(ep.id) ?? [] };
	}

	/** Stripe-Signature: `t=<unix>,v1=<hmac>` with one v1 per live secret (two during a roll). */
	signatureHeader(secrets: Secret[], payload: string, t: number): string {
		const now = this.w.now();
		const parts = [`t=${t}`];
		for (const s of secrets) if (s.expiresAt === null || s.expiresAt > now) parts.push(`v1=${sign(s.value, t, payload)}`);
		return parts.join(',');
	}

	/** Counts an endpoint's failure streak and disables it once the streak is `disableAfterDays` long. */
	private track(d: Delivery, ok: boolean): void {
		if (ok) {
			this.failingSince.delete(d.endpoint);
			return;
		}
		const now = this.w.now();
		const since = this.failingSince.get(d.endpoint);
		if (since === undefined) {
			this.failingSince.set(d.endpoint, now);
			return;
		}
		const limit = this.opts.disableAfterDays * 86400;
		if (limit <= 0 || now - since < limit) return;
		if (d.thin) {
			const dest = this.destinations.get(d.endpoint);
			if (dest) dest.status = 'disabled';
		} else {
			const ep = this.w.webhookEndpoints.get(d.endpoint);
			if (ep) ep.status = 'disabled';
		}
		this.failingSince.delete(d.endpoint);
	}

	/** Webhook endpoints plus event destinations that deliver to a URL (they share Stripe's limit of 16). */
	endpointCount(): number {
		return this.w.webhookEndpoints.count() + [...this.destinations.values()].filter((x) => x.type === 'webhook_endpoint').length;
	}

	private async send(d: Delivery): Promise<void> {
		const target = this.target(d);
		if (!target) return;
		if (d.event.object === 'event') {
			const ev = this.w.events.get((d.event as Stripe.Event).id);
			if (ev) d.event = ev;
		}
		const payload = JSON.stringify(d.event, null, 2);
		// Signatures use wall-clock time: stripe-node checks the timestamp against Date.now() (300 s tolerance).
		const t = Math.floor(Date.now() / 1000);
		const header = this.signatureHeader(target.secrets, payload, t);
		let status: number | null = null;
		let error: string | null = null;
		try {
			status = await post(this, target.url, payload, { 'Content-Type': 'application/json; charset=utf-8', 'Stripe-Signature': header, 'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)', 'Cache-Control': 'no-cache' });
		} catch (e) {
			error = (e as Error).message;
		}
		this.log.push({ endpoint: d.endpoint, event: d.event.id, type: d.event.type, attempt: d.attempt, status, error, at: this.w.now() });
		const ok = status !== null && status >= 200 && status < 300;
		this.track(d, ok);
		if (ok) {
			if (d.event.object === 'event') {
				const ev = d.event as Stripe.Event;
				if (ev.pending_webhooks > 0) ev.pending_webhooks--;
			}
			return;
		}
		if (!this.opts.retry || this.closed || d.attempt > RETRY_DELAYS.length) return;
		const delay = RETRY_DELAYS[d.attempt - 1];
		this.w.clock.schedule(this.w.now() + delay, () => {
			this.push({ ...d, attempt: d.attempt + 1 });
			if (this.opts.autoDeliver) this.pump();
		});
	}
}

const openRequests = new WeakMap<Dispatcher, Set<ClientRequest>>();

function post(owner: Dispatcher, url: string, body: string, headers: Record<string, string>): Promise<number> {
	return new Promise((resolve, reject) => {
		const u = new URL(url);
		let open = openRequests.get(owner);
		if (!open) openRequests.set(owner, (open = new Set()));
		const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, { method: 'POST', headers: { ...headers, 'Content-Length': Buffer.byteLength(body) }, timeout: 30000 }, (res) => {
			res.resume();
			res.on('end', () => resolve(res.statusCode ?? 0));
		});
		open.add(req);
		req.on('close', () => open.delete(req));
		req.on('timeout', () => req.destroy(new Error('timed out after 30 s')));
		req.on('error', reject);
		req.end(body);
	});
}

function validateEvents(list: string[] | undefined, param: string): string[] {
	if (!list || list.length === 0) throw missingParam(param);
	for (const e of list) if (e !== '*' && !/^[a-z0-9_]+(\.[a-z0-9_*]+)+$/.test(e)) throw invalidParam(param, `Invalid event type '${e}'. Use Stripe event names such as invoice.paid, or '*' for all events.`);
	return list;
}

/** `enabled_events` of a webhook endpoint: Stripe's event types, or `*` (no group wildcards such as `invoice.*`). */
function validateEndpointEvents(list: string[] | undefined): string[] {
	if (!list || list.length === 0) throw missingParam('enabled_events');
	list.forEach((e, i) => {
		if (e !== '*' && !KNOWN_EVENT_TYPES.has(e)) {
			throw invalidParam(
				'enabled_events',
				`Invalid enabled_events[${i}]: '${e}' is not a Stripe event type. It must be '*' or one of the ${KNOWN_EVENT_TYPES.size} event types, such as invoice.paid or customer.subscription.updated (https://docs.stripe.com/api/events/types).`,
			);
		}
	});
	return list;
}

export function registerWebhooks(r: Router, w: World, d: Dispatcher): void {
	const newSecret = () => `whsec_${w.ids.token(32)}`;
	const urlOf = (p: Params, required: boolean) => {
		const url = required ? p.str('url', true) : p.str('url');
		if (url !== undefined && !/^https?:\/\/[^\s]+$/.test(url)) throw invalidParam('url', `Invalid URL: ${url}. Webhook endpoints need an http(s) URL.`, 'url_invalid');
		return url;
	};
	r.post('/v1/webhook_endpoints', ({ params }) => {
		params.allow(['url', 'enabled_events', 'description', 'metadata', 'api_version', 'connect']);
		const url = urlOf(params, true) as string;
		const enabledEvents = validateEndpointEvents(params.strings('enabled_events'));
		if (d.endpointCount() >= MAX_WEBHOOK_ENDPOINTS) {
			throw invalidState(`You have reached the maximum of ${MAX_WEBHOOK_ENDPOINTS} webhook endpoints on this account. Delete an endpoint you no longer use (DELETE /v1/webhook_endpoints/:id) or update an existing one instead of creating another.`);
		}
		const secret = newSecret();
		const ep = {
			id: w.id('we', 24),
			object: 'webhook_endpoint',
			api_version: params.str('api_version') ?? null,
			application: null,
			created: w.now(),
			description: params.nullable('description') ?? null,
			enabled_events: enabledEvents,
			livemode: false,
			metadata: params.metadata({}),
			status: 'enabled',
			url,
		} as Stripe.WebhookEndpoint;
		w.webhookEndpoints.add(ep);
		d.secrets.set(ep.id, [{ value: secret, expiresAt: null }]);
		return { ...ep, secret };
	});
	r.get('/v1/webhook_endpoints/:id', ({ pathParams }) => w.webhookEndpoints.require(pathParams.id));
	const roll = (id: string, expiresIn: number | undefined) => {
		const ep = w.webhookEndpoints.require(id);
		const secret = newSecret();
		const current = (d.secrets.get(ep.id) ?? []).filter((s) => s.expiresAt === null || s.expiresAt > w.now());
		const expiresAt = w.now() + (expiresIn ?? 86400);
		d.secrets.set(ep.id, [{ value: secret, expiresAt: null }, ...current.map((s) => ({ value: s.value, expiresAt: expiresIn === 0 ? w.now() : Math.min(s.expiresAt ?? Infinity, expiresAt) }))]);
		return { ...ep, secret };
	};
	r.post('/v1/webhook_endpoints/:id', ({ pathParams, params }) => {
		params.allow(['url', 'enabled_events', 'description', 'metadata', 'disabled', 'api_version', 'roll_secret', 'roll_secret_expires_in']);
		const ep = w.webhookEndpoints.require(pathParams.id);
		w.update(null, ep, (o) => {
			const url = urlOf(params, false);
			if (url) o.url = url;
			const ev = params.strings('enabled_events');
			if (ev) o.enabled_events = validateEndpointEvents(ev);
			const desc = params.nullable('description');
			if (desc !== undefined) o.description = desc;
			const disabled = params.bool('disabled');
			if (disabled !== undefined) {
				o.status = disabled ? 'disabled' : 'enabled';
				d.failingSince.delete(o.id);
			}
			o.metadata = params.metadata(o.metadata);
		});
		// Sandbox extension: roll_secret=true issues a new secret (returned once); the old one keeps signing
		// (a second v1 in Stripe-Signature) for roll_secret_expires_in seconds (default 24 h, 0 = now).
		if (params.bool('roll_secret')) return roll(ep.id, params.int('roll_secret_expires_in'));
		return ep;
	});
	r.post('/v1/webhook_endpoints/:id/roll_secret', ({ pathParams, params }) => roll(pathParams.id, params.int('expires_in')));
	r.del('/v1/webhook_endpoints/:id', ({ pathParams }) => {
		const ep = w.webhookEndpoints.require(pathParams.id);
		w.webhookEndpoints.remove(ep.id);
		d.secrets.delete(ep.id);
		d.failingSince.delete(ep.id);
		return { id: ep.id, object: 'webhook_endpoint', deleted: true };
	});
	r.get('/v1/webhook_endpoints', ({ params }) => w.webhookEndpoints.list(params, '/v1/webhook_endpoints'));

	r.get('/v1/events/:id', ({ pathParams }) => {
		w.pruneEvents();
		return w.events.require(pathParams.id);
	});
	// https://docs.stripe.com/api/events/list: `type` is one name or a group with `*` (`invoice.*`); `types` is up to 20
	// specific names; "you may pass either type or types, but not both".
	r.get('/v1/events', ({ params }) => {
		params.allow(['created', 'delivery_success', 'ending_before', 'limit', 'starting_after', 'type', 'types']);
		w.pruneEvents();
		const type = params.str('type');
		const types = params.strings('types');
		if (type !== undefined && types !== undefined) throw invalidState('You may only specify one of these parameters: type, types.');
		if (types && types.length > MAX_LIST_TYPES) throw invalidParam('types', `Invalid array: types can have at most ${MAX_LIST_TYPES} elements (got ${types.length}). Pass fewer types, or one group such as type=invoice.*.`);
		const exact = types ? new Set(types) : null;
		const created = createdFilter(params);
		const delivered = params.bool('delivery_success');
		return w.events.list(params, '/v1/events', (e) => (type === undefined || type === '' || matches([type], e.type)) && (!exact || exact.has(e.type)) && (!created || created(e.created)) && (delivered === undefined || (e.pending_webhooks === 0) === delivered));
	});

	// v2 event destinations (thin events) and thin event retrieval
	r.post('/v2/core/event_destinations', ({ params }) => {
		const type = params.str('type', true);
		if (type !== 'webhook_endpoint') throw invalidParam('type', `The sandbox delivers event destinations of type webhook_endpoint only (got ${type}).`);
		const events = validateEvents(params.strings('enabled_events'), 'enabled_events');
		if (d.endpointCount() >= MAX_WEBHOOK_ENDPOINTS) throw invalidState(`You have reached the maximum of ${MAX_WEBHOOK_ENDPOINTS} webhook endpoints and event destinations on this account. Delete one you no longer use first.`);
		const payload = params.oneOf('event_payload', ['thin', 'snapshot'] as const);
		if (!payload) throw missingParam('event_payload');
		const we = params.obj('webhook_endpoint');
		const url = we?.str('url', true);
		if (!url) throw missingParam('webhook_endpoint.url');
		const now = new Date(w.now() * 1000).toISOString();
		const secret = newSecret();
		const dest: Destination = { id: w.id('ed_test', 24), object: 'v2.core.event_destination', name: params.str('name', true), type: 'webhook_endpoint', event_payload: payload, enabled_events: events, status: 'enabled', webhook_endpoint: { signing_secret: null, url }, created: now, updated: now, description: params.str('description') ?? '', livemode: false, metadata: {}, events_from: ['self'], snapshot_api_version: null };
		d.destinations.set(dest.id, dest);
		d.secrets.set(dest.id, [{ value: secret, expiresAt: null }]);
		return { ...dest, webhook_endpoint: { signing_secret: secret, url } };
	});
	r.get('/v2/core/event_destinations/:id', ({ pathParams }) => {
		const dest = d.destinations.get(pathParams.id);
		if (!dest) throw invalidParam('id', `No such event destination: '${pathParams.id}'`, 'resource_missing');
		return dest;
	});
	r.get('/v2/core/event_destinations', () => ({ data: [...d.destinations.values()], next_page_url: null, previous_page_url: null }));
	r.del('/v2/core/event_destinations/:id', ({ pathParams }) => {
		if (!d.destinations.delete(pathParams.id)) throw invalidParam('id', `No such event destination: '${pathParams.id}'`, 'resource_missing');
		d.failingSince.delete(pathParams.id);
		return { id: pathParams.id, object: 'v2.core.event_destination', deleted: true };
	});
	r.get('/v2/core/events/:id', ({ pathParams }) => {
		const ev = d.thinEvents.get(pathParams.id);
		if (!ev) throw invalidParam('id', `No such event: '${pathParams.id}'`, 'resource_missing');
		return ev;
	});
	r.get('/v2/core/events', () => ({ data: [...d.thinEvents.values()].reverse(), next_page_url: null, previous_page_url: null }));
}

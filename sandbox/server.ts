import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ApiError, invalidParam, unrecognizedUrl, type ErrorBody } from './core/errors';
import { canonical, parseForm, type FormObject } from './core/form';
import { Params } from './core/params';
import { Rng } from './core/rng';
import type { Bucket, Ctx, Router } from './core/router';
import { API_VERSION, type World } from './world';

export interface RateLimits {
	opsPerSecond: number;
	meterEventsPerSecond: number;
	meterEventStreamPerSecond: number;
	/**
	 * Stripe's per-endpoint limit ("a default of 25 requests per second per endpoint", https://docs.stripe.com/rate-limits),
	 * one bucket per method and route (e.g. `GET /v1/balance_transactions`), on top of `opsPerSecond`; meter event
	 * routes keep their own buckets. Absent or 0: off (the default).
	 */
	perEndpointPerSecond?: number;
}

/** Stripe's live-mode defaults (https://docs.stripe.com/rate-limits, 2025). Sandboxes get 25 ops/s. */
export const DEFAULT_RATE_LIMITS: RateLimits = { opsPerSecond: 100, meterEventsPerSecond: 1000, meterEventStreamPerSecond: 10000 };

export interface Faults {
	/** 500 before any work (not saved for the idempotency key; `Stripe-Should-Retry: true`). */
	errorRate?: number;
	rateLimitRate?: number;
	/** Connection closed before any work. */
	dropRate?: number;
	/** The work is done and its result saved for the idempotency key, then the connection closes unanswered. */
	lostResponseRate?: number;
	/** The work is done, then the request fails with a 500 that is saved and replayed for the idempotency key. */
	errorAfterWorkRate?: number;
	latencyMs?: number;
}

export interface ServerConfig {
	secretKey: string;
	rateLimits: RateLimits | false;
	latencyMs?: number | ((req: { method: string; path: string }) => number);
	faults: Faults;
	/** HTML pages served without authentication (`GET /p/...`: the billing portal); null = not found. */
	page?: (path: string) => string | null;
	/** Validates a v2 meter event session token; throws an ApiError when expired or unknown. */
	sessionAuth: (token: string) => void;
}

interface IdempotentEntry {
	method: string;
	path: string;
	params: string;
	status: number;
	body: string;
	/** Headers replayed with the body (e.g. Stripe-Should-Retry of an injected 500). */
	headers: Record<string, string>;
	createdAt: number;
	requestId: string;
}

/** Token bucket on wall-clock time (rate limits are real time, not test-clock time). */
class Bucketed {
	private tokens: number;
	private last = performance.now();
	constructor(private readonly rate: number) {
		this.tokens = rate;
	}
	/** Whether `n` tokens are there now (refills first; takes nothing). */
	has(n = 1): boolean {
		const now = performance.now();
		this.tokens = Math.min(this.rate, this.tokens + ((now - this.last) / 1000) * this.rate);
		this.last = now;
		return this.tokens >= n;
	}
	/** Takes `n` tokens (a meter event stream request costs one per event). */
	take(n = 1): boolean {
		if (!this.has(n)) return false;
		this.tokens -= n;
		return true;
	}
}

const MAX_BODY = 2 * 1024 * 1024;

/** Events in a meter event stream body (at least 1: a malformed body still costs a token). */
function streamEventCount(rawBody: string | Buffer | undefined): number {
	if (!rawBody) return 1;
	try {
		const events = (JSON.parse(String(rawBody)) as { events?: unknown }).events;
		return Array.isArray(events) ? Math.max(1, events.length) : 1;
	} catch {
		return 1;
	}
}
/** Stripe prunes keys once they are at least 24 hours old (https://docs.stripe.com/api/idempotent_requests). */
const IDEMPOTENCY_TTL = 24 * 3600;
/** "Idempotency keys are up to 255 characters long" (same page). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

export class SandboxServer {
	readonly http: Server;
	private idempotency = new Map<string, IdempotentEntry>();
	/** Keys whose first request is still executing (a concurrent request with one gets 409). */
	private inProgress = new Set<string>();
	private buckets: Partial<Record<Bucket, Bucketed>> = {};
	/** Per-endpoint buckets (`perEndpointPerSecond`), by `METHOD /route/pattern`. */
	private endpointBuckets = new Map<string, Bucketed>();
	private faultRng: Rng;
	private requestIds: Rng;
	private sockets = new Set<import('node:net').Socket>();

	constructor(
		private readonly world: World,
		private readonly router: Router,
		private config: ServerConfig,
	) {
		this.faultRng = Rng.fork(world.seed, 'faults');
		this.requestIds = Rng.fork(world.seed, 'requests');
		this.setRateLimits(config.rateLimits);
		this.http = createServer((req, res) => {
			this.handle(req, res).catch((err: unknown) => {
				if (!res.headersSent) this.send(res, 500, { error: { type: 'api_error', message: `Sandbox internal error: ${String(err)}` } }, 'req_internal');
			});
		});
		this.http.keepAliveTimeout = 5000;
		this.http.on('connection', (s) => {
			this.sockets.add(s);
			s.on('close', () => this.sockets.delete(s));
		});
	}

	setRateLimits(limits: RateLimits | false): void {
		this.config.rateLimits = limits;
		this.buckets = limits
			? { ops: new Bucketed(limits.opsPerSecond), meter_events: new Bucketed(limits.meterEventsPerSecond), meter_stream: new Bucketed(limits.meterEventStreamPerSecond) }
			: {};
		this.endpointBuckets = new Map();
	}

	setFaults(f: Faults | undefined): void {
		this.config.faults = { ...(f ?? {}) };
	}

	destroySockets(): void {
		for (const s of this.sockets) s.destroy();
	}

	private requestId(): string {
		const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
		let s = '';
		for (let i = 0; i < 14; i++) s += chars[this.requestIds.int(chars.length)];
		return `req_${s}`;
	}

	private send(res: ServerResponse, status: number, body: unknown, requestId: string, extra: Record<string, string> = {}): void {
		const json = typeof body === 'string' ? body : JSON.stringify(body, null, 2);
		res.writeHead(status, {
			'Content-Type': 'application/json',
			'Content-Length': Buffer.byteLength(json),
			'Request-Id': requestId,
			'Stripe-Version': API_VERSION,
			'Access-Control-Allow-Origin': '*',
			...extra,
		});
		res.end(json);
	}

	private sendError(res: ServerResponse, err: ApiError, requestId: string, extra: Record<string, string> = {}): void {
		const body: ErrorBody = { ...err.body, request_log_url: `https://dashboard.stripe.com/test/logs/${requestId}` };
		this.send(res, err.status, { error: body }, requestId, { ...err.headers, ...extra });
	}

	private readBody(req: IncomingMessage): Promise<string> {
		return new Promise((resolve, reject) => {
			const chunks: Buffer[] = [];
			let size = 0;
			req.on('data', (c: Buffer) => {
				size += c.length;
				if (size > MAX_BODY) {
					reject(new ApiError(413, { type: 'invalid_request_error', message: 'Request body too large (limit 2 MB).' }));
					req.destroy();
					return;
				}
				chunks.push(c);
			});
			req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
			req.on('error', reject);
		});
	}

	private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const requestId = this.requestId();
		const method = (req.method ?? 'GET').toUpperCase();
		const url = new URL(req.url ?? '/', 'http://127.0.0.1');
		const path = url.pathname;
		let rawBody = '';
		try {
			rawBody = await this.readBody(req);
		} catch (e) {
			if (e instanceof ApiError) return this.sendError(res, e, requestId);
			throw e;
		}
		if (path.startsWith('/p/') && this.config.page) {
			// A hosted page (the billing portal): a browser opens it, without an API key.
			const html = method === 'GET' ? this.config.page(path) : null;
			const body = html ?? '<!doctype html><html><head><meta charset="utf-8"><title>Not found</title></head><body><p>This link is invalid or has expired.</p></body></html>';
			res.writeHead(html ? 200 : 404, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
			res.end(body);
			return;
		}
		const apiMode = path.startsWith('/v2/') ? 'v2' : 'v1';
		const matched = this.router.match(method, path);
		const token = bearer(req);

		// Authentication first, as Stripe does.
		if (matched?.route.auth === 'session') {
			if (!token) return this.sendError(res, missingKey(), requestId);
			if (token === this.config.secretKey) {
				return this.sendError(
					res,
					new ApiError(401, { type: 'invalid_request_error', code: 'invalid_api_key', message: 'This endpoint requires a meter event session token (POST /v2/billing/meter_event_session); secret keys are not accepted here.' }),
					requestId,
				);
			}
			try {
				this.config.sessionAuth(token);
			} catch (e) {
				if (e instanceof ApiError) return this.sendError(res, e, requestId);
				throw e;
			}
		} else {
			if (!token) return this.sendError(res, missingKey(), requestId);
			if (token !== this.config.secretKey) return this.sendError(res, badKey(token), requestId);
		}
		if (!matched) return this.sendError(res, unrecognizedUrl(method, path), requestId);

		// Injected faults, decided before any work happens (deterministic by seed and arrival order).
		// The after-work faults are decided here too (one roll per request) and applied once the work is done.
		const f = this.config.faults;
		let afterWork: 'lost' | 'error' | null = null;
		if (f.dropRate || f.errorRate || f.rateLimitRate || f.lostResponseRate || f.errorAfterWorkRate || f.latencyMs) {
			const roll = this.faultRng.next();
			const drop = f.dropRate ?? 0;
			const err = drop + (f.errorRate ?? 0);
			const rl = err + (f.rateLimitRate ?? 0);
			const lost = rl + (f.lostResponseRate ?? 0);
			const errAfter = lost + (f.errorAfterWorkRate ?? 0);
			if (roll >= rl && roll < lost) afterWork = 'lost';
			else if (roll >= lost && roll < errAfter) afterWork = 'error';
			if (f.latencyMs) await sleep(f.latencyMs);
			if (roll < drop) {
				req.socket.destroy();
				return;
			}
			if (roll < err) {
				return this.sendError(res, new ApiError(500, { type: 'api_error', message: 'An unknown error occurred (injected by the sandbox fault model).' }), requestId, { 'Stripe-Should-Retry': 'true' });
			}
			if (roll < rl) return this.sendError(res, rateLimited('global-rate'), requestId);
		}

		// Rate limits (429 + Stripe-Rate-Limited-Reason).
		// The meter event stream is limited in events per second (10,000), not requests.
		// Per endpoint (when configured): a request must fit both buckets, and one refused by either takes from neither.
		const bucket = this.buckets[matched.route.bucket];
		const perEndpoint = this.config.rateLimits ? (this.config.rateLimits.perEndpointPerSecond ?? 0) : 0;
		let endpointBucket: Bucketed | undefined;
		if (perEndpoint > 0 && matched.route.bucket === 'ops') {
			const name = `${matched.route.method} ${matched.route.pattern}`;
			endpointBucket = this.endpointBuckets.get(name);
			if (!endpointBucket) this.endpointBuckets.set(name, (endpointBucket = new Bucketed(perEndpoint)));
		}
		const cost = matched.route.bucket === 'meter_stream' ? streamEventCount(rawBody) : 1;
		if (bucket && !bucket.has(cost)) {
			return this.sendError(res, rateLimited(matched.route.bucket === 'ops' ? 'global-rate' : 'endpoint-rate'), requestId);
		}
		if (endpointBucket && !endpointBucket.take(1)) return this.sendError(res, rateLimited('endpoint-rate'), requestId);
		bucket?.take(cost);

		let form: FormObject;
		try {
			const query = url.search.length > 1 ? parseForm(url.search.slice(1)) : {};
			let body: FormObject = {};
			if (rawBody) {
				const ct = String(req.headers['content-type'] ?? '');
				if (ct.includes('application/json')) {
					try {
						body = JSON.parse(rawBody) as FormObject;
					} catch {
						throw new ApiError(400, { type: 'invalid_request_error', message: 'Invalid JSON body: the request body could not be parsed as JSON.' });
					}
					rejectForbiddenKeys(body, '');
				} else {
					body = parseForm(rawBody);
				}
			}
			form = { ...query, ...body };
		} catch (e) {
			if (e instanceof ApiError) return this.sendError(res, e, requestId);
			return this.sendError(res, invalidParam('body', String((e as Error).message)), requestId);
		}

		// Idempotency (https://docs.stripe.com/api/idempotent_requests): v1 POST, v2 POST and DELETE. The first
		// response for a key is saved (500s included) and replayed; other parameters -> 400 idempotency_error; a key
		// whose first request is still executing -> 409 idempotency_key_in_use (nothing saved); keys expire after 24 h
		// of test-clock time. GET and v1 DELETE ignore the key.
		const idemKey = header(req, 'idempotency-key');
		const extra: Record<string, string> = {};
		let idemSlot: string | null = null;
		const idempotent = method === 'POST' || (apiMode === 'v2' && method === 'DELETE');
		if (idemKey !== null) {
			extra['Idempotency-Key'] = idemKey;
			if (idempotent) {
				if (idemKey.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
					return this.sendError(
						res,
						new ApiError(400, {
							type: 'invalid_request_error',
							message: `Invalid Idempotency-Key: keys can be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters long (this one has ${idemKey.length}).`,
							param: 'Idempotency-Key',
						}),
						requestId,
						extra,
					);
				}
				idemSlot = `${token}\u0000${idemKey}`;
				if (this.inProgress.has(idemSlot)) {
					return this.sendError(
						res,
						new ApiError(409, {
							type: 'invalid_request_error',
							code: 'idempotency_key_in_use',
							doc_url: 'https://stripe.com/docs/error-codes/idempotency-key-in-use',
							message: 'There is currently another in-progress request using this Idempotency-Key (that probably means you submitted twice, and the other request is still going through). Please try again later.',
						}),
						requestId,
						extra,
					);
				}
				const prior = this.idempotency.get(idemSlot);
				const params = canonical(form);
				const reusable = prior && prior.createdAt + IDEMPOTENCY_TTL > this.world.now() && !(apiMode === 'v2' && prior.status >= 500);
				if (prior && reusable) {
					if (prior.method !== method || prior.path !== path || prior.params !== params) {
						return this.sendError(
							res,
							new ApiError(400, {
								type: 'idempotency_error',
								message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idemKey}' if you meant to execute a different request.`,
							}),
							requestId,
							extra,
						);
					}
					return this.send(res, prior.status, prior.body, requestId, { ...extra, ...prior.headers, 'Idempotent-Replayed': 'true', 'Original-Request': prior.requestId });
				}
				this.inProgress.add(idemSlot);
			}
		}
		try {
			await this.execute(req, res, { method, path, form, matched, requestId, idemKey, idemSlot, apiMode, extra, afterWork });
		} finally {
			if (idemSlot) this.inProgress.delete(idemSlot);
		}
	}

	/** Runs the handler (after the configured latency, which stands for Stripe's processing time) and answers. */
	private async execute(
		req: IncomingMessage,
		res: ServerResponse,
		r: { method: string; path: string; form: FormObject; matched: NonNullable<ReturnType<Router['match']>>; requestId: string; idemKey: string | null; idemSlot: string | null; apiMode: 'v1' | 'v2'; extra: Record<string, string>; afterWork: 'lost' | 'error' | null },
	): Promise<void> {
		const { method, path, form, matched, requestId, idemKey, idemSlot, apiMode, extra, afterWork } = r;
		const latency = typeof this.config.latencyMs === 'function' ? this.config.latencyMs({ method, path }) : this.config.latencyMs;
		if (latency && latency > 0) await sleep(latency);

		const ctx: Ctx = {
			method,
			path,
			params: new Params(form),
			pathParams: matched.pathParams,
			requestId,
			idempotencyKey: idemKey,
			headers: req.headers,
			apiMode,
		};
		let status = 200;
		let payload: string;
		try {
			this.world.currentRequest = { id: requestId, idempotency_key: idemKey };
			let result = matched.route.handler(ctx);
			if (result instanceof Promise) result = await result;
			const expand = ctx.params.expand();
			if (expand.length > 0 && result && typeof result === 'object') result = expandAll(this.world, result as Record<string, unknown>, expand);
			payload = JSON.stringify(result ?? {}, null, 2);
		} catch (e) {
			// An unexpected failure inside the handler is a 500 after execution began: saved like any other result.
			const err = e instanceof ApiError ? e : new ApiError(500, { type: 'api_error', message: `Sandbox error: ${(e as Error).message}` });
			status = err.status;
			payload = JSON.stringify({ error: { ...err.body, request_log_url: `https://dashboard.stripe.com/test/logs/${requestId}` } }, null, 2);
			Object.assign(extra, err.headers);
		} finally {
			this.world.currentRequest = { id: null, idempotency_key: null };
		}
		const saved: Record<string, string> = {};
		if (afterWork === 'error') {
			// Injected: the work happened, then the request failed. Stripe replays such a 500 for the key, so a retry
			// with the same key cannot help; Stripe-Should-Retry: false says so.
			status = 500;
			payload = JSON.stringify({ error: { type: 'api_error', message: 'An unknown error occurred after the request was processed (injected by the sandbox fault model).', request_log_url: `https://dashboard.stripe.com/test/logs/${requestId}` } }, null, 2);
			saved['Stripe-Should-Retry'] = 'false';
		}
		if (idemSlot && status !== 429) {
			this.idempotency.set(idemSlot, { method, path, params: canonical(form), status, body: payload, headers: saved, createdAt: this.world.now(), requestId });
		}
		if (afterWork === 'lost') {
			// Injected: the work is done and saved, but the answer never arrives.
			req.socket.destroy();
			return;
		}
		this.send(res, status, payload, requestId, { ...extra, ...saved });
	}
}

/** Names that would reach Object.prototype if used as keys; refused anywhere in a body or query. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function forbiddenKey(key: string, param: string): ApiError {
	return new ApiError(400, { type: 'invalid_request_error', code: 'parameter_invalid', message: `Invalid parameter name '${key}' in ${param || 'the request body'}: '__proto__', 'constructor' and 'prototype' are not accepted as keys.`, param: param || key });
}

function rejectForbiddenKeys(v: unknown, path: string): void {
	if (typeof v !== 'object' || v === null) return;
	if (Array.isArray(v)) {
		v.forEach((x, i) => rejectForbiddenKeys(x, `${path}[${i}]`));
		return;
	}
	for (const k of Object.keys(v)) {
		const p = path ? `${path}[${k}]` : k;
		if (FORBIDDEN_KEYS.has(k)) throw forbiddenKey(k, p);
		rejectForbiddenKeys((v as Record<string, unknown>)[k], p);
	}
}

function header(req: IncomingMessage, name: string): string | null {
	const v = req.headers[name];
	if (Array.isArray(v)) return v[0] ?? null;
	return v ?? null;
}

function bearer(req: IncomingMessage): string | null {
	const auth = header(req, 'authorization');
	if (!auth) return null;
	const m = /^Bearer\s+(.+)$/i.exec(auth);
	if (m) return m[1].trim();
	const b = /^Basic\s+(.+)$/i.exec(auth);
	if (b) return Buffer.from(b[1], 'base64').toString('utf8').split(':')[0];
	return null;
}

function missingKey(): ApiError {
	return new ApiError(401, {
		type: 'invalid_request_error',
		message:
			"You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
	});
}

function badKey(key: string): ApiError {
	// Stripe shows the key's prefix and last four characters.
	const shown = key.length > 12 ? `${key.slice(0, 8)}${'*'.repeat(key.length - 12)}${key.slice(-4)}` : `${key.slice(0, 3)}***`;
	return new ApiError(401, { type: 'invalid_request_error', message: `Invalid API Key provided: ${shown}` });
}

function rateLimited(reason: string): ApiError {
	return new ApiError(
		429,
		{
			type: 'invalid_request_error',
			code: 'rate_limit',
			doc_url: 'https://stripe.com/docs/error-codes/rate-limit',
			message: 'Request rate limit exceeded. You can learn more about rate limits here https://stripe.com/docs/rate-limits.',
		},
		{ 'Stripe-Rate-Limited-Reason': reason },
	);
}

function sleep(ms: number): Promise<void> {
	return new Promise((r) => setTimeout(r, ms));
}

/** Applies `expand[]` paths (dotted, `data.` for lists) to a deep copy of the response. */
export function expandAll(world: World, result: Record<string, unknown>, paths: string[]): Record<string, unknown> {
	const copy = JSON.parse(JSON.stringify(result)) as Record<string, unknown>;
	for (const p of paths) {
		if (p.split('.').length > 4) throw invalidParam('expand', `You cannot expand more than 4 levels of a property (${p}).`);
		expandPath(world, copy, p.split('.'), p);
	}
	return copy;
}

function expandPath(world: World, node: unknown, path: string[], full: string): unknown {
	if (path.length === 0 || node === null || node === undefined) return node;
	if (Array.isArray(node)) return node.map((n) => expandPath(world, n, path, full));
	if (typeof node !== 'object') throw invalidParam('expand', `This property cannot be expanded (${full}).`);
	const obj = node as Record<string, unknown>;
	const [head, ...rest] = path;
	let child = obj[head];
	if (head === 'payments' && obj.object === 'invoice') {
		child = invoicePaymentsList(world, String(obj.id));
	} else if (typeof child === 'string') {
		const found = world.lookup(child);
		if (found === undefined) throw invalidParam('expand', `This property cannot be expanded (${full}).`);
		child = JSON.parse(JSON.stringify(found));
	} else if (child === undefined) {
		throw invalidParam('expand', `This property cannot be expanded (${full}).`);
	}
	obj[head] = expandPath(world, child, rest, full);
	return obj;
}

function invoicePaymentsList(world: World, invoiceId: string): unknown {
	const data = [...world.invoicePayments.values()].filter((p) => p.invoice === invoiceId).reverse();
	return { object: 'list', data: JSON.parse(JSON.stringify(data)), has_more: false, url: `/v1/invoice_payments?invoice=${invoiceId}` };
}

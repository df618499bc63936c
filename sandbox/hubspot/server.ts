/**
 * The HubSpot sandbox's HTTP layer: Bearer auth, the private-app rate limits with HubSpot's headers and 429 bodies,
 * JSON parsing, routing and the request log.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { CorrelationIds, HubSpotError, validation } from './errors';
import { DailyQuota, RollingWindow, type Window } from './rateLimit';
import type { Crm, Route } from './routes';

export interface ServerConfig {
	token: string;
	rateLimit: Window | false;
	searchRateLimit: Window | false;
	dailyLimit: number;
	seed: number;
}

export interface RequestRecord {
	method: string;
	path: string;
	status: number;
	at: number;
}

const MAX_BODY = 10 * 1024 * 1024;

/** HubSpot's 401 text for a missing or unknown token. */
const AUTH_MESSAGE = 'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview';

export class HubSpotServer {
	readonly http: Server;
	readonly log: RequestRecord[] = [];
	private burst: RollingWindow | null = null;
	private searchWindow: RollingWindow | null = null;
	private daily: DailyQuota;
	private ids: CorrelationIds;
	private sockets = new Set<Socket>();
	/** The private app's id, used in the 429 body's groupName as HubSpot does. */
	private readonly appId: number;

	constructor(
		private readonly crm: Crm,
		private readonly config: ServerConfig,
	) {
		this.ids = new CorrelationIds(config.seed);
		this.daily = new DailyQuota(config.dailyLimit);
		this.appId = 1_000_000 + (Math.abs(config.seed * 7919) % 9_000_000);
		this.setRateLimit(config.rateLimit, config.searchRateLimit);
		this.http = createServer((req, res) => {
			this.handle(req, res).catch((err: unknown) => {
				this.log.push({ method: (req.method ?? 'GET').toUpperCase(), path: new URL(req.url ?? '/', 'http://127.0.0.1').pathname, status: 500, at: Date.now() });
				if (!res.headersSent) this.send(res, 500, { status: 'error', message: `Sandbox internal error: ${String(err)}`, correlationId: this.ids.next(), category: 'INTERNAL_ERROR' });
			});
		});
		this.http.keepAliveTimeout = 5000;
		this.http.on('connection', (s) => {
			this.sockets.add(s);
			s.on('close', () => this.sockets.delete(s));
		});
	}

	setRateLimit(limit: Window | false, search: Window | false = this.config.searchRateLimit): void {
		this.config.rateLimit = limit;
		this.config.searchRateLimit = search;
		this.burst = limit ? new RollingWindow(limit) : null;
		this.searchWindow = limit && search ? new RollingWindow(search) : null;
	}

	destroySockets(): void {
		for (const s of this.sockets) s.destroy();
	}

	private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
		if (status === 204 || body === undefined) {
			res.writeHead(status, headers);
			res.end();
			return;
		}
		const json = JSON.stringify(body);
		res.writeHead(status, { 'Content-Type': 'application/json;charset=utf-8', 'Content-Length': Buffer.byteLength(json), ...headers });
		res.end(json);
	}

	private readBody(req: IncomingMessage): Promise<string> {
		return new Promise((resolve, reject) => {
			const chunks: Buffer[] = [];
			let size = 0;
			req.on('data', (c: Buffer) => {
				size += c.length;
				if (size > MAX_BODY) {
					reject(new HubSpotError(413, 'VALIDATION_ERROR', 'Request body too large.'));
					req.destroy();
					return;
				}
				chunks.push(c);
			});
			req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
			req.on('error', reject);
		});
	}

	private match(method: string, path: string): { route: Route; params: Record<string, string> } | { allowed: boolean } {
		let pathMatched = false;
		for (const route of this.crm.routes) {
			const m = route.pattern.exec(path);
			if (!m) continue;
			pathMatched = true;
			if (route.method !== method) continue;
			const params: Record<string, string> = {};
			route.keys.forEach((k, i) => (params[k] = decodeURIComponent(m[i + 1])));
			return { route, params };
		}
		return { allowed: pathMatched };
	}

	private rateHeaders(): Record<string, string> {
		const h: Record<string, string> = {
			'X-HubSpot-RateLimit-Daily': String(this.daily.max),
			'X-HubSpot-RateLimit-Daily-Remaining': String(this.daily.remaining()),
		};
		if (this.burst) {
			h['X-HubSpot-RateLimit-Interval-Milliseconds'] = String(this.burst.limit.intervalMs);
			h['X-HubSpot-RateLimit-Max'] = String(this.burst.limit.max);
			h['X-HubSpot-RateLimit-Remaining'] = String(this.burst.remaining());
		}
		return h;
	}

	private rateLimited(policy: 'DAILY' | 'TEN_SECONDLY_ROLLING' | 'SECONDLY'): Record<string, unknown> {
		const message = policy === 'DAILY' ? 'You have reached your daily limit.' : policy === 'SECONDLY' ? 'You have reached your secondly limit.' : 'You have reached your ten_secondly_rolling limit.';
		const groupName = policy === 'SECONDLY' ? `publicapi:crm-search:private-app:${this.appId}` : policy === 'DAILY' ? `publicapi:private-app:daily:${this.appId}` : `publicapi:private-app:burst:${this.appId}`;
		return { status: 'error', message, errorType: 'RATE_LIMIT', correlationId: this.ids.next(), policyName: policy, groupName };
	}

	private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const method = (req.method ?? 'GET').toUpperCase();
		const url = new URL(req.url ?? '/', 'http://127.0.0.1');
		const path = url.pathname;
		const record = (status: number) => this.log.push({ method, path, status, at: Date.now() });
		let raw = '';
		try {
			raw = await this.readBody(req);
		} catch (e) {
			if (!(e instanceof HubSpotError)) throw e;
			record(e.status);
			return this.send(res, e.status, e.body(this.ids.next()), { Connection: 'close' });
		}

		const auth = req.headers.authorization ?? '';
		const m = /^Bearer\s+(\S+)$/i.exec(auth);
		if (!m || m[1] !== this.config.token) {
			record(401);
			return this.send(res, 401, new HubSpotError(401, 'INVALID_AUTHENTICATION', AUTH_MESSAGE).body(this.ids.next()));
		}

		const found = this.match(method, path);
		const search = 'route' in found && found.route.search === true;

		// Limits: the daily quota, then the burst window; search has its own per-second window and no rate headers.
		if (this.burst || this.searchWindow) {
			let policy: 'DAILY' | 'TEN_SECONDLY_ROLLING' | 'SECONDLY' | null = null;
			if (this.daily.remaining() === 0) policy = 'DAILY';
			else if (search && this.searchWindow && this.searchWindow.remaining() === 0) policy = 'SECONDLY';
			else if (this.burst && this.burst.remaining() === 0) policy = 'TEN_SECONDLY_ROLLING';
			if (policy) {
				record(429);
				return this.send(res, 429, this.rateLimited(policy), search ? {} : this.rateHeaders());
			}
			this.burst?.take();
			if (search) this.searchWindow?.take();
		}
		if (!this.daily.take()) {
			record(429);
			return this.send(res, 429, this.rateLimited('DAILY'), search ? {} : this.rateHeaders());
		}
		const headers = search ? {} : this.rateHeaders();

		if (!('route' in found)) {
			const status = found.allowed ? 405 : 404;
			record(status);
			const message = found.allowed ? `HTTP method ${method} is not supported by this resource.` : `Unable to route ${method} ${path}: no such endpoint in HubSpot's CRM API (or the sandbox does not model it).`;
			return this.send(res, status, { status: 'error', message, correlationId: this.ids.next(), category: found.allowed ? 'METHOD_NOT_ALLOWED' : 'OBJECT_NOT_FOUND' }, headers);
		}

		let body: unknown = undefined;
		try {
			if (raw.trim() !== '') {
				try {
					body = JSON.parse(raw) as unknown;
				} catch (e) {
					throw validation(`Invalid input JSON on line 1: ${(e as Error).message}`);
				}
			} else if (['POST', 'PATCH', 'PUT'].includes(method) && !path.includes('/associations/default/')) {
				throw validation('Invalid input JSON: the request body is empty.');
			}
			const reply = found.route.handler({ params: found.params, query: url.searchParams, body });
			record(reply.status);
			return this.send(res, reply.status, reply.body, headers);
		} catch (e) {
			if (!(e instanceof HubSpotError)) throw e;
			record(e.status);
			return this.send(res, e.status, e.body(this.ids.next()), headers);
		}
	}
}

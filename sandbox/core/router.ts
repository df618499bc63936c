import type { IncomingHttpHeaders } from 'node:http';
import type { Params } from './params';

/** Which limiter a route draws from (Stripe limits meter events separately from other operations). */
export type Bucket = 'ops' | 'meter_events' | 'meter_stream';
/** How a route authenticates: the secret key, or a v2 meter event session token. */
export type AuthKind = 'secret' | 'session';

export interface Ctx {
	method: string;
	path: string;
	params: Params;
	pathParams: Record<string, string>;
	requestId: string;
	idempotencyKey: string | null;
	headers: IncomingHttpHeaders;
	apiMode: 'v1' | 'v2';
}

export type Handler = (ctx: Ctx) => unknown;

export interface Route {
	method: string;
	pattern: string;
	re: RegExp;
	names: string[];
	handler: Handler;
	bucket: Bucket;
	auth: AuthKind;
}

export class Router {
	private routes: Route[] = [];

	add(method: string, pattern: string, handler: Handler, opts: { bucket?: Bucket; auth?: AuthKind } = {}): void {
		const names: string[] = [];
		const re = new RegExp(
			'^' +
				pattern.replace(/:([a-z_]+)/g, (_m, n: string) => {
					names.push(n);
					return '([^/]+)';
				}) +
				'/?$',
		);
		this.routes.push({ method, pattern, re, names, handler, bucket: opts.bucket ?? 'ops', auth: opts.auth ?? 'secret' });
	}

	get(pattern: string, handler: Handler): void {
		this.add('GET', pattern, handler);
	}
	post(pattern: string, handler: Handler, opts?: { bucket?: Bucket; auth?: AuthKind }): void {
		this.add('POST', pattern, handler, opts);
	}
	del(pattern: string, handler: Handler): void {
		this.add('DELETE', pattern, handler);
	}

	match(method: string, path: string): { route: Route; pathParams: Record<string, string> } | null {
		for (const route of this.routes) {
			if (route.method !== method) continue;
			const m = route.re.exec(path);
			if (!m) continue;
			const pathParams: Record<string, string> = {};
			route.names.forEach((n, i) => (pathParams[n] = decodeURIComponent(m[i + 1])));
			return { route, pathParams };
		}
		return null;
	}

	/** True when some route has this path under another method (to answer 404 vs. unsupported). */
	list(): Route[] {
		return this.routes;
	}
}

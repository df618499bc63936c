import { randomUUID } from 'node:crypto';

import { encodeForm, type FormParams } from './form';
import {
	StripeConnectionError,
	StripeError,
	StripeLocalError,
	toStripeError,
	type StripeErrorBody,
} from './errors';
import { endpointKey } from './path';
import type { RequestLimiter } from './rateLimiter';
import { TransportFailure, redactSecrets, type HttpMethod, type HttpResponse, type RequestFn } from './transport';

/** Stripe's default API host. */
export const DEFAULT_BASE_URL = 'https://api.stripe.com';
/** The API version `stripe@23.1.0` pins; payload types we read are written against it. */
export const DEFAULT_API_VERSION = '2026-10-28.endive';

export interface RetryPolicy {
	/** Retries after the first attempt (default 3). */
	maxRetries: number;
	/** First backoff in ms (default 500, as stripe-node). */
	initialDelayMs: number;
	/** Cap of one backoff in ms (default 5,000). */
	maxDelayMs: number;
	/** Cap of the whole call, all attempts and waits, in ms (default 60,000). */
	maxTotalMs: number;
}

/**
 * Default time one attempt may take before it is abandoned and retried. stripe-node waits 80 s;
 * 30 s lets an attempt and a retry fit in the default 60 s budget of one call.
 */
export const DEFAULT_TIMEOUT_MS = 30000;

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
	maxRetries: 3,
	initialDelayMs: 500,
	maxDelayMs: 5000,
	maxTotalMs: 60000,
};

export interface StripeClientOptions {
	request: RequestFn;
	/** Defaults to https://api.stripe.com; the sandbox or a proxy can stand in. */
	baseUrl?: string;
	apiVersion?: string;
	/** Connected account (`Stripe-Account` header). */
	stripeAccount?: string;
	retry?: Partial<RetryPolicy>;
	/** Waits between retries; injected so tests need no timers. */
	sleep: (ms: number) => Promise<void>;
	/** Milliseconds clock for the total time budget (default: `Date.now`). */
	nowMs?: () => number;
	/** Random source in [0, 1) for jitter (default: `Math.random`). */
	random?: () => number;
	/** Generates idempotency keys (default: a random UUID). */
	idempotencyKey?: () => string;
	/** Milliseconds one attempt may take (default {@link DEFAULT_TIMEOUT_MS}); passed to the request function. */
	timeoutMs?: number;
	/**
	 * Awaited before every attempt, retries included. Share one per execution across all clients
	 * and calls of that execution (see `RateLimiter`).
	 */
	limiter?: RequestLimiter;
}

export interface RequestOptions {
	/** Deterministic key for this POST (reused across its retries). Generated when absent. */
	idempotencyKey?: string;
	stripeAccount?: string;
	apiVersion?: string;
	/** Send the body as JSON (Stripe's v2 APIs) instead of form encoding. */
	json?: boolean;
	/** Override the host for this call (e.g. Stripe's meter event stream host). */
	baseUrl?: string;
	/** Extra headers, e.g. a v2 session token as Authorization. */
	headers?: Record<string, string>;
	/** Milliseconds this call's attempts may each take (overrides the client's `timeoutMs`). */
	timeoutMs?: number;
	/** The rate limiter's key for this call (default: the endpoint, e.g. `POST /v1/invoices/:id/pay`). */
	limiterKey?: string;
	/**
	 * Told the HTTP status of every attempt (0: no answer) and its headers, e.g. to back off concurrency on 429s,
	 * or to see Stripe's `Idempotent-Replayed` (headers are lower-cased).
	 */
	onAttempt?: (status: number, headers?: Record<string, string>) => void;
}

export interface StripeList<T> {
	object: 'list';
	data: T[];
	has_more: boolean;
	url: string;
}

/** Filters on `created`, in unix seconds, as the list endpoints take them. */
export interface CreatedRange {
	gt?: number;
	gte?: number;
	lt?: number;
	lte?: number;
}

export interface ListParams extends FormParams {
	created?: CreatedRange & FormParams;
	limit?: number;
}

/** A page of a v2 list endpoint (https://docs.stripe.com/api-v2-overview, 2026). */
export interface StripeListV2<T> {
	data: T[];
	/** Path (with query) of the next page, or null on the last page. */
	next_page_url: string | null;
	previous_page_url?: string | null;
}

/** A page of a search endpoint such as `/v1/customers/search` (https://docs.stripe.com/search, 2026). */
export interface StripeSearchResult<T> {
	object: 'search_result';
	data: T[];
	has_more: boolean;
	/** Token for the next page, passed back as `page`. */
	next_page: string | null;
	url: string;
	total_count?: number;
}

export interface SearchParams extends FormParams {
	/** Stripe's search query language, e.g. `email:'jenny@example.com'`. */
	query: string;
	limit?: number;
	page?: string;
}

/** Connection-level failures that Stripe documents as safe to retry with an idempotency key. */
function isRetryableStatus(response: HttpResponse): boolean {
	const should = response.headers['stripe-should-retry'];
	if (should === 'false') return false;
	if (should === 'true') return true;
	// 409 is a lock_timeout or a concurrent idempotent request; 429 and 5xx are transient
	// (https://docs.stripe.com/error-low-level#server-errors, 2026).
	return response.status === 409 || response.status === 429 || response.status >= 500;
}

/**
 * A small typed Stripe client over an injected request function: form encoding, versions,
 * idempotency keys, retries with capped jittered backoff, typed errors and auto-pagination
 * (`list`, `listV2`, `search`).
 *
 * Each attempt gets `timeoutMs` and first awaits the optional `limiter` (retries too). Only
 * failures where no answer arrived (see `isNetworkError`) and Stripe's retryable statuses are
 * retried; anything else the request function throws fails the call at once as a
 * `StripeLocalError` with its own message. Errors keep a redacted `TransportFailure` as their
 * cause, never the transport's own error (which may hold the request's Authorization header).
 * Put ids into paths with `encodePath` (lib/stripe/path.ts).
 */
export class StripeClient {
	private readonly baseUrl: string;
	private readonly policy: RetryPolicy;
	private readonly nowMs: () => number;
	private readonly random: () => number;
	private readonly newKey: () => string;
	private readonly timeoutMs: number;

	constructor(private readonly options: StripeClientOptions) {
		this.baseUrl = (options.baseUrl || DEFAULT_BASE_URL).replace(/\/+$/, '');
		this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
		this.nowMs = options.nowMs ?? Date.now;
		this.random = options.random ?? Math.random;
		this.newKey = options.idempotencyKey ?? (() => `revops-${randomUUID()}`);
		this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
	}

	get<T>(path: string, params?: FormParams, options?: RequestOptions): Promise<T> {
		return this.request<T>('GET', path, params, options);
	}

	post<T>(path: string, params?: FormParams | object, options?: RequestOptions): Promise<T> {
		return this.request<T>('POST', path, params as FormParams, options);
	}

	del<T>(path: string, params?: FormParams, options?: RequestOptions): Promise<T> {
		return this.request<T>('DELETE', path, params, options);
	}

	/**
	 * Backoff before retry number `attempt` (1-based): exponential, capped at `maxDelayMs`, jittered
	 * to [½, 1]. A `Retry-After` from Stripe wins when it is longer, even above `maxDelayMs`: Stripe
	 * knows when capacity returns, and retrying sooner only earns another 429. Whether the wait fits
	 * is decided by the call's total budget (`maxTotalMs`): a wait that does not fit is not taken and
	 * the error surfaces at once.
	 */
	backoffMs(attempt: number, retryAfterSeconds?: number): number {
		const base = Math.min(this.policy.initialDelayMs * 2 ** (attempt - 1), this.policy.maxDelayMs);
		const jittered = Math.max(this.policy.initialDelayMs, base * 0.5 * (1 + this.random()));
		if (retryAfterSeconds !== undefined && retryAfterSeconds > 0) return Math.max(jittered, retryAfterSeconds * 1000);
		return jittered;
	}

	/** Sends one API call with retries; resolves with the parsed JSON body or throws a typed `StripeError`. */
	async request<T>(method: HttpMethod, path: string, params?: FormParams, options: RequestOptions = {}): Promise<T> {
		const base = (options.baseUrl ?? this.baseUrl).replace(/\/+$/, '');
		let url = `${base}${path}`;
		let body: string | undefined;
		const headers: Record<string, string> = { Accept: 'application/json' };
		const apiVersion = options.apiVersion ?? this.options.apiVersion;
		if (apiVersion) headers['Stripe-Version'] = apiVersion;
		const account = options.stripeAccount ?? this.options.stripeAccount;
		if (account) headers['Stripe-Account'] = account;
		if (method === 'POST' || (options.json && method === 'DELETE')) {
			if (options.json) {
				headers['Content-Type'] = 'application/json';
				body = JSON.stringify(params ?? {});
			} else {
				headers['Content-Type'] = 'application/x-www-form-urlencoded';
				body = encodeForm(params);
			}
			// Every POST carries a key, generated once and reused across this call's retries
			// (https://docs.stripe.com/api/idempotent_requests, 2026).
			headers['Idempotency-Key'] = options.idempotencyKey ?? this.newKey();
		} else {
			const query = encodeForm(params);
			if (query) url += (url.includes('?') ? '&' : '?') + query;
		}
		Object.assign(headers, options.headers);
		const timeoutMs = options.timeoutMs ?? this.timeoutMs;
		const limiterKey = options.limiterKey ?? endpointKey(method, path);

		const started = this.nowMs();
		for (let attempt = 0; ; attempt++) {
			await this.options.limiter?.acquire(limiterKey);
			let response: HttpResponse | undefined;
			let failure: TransportFailure | undefined;
			let thrown: unknown;
			try {
				response = await this.options.request({ method, url, headers: { ...headers }, body, timeoutMs });
			} catch (error) {
				// Keep only a redacted summary: n8n's and axios' errors carry the request config,
				// Authorization header included, in `config`, `request` and `cause`.
				thrown = error;
				failure = TransportFailure.from(error);
			}
			options.onAttempt?.(response ? response.status : 0, response?.headers);
			if (response && response.status >= 200 && response.status < 300) {
				return parseJson<T>(response);
			}
			if (failure && !failure.network) {
				// Not the network (a key of the wrong shape, a bad URL, a cancelled execution):
				// retrying cannot help, and the original message says what to fix.
				if (thrown instanceof StripeError) throw thrown;
				throw new StripeLocalError({ message: failure.message, type: 'local_error', code: failure.code, cause: failure });
			}
			const retryable = response ? isRetryableStatus(response) : true;
			const retryAfter = response ? Number(response.headers['retry-after']) : NaN;
			const waitMs = this.backoffMs(attempt + 1, Number.isFinite(retryAfter) ? retryAfter : undefined);
			const withinBudget = this.nowMs() - started + waitMs <= this.policy.maxTotalMs;
			if (retryable && attempt < this.policy.maxRetries && withinBudget) {
				await this.options.sleep(waitMs);
				continue;
			}
			if (!response) {
				throw new StripeConnectionError({
					message: `Could not reach Stripe at ${redactSecrets(base)} after ${attempt + 1} attempt(s): ${describe(failure)}. Check the Base URL in the credential and the network.`,
					type: 'api_connection_error',
					code: failure?.code,
					cause: failure,
				});
			}
			throw toStripeError(response.status, parseErrorBody(response), response.headers);
		}
	}

	/**
	 * Iterates every object of a list endpoint, newest first, fetching pages of `limit`
	 * (default 100, Stripe's maximum) with `starting_after`.
	 */
	async *list<T extends { id: string }>(path: string, params: ListParams = {}, options?: RequestOptions): AsyncGenerator<T> {
		let startingAfter: string | undefined = params.starting_after as string | undefined;
		for (;;) {
			const page: StripeList<T> = await this.get<StripeList<T>>(
				path,
				{ ...params, limit: params.limit ?? 100, starting_after: startingAfter },
				options,
			);
			for (const item of page.data) yield item;
			if (!page.has_more || page.data.length === 0) return;
			startingAfter = page.data[page.data.length - 1].id;
		}
	}

	/** Every object of a list endpoint, as an array (pages as {@link list} reads them). */
	async listAll<T extends { id: string }>(path: string, params: ListParams = {}, options?: RequestOptions): Promise<T[]> {
		const out: T[] = [];
		for await (const item of this.list<T>(path, params, options)) out.push(item);
		return out;
	}

	/**
	 * Iterates every object of a v2 list endpoint (e.g. `/v2/core/events`): the first page with
	 * `params`, then each `next_page_url` as Stripe returns it (a path whose query carries the page
	 * token and the filters) until it is null (https://docs.stripe.com/api-v2-overview, 2026).
	 */
	async *listV2<T>(path: string, params: FormParams = {}, options?: RequestOptions): AsyncGenerator<T> {
		let page = await this.get<StripeListV2<T>>(path, params, options);
		for (;;) {
			for (const item of page.data ?? []) yield item;
			if (!page.next_page_url) return;
			page = await this.get<StripeListV2<T>>(relativeUrl(page.next_page_url), undefined, options);
		}
	}

	/**
	 * Iterates every result of a search endpoint (`/v1/customers/search`, `/v1/invoices/search`, …):
	 * pages of `limit` (default 100, the maximum), then `page=<next_page>` while `has_more`
	 * (https://docs.stripe.com/search#pagination, 2026). Search results can lag writes by about a minute.
	 */
	async *search<T>(path: string, params: SearchParams, options?: RequestOptions): AsyncGenerator<T> {
		let page: string | undefined = params.page;
		for (;;) {
			const result: StripeSearchResult<T> = await this.get<StripeSearchResult<T>>(
				path,
				{ ...params, limit: params.limit ?? 100, page },
				options,
			);
			for (const item of result.data) yield item;
			if (!result.has_more || !result.next_page || result.data.length === 0) return;
			page = result.next_page;
		}
	}
}

/** A `next_page_url` as a path: Stripe returns one, but an absolute URL is reduced to its path and query. */
function relativeUrl(url: string): string {
	const match = /^https?:\/\/[^/]+(\/.*)?$/i.exec(url);
	if (match) return match[1] ?? '/';
	return url.startsWith('/') ? url : `/${url}`;
}

function describe(error: unknown): string {
	if (error instanceof Error) {
		const code = (error as { code?: string }).code;
		return code ? `${code} ${error.message}` : error.message;
	}
	return String(error);
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false; error: unknown } {
	try {
		return { ok: true, value: JSON.parse(text) };
	} catch (error) {
		return { ok: false, error };
	}
}

function parseJson<T>(response: HttpResponse): T {
	if (response.body === '') return {} as T;
	const parsed = tryParse(response.body);
	if (parsed.ok) return parsed.value as T;
	throw new StripeError({
		message: `Stripe answered HTTP ${response.status} with a body that is not JSON. Check that the Base URL points at the Stripe API.`,
		statusCode: response.status,
		requestId: response.headers['request-id'],
		headers: response.headers,
		cause: parsed.error,
	});
}

function parseErrorBody(response: HttpResponse): { error?: StripeErrorBody } {
	const parsed = tryParse(response.body);
	if (parsed.ok && parsed.value && typeof parsed.value === 'object') return parsed.value as { error?: StripeErrorBody };
	return { error: { message: `Stripe answered HTTP ${response.status}: ${response.body.slice(0, 200)}` } };
}

import { randomUUID } from 'node:crypto';

import { encodeForm, type FormParams } from './form';
import {
	StripeConnectionError,
	StripeError,
	toStripeError,
	type StripeErrorBody,
} from './errors';
import type { HttpMethod, HttpResponse, RequestFn } from './transport';

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
 * idempotency keys, retries with capped jittered backoff, typed errors and auto-pagination.
 */
export class StripeClient {
	private readonly baseUrl: string;
	private readonly policy: RetryPolicy;
	private readonly nowMs: () => number;
	private readonly random: () => number;
	private readonly newKey: () => string;

	constructor(private readonly options: StripeClientOptions) {
		this.baseUrl = (options.baseUrl || DEFAULT_BASE_URL).replace(/\/+$/, '');
		this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
		this.nowMs = options.nowMs ?? Date.now;
		this.random = options.random ?? Math.random;
		this.newKey = options.idempotencyKey ?? (() => `revops-${randomUUID()}`);
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

	/** Backoff before retry number `attempt` (1-based): exponential, capped, jittered to [½, 1]. */
	backoffMs(attempt: number, retryAfterSeconds?: number): number {
		const base = Math.min(this.policy.initialDelayMs * 2 ** (attempt - 1), this.policy.maxDelayMs);
		const jittered = Math.max(this.policy.initialDelayMs, base * 0.5 * (1 + this.random()));
		if (retryAfterSeconds !== undefined && retryAfterSeconds * 1000 <= this.policy.maxDelayMs) {
			return Math.max(jittered, retryAfterSeconds * 1000);
		}
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

		const started = this.nowMs();
		for (let attempt = 0; ; attempt++) {
			let response: HttpResponse | undefined;
			let failure: unknown;
			try {
				response = await this.options.request({ method, url, headers: { ...headers }, body });
			} catch (error) {
				failure = error;
			}
			if (response && response.status >= 200 && response.status < 300) {
				return parseJson<T>(response);
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
					message: `Could not reach Stripe at ${base} after ${attempt + 1} attempt(s): ${describe(failure)}. Check the Base URL in the credential and the network.`,
					type: 'api_connection_error',
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

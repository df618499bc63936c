/**
 * The one seam between the Stripe client and the network. Inside n8n it wraps
 * `httpRequestWithAuthentication`; in tests, benchmarks and tools it wraps Node's `fetch`.
 */
export type HttpMethod = 'GET' | 'POST' | 'DELETE';

export interface HttpRequest {
	method: HttpMethod;
	/** Absolute URL, query string included. */
	url: string;
	headers: Record<string, string>;
	/** Already encoded body (form or JSON), if any. */
	body?: string;
	/**
	 * Abandon the attempt after this many milliseconds. A request function must honour it (n8n's
	 * `IHttpRequestOptions.timeout`, `AbortSignal.timeout` for fetch) and then reject with an error
	 * {@link isNetworkError} recognises, so the client retries it.
	 */
	timeoutMs?: number;
}

export interface HttpResponse {
	status: number;
	/** Header names in lower case. */
	headers: Record<string, string>;
	/** The raw response text. */
	body: string;
}

/**
 * Sends one request. Resolves with any HTTP status (4xx and 5xx included); rejects when no
 * response arrived. Rejections that {@link isNetworkError} recognises (connection refused, reset,
 * DNS, timeout) are retried by the client; any other rejection (e.g. the credential refusing a
 * key of the wrong shape) fails the call at once with its own message.
 */
export type RequestFn = (request: HttpRequest) => Promise<HttpResponse>;

/**
 * Error codes of failures where no answer arrived, so the request may be sent again (with its
 * idempotency key): Node's socket and DNS errors, axios' timeout, undici's (fetch) socket errors.
 * The same set as n8n's own `isTransportFailure`/`isDnsFailure` (@n8n/backend-network 2.41).
 */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
	'ECONNABORTED',
	'ECONNREFUSED',
	'ECONNRESET',
	'EHOSTUNREACH',
	'ENETDOWN',
	'ENETUNREACH',
	'EPIPE',
	'ETIMEDOUT',
	'ESOCKETTIMEDOUT',
	'ENOTFOUND',
	'EAI_AGAIN',
	'ERR_NETWORK',
	'UND_ERR_SOCKET',
	'UND_ERR_CONNECT_TIMEOUT',
	'UND_ERR_HEADERS_TIMEOUT',
	'UND_ERR_BODY_TIMEOUT',
	'UND_ERR_CLOSED',
]);

/** axios codes for a request that was never valid or was cancelled on purpose: not a network failure. */
const NOT_NETWORK_CODES: ReadonlySet<string> = new Set([
	'ERR_CANCELED',
	'ERR_INVALID_URL',
	'ERR_BAD_OPTION',
	'ERR_BAD_OPTION_VALUE',
	'ERR_NOT_SUPPORT',
	'ERR_DEPRECATED',
	'ERR_BAD_REQUEST',
	'ERR_BAD_RESPONSE',
	'ERR_FR_TOO_MANY_REDIRECTS',
]);

/** `error`, its `cause`, the cause's cause… (bounded, cycle-safe). */
function* causes(error: unknown): Generator<Record<string, unknown>> {
	const seen = new Set<unknown>();
	for (let current = error; current !== null && typeof current === 'object' && !seen.has(current) && seen.size < 8; ) {
		seen.add(current);
		yield current as Record<string, unknown>;
		current = (current as { cause?: unknown }).cause;
	}
}

/**
 * True when `error` (or an error in its `cause` chain) says no answer arrived: a code from
 * {@link NETWORK_ERROR_CODES}, a timeout (`TimeoutError`, as `AbortSignal.timeout` raises), or an
 * axios error without a response whose code is not a cancel or a bad option. Everything else,
 * including a credential refusing to build the request, is not retried.
 */
export function isNetworkError(error: unknown): boolean {
	for (const entry of causes(error)) {
		if (entry instanceof TransportFailure) return entry.network;
		const code = typeof entry.code === 'string' ? entry.code : undefined;
		if (code && NOT_NETWORK_CODES.has(code)) return false;
		if (code && NETWORK_ERROR_CODES.has(code)) return true;
		if (entry.name === 'TimeoutError') return true;
		if (entry.isAxiosError === true && !entry.response && code === undefined) return true;
	}
	return false;
}

/** The first error code in `error`'s cause chain, if any. */
export function errorCode(error: unknown): string | undefined {
	for (const entry of causes(error)) {
		if (typeof entry.code === 'string' && entry.code) return entry.code;
	}
	return undefined;
}

// Stripe secret, restricted, publishable and webhook keys (https://docs.stripe.com/keys, 2026),
// and the credential part of any Authorization value.
const SECRET_PATTERNS: RegExp[] = [
	/\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9_]+/g,
	/\bwhsec_[A-Za-z0-9_]+/g,
	/\b(Bearer|Basic)\s+[^\s"',;]+/gi,
];

/** Replaces Stripe keys, signing secrets and Authorization credentials in `text` with `[redacted]`. */
export function redactSecrets(text: string): string {
	let out = text;
	for (const pattern of SECRET_PATTERNS) {
		out = out.replace(pattern, (match: string, scheme?: string) => (typeof scheme === 'string' ? `${scheme} [redacted]` : '[redacted]'));
	}
	return out;
}

/**
 * A failure of the transport reduced to what is safe to keep: a name, a code and a redacted
 * message, with no request config, headers or body (axios errors carry the `Authorization`
 * header in `config` and `request`). The client keeps only this as an error's `cause`.
 */
export class TransportFailure extends Error {
	readonly code?: string;
	/** True when no answer arrived and the request may be sent again. */
	readonly network: boolean;

	constructor(message: string, options: { code?: string; network: boolean; name?: string }) {
		super(redactSecrets(message));
		this.name = options.name ?? 'TransportFailure';
		this.code = options.code;
		this.network = options.network;
	}

	/** The safe summary of any thrown value (a `TransportFailure` is returned as is). */
	static from(error: unknown): TransportFailure {
		if (error instanceof TransportFailure) return error;
		const network = isNetworkError(error);
		const code = errorCode(error);
		return new TransportFailure(innermostMessage(error, network), { code, network, name: error instanceof Error ? error.name : undefined });
	}
}

/**
 * The most specific message: for a network failure the deepest cause's (n8n and fetch wrap the
 * socket error in a generic one), otherwise the outermost (n8n keeps a credential's message).
 */
function innermostMessage(error: unknown, network: boolean): string {
	let message = error instanceof Error ? error.message : String(error);
	if (!network) return message;
	for (const entry of causes(error)) {
		if (typeof entry.message === 'string' && entry.message && (entry.code !== undefined || entry.name === 'TimeoutError')) {
			message = entry.message;
		}
	}
	return message;
}

/** Lower-cases header names and joins repeated values. */
export function normalizeHeaders(headers: Record<string, unknown> | undefined): Record<string, string> {
	const out: Record<string, string> = {};
	if (!headers) return out;
	for (const [name, value] of Object.entries(headers)) {
		if (value === undefined || value === null) continue;
		out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
	}
	return out;
}

/** True when `headers` has `name`, in any letter case. */
export function hasHeader(headers: Record<string, unknown> | undefined, name: string): boolean {
	const lower = name.toLowerCase();
	return !!headers && Object.keys(headers).some((key) => key.toLowerCase() === lower);
}

/**
 * A transport over the global `fetch` (Node >= 18) that adds the Bearer key itself, unless the
 * call set its own `Authorization`. For tests, benchmarks and tools; n8n nodes authenticate
 * through n8n instead. `timeoutMs` aborts the attempt with `AbortSignal.timeout`; the rejection is
 * a network failure (code `ETIMEDOUT`) so the client retries it.
 */
export function fetchTransport(apiKey?: string): RequestFn {
	return async (request) => {
		const headers: Record<string, string> = { ...request.headers };
		if (apiKey && !hasHeader(headers, 'authorization')) headers.Authorization = `Bearer ${apiKey}`;
		const signal = request.timeoutMs && request.timeoutMs > 0 ? AbortSignal.timeout(request.timeoutMs) : undefined;
		let failure: TransportFailure | undefined;
		try {
			const response = await fetch(request.url, { method: request.method, headers, body: request.body, signal });
			const responseHeaders: Record<string, string> = {};
			response.headers.forEach((value, name) => {
				responseHeaders[name.toLowerCase()] = value;
			});
			return { status: response.status, headers: responseHeaders, body: await response.text() };
		} catch (error) {
			failure = signal?.aborted
				? new TransportFailure(`No answer within ${request.timeoutMs} ms`, { code: 'ETIMEDOUT', network: true, name: 'TimeoutError' })
				: TransportFailure.from(error);
		}
		throw failure;
	};
}

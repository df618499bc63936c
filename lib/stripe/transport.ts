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
}

export interface HttpResponse {
	status: number;
	/** Header names in lower case. */
	headers: Record<string, string>;
	/** The raw response text. */
	body: string;
}

/**
 * Sends one request. Resolves with any HTTP status (4xx and 5xx included);
 * rejects only when no response arrived (connection refused, reset, timeout).
 */
export type RequestFn = (request: HttpRequest) => Promise<HttpResponse>;

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

/**
 * A transport over the global `fetch` (Node >= 18) that adds the Bearer key itself.
 * For tests, benchmarks and tools; n8n nodes authenticate through n8n instead.
 */
export function fetchTransport(apiKey?: string): RequestFn {
	return async (request) => {
		const headers: Record<string, string> = { ...request.headers };
		if (apiKey && !headers.Authorization && !headers.authorization) headers.Authorization = `Bearer ${apiKey}`;
		const response = await fetch(request.url, { method: request.method, headers, body: request.body });
		const responseHeaders: Record<string, string> = {};
		response.headers.forEach((value, name) => {
			responseHeaders[name.toLowerCase()] = value;
		});
		return { status: response.status, headers: responseHeaders, body: await response.text() };
	};
}

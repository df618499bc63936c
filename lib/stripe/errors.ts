/**
 * Stripe's error body, mapped once at the transport boundary to typed errors
 * (the layering of stripe-node's `Error.ts`; types from https://docs.stripe.com/api/errors, 2026).
 */
export interface StripeErrorBody {
	type?: string;
	code?: string;
	decline_code?: string;
	advice_code?: string;
	message?: string;
	param?: string;
	doc_url?: string;
	request_log_url?: string;
	charge?: string;
	payment_intent?: { id?: string } & Record<string, unknown>;
	network_decline_code?: string;
}

export interface StripeErrorInit {
	message: string;
	statusCode?: number;
	type?: string;
	code?: string;
	declineCode?: string;
	adviceCode?: string;
	param?: string;
	requestId?: string;
	docUrl?: string;
	headers?: Record<string, string>;
	raw?: StripeErrorBody;
	cause?: unknown;
}

/** Base class of every error the Stripe transport raises. */
export class StripeError extends Error {
	readonly statusCode?: number;
	readonly type: string;
	readonly code?: string;
	readonly declineCode?: string;
	readonly adviceCode?: string;
	readonly param?: string;
	readonly requestId?: string;
	readonly docUrl?: string;
	readonly headers: Record<string, string>;
	readonly raw?: StripeErrorBody;

	constructor(init: StripeErrorInit) {
		super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
		this.name = new.target.name;
		this.statusCode = init.statusCode;
		this.type = init.type ?? 'api_error';
		this.code = init.code;
		this.declineCode = init.declineCode;
		this.adviceCode = init.adviceCode;
		this.param = init.param;
		this.requestId = init.requestId;
		this.docUrl = init.docUrl;
		this.headers = init.headers ?? {};
		this.raw = init.raw;
	}
}

/** A card was declined (HTTP 402, `type: card_error`): see `declineCode` and `adviceCode`. */
export class StripeCardError extends StripeError {}
/** Too many requests (HTTP 429). */
export class StripeRateLimitError extends StripeError {}
/** Bad parameters (HTTP 400/404, `type: invalid_request_error`): see `param`. */
export class StripeInvalidRequestError extends StripeError {}
/** The API key is missing, invalid or revoked (HTTP 401). */
export class StripeAuthenticationError extends StripeError {}
/** The key lacks permission for this call, e.g. a restricted key (HTTP 403). */
export class StripePermissionError extends StripeError {}
/** An idempotency key was reused with other parameters (`type: idempotency_error`). */
export class StripeIdempotencyError extends StripeError {}
/** Stripe had a problem (HTTP 5xx, `type: api_error`). */
export class StripeAPIError extends StripeError {}
/** The request did not complete: connection refused, reset or timed out (retried before it is thrown). */
export class StripeConnectionError extends StripeError {}
/**
 * The call failed on this side for a reason other than the network, so it was not retried: the
 * credential refused a key of the wrong shape, a path id was empty, the execution was cancelled.
 * Its message is the original one (secrets redacted); nodes report it as bad input.
 */
export class StripeLocalError extends StripeError {}

/** Maps an HTTP status and Stripe's error body to the matching typed error. */
export function toStripeError(
	statusCode: number,
	body: { error?: StripeErrorBody } | undefined,
	headers: Record<string, string> = {},
): StripeError {
	const raw = body?.error ?? {};
	const init: StripeErrorInit = {
		message: raw.message ?? `Stripe answered HTTP ${statusCode} without an error message`,
		statusCode,
		type: raw.type,
		code: raw.code,
		declineCode: raw.decline_code,
		adviceCode: raw.advice_code,
		param: raw.param,
		docUrl: raw.doc_url,
		requestId: headers['request-id'],
		headers,
		raw,
	};
	if (raw.type === 'idempotency_error') return new StripeIdempotencyError(init);
	if (raw.type === 'card_error' || statusCode === 402) return new StripeCardError({ ...init, type: raw.type ?? 'card_error' });
	if (statusCode === 429) return new StripeRateLimitError({ ...init, type: raw.type ?? 'invalid_request_error' });
	if (statusCode === 401) return new StripeAuthenticationError(init);
	if (statusCode === 403) return new StripePermissionError(init);
	if (raw.type === 'invalid_request_error' || statusCode === 400 || statusCode === 404) {
		return new StripeInvalidRequestError({ ...init, type: raw.type ?? 'invalid_request_error' });
	}
	return new StripeAPIError({ ...init, type: raw.type ?? 'api_error' });
}

/** Awaits a promise and returns its outcome as a value, so callers can branch on an error without a catch block. */
export async function settle<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
	try {
		return { ok: true, value: await promise };
	} catch (error) {
		return { ok: false, error };
	}
}

/** True for Stripe's 404 `resource_missing`. */
export function isMissing(error: unknown): boolean {
	return error instanceof StripeInvalidRequestError && error.statusCode === 404;
}

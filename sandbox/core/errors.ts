/** Stripe-shaped API errors: `{ error: { type, code, decline_code, advice_code, message, param } }`. */
export type StripeErrorType =
	| 'api_error'
	| 'card_error'
	| 'idempotency_error'
	| 'invalid_request_error'
	| 'rate_limit_error'
	| 'authentication_error';

export interface ErrorBody {
	type: StripeErrorType | string;
	message: string;
	code?: string;
	decline_code?: string;
	advice_code?: string;
	param?: string;
	doc_url?: string;
	[extra: string]: unknown;
}

export class ApiError extends Error {
	constructor(
		readonly status: number,
		readonly body: ErrorBody,
		readonly headers: Record<string, string> = {},
	) {
		super(body.message);
	}
}

const DOCS = 'https://stripe.com/docs/error-codes';

export function notFound(kind: string, id: string, param = 'id'): ApiError {
	return new ApiError(404, {
		type: 'invalid_request_error',
		code: 'resource_missing',
		doc_url: `${DOCS}/resource-missing`,
		message: `No such ${kind}: '${id}'`,
		param,
	});
}

export function missingParam(param: string): ApiError {
	return new ApiError(400, {
		type: 'invalid_request_error',
		code: 'parameter_missing',
		doc_url: `${DOCS}/parameter-missing`,
		message: `Missing required param: ${param}.`,
		param,
	});
}

export function invalidParam(param: string, message: string, code = 'parameter_invalid'): ApiError {
	return new ApiError(400, { type: 'invalid_request_error', code, message, param });
}

export function unknownParam(param: string): ApiError {
	return new ApiError(400, {
		type: 'invalid_request_error',
		code: 'parameter_unknown',
		doc_url: `${DOCS}/parameter-unknown`,
		message: `Received unknown parameter: ${param}`,
		param,
	});
}

export function invalidState(message: string, code?: string, status = 400): ApiError {
	return new ApiError(status, { type: 'invalid_request_error', ...(code ? { code } : {}), message });
}

export function unrecognizedUrl(method: string, path: string): ApiError {
	return new ApiError(404, {
		type: 'invalid_request_error',
		message: `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
	});
}

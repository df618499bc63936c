import {
	NodeApiError,
	NodeOperationError,
	sleep,
	type ICredentialDataDecryptedObject,
	type IExecuteFunctions,
	type IHookFunctions,
	type IHttpRequestMethods,
	type IHttpRequestOptions,
	type ILoadOptionsFunctions,
	type INode,
	type IPollFunctions,
	type IWebhookFunctions,
	type JsonObject,
} from 'n8n-workflow';

import {
	StripeClient,
	StripeError,
	StripeLocalError,
	TransportFailure,
	normalizeHeaders,
	stripeRateLimiter,
	type RequestFn,
	type RequestLimiter,
	type RetryPolicy,
} from '../../lib/stripe';

export const CREDENTIAL_NAME = 'stripeRevOpsApi';

export type StripeContext = IExecuteFunctions | IHookFunctions | IPollFunctions | IWebhookFunctions | ILoadOptionsFunctions;

interface FullResponse {
	body: unknown;
	headers: Record<string, unknown>;
	statusCode: number;
}

/**
 * The transport inside n8n: n8n's own HTTP helper, authenticated by the credential, with the
 * client's per-attempt timeout as n8n's `timeout`. What n8n throws (a NodeApiError around the axios
 * error, whose `config` holds the Authorization header; or around the credential's own error) is
 * reduced to a redacted {@link TransportFailure} that says whether it was the network.
 */
export function n8nRequestFn(context: StripeContext): RequestFn {
	return async (request) => {
		const options: IHttpRequestOptions = {
			method: request.method as IHttpRequestMethods,
			url: request.url,
			headers: request.headers,
			body: request.body,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			encoding: 'text',
			json: false,
			timeout: request.timeoutMs,
		};
		let response: FullResponse;
		try {
			response = (await context.helpers.httpRequestWithAuthentication.call(context, CREDENTIAL_NAME, options)) as FullResponse;
		} catch (error) {
			throw TransportFailure.from(error);
		}
		const body = typeof response.body === 'string' ? response.body : response.body === undefined ? '' : JSON.stringify(response.body);
		return { status: response.statusCode, headers: normalizeHeaders(response.headers), body };
	};
}

/** Client settings a node may set on top of the credential. */
export interface StripeClientExtras {
	/** Milliseconds one attempt may take (default 30,000). */
	timeoutMs?: number;
	/** One limiter per execution, shared by all calls of that execution (`stripeRateLimiter`). */
	limiter?: RequestLimiter;
}

/** A Stripe client for a node, configured from the Stripe RevOps API credential. */
export async function stripeClient(
	context: StripeContext,
	retry?: Partial<RetryPolicy>,
	extras: StripeClientExtras = {},
): Promise<{ client: StripeClient; credentials: ICredentialDataDecryptedObject }> {
	const credentials = await context.getCredentials(CREDENTIAL_NAME);
	const client = new StripeClient({
		request: n8nRequestFn(context),
		baseUrl: (credentials.baseUrl as string) || undefined,
		apiVersion: (credentials.apiVersion as string) || undefined,
		sleep: (ms) => sleep(ms),
		retry,
		timeoutMs: extras.timeoutMs,
		limiter: extras.limiter,
	});
	return { client, credentials };
}

/** What every item of one action-node execution shares: one client and one rate limiter. */
export interface ExecutionStripe {
	client: StripeClient;
	credentials: ICredentialDataDecryptedObject;
	limiter: RequestLimiter;
}

/**
 * The `shared` setup of an action node (see router.ts): one Stripe client whose calls all go
 * through one rate limiter sized for the credential's mode (live or test), so an execution stays
 * inside Stripe's limits instead of bouncing off 429s.
 */
export async function executionStripe(context: IExecuteFunctions, extras: Omit<StripeClientExtras, 'limiter'> = {}): Promise<ExecutionStripe> {
	const credentials = await context.getCredentials(CREDENTIAL_NAME);
	const limiter = stripeRateLimiter(String(credentials.secretKey ?? ''), { nowMs: () => Date.now(), sleep: async (ms) => await sleep(ms) });
	const { client } = await stripeClient(context, undefined, { ...extras, limiter });
	return { client, credentials, limiter };
}

/**
 * Turns a transport error into n8n's error, keeping Stripe's type, code, decline and advice codes,
 * param and request id. An n8n error passes through unchanged (never wrapped twice).
 */
export function toNodeError(node: INode, error: unknown, itemIndex?: number): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	// Failed on this side (a key of the wrong shape, an empty id): bad input, with the message that says what to fix.
	if (error instanceof StripeLocalError) return new NodeOperationError(node, error, { itemIndex });
	if (error instanceof StripeError) {
		const detail: JsonObject = {
			type: error.type,
			code: error.code ?? null,
			decline_code: error.declineCode ?? null,
			advice_code: error.adviceCode ?? null,
			param: error.param ?? null,
			request_id: error.requestId ?? null,
			message: error.message,
		};
		const parts = [
			error.code && `code ${error.code}`,
			error.declineCode && `decline code ${error.declineCode}`,
			error.adviceCode && `advice ${error.adviceCode}`,
			error.param && `parameter ${error.param}`,
			error.requestId && `request ${error.requestId}`,
		].filter(Boolean);
		return new NodeApiError(node, detail, {
			message: error.message,
			description: parts.length ? `Stripe ${error.type}: ${parts.join(', ')}` : `Stripe ${error.type}`,
			httpCode: error.statusCode ? String(error.statusCode) : undefined,
			itemIndex,
		});
	}
	return new NodeOperationError(node, error instanceof Error ? error : String(error), { itemIndex });
}

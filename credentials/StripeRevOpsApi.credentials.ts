import type {
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IHttpRequestOptions,
	INodeProperties,
	Icon,
} from 'n8n-workflow';

import { checkApiKeyShape } from '../lib/stripe/keys';
import { DEFAULT_API_VERSION, DEFAULT_BASE_URL } from '../lib/stripe/client';

/**
 * Stripe secret or restricted key, with the API host, version and connected account
 * used by every node of this package.
 */
export class StripeRevOpsApi implements ICredentialType {
	name = 'stripeRevOpsApi';

	displayName = 'Stripe RevOps API';

	icon: Icon = { light: 'file:stripeRevOps.svg', dark: 'file:stripeRevOps.dark.svg' };

	documentationUrl = 'https://docs.stripe.com/keys';

	properties: INodeProperties[] = [
		{
			displayName: 'API Key',
			name: 'secretKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			placeholder: 'sk_live_… or rk_live_…',
			description:
				'A secret key (sk_…) or, better, a restricted key (rk_…) with the permissions the nodes need. Developers → API keys in the Stripe Dashboard.',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: DEFAULT_BASE_URL,
			description: 'Where API calls go. Keep the default for Stripe; change it for a proxy or the local Stripe sandbox.',
		},
		{
			displayName: 'API Version',
			name: 'apiVersion',
			type: 'string',
			default: DEFAULT_API_VERSION,
			description:
				'Stripe-Version sent with every call and set on webhook endpoints this package creates, so payloads match what the nodes read',
		},
		{
			displayName: 'Connected Account',
			name: 'stripeAccount',
			type: 'string',
			default: '',
			placeholder: 'acct_…',
			description: 'Optional. Act on behalf of this Stripe Connect account (Stripe-Account header).',
		},
	];

	/**
	 * Adds the Bearer key, version and account; a key of the wrong shape is refused with a message
	 * that says why (n8n reports it as the node's error; it is not retried). A call that already
	 * carries `Authorization` keeps it: the v2 meter event stream authenticates with the session
	 * token from `POST /v2/billing/meter_event_session`, not the API key. The key's shape is still
	 * checked, so a broken credential fails the same way on every call.
	 */
	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> {
		const key = String(credentials.secretKey ?? '');
		const problem = checkApiKeyShape(key);
		if (problem) throw new Error(problem);
		const headers: Record<string, string> = { ...(requestOptions.headers as Record<string, string>) };
		const has = (name: string) => Object.keys(headers).some((header) => header.toLowerCase() === name.toLowerCase());
		if (!has('Authorization')) headers.Authorization = `Bearer ${key}`;
		if (credentials.apiVersion && !has('Stripe-Version')) headers['Stripe-Version'] = String(credentials.apiVersion);
		if (credentials.stripeAccount && !has('Stripe-Account')) headers['Stripe-Account'] = String(credentials.stripeAccount);
		return { ...requestOptions, headers };
	}

	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.baseUrl || "https://api.stripe.com"}}',
			url: '/v1/balance',
			method: 'GET',
		},
		rules: [
			{
				type: 'responseCode',
				properties: {
					value: 401,
					message: 'Stripe rejected this API key (401). Check that it is complete, not revoked, and from the right account and mode (live or test).',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 403,
					message: 'This restricted key may not read the balance. Give it at least "Balance: Read", plus what the nodes you use need.',
				},
			},
		],
	};
}

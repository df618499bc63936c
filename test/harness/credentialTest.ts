/**
 * Runs a credential type's `test` the way n8n's "Test" button does: resolve the request's
 * expressions with `$credentials`, authenticate it with the credential type, send it, and
 * apply the `rules` (a matching response code gives that rule's message).
 */
import type { ICredentialDataDecryptedObject, ICredentialType, IHttpRequestOptions } from 'n8n-workflow';

import { buildWorkflow, loadPackages } from './n8n';

export interface CredentialTestResult {
	status: 'OK' | 'Error';
	message: string;
	httpStatus?: number;
}

export async function testCredential(type: string, data: ICredentialDataDecryptedObject): Promise<CredentialTestResult> {
	const loaders = await loadPackages();
	const loader = Object.values(loaders).find((l) => type in l.known.credentials);
	if (!loader) throw new Error(`Unknown credential type ${type}`);
	const credentialType: ICredentialType = loader.getCredential(type).type;
	const test = credentialType.test;
	if (!test) throw new Error(`${type} has no test request`);

	const workflow = await buildWorkflow({
		nodes: [{ id: '1', name: 'Test', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [0, 0], parameters: {} }],
		connections: {},
	});
	const node = workflow.getNode('Test')!;
	const resolve = (value: string | undefined) =>
		value === undefined ? undefined : String(workflow.expression.getSimpleParameterValue(node, value, 'internal', { $credentials: data }));

	let request: IHttpRequestOptions = {
		baseURL: resolve(test.request.baseURL),
		url: resolve(test.request.url) ?? '',
		method: test.request.method ?? 'GET',
		headers: {},
	};
	try {
		if (typeof credentialType.authenticate === 'function') request = await credentialType.authenticate(data, request);
	} catch (error) {
		return { status: 'Error', message: (error as Error).message };
	}
	const response = await fetch(`${request.baseURL ?? ''}${request.url}`, {
		method: request.method,
		headers: request.headers as Record<string, string>,
	});
	for (const rule of test.rules ?? []) {
		if (rule.type === 'responseCode' && rule.properties.value === response.status) {
			return { status: 'Error', message: rule.properties.message, httpStatus: response.status };
		}
	}
	if (!response.ok) return { status: 'Error', message: `HTTP ${response.status}`, httpStatus: response.status };
	return { status: 'OK', message: 'Connection tested successfully', httpStatus: response.status };
}

/**
 * A real n8n-core node context (PollContext) whose credentials helper authenticates with this
 * package's credential class from source, so `httpRequestWithAuthentication`, n8n's error wrapping
 * and its axios transport run exactly as in n8n, without needing dist/.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

process.env.N8N_USER_FOLDER ??= mkdtempSync(path.join(tmpdir(), 'revops-n8n-'));
process.env.N8N_DIAGNOSTICS_ENABLED = 'false';

import { PollContext } from 'n8n-core';
import {
	ICredentialsHelper,
	Workflow,
	type ICredentialDataDecryptedObject,
	type ICredentials,
	type IHttpRequestOptions,
	type INode,
	type INodeType,
	type INodeTypes,
	type IWorkflowExecuteAdditionalData,
} from 'n8n-workflow';

import { StripeRevOpsApi } from '../../../credentials/StripeRevOpsApi.credentials';

const NODE_TYPE: INodeType = {
	description: {
		displayName: 'Probe',
		name: 'probe',
		group: ['trigger'],
		version: 1,
		description: 'test probe',
		defaults: { name: 'Probe' },
		inputs: [],
		outputs: ['main'],
		polling: true,
		credentials: [{ name: 'stripeRevOpsApi', required: true }],
		properties: [],
	},
	async poll() {
		return null;
	},
} as unknown as INodeType;

class Types implements INodeTypes {
	getByName() {
		return NODE_TYPE;
	}
	getByNameAndVersion() {
		return NODE_TYPE;
	}
	getKnownTypes() {
		return {};
	}
}

/** Every request the credential authenticated, as n8n would send it. */
export const authenticated: IHttpRequestOptions[] = [];

class Helper extends ICredentialsHelper {
	constructor(private readonly data: ICredentialDataDecryptedObject) {
		super();
	}
	getParentTypes(): string[] {
		return [];
	}
	isCredentialUsableByNode(): boolean {
		return true;
	}
	async authenticate(credentials: ICredentialDataDecryptedObject, _type: string, requestOptions: IHttpRequestOptions): Promise<IHttpRequestOptions> {
		const out = await new StripeRevOpsApi().authenticate(credentials, requestOptions);
		authenticated.push(out);
		return out;
	}
	async preAuthentication(): Promise<undefined> {
		return undefined;
	}
	async runPreAuthentication(): Promise<undefined> {
		return undefined;
	}
	async getCredentials(): Promise<ICredentials> {
		throw new Error('not used');
	}
	async getDecrypted(): Promise<ICredentialDataDecryptedObject> {
		return { ...this.data };
	}
	async updateCredentials(): Promise<void> {}
	async updateCredentialsOauthTokenData(): Promise<void> {}
	getCredentialsProperties() {
		return [];
	}
}

/** A PollContext for a node that uses the Stripe RevOps API credential with `data`. */
export function n8nContext(data: ICredentialDataDecryptedObject): PollContext {
	const node: INode = {
		id: '1',
		name: 'Probe',
		type: 'test.probe',
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
		credentials: { stripeRevOpsApi: { id: '1', name: 'Stripe' } },
	};
	const workflow = new Workflow({ id: 'w', name: 'w', nodes: [node], connections: {}, nodeTypes: new Types(), active: false });
	const additionalData = { credentialsHelper: new Helper(data), executionId: '1', variables: {} } as unknown as IWorkflowExecuteAdditionalData;
	return new PollContext(workflow, node, additionalData, 'trigger', 'activate');
}

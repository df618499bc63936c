/**
 * The packed package in a real n8n 2.41.1 (Node 24): n8n knows its credential and node types, its
 * credentials and workflows import with the n8n CLI, the credential's Test button tells a good key from a
 * bad one, and n8n's own HTTP Request node authenticates with it.
 */
import { KEY_ERRORS } from '../../lib/stripe/keys';
import { startRecordingServer, type RecordingServer } from '../helpers/recordingServer';
import { startN8n, type N8nInstance } from './helpers/n8n';
import { declaredCredentials, declaredNodes, fixtureFiles, loadFixture, readPackageJson } from './helpers/package';

const GOOD_KEY = 'sk_test_e2eGoodKey4242';
const BALANCE = {
	object: 'balance',
	available: [{ amount: 666670, currency: 'usd', source_types: { card: 666670 } }],
	livemode: false,
	pending: [{ amount: 61414, currency: 'usd', source_types: { card: 61414 } }],
};

interface WorkflowJson {
	id: string;
	name: string;
	nodes: Array<{ name: string; type: string; typeVersion: number; credentials?: Record<string, { id: string; name: string }> }>;
}

interface CredentialJson {
	id: string;
	name: string;
	type: string;
	data: Record<string, string>;
}

let stripe: RecordingServer;
let n8n: N8nInstance;
let vars: Record<string, string>;
let credentials: CredentialJson[];
let credentialImport: { stdout: string; stderr: string };

beforeAll(async () => {
	// Stands in for api.stripe.com: the good key reads the balance, any other key gets Stripe's 401 body.
	stripe = await startRecordingServer((request) => {
		if (request.method === 'GET' && request.url.startsWith('/v1/balance')) {
			if (request.headers.authorization === `Bearer ${GOOD_KEY}`) return { status: 200, body: BALANCE };
			return {
				status: 401,
				body: { error: { type: 'invalid_request_error', message: 'Invalid API Key provided: sk_test_****0000' } },
			};
		}
		return { status: 404, body: { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${request.method}: ${request.url})` } } };
	});
	vars = { STRIPE_BASE_URL: stripe.url };
	n8n = await startN8n();
	// Imported here because the later tests use them; import:credentials throws when it fails.
	credentials = loadFixture<CredentialJson[]>('stripe-revops.credentials.json', vars);
	credentialImport = await n8n.importCredentials(credentials);
});

afterAll(async () => {
	await n8n?.stop();
	await stripe?.close();
});

describe('the packed package in a real n8n', () => {
	it('is unpacked where n8n loads community packages from', () => {
		expect(n8n.packageDir).toMatch(/\/\.n8n\/nodes\/node_modules\/n8n-nodes-stripe-revops$/);
	});

	it('registers every credential type listed in package.json, with its fields', async () => {
		const declared = declaredCredentials();
		expect(declared.map((credential) => credential.name)).toContain('stripeRevOpsApi');
		const known = new Map((await n8n.credentialTypes()).map((type) => [type.name, type]));
		for (const credential of declared) {
			const type = known.get(credential.name);
			expect(type).toBeDefined();
			expect(type!.properties.map((property) => property.name)).toEqual(expect.arrayContaining(credential.properties));
		}
	});

	it('registers exactly the node types listed in package.json, at their versions', async () => {
		const pkg = readPackageJson();
		const declared = declaredNodes();
		const known = (await n8n.nodeTypes()).filter((type) => type.name.startsWith(`${pkg.name}.`));
		// n8n also registers an AI-agent tool variant (`<type>Tool`) of every node with usableAsTool.
		const expected = declared.flatMap((node) => (node.usableAsTool ? [node.type, `${node.type}Tool`] : [node.type]));
		expect(declared.filter((node) => node.usableAsTool).map((node) => node.name).sort()).toEqual(['stripeRevOpsBalanceExport', 'stripeRevOpsCrmSync', 'stripeRevOpsRevenueAnalytics', 'stripeRevOpsSmartRetry', 'stripeRevOpsUsageReport']);
		expect(known.map((type) => type.name).sort()).toEqual(expected.sort());
		for (const node of declared) {
			const versions = known.filter((type) => type.name === node.type).flatMap((type) => (Array.isArray(type.version) ? type.version : [type.version]));
			expect(versions.sort((a, b) => a - b)).toEqual(expect.arrayContaining(node.versions));
		}
	});

	it('imports credentials with n8n import:credentials and keeps their non-secret fields', async () => {
		const fields = new Set(declaredCredentials().find((credential) => credential.name === 'stripeRevOpsApi')!.properties);
		for (const credential of credentials) {
			// A fixture field the credential does not have means the fixture drifted from the credential.
			expect(Object.keys(credential.data).filter((key) => !fields.has(key))).toEqual([]);
		}
		expect(credentialImport.stdout + credentialImport.stderr).toMatch(/Successfully imported 2 credentials/);

		const stored = await n8n.rest<Array<{ id: string; type: string; name: string }>>('GET', '/rest/credentials');
		for (const credential of credentials) {
			expect(stored).toContainEqual(expect.objectContaining({ id: credential.id, type: 'stripeRevOpsApi', name: credential.name }));
		}
		const good = await n8n.rest<{ data: Record<string, unknown> }>('GET', '/rest/credentials/e2eStripeGood001?includeData=true');
		expect(good.data).toMatchObject({ baseUrl: stripe.url, apiVersion: '2026-10-28.endive' });
		// The key is encrypted at rest and never sent back in clear.
		expect(JSON.stringify(good.data)).not.toContain(GOOD_KEY);
	});

	it("runs the credential's test request (the Test button): a good key passes, a revoked key and a publishable key fail", async () => {
		// As the editor does: send back the stored data, where n8n has replaced the secret with a placeholder.
		const testStored = async (id: string) => {
			const stored = await n8n.rest<{ id: string; name: string; type: string; data: Record<string, unknown> }>(
				'GET',
				`/rest/credentials/${id}?includeData=true`,
			);
			return await n8n.rest<{ status: string; message: string }>('POST', '/rest/credentials/test', {
				credentials: { id: stored.id, name: stored.name, type: stored.type, data: stored.data },
			});
		};
		const before = stripe.requests.length;

		const good = await testStored('e2eStripeGood001');
		expect(good.status).toBe('OK');
		const sent = stripe.requests.slice(before);
		expect(sent).toHaveLength(1);
		expect(sent[0]).toMatchObject({ method: 'GET', url: '/v1/balance' });
		expect(sent[0].headers.authorization).toBe(`Bearer ${GOOD_KEY}`);
		expect(sent[0].headers['stripe-version']).toBe('2026-10-28.endive');

		const revoked = await testStored('e2eStripeBad0001');
		const rule401 = declaredCredentials()
			.find((credential) => credential.name === 'stripeRevOpsApi')!
			.testRules.find((rule) => rule.type === 'responseCode' && rule.properties.value === 401);
		expect(revoked).toEqual({ status: 'Error', message: rule401?.properties.message });
		// n8n tries a failing credential test twice.
		const revokedRequests = stripe.requests.slice(before + 1);
		expect(revokedRequests.length).toBeGreaterThanOrEqual(1);
		expect(revokedRequests.map((request) => request.headers.authorization)).toEqual(
			revokedRequests.map(() => 'Bearer sk_test_e2eRevokedKey0000'),
		);
		const afterRevoked = stripe.requests.length;

		// A key of the wrong shape is explained by the credential itself, without a request to Stripe.
		const publishable = await n8n.rest<{ status: string; message: string }>('POST', '/rest/credentials/test', {
			credentials: {
				id: '',
				name: 'publishable key',
				type: 'stripeRevOpsApi',
				data: { secretKey: 'pk_test_e2ePublishable', baseUrl: stripe.url, apiVersion: '2026-10-28.endive', stripeAccount: '' },
			},
		});
		expect(publishable).toEqual({ status: 'Error', message: KEY_ERRORS.publishable });
		expect(stripe.requests.length).toBe(afterRevoked);
	});

	it.each(fixtureFiles('.workflow.json'))('imports %s with n8n import:workflow; n8n knows all its node types', async (file) => {
		// Other tests' fixtures may hold placeholders of their own: importing does not need their values.
		const workflow = loadFixture<WorkflowJson>(file, vars, { keepUnknown: true });
		const outcome = await n8n.importWorkflow(workflow);
		expect(outcome.stdout + outcome.stderr).toMatch(/Successfully imported 1 workflow/);

		const stored = await n8n.rest<WorkflowJson>('GET', `/rest/workflows/${workflow.id}`);
		expect(stored.nodes.map((node) => node.type)).toEqual(workflow.nodes.map((node) => node.type));
		const known = await n8n.nodeTypes();
		const unknown = workflow.nodes.filter(
			(node) => !known.some((type) => type.name === node.type && ([] as number[]).concat(type.version).includes(node.typeVersion)),
		);
		expect(unknown.map((node) => `${node.type}@${node.typeVersion}`)).toEqual([]);
	});

	it('imports a workflow holding every node of the package', async () => {
		const nodes = declaredNodes();
		const workflow = {
			id: 'e2eEveryNode0001',
			name: 'E2E: every node of the package',
			nodes: [
				{ id: 'every-0', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
				...nodes.map((node, index) => ({
					id: `every-${index + 1}`,
					name: node.name,
					type: node.type,
					typeVersion: node.versions[node.versions.length - 1],
					position: [220 * (index + 1), 0],
					parameters: {},
					credentials: { stripeRevOpsApi: { id: 'e2eStripeGood001', name: 'Stripe RevOps (e2e, good key)' } },
				})),
			],
			connections: {},
			settings: { executionOrder: 'v1' },
			active: false,
		};
		await n8n.importWorkflow(workflow);
		const stored = await n8n.rest<WorkflowJson>('GET', `/rest/workflows/${workflow.id}`);
		expect(stored.nodes.map((node) => `${node.type}@${node.typeVersion}`)).toEqual(workflow.nodes.map((node) => `${node.type}@${node.typeVersion}`));
	});

	it("authenticates n8n's HTTP Request node with the credential (n8n execute)", async () => {
		await n8n.importWorkflow(loadFixture('credential-request.workflow.json', vars));
		const before = stripe.requests.length;
		const execution = await n8n.executeWorkflow('e2eCredRequest01');
		expect(execution.status).toBe('success');
		const output = execution.data.resultData.runData['Read balance'][0].data!.main![0]!;
		expect(output.map((item) => item.json)).toEqual([BALANCE]);
		const sent = stripe.requests.slice(before);
		expect(sent).toHaveLength(1);
		expect(sent[0].headers.authorization).toBe(`Bearer ${GOOD_KEY}`);
	});
});

import { checkApiKeyShape, KEY_ERRORS } from '../../lib/stripe/keys';
import { StripeRevOpsApi } from '../../credentials/StripeRevOpsApi.credentials';
import { testCredential } from '../harness/credentialTest';
import { startRecordingServer, type RecordingServer } from '../helpers/recordingServer';

const GOOD = 'sk_test_good_1234567890';

let server: RecordingServer;
beforeAll(async () => {
	// Answers like Stripe: 200 with a balance for the known key, 401 with Stripe's body otherwise.
	server = await startRecordingServer((req) =>
		req.headers.authorization === `Bearer ${GOOD}`
			? { status: 200, body: { object: 'balance', available: [{ amount: 0, currency: 'usd' }], pending: [], livemode: false } }
			: { status: 401, body: { error: { type: 'invalid_request_error', message: 'Invalid API Key provided: sk_test_****' } } },
	);
});
afterAll(() => server.close());

const data = (secretKey: string, extra: Record<string, string> = {}) => ({
	secretKey,
	baseUrl: server.url,
	apiVersion: '2026-10-28.endive',
	stripeAccount: '',
	...extra,
});

test('a good key passes the credential test with GET /v1/balance, version header sent', async () => {
	const result = await testCredential('stripeRevOpsApi', data(GOOD));
	expect(result).toMatchObject({ status: 'OK', httpStatus: 200 });
	const last = server.requests[server.requests.length - 1];
	expect(last.method).toBe('GET');
	expect(last.url).toBe('/v1/balance');
	expect(last.headers['stripe-version']).toBe('2026-10-28.endive');
	expect(last.headers['stripe-account']).toBeUndefined();
});

test('a wrong key of the right shape is told apart: Stripe answers 401 and the rule explains it', async () => {
	const result = await testCredential('stripeRevOpsApi', data('sk_test_revoked_000000'));
	expect(result.status).toBe('Error');
	expect(result.httpStatus).toBe(401);
	expect(result.message).toMatch(/rejected this API key/);
});

test('a connected account is sent as Stripe-Account', async () => {
	await testCredential('stripeRevOpsApi', data(GOOD, { stripeAccount: 'acct_1Abc' }));
	expect(server.requests[server.requests.length - 1].headers['stripe-account']).toBe('acct_1Abc');
});

test.each([
	['pk_test_abc123', KEY_ERRORS.publishable],
	['whsec_abc123', KEY_ERRORS.webhookSecret],
	[' sk_test_abc123', KEY_ERRORS.whitespace],
	['sk_test_abc123\n', KEY_ERRORS.whitespace],
	['', KEY_ERRORS.empty],
	['abc123', KEY_ERRORS.shape],
	['sk_prod_abc', KEY_ERRORS.shape],
])('a key of the wrong shape (%j) is refused before any request, saying why', async (key, message) => {
	const before = server.requests.length;
	const result = await testCredential('stripeRevOpsApi', data(key));
	expect(result).toEqual({ status: 'Error', message });
	expect(server.requests.length).toBe(before);
});

test.each(['sk_live_51Habc', 'sk_test_51Habc', 'rk_live_51Habc', 'rk_test_51Habc'])('%s has the right shape', (key) => {
	expect(checkApiKeyShape(key)).toBeUndefined();
});

describe('authenticate()', () => {
	const credential = new StripeRevOpsApi();
	const creds = { secretKey: GOOD, apiVersion: '2026-10-28.endive', stripeAccount: 'acct_1Abc' };

	test('adds the Bearer key, version and account to a request without Authorization', async () => {
		const out = await credential.authenticate(creds, { url: '/v1/balance', headers: { Accept: 'application/json' } });
		expect(out.headers).toEqual({
			Accept: 'application/json',
			Authorization: `Bearer ${GOOD}`,
			'Stripe-Version': '2026-10-28.endive',
			'Stripe-Account': 'acct_1Abc',
		});
	});

	// Item 18: the v2 meter event stream authenticates with the session token that
	// POST /v2/billing/meter_event_session returns, as a Bearer (Stripe API reference, v2 Billing Meter Event Stream, 2026).
	test.each(['Authorization', 'authorization'])('keeps an %s header the call set itself (v2 meter event session token)', async (name) => {
		const out = await credential.authenticate(creds, { url: '/v2/billing/meter_event_stream', headers: { [name]: 'Bearer ek_test_session_123' } });
		const headers = out.headers as Record<string, string>;
		const auth = Object.entries(headers).filter(([k]) => k.toLowerCase() === 'authorization');
		expect(auth).toEqual([[name, 'Bearer ek_test_session_123']]);
		expect(headers['Stripe-Version']).toBe('2026-10-28.endive');
	});

	test('still checks the key shape when the call brings its own Authorization', async () => {
		await expect(
			credential.authenticate({ ...creds, secretKey: 'pk_test_abc' }, { url: '/v2/billing/meter_event_stream', headers: { Authorization: 'Bearer ek_test_session_123' } }),
		).rejects.toThrow(KEY_ERRORS.publishable);
	});

	test('keeps Stripe-Version and Stripe-Account the call set, whatever their case', async () => {
		const out = await credential.authenticate(creds, { url: '/v1/balance', headers: { 'stripe-version': '2025-01-01', 'stripe-account': 'acct_other' } });
		const headers = out.headers as Record<string, string>;
		expect(headers['stripe-version']).toBe('2025-01-01');
		expect(headers['stripe-account']).toBe('acct_other');
		expect(headers['Stripe-Version']).toBeUndefined();
		expect(headers['Stripe-Account']).toBeUndefined();
	});
});

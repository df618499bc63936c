/**
 * The transport inside n8n: nodes/shared/stripeApi.ts over n8n-core's real
 * httpRequestWithAuthentication (its error wrapping and axios), with the credential from source.
 */
import { KEY_ERRORS, StripeConnectionError } from '../../../lib/stripe';
import { stripeClient, toNodeError } from '../../../nodes/shared/stripeApi';
import { startRecordingServer, type RecordingServer } from '../../helpers/recordingServer';
import { authenticated, n8nContext } from './n8nContext';
import { reachableStrings } from '../../helpers/reachableStrings';

const KEY = 'sk_test_n8nPathSecret000000000000';

let server: RecordingServer | undefined;
afterEach(async () => {
	await server?.close();
	server = undefined;
	authenticated.length = 0;
});


test('item 14: a key of the wrong shape fails at once inside n8n, with the credential message', async () => {
	server = await startRecordingServer(() => ({ status: 200, body: {} }));
	const context = n8nContext({ secretKey: 'pk_test_publishable_123', baseUrl: server.url, apiVersion: '2026-10-28.endive' });
	const { client } = await stripeClient(context, { maxRetries: 3, initialDelayMs: 1, maxDelayMs: 1 });
	const error = await client.get('/v1/balance').catch((e: unknown) => e);
	expect(server.requests).toHaveLength(0);
	expect(error).not.toBeInstanceOf(StripeConnectionError);
	expect((error as Error).message).toBe(KEY_ERRORS.publishable);
	const nodeError = toNodeError(context.getNode(), error);
	expect(nodeError.message).toBe(KEY_ERRORS.publishable);
});

test('item 7: a refused connection inside n8n is retried and surfaces without the key anywhere', async () => {
	// A port that was just free: nothing listens, so n8n's axios gets ECONNREFUSED.
	const closed = await startRecordingServer(() => ({ status: 200 }));
	const url = closed.url;
	await closed.close();
	const context = n8nContext({ secretKey: KEY, baseUrl: url, apiVersion: '2026-10-28.endive' });
	const { client } = await stripeClient(context, { maxRetries: 1, initialDelayMs: 1, maxDelayMs: 1 });
	const error = await client.post('/v1/customers', { email: 'a@example.com' }).catch((e: unknown) => e);
	expect(error).toBeInstanceOf(StripeConnectionError);
	expect((error as Error).message).toContain('after 2 attempt(s)');
	expect((error as Error).message).toContain('ECONNREFUSED');
	expect(authenticated).toHaveLength(2);
	const nodeError = toNodeError(context.getNode(), error);
	for (const value of [error, nodeError]) {
		expect(JSON.stringify(value)).not.toContain(KEY);
		for (const text of reachableStrings(value)) expect(text).not.toContain(KEY);
	}
});

test('item 15: the timeout reaches n8n\'s HTTP helper; a slow answer is abandoned and retried', async () => {
	server = await startRecordingServer(async (_r, i) => {
		if (i === 0) await new Promise((resolve) => setTimeout(resolve, 1500));
		return { status: 200, body: { object: 'balance' } };
	});
	const context = n8nContext({ secretKey: KEY, baseUrl: server.url, apiVersion: '2026-10-28.endive' });
	const { client } = await stripeClient(context, { maxRetries: 2, initialDelayMs: 1, maxDelayMs: 1 }, { timeoutMs: 300 });
	const started = Date.now();
	await expect(client.get('/v1/balance')).resolves.toEqual({ object: 'balance' });
	expect(Date.now() - started).toBeLessThan(1400);
	expect(authenticated[0].timeout).toBe(300);
	expect(server.requests).toHaveLength(2);
});

test('item 18: a call that sets its own Authorization keeps it through n8n (v2 meter event session token)', async () => {
	server = await startRecordingServer(() => ({ status: 200, body: {} }));
	const context = n8nContext({ secretKey: KEY, baseUrl: server.url, apiVersion: '2026-10-28.endive' });
	const { client } = await stripeClient(context);
	await client.post('/v2/billing/meter_event_stream', { events: [] }, { json: true, headers: { Authorization: 'Bearer session_token_123' } });
	await client.get('/v1/balance');
	expect(server.requests.map((r) => r.headers.authorization)).toEqual(['Bearer session_token_123', `Bearer ${KEY}`]);
});

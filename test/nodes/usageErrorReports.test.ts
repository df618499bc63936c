/**
 * Stripe validates meter events on the v2 stream asynchronously and reports bad ones as thin
 * events (`v1.billing.meter.no_meter_found`, `v1.billing.meter.error_report_triggered`). The
 * Stripe RevOps Trigger catches them from an event destination (Manual registration with the
 * destination's signing secret), as the README describes: here in-process against the sandbox.
 */
import Stripe from 'stripe';

import { startSandbox, type Sandbox } from '../../sandbox';
import { startWebhookHost, type WebhookHost } from '../harness/webhookHost';
import { triggerWorkflow } from './fixtures';

let sandbox: Sandbox;
let host: WebhookHost;

beforeAll(async () => {
	sandbox = await startSandbox({ seed: 12, rateLimits: false });
});
afterAll(async () => {
	await host?.close();
	await sandbox.close();
});

test('a stream event for no meter reaches the trigger as a thin v1.billing.meter.no_meter_found event', async () => {
	const stripe = new Stripe(sandbox.secretKey, { host: '127.0.0.1', port: sandbox.port, protocol: 'http', maxNetworkRetries: 0 });
	const credentials = { stripeRevOpsApi: { secretKey: sandbox.secretKey, baseUrl: sandbox.url, apiVersion: '2026-10-28.endive', stripeAccount: '' } };
	// The host's URL is known before the destination exists; the secret comes from the destination.
	const probe = await startWebhookHost(triggerWorkflow({ registration: 'manual', signingSecret: 'whsec_placeholder', events: ['*'] } as never, 'meter-errors'), { credentials });
	const url = probe.webhookUrl('Stripe RevOps Trigger');
	const port = Number(new URL(url).port);
	await probe.close();
	const destination = await stripe.v2.core.eventDestinations.create({
		name: 'meter errors',
		type: 'webhook_endpoint',
		event_payload: 'thin',
		enabled_events: ['v1.billing.meter.no_meter_found', 'v1.billing.meter.error_report_triggered'],
		webhook_endpoint: { url },
	});
	const secret = (destination as unknown as { webhook_endpoint: { signing_secret: string } }).webhook_endpoint.signing_secret;
	host = await startWebhookHost(triggerWorkflow({ registration: 'manual', signingSecret: secret, events: ['*'] } as never, 'meter-errors'), { credentials, port });
	await host.activate();

	const customer = await stripe.customers.create({ email: 'usage@example.com' });
	const session = await stripe.v2.billing.meterEventSession.create();
	await stripe.v2.billing.meterEventStream.create({ events: [{ event_name: 'typo_in_event_name', payload: { stripe_customer_id: customer.id, value: '1' } }] }, { apiKey: session.authentication_token });
	await sandbox.deliverWebhooks();
	await host.idle();
	const items = host.emitted.flat().map((i) => i.json);
	expect(items).toHaveLength(1);
	expect(items[0]).toMatchObject({ type: 'v1.billing.meter.no_meter_found' });
	expect(host.responses.map((r) => r.status)).toEqual([200]);
});

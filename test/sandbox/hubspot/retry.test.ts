/**
 * The client's retry on a TEN_SECONDLY_ROLLING 429. @hubspot/api-client waits a fixed 10 s before retrying that
 * policy, so this file holds the one slow test (Jest runs it beside the others).
 */
import { Client } from '@hubspot/api-client';
import { startHubSpotSandbox } from '../../../sandbox/hubspot';

it('@hubspot/api-client with numberOfApiCallRetries > 0 recovers from a burst 429', async () => {
	const sb = await startHubSpotSandbox({ rateLimit: { max: 2, intervalMs: 2000 } });
	const quiet = jest.spyOn(console, 'error').mockImplementation(() => undefined);
	try {
		const hs = new Client({ accessToken: sb.token, basePath: sb.url, numberOfApiCallRetries: 2 });
		await hs.crm.contacts.basicApi.create({ properties: { email: 'retry@example.com' }, associations: [] });
		await hs.crm.contacts.basicApi.getPage(1);
		const page = await hs.crm.contacts.basicApi.getPage(1);
		expect(page.results.map((r) => r.properties.email)).toEqual(['retry@example.com']);
		expect(sb.requests().map((r) => r.status)).toEqual([201, 200, 429, 200]);
		expect(quiet).toHaveBeenCalledWith(expect.stringContaining('[429]'));
	} finally {
		quiet.mockRestore();
		await sb.close();
	}
}, 30_000);

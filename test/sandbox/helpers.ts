import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import type { Sandbox } from '../../sandbox';

/** The official client pointed at a sandbox (no retries, so tests see every error). */
export function stripeClient(sandbox: Pick<Sandbox, 'port' | 'secretKey'>, opts: Partial<Stripe.StripeConfig> = {}): Stripe {
	return new Stripe(sandbox.secretKey, { host: '127.0.0.1', port: sandbox.port, protocol: 'http', maxNetworkRetries: 0, ...opts });
}

export interface Received {
	headers: IncomingHttpHeaders;
	body: string;
}

/** A local webhook receiver; `status` decides the answer for each delivery. */
export async function webhookReceiver(status: (r: Received, n: number) => number = () => 200): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
	const received: Received[] = [];
	const server: Server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			const r = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
			received.push(r);
			res.writeHead(status(r, received.length));
			res.end();
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const port = (server.address() as AddressInfo).port;
	return {
		url: `http://127.0.0.1:${port}/webhook`,
		received,
		close: () =>
			new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			}),
	};
}

/** Raw HTTP to the sandbox (for what the client hides: headers, bad auth, form bodies). */
export async function raw(sandbox: Pick<Sandbox, 'url' | 'secretKey'>, method: string, path: string, opts: { body?: string; headers?: Record<string, string>; auth?: string | null } = {}): Promise<{ status: number; headers: Headers; json: any }> {
	const headers: Record<string, string> = { ...(opts.headers ?? {}) };
	const auth = opts.auth === undefined ? `Bearer ${sandbox.secretKey}` : opts.auth;
	if (auth) headers.Authorization = auth;
	if (opts.body !== undefined && !headers['Content-Type']) headers['Content-Type'] = 'application/x-www-form-urlencoded';
	const res = await fetch(`${sandbox.url}${path}`, { method, headers, body: opts.body });
	const text = await res.text();
	return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null };
}

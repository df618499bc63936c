import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
	method: string;
	url: string;
	headers: IncomingMessage['headers'];
	body: string;
}

export interface Reply {
	status: number;
	headers?: Record<string, string>;
	body?: unknown;
	/** Destroy the socket without answering (a dropped connection). */
	drop?: boolean;
}

export type Responder = (request: RecordedRequest, index: number) => Reply | Promise<Reply>;

export interface RecordingServer {
	url: string;
	requests: RecordedRequest[];
	close(): Promise<void>;
}

/** A loopback HTTP server that records every request and answers from a responder. */
export async function startRecordingServer(responder: Responder): Promise<RecordingServer> {
	const requests: RecordedRequest[] = [];
	const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', async () => {
			const recorded: RecordedRequest = {
				method: req.method ?? 'GET',
				url: req.url ?? '/',
				headers: req.headers,
				body: Buffer.concat(chunks).toString('utf8'),
			};
			requests.push(recorded);
			const reply = await responder(recorded, requests.length - 1);
			if (reply.drop) {
				req.socket.destroy();
				return;
			}
			const text = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
			res.writeHead(reply.status, { 'Content-Type': 'application/json', 'Request-Id': `req_test_${requests.length}`, ...reply.headers });
			res.end(text);
		});
	});
	server.keepAliveTimeout = 1;
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		requests,
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
}

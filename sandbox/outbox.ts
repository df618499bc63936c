/**
 * The demo's outbox: where the workflows' emails, Slack messages and product / ERP calls land instead of the world.
 *
 * - `startSmtp()`: a minimal SMTP server (no auth, no TLS) that keeps every message (also used by the e2e tests).
 * - `startOutbox()`: that SMTP server plus an HTTP server that records every request to any path (a JSON body parsed,
 *   others as text) and answers 200 `{"ok":true}`; `GET /` is a page of the latest 200 messages and requests (newest
 *   first, refreshed every 5 s) and `GET /messages.json` all that are kept, newest first.
 *
 * Loopback only (127.0.0.1); dev tooling, not shipped.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';

// --- A minimal SMTP server (no auth, no TLS) that keeps every message. ---

export interface Mail {
	from: string;
	to: string[];
	raw: string;
	subject: string;
	/** The message with quoted-printable soft breaks and escapes undone (good enough to find a link in it). */
	decoded: string;
}

export interface SmtpServer {
	port: number;
	mails: Mail[];
	close(): Promise<void>;
}

function decodeQuotedPrintable(text: string): string {
	const bytes = text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
	return Buffer.from(bytes, 'latin1').toString('utf8');
}

function decodeHeader(value: string): string {
	return value.replace(/=\?([^?]+)\?([BQbq])\?([^?]*)\?=\s*/g, (_m, _charset: string, encoding: string, data: string) =>
		encoding.toUpperCase() === 'B' ? Buffer.from(data, 'base64').toString('utf8') : decodeQuotedPrintable(data.replace(/_/g, ' ')),
	);
}

function parseMail(from: string, to: string[], raw: string): Mail {
	const [head] = raw.split(/\r\n\r\n/);
	const unfolded = head.replace(/\r\n[ \t]+/g, ' ');
	const subjectLine = unfolded.split('\r\n').find((line) => /^subject:/i.test(line)) ?? '';
	return { from, to, raw, subject: decodeHeader(subjectLine.replace(/^subject:\s*/i, '')).trim(), decoded: decodeQuotedPrintable(raw) };
}

/**
 * Listens on 127.0.0.1 (`port` 0 = a free one); every message received is passed to `onMail` and kept in `mails`
 * (unless `keep: false`, for a long-running owner that keeps its own copy).
 */
export async function startSmtp(opts: { port?: number; onMail?: (mail: Mail) => void; keep?: boolean } = {}): Promise<SmtpServer> {
	const mails: Mail[] = [];
	const sockets = new Set<Socket>();
	const server: NetServer = createNetServer((socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
		socket.on('error', () => undefined);
		let buffer = '';
		let inData = false;
		let from = '';
		let to: string[] = [];
		const reply = (line: string) => socket.write(`${line}\r\n`);
		reply('220 127.0.0.1 ESMTP e2e');
		socket.on('data', (chunk: Buffer) => {
			buffer += chunk.toString('latin1');
			for (;;) {
				if (inData) {
					const end = buffer.indexOf('\r\n.\r\n');
					if (end === -1) return;
					const raw = Buffer.from(buffer.slice(0, end).replace(/\r\n\.\./g, '\r\n.'), 'latin1').toString('utf8');
					buffer = buffer.slice(end + 5);
					inData = false;
					const mail = parseMail(from, to, raw);
					if (opts.keep !== false) mails.push(mail);
					opts.onMail?.(mail);
					from = '';
					to = [];
					reply('250 OK: queued');
					continue;
				}
				const newline = buffer.indexOf('\r\n');
				if (newline === -1) return;
				const line = buffer.slice(0, newline);
				buffer = buffer.slice(newline + 2);
				const verb = line.slice(0, 4).toUpperCase();
				if (verb === 'EHLO') {
					reply('250-127.0.0.1');
					reply('250-8BITMIME');
					reply('250 SMTPUTF8');
				} else if (verb === 'HELO') reply('250 127.0.0.1');
				else if (verb === 'MAIL') {
					from = /<([^>]*)>/.exec(line)?.[1] ?? '';
					reply('250 OK');
				} else if (verb === 'RCPT') {
					to.push(/<([^>]*)>/.exec(line)?.[1] ?? '');
					reply('250 OK');
				} else if (verb === 'DATA') {
					inData = true;
					reply('354 End data with <CR><LF>.<CR><LF>');
				} else if (verb === 'QUIT') {
					reply('221 Bye');
					socket.end();
				} else reply('250 OK');
			}
		});
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
	});
	return {
		port: (server.address() as AddressInfo).port,
		mails,
		close: () =>
			new Promise<void>((resolve) => {
				for (const socket of sockets) socket.destroy();
				server.close(() => resolve());
			}),
	};
}

// --- The outbox: SMTP plus an HTTP catch-all, and a page to watch them. ---

export type OutboxMessage =
	| { id: number; kind: 'mail'; at: string; from: string; to: string[]; subject: string; text: string }
	| { id: number; kind: 'http'; at: string; method: string; path: string; contentType: string | null; body: unknown };

export interface OutboxOptions {
	/** HTTP port (default 0 = a free one). */
	port?: number;
	/** SMTP port (default 0 = a free one). */
	smtpPort?: number;
	/** How many messages and requests are kept, oldest dropped first (default 10,000). */
	keep?: number;
	/** Called for each message or request as it arrives. */
	onMessage?: (m: OutboxMessage) => void;
}

export interface Outbox {
	httpUrl: string;
	smtpPort: number;
	/** What is kept, oldest first. */
	messages(): OutboxMessage[];
	close(): Promise<void>;
}

/** Bodies above this are cut (the outbox is for looking at, not for storing uploads). */
const MAX_BODY = 1 << 20;
const PAGE_SIZE = 200;

function escapeHtml(s: string): string {
	return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** The readable part of a mail: the decoded body after the headers (multipart boundaries and all; it is a demo). */
function mailText(mail: Mail): string {
	const i = mail.decoded.search(/\r?\n\r?\n/);
	return (i === -1 ? mail.decoded : mail.decoded.slice(i).trim()).slice(0, 20_000);
}

function readBody(req: IncomingMessage): Promise<string> {
	return new Promise((resolve) => {
		const chunks: Buffer[] = [];
		let size = 0;
		req.on('data', (c: Buffer) => {
			if (size < MAX_BODY) chunks.push(c);
			size += c.length;
		});
		req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8').slice(0, MAX_BODY)));
		req.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
	});
}

function page(messages: OutboxMessage[]): string {
	const rows = messages
		.slice(-PAGE_SIZE)
		.reverse()
		.map((m) => {
			if (m.kind === 'mail') {
				return `<section class="mail"><h2>✉ ${escapeHtml(m.subject || '(no subject)')}</h2><p class="meta">#${m.id} ${escapeHtml(m.at)} · from ${escapeHtml(m.from)} to ${escapeHtml(m.to.join(', '))}</p><pre>${escapeHtml(m.text.slice(0, 4000))}</pre></section>`;
			}
			const body = typeof m.body === 'string' ? m.body : JSON.stringify(m.body, null, 2);
			return `<section class="http"><h2>${escapeHtml(m.method)} ${escapeHtml(m.path)}</h2><p class="meta">#${m.id} ${escapeHtml(m.at)}${m.contentType ? ` · ${escapeHtml(m.contentType)}` : ''}</p>${body ? `<pre>${escapeHtml(body.slice(0, 4000))}</pre>` : ''}</section>`;
		})
		.join('\n');
	return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5"><title>Outbox</title>
<style>body{font:14px system-ui,sans-serif;margin:1.5rem;max-width:70rem;color:#222}h1{font-size:1.3rem}h2{font-size:1rem;margin:0}
section{border:1px solid #ddd;border-radius:6px;padding:.6rem .8rem;margin:.6rem 0}.mail{border-left:4px solid #4a7}.http{border-left:4px solid #47a}
.meta{color:#666;margin:.2rem 0}pre{white-space:pre-wrap;word-break:break-word;background:#f7f7f7;padding:.5rem;margin:.3rem 0 0;max-height:20rem;overflow:auto}</style></head>
<body><h1>Outbox: emails and calls the workflows made</h1><p class="meta">${messages.length} kept; the latest ${Math.min(PAGE_SIZE, messages.length)} below, newest first. Refreshes every 5 s. <a href="/messages.json">messages.json</a></p>
${rows || '<p>Nothing yet.</p>'}
</body></html>
`;
}

export async function startOutbox(opts: OutboxOptions = {}): Promise<Outbox> {
	const keep = opts.keep ?? 10_000;
	if (!Number.isInteger(keep) || keep < 1) throw new Error(`outbox: keep must be a positive integer, got ${String(keep)}`);
	const kept: OutboxMessage[] = [];
	let seq = 0;
	const add = (m: OutboxMessage) => {
		kept.push(m);
		if (kept.length > keep) kept.splice(0, kept.length - keep);
		try {
			opts.onMessage?.(m);
		} catch {
			// A listener's failure does not lose the message.
		}
	};
	const smtp = await startSmtp({
		port: opts.smtpPort,
		keep: false,
		onMail: (mail) => add({ id: ++seq, kind: 'mail', at: new Date().toISOString(), from: mail.from, to: mail.to, subject: mail.subject, text: mailText(mail) }),
	});

	const http = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
		void (async () => {
			const path = req.url ?? '/';
			const method = req.method ?? 'GET';
			const bare = path.split('?')[0];
			if (method === 'GET' && bare === '/') {
				res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
				res.end(page(kept));
				return;
			}
			if (method === 'GET' && bare === '/messages.json') {
				res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
				res.end(JSON.stringify({ messages: [...kept].reverse() }));
				return;
			}
			if (method === 'GET' && bare === '/favicon.ico') {
				res.writeHead(404);
				res.end();
				return;
			}
			const text = await readBody(req);
			const contentType = req.headers['content-type'] ?? null;
			let body: unknown = text;
			if (contentType && /\bjson\b/i.test(contentType) && text) {
				try {
					body = JSON.parse(text) as unknown;
				} catch {
					body = text;
				}
			}
			add({ id: ++seq, kind: 'http', at: new Date().toISOString(), method, path, contentType, body });
			res.writeHead(200, { 'Content-Type': 'application/json' });
			res.end('{"ok":true}');
		})().catch(() => {
			if (!res.headersSent) res.writeHead(500);
			res.end();
		});
	});
	try {
		await new Promise<void>((resolve, reject) => {
			http.once('error', reject);
			http.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
		});
	} catch (e) {
		await smtp.close();
		throw e;
	}
	const port = (http.address() as AddressInfo).port;
	let closed = false;
	return {
		httpUrl: `http://127.0.0.1:${port}`,
		smtpPort: smtp.port,
		messages: () => [...kept],
		close: async () => {
			if (closed) return;
			closed = true;
			await Promise.all([
				smtp.close(),
				new Promise<void>((resolve) => {
					http.close(() => resolve());
					http.closeAllConnections();
				}),
			]);
		},
	};
}

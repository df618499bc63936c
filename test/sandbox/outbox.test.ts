import { connect } from 'node:net';
import { startOutbox, type Outbox } from '../../sandbox/outbox';

/** Speaks SMTP as a mail client does, one command per server reply. */
async function sendMail(port: number, from: string, to: string[], data: string): Promise<string[]> {
	const socket = connect(port, '127.0.0.1');
	const replies: string[] = [];
	let buffer = '';
	let waiting: ((line: string) => void) | null = null;
	socket.on('data', (chunk: Buffer) => {
		buffer += chunk.toString('utf8');
		for (;;) {
			const i = buffer.indexOf('\r\n');
			if (i === -1) return;
			const line = buffer.slice(0, i);
			buffer = buffer.slice(i + 2);
			replies.push(line);
			// Multi-line replies ("250-...") end with a line whose code is followed by a space.
			if (/^\d{3} /.test(line) && waiting) {
				const w = waiting;
				waiting = null;
				w(line);
			}
		}
	});
	const next = () => new Promise<string>((resolve) => (waiting = resolve));
	const send = async (line: string) => {
		const reply = next();
		socket.write(`${line}\r\n`);
		return reply;
	};
	await next();
	await send('EHLO test.example');
	await send(`MAIL FROM:<${from}>`);
	for (const r of to) await send(`RCPT TO:<${r}>`);
	await send('DATA');
	await send(`${data.replace(/\r?\n/g, '\r\n').replace(/\r\n\./g, '\r\n..')}\r\n.`);
	await send('QUIT');
	socket.destroy();
	return replies;
}

describe('outbox', () => {
	let outbox: Outbox;
	const seen: string[] = [];

	beforeAll(async () => {
		outbox = await startOutbox({ onMessage: (m) => seen.push(m.kind) });
	});
	afterAll(async () => {
		await outbox.close();
	});

	it('keeps a mail sent over SMTP, with its subject decoded', async () => {
		const replies = await sendMail(
			outbox.smtpPort,
			'billing@shop.example',
			['ada@acme.example', 'ops@acme.example'],
			['From: Billing <billing@shop.example>', 'To: ada@acme.example', 'Subject: =?UTF-8?Q?Zahlung_fehlgeschlagen_=E2=80=93_bitte_Karte_pr=C3=BCfen?=', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable', '', 'Hallo Ada,', '', 'bitte aktualisiere deine Karte: https://billing.example/p/=', 'session/abc <script>', '.leading dot'].join('\n'),
		);
		expect(replies).toContain('250 OK: queued');
		const mails = outbox.messages().filter((m) => m.kind === 'mail');
		expect(mails).toHaveLength(1);
		const mail = mails[0];
		if (mail.kind !== 'mail') throw new Error('not a mail');
		expect(mail.from).toBe('billing@shop.example');
		expect(mail.to).toEqual(['ada@acme.example', 'ops@acme.example']);
		expect(mail.subject).toBe('Zahlung fehlgeschlagen – bitte Karte prüfen');
		expect(mail.text).toContain('https://billing.example/p/session/abc');
		expect(mail.text).toContain('\n.leading dot');
	});

	it('records any HTTP request, JSON bodies parsed, and answers 200 {"ok":true}', async () => {
		const slack = await fetch(`${outbox.httpUrl}/slack/T000/B000/xyz`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text: 'Payment failed: <in_123> & more' }) });
		expect(slack.status).toBe(200);
		expect(await slack.json()).toEqual({ ok: true });
		const erp = await fetch(`${outbox.httpUrl}/erp/journal?batch=7`, { method: 'PUT', headers: { 'Content-Type': 'text/csv' }, body: 'date,amount\n2026-12-01,100\n' });
		expect(erp.status).toBe(200);
		const bad = await fetch(`${outbox.httpUrl}/product/access`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{not json' });
		expect(bad.status).toBe(200);
		const get = await fetch(`${outbox.httpUrl}/product/ping`);
		expect(await get.json()).toEqual({ ok: true });
		const http = outbox.messages().filter((m) => m.kind === 'http');
		expect(http.map((m) => (m.kind === 'http' ? `${m.method} ${m.path}` : ''))).toEqual(['POST /slack/T000/B000/xyz', 'PUT /erp/journal?batch=7', 'POST /product/access', 'GET /product/ping']);
		expect(http[0].kind === 'http' && http[0].body).toEqual({ text: 'Payment failed: <in_123> & more' });
		expect(http[1].kind === 'http' && http[1].body).toBe('date,amount\n2026-12-01,100\n');
		expect(http[2].kind === 'http' && http[2].body).toBe('{not json');
		expect(seen).toEqual(['mail', 'http', 'http', 'http', 'http']);
	});

	it('shows them on a page, newest first, escaped and refreshing, and as JSON', async () => {
		const res = await fetch(`${outbox.httpUrl}/`);
		expect(res.status).toBe(200);
		expect(res.headers.get('content-type')).toMatch(/^text\/html/);
		const html = await res.text();
		expect(html).toContain('<meta http-equiv="refresh" content="5">');
		expect(html).toContain('Zahlung fehlgeschlagen – bitte Karte prüfen');
		expect(html).toContain('Payment failed: &lt;in_123&gt; &amp; more');
		expect(html).toContain('session/abc &lt;script&gt;');
		expect(html).not.toContain('<script>');
		const order = ['GET /product/ping', 'POST /product/access', 'PUT /erp/journal?batch=7', 'POST /slack/T000/B000/xyz', 'Zahlung'].map((s) => html.indexOf(s));
		expect(order.every((p) => p > 0)).toBe(true);
		expect([...order].sort((a, b) => a - b)).toEqual(order);
		// Neither the page nor the JSON is recorded as a request.
		const json = (await (await fetch(`${outbox.httpUrl}/messages.json`)).json()) as { messages: Array<{ id: number; kind: string }> };
		expect(json.messages.map((m) => m.kind)).toEqual(['http', 'http', 'http', 'http', 'mail']);
		expect(json.messages.map((m) => m.id)).toEqual([5, 4, 3, 2, 1]);
	});

	it('keeps at most `keep` and lists the latest 200 on the page', async () => {
		const small = await startOutbox({ keep: 250 });
		try {
			for (let i = 0; i < 260; i++) await fetch(`${small.httpUrl}/n/${i}`, { method: 'POST', body: String(i) });
			expect(small.messages()).toHaveLength(250);
			expect(small.messages()[0].id).toBe(11);
			const html = await (await fetch(`${small.httpUrl}/`)).text();
			expect((html.match(/<section /g) ?? []).length).toBe(200);
			expect(html).toContain('POST /n/259');
			expect(html).not.toContain('POST /n/59<');
		} finally {
			await small.close();
		}
	});
});

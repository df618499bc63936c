import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Stripe from 'stripe';
import { startSandbox, type Sandbox } from '../../sandbox';
import { stripeClient } from './helpers';

const NOW = Date.UTC(2026, 5, 15) / 1000;

async function fingerprint(sb: Sandbox): Promise<string[]> {
	const stripe = stripeClient(sb);
	const out: string[] = [];
	for await (const inv of stripe.invoices.list({ limit: 100 })) out.push(`${inv.id}:${inv.status}:${inv.amount_due}:${inv.attempt_count}`);
	return out;
}

describe('seeded business', () => {
	let sb: Sandbox;
	let stripe: Stripe;
	beforeAll(async () => {
		sb = await startSandbox({ seed: 42, now: NOW, clock: 'frozen', rateLimits: false, seedData: { customers: 60, months: 4, balanceTransactions: 2000 } });
		stripe = stripeClient(sb);
	});
	afterAll(() => sb.close());

	it('is deterministic for a seed, and bulk volume does not change the business', async () => {
		const again = await startSandbox({ seed: 42, now: NOW, rateLimits: false, seedData: { customers: 60, months: 4 } });
		try {
			expect(await fingerprint(again)).toEqual(await fingerprint(sb));
		} finally {
			await again.close();
		}
		const other = await startSandbox({ seed: 43, now: NOW, rateLimits: false, seedData: { customers: 60, months: 4 } });
		try {
			expect(await fingerprint(other)).not.toEqual(await fingerprint(sb));
		} finally {
			await other.close();
		}
	});

	it('looks like a business: plans, currencies, failures and recoveries, payouts', async () => {
		const r = sb.seedReport!;
		expect(r.customers).toBe(60);
		expect(r.balanceTransactions).toBeGreaterThan(2000);
		const subs: Stripe.Subscription[] = [];
		for await (const s of stripe.subscriptions.list({ status: 'all', limit: 100 })) subs.push(s);
		expect(new Set(subs.map((s) => s.currency)).size).toBeGreaterThan(2);
		expect(new Set(subs.map((s) => s.items.data[0].price.recurring?.interval)).size).toBeGreaterThan(1);
		const charges: Stripe.Charge[] = [];
		for await (const c of stripe.charges.list({ limit: 100 })) charges.push(c);
		const declined = charges.filter((c) => c.status === 'failed');
		expect(declined.length).toBeGreaterThan(0);
		const codes = new Set(declined.map((c) => c.outcome?.reason));
		expect(codes.has('insufficient_funds')).toBe(true);
		const recovered = (await stripe.invoices.list({ status: 'paid', limit: 100 })).data.filter((i) => i.attempt_count > 1);
		expect(recovered.length).toBeGreaterThan(0);
		const payouts = await stripe.payouts.list({ limit: 100 });
		expect(payouts.data.length).toBeGreaterThan(50);
		const events = await stripe.events.list({ limit: 10 });
		expect(events.data.every((e) => e.created >= NOW - 30 * 86400)).toBe(true);
	});

	it('`npm run sandbox` starts a seeded business and prints how to point the credential at it', async () => {
		const child = spawn(process.execPath, [join(__dirname, '../../node_modules/tsx/dist/cli.mjs'), join(__dirname, '../../sandbox/cli.ts'), '--seed', '7', '--customers', '20', '--months', '2', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
		try {
			const out = await new Promise<string>((resolve, reject) => {
				let buf = '';
				child.stdout.on('data', (d: Buffer) => {
					buf += d.toString();
					if (buf.includes('Seeded')) resolve(buf);
				});
				child.stderr.on('data', (d: Buffer) => (buf += d.toString()));
				child.on('exit', (code) => reject(new Error(`sandbox exited (${code}): ${buf}`)));
			});
			const url = /Base URL\s+(\S+)/.exec(out)?.[1] as string;
			const key = /API Key\s+(\S+)/.exec(out)?.[1] as string;
			expect(out).toMatch(/API Version\s+2026-10-28\.endive/);
			const res = await fetch(`${url}/v1/customers?limit=1`, { headers: { Authorization: `Bearer ${key}` } });
			expect(res.status).toBe(200);
			expect(((await res.json()) as { data: unknown[] }).data).toHaveLength(1);
		} finally {
			child.kill('SIGTERM');
		}
	});
});

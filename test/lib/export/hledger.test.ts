/**
 * The hledger journal of a month of the sandbox's seeded business passes `hledger check` (Debian's
 * `hledger`; CI installs it), and the balance of its Stripe clearing account at the month's end
 * equals the sandbox's balance at that date (every balance transaction created up to then).
 * Without hledger the test fails loudly unless HLEDGER_OPTIONAL=1 says to skip it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DEFAULT_CHART, exportRange, hledgerJournal, journalEntry, type BalanceTransactionLike, type ExportRow } from '../../../lib/export';
import { formatMinor } from '../../../lib/money';
import { StripeClient, fetchTransport } from '../../../lib/stripe';
import { startSandbox, type Sandbox } from '../../../sandbox';

const NOW = Date.UTC(2026, 5, 15) / 1000;
const MONTH_START = Date.UTC(2026, 3, 1) / 1000;
const MONTH_END = Date.UTC(2026, 4, 1) / 1000;

function hledgerVersion(): string | undefined {
	try {
		return execFileSync('hledger', ['--version'], { encoding: 'utf8' }).trim();
	} catch {
		return undefined;
	}
}

const version = hledgerVersion();
if (!version) {
	const message = 'hledger is not installed: the hledger journal check cannot run. Install it (apt-get install hledger); .ci/run does.';
	if (process.env.HLEDGER_OPTIONAL === '1') console.warn(`SKIPPED: ${message}`);
	else throw new Error(message);
}
const maybe = version ? test : test.skip;

let sb: Sandbox;
beforeAll(async () => {
	sb = await startSandbox({ seed: 6, now: NOW, clock: 'frozen', rateLimits: false, seedData: { customers: 80, months: 6 } });
}, 60_000);
afterAll(() => sb?.close());

maybe('a month as an hledger journal passes `hledger check`; the clearing balance at month end is the sandbox balance then', async () => {
	const client = new StripeClient({ request: fetchTransport(sb.secretKey), baseUrl: sb.url, sleep: async () => undefined });
	// Opening balance: everything before the month, booked as one entry against equity (as an ERP's opening balance would be).
	const rows: ExportRow[] = [];
	await exportRange(client, { from: MONTH_START, to: MONTH_END }, (page) => {
		rows.push(...page);
	});
	expect(rows.length).toBeGreaterThan(50);
	const ledger = sb.world.ledger;
	let opening = 0;
	let closing = 0;
	for (let i = 0; i < ledger.size(); i++) {
		const bt = ledger.at(i) as unknown as BalanceTransactionLike;
		if (bt.created < MONTH_START) opening += bt.net;
		if (bt.created < MONTH_END) closing += bt.net;
	}
	rows.sort((a, b) => a.createdUnix - b.createdUnix || a.id.localeCompare(b.id));
	const open = `2026-03-31 * Opening balance\n    ${DEFAULT_CHART.clearing}  ${formatMinor(opening, 'usd')} USD\n    Equity:Opening Balances\n\n`;
	const journal = open + hledgerJournal(rows.map((r) => journalEntry(r)));
	const dir = mkdtempSync(join(tmpdir(), 'hledger-'));
	const file = join(dir, 'stripe-2026-04.journal');
	writeFileSync(file, journal);
	execFileSync('hledger', ['-f', file, 'check'], { encoding: 'utf8' });
	const bal = execFileSync('hledger', ['-f', file, 'balance', DEFAULT_CHART.clearing, '-e', '2026-05-01', '--flat', '--no-total', '-O', 'csv'], { encoding: 'utf8' });
	const line = bal.split('\n').find((l) => l.includes(DEFAULT_CHART.clearing)) ?? '';
	const amount = /"(-?[\d.,]+) USD"/.exec(line)?.[1]?.replace(/,/g, '') ?? /"USD\s*(-?[\d.,]+)"/.exec(line)?.[1]?.replace(/,/g, '');
	expect(amount).toBe(formatMinor(closing, 'usd'));
	expect(closing).not.toBe(opening);
});

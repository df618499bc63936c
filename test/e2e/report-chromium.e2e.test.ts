/**
 * The revenue dashboard (lib/analytics/report.ts) in headless Chromium: the fixture business's report opened
 * from a file draws every chart with visible shapes, logs no errors, loads nothing but itself, fits a phone
 * and follows dark mode. A full-page screenshot goes to docs/dashboard.png with SAVE_SCREENSHOT=1 (the README
 * embeds it), else to a temp dir. Chromium comes from scripts/chromium.mjs (installed with apt-get when missing).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import {
	checkoutFunnel,
	cohortRetention,
	failedPaymentFunnel,
	monthlyMetrics,
	mrrHistory,
	mrrMovements,
	taxReport,
	type ChargeLike,
	type CheckoutSessionLike,
	type InvoiceLike,
	type TaxRateLike,
} from '../../lib/analytics';
import { renderReport, type ReportInput } from '../../lib/analytics/report';
import { EVENTS, FROM, NOW, RATES, SUBSCRIPTIONS, T, TO } from '../lib/analytics/fixture';

const ROOT = resolve(__dirname, '..', '..');

/** scripts/chromium.mjs run as a child (Jest's CommonJS runtime cannot import an .mjs): prints the binary's path. */
function chromiumPath(): string {
	return execFileSync(process.execPath, [join(ROOT, 'scripts', 'chromium.mjs')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 600000 }).trim();
}

/** The page's globals used in `evaluate` (this test compiles without TypeScript's DOM lib). */
interface PageGlobals {
	document: { documentElement: { scrollWidth: number }; body: unknown };
	innerWidth: number;
	getComputedStyle(el: unknown): { backgroundColor: string; fill: string; fillOpacity: string; stroke: string; strokeWidth: string; visibility: string; display: string; opacity: string };
}

const root = typeof process.getuid === 'function' && process.getuid() === 0;

const rate = (id: string, name: string, percentage: number, country: string, state?: string): TaxRateLike => ({ id, display_name: name, percentage, country, state, tax_type: name === 'VAT' ? 'vat' : 'sales_tax', jurisdiction: state ? undefined : country });
const RATES_TAX = [rate('txr_de', 'VAT', 19, 'DE'), rate('txr_fr', 'VAT', 20, 'FR'), rate('txr_ca', 'Sales tax', 7.25, 'US', 'CA'), rate('txr_ny', 'Sales tax', 8.875, 'US', 'NY'), rate('txr_gb', 'VAT', 20, 'GB')];

/** The fixture business (test/lib/analytics/fixture.ts) with failed payments, Checkout Sessions and taxed invoices. */
function fixtureInput(): ReportInput {
	const history = mrrHistory(SUBSCRIPTIONS, EVENTS, { from: FROM, to: TO, now: NOW, reportingCurrency: 'usd', rates: RATES });
	const ch = (id: string, created: number, status: string, amount: number, currency: string, pm: string, link: Partial<ChargeLike>): ChargeLike => ({ id, created, status, amount, currency, payment_method: pm, ...link });
	const failedPayments = failedPaymentFunnel(
		{
			invoices: [
				{ id: 'in_r1', status: 'paid', currency: 'usd', created: T(2026, 3, 1), amount_due: 15000, amount_paid: 15000, payment_intent: 'pi_r1' },
				{ id: 'in_r2', status: 'paid', currency: 'usd', created: T(2026, 4, 1), amount_due: 4000, amount_paid: 4000, payment_intent: 'pi_r2' },
				{ id: 'in_c1', status: 'paid', currency: 'eur', created: T(2026, 4, 1), amount_due: 8000, amount_paid: 8000, payment_intent: 'pi_c1' },
				{ id: 'in_x1', status: 'open', currency: 'usd', created: T(2026, 2, 10), amount_due: 3000, subscription: 'sub_c', payment_intent: 'pi_x1' },
				{ id: 'in_p1', status: 'open', currency: 'usd', created: T(2026, 6, 20), amount_due: 2000, subscription: 'sub_d2', payment_intent: 'pi_p1' },
			],
			charges: [
				ch('ch_1', T(2026, 3, 1), 'failed', 15000, 'usd', 'pm_a', { payment_intent: 'pi_r1' }),
				ch('ch_2', T(2026, 3, 4), 'succeeded', 15000, 'usd', 'pm_a', { payment_intent: 'pi_r1' }),
				ch('ch_3', T(2026, 4, 1), 'failed', 4000, 'usd', 'pm_e', { payment_intent: 'pi_r2' }),
				ch('ch_4', T(2026, 4, 3), 'succeeded', 4000, 'usd', 'pm_e', { payment_intent: 'pi_r2' }),
				ch('ch_5', T(2026, 4, 1), 'failed', 8000, 'eur', 'pm_old', { payment_intent: 'pi_c1' }),
				ch('ch_6', T(2026, 4, 6), 'succeeded', 8000, 'eur', 'pm_new', { payment_intent: 'pi_c1' }),
				ch('ch_7', T(2026, 2, 10), 'failed', 3000, 'usd', 'pm_c', { payment_intent: 'pi_x1' }),
				ch('ch_8', T(2026, 6, 20), 'failed', 2000, 'usd', 'pm_d', { payment_intent: 'pi_p1' }),
			],
			subscriptions: [
				{ id: 'sub_c', status: 'canceled', ended_at: T(2026, 2, 20) },
				{ id: 'sub_d2', status: 'past_due' },
			],
		},
		{ reportingCurrency: 'usd', rates: RATES },
	);
	const countries = ['US', 'US', 'US', 'US', 'US', 'DE', 'DE', 'DE', 'GB', 'GB', 'FR', 'FR', 'CA', 'NL'];
	const sessions: CheckoutSessionLike[] = countries.map((country, i) => ({
		id: `cs_${i}`,
		created: T(2026, 1 + (i % 6), 2 + i),
		status: i % 4 === 3 ? 'expired' : 'complete',
		mode: 'payment',
		payment_status: i % 5 === 4 ? 'unpaid' : 'paid',
		amount_total: 5000,
		customer_details: { address: { country } },
	}));
	const checkout = checkoutFunnel({ sessions });
	const invoices: InvoiceLike[] = [];
	let n = 0;
	const taxed = (month: number, currency: string, net: number, r: TaxRateLike) => {
		const tax = Math.round((net * (r.percentage ?? 0)) / 100);
		invoices.push({ id: `in_t${++n}`, status: 'paid', currency, created: T(2026, month, 5), total: net + tax, amount_paid: net + tax, status_transitions: { paid_at: T(2026, month, 5) }, total_taxes: [{ amount: tax, taxable_amount: net, tax_rate_details: { tax_rate: r } }], payments: { data: [{ payment: { payment_intent: `pi_t${n}` } }] } });
	};
	for (let m = 1; m <= 6; m++) {
		taxed(m, 'usd', 10000 + m * 1000, RATES_TAX[2]);
		taxed(m, 'usd', 4000, RATES_TAX[3]);
		taxed(m, 'eur', 8000, RATES_TAX[0]);
		if (m >= 3) taxed(m, 'eur', 2500, RATES_TAX[1]);
		if (m >= 2) taxed(m, 'usd', 8333, RATES_TAX[4]);
	}
	const tax = taxReport({ invoices, refunds: [{ id: 're_1', amount: 5000, currency: 'usd', created: T(2026, 4, 9), status: 'succeeded', payment_intent: 'pi_t1' }] }, { reportingCurrency: 'usd', rates: RATES });
	return {
		title: 'Revenue dashboard',
		accountName: 'Fixture Ltd (test mode)',
		reportingCurrency: 'usd',
		generatedAt: '2026-12-01T00:00:00Z',
		movements: mrrMovements(history),
		monthly: monthlyMetrics(history, { window: 3 }),
		cohorts: cohortRetention(history),
		failedPayments,
		checkout,
		tax,
		rates: RATES,
		waterfall: 'range',
	};
}

describe('the revenue dashboard in headless Chromium', () => {
	let browser: Browser;
	let page: Page;
	let dir: string;
	let url: string;
	const requests: string[] = [];
	const errors: string[] = [];

	beforeAll(async () => {
		dir = mkdtempSync(join(tmpdir(), 'revops-report-'));
		const file = join(dir, 'revenue-dashboard.html');
		writeFileSync(file, renderReport(fixtureInput()), 'utf8');
		url = pathToFileURL(file).href;
		browser = await puppeteer.launch({ executablePath: chromiumPath(), headless: true, args: ['--headless=new', ...(root ? ['--no-sandbox'] : []), '--disable-gpu', '--disable-dev-shm-usage'] });
		page = await browser.newPage();
		page.on('request', (r) => requests.push(r.url()));
		page.on('console', (m) => {
			if (m.type() === 'error') errors.push(m.text());
		});
		page.on('pageerror', (e) => errors.push(String(e)));
		page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
		await page.setViewport({ width: 1280, height: 900, deviceScaleFactor: 1 });
		await page.goto(url, { waitUntil: 'load' });
	}, 900000);

	afterAll(async () => {
		await browser?.close();
		if (dir) rmSync(dir, { recursive: true, force: true });
	});

	it('draws every chart with a size and visible shapes', async () => {
		const charts = await page.$$eval('svg[data-chart]', (svgs) =>
			svgs.map((svg) => {
				const box = svg.getBoundingClientRect();
				const shapes = [...svg.querySelectorAll('rect, path, polyline, circle')].filter((el) => {
					const b = el.getBoundingClientRect();
					const s = (globalThis as unknown as PageGlobals).getComputedStyle(el);
					const painted = (s.fill !== 'none' && s.fillOpacity !== '0') || (s.stroke !== 'none' && s.strokeWidth !== '0px');
					return b.width > 0 && b.height > 0 && painted && s.visibility !== 'hidden' && s.display !== 'none' && s.opacity !== '0';
				});
				return { chart: svg.getAttribute('data-chart'), width: box.width, height: box.height, shapes: shapes.length, label: svg.getAttribute('aria-label'), role: svg.getAttribute('role'), title: svg.querySelector('title')?.textContent ?? '' };
			}),
		);
		expect(charts.map((c) => c.chart).sort()).toEqual(['checkout-funnel', 'cohort-heatmap', 'failed-payment-funnel', 'mrr-movements', 'mrr-trend', 'mrr-waterfall', 'net-revenue', 'tax-by-region']);
		for (const c of charts) {
			expect(c.width).toBeGreaterThan(200);
			expect(c.height).toBeGreaterThan(80);
			expect(c.shapes).toBeGreaterThan(2);
			expect(c.role).toBe('img');
			expect(c.label).toBeTruthy();
			expect(c.title).toBeTruthy();
		}
		expect(await page.$$('script')).toHaveLength(0);
	});

	it('logs no errors and loads nothing but the file itself', () => {
		expect(errors).toEqual([]);
		expect(requests).toEqual([url]);
	});

	it('fits a phone (charts and tables scroll inside their cards) and follows dark mode', async () => {
		await page.setViewport({ width: 390, height: 844, deviceScaleFactor: 1, isMobile: true });
		const overflow = await page.evaluate(() => {
			const w = globalThis as unknown as PageGlobals;
			return w.document.documentElement.scrollWidth - w.innerWidth;
		});
		expect(overflow).toBeLessThanOrEqual(0);
		const light = await page.evaluate(() => {
			const w = globalThis as unknown as PageGlobals;
			return w.getComputedStyle(w.document.body).backgroundColor;
		});
		await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
		const dark = await page.evaluate(() => {
			const w = globalThis as unknown as PageGlobals;
			return w.getComputedStyle(w.document.body).backgroundColor;
		});
		expect(dark).not.toBe(light);
		await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
		await page.setViewport({ width: 1280, height: 900, deviceScaleFactor: 1 });
	});

	it('takes a full-page screenshot', async () => {
		const save = process.env.SAVE_SCREENSHOT === '1';
		const out = save ? join(ROOT, 'docs', 'dashboard.png') : join(dir, 'dashboard.png');
		if (save) mkdirSync(join(ROOT, 'docs'), { recursive: true });
		await page.screenshot({ path: out as `${string}.png`, fullPage: true });
		expect(statSync(out).size).toBeGreaterThan(20 * 1024);
	});
});

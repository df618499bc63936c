/** The revenue dashboard page (issue 12): the fixture business's metrics rendered, escaped, and an empty account. */
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
} from '../../../lib/analytics';
import { escapeHtml, formatMoneyText, renderReport, type ReportInput } from '../../../lib/analytics/report';
import { EVENTS, FROM, NOW, RATES, SUBSCRIPTIONS, T, TO } from './fixture';

const DE_VAT: TaxRateLike = { id: 'txr_de', display_name: 'VAT', percentage: 19, country: 'DE', tax_type: 'vat', jurisdiction: 'DE' };
const US_CA: TaxRateLike = { id: 'txr_ca', display_name: 'Sales tax', percentage: 7.25, country: 'US', state: 'CA', tax_type: 'sales_tax' };

const paid = (id: string, at: number, currency: string, total: number, tax: number, rate: TaxRateLike, pi: string): InvoiceLike => ({
	id,
	status: 'paid',
	currency,
	created: at,
	total,
	amount_paid: total,
	status_transitions: { paid_at: at },
	total_taxes: [{ amount: tax, taxable_amount: total - tax, tax_rate_details: { tax_rate: rate } }],
	payments: { data: [{ payment: { payment_intent: pi } }] },
});

const charge = (id: string, created: number, status: string, amount: number, currency: string, pm: string, link: Partial<ChargeLike>): ChargeLike => ({ id, created, status, amount, currency, payment_method: pm, ...link });

/** The fixture business's report input, with funnels and tax built by the lib functions. */
function fixtureReportInput(over: Partial<ReportInput> = {}): ReportInput {
	const history = mrrHistory(SUBSCRIPTIONS, EVENTS, { from: FROM, to: TO, now: NOW, reportingCurrency: 'usd', rates: RATES });
	const failedPayments = failedPaymentFunnel(
		{
			invoices: [
				{ id: 'in_retry', customer: 'cus_a', status: 'paid', currency: 'usd', created: T(2026, 3, 1), amount_due: 5000, amount_paid: 5000, payments: { data: [{ payment: { payment_intent: 'pi_retry' } }] } },
				{ id: 'in_card', customer: 'cus_b', status: 'paid', currency: 'eur', created: T(2026, 4, 1), amount_due: 8000, amount_paid: 8000, payment_intent: 'pi_card' },
				{ id: 'in_churn', customer: 'cus_c', status: 'open', currency: 'usd', created: T(2026, 2, 10), amount_due: 3000, subscription: 'sub_c' },
			],
			charges: [
				charge('ch_1', T(2026, 3, 1), 'failed', 5000, 'usd', 'pm_1', { payment_intent: 'pi_retry' }),
				charge('ch_2', T(2026, 3, 4), 'succeeded', 5000, 'usd', 'pm_1', { payment_intent: 'pi_retry' }),
				charge('ch_3', T(2026, 4, 1), 'failed', 8000, 'eur', 'pm_old', { payment_intent: 'pi_card' }),
				charge('ch_4', T(2026, 4, 6), 'succeeded', 8000, 'eur', 'pm_new', { payment_intent: 'pi_card' }),
				charge('ch_5', T(2026, 2, 10), 'failed', 3000, 'usd', 'pm_c', { invoice: 'in_churn' }),
			],
			subscriptions: [{ id: 'sub_c', status: 'canceled', ended_at: T(2026, 2, 20) }],
		},
		{ reportingCurrency: 'usd', rates: RATES },
	);
	const sessions: CheckoutSessionLike[] = [
		{ id: 'cs_1', created: T(2026, 1, 10), status: 'complete', customer_details: { address: { country: 'US' } }, subscription: 'sub_a' },
		{ id: 'cs_2', created: T(2026, 1, 20), status: 'complete', customer_details: { address: { country: 'DE' } }, subscription: 'sub_e' },
		{ id: 'cs_3', created: T(2026, 1, 21), status: 'expired', customer_details: { address: { country: 'US' } } },
		{ id: 'cs_4', created: T(2026, 2, 2), status: 'open', customer_details: { address: { country: 'FR' } } },
	];
	const checkout = checkoutFunnel({
		sessions,
		invoices: [
			{ id: 'in_a1', status: 'paid', currency: 'usd', created: T(2026, 1, 10), amount_due: 10000, subscription: 'sub_a' },
			{ id: 'in_e1', status: 'paid', currency: 'usd', created: T(2026, 2, 3), amount_due: 4000, subscription: 'sub_e' },
		],
	});
	const tax = taxReport(
		{ invoices: [paid('in_t1', T(2026, 1, 10), 'usd', 11900, 1900, DE_VAT, 'pi_t1'), paid('in_t2', T(2026, 2, 20), 'usd', 4290, 290, US_CA, 'pi_t2'), paid('in_t3', T(2026, 3, 8), 'eur', 11900, 1900, DE_VAT, 'pi_t3')] },
		{ reportingCurrency: 'usd', rates: RATES },
	);
	return {
		title: 'Revenue dashboard',
		accountName: 'Fixture Ltd',
		reportingCurrency: 'usd',
		generatedAt: '2026-12-01T00:00:00Z',
		movements: mrrMovements(history),
		monthly: monthlyMetrics(history, { window: 3 }),
		cohorts: cohortRetention(history),
		failedPayments,
		checkout,
		tax,
		rates: RATES,
		...over,
	};
}

const CHARTS = ['mrr-waterfall', 'mrr-movements', 'mrr-trend', 'cohort-heatmap', 'failed-payment-funnel', 'checkout-funnel', 'tax-by-region', 'net-revenue'];

/** Each `<svg data-chart>` element's markup by its chart name. */
function charts(html: string): Map<string, string> {
	const out = new Map<string, string>();
	for (const m of html.matchAll(/<svg data-chart="([^"]+)"[\s\S]*?<\/svg>/g)) out.set(m[1], m[0]);
	return out;
}

/** Numbers of the geometry attributes (rect, line, circle, polyline points, path d) in some markup. */
function geometry(markup: string): number[] {
	const nums: number[] = [];
	for (const m of markup.matchAll(/\s(?:x|y|x1|x2|y1|y2|cx|cy|r|width|height|points|d)="([^"]*)"/g)) for (const n of m[1].match(/-?[\d.]+(?:e-?\d+)?|NaN|Infinity/g) ?? []) nums.push(Number(n));
	return nums;
}

describe('renderReport on the fixture business', () => {
	const html = renderReport(fixtureReportInput());

	it('is one self-contained HTML5 document: no scripts, no external URLs', () => {
		expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
		expect(html).toContain('<meta charset="utf-8">');
		expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
		expect(html).toContain('prefers-color-scheme:dark');
		expect(html).toMatch(/<style>[\s\S]+<\/style>/);
		expect(html).not.toMatch(/<script/i);
		expect(html).not.toMatch(/https?:/i);
		expect(html).not.toMatch(/\b(?:src|href)=/i);
		expect(html).not.toMatch(/@import|url\(/i);
		expect(html).not.toMatch(/\bon[a-z]+=/i); // no inline event handlers
	});

	it('draws every chart with finite, non-empty geometry and an accessible name', () => {
		const found = charts(html);
		expect([...found.keys()].sort()).toEqual([...CHARTS].sort());
		for (const [name, markup] of found) {
			expect(markup).toMatch(/^<svg data-chart="[^"]+" role="img" aria-label="[^"]+"/);
			expect(markup).toMatch(/<title>[^<]+<\/title>/);
			expect(markup).toMatch(/<(rect|path|polyline|circle)\b/);
			const nums = geometry(markup);
			expect(nums.length).toBeGreaterThan(4);
			expect(nums.every(Number.isFinite)).toBe(true);
			// Some shape of positive size.
			const sized = [...markup.matchAll(/<rect [^>]*width="([\d.]+)" height="([\d.]+)"/g)].some((m) => +m[1] > 0 && +m[2] > 0);
			expect(sized || /<polyline /.test(markup)).toBe(true);
			expect(name).toBeTruthy();
		}
		expect(html).not.toMatch(/NaN|Infinity|undefined|\[object/);
	});

	it('shows the KPIs of the last month, formatted', () => {
		// Jun 2026: MRR 375.83 USD, NRR = GRR = 35,583 / 40,383 = 88.1 %, no churn, ARPA 62.64, no losses: quick ratio —
		const kpi = (k: string) => new RegExp(`data-kpi="${k}"><div class="kpi-label">[^<]+</div><div class="kpi-value">([^<]+)</div>`).exec(html)?.[1];
		expect(kpi('mrr')).toBe('USD 375.83');
		expect(kpi('nrr')).toBe('88.1%');
		expect(kpi('grr')).toBe('88.1%');
		expect(kpi('logo-churn')).toBe('0.0%');
		expect(kpi('arpa')).toBe('USD 62.64');
		expect(kpi('quick-ratio')).toBe('—');
		// The tables: the roll-forward of April (cus_g churns 15.00, cus_b contracts 33.00), failed-payment recovery 13,800 / 16,800.
		// (table amounts carry the currency in the header, as plain numbers for copy-paste)
		expect(html).toContain('<caption>MRR movements per month (USD)</caption>');
		expect(html).toContain('<th scope="row">Apr 2026</th><td class="num">403.83</td><td class="num">0.00</td><td class="num">0.00</td><td class="num">0.00</td><td class="num">-33.00</td><td class="num">-15.00</td><td class="num">355.83</td></tr>');
		// Jun 2026 metrics: MRR, 6 paying customers, NRR, GRR, logo and revenue churn, ARPA, quick ratio.
		expect(html).toContain('<th scope="row">Jun 2026</th><td class="num">375.83</td><td class="num">6</td><td class="num">88.1%</td><td class="num">88.1%</td><td class="num">0.0%</td><td class="num">0.0%</td><td class="num">62.64</td><td class="num">—</td></tr>');
		expect(html).toContain('Recovery rate 82.1%');
		expect(html).toContain('<th scope="row">DE VAT 19%</th><td class="num">EUR</td>');
		expect(html).toContain('Fixture Ltd');
		expect(html).toContain('2026-12-01T00:00:00Z');
	});

	it('is deterministic', () => {
		expect(renderReport(fixtureReportInput())).toBe(html);
	});

	it('the waterfall over the whole range runs from January’s start to June’s end', () => {
		const range = charts(renderReport(fixtureReportInput({ waterfall: 'range' }))).get('mrr-waterfall') ?? '';
		expect(range).toContain('aria-label="MRR waterfall, Jan 2026 – Jun 2026: from USD 118.00 to USD 375.83"');
		expect(charts(html).get('mrr-waterfall')).toContain('aria-label="MRR waterfall, Jun 2026: from USD 375.83 to USD 375.83"');
	});
});

describe('money formatting', () => {
	it('uses the currency’s minor digits and code', () => {
		expect(formatMoneyText(123456789, 'usd')).toBe('USD 1,234,567.89');
		expect(formatMoneyText(1200, 'jpy')).toBe('JPY 1,200');
		expect(formatMoneyText(1234, 'kwd')).toBe('KWD 1.234');
		expect(formatMoneyText(-5, 'eur')).toBe('EUR -0.05');
		expect(formatMoneyText(null, 'usd')).toBe('—');
		expect(formatMoneyText(Number.NaN, 'usd')).toBe('—');
	});

	it('a JPY report prints whole yen', () => {
		const input = fixtureReportInput({ reportingCurrency: 'jpy' });
		expect(renderReport(input)).toContain('JPY 37,583');
	});
});

describe('escaping', () => {
	const evil = '<script>alert(1)</script>';
	it('data strings are inert', () => {
		const base = fixtureReportInput();
		const checkout = { ...base.checkout!, byCountry: { ...base.checkout!.byCountry, [evil]: { created: 9, completed: 1, paid: 1, completionRate: 1 / 9, paymentRate: 1 } } };
		const tax = { ...base.tax!, tax: [...base.tax!.tax, { ...base.tax!.tax[0], jurisdiction: `"><img src=x onerror=alert(1)>${evil}` }] };
		const cohorts = base.cohorts.map((c, i) => (i === 0 ? { ...c, cohort: evil } : c));
		const html = renderReport({ ...base, title: `Q & A ${evil}`, accountName: `Acme "<b>"`, checkout, tax, cohorts, generatedAt: `"${evil}` });
		expect(html).not.toMatch(/<script/i);
		expect(html).not.toMatch(/<img/i);
		expect(html).not.toMatch(/<b>/);
		expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
		expect(html).toContain('Q &amp; A');
		expect(html).toContain('Acme &quot;&lt;b&gt;&quot;');
		expect(escapeHtml(`a'b"c<d>&`)).toBe('a&#39;b&quot;c&lt;d&gt;&amp;');
	});
});

describe('a new account', () => {
	it('renders “no data yet” per section, no broken SVG, no NaN', () => {
		const html = renderReport({ title: 'Revenue dashboard', reportingCurrency: 'usd', generatedAt: '2026-12-01T00:00:00Z', movements: [], monthly: [], cohorts: [] });
		expect(charts(html).size).toBe(0);
		expect(html).not.toContain('<svg');
		expect((html.match(/data-empty/g) ?? []).length).toBe(8);
		expect(html).toContain('No data yet');
		expect(html).not.toMatch(/NaN|Infinity|undefined/);
		expect(html).not.toMatch(/<script|https?:/i);
	});

	it('months without any MRR, empty funnels and tax are empty states too', () => {
		const history = mrrHistory([], [], { from: FROM, to: TO, now: NOW, reportingCurrency: 'usd' });
		const html = renderReport({
			title: 'New',
			reportingCurrency: 'usd',
			generatedAt: '2026-12-01T00:00:00Z',
			movements: mrrMovements(history),
			monthly: monthlyMetrics(history),
			cohorts: cohortRetention(history),
			failedPayments: failedPaymentFunnel({ invoices: [], charges: [] }, { reportingCurrency: 'usd' }),
			checkout: checkoutFunnel({ sessions: [] }),
			tax: taxReport({ invoices: [] }, { reportingCurrency: 'usd' }),
		});
		expect(html).not.toContain('<svg');
		expect((html.match(/data-empty/g) ?? []).length).toBe(8);
		expect(html).toMatch(/data-kpi="mrr"><div class="kpi-label">MRR<\/div><div class="kpi-value">USD 0.00</);
		expect(html).not.toMatch(/NaN|Infinity|undefined/);
	});

	it('a single month with one customer draws finite charts', () => {
		const history = mrrHistory([SUBSCRIPTIONS[0]], [], { from: T(2026, 1, 1), to: T(2026, 2, 1), now: NOW, reportingCurrency: 'usd' });
		const html = renderReport({ title: 'One', reportingCurrency: 'usd', generatedAt: 'x', movements: mrrMovements(history), monthly: monthlyMetrics(history), cohorts: cohortRetention(history) });
		expect([...charts(html).keys()].sort()).toEqual(['cohort-heatmap', 'mrr-movements', 'mrr-trend', 'mrr-waterfall']);
		expect(geometry(html).every(Number.isFinite)).toBe(true);
		expect(html).not.toMatch(/NaN|Infinity/);
	});
});

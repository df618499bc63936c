/**
 * The revenue dashboard (issue 12), pure: the analytics' outputs as one self-contained HTML5
 * page (UTF-8, inline `<style>`, inline `<svg>` charts, no scripts, no external URLs, fonts or
 * images), for Respond to Webhook, an e-mail body or a file. Light and dark (`prefers-color-scheme`)
 * and phone friendly; every chart is an `<svg role="img" data-chart="…">` with an `aria-label` and
 * a `<title>`, followed by a plain table of its numbers. Every string from the data is escaped.
 * Deterministic: the clock (`generatedAt`) is passed in, and no randomness is used.
 *
 * Charts: `mrr-waterfall` (last month's, or the whole range's, start → movements → end),
 * `mrr-movements` (movement bars per month), `mrr-trend` (ending MRR), `cohort-heatmap` (revenue
 * retention by cohort and months since), `failed-payment-funnel`, `checkout-funnel` (overall and
 * top countries), `tax-by-region` (tax collected per jurisdiction) and `net-revenue` (revenue net
 * of tax and refunds per period). A section without data says so instead of drawing a chart.
 */
import { currencyExponent, formatMinor } from '../money/currency';
import type { CheckoutFunnel, FunnelStage } from './checkout';
import type { CohortRow, MonthMetrics } from './metrics';
import type { PeriodMovements, RollForward } from './mrrHistory';
import type { FailedPaymentFunnel } from './payments';
import type { TaxReport } from './tax';

export interface ReportInput {
	title: string;
	/** Currency of every reporting figure (MRR, funnels' reporting amounts, net revenue). */
	reportingCurrency: string;
	/** When the data was read (ISO 8601), shown as is. */
	generatedAt: string;
	accountName?: string;
	/** `mrrMovements(history)`. */
	movements: readonly PeriodMovements[];
	/** `monthlyMetrics(history)`. */
	monthly: readonly MonthMetrics[];
	/** `cohortRetention(history)`. */
	cohorts: readonly CohortRow[];
	failedPayments?: FailedPaymentFunnel | null;
	checkout?: CheckoutFunnel | null;
	/** `taxReport(...)`: tax rows, revenue rows and net revenue in the reporting currency. */
	tax?: Pick<TaxReport, 'tax' | 'revenue' | 'netRevenueReporting'> | null;
	/** Minor units of the reporting currency per minor unit of other currencies: only to rank tax bars across currencies. */
	rates?: Record<string, number>;
	/** The waterfall's span: the last month (default) or the whole range. */
	waterfall?: 'lastMonth' | 'range';
	/** Countries shown in the Checkout funnel chart (default 5). */
	topCountries?: number;
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** HTML-escapes text and attribute values. */
export function escapeHtml(value: unknown): string {
	return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c]);
}
const esc = escapeHtml;

/** A coordinate: finite, two decimals at most (never NaN or Infinity in the markup). */
function f(x: number): string {
	if (!Number.isFinite(x)) return '0';
	const r = Math.round(x * 100) / 100;
	return String(r === 0 ? 0 : r);
}

function exponentOf(currency: string): number {
	try {
		return currencyExponent(currency);
	} catch {
		return 2;
	}
}

function group(int: string): string {
	return int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** `USD 1,234.56`, `JPY 1,200`, `KWD 1.234`, `USD -5.00`; `—` for a missing amount. */
export function formatMoneyText(minor: number | null | undefined, currency: string): string {
	const code = currency.toUpperCase();
	if (minor === null || minor === undefined || !Number.isFinite(minor)) return '—';
	let s: string;
	try {
		s = formatMinor(Math.round(minor), currency);
	} catch {
		s = String(Math.round(minor));
	}
	const negative = s.startsWith('-');
	const [int, frac] = (negative ? s.slice(1) : s).split('.');
	return `${code} ${negative ? '-' : ''}${group(int)}${frac !== undefined ? `.${frac}` : ''}`;
}

/** {@link formatMoneyText} without the code, for tables whose header names the currency. */
export function formatAmount(minor: number | null | undefined, currency: string): string {
	return formatMoneyText(minor, currency).replace(/^\S+ /, '');
}

function trimZero(s: string): string {
	return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** A short amount in major units for axes and bar labels: `1.2k`, `3.4M`, `12.5`. */
function compact(minor: number, currency: string): string {
	const major = minor / 10 ** exponentOf(currency);
	const a = Math.abs(major);
	if (!Number.isFinite(major)) return '0';
	if (a >= 1e9) return `${trimZero((major / 1e9).toFixed(1))}B`;
	if (a >= 1e6) return `${trimZero((major / 1e6).toFixed(1))}M`;
	if (a >= 1e4) return `${trimZero((major / 1e3).toFixed(1))}k`;
	if (a >= 100 || exponentOf(currency) === 0) return group(major.toFixed(0).replace('-', '')).replace(/^/, major < 0 ? '-' : '');
	return trimZero(major.toFixed(2));
}

function signed(minor: number, currency: string): string {
	return minor > 0 ? `+${compact(minor, currency)}` : minor < 0 ? `−${compact(-minor, currency)}` : '0';
}

/** `95.0%`, or `—` when the ratio is undefined. */
function pct(x: number | null | undefined, digits = 1): string {
	return x === null || x === undefined || !Number.isFinite(x) ? '—' : `${(x * 100).toFixed(digits)}%`;
}

function int(n: number): string {
	return Number.isFinite(n) ? group(String(Math.round(Math.abs(n)))).replace(/^/, n < 0 ? '-' : '') : '—';
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `2026-03` → `Mar 2026` (other labels as they are). */
function monthName(label: string, short = false): string {
	const m = /^(\d{4})-(\d{2})$/.exec(label);
	if (!m || +m[2] < 1 || +m[2] > 12) return label;
	return short ? MONTHS[+m[2] - 1] : `${MONTHS[+m[2] - 1]} ${m[1]}`;
}

/** At most `max` characters, with an ellipsis. */
function clip(s: string, max: number): string {
	return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** Round tick values covering [min, max] (0 always included). */
function ticks(min: number, max: number, count = 4, minStep = 1): number[] {
	let lo = Math.min(0, min);
	let hi = Math.max(0, max);
	if (!(hi > lo)) hi = lo + minStep * count;
	const raw = (hi - lo) / count;
	const mag = 10 ** Math.floor(Math.log10(raw));
	const norm = raw / mag;
	const step = Math.max(minStep, (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10) * mag);
	lo = Math.floor(lo / step) * step;
	hi = Math.ceil(hi / step) * step;
	const out: number[] = [];
	for (let i = 0; lo + i * step <= hi + step / 1e6 && i < 50; i++) out.push(lo + i * step);
	return out;
}

function svg(kind: string, label: string, width: number, height: number, body: string): string {
	return `<svg data-chart="${kind}" role="img" aria-label="${esc(label)}" viewBox="0 0 ${f(width)} ${f(height)}" width="${f(width)}" height="${f(height)}" style="max-width:${f(width)}px"><title>${esc(label)}</title>${body}</svg>`;
}

function text(x: number, y: number, content: string, cls = '', anchor: 'start' | 'middle' | 'end' = 'start'): string {
	return `<text x="${f(x)}" y="${f(y)}"${cls ? ` class="${cls}"` : ''}${anchor !== 'start' ? ` text-anchor="${anchor}"` : ''}>${esc(content)}</text>`;
}

function rect(x: number, y: number, w: number, h: number, cls: string, title?: string, extra = ''): string {
	const r = `x="${f(x)}" y="${f(y)}" width="${f(Math.max(0, w))}" height="${f(Math.max(0, h))}" class="${cls}"${extra}`;
	return title ? `<rect ${r}><title>${esc(title)}</title></rect>` : `<rect ${r}/>`;
}

function table(caption: string, head: readonly string[], rows: ReadonlyArray<readonly string[]>, numericFrom = 1): string {
	const th = head.map((h, i) => `<th scope="col"${i >= numericFrom ? ' class="num"' : ''}>${esc(h)}</th>`).join('');
	const body = rows.map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th scope="row">${esc(c)}</th>` : `<td class="num">${esc(c)}</td>`)).join('')}</tr>`).join('');
	return `<div class="table-wrap"><table><caption>${esc(caption)}</caption><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table></div>`;
}

function empty(message: string): string {
	return `<p class="empty" data-empty>${esc(message)}</p>`;
}

function section(id: string, heading: string, intro: string, content: string, wide = false): string {
	return `<section class="card${wide ? ' wide' : ''}" id="${id}" aria-labelledby="${id}-h"><h2 id="${id}-h">${esc(heading)}</h2>${intro ? `<p class="intro">${esc(intro)}</p>` : ''}${content}</section>`;
}

function legend(items: ReadonlyArray<readonly [string, string]>): string {
	return `<ul class="legend">${items.map(([cls, label]) => `<li><span class="sw ${cls}"></span>${esc(label)}</li>`).join('')}</ul>`;
}

const UPS = [
	['new', 'New'],
	['expansion', 'Expansion'],
	['reactivation', 'Reactivation'],
] as const;
const DOWNS = [
	['contraction', 'Contraction'],
	['churn', 'Churn'],
] as const;

function hasMovementData(movements: readonly PeriodMovements[]): boolean {
	return movements.some((m) => m.reporting.start !== 0 || m.reporting.end !== 0 || m.changes.length > 0);
}

/** Start, movements and end of one roll-forward as waterfall steps. */
function waterfallChart(roll: RollForward, span: string, cur: string): string {
	const steps: Array<{ label: string; value: number; kind: 'total' | 'up' | 'down'; cls: string }> = [
		{ label: 'Start', value: roll.start, kind: 'total', cls: 'total' },
		...UPS.map(([k, label]) => ({ label, value: roll[k], kind: 'up' as const, cls: k })),
		...DOWNS.map(([k, label]) => ({ label, value: roll[k], kind: 'down' as const, cls: k })),
		{ label: 'End', value: roll.end, kind: 'total', cls: 'total' },
	];
	let run = 0;
	const bars = steps.map((s) => {
		let from: number;
		let to: number;
		if (s.kind === 'total') [from, to] = [0, s.value];
		else if (s.kind === 'up') [from, to] = [run, run + s.value];
		else [from, to] = [run, run - s.value];
		run = s.kind === 'total' ? s.value : to;
		return { ...s, from, to };
	});
	const W = 640;
	const H = 300;
	const m = { l: 64, r: 12, t: 24, b: 36 };
	const all = bars.flatMap((b) => [b.from, b.to]);
	const tk = ticks(Math.min(...all), Math.max(...all));
	const y0 = tk[0];
	const y1 = tk[tk.length - 1];
	const y = (v: number) => m.t + ((y1 - v) / (y1 - y0)) * (H - m.t - m.b);
	const band = (W - m.l - m.r) / bars.length;
	const bw = band * 0.62;
	let body = tk.map((t) => `<line x1="${f(m.l)}" x2="${f(W - m.r)}" y1="${f(y(t))}" y2="${f(y(t))}" class="grid${t === 0 ? ' zero' : ''}"/>${text(m.l - 8, y(t) + 4, compact(t, cur), 'axis', 'end')}`).join('');
	bars.forEach((b, i) => {
		const x = m.l + i * band + (band - bw) / 2;
		const top = y(Math.max(b.from, b.to));
		const h = Math.max(1, Math.abs(y(b.from) - y(b.to)));
		const value = b.kind === 'total' ? b.value : b.kind === 'up' ? b.value : -b.value;
		body += rect(x, top, bw, h, `bar ${b.cls}`, `${b.label}: ${formatMoneyText(value, cur)}`, ' rx="2"');
		body += text(x + bw / 2, top - 6, b.kind === 'total' ? compact(b.value, cur) : signed(value, cur), 'value', 'middle');
		body += text(x + bw / 2, H - m.b + 18, b.label, 'axis', 'middle');
		if (i < bars.length - 1) body += `<line x1="${f(x + bw)}" x2="${f(x + band)}" y1="${f(y(b.to))}" y2="${f(y(b.to))}" class="connector"/>`;
	});
	return svg('mrr-waterfall', `MRR waterfall, ${span}: from ${formatMoneyText(roll.start, cur)} to ${formatMoneyText(roll.end, cur)}`, W, H, body);
}

/** Movement bars per month: gains stacked up, losses stacked down, net as a tick. */
function movementsChart(movements: readonly PeriodMovements[], cur: string): string {
	const W = 640;
	const H = 280;
	const m = { l: 64, r: 12, t: 16, b: 36 };
	const ups = movements.map((p) => UPS.reduce((s, [k]) => s + p.reporting[k], 0));
	const downs = movements.map((p) => DOWNS.reduce((s, [k]) => s + p.reporting[k], 0));
	const tk = ticks(-Math.max(0, ...downs), Math.max(0, ...ups));
	const y0 = tk[0];
	const y1 = tk[tk.length - 1];
	const y = (v: number) => m.t + ((y1 - v) / (y1 - y0)) * (H - m.t - m.b);
	const band = (W - m.l - m.r) / movements.length;
	const bw = Math.min(48, band * 0.64);
	const every = Math.ceil(movements.length / 12);
	let body = tk.map((t) => `<line x1="${f(m.l)}" x2="${f(W - m.r)}" y1="${f(y(t))}" y2="${f(y(t))}" class="grid${t === 0 ? ' zero' : ''}"/>${text(m.l - 8, y(t) + 4, compact(t, cur), 'axis', 'end')}`).join('');
	movements.forEach((p, i) => {
		const x = m.l + i * band + (band - bw) / 2;
		let up = 0;
		for (const [k, label] of UPS) {
			const v = p.reporting[k];
			if (v > 0) body += rect(x, y(up + v), bw, y(up) - y(up + v), `bar ${k}`, `${monthName(p.label)} ${label}: ${formatMoneyText(v, cur)}`);
			up += Math.max(0, v);
		}
		let down = 0;
		for (const [k, label] of DOWNS) {
			const v = p.reporting[k];
			if (v > 0) body += rect(x, y(-down), bw, y(-down - v) - y(-down), `bar ${k}`, `${monthName(p.label)} ${label}: −${formatMoneyText(v, cur)}`);
			down += Math.max(0, v);
		}
		const net = up - down;
		body += `<line x1="${f(x - 3)}" x2="${f(x + bw + 3)}" y1="${f(y(net))}" y2="${f(y(net))}" class="net"><title>${esc(`${monthName(p.label)} net: ${formatMoneyText(net, cur)}`)}</title></line>`;
		if (i % every === 0) body += text(x + bw / 2, H - m.b + 18, monthName(p.label, true), 'axis', 'middle');
	});
	return svg('mrr-movements', `MRR movements per month in ${cur.toUpperCase()}: gains above the line, losses below`, W, H, body);
}

/** Line (and area) of ending MRR per month. */
function trendChart(metrics: readonly MonthMetrics[], cur: string): string {
	const W = 640;
	const H = 260;
	const m = { l: 64, r: 16, t: 20, b: 36 };
	const values = metrics.map((x) => x.mrr.end);
	const tk = ticks(Math.min(0, ...values), Math.max(...values));
	const y0 = tk[0];
	const y1 = tk[tk.length - 1];
	const y = (v: number) => m.t + ((y1 - v) / (y1 - y0)) * (H - m.t - m.b);
	const n = metrics.length;
	const x = (i: number) => (n === 1 ? (m.l + W - m.r) / 2 : m.l + 10 + (i / (n - 1)) * (W - m.l - m.r - 20));
	const every = Math.ceil(n / 12);
	let body = tk.map((t) => `<line x1="${f(m.l)}" x2="${f(W - m.r)}" y1="${f(y(t))}" y2="${f(y(t))}" class="grid${t === 0 ? ' zero' : ''}"/>${text(m.l - 8, y(t) + 4, compact(t, cur), 'axis', 'end')}`).join('');
	const pts = values.map((v, i) => `${f(x(i))},${f(y(v))}`).join(' ');
	if (n > 1) {
		body += `<path class="area" d="M${f(x(0))},${f(y(0))} L${pts.split(' ').join(' L')} L${f(x(n - 1))},${f(y(0))} Z"/>`;
		body += `<polyline class="line" points="${pts}"/>`;
	}
	values.forEach((v, i) => {
		body += `<circle cx="${f(x(i))}" cy="${f(y(v))}" r="4" class="dot"><title>${esc(`${monthName(metrics[i].label)}: ${formatMoneyText(v, cur)}`)}</title></circle>`;
		if (i % every === 0 || i === n - 1) body += text(x(i), H - m.b + 18, monthName(metrics[i].label, true), 'axis', 'middle');
	});
	const last = values[n - 1];
	body += text(x(n - 1), y(last) - 10, compact(last, cur), 'value', n === 1 ? 'middle' : 'end');
	return svg('mrr-trend', `Ending MRR per month in ${cur.toUpperCase()}, ${monthName(metrics[0].label)} to ${monthName(metrics[n - 1].label)}: ${formatMoneyText(last, cur)} at the end`, W, H, body);
}

/** Cell colour by revenue retention: light to dark blue up to 100 %, teal above. */
function heatColour(r: number | null): { fill: string; ink: string } {
	if (r === null || !Number.isFinite(r)) return { fill: 'hsl(220, 10%, 55%)', ink: '#ffffff' };
	if (r > 1) {
		const t = Math.min(1, (r - 1) / 0.5);
		return { fill: `hsl(165, 60%, ${f(38 - t * 12)}%)`, ink: '#ffffff' };
	}
	const t = Math.max(0, r);
	const light = 94 - t * 54;
	return { fill: `hsl(217, ${f(55 + t * 30)}%, ${f(light)}%)`, ink: light < 62 ? '#ffffff' : '#1e293b' };
}

function heatmapChart(cohorts: readonly CohortRow[]): string {
	const cols = Math.max(...cohorts.map((c) => c.revenueRetention.length));
	const labelW = 112;
	const cell = Math.max(40, Math.min(64, Math.floor(520 / cols)));
	const rowH = 30;
	const top = 30;
	const W = labelW + cols * cell + 8;
	const H = top + cohorts.length * rowH + 8;
	let body = text(labelW - 10, 18, 'Cohort', 'axis', 'end');
	for (let k = 0; k < cols; k++) body += text(labelW + k * cell + cell / 2, 18, `M${k}`, 'axis', 'middle');
	cohorts.forEach((c, i) => {
		const yy = top + i * rowH;
		body += text(labelW - 10, yy + rowH / 2 + 4, `${monthName(c.cohort)} (${c.logos[0] ?? 0})`, 'axis', 'end');
		c.revenueRetention.forEach((r, k) => {
			const { fill, ink } = heatColour(r);
			const x = labelW + k * cell;
			body += `<rect x="${f(x + 1)}" y="${f(yy + 1)}" width="${f(cell - 2)}" height="${f(rowH - 2)}" rx="3" fill="${fill}" class="cell"><title>${esc(`${monthName(c.cohort)}, month ${k}: ${pct(r)} of revenue, ${c.logos[k]} of ${c.logos[0]} customers`)}</title></rect>`;
			body += `<text x="${f(x + cell / 2)}" y="${f(yy + rowH / 2 + 4)}" text-anchor="middle" class="cell-text" fill="${ink}">${esc(pct(r, 0))}</text>`;
		});
	});
	return svg('cohort-heatmap', `Revenue retention by signup cohort (${cohorts.length} cohorts) and months since signup`, W, H, body);
}

/** Horizontal bars: a label, a bar scaled to `max`, a value text. */
function hbars(rows: ReadonlyArray<{ label: string; value: number; text: string; cls: string; title: string }>, max: number, opts: { labelW?: number; valueW?: number; width?: number; top?: number; rowH?: number } = {}): { body: string; height: number } {
	const W = opts.width ?? 640;
	const labelW = opts.labelW ?? 180;
	const valueW = opts.valueW ?? 190;
	const top = opts.top ?? 4;
	const rowH = opts.rowH ?? 34;
	const span = W - labelW - valueW;
	let body = '';
	rows.forEach((r, i) => {
		const yy = top + i * rowH;
		const w = max > 0 ? Math.max(r.value > 0 ? 2 : 0, (r.value / max) * span) : 0;
		body += text(labelW - 10, yy + rowH / 2 + 4, r.label, 'label', 'end');
		body += rect(labelW, yy + 6, span, rowH - 12, 'track', undefined, ' rx="3"');
		if (w > 0) body += rect(labelW, yy + 6, w, rowH - 12, `bar ${r.cls}`, r.title, ' rx="3"');
		body += text(labelW + span + 10, yy + rowH / 2 + 4, r.text, 'value');
	});
	return { body, height: top + rows.length * rowH + 4 };
}

const OUTCOME_ROWS = [
	['recoveredByRetry', 'Recovered by retry', 'recovered'],
	['recoveredByCardUpdate', 'Recovered by card update', 'recovered2'],
	['recoveredOther', 'Recovered otherwise', 'recovered3'],
	['pending', 'Still pending', 'pending'],
	['churned', 'Churned', 'churn'],
	['uncollectible', 'Uncollectible', 'churn'],
	['void', 'Voided', 'churn'],
] as const;

function failedFunnelChart(fp: FailedPaymentFunnel, cur: string): string {
	const rows = [
		{ label: 'Failed', value: fp.failed.reporting, text: `${formatMoneyText(fp.failed.reporting, cur)} · ${fp.failed.invoices}`, cls: 'failed', title: `Failed: ${fp.failed.invoices} invoices, ${formatMoneyText(fp.failed.reporting, cur)}` },
		...OUTCOME_ROWS.filter(([k]) => fp.outcomes[k].invoices > 0 || k === 'recoveredByRetry' || k === 'recoveredByCardUpdate' || k === 'churned').map(([k, label, cls]) => ({
			label,
			value: fp.outcomes[k].reporting,
			text: `${formatMoneyText(fp.outcomes[k].reporting, cur)} · ${fp.outcomes[k].invoices}`,
			cls,
			title: `${label}: ${fp.outcomes[k].invoices} invoices, ${formatMoneyText(fp.outcomes[k].reporting, cur)}`,
		})),
	];
	const bars = hbars(rows, fp.failed.reporting, { top: 44 });
	const head = `${text(0, 22, `Recovery rate ${pct(fp.recoveryRate.reporting)}`, 'headline')}${text(640, 22, `amount in ${cur.toUpperCase()} · invoices`, 'axis', 'end')}`;
	return svg('failed-payment-funnel', `Failed-payment funnel: ${fp.failed.invoices} failed invoices, ${fp.recovered.invoices} recovered, recovery rate ${pct(fp.recoveryRate.reporting)}`, 640, bars.height, head + bars.body);
}

function topCountries(c: CheckoutFunnel, n: number): Array<[string, FunnelStage]> {
	return Object.entries(c.byCountry)
		.sort((a, b) => b[1].created - a[1].created || b[1].paid - a[1].paid || a[0].localeCompare(b[0]))
		.slice(0, n);
}

function checkoutChart(c: CheckoutFunnel, n: number): string {
	const t = c.total;
	const stage = (label: string, v: number, cls: string, note: string) => ({ label, value: v, text: `${int(v)} · ${note}`, cls, title: `${label}: ${v} sessions (${note})` });
	const overall = hbars(
		[
			stage('Created', t.created, 'stage1', '100%'),
			stage('Completed', t.completed, 'stage2', pct(t.completionRate)),
			stage('First invoice paid', t.paid, 'stage3', `${pct(t.created ? t.paid / t.created : null)} of created`),
		],
		t.created,
		{ top: 28 },
	);
	let body = text(0, 18, `Overall: ${pct(t.created ? t.paid / t.created : null)} of sessions became paying`, 'headline-sm') + overall.body;
	const countries = topCountries(c, n);
	let yy = overall.height + 16;
	if (countries.length) {
		body += text(0, yy + 10, 'Top countries (created · completed · paid)', 'axis');
		yy += 20;
		const max = Math.max(...countries.map(([, s]) => s.created));
		const labelW = 180;
		const span = 640 - labelW - 190;
		for (const [code, s] of countries) {
			const w = (v: number) => (max > 0 ? (v / max) * span : 0);
			body += text(labelW - 10, yy + 17, clip(code, 24), 'label', 'end');
			body += rect(labelW, yy + 5, span, 18, 'track', undefined, ' rx="3"');
			body += rect(labelW, yy + 5, w(s.created), 18, 'bar stage1', `${code}: ${s.created} created`, ' rx="3"');
			if (s.completed) body += rect(labelW, yy + 5, w(s.completed), 18, 'bar stage2', `${code}: ${s.completed} completed`, ' rx="3"');
			if (s.paid) body += rect(labelW, yy + 5, w(s.paid), 18, 'bar stage3', `${code}: ${s.paid} paid`, ' rx="3"');
			body += text(labelW + span + 10, yy + 17, `${s.created} · ${s.completed} · ${s.paid} (${pct(s.created ? s.paid / s.created : null, 0)})`, 'value');
			yy += 28;
		}
	}
	return svg('checkout-funnel', `Checkout funnel: ${t.created} sessions created, ${t.completed} completed, ${t.paid} with the first invoice paid`, 640, yy + 6, body);
}

interface TaxBar {
	jurisdiction: string;
	currency: string;
	taxable: number;
	tax: number;
	invoices: number;
	rank: number;
}

function taxBars(rows: TaxReport['tax'], reporting: string, rates: Record<string, number>): { bars: TaxBar[]; comparable: boolean } {
	const map = new Map<string, TaxBar>();
	for (const r of rows) {
		const key = `${r.jurisdiction}\u0000${r.currency}`;
		const b = map.get(key) ?? { jurisdiction: r.jurisdiction, currency: r.currency, taxable: 0, tax: 0, invoices: 0, rank: 0 };
		b.taxable += r.taxable;
		b.tax += r.tax;
		b.invoices += r.invoices;
		map.set(key, b);
	}
	const bars = [...map.values()];
	const rateOf = (c: string) => (c.toLowerCase() === reporting.toLowerCase() ? 1 : rates[c.toLowerCase()]);
	const comparable = bars.every((b) => Number.isFinite(rateOf(b.currency)));
	for (const b of bars) b.rank = comparable ? b.tax * rateOf(b.currency) : b.tax / 10 ** exponentOf(b.currency);
	bars.sort((a, b) => b.rank - a.rank || a.jurisdiction.localeCompare(b.jurisdiction) || a.currency.localeCompare(b.currency));
	return { bars, comparable };
}

function taxChart(bars: readonly TaxBar[], comparable: boolean): string {
	const shown = bars.slice(0, 12);
	const multi = new Set(bars.map((b) => b.currency)).size > 1;
	const max = Math.max(...shown.map((b) => b.rank));
	const rows = shown.map((b) => ({
		label: clip(`${b.jurisdiction}${multi ? ` (${b.currency.toUpperCase()})` : ''}`, 34),
		value: Math.max(0, b.rank),
		text: formatMoneyText(b.tax, b.currency),
		cls: 'tax',
		title: `${b.jurisdiction}: ${formatMoneyText(b.tax, b.currency)} tax on ${formatMoneyText(b.taxable, b.currency)}, ${b.invoices} invoices`,
	}));
	const chart = hbars(rows, max, { labelW: 250, valueW: 110, rowH: 30 });
	const note = comparable ? '' : ' (bars in major units of each currency: no rate given)';
	return svg('tax-by-region', `Tax collected by jurisdiction, ${bars.length} jurisdictions${note}`, 640, chart.height, chart.body);
}

function netRevenueChart(net: Record<string, number>, cur: string): string {
	const periods = Object.keys(net).sort();
	const values = periods.map((p) => net[p]);
	const W = 640;
	const H = 240;
	const m = { l: 64, r: 12, t: 22, b: 36 };
	const tk = ticks(Math.min(0, ...values), Math.max(0, ...values));
	const y0 = tk[0];
	const y1 = tk[tk.length - 1];
	const y = (v: number) => m.t + ((y1 - v) / (y1 - y0)) * (H - m.t - m.b);
	const band = (W - m.l - m.r) / periods.length;
	const bw = Math.min(48, band * 0.64);
	const every = Math.ceil(periods.length / 12);
	let body = tk.map((t) => `<line x1="${f(m.l)}" x2="${f(W - m.r)}" y1="${f(y(t))}" y2="${f(y(t))}" class="grid${t === 0 ? ' zero' : ''}"/>${text(m.l - 8, y(t) + 4, compact(t, cur), 'axis', 'end')}`).join('');
	periods.forEach((p, i) => {
		const v = values[i];
		const x = m.l + i * band + (band - bw) / 2;
		const top = y(Math.max(0, v));
		body += rect(x, top, bw, Math.max(1, Math.abs(y(v) - y(0))), `bar ${v < 0 ? 'churn' : 'net-rev'}`, `${monthName(p)}: ${formatMoneyText(v, cur)}`, ' rx="2"');
		body += text(x + bw / 2, v < 0 ? y(v) + 14 : top - 6, compact(v, cur), 'value', 'middle');
		if (i % every === 0) body += text(x + bw / 2, H - m.b + 18, monthName(p, periods.length > 6), 'axis', 'middle');
	});
	return svg('net-revenue', `Revenue net of tax and refunds per period in ${cur.toUpperCase()}`, W, H, body);
}

function kpis(metrics: readonly MonthMetrics[], cur: string): string {
	const last = metrics[metrics.length - 1];
	const tile = (key: string, label: string, value: string, note: string) => `<div class="kpi" data-kpi="${key}"><div class="kpi-label">${esc(label)}</div><div class="kpi-value">${esc(value)}</div><div class="kpi-note">${esc(note)}</div></div>`;
	if (!last) return `<div class="kpis">${['MRR', 'NRR', 'GRR', 'Logo churn', 'ARPA', 'Quick ratio'].map((l) => tile(l.toLowerCase().replace(/\s/g, '-'), l, '—', 'no data yet')).join('')}</div>`;
	const r = last.mrr;
	const change = r.end - r.start;
	const month = monthName(last.label);
	const w = `${last.retentionWindow}-month`;
	return `<div class="kpis">${[
		tile('mrr', 'MRR', formatMoneyText(r.end, cur), `${change >= 0 ? '+' : '-'}${formatMoneyText(Math.abs(change), cur).replace(/^\S+ /, '')} (${r.start ? pct(change / r.start) : '—'}) in ${month}`),
		tile('nrr', 'NRR', pct(last.nrr), last.nrr === null ? `needs ${w} history` : `${w} window`),
		tile('grr', 'GRR', pct(last.grr), last.grr === null ? `needs ${w} history` : `${w} window`),
		tile('logo-churn', 'Logo churn', pct(last.logoChurnRate), `${last.customers.churn} of ${last.customers.start} customers in ${month}`),
		tile('arpa', 'ARPA', formatMoneyText(last.arpa, cur), `${last.customers.end} paying customers`),
		tile('quick-ratio', 'Quick ratio', last.quickRatio === null ? '—' : last.quickRatio.toFixed(2), last.quickRatio === null ? 'no churn or contraction' : 'gains ÷ losses'),
	].join('')}</div>`;
}

const STYLE = `
:root{color-scheme:light dark;--bg:#f5f7fb;--card:#ffffff;--ink:#0f172a;--muted:#64748b;--line:#e2e8f0;--grid:#e9eef5;--track:#eef2f7;
--total:#475569;--new:#16a34a;--expansion:#2563eb;--reactivation:#0891b2;--contraction:#f59e0b;--churn:#dc2626;--accent:#4f46e5;
--s1:#c7d2fe;--s2:#818cf8;--s3:#4338ca;--rec:#16a34a;--rec2:#0d9488;--rec3:#65a30d;--pending:#94a3b8;--failed:#f97316;--tax:#7c3aed;--netrev:#0284c7}
@media (prefers-color-scheme:dark){:root{--bg:#0b1120;--card:#111827;--ink:#e5e7eb;--muted:#94a3b8;--line:#1f2937;--grid:#1e293b;--track:#1e293b;
--total:#94a3b8;--new:#22c55e;--expansion:#60a5fa;--reactivation:#22d3ee;--contraction:#fbbf24;--churn:#f87171;--accent:#818cf8;
--s1:#3730a3;--s2:#6366f1;--s3:#a5b4fc;--rec:#22c55e;--rec2:#2dd4bf;--rec3:#a3e635;--pending:#64748b;--failed:#fb923c;--tax:#a78bfa;--netrev:#38bdf8}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1240px;margin:0 auto;padding:24px 20px 40px}
header{display:flex;flex-wrap:wrap;align-items:flex-end;justify-content:space-between;gap:8px 24px;margin-bottom:20px}
h1{font-size:24px;line-height:1.2;margin:0 0 4px}
.account{color:var(--muted);font-size:15px;margin:0}
.meta{color:var(--muted);font-size:13px;margin:0;text-align:right}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:12px;margin-bottom:20px}
.kpi{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:14px 16px}
.kpi-label{color:var(--muted);font-size:12px;font-weight:600;letter-spacing:.04em;text-transform:uppercase}
.kpi-value{font-size:22px;font-weight:700;margin:4px 0 2px;font-variant-numeric:tabular-nums;white-space:nowrap}
.kpi-note{color:var(--muted);font-size:12px}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,540px),1fr));gap:16px}
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:18px 18px 12px;min-width:0}
.card.wide{grid-column:1/-1}
h2{font-size:16px;margin:0 0 2px}
.intro{color:var(--muted);font-size:13px;margin:0 0 10px}
.chart{overflow-x:auto;margin:4px 0 8px}
svg{display:block;width:100%;height:auto;min-width:460px;font-family:inherit}
svg text{fill:var(--ink);font-size:12px}
svg .axis{fill:var(--muted);font-size:11px}
svg .label{font-size:12px}
svg .value{font-size:11.5px;font-weight:600;font-variant-numeric:tabular-nums}
svg .headline{font-size:18px;font-weight:700}
svg .headline-sm{font-size:13px;font-weight:600}
svg .cell-text{font-size:11px;font-weight:600}
svg .grid{stroke:var(--grid);stroke-width:1}
svg .grid.zero{stroke:var(--muted);stroke-opacity:.6}
svg .connector{stroke:var(--muted);stroke-dasharray:3 3;stroke-width:1}
svg .net{stroke:var(--ink);stroke-width:2.5}
svg .track{fill:var(--track)}
svg .line{fill:none;stroke:var(--accent);stroke-width:2.5;stroke-linejoin:round}
svg .area{fill:var(--accent);fill-opacity:.12}
svg .dot{fill:var(--card);stroke:var(--accent);stroke-width:2}
.total{fill:var(--total);background:var(--total)}.new{fill:var(--new);background:var(--new)}.expansion{fill:var(--expansion);background:var(--expansion)}
.reactivation{fill:var(--reactivation);background:var(--reactivation)}.contraction{fill:var(--contraction);background:var(--contraction)}.churn{fill:var(--churn);background:var(--churn)}
.stage1{fill:var(--s1);background:var(--s1)}.stage2{fill:var(--s2);background:var(--s2)}.stage3{fill:var(--s3);background:var(--s3)}
.recovered{fill:var(--rec)}.recovered2{fill:var(--rec2)}.recovered3{fill:var(--rec3)}.pending{fill:var(--pending)}.failed{fill:var(--failed)}.tax{fill:var(--tax)}.net-rev{fill:var(--netrev)}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;list-style:none;margin:0 0 4px;padding:0;color:var(--muted);font-size:12px}
.legend li{display:flex;align-items:center;gap:6px}
.sw{display:inline-block;width:10px;height:10px;border-radius:2px}
.sw.net{background:var(--ink);height:3px}
.table-wrap{overflow-x:auto;margin:6px 0 6px}
table{border-collapse:collapse;width:100%;font-size:12px;font-variant-numeric:tabular-nums}
caption{text-align:left;color:var(--muted);font-size:12px;padding:4px 0}
th,td{padding:5px 5px;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap}
thead th{color:var(--muted);font-weight:600;font-size:12px;white-space:normal;vertical-align:bottom}
tbody th{font-weight:500}
.num{text-align:right}
.empty{margin:12px 0;padding:22px 16px;border:1px dashed var(--line);border-radius:10px;color:var(--muted);text-align:center}
footer{color:var(--muted);font-size:12px;margin-top:20px;text-align:center}
@media (max-width:600px){main{padding:16px 12px 32px}h1{font-size:20px}.meta{text-align:left}.kpi-value{font-size:19px}.card{padding:14px 12px 8px}}
@media print{body{background:#fff}.card,.kpi{break-inside:avoid}}
`;

/** The dashboard as one self-contained HTML document (see the module comment). */
export function renderReport(input: ReportInput): string {
	const cur = input.reportingCurrency.toLowerCase();
	const CUR = cur.toUpperCase();
	const money = (v: number | null | undefined) => formatAmount(v, cur);
	const movements = input.movements;
	const metrics = input.monthly;
	const hasMrr = hasMovementData(movements);
	const parts: string[] = [];

	// MRR waterfall and movements.
	if (hasMrr) {
		const range = input.waterfall === 'range';
		const first = movements[0];
		const last = movements[movements.length - 1];
		const roll: RollForward = range
			? {
					start: first.reporting.start,
					new: movements.reduce((s, m) => s + m.reporting.new, 0),
					expansion: movements.reduce((s, m) => s + m.reporting.expansion, 0),
					reactivation: movements.reduce((s, m) => s + m.reporting.reactivation, 0),
					contraction: movements.reduce((s, m) => s + m.reporting.contraction, 0),
					churn: movements.reduce((s, m) => s + m.reporting.churn, 0),
					end: last.reporting.end,
				}
			: last.reporting;
		const span = range ? `${monthName(first.label)} – ${monthName(last.label)}` : monthName(last.label);
		parts.push(
			section(
				'waterfall',
				`MRR waterfall, ${span}`,
				`Starting MRR, gains and losses, ending MRR (${CUR}).`,
				`<div class="chart">${waterfallChart(roll, span, cur)}</div>${table(`MRR roll-forward, ${span}`, ['Step', `Amount (${CUR})`], [['Start', money(roll.start)], ...UPS.map(([k, l]) => [l, money(roll[k])]), ...DOWNS.map(([k, l]) => [l, money(-roll[k])]), ['End', money(roll.end)]])}`,
			),
		);
		parts.push(
			section(
				'movements',
				'MRR movements per month',
				'New, expansion and reactivation above the line; contraction and churn below; the dark tick is the net change.',
				`${legend([...UPS, ...DOWNS, ['net', 'Net']] as ReadonlyArray<readonly [string, string]>)}<div class="chart">${movementsChart(movements, cur)}</div>${table(
					`MRR movements per month (${CUR})`,
					['Month', 'Start', 'New', 'Expansion', 'Reactivation', 'Contraction', 'Churn', 'End'],
					movements.map((m) => [monthName(m.label), money(m.reporting.start), money(m.reporting.new), money(m.reporting.expansion), money(m.reporting.reactivation), money(-m.reporting.contraction), money(-m.reporting.churn), money(m.reporting.end)]),
				)}`,
			),
		);
	} else {
		parts.push(section('waterfall', 'MRR waterfall', '', empty('No data yet: MRR movements appear once subscriptions start paying.')));
		parts.push(section('movements', 'MRR movements per month', '', empty('No data yet: no MRR movements in this period.')));
	}

	// MRR trend and metrics table.
	const hasMetrics = metrics.length > 0 && metrics.some((m) => m.mrr.end !== 0 || m.mrr.start !== 0);
	parts.push(
		section(
			'trend',
			'MRR trend',
			hasMetrics ? `Ending MRR per month (${CUR}) and the month's metrics.` : '',
			hasMetrics
				? `<div class="chart">${trendChart(metrics, cur)}</div>${table(
						`Metrics per month (amounts in ${CUR})`,
						['Month', 'MRR', 'Customers', 'NRR', 'GRR', 'Logo churn', 'Revenue churn', 'ARPA', 'Quick ratio'],
						metrics.map((m) => [monthName(m.label), money(m.mrr.end), int(m.customers.end), pct(m.nrr), pct(m.grr), pct(m.logoChurnRate), pct(m.revenueChurnRate), money(m.arpa), m.quickRatio === null ? '—' : m.quickRatio.toFixed(2)]),
					)}`
				: empty('No data yet: the MRR trend appears after the first paying month.'),
		),
	);

	// Cohorts.
	const cohorts = input.cohorts.filter((c) => c.revenueRetention.length > 0);
	const cols = cohorts.length ? Math.max(...cohorts.map((c) => c.revenueRetention.length)) : 0;
	parts.push(
		section(
			'cohorts',
			'Cohort revenue retention',
			cohorts.length ? 'MRR of each signup month’s customers, months later, as a share of their first month (expansion included). Customer counts in brackets.' : '',
			cohorts.length
				? `<div class="chart">${heatmapChart(cohorts)}</div>${table(
						'Revenue retention by cohort (paying customers in brackets)',
						['Cohort', ...Array.from({ length: cols }, (_, k) => `M${k}`)],
						cohorts.map((c) => [monthName(c.cohort), ...Array.from({ length: cols }, (_, k) => (k < c.revenueRetention.length ? `${pct(c.revenueRetention[k]).replace('.0%', '%')} (${c.logos[k]})` : ''))]),
					)}`
				: empty('No data yet: cohorts appear once new customers start paying.'),
			cols > 12,
		),
	);

	// Failed payments.
	const fp = input.failedPayments;
	parts.push(
		section(
			'failed-payments',
			'Failed-payment recovery',
			fp && fp.failed.invoices > 0 ? `Invoices with a failed charge and what became of them (amounts in ${CUR}).` : '',
			fp && fp.failed.invoices > 0
				? `<div class="chart">${failedFunnelChart(fp, cur)}</div>${table(
						'Failed-payment funnel',
						['Stage', 'Invoices', `Amount (${CUR})`, 'By currency'],
						[
							['Failed', String(fp.failed.invoices), money(fp.failed.reporting), byCurrencyText(fp.failed.amount)],
							...OUTCOME_ROWS.map(([k, l]) => [l, String(fp.outcomes[k].invoices), money(fp.outcomes[k].reporting), byCurrencyText(fp.outcomes[k].amount)]),
							['Recovered (total)', String(fp.recovered.invoices), money(fp.recovered.reporting), byCurrencyText(fp.recovered.amount)],
							['Recovery rate', '', pct(fp.recoveryRate.reporting), Object.entries(fp.recoveryRate.byCurrency).map(([c, r]) => `${c.toUpperCase()} ${pct(r)}`).join(', ')],
						],
					)}`
				: empty('No data yet: no failed payments in this period.'),
		),
	);

	// Checkout.
	const co = input.checkout;
	const n = Math.max(0, Math.floor(input.topCountries ?? 5));
	parts.push(
		section(
			'checkout',
			'Checkout funnel',
			co && co.total.created > 0 ? 'Checkout Sessions created, completed, and with the first invoice paid.' : '',
			co && co.total.created > 0
				? `${legend([['stage1', 'Created'], ['stage2', 'Completed'], ['stage3', 'First invoice paid']])}<div class="chart">${checkoutChart(co, n)}</div>${table(
						'Checkout funnel by country',
						['Segment', 'Created', 'Completed', 'Paid', 'Completion', 'Payment', 'Overall'],
						[['All sessions', co.total] as [string, FunnelStage], ...Object.entries(co.byCountry).sort((a, b) => b[1].created - a[1].created || a[0].localeCompare(b[0]))].map(([k, s]) => [k, int(s.created), int(s.completed), int(s.paid), pct(s.completionRate), pct(s.paymentRate), pct(s.created ? s.paid / s.created : null)]),
					)}`
				: empty('No data yet: no Checkout Sessions in this period.'),
		),
	);

	// Tax and net revenue.
	const tax = input.tax;
	const { bars, comparable } = taxBars(tax?.tax ?? [], cur, input.rates ?? {});
	parts.push(
		section(
			'tax',
			'Tax by region',
			bars.length ? 'Tax collected per jurisdiction and rate, all periods in the report.' : '',
			bars.length
				? `<div class="chart">${taxChart(bars, comparable)}</div>${table(
						'Tax collected by jurisdiction (amounts in the row’s currency)',
						['Jurisdiction', 'Currency', 'Taxable', 'Tax', 'Invoices'],
						bars.map((b) => [b.jurisdiction, b.currency.toUpperCase(), formatAmount(b.taxable, b.currency), formatAmount(b.tax, b.currency), int(b.invoices)]),
					)}`
				: empty('No data yet: no tax collected in this period.'),
		),
	);
	const netRev = tax?.netRevenueReporting ?? {};
	const revenue = tax?.revenue ?? [];
	const hasNet = Object.keys(netRev).length > 0;
	parts.push(
		section(
			'net-revenue',
			'Revenue net of tax',
			revenue.length ? `Paid invoices less tax, less refunds (net of their tax share)${hasNet ? `, in ${CUR}` : ''}.` : '',
			revenue.length
				? `${hasNet ? `<div class="chart">${netRevenueChart(netRev, cur)}</div>` : ''}${table(
						'Revenue net of tax by period and currency (amounts in the row’s currency)',
						['Period', 'Currency', 'Gross', 'Tax', 'Net of tax', 'Refunded', 'Net revenue'],
						revenue.map((r) => [monthName(r.period), r.currency.toUpperCase(), formatAmount(r.gross, r.currency), formatAmount(r.tax, r.currency), formatAmount(r.netOfTax, r.currency), formatAmount(-r.refunded, r.currency), formatAmount(r.netRevenue, r.currency)]),
					)}`
				: empty('No data yet: no paid invoices in this period.'),
		),
	);

	const periodText = metrics.length ? `${monthName(metrics[0].label)} – ${monthName(metrics[metrics.length - 1].label)}` : movements.length ? `${monthName(movements[0].label)} – ${monthName(movements[movements.length - 1].label)}` : '';
	return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${esc(input.title)}${input.accountName ? ` · ${esc(input.accountName)}` : ''}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<header><div><h1>${esc(input.title)}</h1>${input.accountName ? `<p class="account">${esc(input.accountName)}</p>` : ''}</div><p class="meta">${periodText ? `${esc(periodText)} · ` : ''}Reporting currency ${esc(CUR)}<br>Generated <time datetime="${esc(input.generatedAt)}">${esc(input.generatedAt)}</time></p></header>
${kpis(metrics, cur)}
<div class="grid2">
${parts.join('\n')}
</div>
<footer>MRR and movements follow ChartMogul’s and Stripe’s definitions; amounts in minor-unit precision of each currency.</footer>
</main>
</body>
</html>
`;
}

function byCurrencyText(amounts: Record<string, number>): string {
	return Object.entries(amounts)
		.sort((a, b) => a[0].localeCompare(b[0]))
		.map(([c, v]) => formatMoneyText(v, c))
		.join(', ');
}

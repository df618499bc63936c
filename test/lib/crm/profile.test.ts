/**
 * The revenue profile's rules (lib/crm/profile.ts) on hand-built Stripe objects: each payment
 * health, the at-risk signals and the churn-risk weights, the dunning stage from Smart Retry's
 * metadata, the company domain, and currency conversion with zero-decimal currencies.
 */
import { alertSkipReason } from '../../../lib/crm/alerts';
import { buildProfile, customerDomain, inReporting, normalizeDomain, RISK_WEIGHTS, type ProfileInput, type ProfileSubscription } from '../../../lib/crm/profile';

const NOW = Date.UTC(2026, 5, 15) / 1000;
const DAY = 86400;

function sub(over: Partial<ProfileSubscription> = {}, amount = 4900): ProfileSubscription {
	return {
		id: 'sub_1',
		status: 'active',
		currency: 'usd',
		created: NOW - 90 * DAY,
		cancel_at_period_end: false,
		items: { data: [{ price: { id: 'price_1', currency: 'usd', unit_amount: amount, nickname: 'Pro', recurring: { interval: 'month' } }, quantity: 1, current_period_end: NOW + 10 * DAY }] },
		...over,
	};
}

function input(over: Partial<ProfileInput> = {}): ProfileInput {
	return { customer: { id: 'cus_1', email: 'Ada@Example.com', name: 'Ada' }, subscriptions: [sub()], invoices: [], charges: [], now: NOW, reportingCurrency: 'usd', ...over };
}

const paid = (id: string, created: number, amount = 4900, refunded = 0) => ({ id, status: 'succeeded', created, currency: 'usd', amount, amount_captured: amount, amount_refunded: refunded });
const failedCharge = (id: string, created: number, reason = 'insufficient_funds') => ({ id, status: 'failed', created, currency: 'usd', amount: 4900, outcome: { reason }, failure_code: 'card_declined' });

describe('payment health', () => {
	it('healthy: an active subscription, payments current; the next renewal is the period end; lifetime value nets refunds', () => {
		const p = buildProfile(input({ charges: [paid('ch_1', NOW - 40 * DAY), paid('ch_2', NOW - 10 * DAY, 4900, 900)] }));
		expect(p).toMatchObject({ paymentHealth: 'healthy', mrr: 49, plan: 'Pro', lifetimeValue: 89, nextRenewalAt: '2026-06-25T00:00:00Z', churnRiskScore: 0, churnRiskReasons: '', episodeId: null, email: 'Ada@Example.com' });
	});

	it('failing: an open invoice after failed attempts, with its Smart Retry stage and access; the episode is the invoice', () => {
		const p = buildProfile(
			input({
				subscriptions: [sub({ status: 'past_due' })],
				invoices: [{ id: 'in_9', status: 'open', created: NOW - 5 * DAY, attempted: true, attempt_count: 3, amount_remaining: 4900, subscription: 'sub_1', metadata: { revops_retry_stage: 'finalNotice', revops_retry_access: 'limited' } }],
				charges: [failedCharge('ch_f', NOW - 2 * DAY), paid('ch_1', NOW - 40 * DAY)],
			}),
		);
		expect(p).toMatchObject({ paymentHealth: 'failing', mrr: 49, dunningStage: 'finalNotice', accessLevel: 'limited', failingInvoiceId: 'in_9', episodeId: 'failing:in_9', lastFailureReason: 'insufficient_funds', lastFailureAt: '2026-06-13T00:00:00Z' });
		// 40 failing + 20 final stage + 5 for one failure in 90 days.
		expect(p.churnRiskScore).toBe(RISK_WEIGHTS.failing + RISK_WEIGHTS.finalDunningStage + RISK_WEIGHTS.failedPaymentIn90Days);
		expect(p.churnRiskReasons).toContain('invoice in_9 is open after 3 failed attempt(s)');
	});

	it('recovered within 30 days of a failure, then healthy; the window is configurable', () => {
		const charges = [paid('ch_2', NOW - 9 * DAY), failedCharge('ch_f', NOW - 10 * DAY)];
		expect(buildProfile(input({ charges })).paymentHealth).toBe('recovered');
		expect(buildProfile(input({ charges, recoveredDays: 7 })).paymentHealth).toBe('healthy');
		expect(buildProfile(input({ charges: [failedCharge('ch_f', NOW - 31 * DAY)] })).paymentHealth).toBe('healthy');
	});

	it('churned: subscriptions, none live; or a deleted customer. Score 100, the episode names the last subscription', () => {
		const p = buildProfile(input({ subscriptions: [sub({ status: 'canceled', ended_at: NOW - DAY, canceled_at: NOW - DAY })] }));
		expect(p).toMatchObject({ paymentHealth: 'churned', mrr: 0, churnRiskScore: 100, episodeId: 'churned:sub_1', liveSubscriptions: 0, churnedAt: '2026-06-14T00:00:00Z' });
		// Owner alerts: a churn within the window (default 7 days) alerts; an old churn does not (a first sync would alert them all).
		expect(alertSkipReason(p, { healths: ['churned'], mrrThreshold: 1000 })).toBeUndefined();
		const old = buildProfile(input({ now: NOW + 10 * DAY, subscriptions: [sub({ status: 'canceled', ended_at: NOW - DAY, canceled_at: NOW - DAY })] }));
		expect(alertSkipReason(old, { healths: ['churned'], mrrThreshold: 0 })).toBe('churned 11 days ago, before the 7-day alert window');
		expect(alertSkipReason(old, { healths: ['churned'], mrrThreshold: 0, churnWindowDays: 30 })).toBeUndefined();
		expect(alertSkipReason(p, { healths: ['failing'], mrrThreshold: 0 })).toBe('health is churned');
		const deleted = buildProfile(input({ customer: { id: 'cus_1', deleted: true }, subscriptions: [] }));
		expect(deleted).toMatchObject({ paymentHealth: 'churned', deleted: true, domain: null });
		// A customer who never subscribed is not churned.
		expect(buildProfile(input({ subscriptions: [] })).paymentHealth).toBe('healthy');
	});

	it('an open invoice of a canceled subscription does not keep the customer failing once another subscription is live', () => {
		const p = buildProfile(
			input({
				subscriptions: [sub({ id: 'sub_new', created: NOW - DAY }), sub({ id: 'sub_old', status: 'canceled', created: NOW - 200 * DAY })],
				invoices: [{ id: 'in_old', status: 'open', created: NOW - 100 * DAY, attempted: true, attempt_count: 4, amount_remaining: 4900, subscription: 'sub_old' }],
			}),
		);
		expect(p.paymentHealth).toBe('healthy');
	});
});

describe('at risk', () => {
	it('cancels at period end: no next renewal, +50', () => {
		const p = buildProfile(input({ subscriptions: [sub({ cancel_at_period_end: true })] }));
		expect(p).toMatchObject({ paymentHealth: 'atRisk', cancelAtPeriodEnd: true, nextRenewalAt: null, churnRiskScore: RISK_WEIGHTS.cancelsAtPeriodEnd });
	});

	it('a trial ending within 7 days without a payment method; with one it is healthy', () => {
		const trial = sub({ status: 'trialing', trial_end: NOW + 3 * DAY });
		const p = buildProfile(input({ subscriptions: [trial] }));
		expect(p).toMatchObject({ paymentHealth: 'atRisk', mrr: 0, nextRenewalAt: '2026-06-18T00:00:00Z', churnRiskScore: RISK_WEIGHTS.trialEndingWithoutPaymentMethod });
		expect(buildProfile(input({ subscriptions: [{ ...trial, default_payment_method: 'pm_1' }] })).paymentHealth).toBe('healthy');
	});

	it('the default card expires before the next renewal (valid through the end of its month)', () => {
		const pm = { id: 'pm_1', card: { exp_month: 6, exp_year: 2026 } };
		const expiring = buildProfile(input({ customer: { id: 'cus_1', email: 'a@b.example', invoice_settings: { default_payment_method: pm } }, subscriptions: [sub({ items: { data: [{ ...sub().items.data[0], current_period_end: Date.UTC(2026, 6, 2) / 1000 }] } })] }));
		expect(expiring).toMatchObject({ paymentHealth: 'atRisk', churnRiskScore: RISK_WEIGHTS.cardExpiresBeforeRenewal });
		// Renewal on 25 June, card valid through 30 June: fine.
		expect(buildProfile(input({ customer: { id: 'cus_1', invoice_settings: { default_payment_method: pm } } })).paymentHealth).toBe('healthy');
	});

	it('paused is at risk and not MRR; failures in 90 days add 5 each up to 20', () => {
		expect(buildProfile(input({ subscriptions: [sub({ status: 'paused' })] }))).toMatchObject({ paymentHealth: 'atRisk', mrr: 0, churnRiskScore: RISK_WEIGHTS.paused });
		const many = [1, 2, 3, 4, 5, 6].map((k) => failedCharge(`ch_${k}`, NOW - (40 + k) * DAY));
		expect(buildProfile(input({ charges: many }))).toMatchObject({ paymentHealth: 'healthy', churnRiskScore: RISK_WEIGHTS.failedPaymentIn90DaysMax });
	});
});

describe('identity and money', () => {
	it('company domain: metadata domain or website first, else the email domain unless free mail', () => {
		expect(customerDomain({ id: 'c', email: 'x@gmail.com' })).toBeNull();
		expect(customerDomain({ id: 'c', email: 'x@Sub.Acme.io' })).toBe('sub.acme.io');
		expect(customerDomain({ id: 'c', email: 'x@gmail.com', metadata: { website: 'https://www.Acme.com/about' } })).toBe('acme.com');
		expect(normalizeDomain('not a domain')).toBeNull();
	});

	it('converts minor units with each currency\'s digits: 10,000 JPY at 0.0067 = 67.00 USD; 1.500 KWD at 3.25 = 4.88 USD', () => {
		expect(inReporting({ jpy: 10000 }, 'usd', { jpy: 0.0067 })).toBe(67);
		expect(inReporting({ kwd: 1500 }, 'usd', { kwd: 3.25 })).toBe(4.88);
		expect(inReporting({ usd: 4900, eur: 0 }, 'usd', {})).toBe(49);
		expect(() => inReporting({ gbp: 100 }, 'usd', {})).toThrow('No exchange rate from GBP to USD: add GBP to Exchange Rates');
		// A yen reporting currency rounds to whole yen.
		expect(inReporting({ usd: 4999 }, 'jpy', { usd: 150.5 })).toBe(7523);
	});
});

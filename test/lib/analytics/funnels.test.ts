/** The failed-payment and Checkout funnels against hand-computed cases (both API generations' invoice shapes). */
import { checkoutFunnel, failedPaymentFunnel, type ChargeLike, type InvoiceLike } from '../../../lib/analytics';
import { RATES, T } from './fixture';

const charge = (id: string, created: number, status: string, amount: number, currency: string, pm: string, link: Partial<ChargeLike>): ChargeLike => ({ id, created, status, amount, currency, payment_method: pm, ...link });

describe('failed-payment funnel', () => {
	const invoices: InvoiceLike[] = [
		// 2026-10-28.endive shape: payments name the PaymentIntent; every attempt is a charge on it.
		{ id: 'in_retry', customer: 'cus_a', status: 'paid', currency: 'usd', created: T(2026, 3, 1), amount_due: 5000, amount_paid: 5000, parent: { subscription_details: { subscription: 'sub_a' } }, payments: { data: [{ payment: { type: 'payment_intent', payment_intent: 'pi_retry' } }] } },
		// Older shape: a flat payment_intent.
		{ id: 'in_card', customer: 'cus_b', status: 'paid', currency: 'eur', created: T(2026, 4, 1), amount_due: 8000, amount_paid: 8000, subscription: 'sub_b', payment_intent: 'pi_card' },
		// Still open, its subscription canceled by dunning: churned.
		{ id: 'in_churn', customer: 'cus_c', status: 'open', currency: 'usd', created: T(2026, 2, 10), amount_due: 3000, amount_paid: 0, lines: { data: [{ parent: { type: 'subscription_item_details', subscription_item_details: { subscription: 'sub_c', subscription_item: 'si_c' } } }] } },
		// Paid at the first attempt: not in the funnel.
		{ id: 'in_ok', customer: 'cus_e', status: 'paid', currency: 'usd', created: T(2026, 2, 3), amount_due: 4000, amount_paid: 4000, payments: { data: [{ payment: { payment_intent: 'pi_ok' } }] } },
	];
	const charges: ChargeLike[] = [
		charge('ch_1', T(2026, 3, 1), 'failed', 5000, 'usd', 'pm_1', { payment_intent: 'pi_retry' }),
		charge('ch_2', T(2026, 3, 4), 'succeeded', 5000, 'usd', 'pm_1', { payment_intent: 'pi_retry' }), // same card: retry
		charge('ch_3', T(2026, 4, 1), 'failed', 8000, 'eur', 'pm_old', { payment_intent: 'pi_card' }),
		charge('ch_4', T(2026, 4, 4), 'failed', 8000, 'eur', 'pm_old', { invoice: 'in_card' }),
		charge('ch_5', T(2026, 4, 6), 'succeeded', 8000, 'eur', 'pm_new', { payment_intent: 'pi_card' }), // new card: card update
		charge('ch_6', T(2026, 2, 10), 'failed', 3000, 'usd', 'pm_c', { invoice: 'in_churn' }),
		charge('ch_7', T(2026, 2, 15), 'failed', 3000, 'usd', 'pm_c', { invoice: 'in_churn' }),
		charge('ch_8', T(2026, 2, 3), 'succeeded', 4000, 'usd', 'pm_e', { payment_intent: 'pi_ok' }),
		charge('ch_9', T(2026, 2, 3), 'failed', 100, 'usd', 'pm_x', { payment_intent: 'pi_unrelated' }), // no invoice: ignored
	];
	const funnel = () => failedPaymentFunnel({ invoices, charges, subscriptions: [{ id: 'sub_c', status: 'canceled', ended_at: T(2026, 2, 20) }, { id: 'sub_a', status: 'active' }] }, { reportingCurrency: 'usd', rates: RATES });

	it('failed → recovered by retry / by card update → churned', () => {
		const f = funnel();
		expect(f.invoices.map((i) => [i.invoiceId, i.outcome, i.failedAttempts])).toEqual([
			['in_retry', 'recoveredByRetry', 1],
			['in_card', 'recoveredByCardUpdate', 2],
			['in_churn', 'churned', 2],
		]);
		// failed: USD 5,000 + 3,000 = 8,000, EUR 8,000; reporting 8,000 + 8,000 × 1.1 = 16,800
		expect(f.failed).toEqual({ invoices: 3, amount: { usd: 8000, eur: 8000 }, reporting: 16800 });
		expect(f.outcomes.recoveredByRetry).toEqual({ invoices: 1, amount: { usd: 5000 }, reporting: 5000 });
		expect(f.outcomes.recoveredByCardUpdate).toEqual({ invoices: 1, amount: { eur: 8000 }, reporting: 8800 });
		expect(f.outcomes.churned).toEqual({ invoices: 1, amount: { usd: 3000 }, reporting: 3000 });
		expect(f.recovered).toEqual({ invoices: 2, amount: { usd: 5000, eur: 8000 }, reporting: 13800 });
		expect(f.lost).toEqual({ invoices: 1, amount: { usd: 3000 }, reporting: 3000 });
		// recovery rate: USD 5,000 / 8,000 = 0.625, EUR 8,000 / 8,000 = 1, reporting 13,800 / 16,800
		expect(f.recoveryRate.byCurrency).toEqual({ usd: 0.625, eur: 1 });
		expect(f.recoveryRate.reporting).toBeCloseTo(13800 / 16800, 10);
	});

	it('void, uncollectible, paid out of band, still pending', () => {
		const inv = (id: string, status: string): InvoiceLike => ({ id, status, currency: 'usd', created: 1, amount_due: 1000, amount_paid: status === 'paid' ? 1000 : 0, subscription: 'sub_live', charge: `ch_${id}` });
		const f = failedPaymentFunnel(
			{ invoices: ['void', 'uncollectible', 'paid', 'open'].map((s) => inv(`in_${s}`, s)), charges: ['void', 'uncollectible', 'paid', 'open'].map((s) => charge(`ch_in_${s}`, 1, 'failed', 1000, 'usd', 'pm', {})), subscriptions: [{ id: 'sub_live', status: 'past_due' }] },
			{ reportingCurrency: 'usd' },
		);
		expect(f.invoices.map((i) => i.outcome)).toEqual(['void', 'uncollectible', 'recoveredOther', 'pending']);
		expect(f.lost.invoices).toBe(2);
		expect(f.recoveryRate.reporting).toBe(0.25);
	});

	it('the same card by fingerprint when a charge has no payment method id', () => {
		const f = failedPaymentFunnel(
			{
				invoices: [{ id: 'in_1', status: 'paid', currency: 'usd', created: 1, amount_due: 500, charge: 'ch_b' }],
				charges: [
					{ id: 'ch_a', created: 1, status: 'failed', amount: 500, currency: 'usd', invoice: 'in_1', payment_method_details: { card: { fingerprint: 'fp1' } } },
					{ id: 'ch_b', created: 2, status: 'succeeded', amount: 500, currency: 'usd', payment_method_details: { card: { fingerprint: 'fp1' } } },
				],
			},
			{ reportingCurrency: 'usd' },
		);
		expect(f.invoices[0].outcome).toBe('recoveredByRetry');
	});
});

describe('Checkout funnel', () => {
	const sessions = [
		{ id: 'cs_1', created: T(2026, 1, 10), status: 'complete', customer: 'cus_a', customer_details: { address: { country: 'US' } }, subscription: 'sub_a', line_items: { data: [{ price: { id: 'price_seat' } }] } },
		{ id: 'cs_2', created: T(2026, 1, 20), status: 'complete', customer: 'cus_e', customer_details: { address: { country: 'de' } }, subscription: 'sub_e', line_items: { data: [{ price: { id: 'price_team' } }] } },
		{ id: 'cs_3', created: T(2026, 1, 21), status: 'expired', customer_details: { address: { country: 'US' } }, line_items: { data: [{ price: { id: 'price_seat' } }] } }, // drop-off: never completed
		{ id: 'cs_4', created: T(2026, 2, 1), status: 'complete', customer: 'cus_x', customer_details: null, subscription: 'sub_x', line_items: { data: [{ price: 'price_team' }] } }, // drop-off: first invoice not paid
		{ id: 'cs_5', created: T(2026, 2, 2), status: 'open', customer_details: { address: { country: 'DE' } }, line_items: { data: [{ price: { id: 'price_seat' } }] } },
	];
	const invoices: InvoiceLike[] = [
		{ id: 'in_a1', status: 'paid', currency: 'usd', created: T(2026, 1, 10), amount_due: 10000, parent: { subscription_details: { subscription: 'sub_a' } } },
		{ id: 'in_e0', status: 'paid', currency: 'usd', created: T(2026, 1, 20), amount_due: 0, subscription: 'sub_e' }, // the trial's 0.00 invoice: skipped
		{ id: 'in_e1', status: 'paid', currency: 'usd', created: T(2026, 2, 3), amount_due: 4000, subscription: 'sub_e' },
		{ id: 'in_x1', status: 'open', currency: 'usd', created: T(2026, 2, 1), amount_due: 2500, lines: { data: [{ pricing: { price_details: { price: 'price_team' } }, parent: { subscription_item_details: { subscription: 'sub_x', subscription_item: 'si_x' } } }] } },
	];

	it('created → completed → first invoice paid, by country (customer address as fallback) and by price', () => {
		const f = checkoutFunnel({ sessions, invoices, customers: [{ id: 'cus_x', address: { country: 'FR' } }] });
		// 5 created, 3 completed (cs_1, cs_2, cs_4), 2 paid (cs_1, cs_2): 3/5 and 2/3
		expect(f.total).toEqual({ created: 5, completed: 3, paid: 2, completionRate: 0.6, paymentRate: 2 / 3 });
		expect(f.byCountry).toEqual({
			US: { created: 2, completed: 1, paid: 1, completionRate: 0.5, paymentRate: 1 },
			DE: { created: 2, completed: 1, paid: 1, completionRate: 0.5, paymentRate: 1 },
			FR: { created: 1, completed: 1, paid: 0, completionRate: 1, paymentRate: 0 },
		});
		expect(f.byPrice).toEqual({
			price_seat: { created: 3, completed: 1, paid: 1, completionRate: 1 / 3, paymentRate: 1 },
			price_team: { created: 2, completed: 2, paid: 1, completionRate: 1, paymentRate: 0.5 },
		});
	});

	it('a payment-mode session without an invoice is paid by its payment_status', () => {
		const f = checkoutFunnel({ sessions: [{ id: 'cs_p', created: 1, status: 'complete', mode: 'payment', payment_status: 'paid', amount_total: 900 }] });
		expect(f.total).toMatchObject({ created: 1, completed: 1, paid: 1 });
		expect(f.byCountry).toHaveProperty('unknown');
		expect(f.byPrice).toHaveProperty('unknown');
	});
});

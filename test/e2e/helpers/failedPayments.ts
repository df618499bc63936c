/** Failed payments on the Stripe sandbox for the Smart Retry and pipeline e2e tests. */
import Stripe from 'stripe';

import { GLOBAL_TEST_CLOCK_ID } from '../../../sandbox';

/** A sandbox scenario: every first attempt on a plain (non-test) card declines with insufficient funds; a retry clears it. */
export const RETRY_CLEARS_INSUFFICIENT_FUNDS = { declineRate: 1, declineCodes: { insufficient_funds: 1 }, insufficientFunds: { baseRecovery: 1, paydayRecovery: 1, paydayWindowDays: 3 } };

const PLACES = {
	us: { address: { country: 'US', city: 'New York', line1: '1 Main St', postal_code: '10001', state: 'NY' }, locale: 'en', currency: 'usd' },
	de: { address: { country: 'DE', city: 'Berlin', line1: 'Hauptstraße 1', postal_code: '10115' }, locale: 'de', currency: 'eur' },
} as const;

/**
 * A customer on the sandbox's global test clock (email `<label>@example.com`) whose one-off invoice of 49.00 has
 * just failed its first charge: with a plain card (declined by the scenario) or a test token such as
 * `tok_chargeDeclinedLostCard`.
 */
export async function failedInvoice(
	stripe: Stripe,
	label: string,
	options: { token?: string; place?: keyof typeof PLACES } = {},
): Promise<{ customer: Stripe.Customer; invoice: Stripe.Invoice }> {
	const place = PLACES[options.place ?? 'us'];
	const pm = options.token
		? await stripe.paymentMethods.create({ type: 'card', card: { token: options.token } } as Stripe.PaymentMethodCreateParams)
		: await stripe.paymentMethods.create({ type: 'card', card: { number: '4000001234567899', exp_month: 12, exp_year: 2030, cvc: '123' } });
	const customer = await stripe.customers.create({
		name: `Customer ${label}`,
		email: `${label}@example.com`,
		address: place.address,
		preferred_locales: [place.locale],
		test_clock: GLOBAL_TEST_CLOCK_ID,
	} as Stripe.CustomerCreateParams);
	await stripe.paymentMethods.attach(pm.id, { customer: customer.id });
	await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
	const draft = await stripe.invoices.create({ customer: customer.id, auto_advance: true, currency: place.currency });
	await stripe.invoiceItems.create({ customer: customer.id, invoice: draft.id, amount: 4900, currency: place.currency });
	await stripe.invoices.finalizeInvoice(draft.id as string);
	await stripe.invoices.pay(draft.id as string).catch(() => undefined);
	const invoice = await stripe.invoices.retrieve(draft.id as string);
	expect(invoice).toMatchObject({ status: 'open', attempt_count: 1 });
	return { customer, invoice };
}

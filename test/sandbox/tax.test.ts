import Stripe from 'stripe';
import { startSandbox, type Sandbox } from '../../sandbox';
import { raw, stripeClient } from './helpers';

const DAY = 86400;
const NOW = Date.UTC(2026, 2, 10, 12) / 1000;

type Addr = Stripe.AddressParam;

/** The sum of a list of taxes. */
const sum = (taxes: { amount: number }[] | null | undefined) => (taxes ?? []).reduce((s, t) => s + t.amount, 0);

describe('tax: tax rates and automatic tax (Stripe Tax) on invoices', () => {
	let sb: Sandbox;
	let stripe: Stripe;
	beforeAll(async () => {
		sb = await startSandbox({ seed: 3, rateLimits: false, now: NOW, clock: 'frozen' });
		stripe = stripeClient(sb);
	});
	afterAll(() => sb.close());

	async function customer(address: Addr, extra: Partial<Stripe.CustomerCreateParams> = {}): Promise<Stripe.Customer> {
		return stripe.customers.create({ name: 'Tax Payer', email: 'tax@example.com', address, payment_method: 'pm_card_visa', invoice_settings: { default_payment_method: 'pm_card_visa' }, ...extra });
	}

	/** A draft invoice with automatic tax and one invoice item per amount. */
	async function taxedInvoice(c: Stripe.Customer, currency: string, amounts: number[]): Promise<Stripe.Invoice> {
		const inv = await stripe.invoices.create({ customer: c.id, currency, automatic_tax: { enabled: true }, auto_advance: false });
		for (const [i, amount] of amounts.entries()) await stripe.invoiceItems.create({ customer: c.id, invoice: inv.id, amount, currency, description: `Item ${i + 1}` });
		return stripe.invoices.retrieve(inv.id as string);
	}

	function expectConsistent(inv: Stripe.Invoice): void {
		const lines = inv.lines.data;
		expect(inv.subtotal).toBe(lines.reduce((s, l) => s + l.amount, 0));
		expect(inv.total_excluding_tax).toBe(inv.subtotal);
		expect(inv.subtotal_excluding_tax).toBe(inv.subtotal);
		expect(sum(inv.total_taxes)).toBe(lines.reduce((s, l) => s + sum(l.taxes), 0));
		expect(inv.total).toBe((inv.total_excluding_tax as number) + sum(inv.total_taxes));
		expect(inv.amount_due).toBe(inv.total);
	}

	it('Ontario: HST 13 % on each line and in total_taxes, rounded per line; the charge takes the total with tax', async () => {
		const c = await customer({ line1: '1 King St W', city: 'Toronto', state: 'ON', country: 'CA', postal_code: 'M5H 1A1' });
		const inv = await taxedInvoice(c, 'cad', [1000, 2550]);
		expect(inv.automatic_tax).toEqual({ enabled: true, status: 'complete', liability: { type: 'self' }, provider: 'stripe', disabled_reason: null });
		const [a, b] = inv.lines.data.sort((x, y) => x.amount - y.amount);
		for (const [line, tax] of [
			[a, 130],
			[b, 332], // 331.5 rounds half up
		] as const) {
			expect(line.taxes).toHaveLength(1);
			expect(line.taxes?.[0]).toEqual({ amount: tax, tax_behavior: 'exclusive', tax_rate_details: { tax_rate: expect.stringMatching(/^txr_/) }, taxability_reason: 'standard_rated', taxable_amount: line.amount, type: 'tax_rate_details' });
		}
		const rateId = a.taxes?.[0].tax_rate_details?.tax_rate as string;
		expect(b.taxes?.[0].tax_rate_details?.tax_rate).toBe(rateId); // one rate per jurisdiction and rate, reused
		expect(inv.total_taxes).toEqual([{ amount: 462, tax_behavior: 'exclusive', tax_rate_details: { tax_rate: rateId }, taxability_reason: 'standard_rated', taxable_amount: 3550, type: 'tax_rate_details' }]);
		expect(inv.total).toBe(4012);
		expectConsistent(inv);
		const rate = await stripe.taxRates.retrieve(rateId);
		expect(rate).toMatchObject({ object: 'tax_rate', jurisdiction: 'ON', country: 'CA', state: 'ON', tax_type: 'hst', percentage: 13, inclusive: false, display_name: 'HST', effective_percentage: 13, rate_type: 'percentage', livemode: false });

		const paid = await stripe.invoices.pay(inv.id as string);
		expect(paid).toMatchObject({ status: 'paid', amount_paid: 4012, total: 4012 });
		const payments = await stripe.invoicePayments.list({ invoice: inv.id as string });
		const pi = await stripe.paymentIntents.retrieve(payments.data[0].payment.payment_intent as string, { expand: ['latest_charge.balance_transaction'] });
		expect(pi.amount).toBe(4012);
		const charge = pi.latest_charge as Stripe.Charge;
		expect(charge.amount).toBe(4012);
		const bt = charge.balance_transaction as Stripe.BalanceTransaction;
		// Settled to USD: the gross is the converted total, tax included.
		expect(bt.amount).toBe(Math.round(4012 * (bt.exchange_rate as number)));
	});

	it('expands total_taxes.tax_rate_details.tax_rate and the lines’ rates', async () => {
		const c = await customer({ line1: '2 Granville St', city: 'Vancouver', state: 'BC', country: 'CA', postal_code: 'V6C 1T2' });
		const inv = await taxedInvoice(c, 'cad', [2500]);
		const expanded = await stripe.invoices.retrieve(inv.id as string, { expand: ['total_taxes.tax_rate_details.tax_rate'] });
		const rates = (expanded.total_taxes ?? []).map((t) => t.tax_rate_details?.tax_rate as unknown as Stripe.TaxRate);
		// BC: federal GST 5 % plus provincial PST 7 %.
		expect(rates.map((r) => [r.object, r.jurisdiction, r.state, r.tax_type, r.percentage])).toEqual([
			['tax_rate', 'CA', null, 'gst', 5],
			['tax_rate', 'BC', 'BC', 'pst', 7],
		]);
		expect((expanded.total_taxes ?? []).map((t) => t.amount)).toEqual([125, 175]);
		// Lines: `lines.data.taxes.tax_rate_details.tax_rate` is 5 levels, more than Stripe expands; the lines endpoint takes 4.
		const lines = await stripe.invoices.listLineItems(inv.id as string, { expand: ['data.taxes.tax_rate_details.tax_rate'] });
		expect((lines.data[0].taxes?.[1].tax_rate_details?.tax_rate as unknown as Stripe.TaxRate).id).toBe(rates[1].id);
		expect(expanded.total).toBe(2800);
	});

	it('Québec: GST 5 % + QST 9.975 %, exact to the cent', async () => {
		const c = await customer({ line1: '1 Rue Sainte-Catherine', city: 'Montréal', state: 'QC', country: 'CA', postal_code: 'H3B 1A7' });
		const inv = await taxedInvoice(c, 'cad', [1000, 6500]);
		const lines = inv.lines.data.sort((x, y) => x.amount - y.amount);
		// 1000 × 9.975 % = 99.75 → 100; 6500 × 9.975 % = 648.375 → 648.
		expect(lines.map((l) => l.taxes?.map((t) => t.amount))).toEqual([
			[50, 100],
			[325, 648],
		]);
		const qst = await stripe.taxRates.retrieve(lines[0].taxes?.[1].tax_rate_details?.tax_rate as string);
		expect(qst).toMatchObject({ jurisdiction: 'QC', country: 'CA', state: 'QC', tax_type: 'qst', percentage: 9.975 });
		expectConsistent(inv);
	});

	it('Germany: 19 % VAT on a subscription with automatic tax, and again on its renewal', async () => {
		const c = await customer({ line1: 'Unter den Linden 1', city: 'Berlin', country: 'DE', postal_code: '10117' });
		const product = await stripe.products.create({ name: 'Pro' });
		const price = await stripe.prices.create({ product: product.id, currency: 'eur', unit_amount: 4500, recurring: { interval: 'month' } });
		const sub = await stripe.subscriptions.create({ customer: c.id, items: [{ price: price.id }], automatic_tax: { enabled: true }, expand: ['latest_invoice'] });
		expect(sub.status).toBe('active');
		expect(sub.automatic_tax).toEqual({ enabled: true, liability: { type: 'self' }, disabled_reason: null });
		const first = sub.latest_invoice as Stripe.Invoice;
		expect(first.lines.data[0].taxes?.map((t) => [t.amount, t.taxable_amount])).toEqual([[855, 4500]]);
		expect(first).toMatchObject({ status: 'paid', subtotal: 4500, total_excluding_tax: 4500, total: 5355, amount_paid: 5355 });
		const rate = await stripe.taxRates.retrieve(first.total_taxes?.[0].tax_rate_details?.tax_rate as string);
		expect(rate).toMatchObject({ jurisdiction: 'DE', country: 'DE', state: null, tax_type: 'vat', percentage: 19, display_name: 'VAT', description: 'VAT Germany' });
		await sb.clock.advance(32 * DAY);
		const renewal = (await stripe.invoices.list({ subscription: sub.id, limit: 1 })).data[0];
		expect(renewal.id).not.toBe(first.id);
		expect(renewal).toMatchObject({ billing_reason: 'subscription_cycle', status: 'paid', total: 5355 });
		expect(renewal.total_taxes?.[0].tax_rate_details?.tax_rate).toBe(rate.id);
	});

	it('US: state sales tax for a seeded state (Texas 6.25 %), no local taxes', async () => {
		const c = await customer({ line1: '100 Congress Ave', city: 'Austin', state: 'TX', country: 'US', postal_code: '78701' });
		const inv = await taxedInvoice(c, 'usd', [4900, 1900]);
		const lines = inv.lines.data.sort((x, y) => x.amount - y.amount);
		// 1900 × 6.25 % = 118.75 → 119; 4900 × 6.25 % = 306.25 → 306.
		expect(lines.map((l) => sum(l.taxes))).toEqual([119, 306]);
		expect(inv.total).toBe(6800 + 425);
		const rate = await stripe.taxRates.retrieve(inv.total_taxes?.[0].tax_rate_details?.tax_rate as string);
		expect(rate).toMatchObject({ jurisdiction: 'TX', country: 'US', state: 'TX', tax_type: 'sales_tax', percentage: 6.25, display_name: 'Sales Tax', jurisdiction_level: 'state' });
		expectConsistent(inv);
		const paid = await stripe.invoices.pay(inv.id as string);
		const pi = await stripe.paymentIntents.retrieve((await stripe.invoicePayments.list({ invoice: paid.id as string })).data[0].payment.payment_intent as string, { expand: ['latest_charge.balance_transaction'] });
		const bt = (pi.latest_charge as Stripe.Charge).balance_transaction as Stripe.BalanceTransaction;
		expect(bt).toMatchObject({ amount: 7225, currency: 'usd' });
		expect(bt.net).toBe(7225 - bt.fee);
	});

	it('JPY (zero-decimal): 10 % consumption tax rounded per line in whole yen', async () => {
		const c = await customer({ line1: '1-1 Marunouchi', city: 'Tokyo', country: 'JP', postal_code: '100-0005' });
		const inv = await taxedInvoice(c, 'jpy', [1235, 1005]);
		const lines = inv.lines.data.sort((x, y) => x.amount - y.amount);
		// ¥100.5 → ¥101 and ¥123.5 → ¥124: ¥225, where one rounding on the whole would give ¥224.
		expect(lines.map((l) => sum(l.taxes))).toEqual([101, 124]);
		expect(inv.total_taxes?.map((t) => [t.amount, t.taxable_amount])).toEqual([[225, 2240]]);
		expect(inv).toMatchObject({ currency: 'jpy', subtotal: 2240, total: 2465, amount_due: 2465 });
		const rate = await stripe.taxRates.retrieve(inv.total_taxes?.[0].tax_rate_details?.tax_rate as string);
		expect(rate).toMatchObject({ jurisdiction: 'JP', country: 'JP', tax_type: 'jct', percentage: 10 });
	});

	it('zero tax: reverse charge (tax_exempt reverse), exempt customers, and markets where the account does not collect', async () => {
		const b2b = await customer({ line1: '1 Rue de Rivoli', city: 'Paris', country: 'FR', postal_code: '75001' }, { tax_exempt: 'reverse' });
		const rc = await taxedInvoice(b2b, 'eur', [18900]);
		expect(rc.total_taxes).toEqual([{ amount: 0, tax_behavior: 'exclusive', tax_rate_details: { tax_rate: expect.stringMatching(/^txr_/) }, taxability_reason: 'reverse_charge', taxable_amount: 18900, type: 'tax_rate_details' }]);
		expect(rc).toMatchObject({ total: 18900, customer_tax_exempt: 'reverse' });
		expect(await stripe.taxRates.retrieve(rc.total_taxes?.[0].tax_rate_details?.tax_rate as string)).toMatchObject({ country: 'FR', tax_type: 'vat', percentage: 0 });
		const exempt = await customer({ line1: '1 Main St', city: 'Leeds', country: 'GB', postal_code: 'LS1 1AA' }, { tax_exempt: 'exempt' });
		const ex = await taxedInvoice(exempt, 'gbp', [1600]);
		expect(ex.total_taxes?.map((t) => [t.amount, t.taxability_reason])).toEqual([[0, 'customer_exempt']]);
		expect(ex.total).toBe(1600);
		const br = await customer({ line1: 'Av. Paulista 1000', city: 'São Paulo', state: 'SP', country: 'BR', postal_code: '01310-100' });
		const brInv = await taxedInvoice(br, 'usd', [1900]);
		expect(brInv.total_taxes?.map((t) => [t.amount, t.taxability_reason, t.taxable_amount])).toEqual([[0, 'not_collecting', 0]]);
		expect(brInv.total).toBe(1900);
	});

	it('refuses automatic tax without a usable customer location', async () => {
		const nowhere = await stripe.customers.create({ name: 'No Address', payment_method: 'pm_card_visa', invoice_settings: { default_payment_method: 'pm_card_visa' } });
		const usNoState = await customer({ line1: '1 Main St', city: 'Somewhere', country: 'US', postal_code: '10001' });
		const product = await stripe.products.create({ name: 'Starter' });
		const price = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 1900, recurring: { interval: 'month' } });
		for (const c of [nowhere, usNoState]) {
			await expect(stripe.subscriptions.create({ customer: c.id, items: [{ price: price.id }], automatic_tax: { enabled: true } })).rejects.toMatchObject({ type: 'StripeInvalidRequestError', code: 'customer_tax_location_invalid' });
		}
		const inv = await taxedInvoice(nowhere, 'usd', [1900]);
		expect(inv.automatic_tax.status).toBe('requires_location_inputs');
		await expect(stripe.invoices.finalizeInvoice(inv.id as string)).rejects.toMatchObject({ code: 'customer_tax_location_invalid' });
		expect(await stripe.invoices.retrieve(inv.id as string)).toMatchObject({ status: 'draft', last_finalization_error: { code: 'customer_tax_location_invalid' } });
		// Once the address is known, the draft gets its tax and finalizes.
		await stripe.customers.update(nowhere.id, { address: { line1: '5 Market St', city: 'Sydney', state: 'NSW', country: 'AU', postal_code: '2000' } });
		const fin = await stripe.invoices.finalizeInvoice(inv.id as string);
		expect(fin).toMatchObject({ status: 'open', total: 2090, last_finalization_error: null, automatic_tax: { status: 'complete' } });
	});

	it('creates, lists and updates tax rates; manual default_tax_rates, exclusive and inclusive', async () => {
		const vat = await stripe.taxRates.create({ display_name: 'VAT', percentage: 21, inclusive: true, country: 'NL', jurisdiction: 'NL', tax_type: 'vat', description: 'VAT Netherlands', metadata: { book: 'nl' } });
		expect(vat).toMatchObject({ object: 'tax_rate', display_name: 'VAT', percentage: 21, inclusive: true, country: 'NL', state: null, jurisdiction: 'NL', jurisdiction_level: null, tax_type: 'vat', active: true, description: 'VAT Netherlands', metadata: { book: 'nl' }, effective_percentage: null, flat_amount: null, livemode: false });
		expect(vat.id).toMatch(/^txr_/);
		const gst = await stripe.taxRates.create({ display_name: 'GST', percentage: 9, inclusive: false, country: 'SG', tax_type: 'gst' });
		expect((await stripe.taxRates.list({ active: true, limit: 100 })).data.map((r) => r.id)).toEqual(expect.arrayContaining([vat.id, gst.id]));
		expect((await stripe.taxRates.list({ inclusive: true, limit: 100 })).data.every((r) => r.inclusive)).toBe(true);
		expect(await stripe.taxRates.update(gst.id, { description: 'GST Singapore', metadata: { book: 'sg' } })).toMatchObject({ description: 'GST Singapore', metadata: { book: 'sg' }, percentage: 9 });
		await expect(stripe.taxRates.create({ display_name: 'Bad', percentage: 120, inclusive: false })).rejects.toMatchObject({ param: 'percentage' });
		await expect(stripe.taxRates.create({ display_name: 'Bad', percentage: 5 } as Stripe.TaxRateCreateParams)).rejects.toMatchObject({ code: 'parameter_missing', param: 'inclusive' });

		const c = await customer({ line1: 'Dam 1', city: 'Amsterdam', country: 'NL', postal_code: '1012 JS' });
		const inc = await stripe.invoices.create({ customer: c.id, currency: 'eur', default_tax_rates: [vat.id], auto_advance: false });
		await stripe.invoiceItems.create({ customer: c.id, invoice: inc.id, amount: 12100, currency: 'eur' });
		const incl = await stripe.invoices.retrieve(inc.id as string);
		// Inclusive: the line amount holds the tax (12100 = 10000 + 2100).
		expect(incl.lines.data[0].taxes).toEqual([{ amount: 2100, tax_behavior: 'inclusive', tax_rate_details: { tax_rate: vat.id }, taxability_reason: 'not_available', taxable_amount: 10000, type: 'tax_rate_details' }]);
		expect(incl).toMatchObject({ subtotal: 12100, subtotal_excluding_tax: 10000, total_excluding_tax: 10000, total: 12100, amount_due: 12100 });
		expect(incl.default_tax_rates.map((r) => r.id)).toEqual([vat.id]);
		await expect(stripe.invoices.create({ customer: c.id, default_tax_rates: [vat.id], automatic_tax: { enabled: true } })).rejects.toMatchObject({ param: 'default_tax_rates' });
		const exc = await stripe.invoices.create({ customer: c.id, currency: 'sgd', auto_advance: false });
		await stripe.invoiceItems.create({ customer: c.id, invoice: exc.id, amount: 1000, currency: 'sgd' });
		const updated = await stripe.invoices.update(exc.id as string, { default_tax_rates: [gst.id] });
		expect(updated).toMatchObject({ subtotal: 1000, total_excluding_tax: 1000, total: 1090 });
		expect(updated.total_taxes?.[0]).toMatchObject({ amount: 90, tax_behavior: 'exclusive', taxable_amount: 1000 });
		const automatic = await stripe.invoices.update(exc.id as string, { default_tax_rates: '', automatic_tax: { enabled: true } });
		expect(automatic.total_taxes?.map((t) => t.amount)).toEqual([210]); // NL VAT 21 % on 1000, as Stripe Tax sees an NL address
	});

	it('GET /v1/tax_rates/:id answers 404 for an unknown id; unknown parameters are refused', async () => {
		expect((await raw(sb, 'GET', '/v1/tax_rates/txr_nope')).status).toBe(404);
		const bad = await raw(sb, 'POST', '/v1/tax_rates', { body: 'display_name=X&percentage=5&inclusive=false&rate=5' });
		expect(bad.status).toBe(400);
		expect(bad.json.error).toMatchObject({ code: 'parameter_unknown', param: 'rate' });
	});
});

describe('tax in the seeded business', () => {
	let sb: Sandbox;
	let stripe: Stripe;
	beforeAll(async () => {
		sb = await startSandbox({ seed: 42, now: Date.UTC(2026, 5, 15) / 1000, clock: 'frozen', rateLimits: false, seedData: { customers: 150, months: 12 } });
		stripe = stripeClient(sb);
	});
	afterAll(() => sb.close());

	it('a seeded year of paid invoices carries tax across its markets, total_taxes consistent with the lines', async () => {
		const rates = new Map<string, Stripe.TaxRate>();
		for await (const r of stripe.taxRates.list({ limit: 100 })) rates.set(r.id, r);
		const perJurisdiction = new Map<string, number>();
		let invoices = 0;
		let taxed = 0;
		let totalTax = 0;
		let lineTax = 0;
		for await (const inv of stripe.invoices.list({ status: 'paid', limit: 100 })) {
			invoices++;
			expect(inv.automatic_tax).toMatchObject({ enabled: true, status: 'complete' });
			const lines = inv.lines.data;
			expect(inv.lines.has_more).toBe(false);
			const fromLines = lines.reduce((s, l) => s + sum(l.taxes), 0);
			expect(sum(inv.total_taxes)).toBe(fromLines);
			expect(inv.total).toBe((inv.total_excluding_tax as number) + fromLines);
			expect(inv.amount_paid).toBe(inv.total);
			// Each line's tax is its amount × the rate, rounded to the nearest minor unit.
			for (const l of lines) for (const t of l.taxes ?? []) if (t.taxability_reason === 'standard_rated') expect(Math.abs(t.amount - (l.amount * (rates.get(t.tax_rate_details?.tax_rate as string) as Stripe.TaxRate).percentage) / 100)).toBeLessThanOrEqual(0.5 + 1e-9);
			totalTax += sum(inv.total_taxes);
			lineTax += fromLines;
			if (sum(inv.total_taxes) > 0) taxed++;
			for (const t of inv.total_taxes ?? []) {
				const r = rates.get(t.tax_rate_details?.tax_rate as string) as Stripe.TaxRate;
				expect(r).toBeDefined();
				if (t.amount > 0) perJurisdiction.set(`${r.country}-${r.state ?? ''}`, (perJurisdiction.get(`${r.country}-${r.state ?? ''}`) ?? 0) + t.amount);
			}
		}
		expect(invoices).toBeGreaterThan(500);
		expect(taxed / invoices).toBeGreaterThan(0.8);
		expect(totalTax).toBe(lineTax);
		const keys = [...perJurisdiction.keys()];
		for (const k of ['DE-', 'FR-', 'GB-', 'AU-', 'CA-']) expect(keys).toContain(k);
		expect(keys.filter((k) => k.startsWith('CA-') && k !== 'CA-').length).toBeGreaterThanOrEqual(2);
		expect(keys.filter((k) => k.startsWith('US-')).length).toBeGreaterThanOrEqual(3);
	});
});

/**
 * Tax: TaxRate objects (`/v1/tax_rates`) and the sandbox's stand-in for Stripe Tax (`automatic_tax[enabled]=true` on
 * subscriptions and invoices). Stripe Tax works out the jurisdictions from the customer's address and puts the result
 * on the invoice as `taxes[]` per line and `total_taxes[]` per rate, each pointing at a TaxRate that Stripe creates
 * for that jurisdiction and rate. The sandbox does the same from a built-in table of its markets (`TAX_TABLE`).
 *
 * The table is the sandbox's simplification, not tax advice: standard rates only (no reduced rates, product tax
 * codes or thresholds), US sales tax at the state rate only (no county, city or district taxes, and every seeded
 * state treated as taxing SaaS), the account registered everywhere in the table and nowhere else (`not_collecting`
 * elsewhere), and all automatic tax exclusive (added on top of the price, the usual B2C SaaS case).
 */
import type Stripe from 'stripe';
import { invalidParam, invalidState, missingParam } from '../core/errors';
import { createdFilter } from '../core/list';
import type { Router } from '../core/router';
import type { World } from '../world';

export const TAX_TYPES = ['admissions_tax', 'amusement_tax', 'attendance_tax', 'communications_tax', 'digital_excise_tax', 'entertainment_tax', 'get_fund', 'gross_receipts_tax', 'gst', 'hospitality_tax', 'hst', 'igst', 'jct', 'lease_tax', 'luxury_tax', 'mass_transit_parking_tax', 'nhil', 'parking_tax', 'pst', 'qst', 'resort_tax', 'retail_delivery_fee', 'rst', 'sales_tax', 'service_tax', 'tourism_tax', 'utility_users_tax', 'vat'] as const;

/** One tax of one jurisdiction (a TaxRate is this plus a percentage). */
export interface Jurisdiction {
	country: string;
	/** Province or state code for sub-national taxes, else null. */
	state: string | null;
	/** Stripe's `jurisdiction`: the country code for national taxes, the state/province code otherwise. */
	jurisdiction: string;
	level: Stripe.TaxRate.JurisdictionLevel;
	taxType: Stripe.TaxRate.TaxType;
	displayName: string;
	description: string;
	/** Percentage out of 100, at most 4 decimals. */
	percentage: number;
}

const vat = (country: string, name: string, percentage: number): Jurisdiction => ({ country, state: null, jurisdiction: country, level: 'country', taxType: 'vat', displayName: 'VAT', description: `VAT ${name}`, percentage });

/** EU standard VAT rates (as of 2026), charged at the customer's country rate (non-Union OSS for a US seller). */
const EU_VAT: Record<string, [string, number]> = {
	AT: ['Austria', 20], BE: ['Belgium', 21], BG: ['Bulgaria', 20], HR: ['Croatia', 25], CY: ['Cyprus', 19], CZ: ['Czechia', 21], DK: ['Denmark', 25], EE: ['Estonia', 24], FI: ['Finland', 25.5], FR: ['France', 20], DE: ['Germany', 19], GR: ['Greece', 24], HU: ['Hungary', 27], IE: ['Ireland', 23], IT: ['Italy', 22], LV: ['Latvia', 21], LT: ['Lithuania', 21], LU: ['Luxembourg', 17], MT: ['Malta', 18], NL: ['Netherlands', 21], PL: ['Poland', 23], PT: ['Portugal', 23], RO: ['Romania', 21], SK: ['Slovakia', 23], SI: ['Slovenia', 22], ES: ['Spain', 21], SE: ['Sweden', 25],
};

/** US state sales tax, state rate only (no local taxes). The seeded states, plus none: other states are `not_collecting`. */
const US_STATES: Record<string, [string, number]> = {
	AZ: ['Arizona', 5.6], CA: ['California', 7.25], CO: ['Colorado', 2.9], FL: ['Florida', 6], HI: ['Hawaii', 4], IL: ['Illinois', 6.25], NY: ['New York', 4], TX: ['Texas', 6.25], WA: ['Washington', 6.5],
};

const CA_GST: Jurisdiction = { country: 'CA', state: null, jurisdiction: 'CA', level: 'country', taxType: 'gst', displayName: 'GST', description: 'GST Canada', percentage: 5 };
const hst = (state: string, name: string, percentage: number): Jurisdiction => ({ country: 'CA', state, jurisdiction: state, level: 'multiple', taxType: 'hst', displayName: 'HST', description: `HST ${name}`, percentage });
const provincial = (state: string, name: string, taxType: 'pst' | 'qst' | 'rst', percentage: number): Jurisdiction => ({ country: 'CA', state, jurisdiction: state, level: 'state', taxType, displayName: taxType.toUpperCase(), description: `${taxType.toUpperCase()} ${name}`, percentage });

/** Canada by province: HST alone, or GST plus a provincial tax, or GST alone. */
const CA_PROVINCES: Record<string, Jurisdiction[]> = {
	ON: [hst('ON', 'Ontario', 13)],
	NS: [hst('NS', 'Nova Scotia', 14)],
	NB: [hst('NB', 'New Brunswick', 15)],
	NL: [hst('NL', 'Newfoundland and Labrador', 15)],
	PE: [hst('PE', 'Prince Edward Island', 15)],
	BC: [CA_GST, provincial('BC', 'British Columbia', 'pst', 7)],
	QC: [CA_GST, provincial('QC', 'Québec', 'qst', 9.975)],
	MB: [CA_GST, provincial('MB', 'Manitoba', 'rst', 7)],
	SK: [CA_GST, provincial('SK', 'Saskatchewan', 'pst', 6)],
	AB: [CA_GST],
	YT: [CA_GST],
	NT: [CA_GST],
	NU: [CA_GST],
};

/** National taxes outside the EU. */
const NATIONAL: Record<string, Jurisdiction> = {
	GB: vat('GB', 'United Kingdom', 20),
	AU: { country: 'AU', state: null, jurisdiction: 'AU', level: 'country', taxType: 'gst', displayName: 'GST', description: 'GST Australia', percentage: 10 },
	JP: { country: 'JP', state: null, jurisdiction: 'JP', level: 'country', taxType: 'jct', displayName: 'JCT', description: 'JCT Japan (consumption tax)', percentage: 10 },
};

/** Countries where the sandbox account is not registered, with the tax it would be: zero, `not_collecting`. */
const NOT_REGISTERED: Record<string, Jurisdiction> = {
	BR: { country: 'BR', state: null, jurisdiction: 'BR', level: 'country', taxType: 'service_tax', displayName: 'Tax', description: 'Brazil (not registered)', percentage: 0 },
};

/** The whole table, for docs and tests. */
export const TAX_TABLE = { EU_VAT, US_STATES, CA_PROVINCES, NATIONAL, NOT_REGISTERED } as const;

export interface TaxLocation {
	country: string;
	state: string | null;
}

/** The customer's tax location: shipping address, else billing address. US and CA need a state. Null if not usable. */
export function taxLocation(c: Stripe.Customer): TaxLocation | null {
	const a = c.shipping?.address?.country ? c.shipping.address : c.address;
	const country = a?.country?.trim().toUpperCase();
	if (!country || !/^[A-Z]{2}$/.test(country)) return null;
	let state = a?.state?.trim().toUpperCase() || null;
	if (state && state.startsWith(`${country}-`)) state = state.slice(country.length + 1);
	if ((country === 'US' || country === 'CA') && !state) return null;
	if (country === 'CA' && state && !CA_PROVINCES[state]) return null;
	return { country, state };
}

/** The jurisdictions that tax a sale to this location, and whether the account collects there. */
export function jurisdictionsFor(loc: TaxLocation): { rates: Jurisdiction[]; collecting: boolean } {
	const eu = EU_VAT[loc.country];
	if (eu) return { rates: [vat(loc.country, eu[0], eu[1])], collecting: true };
	const national = NATIONAL[loc.country];
	if (national) return { rates: [national], collecting: true };
	if (loc.country === 'CA') return { rates: CA_PROVINCES[loc.state as string], collecting: true };
	if (loc.country === 'US') {
		const st = US_STATES[loc.state as string];
		if (st) return { rates: [{ country: 'US', state: loc.state, jurisdiction: loc.state as string, level: 'state', taxType: 'sales_tax', displayName: 'Sales Tax', description: `${st[0]} sales tax`, percentage: st[1] }], collecting: true };
		return { rates: [{ country: 'US', state: loc.state, jurisdiction: loc.state as string, level: 'state', taxType: 'sales_tax', displayName: 'Sales Tax', description: `${loc.state} sales tax (not registered)`, percentage: 0 }], collecting: false };
	}
	const other = NOT_REGISTERED[loc.country] ?? { country: loc.country, state: null, jurisdiction: loc.country, level: 'country', taxType: 'vat', displayName: 'Tax', description: `${loc.country} (not registered)`, percentage: 0 };
	return { rates: [other], collecting: false };
}

/** Rounds base × percentage / 100 half away from zero, exactly (percentages have at most 4 decimals). */
export function taxOn(base: number, percentage: number): number {
	const p = BigInt(Math.round(percentage * 10_000));
	const n = BigInt(Math.abs(Math.round(base))) * p;
	const q = Number((n * 2n + 1_000_000n) / 2_000_000n);
	return base < 0 ? -q : q;
}

function newTaxRate(w: World, o: { displayName: string; percentage: number; inclusive: boolean; country: string | null; state: string | null; jurisdiction: string | null; level: Stripe.TaxRate.JurisdictionLevel | null; taxType: Stripe.TaxRate.TaxType | null; description: string | null; active: boolean; metadata: Record<string, string>; automatic: boolean }): Stripe.TaxRate {
	const rate: Stripe.TaxRate = {
		id: w.id('txr', 24),
		object: 'tax_rate',
		active: o.active,
		country: o.country,
		created: w.now(),
		description: o.description,
		display_name: o.displayName,
		effective_percentage: o.automatic ? o.percentage : null,
		flat_amount: null,
		inclusive: o.inclusive,
		jurisdiction: o.jurisdiction,
		jurisdiction_level: o.level,
		livemode: false,
		metadata: o.metadata,
		percentage: o.percentage,
		rate_type: 'percentage',
		state: o.state,
		tax_type: o.taxType,
	};
	w.taxRates.add(rate);
	w.emit('tax_rate.created', rate);
	return rate;
}

/** Stripe Tax's rate for a jurisdiction at a percentage: created on first use, then reused. */
export function automaticRate(w: World, j: Jurisdiction, percentage: number): Stripe.TaxRate {
	const key = `${j.country}|${j.state ?? ''}|${j.jurisdiction}|${j.taxType}|${percentage}`;
	const known = w.automaticTaxRates.get(key);
	const existing = known ? w.taxRates.get(known) : undefined;
	if (existing) return existing;
	// As in Stripe's own example of an automatic rate: not active (not offered for manual use).
	const rate = newTaxRate(w, { displayName: j.displayName, percentage, inclusive: false, country: j.country, state: j.state, jurisdiction: j.jurisdiction, level: j.level, taxType: j.taxType, description: j.description, active: false, metadata: {}, automatic: true });
	w.automaticTaxRates.set(key, rate.id);
	return rate;
}

type LineTax = Stripe.InvoiceLineItem.Tax;
type Reason = Stripe.InvoiceLineItem.Tax.TaxabilityReason;

export interface TaxPlan {
	/** Null when the customer's location cannot be used (`requires_location_inputs`). */
	entries: { rate: Stripe.TaxRate; reason: Reason; percentage: number; behavior: 'exclusive' | 'inclusive'; taxableBase: boolean }[] | null;
}

/** Stripe Tax for a customer: one entry per jurisdiction, with the rate object and the reason. */
export function automaticTaxPlan(w: World, c: Stripe.Customer): TaxPlan {
	const loc = taxLocation(c);
	if (!loc) return { entries: null };
	const { rates, collecting } = jurisdictionsFor(loc);
	const exempt = c.tax_exempt === 'exempt' ? 'customer_exempt' : c.tax_exempt === 'reverse' ? 'reverse_charge' : null;
	return {
		entries: rates.map((j) => {
			if (!collecting) return { rate: automaticRate(w, j, 0), reason: 'not_collecting' as Reason, percentage: 0, behavior: 'exclusive' as const, taxableBase: false };
			if (exempt) return { rate: automaticRate(w, j, 0), reason: exempt as Reason, percentage: 0, behavior: 'exclusive' as const, taxableBase: exempt === 'reverse_charge' };
			return { rate: automaticRate(w, j, j.percentage), reason: 'standard_rated' as Reason, percentage: j.percentage, behavior: 'exclusive' as const, taxableBase: true };
		}),
	};
}

/** Manual tax rates (`default_tax_rates`): Stripe reports them with `taxability_reason: 'not_available'`. */
export function manualTaxPlan(rates: Stripe.TaxRate[]): TaxPlan {
	return { entries: rates.map((rate) => ({ rate, reason: 'not_available' as Reason, percentage: rate.percentage, behavior: rate.inclusive ? ('inclusive' as const) : ('exclusive' as const), taxableBase: true })) };
}

/**
 * The taxes of one line of `amount` (minor units of the invoice currency, so zero-decimal currencies round to whole
 * units): exclusive taxes on the amount, inclusive ones taken out of it. Rounded per line and per rate.
 */
export function lineTaxes(plan: TaxPlan, amount: number): LineTax[] {
	if (!plan.entries) return [];
	const inclusive = plan.entries.filter((e) => e.behavior === 'inclusive');
	const inclusivePct = inclusive.reduce((s, e) => s + Math.round(e.percentage * 10_000), 0);
	// Net of inclusive taxes: amount / (1 + Σ p), exactly, half away from zero.
	let net = amount;
	if (inclusivePct > 0) {
		const n = BigInt(Math.abs(amount)) * 1_000_000n * 2n;
		const d = (1_000_000n + BigInt(inclusivePct)) * 2n;
		const q = Number((n + d / 2n) / d);
		net = amount < 0 ? -q : q;
	}
	let inclusiveLeft = amount - net;
	const out: LineTax[] = [];
	let inclusiveSeen = 0;
	for (const e of plan.entries) {
		let tax: number;
		const base = e.behavior === 'inclusive' ? net : amount;
		if (e.behavior === 'inclusive') {
			inclusiveSeen++;
			tax = inclusiveSeen === inclusive.length ? inclusiveLeft : taxOn(net, e.percentage);
			inclusiveLeft -= tax;
		} else tax = taxOn(amount, e.percentage);
		out.push({ amount: tax, tax_behavior: e.behavior, tax_rate_details: { tax_rate: e.rate.id }, taxability_reason: e.reason, taxable_amount: e.taxableBase ? base : 0, type: 'tax_rate_details' });
	}
	return out;
}

/** Sums line taxes per rate (and reason and behavior), in order of first appearance: the invoice's `total_taxes`. */
export function totalTaxes(lines: LineTax[][]): Stripe.Invoice.TotalTax[] {
	const byKey = new Map<string, Stripe.Invoice.TotalTax>();
	for (const taxes of lines) {
		for (const t of taxes) {
			const key = `${t.tax_rate_details?.tax_rate}|${t.taxability_reason}|${t.tax_behavior}`;
			const sum = byKey.get(key);
			if (sum) {
				sum.amount += t.amount;
				sum.taxable_amount = (sum.taxable_amount ?? 0) + (t.taxable_amount ?? 0);
			} else byKey.set(key, { ...t, tax_rate_details: t.tax_rate_details ? { ...t.tax_rate_details } : null });
		}
	}
	return [...byKey.values()];
}

export function locationError(): Error {
	return invalidParam('customer_tax_location', "The customer's location isn't recognized. To calculate tax, provide a valid address (country, and state or province for US and CA customers) on the customer.", 'customer_tax_location_invalid');
}

/** Reads `default_tax_rates[]` / `tax_rates[]` ids into TaxRate objects. */
export function readTaxRates(w: World, ids: string[] | undefined, param: string): Stripe.TaxRate[] | undefined {
	if (ids === undefined) return undefined;
	return ids.map((id, i) => {
		const rate = w.taxRates.require(id, `${param}[${i}]`);
		if (!rate.active) throw invalidParam(`${param}[${i}]`, `Tax rate ${id} is inactive and cannot be applied.`);
		return rate;
	});
}

export function registerTax(r: Router, w: World): void {
	r.post('/v1/tax_rates', ({ params }) => {
		params.allow(['display_name', 'percentage', 'inclusive', 'active', 'country', 'description', 'jurisdiction', 'metadata', 'state', 'tax_type']);
		const displayName = params.str('display_name', true);
		if (displayName.length > 50) throw invalidParam('display_name', 'display_name must be at most 50 characters.');
		if (params.str('percentage') === undefined || params.str('percentage') === '') throw missingParam('percentage');
		const percentage = params.num('percentage') as number;
		if (percentage < 0 || percentage > 100) throw invalidParam('percentage', 'percentage must be between 0 and 100.');
		if (Math.abs(percentage * 10_000 - Math.round(percentage * 10_000)) > 1e-6) throw invalidParam('percentage', 'percentage can have at most 4 decimal places.');
		const inclusive = params.bool('inclusive');
		if (inclusive === undefined) throw missingParam('inclusive');
		const country = params.str('country')?.toUpperCase();
		if (country !== undefined && !/^[A-Z]{2}$/.test(country)) throw invalidParam('country', `Invalid country: ${country} (a two-letter ISO 3166-1 code).`);
		return newTaxRate(w, {
			displayName,
			percentage,
			inclusive,
			country: country ?? null,
			state: params.nullable('state') ?? null,
			jurisdiction: params.nullable('jurisdiction') ?? null,
			level: null,
			taxType: params.oneOf('tax_type', TAX_TYPES) ?? null,
			description: params.nullable('description') ?? null,
			active: params.bool('active') ?? true,
			metadata: params.metadata({}),
			automatic: false,
		});
	});
	r.get('/v1/tax_rates/:id', ({ pathParams }) => w.taxRates.require(pathParams.id));
	r.post('/v1/tax_rates/:id', ({ pathParams, params }) => {
		const rate = w.taxRates.require(pathParams.id);
		params.allow(['active', 'country', 'description', 'display_name', 'jurisdiction', 'metadata', 'state', 'tax_type']);
		if ([...w.automaticTaxRates.values()].includes(rate.id) && Object.keys(params.raw).some((k) => k !== 'metadata' && k !== 'expand')) {
			throw invalidState('This tax rate was created by Stripe Tax and cannot be modified (only its metadata).');
		}
		return w.update('tax_rate.updated', rate, (o) => {
			const active = params.bool('active');
			if (active !== undefined) o.active = active;
			const country = params.nullable('country');
			if (country !== undefined) o.country = country === null ? null : country.toUpperCase();
			const d = params.nullable('description');
			if (d !== undefined) o.description = d;
			const dn = params.str('display_name');
			if (dn !== undefined && dn !== '') o.display_name = dn;
			const j = params.nullable('jurisdiction');
			if (j !== undefined) o.jurisdiction = j;
			const s = params.nullable('state');
			if (s !== undefined) o.state = s;
			const t = params.oneOf('tax_type', TAX_TYPES);
			if (t !== undefined) o.tax_type = t;
			o.metadata = params.metadata(o.metadata ?? {});
		});
	});
	r.get('/v1/tax_rates', ({ params }) => {
		const active = params.bool('active');
		const inclusive = params.bool('inclusive');
		const created = createdFilter(params);
		return w.taxRates.list(params, '/v1/tax_rates', (o) => (active === undefined || o.active === active) && (inclusive === undefined || o.inclusive === inclusive) && (!created || created(o.created)));
	});
}

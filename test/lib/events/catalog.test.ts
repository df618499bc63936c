import { readFileSync } from 'node:fs';

import {
	ALL_EVENTS,
	EVENT_SELECTION_ERRORS,
	EVENT_TYPE_GROUPS,
	EVENT_TYPE_OPTIONS,
	STRIPE_EVENT_TYPE_VALUES,
	eventTypeLabel,
	isStripeEventType,
	normalizeEventSelection,
} from '../../../lib/events/catalog';
import { GENERATED_CATALOG_PATH, renderCatalogSource } from './generate-catalog';
import { readDeclaredEventTypes, readEventTypeUnion } from './stripeEventTypes';

const REGENERATE = 'Run `npx tsx test/lib/events/generate-catalog.ts` to regenerate the catalog from the installed stripe types.';

describe('event catalog vs the installed stripe types', () => {
	const declared = readDeclaredEventTypes();

	it('parses a plausible union from the .d.ts (guards the parser itself)', () => {
		expect(declared.length).toBeGreaterThan(200);
		expect(declared.map((d) => d.type)).toEqual(expect.arrayContaining(['invoice.paid', 'customer.subscription.updated', 'payment_intent.succeeded']));
		expect(declared.every((d) => d.description.length > 0)).toBe(true);
	});

	it('lists exactly the members of Stripe.Event.Type, in order', () => {
		const missing = declared.map((d) => d.type).filter((t) => !STRIPE_EVENT_TYPE_VALUES.includes(t as never));
		const extra = STRIPE_EVENT_TYPE_VALUES.filter((t) => !declared.some((d) => d.type === t));
		expect({ missing, extra, hint: REGENERATE }).toEqual({ missing: [], extra: [], hint: REGENERATE });
		expect(STRIPE_EVENT_TYPE_VALUES).toEqual(declared.map((d) => d.type));
	});

	it('carries Stripe\'s descriptions', () => {
		const options = new Map(EVENT_TYPE_OPTIONS.map((o) => [o.value, o.description]));
		for (const { type, description } of declared) expect(options.get(type)).toBe(description);
	});

	it('is byte-identical to what the generator produces now', () => {
		expect(readFileSync(GENERATED_CATALOG_PATH, 'utf8') === renderCatalogSource() ? 'up to date' : REGENERATE).toBe('up to date');
	});

	it('the union parser rejects a changed layout instead of returning nonsense', () => {
		expect(() => readEventTypeUnion('export type Nothing = 1;')).toThrow(/layout changed/);
		expect(() => readEventTypeUnion("export declare namespace Event {\n type Type = 'a.b' | string;\n}")).toThrow(/Unexpected member/);
	});
});

describe('EVENT_TYPE_OPTIONS', () => {
	it('starts with * and then lists every type once, sorted by value', () => {
		expect(EVENT_TYPE_OPTIONS[0]).toMatchObject({ value: ALL_EVENTS });
		const values = EVENT_TYPE_OPTIONS.slice(1).map((o) => o.value);
		expect(values).toEqual([...values].sort());
		expect(new Set(values).size).toBe(values.length);
		expect(values).toHaveLength(STRIPE_EVENT_TYPE_VALUES.length);
	});

	it('has unique, non-empty names', () => {
		const names = EVENT_TYPE_OPTIONS.map((o) => o.name);
		expect(new Set(names).size).toBe(names.length);
		expect(names.every((n) => n.trim().length > 0)).toBe(true);
	});

	it.each([
		['invoice.payment_failed', 'Invoice: Payment Failed'],
		['customer.subscription.trial_will_end', 'Customer: Subscription Trial Will End'],
		['customer.tax_id.created', 'Customer: Tax ID Created'],
		['three_d_secure.authentication.failed', '3D Secure: Authentication Failed'],
		['invoiceitem.created', 'Invoice Item: Created'],
		['topup.succeeded', 'Top-Up: Succeeded'],
		['payment_intent.succeeded', 'Payment Intent: Succeeded'],
	])('labels %s as %s', (type, label) => {
		expect(eventTypeLabel(type)).toBe(label);
		expect(EVENT_TYPE_OPTIONS.find((o) => o.value === type)?.name).toBe(label);
	});
});

describe('EVENT_TYPE_GROUPS', () => {
	it('partitions the types by first segment', () => {
		const flattened = EVENT_TYPE_GROUPS.flatMap((g) => g.types);
		expect(flattened).toEqual([...STRIPE_EVENT_TYPE_VALUES]);
		for (const group of EVENT_TYPE_GROUPS) {
			expect(group.types.every((t) => t.split('.')[0] === group.prefix)).toBe(true);
		}
		expect(new Set(EVENT_TYPE_GROUPS.map((g) => g.prefix)).size).toBe(EVENT_TYPE_GROUPS.length);
	});

	it('has the revenue groups with their events', () => {
		const byPrefix = new Map(EVENT_TYPE_GROUPS.map((g) => [g.prefix, g]));
		expect(byPrefix.get('invoice')?.types).toContain('invoice.payment_failed');
		expect(byPrefix.get('customer')?.types).toContain('customer.subscription.deleted');
		expect(byPrefix.get('payment_intent')?.label).toBe('Payment Intent');
	});
});

describe('normalizeEventSelection', () => {
	it('sorts, trims and removes repeats', () => {
		expect(normalizeEventSelection([' invoice.paid', 'customer.created', 'invoice.paid', ''])).toEqual(['customer.created', 'invoice.paid']);
	});

	it('collapses to * when * is selected', () => {
		expect(normalizeEventSelection(['invoice.paid', '*'])).toEqual(['*']);
	});

	it('accepts a comma-separated string (an expression)', () => {
		expect(normalizeEventSelection('invoice.paid, charge.refunded')).toEqual(['charge.refunded', 'invoice.paid']);
	});

	it('rejects an empty selection with a clear message', () => {
		expect(() => normalizeEventSelection([])).toThrow(EVENT_SELECTION_ERRORS.empty);
		expect(() => normalizeEventSelection(['  '])).toThrow(EVENT_SELECTION_ERRORS.empty);
	});

	it('names unknown types', () => {
		expect(() => normalizeEventSelection(['invoice.paid', 'invoice.payed', 'Invoice Paid'])).toThrow(
			EVENT_SELECTION_ERRORS.unknown(['Invoice Paid', 'invoice.payed']),
		);
	});

	it('accepts unknown types when asked (events newer than the installed types)', () => {
		expect(normalizeEventSelection(['invoice.brand_new'], { allowUnknown: true })).toEqual(['invoice.brand_new']);
	});

	it('isStripeEventType tells known from unknown', () => {
		expect(isStripeEventType('invoice.paid')).toBe(true);
		expect(isStripeEventType('*')).toBe(false);
		expect(isStripeEventType('v1.invoice.paid')).toBe(false);
	});
});

import type { INodeListSearchResult } from 'n8n-workflow';
import type Stripe from 'stripe';

import type { StripeClient } from '../../lib/stripe';

function formatAmount(minor: number, currency: string): string {
	try {
		const digits = new Intl.NumberFormat('en', { style: 'currency', currency: currency.toUpperCase() }).resolvedOptions().maximumFractionDigits ?? 2;
		return new Intl.NumberFormat('en', { style: 'currency', currency: currency.toUpperCase() }).format(minor / 10 ** digits);
	} catch {
		return `${minor} ${currency}`;
	}
}

/**
 * Open invoices for a resource locator, newest first, 100 a page (Stripe's cursor as the
 * pagination token). The filter matches the id, number, customer id, email or name, case-insensitive.
 */
export async function searchOpenInvoices(client: StripeClient, filter?: string, paginationToken?: string): Promise<INodeListSearchResult> {
	const params: Record<string, string | number | string[]> = { status: 'open', limit: 100 };
	if (paginationToken) params.starting_after = paginationToken;
	const page = await client.get<Stripe.ApiList<Stripe.Invoice>>('/v1/invoices', params);
	const needle = (filter ?? '').trim().toLowerCase();
	const results = page.data
		.filter((inv) => !needle || [inv.id, inv.number, typeof inv.customer === 'string' ? inv.customer : inv.customer?.id, inv.customer_email, inv.customer_name].some((v) => typeof v === 'string' && v.toLowerCase().includes(needle)))
		.map((inv) => ({
			name: `${inv.number ?? inv.id}: ${formatAmount(inv.amount_remaining, inv.currency)} (${inv.customer_email ?? inv.customer_name ?? (typeof inv.customer === 'string' ? inv.customer : '')})`,
			value: inv.id as string,
			url: inv.hosted_invoice_url ?? undefined,
		}));
	const last = page.data[page.data.length - 1];
	return { results, paginationToken: page.has_more && last ? last.id : undefined };
}

/** Active billing meters for a resource locator; `value` is the meter id or, with `by: 'eventName'`, its event name. */
export async function searchMeters(client: StripeClient, filter?: string, paginationToken?: string, by: 'id' | 'eventName' = 'id'): Promise<INodeListSearchResult> {
	const params: Record<string, string | number> = { status: 'active', limit: 100 };
	if (paginationToken) params.starting_after = paginationToken;
	const page = await client.get<Stripe.ApiList<Stripe.Billing.Meter>>('/v1/billing/meters', params);
	const needle = (filter ?? '').trim().toLowerCase();
	const results = page.data
		.filter((m) => !needle || [m.id, m.display_name, m.event_name].some((v) => v.toLowerCase().includes(needle)))
		.map((m) => ({ name: `${m.display_name} (${m.event_name}, ${m.default_aggregation.formula})`, value: by === 'id' ? m.id : m.event_name }));
	const last = page.data[page.data.length - 1];
	return { results, paginationToken: page.has_more && last ? last.id : undefined };
}

/**
 * Customers for a resource locator: with a filter, Stripe's customer search on email and name
 * (prefix match); without, the newest customers, 100 a page.
 */
export async function searchCustomers(client: StripeClient, filter?: string, paginationToken?: string): Promise<INodeListSearchResult> {
	const needle = (filter ?? '').trim();
	let page: { data: Stripe.Customer[]; has_more: boolean; next_page?: string | null };
	if (needle) {
		const q = needle.replace(/'/g, "\\'");
		const params: Record<string, string | number> = { query: `email~'${q}' OR name~'${q}'`, limit: 100 };
		if (paginationToken) params.page = paginationToken;
		page = await client.get('/v1/customers/search', params);
	} else {
		const params: Record<string, string | number> = { limit: 100 };
		if (paginationToken) params.starting_after = paginationToken;
		page = await client.get('/v1/customers', params);
	}
	const results = page.data.map((c) => ({ name: `${c.name ?? c.email ?? c.id}${c.email && c.name ? ` <${c.email}>` : ''}`, value: c.id }));
	const last = page.data[page.data.length - 1];
	const next = needle ? (page.next_page ?? undefined) : page.has_more && last ? last.id : undefined;
	return { results, paginationToken: next };
}

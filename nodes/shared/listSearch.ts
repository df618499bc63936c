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

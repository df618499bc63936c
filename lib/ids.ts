/** A plain object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The id of a Stripe reference, expanded (`{ id }`) or not (`'cus_…'`); undefined for anything else. */
export function idOf(value: unknown): string | undefined {
	if (typeof value === 'string' && value !== '') return value;
	if (isRecord(value) && typeof value.id === 'string') return value.id;
	return undefined;
}

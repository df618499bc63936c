import { StripeLocalError } from './errors';

/**
 * Encodes one id for a URL path: `encodeURIComponent`, and refuses an empty id or `.`/`..`
 * (either would address another resource: `/v1/customers/` is the list, `..` its parent).
 */
export function pathSegment(id: string | number): string {
	const text = String(id);
	if (text === '' || text === '.' || text === '..') {
		throw new StripeLocalError({
			message: `An id in a Stripe API path must not be ${text === '' ? 'empty' : `"${text}"`}. Check the expression or field that supplies it.`,
			type: 'invalid_path',
		});
	}
	return encodeURIComponent(text);
}

/**
 * A tagged template that encodes every interpolated id as one path segment, so an id with `/`,
 * `?`, `#` or spaces cannot reach another endpoint:
 *
 * ```ts
 * client.post(encodePath`/v1/invoices/${invoiceId}/pay`, {});
 * client.get(encodePath`/v2/core/events/${eventId}`);
 * ```
 */
export function encodePath(strings: TemplateStringsArray, ...ids: Array<string | number>): string {
	let out = strings[0];
	ids.forEach((id, index) => {
		out += pathSegment(id) + strings[index + 1];
	});
	return out;
}

// A Stripe object id: a lower-case prefix, `_`, then characters that include a digit or an upper-case
// letter (`cus_NffrFeUfNV2Hib`, `in_1`); resource names (`balance_transactions`) have neither.
const ID_SEGMENT = /^[a-z]+(?:_[a-z]+)*_(?=[A-Za-z0-9_]*[0-9A-Z])[A-Za-z0-9_]+$/;

/**
 * The endpoint a request goes to, with ids replaced by `:id` and the query dropped:
 * `POST /v1/invoices/:id/pay`. Used as the rate limiter's per-endpoint key.
 */
export function endpointKey(method: string, path: string): string {
	const pathname = path.replace(/^https?:\/\/[^/]+/i, '').split(/[?#]/)[0];
	const normalized = pathname
		.split('/')
		.map((segment) => (segment.includes('%') || ID_SEGMENT.test(segment) ? ':id' : segment))
		.join('/');
	return `${method.toUpperCase()} ${normalized}`;
}


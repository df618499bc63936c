/**
 * Stripe's `application/x-www-form-urlencoded` encoding.
 *
 * Stripe reads nested parameters as `parent[child]=value` and arrays as `list[0]=a&list[1]=b`
 * (https://docs.stripe.com/api/request_ids and stripe-node's `stringifyRequestData`, 2026).
 * Brackets are left unencoded for readability (the API accepts both); `undefined` is skipped;
 * `null` becomes an empty string, which is how Stripe unsets a field (e.g. `metadata[key]=`);
 * a `Date` becomes a unix timestamp in seconds.
 */
export type FormValue =
	| string
	| number
	| boolean
	| null
	| undefined
	| Date
	| FormValue[]
	| { [key: string]: FormValue };

export type FormParams = { [key: string]: FormValue };

function encodeComponent(value: string): string {
	return encodeURIComponent(value)
		.replace(/!/g, '%21')
		.replace(/\*/g, '%2A')
		.replace(/\(/g, '%28')
		.replace(/\)/g, '%29')
		.replace(/'/g, '%27')
		.replace(/%5B/g, '[')
		.replace(/%5D/g, ']');
}

function scalarToString(value: string | number | boolean | null | Date): string {
	if (value === null) return '';
	if (value instanceof Date) return String(Math.floor(value.getTime() / 1000));
	return String(value);
}

/** Encodes parameters exactly as Stripe's official clients send them. */
export function encodeForm(params: FormParams | undefined): string {
	if (!params) return '';
	const pairs: string[] = [];
	const walk = (key: string, value: FormValue): void => {
		if (value === undefined) return;
		if (value === null || typeof value !== 'object' || value instanceof Date) {
			pairs.push(`${encodeComponent(key)}=${encodeComponent(scalarToString(value))}`);
			return;
		}
		if (Array.isArray(value)) {
			value.forEach((entry, index) => walk(`${key}[${index}]`, entry));
			return;
		}
		for (const child of Object.keys(value)) walk(`${key}[${child}]`, value[child]);
	};
	for (const key of Object.keys(params)) walk(key, params[key]);
	return pairs.join('&');
}

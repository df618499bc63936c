/**
 * Money as Stripe's API carries it: an integer amount in the currency's minor unit plus the
 * currency code. Pure functions, no floating point: decimal strings are parsed and printed digit
 * by digit (the layering of dinero.js's core: integer amount + exponent, named error messages).
 *
 * Which currencies have no or three minor digits follows Stripe, not ISO 4217, because amounts
 * come from and go to Stripe's API (https://docs.stripe.com/currencies, "Zero-decimal currencies",
 * "Three-decimal currencies" and "Special cases", 2026):
 *
 * - Zero-decimal: the amount is the whole number of units (`1200` JPY is ¥1,200).
 * - Three-decimal (BHD, JOD, KWD, OMR, TND): `1234` KWD is 1.234 KWD. Stripe only charges amounts
 *   whose last digit is 0 (multiples of 10); {@link isChargeableAmount} checks that.
 * - Special cases, all two-decimal in the API although the currency has no minor unit in practice:
 *   ISK is sent as a two-decimal value whose last two digits are 00 (5 ISK is `500`), kept for
 *   backwards compatibility; HUF and TWD can be charged with decimals, but payouts take integer
 *   amounts divisible by 100. UGX is zero-decimal for charges; Stripe lists it among the payout
 *   special cases too. These only matter for payouts and charges; exports print what Stripe stores.
 */

/** Error messages, named so callers and tests can match them (as dinero.js does). */
export const MONEY_ERRORS = {
	currency: 'A currency must be a three-letter ISO 4217 code such as "usd" or "EUR".',
	decimal:
		'An amount must be a plain decimal string such as "12.34" or "-5" (digits, an optional minus sign and one optional point; no spaces, thousands separators or exponents).',
	tooManyDecimals: 'The amount has more decimal places than the currency has minor digits.',
	unsafe: `An amount in minor units must be a whole number between -${Number.MAX_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER} (Number.MAX_SAFE_INTEGER).`,
	mismatch: 'Amounts in different currencies cannot be added; convert them first.',
	empty: 'The sum of no amounts needs a currency.',
} as const;

/** Thrown for a bad amount or currency; `code` is the key of {@link MONEY_ERRORS}. */
export class MoneyError extends Error {
	constructor(
		readonly code: keyof typeof MONEY_ERRORS,
		detail?: string,
	) {
		super(detail ? `${MONEY_ERRORS[code]} ${detail}` : MONEY_ERRORS[code]);
		this.name = 'MoneyError';
	}
}

/** An amount in integer minor units of a currency (lower case, as Stripe returns it). */
export interface Money {
	amount: number;
	currency: string;
}

/** Stripe's zero-decimal currencies (https://docs.stripe.com/currencies#zero-decimal, 2026). */
export const ZERO_DECIMAL_CURRENCIES: ReadonlySet<string> = new Set([
	'bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf',
]);

/** Stripe's three-decimal currencies (https://docs.stripe.com/currencies#three-decimal, 2026). */
export const THREE_DECIMAL_CURRENCIES: ReadonlySet<string> = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

const CURRENCY = /^[a-z]{3}$/;
const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;

/** The currency code in lower case, or a {@link MoneyError} if it is not three letters. */
export function normalizeCurrency(currency: string): string {
	const lower = typeof currency === 'string' ? currency.toLowerCase() : '';
	if (!CURRENCY.test(lower)) throw new MoneyError('currency', `Got ${JSON.stringify(currency)}.`);
	return lower;
}

/** Number of minor digits Stripe uses for `currency` in API amounts: 0, 2 or 3. */
export function currencyExponent(currency: string): 0 | 2 | 3 {
	const code = normalizeCurrency(currency);
	if (ZERO_DECIMAL_CURRENCIES.has(code)) return 0;
	if (THREE_DECIMAL_CURRENCIES.has(code)) return 3;
	return 2;
}

/** Throws a {@link MoneyError} unless `amount` is a safe integer (what Stripe's amounts are). */
export function assertMinor(amount: unknown): asserts amount is number {
	if (typeof amount !== 'number' || !Number.isSafeInteger(amount)) {
		throw new MoneyError('unsafe', `Got ${typeof amount === 'bigint' ? `${amount}n` : String(amount)}.`);
	}
}

function toSafeNumber(value: bigint): number {
	if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER)) {
		throw new MoneyError('unsafe', `Got ${value}.`);
	}
	return Number(value);
}

/**
 * Parses an exact decimal string into integer minor units: `toMinor('12.34', 'usd')` is 1234,
 * `toMinor('1200', 'jpy')` is 1200, `toMinor('1.234', 'kwd')` is 1234. Fewer decimals than the
 * currency has are padded (`'12.3'` USD is 1230); more are refused rather than rounded, so no
 * amount changes silently.
 */
export function toMinor(decimal: string, currency: string): number {
	const exponent = currencyExponent(currency);
	const match = typeof decimal === 'string' ? DECIMAL.exec(decimal) : null;
	if (!match) throw new MoneyError('decimal', `Got ${JSON.stringify(decimal)}.`);
	const [, minus, whole, fraction = ''] = match;
	if (fraction.length > exponent) {
		throw new MoneyError('tooManyDecimals', `${JSON.stringify(decimal)} has ${fraction.length}; ${currency.toUpperCase()} has ${exponent}.`);
	}
	const digits = BigInt(whole + fraction.padEnd(exponent, '0'));
	return toSafeNumber(minus ? -digits : digits);
}

/**
 * Prints integer minor units as an exact decimal string with the currency's minor digits:
 * `formatMinor(1234, 'usd')` is `"12.34"`, `formatMinor(1200, 'jpy')` is `"1200"`,
 * `formatMinor(1234, 'kwd')` is `"1.234"`, `formatMinor(-5, 'eur')` is `"-0.05"`.
 * A number must be a safe integer; a bigint may be of any size.
 */
export function formatMinor(amount: number | bigint, currency: string): string {
	const exponent = currencyExponent(currency);
	if (typeof amount !== 'bigint') assertMinor(amount);
	const value = BigInt(amount);
	const negative = value < 0n;
	const digits = (negative ? -value : value).toString();
	if (exponent === 0) return (negative ? '-' : '') + digits;
	const padded = digits.padStart(exponent + 1, '0');
	return `${negative ? '-' : ''}${padded.slice(0, -exponent)}.${padded.slice(-exponent)}`;
}

/** {@link formatMinor} of a {@link Money}. */
export function formatMoney(money: Money): string {
	return formatMinor(money.amount, money.currency);
}

/** A {@link Money} from a decimal string (see {@link toMinor}). */
export function money(decimal: string, currency: string): Money {
	return { amount: toMinor(decimal, currency), currency: normalizeCurrency(currency) };
}

/** Adds two amounts of the same currency exactly; a sum beyond a safe integer is refused. */
export function add(a: Money, b: Money): Money {
	return sum([a, b]);
}

/**
 * Adds amounts of one currency exactly (in bigint, so intermediate sums cannot lose digits);
 * `currency` is required for an empty list and checked against every entry otherwise.
 */
export function sum(amounts: readonly Money[], currency?: string): Money {
	const code = currency !== undefined ? normalizeCurrency(currency) : amounts.length ? normalizeCurrency(amounts[0].currency) : undefined;
	if (code === undefined) throw new MoneyError('empty');
	let total = 0n;
	for (const entry of amounts) {
		const entryCode = normalizeCurrency(entry.currency);
		if (entryCode !== code) throw new MoneyError('mismatch', `Got ${code.toUpperCase()} and ${entryCode.toUpperCase()}.`);
		assertMinor(entry.amount);
		total += BigInt(entry.amount);
	}
	return { amount: toSafeNumber(total), currency: code };
}

/**
 * True when Stripe accepts `amount` as a charge in `currency`: three-decimal currencies need a
 * last digit of 0 (https://docs.stripe.com/currencies#three-decimal, 2026); ISK, a two-decimal
 * value in the API, needs its last two digits to be 00.
 */
export function isChargeableAmount(amount: number, currency: string): boolean {
	assertMinor(amount);
	const code = normalizeCurrency(currency);
	if (THREE_DECIMAL_CURRENCIES.has(code)) return amount % 10 === 0;
	if (code === 'isk') return amount % 100 === 0;
	return true;
}

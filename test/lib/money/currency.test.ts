import {
	MONEY_ERRORS,
	MoneyError,
	add,
	currencyExponent,
	formatMinor,
	isChargeableAmount,
	money,
	sum,
	toMinor,
} from '../../../lib/money';

const MAX = Number.MAX_SAFE_INTEGER;

describe('currencyExponent follows Stripe, not ISO 4217', () => {
	test.each<[string, number]>([
		['usd', 2], ['EUR', 2], ['jpy', 0], ['KRW', 0], ['vnd', 0], ['ugx', 0], ['xof', 0],
		['kwd', 3], ['bhd', 3], ['jod', 3], ['omr', 3], ['tnd', 3],
		// Stripe's special cases stay two-decimal in the API.
		['isk', 2], ['huf', 2], ['twd', 2],
	])('%s has %i minor digits', (currency, exponent) => {
		expect(currencyExponent(currency)).toBe(exponent);
	});

	test.each(['us', 'usdd', '', '12a', 'u$d'])('%j is not a currency', (currency) => {
		expect(() => currencyExponent(currency)).toThrow(MONEY_ERRORS.currency);
	});
});

describe('toMinor parses exact decimal strings', () => {
	test.each<[string, string, number]>([
		['12.34', 'usd', 1234],
		['12.3', 'usd', 1230],
		['12', 'usd', 1200],
		['0.01', 'eur', 1],
		['-5.00', 'eur', -500],
		['1200', 'jpy', 1200],
		['1.234', 'kwd', 1234],
		['1.2', 'bhd', 1200],
		['0.010', 'jod', 10],
		['5', 'isk', 500],
		// above 2^31 and up to the largest safe integer
		['21474836.48', 'usd', 2 ** 31],
		['90071992547409.91', 'usd', MAX],
		[String(MAX), 'jpy', MAX],
		['-90071992547409.91', 'usd', -MAX],
		// 0.1 + 0.2 would be 0.30000000000000004 in floating point
		['0.30', 'usd', 30],
		['19.99', 'usd', 1999],
		['4.35', 'usd', 435],
	])('%s %s is %i', (decimal, currency, expected) => {
		expect(toMinor(decimal, currency)).toBe(expected);
	});

	test.each<[string, string, keyof typeof MONEY_ERRORS]>([
		['12.345', 'usd', 'tooManyDecimals'],
		['1.5', 'jpy', 'tooManyDecimals'],
		['1.2345', 'kwd', 'tooManyDecimals'],
		['1,234.56', 'usd', 'decimal'],
		['1e3', 'usd', 'decimal'],
		[' 12.34', 'usd', 'decimal'],
		['.5', 'usd', 'decimal'],
		['5.', 'usd', 'decimal'],
		['+5', 'usd', 'decimal'],
		['', 'usd', 'decimal'],
		['90071992547409.92', 'usd', 'unsafe'],
		['9007199254740992', 'jpy', 'unsafe'],
		['12.34', 'dollars', 'currency'],
	])('%j %s is refused (%s)', (decimal, currency, code) => {
		const error = (() => {
			try {
				toMinor(decimal, currency);
			} catch (e) {
				return e;
			}
			return undefined;
		})();
		expect(error).toBeInstanceOf(MoneyError);
		expect((error as MoneyError).code).toBe(code);
		expect((error as MoneyError).message.startsWith(MONEY_ERRORS[code])).toBe(true);
	});
});

describe('formatMinor prints exact decimal strings', () => {
	test.each<[number | bigint, string, string]>([
		[1234, 'usd', '12.34'],
		[5, 'usd', '0.05'],
		[-5, 'eur', '-0.05'],
		[0, 'usd', '0.00'],
		[-1234, 'usd', '-12.34'],
		[1200, 'jpy', '1200'],
		[-1200, 'JPY', '-1200'],
		[1234, 'kwd', '1.234'],
		[1234, 'bhd', '1.234'],
		[1234, 'jod', '1.234'],
		[1234, 'omr', '1.234'],
		[1234, 'tnd', '1.234'],
		[7, 'kwd', '0.007'],
		[500, 'isk', '5.00'],
		[2 ** 31, 'usd', '21474836.48'],
		[MAX, 'usd', '90071992547409.91'],
		[-MAX, 'usd', '-90071992547409.91'],
		[12345678901234567890n, 'usd', '123456789012345678.90'],
	])('%p %s is %s', (amount, currency, expected) => {
		expect(formatMinor(amount, currency)).toBe(expected);
	});

	test.each([MAX + 1, -(MAX + 1), 1.5, NaN, Infinity])('%p is refused as not a safe integer', (amount) => {
		expect(() => formatMinor(amount, 'usd')).toThrow(MONEY_ERRORS.unsafe);
	});

	test.each<[string, string]>([
		['12.34', 'usd'], ['-0.05', 'eur'], ['1200', 'jpy'], ['1.234', 'kwd'], ['90071992547409.91', 'usd'],
	])('%s %s round-trips', (decimal, currency) => {
		expect(formatMinor(toMinor(decimal, currency), currency)).toBe(decimal);
	});
});

describe('add and sum', () => {
	test('adds exactly, including amounts above 2^31', () => {
		expect(add(money('0.10', 'usd'), money('0.20', 'usd'))).toEqual({ amount: 30, currency: 'usd' });
		expect(sum([{ amount: 2 ** 31, currency: 'usd' }, { amount: 2 ** 31, currency: 'USD' }])).toEqual({ amount: 2 ** 32, currency: 'usd' });
		expect(sum([{ amount: MAX, currency: 'jpy' }, { amount: -MAX, currency: 'jpy' }, { amount: 1, currency: 'jpy' }])).toEqual({ amount: 1, currency: 'jpy' });
	});

	test('an empty sum needs a currency', () => {
		expect(sum([], 'eur')).toEqual({ amount: 0, currency: 'eur' });
		expect(() => sum([])).toThrow(MONEY_ERRORS.empty);
	});

	test('currencies must match', () => {
		expect(() => add(money('1', 'usd'), money('1', 'eur'))).toThrow(MONEY_ERRORS.mismatch);
		expect(() => sum([money('1', 'usd')], 'eur')).toThrow(MONEY_ERRORS.mismatch);
	});

	test('a sum beyond the safe range is refused, not rounded', () => {
		expect(() => add({ amount: MAX, currency: 'usd' }, { amount: 1, currency: 'usd' })).toThrow(MONEY_ERRORS.unsafe);
		expect(() => add({ amount: 0.5, currency: 'usd' }, { amount: 1, currency: 'usd' })).toThrow(MONEY_ERRORS.unsafe);
	});
});

test.each<[number, string, boolean]>([
	[1230, 'kwd', true],
	[1234, 'kwd', false],
	[500, 'isk', true],
	[550, 'isk', false],
	[1234, 'usd', true],
	[7, 'jpy', true],
])('isChargeableAmount(%i, %s) is %p', (amount, currency, expected) => {
	expect(isChargeableAmount(amount, currency)).toBe(expected);
});

import fc from 'fast-check';
import {
	DEFAULT_NETWORK_RULE_OPTIONS,
	checkNetworkRules,
	earliestAllowed,
	maxInWindowsContaining,
	visaCategoryOf,
	type Attempt,
	type NetworkRule,
	type NetworkRuleOptions,
} from '../../../lib/retry';

const H = 3600;
const D = 86400;
const T0 = 1_764_547_200; // 2025-12-01T00:00:00Z

const visa = (at: number, extra: Partial<Attempt> = {}): Attempt => ({ at, cardFingerprint: 'fp_v', brand: 'visa', outcome: 'declined', ...extra });
const mc = (at: number, extra: Partial<Attempt> = {}): Attempt => ({ at, cardFingerprint: 'fp_m', brand: 'mastercard', outcome: 'declined', ...extra });
const rules = (attempt: Attempt, history: Attempt[], now = attempt.at, o?: NetworkRuleOptions) =>
	checkNetworkRules(attempt, history, now, o).violations.map((v) => v.rule);

describe('defaults', () => {
	test('Visa 20 in 30 days, Mastercard 10 in 24 h and 35 in 30 days, 1 an hour', () => {
		expect(DEFAULT_NETWORK_RULE_OPTIONS).toEqual({ visaMaxReattempts30d: 20, mastercardMaxDeclines24h: 10, mastercardMaxDeclines30d: 35, maxAttemptsPerHour: 1 });
	});
});

describe('Visa categories of response codes', () => {
	test.each([
		['41', 1], ['43', 1], ['46', 1], ['R1', 1], ['r3', 1], ['04', 1], ['14', 1], ['57', 1],
		['51', 2], ['91', 2], ['61', 2],
		['54', 3], ['N7', 3],
		['05', 4], ['01', 4],
	])('%s is category %i', (code, cat) => {
		expect(visaCategoryOf(code)).toBe(cat);
	});
	test('no code, no category', () => expect(visaCategoryOf(undefined)).toBeUndefined());
});

describe('never', () => {
	test.each<[string, Attempt[], NetworkRule]>([
		['Visa category 1 (explicit)', [visa(T0, { visaCategory: 1 })], 'visaCategory1'],
		['Visa category 1 from the response code', [visa(T0, { networkDeclineCode: '43' })], 'visaCategory1'],
		['Mastercard MAC 03', [mc(T0, { networkAdviceCode: '03' })], 'mastercardDoNotTryAgain'],
		['Mastercard MAC 21', [mc(T0, { networkAdviceCode: '21' })], 'mastercardDoNotTryAgain'],
		['MAC "3" normalized', [mc(T0, { networkAdviceCode: '3' })], 'mastercardDoNotTryAgain'],
	])('%s: never, not even 60 days later', (_name, history, rule) => {
		const card = history[0];
		expect(earliestAllowed(history, T0 + 60 * D)).toBeNull();
		const r = checkNetworkRules({ ...card, at: T0 + 60 * D, outcome: undefined }, history, T0 + 60 * D);
		expect(r.allowed).toBe(false);
		expect(r.earliestAt).toBeUndefined();
		expect(r.violations.map((v) => v.rule)).toContain(rule);
		expect(r.violations[0].source.url).toMatch(/^https:\/\//);
	});

	test('a category 1 decline on another card does not block this one', () => {
		expect(earliestAllowed([visa(T0, { visaCategory: 1, cardFingerprint: 'other' })], T0 + D, { card: { cardFingerprint: 'fp_v', brand: 'visa' } })).toBe(T0 + D);
	});

	test('a limit below 1 means never', () => {
		expect(earliestAllowed([], T0, { maxAttemptsPerHour: 0 })).toBeNull();
	});
});

describe('Mastercard MAC 24–30: a minimum wait', () => {
	test.each([
		['24', H], ['25', 24 * H], ['26', 2 * D], ['27', 4 * D], ['28', 6 * D], ['29', 8 * D], ['30', 10 * D],
	])('MAC %s waits %i s', (mac, wait) => {
		const history = [mc(T0, { networkAdviceCode: mac })];
		expect(earliestAllowed(history, T0 + 60)).toBe(T0 + wait);
		expect(rules(mc(T0 + wait - 1, { outcome: undefined }), history)).toContain('mastercardRetryAfter');
		expect(rules(mc(T0 + wait, { outcome: undefined }), history)).toEqual([]);
	});
});

describe('counted limits', () => {
	test('Mastercard: at most 10 declines in 24 hours', () => {
		const history = Array.from({ length: 10 }, (_, i) => mc(T0 + i * 2 * H));
		expect(rules(mc(T0 + 20 * H + 2 * H), history)).toEqual(['mastercardDeclines24h']);
		// the first decline leaves the window 24 h after it
		expect(earliestAllowed(history, T0 + 22 * H)).toBe(T0 + D);
	});

	test('Mastercard: successes are not declines', () => {
		const history = Array.from({ length: 10 }, (_, i) => mc(T0 + i * 2 * H, { outcome: 'succeeded' }));
		expect(rules(mc(T0 + 22 * H), history)).toEqual([]);
	});

	test('Mastercard: at most 35 declines in 30 days', () => {
		const history = Array.from({ length: 35 }, (_, i) => mc(T0 + i * 0.5 * D));
		expect(rules(mc(T0 + 18 * D), history)).toEqual(['mastercardDeclines30d']);
		expect(earliestAllowed(history, T0 + 18 * D)).toBe(T0 + 30 * D);
	});

	test('Visa: at most 20 attempts in 30 days by default, 15 configurable', () => {
		const history = Array.from({ length: 20 }, (_, i) => visa(T0 + i * D));
		expect(rules(visa(T0 + 21 * D), history)).toEqual(['visaReattempts30d']);
		expect(earliestAllowed(history, T0 + 21 * D)).toBe(T0 + 30 * D);
		expect(rules(visa(T0 + 15 * D), history.slice(0, 15), T0 + 15 * D, { visaMaxReattempts30d: 15 })).toEqual(['visaReattempts30d']);
		expect(rules(visa(T0 + 15 * D), history.slice(0, 14), T0 + 15 * D, { visaMaxReattempts30d: 15 })).toEqual([]);
	});

	test('Visa limits do not apply to Mastercard, nor Mastercard limits to Visa', () => {
		const visas = Array.from({ length: 20 }, (_, i) => visa(T0 + i * 2 * H));
		expect(rules(visa(T0 + 40 * H), visas)).toEqual(['visaReattempts30d']);
		const mcs = Array.from({ length: 20 }, (_, i) => mc(T0 + i * 20 * H));
		expect(rules(mc(T0 + 400 * H), mcs)).toEqual([]);
	});

	test('a card of unknown brand gets both limits', () => {
		const history = Array.from({ length: 10 }, (_, i) => ({ at: T0 + i * 2 * H, cardFingerprint: 'fp_x' }));
		expect(rules({ at: T0 + 22 * H, cardFingerprint: 'fp_x' }, history)).toEqual(['mastercardDeclines24h']);
	});

	test('the brand comes from the card history when the plan does not say', () => {
		const history = Array.from({ length: 10 }, (_, i) => mc(T0 + i * 2 * H));
		expect(rules({ at: T0 + 22 * H, paymentMethodId: 'pm_1', cardFingerprint: 'fp_m' }, history)).toEqual(['mastercardDeclines24h']);
	});

	test('per-hour cap', () => {
		expect(rules(visa(T0 + H - 1), [visa(T0)])).toEqual(['perHourCap']);
		expect(rules(visa(T0 + H), [visa(T0)])).toEqual([]);
		expect(rules(visa(T0 + 30 * 60), [visa(T0)], T0, { maxAttemptsPerHour: 2 })).toEqual([]);
	});

	test('a later attempt in the history counts too (windows reaching past the new one)', () => {
		expect(rules(visa(T0 - 30 * 60), [visa(T0)], T0 - D)).toEqual(['perHourCap']);
	});

	test('same card by fingerprint or payment method; other cards ignored; no ids is the same card', () => {
		const h: Attempt = { at: T0, paymentMethodId: 'pm_1', brand: 'visa' };
		expect(rules({ at: T0 + 60, paymentMethodId: 'pm_1', cardFingerprint: 'fp_new' }, [h])).toEqual(['perHourCap']);
		expect(rules({ at: T0 + 60, paymentMethodId: 'pm_2', cardFingerprint: 'fp_2' }, [h])).toEqual([]);
		expect(rules({ at: T0 + 60, paymentMethodId: 'pm_2' }, [{ at: T0 }])).toEqual(['perHourCap']);
	});
});

describe('checkNetworkRules gives the earliest allowed time', () => {
	test('earliestAt from the attempt time or now, whichever is later', () => {
		const history = [mc(T0, { networkAdviceCode: '26' })];
		expect(checkNetworkRules(mc(T0 + H, { outcome: undefined }), history, T0 + H)).toMatchObject({ allowed: false, earliestAt: T0 + 2 * D });
		expect(checkNetworkRules(mc(T0 + 3 * D, { outcome: undefined }), history, T0 + H)).toEqual({ allowed: true, violations: [] });
	});

	test('empty history: now', () => {
		expect(earliestAllowed([], T0)).toBe(T0);
	});
});

test('maxInWindowsContaining counts windows ending after t too', () => {
	expect(maxInWindowsContaining([0, 10, 20], 15, 10)).toBe(1);
	expect(maxInWindowsContaining([0, 10, 20], 10, 11)).toBe(2);
	expect(maxInWindowsContaining([0, 10, 20], 5, 16)).toBe(2);
	expect(maxInWindowsContaining([], 5, 16)).toBe(0);
});

/* ---------- property: no plan ever breaks the network rules ---------- */

const MACS = [undefined, '01', '02', '03', '21', '24', '25', '26', '27', '28', '29', '30', '40'];
const WINDOW_RULES = (brand: string | undefined, o: Required<NetworkRuleOptions>) => {
	const r: Array<{ name: string; window: number; limit: number; declinesOnly: boolean }> = [{ name: 'hour', window: H, limit: o.maxAttemptsPerHour, declinesOnly: false }];
	if (brand === undefined || brand === 'visa') r.push({ name: 'visa30', window: 30 * D, limit: o.visaMaxReattempts30d, declinesOnly: false });
	if (brand === undefined || brand === 'mastercard') {
		r.push({ name: 'mc24', window: D, limit: o.mastercardMaxDeclines24h, declinesOnly: true });
		r.push({ name: 'mc30', window: 30 * D, limit: o.mastercardMaxDeclines30d, declinesOnly: true });
	}
	return r;
};

const attemptArb = fc.record(
	{
		at: fc.integer({ min: T0, max: T0 + 60 * D }),
		cardFingerprint: fc.constantFrom<string | undefined>('fp_a', 'fp_a', 'fp_a', 'fp_b', undefined),
		brand: fc.constantFrom<string | undefined>('visa', 'mastercard', 'amex', undefined),
		outcome: fc.constantFrom<Attempt['outcome']>('declined', 'declined', 'declined', 'succeeded', 'pending', undefined),
		visaCategory: fc.constantFrom<Attempt['visaCategory']>(undefined, undefined, undefined, undefined, 2, 3, 4, 1),
		networkAdviceCode: fc.constantFrom(...MACS, undefined, undefined, undefined, undefined),
		networkDeclineCode: fc.constantFrom<string | undefined>(undefined, undefined, undefined, '51', '05', '41'),
	},
	{ requiredKeys: ['at'] },
);

// Histories bunched in bursts too, so the counted limits are reached.
const historyArb = fc.oneof(
	fc.array(attemptArb, { maxLength: 60 }),
	fc.tuple(fc.integer({ min: T0, max: T0 + 60 * D }), fc.array(fc.tuple(attemptArb, fc.integer({ min: 0, max: 3 * D })), { maxLength: 45 })).map(([start, xs]) =>
		xs.map(([a, dt]) => ({ ...a, at: start + dt })),
	),
);

const optionsArb = fc.record({
	visaMaxReattempts30d: fc.constantFrom(15, 20, 5),
	mastercardMaxDeclines24h: fc.constantFrom(10, 3),
	mastercardMaxDeclines30d: fc.constantFrom(35, 8),
	maxAttemptsPerHour: fc.constantFrom(1, 2, 3),
});

const cardArb = fc.record({ cardFingerprint: fc.constant('fp_a'), brand: fc.constantFrom<string | undefined>('visa', 'mastercard', 'amex', undefined) }, { requiredKeys: ['cardFingerprint'] });

test('property: the time earliestAllowed returns passes checkNetworkRules, and no rule counter is exceeded by adding it', () => {
	fc.assert(
		fc.property(historyArb, fc.integer({ min: T0 - 5 * D, max: T0 + 70 * D }), optionsArb, cardArb, (history, now, options, card) => {
			const e = earliestAllowed(history, now, { ...options, card });
			// An independent oracle, written from the rules, not from the implementation.
			const onCard = history.filter((h) => h.cardFingerprint === undefined || h.cardFingerprint === 'fp_a');
			const brand = card.brand ?? onCard.find((h) => h.brand)?.brand;
			const declined = (h: Attempt) => h.outcome !== 'succeeded';
			const never = onCard.some(
				(h) => declined(h) && (h.visaCategory === 1 || (h.brand === 'visa' && h.networkDeclineCode === '41') || h.networkAdviceCode === '03' || h.networkAdviceCode === '21'),
			);
			if (never) {
				expect(e).toBeNull();
				return;
			}
			expect(e).not.toBeNull();
			const t = e!;
			expect(t).toBeGreaterThanOrEqual(now);
			expect(checkNetworkRules({ ...card, at: t }, history, now, options)).toEqual({ allowed: true, violations: [] });
			// Mastercard's minimum waits
			const waits: Record<string, number> = { '24': H, '25': D, '26': 2 * D, '27': 4 * D, '28': 6 * D, '29': 8 * D, '30': 10 * D };
			for (const h of onCard) if (declined(h) && h.networkAdviceCode && waits[h.networkAdviceCode]) expect(t).toBeGreaterThanOrEqual(h.at + waits[h.networkAdviceCode]);
			// Every window [p, p + w) that holds t, started at an attempt or at t (the max of any window is
			// reached at one starting at a point), holds at most `limit` attempts with the new one.
			for (const r of WINDOW_RULES(brand, options)) {
				const times = [...onCard.filter((h) => !r.declinesOnly || declined(h)).map((h) => h.at), t];
				for (const p of times) {
					if (!(p <= t && t < p + r.window)) continue;
					const n = times.filter((x) => p <= x && x < p + r.window).length;
					if (n > r.limit) throw new Error(`${r.name}: ${n} > ${r.limit} in [${p}, ${p + r.window}) at ${t}`);
				}
			}
			// and it is the earliest: one second before is refused
			if (t > now) expect(checkNetworkRules({ ...card, at: t - 1 }, history, now, options).allowed).toBe(false);
		}),
		{ numRuns: 400 },
	);
});

test('property: checkNetworkRules.earliestAt agrees with earliestAllowed', () => {
	fc.assert(
		fc.property(historyArb, fc.integer({ min: T0, max: T0 + 65 * D }), optionsArb, cardArb, (history, now, options, card) => {
			const r = checkNetworkRules({ ...card, at: now }, history, now, options);
			const e = earliestAllowed(history, now, { ...options, card });
			if (r.allowed) expect(e).toBe(now);
			else expect(r.earliestAt ?? null).toBe(e);
		}),
		{ numRuns: 200 },
	);
});

/**
 * Card-network rules on reattempting a declined card payment, enforced on every plan and counted
 * over all attempts on the card at this merchant (Stripe's own retries included: the caller passes
 * them in `history`). Pure: times are unix seconds, `now` is an argument.
 *
 * Rules (each violation names its rule and source):
 * - `visaCategory1`: a Visa category 1 decline ("issuer will never approve") on the card: never again.
 * - `visaReattempts30d`: at most 20 attempts on a card in any 30 days (Visa's limit for categories
 *   2–4 since 25 May 2025, 15 before; `visaMaxReattempts30d`).
 * - `mastercardDoNotTryAgain`: a Mastercard Merchant Advice Code 03 or 21 on the card: never again.
 * - `mastercardRetryAfter`: MAC 24–30 ("retry after 1 hour … 10 days") is a minimum wait after that decline.
 * - `mastercardDeclines24h` / `mastercardDeclines30d`: Mastercard's excessive-attempt limits, at most
 *   10 declines in 24 hours and 35 in 30 days, same card and merchant.
 * - `perHourCap`: at most `maxAttemptsPerHour` attempts on the card in any hour (ours, default 1).
 *
 * How counting is done, and why it is cautious:
 * - Windows are rolling, over every window that contains the new attempt (also windows reaching
 *   past it, when the history holds later attempts). Mastercard counts calendar days and tumbling
 *   30-day periods; every such period is one of the rolling windows, so a plan within the rolling
 *   limits is within Mastercard's.
 * - The new attempt counts as if it will be declined (it may be).
 * - Visa counts reattempts after a decline; we count every attempt on the card in the window (the
 *   first and successful ones too), which is at most one more than Visa counts per series of
 *   declines, and does not depend on knowing which attempt came first.
 * - An attempt whose outcome is not known (`outcome` missing or `pending`) counts as a decline.
 * - A card whose brand is not known gets both Visa's and Mastercard's limits.
 * - The history must be this merchant's attempts (one Stripe account); it is matched to the card by
 *   `cardFingerprint` or `paymentMethodId` (either one shared is the same card).
 */
import type { RuleSource } from './declineCodes';

const READ = '2026-12-01';
const HOUR = 3600;
const DAY = 86400;

/** Visa's decline categories (1 never, 2 later, 3 data quality, 4 generic). */
export type VisaCategory = 1 | 2 | 3 | 4;

/** Sources of the network rules. */
export const NETWORK_SOURCES = {
	visaCategories: {
		url: 'https://www.checkout.com/docs/developer-resources/codes/visa-response-codes',
		read: READ,
		fetched: true,
		note: 'Checkout.com\'s summary of Visa\'s categories ("Last updated February 26, 2025"): category 1 and 2 descriptions read; response-code numbers and categories 3–4 from memory of Visa\'s published tables.',
	},
	visaLimit: {
		url: 'https://docs.cielo.com.br/ecommerce-cielo-en/changelog/new-limit-for-visa-retries-starting-may-25-2025',
		read: READ,
		fetched: true,
		note: 'Visa allows 20 reattempts in 30 days for categories 2, 3 and 4 from 25 May 2025 (15 before). Visa Core Rules Table 7-2 named by third parties; not read.',
	},
	excessiveRetries: {
		url: 'https://developers.tabapay.com/docs/excessive-retry-rules',
		read: READ,
		fetched: true,
		note: "TabaPay's summary: Visa category 1 never; Visa more than 20 declines in 30 days; Mastercard more than 10 declines in a calendar day and 35 in 30 days at the merchant. Mastercard's own rule text not read.",
	},
	mastercardAdviceCodes: {
		url: 'https://developer.paypal.com/braintree/docs/reference/general/merchant-responses/merchant-advice-codes',
		read: READ,
		fetched: true,
		note: "Braintree's (and Antom's, https://docs.antom.com/ac/ams/mac) table of Mastercard's Merchant Advice Codes: 01, 02, 03, 04, 21, 24–30, 40, 41, 43. Mastercard's own document not read.",
	},
	perHourCap: {
		url: 'https://github.com/n8n-nodes-stripe-revops/n8n-nodes-stripe-revops',
		read: READ,
		fetched: false,
		note: "This package's own cap, asked for by its issue 8; not a card-network rule. It keeps retries on a card apart.",
	},
} as const satisfies Record<string, RuleSource>;

/**
 * Visa response codes by category (`network_decline_code` on a Visa charge). Category 1 and 2 by
 * their descriptions in {@link NETWORK_SOURCES.visaCategories}; the codes themselves, R0 and
 * categories 3–4 from memory. Any other code is category 4 (generic).
 */
export const VISA_CATEGORY_CODES: Readonly<Record<1 | 2 | 3, readonly string[]>> = {
	1: ['04', '07', '12', '14', '15', '41', '43', '46', '57', 'R0', 'R1', 'R3'],
	2: ['03', '19', '51', '59', '61', '62', '65', '75', '78', '86', '91', '93', '96', 'N3', 'N4'],
	3: ['54', '55', '6P', '82', 'N7'],
};

/** The Visa category of a Visa response code; undefined when there is no code. */
export function visaCategoryOf(networkDeclineCode: string | null | undefined): VisaCategory | undefined {
	if (!networkDeclineCode) return undefined;
	const code = networkDeclineCode.trim().toUpperCase();
	for (const cat of [1, 2, 3] as const) if (VISA_CATEGORY_CODES[cat].includes(code)) return cat;
	return 4;
}

/** Mastercard Merchant Advice Codes that forbid any retry: 03 do not try again, 21 payment cancelled. */
export const MASTERCARD_DO_NOT_TRY_AGAIN: readonly string[] = ['03', '21'];

/** Mastercard MAC 24–30: minimum wait in seconds before a retry. */
export const MASTERCARD_RETRY_AFTER: Readonly<Record<string, number>> = {
	'24': HOUR,
	'25': 24 * HOUR,
	'26': 2 * DAY,
	'27': 4 * DAY,
	'28': 6 * DAY,
	'29': 8 * DAY,
	'30': 10 * DAY,
};

/** Normalizes a MAC: trimmed, one digit padded ("3" → "03"). */
export function normalizeAdviceCode(code: string | null | undefined): string | undefined {
	if (code === null || code === undefined) return undefined;
	const c = String(code).trim();
	if (!c) return undefined;
	return /^\d$/.test(c) ? `0${c}` : c;
}

/** One payment attempt on a card, past (history) or planned. */
export interface Attempt {
	/** Unix seconds. */
	at: number;
	cardFingerprint?: string;
	paymentMethodId?: string;
	/** The payment intent the attempt was for, when known (which invoice's retry it was). */
	paymentIntentId?: string;
	/** Stripe's card brand (`visa`, `mastercard`, …); undefined when not known. */
	brand?: string;
	/** Missing or `pending` counts as `declined`. */
	outcome?: 'declined' | 'succeeded' | 'pending';
	/** Visa's decline category, when known (or derived from `networkDeclineCode` of a Visa card). */
	visaCategory?: VisaCategory;
	/** Stripe's `network_advice_code` (Mastercard's MAC). */
	networkAdviceCode?: string;
	/** Stripe's `network_decline_code` (the network's response code). */
	networkDeclineCode?: string;
	/** Stripe's `decline_code` of a declined attempt, when known (the payroll evidence reads it). */
	declineCode?: string;
}

/** The options of the rules; every limit is configurable. */
export interface NetworkRuleOptions {
	/** Visa's reattempts per card in 30 days: 20 since 25 May 2025 (15 before). */
	visaMaxReattempts30d?: number;
	mastercardMaxDeclines24h?: number;
	mastercardMaxDeclines30d?: number;
	/** Attempts per card in any hour (ours). */
	maxAttemptsPerHour?: number;
}

export const DEFAULT_NETWORK_RULE_OPTIONS: Required<NetworkRuleOptions> = {
	visaMaxReattempts30d: 20,
	mastercardMaxDeclines24h: 10,
	mastercardMaxDeclines30d: 35,
	maxAttemptsPerHour: 1,
};

/** Stable names of the rules. */
export type NetworkRule =
	| 'visaCategory1'
	| 'visaReattempts30d'
	| 'mastercardDoNotTryAgain'
	| 'mastercardRetryAfter'
	| 'mastercardDeclines24h'
	| 'mastercardDeclines30d'
	| 'perHourCap';

export interface NetworkRuleViolation {
	rule: NetworkRule;
	message: string;
	source: RuleSource;
}

export interface NetworkRuleResult {
	allowed: boolean;
	/** When not allowed: the earliest time from `attempt.at` on at which it would be; absent when never. */
	earliestAt?: number;
	violations: NetworkRuleViolation[];
}

/** Names a card: a fingerprint and/or a payment method id, and the brand when known. */
export type CardRef = Pick<Attempt, 'cardFingerprint' | 'paymentMethodId' | 'brand'>;

/**
 * Whether two attempts are on the same card: a shared fingerprint or payment method id. Cautious:
 * an attempt with neither cannot be told apart, so it counts as the same card.
 */
export function sameCard(a: CardRef, b: CardRef): boolean {
	if (!(a.cardFingerprint || a.paymentMethodId) || !(b.cardFingerprint || b.paymentMethodId)) return true;
	if (a.cardFingerprint && b.cardFingerprint && a.cardFingerprint === b.cardFingerprint) return true;
	return !!(a.paymentMethodId && b.paymentMethodId && a.paymentMethodId === b.paymentMethodId);
}

function isDecline(a: Attempt): boolean {
	return a.outcome !== 'succeeded';
}

function brandOf(a: CardRef): string | undefined {
	return a.brand ? a.brand.trim().toLowerCase() : undefined;
}

/** A decline's Visa category; when the given category and the response code disagree, the stricter (1) wins. */
function visaCategoryOfAttempt(a: Attempt): VisaCategory | undefined {
	if (!isDecline(a)) return undefined;
	const fromCode = brandOf(a) === 'visa' ? visaCategoryOf(a.networkDeclineCode) : undefined;
	if (a.visaCategory === 1 || fromCode === 1) return 1;
	return a.visaCategory ?? fromCode;
}

interface WindowRule {
	rule: NetworkRule;
	window: number;
	limit: number;
	countDeclinesOnly: boolean;
	source: RuleSource;
	what: string;
}

function windowRules(card: CardRef, o: Required<NetworkRuleOptions>): WindowRule[] {
	const brand = brandOf(card);
	const visa = brand === undefined || brand === 'visa';
	const mc = brand === undefined || brand === 'mastercard';
	const rules: WindowRule[] = [
		{ rule: 'perHourCap', window: HOUR, limit: o.maxAttemptsPerHour, countDeclinesOnly: false, source: NETWORK_SOURCES.perHourCap, what: 'attempts in an hour' },
	];
	if (visa)
		rules.push({ rule: 'visaReattempts30d', window: 30 * DAY, limit: o.visaMaxReattempts30d, countDeclinesOnly: false, source: NETWORK_SOURCES.visaLimit, what: 'Visa attempts in 30 days' });
	if (mc) {
		rules.push({ rule: 'mastercardDeclines24h', window: DAY, limit: o.mastercardMaxDeclines24h, countDeclinesOnly: true, source: NETWORK_SOURCES.excessiveRetries, what: 'Mastercard declines in 24 hours' });
		rules.push({ rule: 'mastercardDeclines30d', window: 30 * DAY, limit: o.mastercardMaxDeclines30d, countDeclinesOnly: true, source: NETWORK_SOURCES.excessiveRetries, what: 'Mastercard declines in 30 days' });
	}
	return rules;
}

function lowerBound(sorted: number[], x: number): number {
	let lo = 0;
	let hi = sorted.length;
	while (lo < hi) {
		const mid = (lo + hi) >> 1;
		if (sorted[mid] < x) lo = mid + 1;
		else hi = mid;
	}
	return lo;
}

function upperBound(sorted: number[], x: number): number {
	let lo = 0;
	let hi = sorted.length;
	while (lo < hi) {
		const mid = (lo + hi) >> 1;
		if (sorted[mid] <= x) lo = mid + 1;
		else hi = mid;
	}
	return lo;
}

/**
 * The most attempts of `times` (sorted) in any window (a − w, a] that contains t, i.e. a in [t, t + w).
 * Exported for tests: the count rises only at an attempt, so a = t or a = an attempt's time suffices.
 */
export function maxInWindowsContaining(times: number[], t: number, w: number): number {
	const count = (a: number) => upperBound(times, a) - upperBound(times, a - w);
	let best = count(t);
	for (let i = lowerBound(times, t); i < times.length && times[i] < t + w; i++) best = Math.max(best, count(times[i]));
	return best;
}

interface CardState {
	never: NetworkRuleViolation[];
	/** Minimum waits: t must be ≥ notBefore. */
	waits: Array<{ notBefore: number; violation: NetworkRuleViolation }>;
	windows: Array<{ rule: WindowRule; times: number[] }>;
}

function cardState(ref: CardRef, history: readonly Attempt[], o: Required<NetworkRuleOptions>): CardState {
	const onCard = history.filter((h) => sameCard(ref, h));
	// The brand, when the plan does not say, from the card's own history.
	const card: CardRef = { ...ref, brand: ref.brand ?? onCard.find((h) => h.brand)?.brand };
	const never: NetworkRuleViolation[] = [];
	const waits: CardState['waits'] = [];
	const cat1 = onCard.find((h) => visaCategoryOfAttempt(h) === 1);
	if (cat1)
		never.push({
			rule: 'visaCategory1',
			message: `A Visa category 1 decline ("issuer will never approve"${cat1.networkDeclineCode ? `, response code ${cat1.networkDeclineCode}` : ''}) at ${cat1.at}: Visa allows no reattempt on this card.`,
			source: NETWORK_SOURCES.visaCategories,
		});
	for (const h of onCard) {
		if (!isDecline(h)) continue;
		const mac = normalizeAdviceCode(h.networkAdviceCode);
		if (!mac) continue;
		if (MASTERCARD_DO_NOT_TRY_AGAIN.includes(mac)) {
			if (!never.some((v) => v.rule === 'mastercardDoNotTryAgain'))
				never.push({
					rule: 'mastercardDoNotTryAgain',
					message: `Mastercard Merchant Advice Code ${mac} (${mac === '03' ? 'do not try again' : 'payment cancelled'}) at ${h.at}: no retry on this card.`,
					source: NETWORK_SOURCES.mastercardAdviceCodes,
				});
		} else if (MASTERCARD_RETRY_AFTER[mac] !== undefined) {
			const wait = MASTERCARD_RETRY_AFTER[mac];
			waits.push({
				notBefore: h.at + wait,
				violation: {
					rule: 'mastercardRetryAfter',
					message: `Mastercard Merchant Advice Code ${mac} at ${h.at} asks to wait ${wait >= DAY ? `${wait / DAY} day(s)` : `${wait / HOUR} hour(s)`}: not before ${h.at + wait}.`,
					source: NETWORK_SOURCES.mastercardAdviceCodes,
				},
			});
		}
	}
	const windows = windowRules(card, o).map((rule) => ({
		rule,
		times: onCard
			.filter((h) => !rule.countDeclinesOnly || isDecline(h))
			.map((h) => h.at)
			.sort((a, b) => a - b),
	}));
	return { never, waits, windows };
}

function violationsAt(state: CardState, t: number): NetworkRuleViolation[] {
	const out: NetworkRuleViolation[] = [...state.never];
	for (const w of state.waits) if (t < w.notBefore) out.push(w.violation);
	for (const { rule, times } of state.windows) {
		const n = maxInWindowsContaining(times, t, rule.window) + 1;
		if (n > rule.limit)
			out.push({
				rule: rule.rule,
				message: `${n} ${rule.what} with this one; the limit is ${rule.limit}.`,
				source: rule.source,
			});
	}
	return out;
}

function earliestFrom(state: CardState, from: number): number | null {
	if (state.never.length > 0) return null;
	if (state.windows.some((w) => w.rule.limit < 1)) return null;
	// The allowed set only starts at `from`, at the end of a minimum wait, or where an attempt
	// leaves a window (at + window): try those in order.
	const candidates = new Set<number>([from]);
	for (const w of state.waits) if (w.notBefore > from) candidates.add(w.notBefore);
	for (const { rule, times } of state.windows) for (const x of times) if (x + rule.window > from) candidates.add(x + rule.window);
	for (const t of [...candidates].sort((a, b) => a - b)) if (violationsAt(state, t).length === 0) return t;
	return null;
}

function resolve(options?: NetworkRuleOptions): Required<NetworkRuleOptions> {
	return { ...DEFAULT_NETWORK_RULE_OPTIONS, ...stripUndefined(options ?? {}) };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
	return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Whether `attempt` (at `attempt.at`) keeps every network rule given `history` (attempts on other
 * cards are ignored). `now` is when the decision is made: when not allowed, `earliestAt` is the
 * earliest allowed time from `max(attempt.at, now)` on.
 */
export function checkNetworkRules(
	attempt: Attempt,
	history: readonly Attempt[],
	now: number,
	options?: NetworkRuleOptions,
): NetworkRuleResult {
	const state = cardState(attempt, history, resolve(options));
	const violations = violationsAt(state, attempt.at);
	if (violations.length === 0) return { allowed: true, violations };
	const earliest = earliestFrom(state, Math.max(attempt.at, now));
	return earliest === null ? { allowed: false, violations } : { allowed: false, earliestAt: earliest, violations };
}

/** Options of {@link earliestAllowed}: the limits, and which card (default: the newest attempt's). */
export interface EarliestAllowedOptions extends NetworkRuleOptions {
	card?: CardRef;
}

/**
 * The earliest time ≥ `now` at which a new attempt on the card keeps every rule, or null when never
 * (a Visa category 1 decline, a Mastercard MAC 03/21, or a limit set below 1). The card is
 * `options.card`, else the card of the newest attempt in `history`; with an empty history, `now`.
 */
export function earliestAllowed(history: readonly Attempt[], now: number, options?: EarliestAllowedOptions): number | null {
	const { card, ...limits } = options ?? {};
	const newest = history.reduce<Attempt | undefined>((a, h) => (!a || h.at > a.at ? h : a), undefined);
	const ref: CardRef = card ?? (newest ? { cardFingerprint: newest.cardFingerprint, paymentMethodId: newest.paymentMethodId, brand: newest.brand } : {});
	return earliestFrom(cardState(ref, history, resolve(limits)), now);
}

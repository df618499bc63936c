/**
 * Payment outcome model: decides whether a card payment succeeds or declines, and with which code.
 *
 * Two layers:
 * 1. Stripe's documented test payment methods (`pm_card_visa`, `pm_card_chargeDeclinedInsufficientFunds`, ...)
 *    always behave as Stripe documents them (https://docs.stripe.com/testing#declined-payments), whatever the model says.
 * 2. Every other card (seeded customers, cards created from plain numbers) follows a scenario model whose
 *    parameters all live in `ScenarioParams` below:
 *    - a first attempt on a healthy card declines with probability `declineRate`, the code drawn from
 *      `declineCodes` (a distribution shaped like published card-decline breakdowns: insufficient funds is
 *      the largest share, then generic/do-not-honor, expired cards, issuer outages, lost/stolen);
 *    - once declined, the card carries a condition until it clears:
 *      - `insufficient_funds` clears on a retry with `insufficientFunds.baseRecovery`, raised to
 *        `insufficientFunds.paydayRecovery` within `insufficientFunds.paydayWindowDays` after the customer's
 *        funds arrive: at `fundsHour` local time on a payday, in the customer's true IANA zone (DST included);
 *        see "Where customers live and when they are paid" below;
 *      - `expired_card`, `lost_card`, `stolen_card`, `fraudulent`, `incorrect_cvc` never clear: only a new
 *        payment method (customer or invoice default changes) gets paid;
 *      - issuer outages (`processing_error`, `issuer_not_available`, `try_again_later`) last an exponentially
 *        distributed time with mean `outage.meanHours` (capped at `outage.maxHours`), then clear;
 *      - soft declines (`generic_decline`, `do_not_honor`, `card_velocity_exceeded`) clear per retry with
 *        `softRecovery`.
 * Draws are keyed by the card, the second and the attempt's number within it (sandbox/resources/payments.ts), so a
 * seed gives the same outcome to the same attempt, whatever else happened before it.
 *
 * The recovery rates (our judgement, 2026-12-01; no source publishes them): an overdrawn account between
 * paydays rarely gains money, so an insufficient-funds retry then clears 5 % of the time; a payday's money
 * covers the bill for about two days before rent and other debits draw it down (70 % per retry then); an
 * issuer's soft decline clears on 30 % of retries. Until 2026-12-01 the defaults were 0.18 / 0.62 / 3 days /
 * 0.45: eight tries spread over two weeks then recovered over 90 % of insufficient-funds declines and
 * nearly every soft decline whatever their timing, a world kinder than card portfolios are, in which timing
 * could not matter (`npm run bench:recovery` measured a ceiling of 1.05 for any policy against the
 * baseline). That world is kept as `bench/scenarios/independent-retries.json`.
 *
 * Where customers live and when they are paid (the scenario's assumptions; all in `ScenarioParams`, none of it
 * exposed through the API: an engine has to learn it from the history of attempts, as on a real account):
 * - A customer's true zone follows their address: `zones[country]` gives the country's main zone and, per
 *   `address.state`, the state's zone. `splitRegions` makes some customers' true zone differ from their state's
 *   (or country's) main zone, as zone lines cut through regions: El Paso in Texas keeps Mountain time, Florida's
 *   panhandle Central time, Broken Hill (NSW) South Australian time, north-west Ontario Central time, east British
 *   Columbia Mountain time, western Brazil Amazon time. This table is the sandbox's own, on purpose not the engine's
 *   (`lib/retry/zones.ts`), so the engine is judged against a world it does not define. A customer with no address
 *   (or a country not in `zones`) lives in a zone drawn from `timeZones`.
 * - Paydays follow the country's payroll habits (`paydays[country]`, a weighted mix of patterns defined in
 *   `paydayPatterns`; `paydays['*']` for other countries). Defaults, from how payroll is commonly run
 *   (general knowledge, 2026; not a survey): US biweekly Fridays (the most common US pay frequency), 1st and
 *   15th, or weekly Fridays; CA biweekly Fridays or 15th/last; UK and DE the last working day of the month (some
 *   UK employers the 25th or weekly Fridays); FR the last working day; AU fortnightly Thursdays or monthly;
 *   JP the 25th (earlier business day if it falls on a weekend); BR the 5th business day (plus a mid-month
 *   advance, the "vale", on the 20th). Monthly days on a weekend move to the previous business day. Public
 *   holidays are not modelled.
 * - Funds arrive at `fundsHour` local time on a payday (06:00 by default: overnight batch settlement), not at
 *   midnight UTC, so an insufficient-funds retry at 03:00 local on payday still fails at the base rate.
 */
import { DateTime, IANAZone } from 'luxon';
import { Rng } from './core/rng';

export type DeclineCode =
	| 'insufficient_funds'
	| 'generic_decline'
	| 'do_not_honor'
	| 'expired_card'
	| 'lost_card'
	| 'stolen_card'
	| 'processing_error'
	| 'issuer_not_available'
	| 'try_again_later'
	| 'card_velocity_exceeded'
	| 'incorrect_cvc'
	| 'fraudulent'
	| 'authentication_required';

export interface ScenarioParams {
	/** Probability that an attempt on a healthy card declines. */
	declineRate: number;
	/** Relative weights of decline codes for a fresh decline. */
	declineCodes: Partial<Record<DeclineCode, number>>;
	insufficientFunds: { baseRecovery: number; paydayRecovery: number; paydayWindowDays: number };
	softRecovery: number;
	outage: { meanHours: number; maxHours: number };
	/** Payday patterns by name (referenced by `paydays`). */
	paydayPatterns: Record<string, PaydayRule>;
	/** Per country (ISO 3166-1 alpha-2, `'*'` for any other): weights of payday pattern names. */
	paydays: Record<string, Record<string, number>>;
	/** Local hour (0-23) at which a payday's funds are available. */
	fundsHour: number;
	/** Per country: the main IANA zone, and the zones of states (`address.state`, ISO 3166-2 suffix) that differ. */
	zones: Record<string, { main: string; states?: Record<string, string> }>;
	/** `COUNTRY-STATE` (or `COUNTRY` alone) -> a zone a share of that region's customers truly live in. */
	splitRegions: Record<string, { zone: string; share: number }>;
	/** IANA zones (with weights) for customers without a usable address. */
	timeZones: Record<string, number>;
	/** Automatic retry schedule for invoices: days after the first failure (Stripe's custom schedule style). */
	retryDays: number[];
	/** What happens to the subscription after the last retry fails. */
	afterRetries: 'cancel' | 'unpaid' | 'past_due';
}

export const DEFAULT_SCENARIO: ScenarioParams = {
	declineRate: 0.07,
	declineCodes: {
		insufficient_funds: 44,
		generic_decline: 18,
		do_not_honor: 9,
		expired_card: 11,
		processing_error: 3,
		issuer_not_available: 2,
		try_again_later: 2,
		card_velocity_exceeded: 4,
		lost_card: 2,
		stolen_card: 1,
		incorrect_cvc: 2,
		fraudulent: 2,
	},
	insufficientFunds: { baseRecovery: 0.05, paydayRecovery: 0.7, paydayWindowDays: 2 },
	softRecovery: 0.3,
	outage: { meanHours: 3, maxHours: 12 },
	paydayPatterns: {
		biweeklyFriday: { kind: 'biweekly', weekday: 5 },
		biweeklyThursday: { kind: 'biweekly', weekday: 4 },
		weeklyFriday: { kind: 'weekly', weekday: 5 },
		semimonthly: { kind: 'monthDays', days: [1, 15] },
		midAndLast: { kind: 'monthDays', days: [15, 31] },
		lastWorkingDay: { kind: 'lastWorkingDay' },
		day25: { kind: 'monthDays', days: [25] },
		fifthBusinessDay: { kind: 'nthBusinessDay', n: 5 },
		brazilSplit: { kind: 'nthBusinessDay', n: 5, alsoDays: [20] },
	},
	paydays: {
		US: { biweeklyFriday: 45, semimonthly: 30, weeklyFriday: 25 },
		CA: { biweeklyFriday: 60, midAndLast: 40 },
		GB: { lastWorkingDay: 75, day25: 15, weeklyFriday: 10 },
		DE: { lastWorkingDay: 90, day25: 10 },
		FR: { lastWorkingDay: 90, day25: 10 },
		AU: { biweeklyThursday: 60, lastWorkingDay: 25, weeklyFriday: 15 },
		JP: { day25: 100 },
		BR: { fifthBusinessDay: 50, brazilSplit: 50 },
		'*': { lastWorkingDay: 60, semimonthly: 40 },
	},
	fundsHour: 6,
	zones: {
		US: { main: 'America/New_York', states: { CA: 'America/Los_Angeles', WA: 'America/Los_Angeles', OR: 'America/Los_Angeles', TX: 'America/Chicago', IL: 'America/Chicago', MN: 'America/Chicago', CO: 'America/Denver', UT: 'America/Denver', AZ: 'America/Phoenix', HI: 'Pacific/Honolulu', AK: 'America/Anchorage' } },
		CA: { main: 'America/Toronto', states: { BC: 'America/Vancouver', AB: 'America/Edmonton', MB: 'America/Winnipeg', SK: 'America/Regina', NS: 'America/Halifax', NL: 'America/St_Johns' } },
		AU: { main: 'Australia/Sydney', states: { VIC: 'Australia/Melbourne', QLD: 'Australia/Brisbane', SA: 'Australia/Adelaide', WA: 'Australia/Perth', TAS: 'Australia/Hobart', NT: 'Australia/Darwin' } },
		BR: { main: 'America/Sao_Paulo', states: { AM: 'America/Manaus', PE: 'America/Recife', BA: 'America/Bahia' } },
		GB: { main: 'Europe/London' },
		DE: { main: 'Europe/Berlin' },
		FR: { main: 'Europe/Paris' },
		JP: { main: 'Asia/Tokyo' },
		MX: { main: 'America/Mexico_City', states: { BCN: 'America/Tijuana', SON: 'America/Hermosillo', ROO: 'America/Cancun' } },
		IE: { main: 'Europe/Dublin' },
		NL: { main: 'Europe/Amsterdam' },
		BE: { main: 'Europe/Brussels' },
		ES: { main: 'Europe/Madrid' },
		IT: { main: 'Europe/Rome' },
		PT: { main: 'Europe/Lisbon' },
		AT: { main: 'Europe/Vienna' },
		CH: { main: 'Europe/Zurich' },
		SE: { main: 'Europe/Stockholm' },
		NO: { main: 'Europe/Oslo' },
		DK: { main: 'Europe/Copenhagen' },
		FI: { main: 'Europe/Helsinki' },
		PL: { main: 'Europe/Warsaw' },
		IN: { main: 'Asia/Kolkata' },
		SG: { main: 'Asia/Singapore' },
		HK: { main: 'Asia/Hong_Kong' },
		NZ: { main: 'Pacific/Auckland' },
	},
	splitRegions: {
		'US-TX': { zone: 'America/Denver', share: 0.1 },
		'US-FL': { zone: 'America/Chicago', share: 0.1 },
		'CA-ON': { zone: 'America/Winnipeg', share: 0.05 },
		'CA-BC': { zone: 'America/Edmonton', share: 0.1 },
		'AU-NSW': { zone: 'Australia/Broken_Hill', share: 0.05 },
		'BR-AM': { zone: 'America/Rio_Branco', share: 0.1 },
	},
	timeZones: { 'America/Los_Angeles': 20, 'America/Denver': 6, 'America/Chicago': 12, 'America/New_York': 25, 'Europe/London': 10, 'Europe/Berlin': 15, 'Europe/Helsinki': 4, 'Asia/Kolkata': 3, 'Australia/Sydney': 5 },
	retryDays: [1, 3, 5, 7],
	afterRetries: 'cancel',
};

/**
 * Overrides merged over the defaults. The per-country tables (`paydayPatterns`, `paydays`, `zones`, `splitRegions`)
 * merge key by key, so `{ paydays: { JP: { day25: 1 } } }` changes Japan only; other fields replace the default.
 */
export function mergeScenario(overrides: Partial<ScenarioParams> = {}, base: ScenarioParams = DEFAULT_SCENARIO): ScenarioParams {
	const p: ScenarioParams = { ...base, ...overrides };
	for (const k of ['paydayPatterns', 'paydays', 'zones', 'splitRegions'] as const) {
		if (overrides[k]) (p as unknown as Record<string, unknown>)[k] = { ...base[k], ...overrides[k] };
	}
	validateScenario(p);
	return p;
}

/** Refuses parameters the model cannot use (unknown zones or pattern names, a funds hour outside 0-23). */
export function validateScenario(p: ScenarioParams): void {
	if (!Number.isInteger(p.fundsHour) || p.fundsHour < 0 || p.fundsHour > 23) throw new Error(`scenario.fundsHour must be an integer hour 0-23, got ${String(p.fundsHour)}`);
	const zones = [...Object.values(p.zones).flatMap((z) => [z.main, ...Object.values(z.states ?? {})]), ...Object.values(p.splitRegions).map((s) => s.zone), ...Object.keys(p.timeZones)];
	for (const z of zones) if (!IANAZone.isValidZone(z)) throw new Error(`scenario: '${z}' is not an IANA time zone`);
	for (const [country, mix] of Object.entries(p.paydays)) {
		for (const name of Object.keys(mix)) if (!p.paydayPatterns[name]) throw new Error(`scenario.paydays.${country}: pattern '${name}' is not in paydayPatterns`);
	}
}

export interface Decline {
	/** Stripe error `code` (card_declined, expired_card, incorrect_cvc, processing_error). */
	code: string;
	decline_code: DeclineCode;
	message: string;
	advice_code: 'try_again_later' | 'do_not_try_again' | 'confirm_card_data' | null;
	/** Network-level reason (charge.outcome.reason). */
	reason: string;
}

/** Stripe's documented messages per decline code. */
const DECLINES: Record<DeclineCode, Omit<Decline, 'decline_code' | 'reason'>> = {
	insufficient_funds: { code: 'card_declined', message: 'Your card has insufficient funds.', advice_code: 'try_again_later' },
	generic_decline: { code: 'card_declined', message: 'Your card was declined.', advice_code: null },
	do_not_honor: { code: 'card_declined', message: 'Your card was declined.', advice_code: null },
	expired_card: { code: 'expired_card', message: 'Your card has expired.', advice_code: 'confirm_card_data' },
	lost_card: { code: 'card_declined', message: 'Your card was declined.', advice_code: 'do_not_try_again' },
	stolen_card: { code: 'card_declined', message: 'Your card was declined.', advice_code: 'do_not_try_again' },
	processing_error: { code: 'processing_error', message: 'An error occurred while processing your card. Try again in a little bit.', advice_code: 'try_again_later' },
	issuer_not_available: { code: 'card_declined', message: 'Your card was declined.', advice_code: 'try_again_later' },
	try_again_later: { code: 'card_declined', message: 'Your card was declined.', advice_code: 'try_again_later' },
	card_velocity_exceeded: { code: 'card_declined', message: 'Your card was declined for making repeated attempts too frequently or exceeding its amount limit.', advice_code: 'try_again_later' },
	incorrect_cvc: { code: 'incorrect_cvc', message: "Your card's security code is incorrect.", advice_code: 'confirm_card_data' },
	fraudulent: { code: 'card_declined', message: 'Your card was declined.', advice_code: 'do_not_try_again' },
	authentication_required: { code: 'authentication_required', message: 'Your card was declined. This transaction requires authentication.', advice_code: null },
};

export function decline(code: DeclineCode): Decline {
	return { ...DECLINES[code], decline_code: code, reason: code };
}

/** Stripe's test cards (https://docs.stripe.com/testing), by PaymentMethod token. */
export interface TestCard {
	brand: 'visa' | 'mastercard' | 'amex' | 'discover';
	last4: string;
	funding: 'credit' | 'debit';
	country: string;
	/** Decline on every charge with this code. */
	declines?: DeclineCode;
	/** Charge succeeds, then a dispute opens. */
	dispute?: boolean;
	/** Radar blocks the charge. */
	blocked?: boolean;
}

export const TEST_CARDS: Record<string, TestCard> = {
	pm_card_visa: { brand: 'visa', last4: '4242', funding: 'credit', country: 'US' },
	pm_card_visa_debit: { brand: 'visa', last4: '5556', funding: 'debit', country: 'US' },
	pm_card_mastercard: { brand: 'mastercard', last4: '4444', funding: 'credit', country: 'US' },
	pm_card_mastercard_debit: { brand: 'mastercard', last4: '8210', funding: 'debit', country: 'US' },
	pm_card_amex: { brand: 'amex', last4: '8431', funding: 'credit', country: 'US' },
	pm_card_discover: { brand: 'discover', last4: '1117', funding: 'credit', country: 'US' },
	pm_card_us: { brand: 'visa', last4: '0077', funding: 'credit', country: 'US' },
	pm_card_gb: { brand: 'visa', last4: '0031', funding: 'credit', country: 'GB' },
	pm_card_de: { brand: 'visa', last4: '0016', funding: 'credit', country: 'DE' },
	pm_card_fr: { brand: 'visa', last4: '0032', funding: 'credit', country: 'FR' },
	pm_card_chargeDeclined: { brand: 'visa', last4: '0002', funding: 'credit', country: 'US', declines: 'generic_decline' },
	pm_card_chargeDeclinedInsufficientFunds: { brand: 'visa', last4: '9995', funding: 'credit', country: 'US', declines: 'insufficient_funds' },
	pm_card_chargeDeclinedLostCard: { brand: 'visa', last4: '9987', funding: 'credit', country: 'US', declines: 'lost_card' },
	pm_card_chargeDeclinedStolenCard: { brand: 'visa', last4: '9979', funding: 'credit', country: 'US', declines: 'stolen_card' },
	pm_card_chargeDeclinedExpiredCard: { brand: 'visa', last4: '0069', funding: 'credit', country: 'US', declines: 'expired_card' },
	pm_card_chargeDeclinedIncorrectCvc: { brand: 'visa', last4: '0127', funding: 'credit', country: 'US', declines: 'incorrect_cvc' },
	pm_card_chargeDeclinedProcessingError: { brand: 'visa', last4: '0119', funding: 'credit', country: 'US', declines: 'processing_error' },
	pm_card_chargeDeclinedVelocityLimitExceeded: { brand: 'visa', last4: '6975', funding: 'credit', country: 'US', declines: 'card_velocity_exceeded' },
	pm_card_chargeDeclinedFraudulent: { brand: 'visa', last4: '0019', funding: 'credit', country: 'US', declines: 'fraudulent' },
	pm_card_chargeCustomerFail: { brand: 'visa', last4: '0341', funding: 'credit', country: 'US', declines: 'generic_decline' },
	pm_card_authenticationRequired: { brand: 'visa', last4: '3184', funding: 'credit', country: 'US', declines: 'authentication_required' },
	pm_card_riskLevelHighest: { brand: 'visa', last4: '4954', funding: 'credit', country: 'US', blocked: true },
	pm_card_createDispute: { brand: 'visa', last4: '0259', funding: 'credit', country: 'US', dispute: true },
};

/** Card numbers accepted by `POST /v1/payment_methods` with `card[number]`, mapped to the same behaviours. */
export const TEST_CARD_NUMBERS: Record<string, string> = {
	'4242424242424242': 'pm_card_visa',
	'4000056655665556': 'pm_card_visa_debit',
	'5555555555554444': 'pm_card_mastercard',
	'378282246310005': 'pm_card_amex',
	'6011111111111117': 'pm_card_discover',
	'4000000000000002': 'pm_card_chargeDeclined',
	'4000000000009995': 'pm_card_chargeDeclinedInsufficientFunds',
	'4000000000009987': 'pm_card_chargeDeclinedLostCard',
	'4000000000009979': 'pm_card_chargeDeclinedStolenCard',
	'4000000000000069': 'pm_card_chargeDeclinedExpiredCard',
	'4000000000000127': 'pm_card_chargeDeclinedIncorrectCvc',
	'4000000000000119': 'pm_card_chargeDeclinedProcessingError',
	'4000000000006975': 'pm_card_chargeDeclinedVelocityLimitExceeded',
	'4100000000000019': 'pm_card_chargeDeclinedFraudulent',
	'4000000000000341': 'pm_card_chargeCustomerFail',
	'4000000000000259': 'pm_card_createDispute',
	'4000000000004954': 'pm_card_riskLevelHighest',
};

type Condition =
	| { kind: 'insufficient_funds' }
	| { kind: 'hard'; code: DeclineCode }
	| { kind: 'outage'; code: DeclineCode; until: number }
	| { kind: 'soft'; code: DeclineCode };

/** A payroll pattern. Monthly days past the month's end mean its last day; weekend days move to the previous business day. */
export type PaydayRule =
	| { kind: 'weekly'; weekday: number }
	| { kind: 'biweekly'; weekday: number }
	| { kind: 'monthDays'; days: number[] }
	| { kind: 'lastWorkingDay' }
	| { kind: 'nthBusinessDay'; n: number; alsoDays?: number[] };

/** What the sandbox knows about a customer and the API never shows. */
export interface CustomerProfile {
	/** The customer's true IANA zone. */
	zone: string;
	/** Name of the payday pattern (a key of `paydayPatterns`). */
	payday: string;
	/** Parity of the biweekly week. */
	biweeklyPhase: number;
}

/** Where a customer lives, as the scenario reads it (a Stripe address). */
export interface ProfileAddress {
	country?: string | null;
	state?: string | null;
}

export type Outcome = { ok: true } | { ok: false; decline: Decline };

export class Scenario {
	private conditions = new Map<string, Condition>();
	private profiles = new Map<string, { key: string; profile: CustomerProfile }>();
	/** The address of a customer (set by the world); the true zone and paydays follow it. */
	addressOf: (customerId: string) => ProfileAddress | null = () => null;
	/** Payment methods whose test behaviour is fixed (materialised from `pm_card_*`). */
	readonly testCards = new Map<string, TestCard>();

	constructor(
		readonly params: ScenarioParams,
		private readonly seed: number,
	) {}

	/** The customer's hidden profile; drawn once per customer and address (a move redraws it). */
	profile(customerId: string): CustomerProfile {
		const a = this.addressOf(customerId);
		const country = (a?.country ?? '').toUpperCase();
		const state = (a?.state ?? '').toUpperCase();
		const key = `${country}|${state}`;
		const cached = this.profiles.get(customerId);
		if (cached && cached.key === key) return cached.profile;
		const r = Rng.fork(this.seed, `profile:${customerId}:${key}`);
		const z = this.params.zones[country];
		let zone: string;
		if (z) {
			zone = (state && z.states?.[state]) || z.main;
			const split = (state ? this.params.splitRegions[`${country}-${state}`] : undefined) ?? this.params.splitRegions[country];
			if (split && r.chance(split.share)) zone = split.zone;
		} else {
			zone = r.weighted(this.params.timeZones);
		}
		if (!IANAZone.isValidZone(zone)) throw new Error(`scenario: '${zone}' is not an IANA time zone`);
		const mix = this.params.paydays[country] ?? this.params.paydays['*'] ?? { lastWorkingDay: 1 };
		const payday = r.weighted(mix);
		if (!this.params.paydayPatterns[payday]) throw new Error(`scenario: payday pattern '${payday}' is not in paydayPatterns`);
		const profile = { zone, payday, biweeklyPhase: r.int(2) };
		this.profiles.set(customerId, { key, profile });
		return profile;
	}

	/**
	 * When the customer's latest funds arrived at or before `at` (unix seconds): `fundsHour` local time on the
	 * latest payday, looking back at most `lookbackDays`; null if none.
	 */
	lastFundsArrival(customerId: string, at: number, lookbackDays = 40): number | null {
		const p = this.profile(customerId);
		const rule = this.params.paydayPatterns[p.payday];
		const local = DateTime.fromSeconds(at, { zone: p.zone });
		for (let back = 0; back <= lookbackDays; back++) {
			const d = local.minus({ days: back });
			if (!isPayday(rule, p.biweeklyPhase, d.year, d.month, d.day)) continue;
			const arrival = DateTime.fromObject({ year: d.year, month: d.month, day: d.day, hour: this.params.fundsHour }, { zone: p.zone }).toSeconds();
			if (arrival <= at) return arrival;
		}
		return null;
	}

	/** Forces a card into a condition (seeding, tests). */
	setCondition(paymentMethodId: string, code: DeclineCode | null, at = 0): void {
		if (code === null) this.conditions.delete(paymentMethodId);
		else this.conditions.set(paymentMethodId, this.conditionFor(code, at, new Rng(this.seed)));
	}

	conditionOf(paymentMethodId: string): string | null {
		const c = this.conditions.get(paymentMethodId);
		return c ? (c.kind === 'insufficient_funds' ? 'insufficient_funds' : c.code) : null;
	}

	private conditionFor(code: DeclineCode, at: number, rng: Rng): Condition {
		switch (code) {
			case 'insufficient_funds':
				return { kind: 'insufficient_funds' };
			case 'expired_card':
			case 'lost_card':
			case 'stolen_card':
			case 'fraudulent':
			case 'incorrect_cvc':
				return { kind: 'hard', code };
			case 'processing_error':
			case 'issuer_not_available':
			case 'try_again_later': {
				const hours = Math.min(this.params.outage.maxHours, rng.exponential(this.params.outage.meanHours));
				return { kind: 'outage', code, until: at + Math.round(hours * 3600) };
			}
			default:
				return { kind: 'soft', code };
		}
	}

	/** True when `at` falls within `paydayWindowDays` after this customer's funds arrived on a payday. */
	afterPayday(customerId: string, at: number): boolean {
		const windowDays = this.params.insufficientFunds.paydayWindowDays;
		const arrival = this.lastFundsArrival(customerId, at, windowDays + 1);
		return arrival !== null && at < arrival + windowDays * 86400;
	}

	decide(paymentMethodId: string, customerId: string | null, at: number, rng: Rng): Outcome {
		const test = this.testCards.get(paymentMethodId);
		if (test) {
			if (test.declines) return { ok: false, decline: decline(test.declines) };
			if (test.blocked) return { ok: false, decline: { ...decline('fraudulent'), reason: 'highest_risk_level' } };
			return { ok: true };
		}
		const c = this.conditions.get(paymentMethodId);
		if (c) {
			switch (c.kind) {
				case 'hard':
					return { ok: false, decline: decline(c.code) };
				case 'outage':
					if (at < c.until) return { ok: false, decline: decline(c.code) };
					this.conditions.delete(paymentMethodId);
					return { ok: true };
				case 'insufficient_funds': {
					const ps = this.params.insufficientFunds;
					const p = customerId && this.afterPayday(customerId, at) ? ps.paydayRecovery : ps.baseRecovery;
					if (rng.chance(p)) {
						this.conditions.delete(paymentMethodId);
						return { ok: true };
					}
					return { ok: false, decline: decline('insufficient_funds') };
				}
				case 'soft':
					if (rng.chance(this.params.softRecovery)) {
						this.conditions.delete(paymentMethodId);
						return { ok: true };
					}
					return { ok: false, decline: decline(c.code) };
			}
		}
		if (!rng.chance(this.params.declineRate)) return { ok: true };
		const code = rng.weighted(this.params.declineCodes as Record<DeclineCode, number>);
		this.conditions.set(paymentMethodId, this.conditionFor(code, at, rng));
		return { ok: false, decline: decline(code) };
	}
}

const DAY_MS = 86400000;

/** Weekday of a calendar date, 0 = Sunday. */
function weekdayOf(y: number, m: number, d: number): number {
	return new Date(Date.UTC(y, m - 1, d)).getUTCDay();
}

function daysInMonth(y: number, m: number): number {
	return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/**
 * The business day on or before the given day of the month (days past the end mean the last day), as a day number
 * (days since 1970-01-01). It may fall in the previous month: a payday on Sunday the 1st is paid on Friday the 30th.
 */
function onOrBeforeBusinessDay(y: number, m: number, day: number): number {
	let t = Date.UTC(y, m - 1, Math.min(day, daysInMonth(y, m)));
	for (;;) {
		const w = new Date(t).getUTCDay();
		if (w !== 0 && w !== 6) return t / DAY_MS;
		t -= DAY_MS;
	}
}

/** True when the date is the (adjusted) payday of `day` in its own month or the next one. */
function isAdjustedMonthDay(y: number, m: number, d: number, day: number): boolean {
	const n = Date.UTC(y, m - 1, d) / DAY_MS;
	const next = m === 12 ? [y + 1, 1] : [y, m + 1];
	return onOrBeforeBusinessDay(y, m, day) === n || onOrBeforeBusinessDay(next[0], next[1], day) === n;
}

function nthBusinessDay(y: number, m: number, n: number): number {
	let count = 0;
	for (let d = 1; d <= daysInMonth(y, m); d++) {
		const w = weekdayOf(y, m, d);
		if (w !== 0 && w !== 6 && ++count === n) return d;
	}
	return daysInMonth(y, m);
}

/** True when the local calendar date (year, month 1-12, day) is a payday under `rule`. */
export function isPayday(rule: PaydayRule, biweeklyPhase: number, y: number, m: number, d: number): boolean {
	switch (rule.kind) {
		case 'weekly':
			return weekdayOf(y, m, d) === rule.weekday;
		case 'biweekly': {
			if (weekdayOf(y, m, d) !== rule.weekday) return false;
			const week = Math.floor(Date.UTC(y, m - 1, d) / DAY_MS / 7);
			return week % 2 === biweeklyPhase;
		}
		case 'monthDays':
			return rule.days.some((day) => isAdjustedMonthDay(y, m, d, day));
		case 'lastWorkingDay':
			return onOrBeforeBusinessDay(y, m, 31) === Date.UTC(y, m - 1, d) / DAY_MS;
		case 'nthBusinessDay':
			return nthBusinessDay(y, m, rule.n) === d || (rule.alsoDays ?? []).some((day) => isAdjustedMonthDay(y, m, d, day));
	}
}

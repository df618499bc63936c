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
 *        `insufficientFunds.paydayRecovery` within `insufficientFunds.paydayWindowDays` after a payday in the
 *        customer's own time zone (paydays: the 1st and 15th, every other Friday, or the last weekday of the month);
 *      - `expired_card`, `lost_card`, `stolen_card` never clear: only a new payment method (customer or invoice
 *        default changes) gets paid;
 *      - issuer outages (`processing_error`, `issuer_not_available`, `try_again_later`) last an exponentially
 *        distributed time with mean `outage.meanHours` (capped at `outage.maxHours`), then clear;
 *      - soft declines (`generic_decline`, `do_not_honor`, `card_velocity_exceeded`) clear per retry with
 *        `softRecovery`.
 * Draws come from a seeded stream, so a seed and the same sequence of calls give the same outcomes.
 */
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
	/** Share of customers by payday pattern. */
	paydays: { semimonthly: number; biweeklyFriday: number; lastWeekday: number };
	/** UTC offsets (hours) customers live in, with weights. */
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
	insufficientFunds: { baseRecovery: 0.18, paydayRecovery: 0.62, paydayWindowDays: 3 },
	softRecovery: 0.45,
	outage: { meanHours: 3, maxHours: 12 },
	paydays: { semimonthly: 0.45, biweeklyFriday: 0.4, lastWeekday: 0.15 },
	timeZones: { '-8': 20, '-7': 6, '-6': 12, '-5': 25, '0': 10, '1': 15, '2': 4, '5.5': 3, '10': 5 },
	retryDays: [1, 3, 5, 7],
	afterRetries: 'cancel',
};

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

export interface CustomerProfile {
	utcOffsetHours: number;
	payday: 'semimonthly' | 'biweeklyFriday' | 'lastWeekday';
	/** Parity of the biweekly Friday. */
	biweeklyPhase: number;
}

export type Outcome = { ok: true } | { ok: false; decline: Decline };

export class Scenario {
	private conditions = new Map<string, Condition>();
	private profiles = new Map<string, CustomerProfile>();
	/** Payment methods whose test behaviour is fixed (materialised from `pm_card_*`). */
	readonly testCards = new Map<string, TestCard>();

	constructor(
		readonly params: ScenarioParams,
		private readonly seed: number,
	) {}

	profile(customerId: string): CustomerProfile {
		let p = this.profiles.get(customerId);
		if (!p) {
			const r = Rng.fork(this.seed, `profile:${customerId}`);
			p = {
				utcOffsetHours: Number(r.weighted(this.params.timeZones)),
				payday: r.weighted(this.params.paydays),
				biweeklyPhase: r.int(2),
			};
			this.profiles.set(customerId, p);
		}
		return p;
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

	/** True when `at` falls within the payday window after one of this customer's paydays (local time). */
	afterPayday(customerId: string, at: number): boolean {
		const p = this.profile(customerId);
		const local = at + p.utcOffsetHours * 3600;
		for (let back = 0; back <= this.params.insufficientFunds.paydayWindowDays; back++) {
			if (isPayday(p, local - back * 86400)) return true;
		}
		return false;
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

function isPayday(p: CustomerProfile, localSeconds: number): boolean {
	const d = new Date(localSeconds * 1000);
	const day = d.getUTCDate();
	const weekday = d.getUTCDay();
	switch (p.payday) {
		case 'semimonthly':
			return day === 1 || day === 15;
		case 'biweeklyFriday': {
			if (weekday !== 5) return false;
			const week = Math.floor(localSeconds / (7 * 86400));
			return week % 2 === p.biweeklyPhase;
		}
		case 'lastWeekday': {
			if (weekday === 0 || weekday === 6) return false;
			const next = new Date(d);
			for (;;) {
				next.setUTCDate(next.getUTCDate() + 1);
				if (next.getUTCMonth() !== d.getUTCMonth()) return true;
				const w = next.getUTCDay();
				if (w !== 0 && w !== 6) return false;
			}
		}
	}
}

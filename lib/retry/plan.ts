/**
 * Plan Retry's decision, the pure core: from a failed invoice payment, the card's attempt history,
 * the customer's zone, the policy and (optionally) a learned model, what to do next and when.
 * No clock (`now` is passed in), no I/O; randomness only from an injected `random()`.
 *
 * The decision, in order:
 * 1. The decline class ({@link classifyDecline}).
 *    - `neverRetry`: the card must not be retried. When a different card can succeed (the
 *      classification's customer action is `newPaymentMethod` or `correctData`: lost, stolen,
 *      picked-up, revoked, incorrect number, fraud) → `requestPaymentMethod`; `authenticate`
 *      (`authentication_required`) → `requestAuthentication`; otherwise (`do_not_try_again`,
 *      Radar block lists) → `stop`. Our choice: asking for a new card costs nothing and is the
 *      only way such an invoice is ever paid; a block list or an explicit "do not try again"
 *      leaves the decision to a person.
 *    - `needsCustomer`: `authenticate` → `requestAuthentication`, every other action
 *      (`newPaymentMethod`, `correctData`, `contactIssuer`) → `requestPaymentMethod` (the hosted
 *      page lets the customer update the card, or retry once the bank is called).
 * 2. The card-network rules ({@link earliestAllowed}): never allowed (Visa category 1, MAC 03/21)
 *    → `requestPaymentMethod` (this card is blocked, another is not).
 * 3. The timing candidates ({@link candidateSlots}: quiet hours, business days, spacing, window,
 *    budget) from the earliest time the network allows, each checked again with
 *    {@link checkNetworkRules}; none → `stop` with the reason.
 * 4. Each candidate is scored with the model ({@link predict}, the mean; or, with `random` given,
 *    one Thompson draw of the parameters shared by all candidates, {@link thompsonScorer}); no
 *    model → the priors ({@link RETRY_PRIORS}). Optionally a per-day discount prefers sooner
 *    times. The best score wins (ties: the earliest); the next ones are the runner-ups. A
 *    returned `retryAt` has always passed {@link checkNetworkRules}.
 *    Insufficient funds with a model that has `payroll` (payroll.ts): each time is scored by the
 *    customer's posterior over payroll rules (the card country's prior and the customer's
 *    insufficient-funds retries in `history`, this invoice's failed tries included), no Thompson
 *    draw (the posterior is the uncertainty, and each failed try sharpens it), and the budget
 *    goes to the set of times most likely together to meet the customer's money.
 */
import { DateTime } from 'luxon';

import type { DeclineClass } from './declineCodes';
import { classifyDecline, toAttempt, type DeclineClassification, type DeclineInput } from './declines';
import { dunningStage, type AccessLevel, type DunningStageInput, type DunningStageName } from './dunning';
import { attemptFeatures, explainPrediction, predict, thompsonScorer, type FeatureBuckets, type RetryModel } from './model';
import { checkNetworkRules, earliestAllowed, sameCard, type Attempt, type CardRef, type NetworkRuleOptions } from './networkRules';
import { choosePayrollSet, payrollChance, payrollPosterior, payrollRates, topPayrollRules, type PayrollObservation, type PayrollPosterior } from './payroll';
import { candidateSlots, chooseWithinBudget, normalizePolicy, type CandidateSlot, type TimingPolicy } from './timing';
import { resolveTimeZone, type ZoneInput } from './zones';
import { groupBy } from '../group';
import { isoSeconds } from '../iso';

/** Plan Retry's actions (stable values). */
export type PlanAction = 'retry' | 'requestPaymentMethod' | 'requestAuthentication' | 'stop';

/** What decided the action. */
export type PlanDecidedBy = 'decline' | 'networkRules' | 'timing' | 'model' | 'priors';

/** The invoice fields the planner reads (Stripe's names). */
export interface PlanInvoice {
	id: string;
	amount_due?: number;
	currency?: string;
	/** Stripe's count of payment attempts on the invoice (the first charge included). */
	attempt_count?: number;
	/** Unix seconds. */
	created?: number;
	[key: string]: unknown;
}

/** The card the retry would charge, beyond what the failure says. */
export interface PlanCard {
	brand?: string;
	funding?: string;
	country?: string;
	fingerprint?: string;
	paymentMethodId?: string;
}

/** The input of {@link planRetry}. */
export interface PlanRetryInput {
	/** The reference time (unix seconds): the real clock or a Stripe test clock's `frozen_time`. */
	now: number;
	invoice: PlanInvoice;
	/** The failure being answered (e.g. `fromInvoice(invoice)` or `fromCharge(charge)`). */
	failure: DeclineInput;
	/**
	 * Every attempt on the card at this merchant, Stripe's own retries included. The failure is
	 * added when it carries `created` and is not already there. Attempts on the card after the
	 * first failure count as retries for spacing and, without `invoicePaymentIntents`, for the
	 * attempt budget too, whichever invoice they were for (cautious: the budget is spent sooner,
	 * never exceeded). Every attempt counts for the network rules.
	 */
	history: readonly Attempt[];
	/**
	 * The invoice's own payment intents (its `payments`): with them, only attempts on these (or
	 * with no payment intent known) are this invoice's retries, for the attempt number and budget,
	 * so another invoice charged to the same card (a weekly plan's next renewal, a second
	 * subscription) does not use up this one's tries. Spacing and the network rules still count
	 * every attempt on the card.
	 */
	invoicePaymentIntents?: readonly string[];
	/** When the invoice's first payment failed; default the earliest declined attempt in `history` since the invoice was created, else `failure.created`, else `now`. */
	firstFailureAt?: number;
	customer: ZoneInput & { preferred_locales?: string[]; id?: string; successRate?: number | null };
	card?: PlanCard;
	policy?: { timing?: Partial<TimingPolicy>; network?: NetworkRuleOptions; dunning?: DunningStageInput['policy'] };
	model?: RetryModel;
	/** A uniform source on [0, 1): when given, candidates are scored by a Thompson draw (exploration). */
	random?: () => number;
	/** Multiply a candidate's score by (1 − d)^days from now; default 0 (the highest predicted success wins, however late). */
	discountPerDay?: number;
	/** How many runner-ups to report (default 3). */
	runnerUps?: number;
	/**
	 * Spend the remaining attempt budget on the best-scored set of times and try its earliest now
	 * ({@link chooseWithinBudget}; default true). `false`: the single best-scored time, however late.
	 */
	spendBudget?: boolean;
}

/** A time in both clocks. */
export interface PlannedTime {
	/** ISO 8601 UTC. */
	utc: string;
	/** ISO 8601 in the customer's zone, with its offset. */
	local: string;
	unix: number;
}

export interface RunnerUp extends PlannedTime {
	predicted: number;
	score: number;
}

/** The plan. */
export interface RetryPlan {
	action: PlanAction;
	retryAt: PlannedTime | null;
	/** The attempt number a retry would be (the failed first charge is 1). */
	attempt: number;
	/** The model's (or priors') mean success probability at `retryAt`; `null` without a retry. */
	predictedSuccess: number | null;
	reason: string;
	runnerUps: RunnerUp[];
	declineClass: DeclineClass;
	decidedBy: PlanDecidedBy;
	zone: string;
	/** How many candidate times were scored. */
	candidates: number;
	dunning: { stage: DunningStageName; accessLevel: AccessLevel; nextStageAt: number | null; suspendAt: number; reason: string };
	classification: DeclineClassification;
	/** When the invoice's first payment failed (unix seconds), as the plan counted it. */
	firstFailureAt: number;
	/** Every step of the decision, in order. */
	explanation: string[];
	/**
	 * Insufficient funds timed by the payroll model: the customer's posterior over payroll rules the
	 * plan scored the times by; Retry Payment hands it to `update` so the payroll model learns the
	 * outcome. Not part of the node's output.
	 */
	payrollPosterior?: PayrollPosterior;
}

const DAY = 86_400;

function planned(unix: number, zone: string): PlannedTime {
	return {
		utc: isoSeconds(unix),
		local: DateTime.fromSeconds(unix, { zone }).toISO({ suppressMilliseconds: true }) ?? '',
		unix,
	};
}

function pct(p: number): string {
	return `${(p * 100).toFixed(1)} %`;
}

/** Decides what to do about a failed invoice payment; see the module comment for the rules. */
export function planRetry(input: PlanRetryInput): RetryPlan {
	const { now, invoice, failure } = input;
	const explanation: string[] = [];
	const classification = classifyDecline(failure);
	const declineClass = classification.class;
	explanation.push(`Decline: ${declineClass} (${classification.rationale})`);

	const zoneInfo = resolveTimeZone(input.customer);
	const zone = zoneInfo.zone;
	explanation.push(`Time zone: ${zoneInfo.reason}.`);

	const cardRef: CardRef = {
		cardFingerprint: failure.fingerprint ?? input.card?.fingerprint ?? undefined,
		paymentMethodId: failure.payment_method ?? input.card?.paymentMethodId ?? undefined,
		brand: (failure.brand ?? input.card?.brand ?? undefined)?.toLowerCase(),
	};
	for (const k of Object.keys(cardRef) as Array<keyof CardRef>) if (cardRef[k] === undefined) delete cardRef[k];

	// The failure itself counts for the network rules (its MAC, its Visa category) when not in history yet.
	const history: Attempt[] = [...input.history];
	const failureAttempt = toAttempt({ ...failure, status: failure.status ?? 'failed' });
	if (failureAttempt && !history.some((h) => h.at === failureAttempt.at && sameCard(h, failureAttempt))) history.push(failureAttempt);

	const since = invoice.created ?? Number.NEGATIVE_INFINITY;
	const declinesSince = history.filter((h) => h.at >= since && h.outcome !== 'succeeded' && sameCard(h, cardRef)).map((h) => h.at);
	const firstFailureAt = input.firstFailureAt ?? (declinesSince.length ? Math.min(...declinesSince) : (failure.created ?? now));
	const own = input.invoicePaymentIntents && input.invoicePaymentIntents.length ? new Set(input.invoicePaymentIntents) : undefined;
	const retriesMade: number[] = [];
	const otherInvoices: number[] = [];
	for (const h of history) {
		if (h.at <= firstFailureAt || !sameCard(h, cardRef)) continue;
		if (!own || !h.paymentIntentId || own.has(h.paymentIntentId)) retriesMade.push(h.at);
		// Another invoice's declined charge keeps this invoice's tries apart from it (the card is in the same
		// state); its successful charge does not: the money is there, and the next hour is a good time (the
		// network rules' per-hour cap still applies).
		else if (h.outcome !== 'succeeded') otherInvoices.push(h.at);
	}
	const failedSoFar = Math.max(invoice.attempt_count ?? 0, 1 + retriesMade.length);
	const attempt = failedSoFar + 1;
	const lastAttemptAt = Math.max(firstFailureAt, ...retriesMade);

	const stage = dunningStage({ firstFailureAt, now, attempts: failedSoFar, lastAttemptAt, policy: input.policy?.dunning });
	const dunning = { stage: stage.stage, accessLevel: stage.accessLevel, nextStageAt: stage.nextStageAt, suspendAt: stage.suspendAt, reason: stage.reason };

	const base = { attempt, declineClass, zone, dunning, classification, firstFailureAt, explanation };
	const noRetry = (action: PlanAction, decidedBy: PlanDecidedBy, reason: string, candidates = 0): RetryPlan => {
		explanation.push(`Action: ${action}: ${reason}`);
		return { ...base, action, retryAt: null, predictedSuccess: null, reason, runnerUps: [], decidedBy, candidates };
	};

	const customerAction = classification.customerAction;
	if (declineClass === 'neverRetry') {
		if (customerAction === 'authenticate')
			return noRetry('requestAuthentication', 'decline', 'A hard decline that only the customer can clear by authenticating (3D Secure); an off-session retry cannot.');
		if (customerAction === 'newPaymentMethod' || customerAction === 'correctData')
			return noRetry('requestPaymentMethod', 'decline', 'A hard decline: this card must not be retried, but a new or corrected card can pay the invoice.');
		return noRetry('stop', 'decline', 'A hard decline (the issuer or a block list says not to try again): no retry, no automatic request; a person decides.');
	}
	if (declineClass === 'needsCustomer') {
		if (customerAction === 'authenticate') return noRetry('requestAuthentication', 'decline', 'The payment needs the customer to authenticate.');
		const what = customerAction === 'contactIssuer' ? 'the customer must contact their bank or use another card' : customerAction === 'correctData' ? 'the card data must be corrected' : 'a new payment method is needed';
		return noRetry('requestPaymentMethod', 'decline', `Retrying the same card will not succeed until the customer acts: ${what}.`);
	}

	const network = input.policy?.network;
	const earliest = earliestAllowed(history, now, { ...network, card: cardRef });
	if (earliest === null) {
		const why = checkNetworkRules({ ...cardRef, at: now }, history, now, network).violations.map((v) => v.message).join(' ');
		return noRetry('requestPaymentMethod', 'networkRules', `The card-network rules allow no further attempt on this card (${why}); another card can still pay.`);
	}
	if (earliest > now) explanation.push(`Network rules: no attempt before ${planned(earliest, zone).utc}.`);

	const slots = candidateSlots(earliest, input.policy?.timing ?? {}, zone, { firstFailureAt, attempts: retriesMade, otherAttempts: otherInvoices });
	const allowed: CandidateSlot[] = [];
	for (const s of slots) if (checkNetworkRules({ ...cardRef, at: s.at }, history, now, network).allowed) allowed.push(s);
	if (allowed.length === 0) {
		const reason = slots.length
			? 'Every time left in the recovery window breaks a card-network rule.'
			: `No time left in the recovery window and attempt budget (first failure ${planned(firstFailureAt, zone).utc}, ${retriesMade.length} retries made).`;
		return noRetry('stop', slots.length ? 'networkRules' : 'timing', reason);
	}

	const declineCode = classification.codes.decline_code;
	const features = (s: CandidateSlot): FeatureBuckets =>
		attemptFeatures({
			at: s.at,
			zone,
			declineClass,
			declineCode,
			brand: cardRef.brand,
			funding: input.card?.funding,
			country: input.card?.country,
			firstFailureAt,
			attemptNumber: attempt - 1,
			customerSuccessRate: input.customer.successRate,
			isPayday: s.isPayday,
			daysSincePayday: s.daysSincePayday,
		});
	const discount = input.discountPerDay ?? 0;
	const timing = normalizePolicy(input.policy?.timing ?? {});
	const left = timing.attemptBudget.attempts - retriesMade.filter((t) => t > now - timing.attemptBudget.windowSeconds).length;
	// Insufficient funds with a payroll model: the customer's posterior over payroll rules (their earlier
	// insufficient-funds retries and this invoice's failed tries) scores each time, and the set of tries the budget
	// allows is the one most likely to meet the customer's money (payroll.ts).
	const payroll = declineClass === 'insufficientFunds' ? input.model?.payroll : undefined;
	let pay: { post: PayrollPosterior; rates: number[][]; top: ReturnType<typeof topPayrollRules> } | undefined;
	if (payroll) {
		const evidence = payrollEvidence(history, firstFailureAt, new Set(retriesMade), own, zone);
		const post = payrollPosterior(payroll, input.card?.country, evidence);
		pay = { post, rates: payrollRates(payroll, allowed.map((s) => s.at), zone), top: topPayrollRules(post) };
		const top = pay.top.map((r) => `${r.rule} ${pct(r.p)}`);
		explanation.push(`Payroll: from ${evidence.length} insufficient-funds retries of this customer and the ${input.card?.country ?? 'account'} prior, most likely ${top.join(', ')}.`);
	}
	const draw = input.random && !pay ? thompsonScorer(input.model, input.random) : undefined;
	const scored = allowed.map((s, i) => {
		const f = features(s);
		const predicted = pay ? payrollChance(pay.post, pay.rates[i]) : predict(input.model, f);
		const raw = draw ? draw(f) : predicted;
		const score = raw * Math.pow(1 - discount, Math.max(0, s.at - now) / DAY);
		return { slot: s, f, predicted, score };
	});
	const ranked = [...scored].sort((a, b) => b.score - a.score || a.slot.at - b.slot.at);
	let best = ranked[0];
	// A failed try at t forfeits every candidate before t: with k tries left, the best set of k times is
	// tried in time order, so the earliest of that set goes first (not the single best time, however late).
	if (input.spendBudget !== false && left > 1) {
		if (pay) {
			const pick = choosePayrollSet(pay.post, scored.map((r) => r.slot.at), pay.rates, left, timing.minSpacingSeconds);
			best = scored[pick.chosen[0]];
			explanation.push(`Budget: ${left} tries left; the ${pick.chosen.length} times most likely together to meet the customer's money (${pct(pick.chance)}) are tried in time order, the earliest first.`);
		} else {
			const pick = chooseWithinBudget(
				ranked.map((r) => ({ at: r.slot.at, score: r.score, r })),
				left,
				timing.minSpacingSeconds,
				{ sameStateSeconds: timing.sameStateSeconds },
			);
			if (pick) {
				best = pick.next.r;
				explanation.push(`Budget: ${left} tries left; the best ${pick.chosen.length} times are tried in time order, the earliest first.`);
			}
		}
	}
	const decidedBy: PlanDecidedBy = input.model ? 'model' : 'priors';
	const parts = pay
		? pay.top.slice(0, 2).map((r) => `payroll ${r.rule} (${pct(r.p)})`)
		: explainPrediction(input.model, best.f)
				.contributions.slice(0, 3)
				.map((c) => `${c.feature}=${c.bucket} (${c.logOdds >= 0 ? '+' : ''}${c.logOdds.toFixed(2)})`);
	const how = pay ? "the customer's payroll posterior" : input.random ? 'a Thompson draw from the model (exploration)' : 'the predicted success';
	const source = input.model ? `the model (${input.model.samples} attempts learned)` : 'the priors (no model yet)';
	const at = planned(best.slot.at, zone);
	const reason = `Retry at ${at.local} (${at.utc}): the best of ${scored.length} allowed times by ${how}, predicted success ${pct(best.predicted)} from ${source}; main factors ${parts.join(', ') || 'none beyond the base rate'}.`;
	explanation.push(`Candidates: ${slots.length} in the window, ${allowed.length} allowed by the network rules.`);
	explanation.push(`Action: retry: ${reason}`);
	const runnerUps: RunnerUp[] = ranked.filter((r) => r !== best).slice(0, input.runnerUps ?? 3).map((r) => ({ ...planned(r.slot.at, zone), predicted: r.predicted, score: r.score }));
	return { ...base, action: 'retry', retryAt: at, predictedSuccess: best.predicted, reason, runnerUps, decidedBy, candidates: scored.length, ...(pay ? { payrollPosterior: pay.post } : {}) };
}

const insufficientFundsCodes = new Map<string, boolean>();
function isInsufficientFunds(code: string | undefined): boolean {
	if (!code) return false;
	let v = insufficientFundsCodes.get(code);
	if (v === undefined) {
		v = classifyDecline({ decline_code: code }).class === 'insufficientFunds';
		insufficientFundsCodes.set(code, v);
	}
	return v;
}

/**
 * What the history says about when the customer is paid: every retry of another payment whose
 * first attempt was declined for insufficient funds (grouped by payment intent), and this
 * invoice's retries (`own`: their times), each with its outcome. Another payment's retries count
 * whenever they were made: an earlier invoice's, and also those of an invoice that failed while
 * this one was open (weekly subscriptions, two subscriptions on one card), whose success says the
 * money has come. Without this invoice's payment intents (`ownIntents`) a later attempt cannot be
 * told apart from this invoice's own, so only earlier payments count.
 */
function payrollEvidence(history: readonly Attempt[], firstFailureAt: number, own: ReadonlySet<number>, ownIntents: ReadonlySet<string> | undefined, zone: string): PayrollObservation[] {
	const isOwn = (h: Attempt) => h.at > firstFailureAt && own.has(h.at);
	const out: PayrollObservation[] = history.filter(isOwn).map((h) => ({ at: h.at, succeeded: h.outcome === 'succeeded', zone }));
	const others = history.filter((h) => !isOwn(h) && !ownIntents?.has(h.paymentIntentId ?? '') && (ownIntents || h.at < firstFailureAt));
	for (const list of groupBy(others, (h) => h.paymentIntentId).values()) {
		list.sort((a, b) => a.at - b.at);
		if (list[0].outcome === 'succeeded' || !isInsufficientFunds(list[0].declineCode)) continue;
		for (let i = 1; i < list.length; i++) out.push({ at: list[i].at, succeeded: list[i].outcome === 'succeeded', zone });
	}
	return out;
}

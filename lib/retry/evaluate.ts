/**
 * Evaluating a retry policy on the account's history, honestly. On a real account no one knows
 * what a time that was never tried would have given, so an evaluation on history is a
 * *model-based estimate*, and every result says so. Pure: `now` and the data are passed in.
 *
 * How (issue 8: "train on an earlier period, estimate on a later one; never the same data"):
 * 1. Split at `splitAt`: the model is trained only on attempts with `at < splitAt` (minus an
 *    optional `gapSeconds`, so attempts just before the split do not leak the same invoices).
 * 2. Held-out check of the model itself, on attempts with `at ≥ splitAt`: mean predicted vs.
 *    observed success, Brier score and log loss. These are real measurements (the outcomes
 *    happened), and the only ones here.
 * 3. Policy vs. actual, per invoice of the test period (grouped by `invoiceId`): the estimated
 *    chance the retries actually made would recover it, 1 − Π(1 − p_i) under the trained model,
 *    and the same for the times the policy picks, with the same number k of retries on both
 *    sides (the first k made; k at most the policy's budget; greedy: each retry at the candidate time with the highest predicted
 *    success that keeps the minimum spacing from the ones before it; timing rules only: the
 *    network rules need the card's full history, which the attempts do not carry). Both sides are estimated with the same model, so the comparison is
 *    between schedules, not between a model and reality. The product assumes the retries'
 *    outcomes independent given the features; real failures are correlated (a card that failed
 *    keeps failing), so both estimates are optimistic.
 *    With a payroll model (`train: { payroll: true }`), an invoice first declined for insufficient
 *    funds is estimated as Plan Retry decides it: the customer's posterior over payroll rules from
 *    their earlier insufficient-funds retries (before this invoice's first failure), the actual
 *    retries' chance Σ_h P(h)·(1 − Π(1 − r_h(t))) and the policy's the same for the set
 *    `choosePayrollSet` picks with the same k. The retries are then correlated through the rule
 *    (tries on the wrong days fail together), not independent.
 */
import { groupBy } from '../group';
import { attemptFeatures, predict, train, type AttemptFeaturesInput, type RetryModel, type TrainingAttempt, type TrainOptions } from './model';
import { choosePayrollSet, payrollPosterior, payrollRates, payrollSetChance, type PayrollObservation } from './payroll';
import { candidateSlots, normalizePolicy, type CandidateSlot, type TimingPolicy } from './timing';

/** Options of {@link evaluatePolicy}. */
export interface EvaluatePolicyInput {
	/** Past attempts, with outcomes. Attempts with an `invoiceId` form the invoices compared in step 3. */
	attempts: readonly TrainingAttempt[];
	/** Unix seconds: training uses attempts before it, estimation those at or after it. */
	splitAt: number;
	/** Training ends this long before `splitAt` (default 0). */
	gapSeconds?: number;
	/** The time of the evaluation (recorded as the model's `trainedAt`). */
	now: number;
	/** The timing policy the planned schedule follows. */
	timing?: Partial<TimingPolicy>;
	train?: Omit<TrainOptions, 'now'>;
}

/** The held-out measurements of the model. */
export interface HeldOutMetrics {
	attempts: number;
	observedSuccessRate: number | null;
	meanPredicted: number | null;
	brier: number | null;
	logLoss: number | null;
}

/** The estimated comparison of schedules. */
export interface PolicyComparison {
	invoices: number;
	/** Invoices in the test period that some actual retry (any of them) recovered (observed). */
	observedRecovered: number;
	/** Σ over invoices of 1 − Π(1 − p) for the first k actual retries, k = min(retries made, the policy's budget) (estimate). */
	estimatedRecoveredActual: number;
	/** The same for the policy's k retries (estimate). */
	estimatedRecoveredPolicy: number;
	/** The same weighted by `amount` (minor units; invoices without an amount count 0). */
	estimatedRevenueActual: number;
	estimatedRevenuePolicy: number;
	/** (policy − actual) / actual of the estimated recovered invoices; `null` when actual is 0. */
	estimatedUplift: number | null;
}

export interface PolicyEvaluation {
	/** Always true: this is a model-based estimate. */
	estimate: true;
	/** A sentence saying what the numbers are and are not. */
	disclaimer: string;
	trainPeriod: { until: number; attempts: number };
	testPeriod: { from: number; attempts: number };
	heldOut: HeldOutMetrics;
	comparison: PolicyComparison;
	/** The model trained on the earlier period (never on the test period). */
	model: RetryModel;
}

export const EVALUATION_DISCLAIMER =
	'Model-based estimate: the model was trained only on attempts before the split and applied to the later ones. ' +
	'The held-out metrics compare its predictions with outcomes that happened; the policy-vs-actual figures are estimates from the same model ' +
	'(no one knows what an untried time would have given) and assume independent retries (with a payroll model, insufficient-funds retries are correlated through the customer\'s payday instead), so both sides are optimistic. ' +
	'The true comparison is a live one, such as the sandbox benchmark.';

function clamp(p: number): number {
	return Math.min(1 - 1e-6, Math.max(1e-6, p));
}

/** Trains on the earlier period, estimates on the later one; see the module comment. */
export function evaluatePolicy(input: EvaluatePolicyInput): PolicyEvaluation {
	const trainUntil = input.splitAt - (input.gapSeconds ?? 0);
	const trainSet = input.attempts.filter((a) => a.at < trainUntil);
	const testSet = input.attempts.filter((a) => a.at >= input.splitAt).sort((a, b) => a.at - b.at);
	const model = train(trainSet, { ...input.train, now: input.now });
	const paydayPolicy = input.train?.paydayPolicy;
	const cache = new Map<string, boolean>();
	const p = (a: AttemptFeaturesInput) => predict(model, attemptFeatures(a, { paydayPolicy }, cache));

	let brier = 0;
	let logLoss = 0;
	let predictedSum = 0;
	let successes = 0;
	for (const a of testSet) {
		const q = p(a);
		predictedSum += q;
		const y = a.succeeded ? 1 : 0;
		successes += y;
		brier += (q - y) ** 2;
		logLoss += -(y * Math.log(clamp(q)) + (1 - y) * Math.log(1 - clamp(q)));
	}
	const n = testSet.length;
	const heldOut: HeldOutMetrics = {
		attempts: n,
		observedSuccessRate: n ? successes / n : null,
		meanPredicted: n ? predictedSum / n : null,
		brier: n ? brier / n : null,
		logLoss: n ? logLoss / n : null,
	};

	const timing = normalizePolicy(input.timing ?? {});
	const slotCache = new Map<string, CandidateSlot[]>();
	const byInvoice = groupBy(testSet, (a) => a.invoiceId);
	// The payroll evidence: each customer's insufficient-funds retries (read for their later invoices).
	const payroll = model.payroll;
	const ifRetries = groupBy(
		payroll ? input.attempts.filter((a) => a.declineClass === 'insufficientFunds' && a.firstFailureAt !== undefined && a.at > a.firstFailureAt) : [],
		(a) => a.customerId,
	);
	const comparison: PolicyComparison = {
		invoices: 0,
		observedRecovered: 0,
		estimatedRecoveredActual: 0,
		estimatedRecoveredPolicy: 0,
		estimatedRevenueActual: 0,
		estimatedRevenuePolicy: 0,
		estimatedUplift: null,
	};
	for (const list of byInvoice.values()) {
		const retries = list.filter((a) => a.firstFailureAt !== undefined && a.at > (a.firstFailureAt as number));
		if (retries.length === 0) continue;
		const first = retries[0];
		const firstFailureAt = first.firstFailureAt as number;
		comparison.invoices += 1;
		if (retries.some((a) => a.succeeded)) comparison.observedRecovered += 1;
		// The same number of retries on both sides: the first k actually made, k at most the budget.
		const k = Math.min(retries.length, timing.attemptBudget.attempts);
		const amount = first.amount ?? 0;
		const add = (actual: number, policy: number) => {
			comparison.estimatedRecoveredActual += actual;
			comparison.estimatedRecoveredPolicy += policy;
			comparison.estimatedRevenueActual += actual * amount;
			comparison.estimatedRevenuePolicy += policy * amount;
		};

		// The policy's candidate times once (cached per first failure and zone).
		const key = `${firstFailureAt}|${first.zone}`;
		let slots = slotCache.get(key);
		if (!slots) {
			slots = candidateSlots(firstFailureAt, input.timing ?? {}, first.zone, { firstFailureAt, attempts: [] });
			slotCache.set(key, slots);
		}

		if (payroll && first.declineClass === 'insufficientFunds' && first.customerId) {
			const evidence: PayrollObservation[] = (ifRetries.get(first.customerId) ?? [])
				.filter((a) => a.at < firstFailureAt && a.invoiceId !== first.invoiceId)
				.map((a) => ({ at: a.at, succeeded: a.succeeded, zone: a.zone }));
			const post = payrollPosterior(payroll, first.country, evidence);
			const made = payrollRates(payroll, retries.slice(0, k).map((a) => a.at), first.zone);
			const slotTimes = slots.map((s) => s.at);
			const chosen = choosePayrollSet(post, slotTimes, payrollRates(payroll, slotTimes, first.zone), k, timing.minSpacingSeconds);
			add(payrollSetChance(post, made), chosen.chance);
			continue;
		}
		const actual = 1 - retries.slice(0, k).reduce((acc, a, i) => acc * (1 - p({ ...a, attemptNumber: a.attemptNumber ?? i + 1 })), 1);

		// The policy's schedule: greedily the best remaining time that keeps the spacing, one retry after another.
		const slotFeatures = slots.map((s) => attemptFeatures({ ...first, at: s.at, isPayday: s.isPayday, daysSincePayday: s.daysSincePayday }, { paydayPolicy }));
		const chosen: number[] = [];
		let fail = 1;
		for (let i = 0; i < k; i++) {
			let bestP = -1;
			let bestAt: number | undefined;
			const attemptNumber = attemptFeatures({ at: first.at, zone: first.zone, attemptNumber: i + 1, isPayday: false, daysSincePayday: null }).attemptNumber;
			for (let j = 0; j < slots.length; j++) {
				const s = slots[j];
				if (chosen.some((c) => Math.abs(c - s.at) < timing.minSpacingSeconds)) continue;
				const q = predict(model, { ...slotFeatures[j], attemptNumber });
				if (q > bestP) {
					bestP = q;
					bestAt = s.at;
				}
			}
			if (bestAt === undefined) break;
			chosen.push(bestAt);
			fail *= 1 - bestP;
		}
		add(actual, 1 - fail);
	}
	comparison.estimatedUplift =
		comparison.estimatedRecoveredActual > 0 ? (comparison.estimatedRecoveredPolicy - comparison.estimatedRecoveredActual) / comparison.estimatedRecoveredActual : null;

	return {
		estimate: true,
		disclaimer: EVALUATION_DISCLAIMER,
		trainPeriod: { until: trainUntil, attempts: trainSet.length },
		testPeriod: { from: input.splitAt, attempts: n },
		heldOut,
		comparison,
		model,
	};
}

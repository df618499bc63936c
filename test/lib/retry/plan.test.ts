import fc from 'fast-check';
import { DateTime } from 'luxon';

import {
	STRIPE_BLOCK_REASONS,
	STRIPE_DECLINE_CODES,
	UNVERIFIED_DECLINE_CODES,
	checkNetworkRules,
	mulberry32,
	planRetry,
	train,
	update,
	type Attempt,
	type DeclineInput,
	type PlanRetryInput,
} from '../../../lib/retry';
import { plantedHistory } from './syntheticHistory';

const ZONE = 'Europe/Berlin';
const at = (iso: string, zone = ZONE) => Math.floor(DateTime.fromISO(iso, { zone }).toSeconds());
const model = train(plantedHistory(), { now: at('2026-07-01T00:00') });
// The same history as 40 customers' retries, with the payroll model (insufficient funds timed by its posterior).
const payrollModel = train(plantedHistory({ days: 120, perSlot: 1 }).map((a, i) => ({ ...a, customerId: `cus_${i % 40}` })), { now: at('2026-07-01T00:00'), payroll: true });

function input(over: Partial<PlanRetryInput> & { failure?: DeclineInput } = {}): PlanRetryInput {
	const created = over.failure?.created ?? at('2026-07-10T09:00');
	return {
		now: created + 60,
		invoice: { id: 'in_1', amount_due: 2000, currency: 'eur', attempt_count: 1, created: created - 3600 },
		history: [],
		customer: { explicit: ZONE },
		...over,
		failure: { decline_code: 'insufficient_funds', brand: 'visa', fingerprint: 'fp_1', payment_method: 'pm_1', created, ...over.failure },
	};
}

describe('actions by decline class', () => {
	const hard = [...STRIPE_DECLINE_CODES, ...UNVERIFIED_DECLINE_CODES, ...STRIPE_BLOCK_REASONS].filter((e) => e.class === 'neverRetry').map((e) => e.code);
	test('the table is not empty', () => expect(hard.length).toBeGreaterThan(8));
	test.each(hard)('hard decline %s never gets retry', (code) => {
		const plan = planRetry(input({ failure: { decline_code: code } }));
		expect(plan.action).not.toBe('retry');
		expect(plan.retryAt).toBeNull();
		expect(plan.declineClass).toBe('neverRetry');
	});
	test.each<[string, DeclineInput, string]>([
		['lost card → new card', { decline_code: 'lost_card' }, 'requestPaymentMethod'],
		['stolen card → new card', { decline_code: 'stolen_card' }, 'requestPaymentMethod'],
		['authentication_required → authenticate', { decline_code: 'authentication_required' }, 'requestAuthentication'],
		['expired card → new card', { decline_code: 'expired_card' }, 'requestPaymentMethod'],
		['incorrect_cvc → new/corrected card', { decline_code: 'incorrect_cvc' }, 'requestPaymentMethod'],
		['merchant_blacklist → stop', { decline_code: 'merchant_blacklist' }, 'stop'],
		['advice do_not_try_again → never retry', { decline_code: 'generic_decline', advice_code: 'do_not_try_again' }, 'stop'],
		['MAC 03 on Mastercard → not retry', { decline_code: 'generic_decline', brand: 'mastercard', network_advice_code: '03' }, 'stop'],
		['Visa category 1 → not retry', { decline_code: 'generic_decline', brand: 'visa', network_decline_code: '14' }, 'stop'],
		['insufficient funds → retry', { decline_code: 'insufficient_funds' }, 'retry'],
		['generic decline → retry', { decline_code: 'generic_decline' }, 'retry'],
	])('%s', (_n, failure, action) => {
		const plan = planRetry(input({ failure }));
		if (action === 'stop') expect(plan.action).not.toBe('retry');
		else expect(plan.action).toBe(action);
	});
});

describe('retry plans', () => {
	test('with the planted model and spendBudget off: 10:00 local on the payday in the window (the best-scored time)', () => {
		const plan = planRetry(input({ model, spendBudget: false }));
		expect(plan.action).toBe('retry');
		expect(plan.decidedBy).toBe('model');
		expect(plan.retryAt?.local).toBe('2026-07-15T10:00:00+02:00');
		expect(plan.retryAt?.utc).toBe('2026-07-15T08:00:00Z');
		expect(plan.attempt).toBe(2);
		expect(plan.predictedSuccess).toBeGreaterThan(0.15);
		expect(plan.runnerUps).toHaveLength(3);
		for (const r of plan.runnerUps) expect(r.predicted).toBeLessThanOrEqual(plan.predictedSuccess as number);
		expect(plan.reason).toMatch(/predicted success/);
		expect(plan.explanation.length).toBeGreaterThanOrEqual(4);
		expect(plan.dunning).toMatchObject({ stage: 'firstNotice', accessLevel: 'grace' });
	});
	test('spending the budget (the default): the earliest of the best set of times goes first, at the learned local hour, also across DST', () => {
		const plan = planRetry(input({ model }));
		const best = planRetry(input({ model, spendBudget: false }));
		expect(plan.retryAt!.unix).toBeLessThanOrEqual(best.retryAt!.unix);
		expect(plan.retryAt?.local).toBe('2026-07-13T10:00:00+02:00');
		expect(plan.explanation.some((e) => e.startsWith('Budget: '))).toBe(true);
		// The runner-ups include the best-scored time, which stays in the set for a later try.
		expect(plan.runnerUps.map((r) => r.unix)).toContain(best.retryAt!.unix);
		const spring = planRetry(input({ model, failure: { created: at('2026-03-25T09:00') } }));
		expect(spring.retryAt?.local).toBe('2026-03-26T10:00:00+01:00');
		expect(spring.retryAt?.utc).toBe('2026-03-26T09:00:00Z');
	});
	test('without a model: the priors, explained as such', () => {
		const plan = planRetry(input());
		expect(plan.action).toBe('retry');
		expect(plan.decidedBy).toBe('priors');
		expect(plan.reason).toMatch(/priors/);
		const local = DateTime.fromISO(plan.retryAt?.local ?? '', { setZone: true });
		expect(local.hour).toBeGreaterThanOrEqual(8);
		expect(local.hour).toBeLessThan(21);
	});
	test('across the DST change (29 Mar 2026 in Berlin) the learned 10:00 local is kept', () => {
		const plan = planRetry(input({ model, spendBudget: false, failure: { created: at('2026-03-25T09:00') } }));
		expect(plan.retryAt?.local).toBe('2026-03-31T10:00:00+02:00');
		expect(plan.retryAt?.utc).toBe('2026-03-31T08:00:00Z');
	});
	test('across the autumn change (25 Oct 2026) as well: 10:00 local is 09:00 UTC again', () => {
		const plan = planRetry(input({ model, spendBudget: false, failure: { created: at('2026-10-22T09:00') } }));
		expect(plan.retryAt?.local).toBe('2026-10-30T10:00:00+01:00');
		expect(plan.retryAt?.utc).toBe('2026-10-30T09:00:00Z');
	});
	test('online updates move the plan: outcomes recorded after each retry', () => {
		const first = planRetry(input());
		let m = train([], { now: 0 });
		const failedAt = first.retryAt!.unix;
		for (let i = 0; i < 60; i++) m = update(m, { at: failedAt, zone: ZONE, declineClass: 'insufficientFunds', declineCode: 'insufficient_funds', brand: 'visa' }, false);
		const next = planRetry(input({ model: m }));
		expect(next.action).toBe('retry');
		expect(next.retryAt!.local.slice(11, 13)).not.toBe(first.retryAt!.local.slice(11, 13));
	});
	test('before the DST change the same local hour is 09:00 UTC', () => {
		const plan = planRetry(input({ model, spendBudget: false, failure: { created: at('2026-03-10T09:00') } }));
		expect(plan.retryAt?.local).toBe('2026-03-13T10:00:00+01:00');
		expect(plan.retryAt?.utc).toBe('2026-03-13T09:00:00Z');
	});
	test('Mastercard MAC 27 (retry after 4 days) is a minimum wait', () => {
		const created = at('2026-07-10T09:00');
		const plan = planRetry(input({ failure: { brand: 'mastercard', decline_code: 'generic_decline', network_advice_code: '27', created } }));
		expect(plan.action).toBe('retry');
		expect(plan.retryAt!.unix).toBeGreaterThanOrEqual(created + 4 * 86400);
	});
	test('budget used up → stop, finalNotice', () => {
		const created = at('2026-07-10T09:00');
		const history: Attempt[] = Array.from({ length: 8 }, (_, i) => ({ at: created + (i + 1) * 86400, cardFingerprint: 'fp_1', brand: 'visa', outcome: 'declined' }));
		const plan = planRetry(input({ history, now: created + 9 * 86400, invoice: { id: 'in_1', attempt_count: 9, created: created - 60 } }));
		expect(plan.action).toBe('stop');
		expect(plan.decidedBy).toBe('timing');
		expect(plan.dunning.stage).toBe('finalNotice');
	});
	test("another invoice's charges on the same card use none of this invoice's budget when its payment intents are known", () => {
		// A weekly plan: next week's renewals on the same card failed too (another payment intent). Without the
		// invoice's payment intents they count as its retries (cautious); with them, only its own 2 retries count.
		const created = at('2026-07-10T09:00');
		const mine: Attempt[] = [1, 2].map((d) => ({ at: created + d * 86400, cardFingerprint: 'fp_1', brand: 'visa', outcome: 'declined', paymentIntentId: 'pi_mine' }));
		const others: Attempt[] = Array.from({ length: 6 }, (_, i) => ({ at: created + (3 + i * 0.5) * 86400, cardFingerprint: 'fp_1', brand: 'visa', outcome: 'declined', paymentIntentId: 'pi_next_week' }));
		const base = input({ history: [...mine, ...others], now: created + 6.5 * 86400, invoice: { id: 'in_1', attempt_count: 3, created: created - 60 } });
		const cautious = planRetry(base);
		expect(cautious.action).toBe('stop');
		expect(cautious.reason).toMatch(/8 retries made/);
		const own = planRetry({ ...base, invoicePaymentIntents: ['pi_mine'] });
		expect(own.action).toBe('retry');
		expect(own.attempt).toBe(4); // the first charge and 2 retries failed: this is the invoice's 4th attempt
		// Spacing still keeps off the other invoice's latest attempt (12 h).
		expect(own.retryAt!.unix - others[others.length - 1].at).toBeGreaterThanOrEqual(12 * 3600);
		// Unless that attempt succeeded: the money is there, only the network rules' hour stands between.
		const paidOther = [...others.slice(0, -1), { ...others[others.length - 1], outcome: 'succeeded' as const }];
		const soon = { ...base, now: others[others.length - 1].at + 600, invoicePaymentIntents: ['pi_mine'], spendBudget: false };
		const afterSuccess = planRetry({ ...soon, history: [...mine, ...paidOther] });
		const slotsAfter = (p: typeof own) => Number(/Candidates: (\d+) in the window/.exec(p.explanation.join('\n'))?.[1]);
		const afterDecline = planRetry(soon);
		expect(slotsAfter(afterSuccess)).toBeGreaterThan(slotsAfter(afterDecline));
		expect(afterSuccess.retryAt!.unix - paidOther[paidOther.length - 1].at).toBeGreaterThanOrEqual(3600);
	});
	test('past the recovery window → stop', () => {
		const plan = planRetry({ ...input(), now: at('2026-07-30T09:00') });
		expect(plan.action).toBe('stop');
		expect(plan.reason).toMatch(/recovery window/);
	});
});

describe('Thompson sampling in the plan', () => {
	test('same seed, same plan; many seeds explore more than one time', () => {
		const a = planRetry(input({ model, random: mulberry32(11) }));
		const b = planRetry(input({ model, random: mulberry32(11) }));
		expect(a.retryAt).toEqual(b.retryAt);
		const chosen = new Set<number>();
		for (let seed = 0; seed < 40; seed++) chosen.add(planRetry(input({ random: mulberry32(seed) })).retryAt!.unix);
		expect(chosen.size).toBeGreaterThan(1);
	});
	test('a well-learned best slot still wins most draws', () => {
		let hits = 0;
		for (let seed = 0; seed < 30; seed++) if (planRetry(input({ model, spendBudget: false, random: mulberry32(seed) })).retryAt?.local.startsWith('2026-07-15T10:00')) hits++;
		expect(hits).toBeGreaterThan(5);
	});
});

describe('property: a plan never breaks the card-network rules', () => {
	const T0 = at('2026-01-05T00:00', 'UTC');
	const arbAttempt = fc.record({
		offset: fc.integer({ min: 0, max: 40 * 86400 }),
		brand: fc.constantFrom('visa', 'mastercard', undefined),
		outcome: fc.constantFrom<Attempt['outcome']>('declined', 'succeeded', 'pending', undefined),
		mac: fc.constantFrom(undefined, undefined, '24', '25', '26', '30', '02', '03', '21'),
		ndc: fc.constantFrom(undefined, undefined, '51', '05', '14', '54'),
		card: fc.constantFrom('fp_1', 'fp_1', 'fp_2'),
	});
	test('for random histories, clocks, zones and declines', () => {
		fc.assert(
			fc.property(
				fc.array(arbAttempt, { maxLength: 40 }),
				fc.integer({ min: 0, max: 300 * 86400 }),
				fc.constantFrom('Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Sydney', 'UTC'),
				fc.constantFrom('insufficient_funds', 'generic_decline', 'do_not_honor', 'processing_error', 'lost_card', undefined),
				fc.constantFrom('visa', 'mastercard', undefined),
				fc.constantFrom(undefined, '24', '26', '03'),
				fc.option(fc.integer({ min: 0, max: 2 ** 31 }), { nil: undefined }),
				fc.boolean(),
				(raw, nowOffset, zone, code, brand, mac, seed, withPayroll) => {
					const now = T0 + nowOffset;
					const history: Attempt[] = raw.map((r) => ({
						at: now - r.offset,
						cardFingerprint: r.card,
						...(r.brand ? { brand: r.brand } : {}),
						...(r.outcome ? { outcome: r.outcome } : {}),
						...(r.mac ? { networkAdviceCode: r.mac } : {}),
						...(r.ndc ? { networkDeclineCode: r.ndc } : {}),
						...(r.outcome !== 'succeeded' ? { declineCode: 'insufficient_funds', paymentIntentId: `pi_${r.offset % 5}` } : {}),
					}));
					const failure: DeclineInput = { decline_code: code, brand, network_advice_code: mac, fingerprint: 'fp_1', created: now - 120 };
					const plan = planRetry({
						now,
						invoice: { id: 'in_p', created: now - 3 * 86400 },
						failure,
						history,
						customer: { explicit: zone },
						model: seed === undefined ? undefined : withPayroll ? payrollModel : model,
						random: seed === undefined ? undefined : mulberry32(seed),
					});
					if (plan.action !== 'retry') return;
					expect(plan.retryAt).not.toBeNull();
					const t = plan.retryAt!.unix;
					expect(t).toBeGreaterThanOrEqual(now);
					const all: Attempt[] = [...history, { at: now - 120, cardFingerprint: 'fp_1', outcome: 'declined', ...(brand ? { brand } : {}), ...(mac ? { networkAdviceCode: mac } : {}) }];
					const check = checkNetworkRules({ at: t, cardFingerprint: 'fp_1', ...(brand ? { brand } : {}) }, all, now);
					expect(check.violations).toEqual([]);
				},
			),
			{ numRuns: 150, seed: 20261201 },
		);
	});
});

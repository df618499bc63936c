import { DateTime } from 'luxon';

import {
	PAYROLL_RULES,
	choosePayrollSet,
	daysSincePaydays,
	epochDay,
	mulberry32,
	payrollChance,
	payrollPosterior,
	payrollRates,
	payrollSetChance,
	planRetry,
	train,
	trainPayroll,
	update,
	updatePayroll,
	type Attempt,
	type PayrollTrainingObservation,
} from '../../../lib/retry';
import { plantedPayrollHistory } from './syntheticHistory';

const at = (iso: string, zone: string) => Math.floor(DateTime.fromISO(iso, { zone }).toSeconds());
const rule = (id: string) => {
	const r = PAYROLL_RULES.find((x) => x.id === id);
	if (!r) throw new Error(id);
	return r;
};
const e = (iso: string) => {
	const [y, m, d] = iso.split('-').map(Number);
	return epochDay(y, m, d);
};
const since = (id: string, iso: string) => daysSincePaydays(rule(id), e(iso), e(iso))[0];

describe('payroll rules on the calendar', () => {
	test('weekly Friday: 0 on Fridays, counting up to 6 on Thursdays', () => {
		expect(since('weekly-5', '2026-06-05')).toBe(0); // a Friday
		expect(since('weekly-5', '2026-06-06')).toBe(1);
		expect(since('weekly-5', '2026-06-11')).toBe(6);
	});
	test('every other Friday: the two phases alternate, a week apart', () => {
		const a = since('biweekly-5-0', '2026-06-05');
		const b = since('biweekly-5-1', '2026-06-05');
		expect([a, b].sort()).toEqual([0, 7]);
		expect(since('biweekly-5-0', '2026-06-12')).toBe(a === 0 ? 7 : 0);
	});
	test('the last day on a Sunday is paid the Friday before', () => {
		// 2026-05-31 is a Sunday: paid Friday 29 May.
		expect(since('monthly-last', '2026-05-29')).toBe(0);
		expect(since('monthly-last', '2026-05-31')).toBe(2);
		expect(since('monthly-last', '2026-06-30')).toBe(0); // a Tuesday
	});
	test('the 1st on a Saturday is paid on the last Friday of the month before', () => {
		// 2026-08-01 is a Saturday.
		expect(since('monthly-1', '2026-07-31')).toBe(0);
		expect(since('monthly-1', '2026-08-03')).toBe(3);
	});
	test('the fifth business day, and none', () => {
		// June 2026 begins on a Monday: the fifth business day is Friday the 5th.
		expect(since('businessDay-5', '2026-06-05')).toBe(0);
		expect(since('businessDay-5', '2026-06-04')).toBe(7); // a week or more since May's
		expect(since('none', '2026-06-05')).toBe(7);
	});
});

/** The planted payroll world of `syntheticHistory.ts`, as the payroll model reads it. */
function plantedPayroll(seed = 7): PayrollTrainingObservation[] {
	return plantedPayrollHistory(seed).map((a) => ({ at: a.at, zone: a.zone, succeeded: a.succeeded, customerId: a.customerId as string, country: a.country }));
}

describe('trainPayroll (EM over customers)', () => {
	const model = trainPayroll(plantedPayroll());
	const top = (p: number[]) => PAYROLL_RULES[p.indexOf(Math.max(...p))].id;
	test('learns each country\'s rule', () => {
		expect(top(model.byCountry.DE)).toBe('monthly-last');
		expect(model.byCountry.DE[PAYROLL_RULES.findIndex((r) => r.id === 'monthly-last')]).toBeGreaterThan(0.5);
		const us = model.byCountry.US;
		const fri = us[PAYROLL_RULES.findIndex((r) => r.id === 'biweekly-5-0')] + us[PAYROLL_RULES.findIndex((r) => r.id === 'biweekly-5-1')];
		expect(fri).toBeGreaterThan(0.5);
	});
	test('learns the hour funds clear and how long they help', () => {
		const cell = (d: number, hour: number) => model.cells[d === 0 ? hour : 24 + (d - 1) * 8 + Math.floor(hour / 3)];
		const LATE = 72;
		expect(cell(0, 17)).toBeGreaterThan(0.45); // payday, after 16:00
		expect(cell(0, 10)).toBeLessThan(0.3); // payday, before the money
		expect(cell(1, 10)).toBeGreaterThan(0.45);
		expect(model.cells[LATE]).toBeLessThan(0.15); // a week or more after
		// One shape: the base rate before the money, then never rising until a week after.
		const onset = model.cells.findIndex((r) => r > model.cells[LATE]);
		for (let c = 0; c < onset; c++) expect(model.cells[c]).toBe(model.cells[LATE]);
		for (let c = onset + 1; c <= LATE; c++) expect(model.cells[c]).toBeLessThanOrEqual(model.cells[c - 1]);
		expect(onset).toBe(16); // the payday's 16:00: the money clears then
		expect(model.onsetHour).toBe(16); // chosen by profile likelihood
		expect(cell(0, 15)).toBe(model.cells[LATE]);
	});
	test('rates a try at the learned onset below one an hour inside the window (the clock is known to about an hour)', () => {
		const zone = 'Europe/Berlin';
		const h = PAYROLL_RULES.findIndex((r) => r.id === 'monthly-last');
		// 2026-06-30 is a Tuesday, the last working day: the money clears at 16:00.
		const times = ['15', '16', '17', '18'].map((hh) => at(`2026-06-30T${hh}:00`, zone));
		const exact = payrollRates(model, times, zone, 0).map((r) => r[h]);
		const robust = payrollRates(model, times, zone).map((r) => r[h]);
		expect(exact[1]).toBeGreaterThanOrEqual(exact[2]); // at the hour itself, the onset is best…
		expect(robust[1]).toBeLessThan(robust[2]); // …but an hour early would miss it: 17:00 is safer
		expect(robust[1]).toBeCloseTo((exact[0] + exact[1] + exact[2]) / 3, 10);
		expect(robust[0]).toBeLessThan(robust[1]);
	});
	test('is deterministic and JSON', () => {
		expect(JSON.parse(JSON.stringify(trainPayroll(plantedPayroll())))).toEqual(model);
	});
	test('a failed try on a candidate payday moves the posterior away from that rule', () => {
		const zone = 'America/Chicago';
		const prior = payrollPosterior(model, 'US', []);
		// Fridays 2026-06-05 and 06-12: one of the two phases pays on each.
		const f1 = at('2026-06-05T17:00', zone);
		const after = payrollPosterior(model, 'US', [{ at: f1, succeeded: false, zone }, { at: f1 + 86400, succeeded: false, zone }]);
		const phaseOf = daysSincePaydays(rule('biweekly-5-0'), e('2026-06-05'), e('2026-06-05'))[0] === 0 ? 'biweekly-5-0' : 'biweekly-5-1';
		const h = PAYROLL_RULES.findIndex((r) => r.id === phaseOf);
		expect(after.p[h]).toBeLessThan(prior.p[h] / 3);
		// So the chance at the next Friday (the other phase) rises above that of the failed one.
		const rates = payrollRates(model, [at('2026-06-12T17:00', zone), at('2026-06-19T17:00', zone)], zone);
		expect(payrollChance(after, rates[0])).toBeGreaterThan(payrollChance(after, rates[1]));
	});
	test('an unknown country uses the account-wide prior', () => {
		expect(payrollPosterior(model, 'ZZ', []).p).toEqual(payrollPosterior(model, undefined, []).p);
	});
});

describe('updatePayroll (online)', () => {
	const model = trainPayroll(plantedPayroll());
	const zone = 'Europe/Berlin';
	const h = (id: string) => PAYROLL_RULES.findIndex((r) => r.id === id);
	// 2026-06-30 (Tuesday) 18:00: the last working day's money has cleared; for a customer paid on the 15th it is
	// two weeks after their payday.
	const t = at('2026-06-30T18:00', zone);
	const cellUnder = (id: string) => {
		const d = since(id, '2026-06-30');
		return d === 0 ? 18 : d >= 7 ? 72 : 24 + (d - 1) * 8 + 6;
	};
	test('a success learns each rule\'s cell by the rule\'s posterior weight after the outcome, and leaves the model given unchanged', () => {
		const before = JSON.parse(JSON.stringify(model)) as typeof model;
		// A customer the plan believed 50/50 last working day or the 15th.
		const p = PAYROLL_RULES.map(() => 0);
		p[h('monthly-last')] = 0.5;
		p[h('monthly-15')] = 0.5;
		const next = updatePayroll(model, { p, observations: 0 }, { at: t, succeeded: true, zone });
		expect(model).toEqual(before);
		expect(next.samples).toBe(model.samples + 1);
		const paydayCell = cellUnder('monthly-last');
		const lateCell = cellUnder('monthly-15');
		expect(paydayCell).toBe(18);
		expect(lateCell).toBe(72);
		// The weights after the outcome: P(h) r_h / Σ; the payday cell's rate is far higher, so it takes most of the success.
		const rPay = model.cells[paydayCell];
		const rLate = model.cells[lateCell];
		const wPay = (0.5 * rPay) / (0.5 * rPay + 0.5 * rLate);
		expect(next.cellCounts[paydayCell] - model.cellCounts[paydayCell]).toBeCloseTo(wPay, 10);
		expect(next.cellCounts[lateCell] - model.cellCounts[lateCell]).toBeCloseTo(1 - wPay, 10);
		const nPay = model.cellCounts[paydayCell] + 1;
		expect(next.cells[paydayCell]).toBeCloseTo((rPay * nPay + wPay) / (nPay + wPay), 10);
		expect(next.cells[paydayCell]).toBeGreaterThan(rPay);
		expect(next.cells[lateCell]).toBeGreaterThan(rLate);
		// No other cell moves, and the priors stay as trained.
		next.cells.forEach((r, c) => {
			if (c !== paydayCell && c !== lateCell) expect(r).toBe(model.cells[c]);
		});
		expect(next.prior).toEqual(model.prior);
		expect(next.byCountry).toEqual(model.byCountry);
	});
	test('a failure lowers the cells it falls in; a cell learned from few retries moves more than one learned from many', () => {
		const p = PAYROLL_RULES.map(() => 0);
		p[h('monthly-last')] = 1;
		const next = updatePayroll(model, { p, observations: 0 }, { at: t, succeeded: false, zone });
		expect(next.cells[18]).toBeLessThan(model.cells[18]);
		// The same failure in a cell with one observation instead of many.
		const sparse = { ...model, cellCounts: model.cellCounts.map((n, c) => (c === 18 ? 1 : n)) };
		const sparseNext = updatePayroll(sparse, { p, observations: 0 }, { at: t, succeeded: false, zone });
		expect(model.cellCounts[18]).toBeGreaterThan(5);
		expect(model.cells[18] - sparseNext.cells[18]).toBeGreaterThan(model.cells[18] - next.cells[18]);
	});
	test('refuses a posterior of another rule family', () => {
		expect(() => updatePayroll(model, { p: [1], observations: 0 }, { at: t, succeeded: true, zone })).toThrow(/rules/);
	});
});

describe('choosePayrollSet', () => {
	const model = trainPayroll(plantedPayroll());
	test('covers both phases of an every-other-Friday customer before trying any day twice', () => {
		const zone = 'America/Chicago';
		const post = payrollPosterior(model, 'US', []);
		const times: number[] = [];
		for (let d = 0; d < 21; d++) for (const h of [9, 12, 17, 20]) times.push(at(`2026-06-01T${String(h).padStart(2, '0')}:00`, zone) + d * 86400);
		const rates = payrollRates(model, times, zone);
		const pick = choosePayrollSet(post, times, rates, 2, 12 * 3600);
		const days = pick.chosen.map((i) => DateTime.fromSeconds(times[i], { zone }));
		// Two tries: one in each phase's Friday-evening or Saturday window, a week apart.
		expect(days[1].diff(days[0], 'days').days).toBeGreaterThanOrEqual(6);
		expect(pick.chance).toBeGreaterThan(0.5);
		expect(payrollSetChance(post, pick.chosen.map((i) => rates[i]))).toBeCloseTo(pick.chance, 10);
		// The greedy set's chance is the objective: no single time reaches it.
		expect(Math.max(...rates.map((r) => payrollChance(post, r)))).toBeLessThan(pick.chance);
	});
});

describe('planRetry with a payroll model', () => {
	const zone = 'Europe/Berlin';
	const history = plantedPayroll().map((o) => ({ ...o, declineClass: 'insufficientFunds' as const, declineCode: 'insufficient_funds' }));
	const model = train(history, { now: at('2026-06-01T00:00', zone), payroll: true });
	test('train with payroll: true stores the payroll model', () => {
		expect(model.payroll?.customers).toBe(240);
	});
	test('a German customer short of money: the best time is after the last working day\'s money; the budget covers other rules first', () => {
		const created = at('2026-06-10T09:00', zone);
		const plan = (spendBudget: boolean) => planRetry({
			now: created + 60,
			invoice: { id: 'in_1', amount_due: 2000, currency: 'eur', attempt_count: 1, created: created - 3600 },
			failure: { decline_code: 'insufficient_funds', brand: 'visa', fingerprint: 'fp_1', payment_method: 'pm_1', created },
			history: [],
			customer: { explicit: zone },
			card: { country: 'DE' },
			model,
			policy: { timing: { recoveryWindowSeconds: 30 * 86400, attemptBudget: { attempts: 8, windowSeconds: 30 * 86400 }, businessDays: [1, 2, 3, 4, 5, 6, 7] } },
			random: mulberry32(1),
			spendBudget,
		});
		const single = plan(false);
		expect(single.action).toBe('retry');
		// The posterior the plan scored by rides on the plan, for Retry Payment's update.
		expect(single.payrollPosterior!.p).toHaveLength(PAYROLL_RULES.length);
		expect(single.payrollPosterior!.p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
		const local = DateTime.fromSeconds(single.retryAt!.unix, { zone });
		// June 30 is a Tuesday: the money clears at 16:00 and helps into July 2nd.
		expect(local.toISODate()! >= '2026-06-30' && local.toISODate()! <= '2026-07-02').toBe(true);
		if (local.toISODate() === '2026-06-30') expect(local.hour).toBeGreaterThanOrEqual(16);
		expect(single.explanation.join('\n')).toMatch(/Payroll: .*monthly on the last working day/);
		expect(single.predictedSuccess!).toBeGreaterThan(0.4);
		// With 8 tries, the earliest of the best set goes first (a less likely rule's payday, before June 30).
		const spread = plan(true);
		expect(spread.retryAt!.unix).toBeLessThan(single.retryAt!.unix);
		const chance = /most likely together to meet the customer's money \(([\d.]+) %\)/.exec(spread.explanation.join('\n'));
		expect(Number(chance?.[1])).toBeGreaterThan(85);
	});
	test('the customer\'s earlier insufficient-funds retries are evidence: a success on the 15th points to the 15th', () => {
		const created = at('2026-06-20T09:00', zone);
		const paid = at('2026-05-15T18:00', zone);
		const past: Attempt[] = [
			{ at: at('2026-04-08T09:00', zone), paymentIntentId: 'pi_apr', cardFingerprint: 'fp_1', outcome: 'declined', declineCode: 'insufficient_funds' },
			{ at: at('2026-04-15T18:00', zone), paymentIntentId: 'pi_apr', cardFingerprint: 'fp_1', outcome: 'succeeded' },
			{ at: at('2026-04-25T09:00', zone), paymentIntentId: 'pi_apr2', cardFingerprint: 'fp_1', outcome: 'declined', declineCode: 'insufficient_funds' },
			{ at: at('2026-04-30T18:00', zone), paymentIntentId: 'pi_apr2', cardFingerprint: 'fp_1', outcome: 'declined', declineCode: 'insufficient_funds' },
			{ at: at('2026-05-01T12:00', zone), paymentIntentId: 'pi_apr2', cardFingerprint: 'fp_1', outcome: 'declined', declineCode: 'insufficient_funds' },
			{ at: at('2026-05-10T09:00', zone), paymentIntentId: 'pi_old', cardFingerprint: 'fp_1', outcome: 'declined', declineCode: 'insufficient_funds' },
			{ at: at('2026-05-12T12:00', zone), paymentIntentId: 'pi_old', cardFingerprint: 'fp_1', outcome: 'declined', declineCode: 'insufficient_funds' },
			{ at: at('2026-05-29T18:00', zone), paymentIntentId: 'pi_old2', cardFingerprint: 'fp_1', outcome: 'declined', declineCode: 'insufficient_funds' },
			{ at: at('2026-05-30T12:00', zone), paymentIntentId: 'pi_old2', cardFingerprint: 'fp_1', outcome: 'declined', declineCode: 'insufficient_funds' },
			{ at: at('2026-06-01T12:00', zone), paymentIntentId: 'pi_old2', cardFingerprint: 'fp_1', outcome: 'declined', declineCode: 'insufficient_funds' },
			{ at: paid - 86400 * 5, paymentIntentId: 'pi_old3', cardFingerprint: 'fp_1', outcome: 'declined', declineCode: 'insufficient_funds' },
			{ at: paid, paymentIntentId: 'pi_old3', cardFingerprint: 'fp_1', outcome: 'succeeded' },
		];
		const base = {
			now: created + 60,
			invoice: { id: 'in_2', amount_due: 2000, currency: 'eur', attempt_count: 1, created: created - 3600 },
			failure: { decline_code: 'insufficient_funds', brand: 'visa', fingerprint: 'fp_1', payment_method: 'pm_1', created },
			customer: { explicit: zone },
			card: { country: 'DE' },
			model,
			policy: { timing: { recoveryWindowSeconds: 30 * 86400, attemptBudget: { attempts: 8, windowSeconds: 30 * 86400 }, businessDays: [1, 2, 3, 4, 5, 6, 7] as Array<1 | 2 | 3 | 4 | 5 | 6 | 7> } },
			spendBudget: false,
		};
		const without = planRetry({ ...base, history: [] });
		const withPast = planRetry({ ...base, history: past });
		expect(withPast.explanation.join('\n')).toMatch(/from 7 insufficient-funds retries/);
		expect(without.explanation.join('\n')).toMatch(/from 0 insufficient-funds retries/);
		// The single best time moves off the last working day when the history contradicts it.
		const day = (p: typeof without) => DateTime.fromSeconds(p.retryAt!.unix, { zone }).day;
		expect([30, 1, 2]).toContain(day(without));
		expect([15, 16, 17]).toContain(day(withPast));
	});
	test('another invoice\'s retries made while this one is open are evidence too (weekly renewals on one card)', () => {
		const created = at('2026-06-10T09:00', zone);
		// A weekly renewal failed on June 3rd; its retries went on after this invoice failed, and one
		// succeeded on Friday June 12th at 18:00: the money came.
		const other: Attempt[] = [
			{ at: at('2026-06-03T09:00', zone), paymentIntentId: 'pi_week1', cardFingerprint: 'fp_1', outcome: 'declined', declineCode: 'insufficient_funds' },
			{ at: at('2026-06-05T12:00', zone), paymentIntentId: 'pi_week1', cardFingerprint: 'fp_1', outcome: 'declined', declineCode: 'insufficient_funds' },
			{ at: at('2026-06-11T12:00', zone), paymentIntentId: 'pi_week1', cardFingerprint: 'fp_1', outcome: 'declined', declineCode: 'insufficient_funds' },
			{ at: at('2026-06-12T18:00', zone), paymentIntentId: 'pi_week1', cardFingerprint: 'fp_1', outcome: 'succeeded' },
		];
		const input = {
			now: at('2026-06-12T19:00', zone),
			invoice: { id: 'in_week2', amount_due: 500, currency: 'eur', attempt_count: 1, created: created - 3600 },
			failure: { decline_code: 'insufficient_funds', brand: 'visa', fingerprint: 'fp_1', payment_method: 'pm_1', created },
			history: other,
			customer: { explicit: zone },
			card: { country: 'DE' },
			model,
			policy: { timing: { recoveryWindowSeconds: 30 * 86400, attemptBudget: { attempts: 8, windowSeconds: 30 * 86400 }, businessDays: [1, 2, 3, 4, 5, 6, 7] as Array<1 | 2 | 3 | 4 | 5 | 6 | 7> } },
			spendBudget: false,
		};
		const known = planRetry({ ...input, invoicePaymentIntents: ['pi_week2'] });
		// The 2 retries after this invoice's failure count with the one before; the first attempt is the state, not evidence.
		expect(known.explanation.join('\n')).toMatch(/from 3 insufficient-funds retries/);
		// The success says the money is there now: the next try is soon, not at the month's end.
		expect(known.retryAt!.unix - input.now).toBeLessThan(2 * 86400);
		expect(known.predictedSuccess!).toBeGreaterThan(0.3);
		// Without this invoice's payment intents, the later attempts on the card are taken as its own retries: evidence all the same.
		const unknown = planRetry(input);
		expect(unknown.explanation.join('\n')).toMatch(/from 3 insufficient-funds retries/);
		expect(unknown.attempt).toBe(known.attempt + 2);
	});
	test('update() learns an insufficient-funds outcome into the payroll model only with the plan\'s posterior', () => {
		const full = model;
		const t = at('2026-06-30T18:00', zone);
		const post = payrollPosterior(full.payroll!, 'DE', []);
		const attempt = { at: t, zone, declineClass: 'insufficientFunds' as const, declineCode: 'insufficient_funds', country: 'DE', firstFailureAt: t - 5 * 86400, attemptNumber: 2 };
		expect(update(full, attempt, true, { payrollPosterior: post }).payroll!.samples).toBe(full.payroll!.samples + 1);
		expect(update(full, attempt, true).payroll).toEqual(full.payroll);
		expect(update(full, { ...attempt, declineClass: 'temporary' as const, declineCode: 'try_again_later' }, true, { payrollPosterior: post }).payroll).toEqual(full.payroll);
		// The feature model learns it either way.
		expect(update(full, attempt, true, { payrollPosterior: post }).samples).toBe(full.samples + 1);
	});
});

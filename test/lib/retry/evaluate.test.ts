import { DateTime } from 'luxon';

import { EVALUATION_DISCLAIMER, evaluatePolicy, train, type TrainingAttempt } from '../../../lib/retry';
import { plantedHistory, plantedPayrollHistory } from './syntheticHistory';

const ZONE = 'Europe/Berlin';
const at = (iso: string) => Math.floor(DateTime.fromISO(iso, { zone: ZONE }).toSeconds());
const history = plantedHistory({ days: 150, invoices: true, perSlot: 1 });
const splitAt = at('2026-04-01T00:00');
const NOW = at('2026-06-01T00:00');

describe('evaluatePolicy', () => {
	const result = evaluatePolicy({ attempts: history, splitAt, now: NOW });

	test('says it is a model-based estimate', () => {
		expect(result.estimate).toBe(true);
		expect(result.disclaimer).toBe(EVALUATION_DISCLAIMER);
		expect(result.disclaimer).toMatch(/estimate/i);
	});

	test('trains only on the earlier period', () => {
		const before = history.filter((a) => a.at < splitAt);
		expect(result.trainPeriod.attempts).toBe(before.length);
		expect(result.model.samples).toBe(before.length);
		expect(result.model.dataRange!.to).toBeLessThan(splitAt);
		expect(result.testPeriod.attempts).toBe(history.length - before.length);
		expect(JSON.stringify(result.model)).toBe(JSON.stringify(train(before, { now: NOW })));
	});

	test('flipping every test-period outcome changes no part of the model', () => {
		const flipped: TrainingAttempt[] = history.map((a) => (a.at >= splitAt ? { ...a, succeeded: !a.succeeded } : a));
		const other = evaluatePolicy({ attempts: flipped, splitAt, now: NOW });
		expect(JSON.stringify(other.model)).toBe(JSON.stringify(result.model));
		expect(other.heldOut.observedSuccessRate).toBeCloseTo(1 - (result.heldOut.observedSuccessRate as number), 10);
	});

	test('a gap keeps the attempts just before the split out of training too', () => {
		const gapped = evaluatePolicy({ attempts: history, splitAt, now: NOW, gapSeconds: 7 * 86400 });
		expect(gapped.model.dataRange!.to).toBeLessThan(splitAt - 7 * 86400);
		expect(gapped.trainPeriod.attempts).toBe(history.filter((a) => a.at < splitAt - 7 * 86400).length);
	});

	test('held-out metrics are measured on the later period', () => {
		const h = result.heldOut;
		expect(h.attempts).toBeGreaterThan(0);
		expect(Math.abs((h.meanPredicted as number) - (h.observedSuccessRate as number))).toBeLessThan(0.05);
		expect(h.brier).toBeGreaterThan(0);
		expect(h.brier).toBeLessThan(0.25);
	});

	test('the planted pattern: the policy schedule is estimated to recover more than the schedule used', () => {
		const c = result.comparison;
		expect(c.invoices).toBeGreaterThan(0);
		expect(c.estimatedRecoveredPolicy).toBeGreaterThan(c.estimatedRecoveredActual);
		expect(c.estimatedUplift).toBeGreaterThan(0);
		expect(c.estimatedRevenuePolicy).toBeCloseTo(c.estimatedRecoveredPolicy * 2000, 6);
	});

	test('no attempts: empty, still an estimate', () => {
		const r = evaluatePolicy({ attempts: [], splitAt, now: NOW });
		expect(r).toMatchObject({ estimate: true, heldOut: { attempts: 0, brier: null }, comparison: { invoices: 0, estimatedUplift: null } });
	});
});

describe('evaluatePolicy with a payroll model', () => {
	// German customers paid on the last working day, US customers every other Friday; retried at random times.
	const attempts = plantedPayrollHistory();
	const split = Math.floor(DateTime.fromISO('2026-04-15T00:00', { zone: 'utc' }).toSeconds());
	const withPayroll = evaluatePolicy({ attempts, splitAt: split, now: NOW, train: { payroll: true } });
	const without = evaluatePolicy({ attempts, splitAt: split, now: NOW });

	test('learns the payroll from the earlier period only', () => {
		const before = attempts.filter((a) => a.at < split);
		expect(withPayroll.model.payroll).toBeDefined();
		expect(withPayroll.model.payroll!.samples).toBe(before.length);
		expect(without.model.payroll).toBeUndefined();
	});

	test("estimates insufficient-funds invoices by the customer's payroll posterior: the policy's payday tries beat random ones", () => {
		const c = withPayroll.comparison;
		expect(c.invoices).toBe(without.comparison.invoices);
		expect(c.invoices).toBeGreaterThan(50);
		// A different estimate from the feature model's…
		expect(c.estimatedRecoveredPolicy).not.toBeCloseTo(without.comparison.estimatedRecoveredPolicy, 3);
		// …in which the times the policy picks are far likelier to meet the money than the random ones made.
		expect(c.estimatedRecoveredPolicy).toBeGreaterThan(c.estimatedRecoveredActual * 1.2);
		expect(c.estimatedRecoveredPolicy).toBeLessThanOrEqual(c.invoices);
		// A success ends an invoice's retries, so the retries made are fewer where one succeeded early:
		// their estimate stays below what they recovered, with either model.
		expect(c.estimatedRecoveredActual).toBeLessThan(c.observedRecovered);
	});
});

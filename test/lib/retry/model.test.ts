import { DateTime } from 'luxon';

import {
	MODEL_FEATURES,
	RETRY_PRIORS,
	attemptFeatures,
	explainPrediction,
	mulberry32,
	predict,
	priorModel,
	sample,
	sampleBeta,
	sampleGamma,
	train,
	update,
	type AttemptFeaturesInput,
} from '../../../lib/retry';
import { plantedHistory } from './syntheticHistory';

const ZONE = 'Europe/Berlin';
const at = (iso: string, zone = ZONE) => Math.floor(DateTime.fromISO(iso, { zone }).toSeconds());
const NOW = at('2026-07-01T00:00');

describe('attemptFeatures: buckets', () => {
	test.each<[string, AttemptFeaturesInput, Record<string, string | undefined>]>([
		['local hour, weekday, day band, payday (15 Jul 2026 is a Wednesday)', { at: at('2026-07-15T10:30'), zone: ZONE }, { localHour: '10', weekday: '3', dayOfMonth: '11-15', isPayday: 'yes', daysSincePayday: '0' }],
		['local hour in the customer zone, not UTC', { at: at('2026-07-15T23:30', 'UTC'), zone: 'Asia/Tokyo' }, { localHour: '8', dayOfMonth: '16-20', isPayday: 'no', daysSincePayday: '1-3' }],
		['days since failure and attempt number bands', { at: at('2026-07-10T10:00'), zone: ZONE, firstFailureAt: at('2026-07-05T10:00'), attemptNumber: 9 }, { daysSinceFailure: '4-7', attemptNumber: '8+' }],
		['customer history bands', { at: at('2026-07-10T10:00'), zone: ZONE, customerSuccessRate: 0.9 }, { customerHistory: '80-95%' }],
		['no history', { at: at('2026-07-10T10:00'), zone: ZONE, customerSuccessRate: null }, { customerHistory: 'none' }],
		['codes lower-cased, country upper-cased', { at: at('2026-07-10T10:00'), zone: ZONE, declineCode: 'Insufficient_Funds', brand: 'Visa', country: 'de' }, { declineCode: 'insufficient_funds', brand: 'visa', country: 'DE' }],
	])('%s', (_name, input, expected) => {
		const f = attemptFeatures(input);
		for (const [k, v] of Object.entries(expected)) expect(f[k as keyof typeof f]).toBe(v);
		for (const k of Object.keys(f)) expect(MODEL_FEATURES).toContain(k);
	});
});

describe('priors (no model)', () => {
	const f = (hour: number, cls: 'temporary' | 'insufficientFunds' | 'needsCustomer') => attemptFeatures({ at: at(`2026-07-08T${String(hour).padStart(2, '0')}:00`), zone: ZONE, declineClass: cls });
	test('business hours beat the night', () => {
		expect(predict(undefined, f(12, 'temporary'))).toBeGreaterThan(predict(undefined, f(3, 'temporary')));
	});
	test('classes ranked as documented', () => {
		expect(predict(undefined, f(12, 'temporary'))).toBeGreaterThan(predict(undefined, f(12, 'insufficientFunds')));
		expect(predict(undefined, f(12, 'insufficientFunds'))).toBeGreaterThan(predict(undefined, f(12, 'needsCustomer')));
	});
	test('a payday beats the day before', () => {
		const payday = attemptFeatures({ at: at('2026-07-15T10:00'), zone: ZONE, declineClass: 'insufficientFunds' });
		const before = attemptFeatures({ at: at('2026-07-14T10:00'), zone: ZONE, declineClass: 'insufficientFunds' });
		expect(predict(undefined, payday)).toBeGreaterThan(predict(undefined, before));
	});
	test('prior model is plain JSON, v 1, no samples', () => {
		const m = priorModel(NOW);
		expect(JSON.parse(JSON.stringify(m))).toEqual(m);
		expect(m).toMatchObject({ v: 1, trainedAt: NOW, samples: 0, dataRange: null });
		expect(m.priors.strength).toBe(RETRY_PRIORS.strength);
	});
});

describe('train: recovers a planted pattern (10:00 local on paydays)', () => {
	const history = plantedHistory();
	const model = train(history, { now: NOW });
	const p = (iso: string) => predict(model, attemptFeatures({ at: at(iso), zone: ZONE, declineClass: 'insufficientFunds', declineCode: 'insufficient_funds', brand: 'visa' }));

	test('counts every attempt', () => {
		expect(model.samples).toBe(history.length);
		expect(model.global.a + model.global.b).toBe(history.length);
		expect(model.dataRange).toEqual({ from: Math.min(...history.map((h) => h.at)), to: Math.max(...history.map((h) => h.at)) });
	});
	test.each([
		['2026-07-15T10:00', '2026-07-15T15:00', 'same payday, another hour'],
		['2026-07-15T10:00', '2026-07-14T10:00', 'same hour, the day before the payday'],
		['2026-07-31T10:00', '2026-07-22T14:00', 'payday 10:00 vs. a plain afternoon'],
	])('%s beats %s (%s)', (hot, cold) => {
		expect(p(hot)).toBeGreaterThan(p(cold) + 0.02);
	});
	test('10:00 on a payday is the best hour of that day', () => {
		const day = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20].map((h) => [h, p(`2026-07-15T${String(h).padStart(2, '0')}:00`)] as const);
		expect(day.reduce((a, b) => (b[1] > a[1] ? b : a))[0]).toBe(10);
	});
	test('explains itself: hour and payday among the main factors', () => {
		const e = explainPrediction(model, attemptFeatures({ at: at('2026-07-15T10:00'), zone: ZONE, declineClass: 'insufficientFunds' }));
		const top = e.contributions.slice(0, 3).map((c) => c.feature);
		expect(top).toEqual(expect.arrayContaining(['localHour']));
		expect(e.contributions.find((c) => c.feature === 'isPayday')?.logOdds).toBeGreaterThan(0);
	});
	test('the customer rate is derived from earlier attempts only', () => {
		const m = train(
			[
				{ at: 100, zone: 'UTC', succeeded: true, customerId: 'c' },
				{ at: 200, zone: 'UTC', succeeded: false, customerId: 'c' },
			],
			{ now: 300, priors: false },
		);
		expect(m.features.customerHistory).toEqual({ none: { a: 1, b: 0 }, '95%+': { a: 0, b: 1 } });
	});
});

describe('update: online learning', () => {
	test('successes in a bucket raise its prediction; the old model is unchanged', () => {
		const m0 = train([], { now: NOW });
		const input: AttemptFeaturesInput = { at: at('2026-07-08T16:00'), zone: ZONE, declineClass: 'temporary', brand: 'amex' };
		const before = predict(m0, attemptFeatures(input));
		const snapshot = JSON.stringify(m0);
		let m = m0;
		for (let i = 0; i < 30; i++) m = update(m, input, true);
		expect(JSON.stringify(m0)).toBe(snapshot);
		expect(m.samples).toBe(30);
		expect(predict(m, attemptFeatures(input))).toBeGreaterThan(before + 0.2);
		let down = m;
		for (let i = 0; i < 200; i++) down = update(down, input, false);
		expect(predict(down, attemptFeatures(input))).toBeLessThan(predict(m, attemptFeatures(input)));
		expect(down.updatedAt).toBe(input.at);
	});
	test('accepts buckets directly', () => {
		const m = update(priorModel(0), { brand: 'visa' }, true);
		expect(m.features.brand?.visa).toEqual({ a: 1, b: 0 });
	});
});

describe('Thompson sampling', () => {
	test('Gamma and Beta draws have the right means (seeded)', () => {
		const rnd = mulberry32(1);
		const n = 20000;
		for (const [shape, mean] of [[0.5, 0.5], [1, 1], [3.5, 3.5]] as const) {
			let s = 0;
			for (let i = 0; i < n; i++) s += sampleGamma(shape, rnd);
			expect(Math.abs(s / n - mean)).toBeLessThan(0.06 * Math.max(1, mean));
		}
		let b = 0;
		for (let i = 0; i < n; i++) b += sampleBeta(2, 5, rnd);
		expect(Math.abs(b / n - 2 / 7)).toBeLessThan(0.01);
	});
	test('deterministic for a seed, different across seeds, mean ≈ predict', () => {
		const m = train(plantedHistory({ days: 30 }), { now: NOW });
		const f = attemptFeatures({ at: at('2026-07-15T10:00'), zone: ZONE, declineClass: 'insufficientFunds' });
		const draws = (seed: number) => Array.from({ length: 5 }, ((r) => () => sample(m, f, r))(mulberry32(seed)));
		expect(draws(7)).toEqual(draws(7));
		expect(draws(7)).not.toEqual(draws(8));
		const rnd = mulberry32(3);
		let s = 0;
		for (let i = 0; i < 4000; i++) s += sample(m, f, rnd);
		expect(Math.abs(s / 4000 - predict(m, f))).toBeLessThan(0.05);
	});
});

describe('crosses: timeOfWeek and countryDayOfMonth', () => {
	// Insufficient funds clears on Friday afternoons in the US (weekly pay) and at the end of the month in Germany;
	// temporary declines clear at any time. Separate weekday, hour and day buckets blur both.
	function world(n: number): import('../../../lib/retry').TrainingAttempt[] {
		const rnd = mulberry32(7);
		const out: import('../../../lib/retry').TrainingAttempt[] = [];
		for (let i = 0; i < n; i++) {
			const us = rnd() < 0.5;
			const zone = us ? 'America/New_York' : ZONE;
			const t = DateTime.fromSeconds(NOW - Math.floor(rnd() * 300 * 86400), { zone }).set({ hour: 8 + Math.floor(rnd() * 13), minute: 0 });
			const cls = rnd() < 0.6 ? 'insufficientFunds' : 'temporary';
			const hot = cls === 'insufficientFunds' && (us ? t.weekday === 5 && t.hour >= 12 : t.day >= 26);
			const p = cls === 'temporary' ? 0.4 : hot ? 0.8 : 0.1;
			out.push({ at: Math.floor(t.toSeconds()), zone, declineClass: cls, country: us ? 'US' : 'DE', succeeded: rnd() < p });
		}
		return out;
	}
	const history = world(6000);
	const withCrosses = train(history, { now: NOW, crosses: true });
	const without = train(history, { now: NOW });
	const p = (m: typeof without, iso: string, zone: string, country: string) => predict(m, attemptFeatures({ at: at(iso, zone), zone, declineClass: 'insufficientFunds', country }));

	test('are bucketed with the class, and learned only when asked', () => {
		const f = attemptFeatures({ at: at('2026-07-17T14:30', 'America/New_York'), zone: 'America/New_York', declineClass: 'insufficientFunds', country: 'us' });
		expect(f.timeOfWeek).toBe('insufficientFunds|5|12-14');
		expect(f.countryDayOfMonth).toBe('insufficientFunds|US|17');
		expect(attemptFeatures({ at: at('2026-07-31T14:30'), zone: ZONE, declineClass: 'temporary', country: 'DE' }).countryDayOfMonth).toBe('temporary|DE|last');
		expect(attemptFeatures({ at: NOW, zone: ZONE }).timeOfWeek).toBeUndefined();
		expect(withCrosses.crosses).toBe(true);
		expect(Object.keys(withCrosses.features.timeOfWeek ?? {}).length).toBeGreaterThan(20);
		expect(without.features.timeOfWeek).toBeUndefined();
		expect(without.features.countryDayOfMonth).toBeUndefined();
		// An online update of a model without crosses does not start them.
		expect(update(without, f, true).features.timeOfWeek).toBeUndefined();
		expect(update(withCrosses, f, true).features.timeOfWeek?.['insufficientFunds|5|12-14'].a).toBe((withCrosses.features.timeOfWeek?.['insufficientFunds|5|12-14'].a ?? 0) + 1);
	});

	test('tell Friday afternoon in New York and month end in Berlin from the times around them, better than the separate buckets', () => {
		const gap = (m: typeof without) => ({
			us: p(m, '2026-07-17T14:00', 'America/New_York', 'US') - p(m, '2026-07-16T14:00', 'America/New_York', 'US'),
			usMorning: p(m, '2026-07-17T14:00', 'America/New_York', 'US') - p(m, '2026-07-17T09:00', 'America/New_York', 'US'),
			de: p(m, '2026-07-28T14:00', ZONE, 'DE') - p(m, '2026-07-17T14:00', ZONE, 'DE'),
		});
		const c = gap(withCrosses);
		const w = gap(without);
		expect(c.us).toBeGreaterThan(0.1);
		expect(c.usMorning).toBeGreaterThan(0.1);
		expect(c.de).toBeGreaterThan(0.2);
		expect(c.us).toBeGreaterThan(w.us + 0.05);
		expect(c.usMorning).toBeGreaterThan(w.usMorning + 0.05);
		expect(c.de).toBeGreaterThan(w.de + 0.05);
	});
});

describe('cross: paydayHour', () => {
	// Paydays the 1st and 15th (the policy's), money clears at 16:00 local on the payday and stays two days: before
	// 16:00 on the payday a retry meets the old balance. Separate hour and payday buckets cannot say "payday, late".
	const paydayPolicy = { paydays: [1, 15] as Array<1 | 15>, paydayAdjustment: 'none' as const };
	function world(n: number): import('../../../lib/retry').TrainingAttempt[] {
		const rnd = mulberry32(11);
		const out: import('../../../lib/retry').TrainingAttempt[] = [];
		for (let i = 0; i < n; i++) {
			// Half the attempts on a payday or the day after, so each (days since payday, hour band) bucket has data.
			const base = DateTime.fromSeconds(NOW - Math.floor(rnd() * 300 * 86400), { zone: ZONE });
			const day = rnd() < 0.5 ? (rnd() < 0.5 ? 1 : 15) + (rnd() < 0.5 ? 0 : 1) : base.day;
			const t = base.set({ day, hour: 8 + Math.floor(rnd() * 13), minute: 0 });
			const funded = (t.day === 1 || t.day === 15) ? t.hour >= 16 : t.day === 2 || t.day === 16;
			out.push({ at: Math.floor(t.toSeconds()), zone: ZONE, declineClass: 'insufficientFunds', country: 'DE', succeeded: rnd() < (funded ? 0.8 : 0.05) });
		}
		return out;
	}
	const history = world(6000);
	const withCrosses = train(history, { now: NOW, crosses: true, paydayPolicy });
	const without = train(history, { now: NOW, paydayPolicy });
	const p = (m: typeof without, iso: string) => predict(m, attemptFeatures({ at: at(iso), zone: ZONE, declineClass: 'insufficientFunds', country: 'DE' }, { paydayPolicy }));

	test('is bucketed by days since the payday and the 3-hour band', () => {
		const f = attemptFeatures({ at: at('2026-07-15T16:30'), zone: ZONE, declineClass: 'insufficientFunds' }, { paydayPolicy });
		expect(f.paydayHour).toBe('insufficientFunds|0|15-17');
		expect(attemptFeatures({ at: at('2026-07-16T09:00'), zone: ZONE, declineClass: 'temporary' }, { paydayPolicy }).paydayHour).toBe('temporary|1|9-11');
		expect(attemptFeatures({ at: at('2026-07-20T09:00'), zone: ZONE, declineClass: 'temporary' }, { paydayPolicy }).paydayHour).toBe('temporary|4+|9-11');
		expect(attemptFeatures({ at: at('2026-07-15T16:30'), zone: ZONE }, { paydayPolicy }).paydayHour).toBeUndefined();
		expect(without.features.paydayHour).toBeUndefined();
	});

	test('tells the payday afternoon from its morning, which the separate buckets cannot', () => {
		const lateVsEarly = (m: typeof without) => p(m, '2026-07-15T17:00') - p(m, '2026-07-15T10:00');
		expect(lateVsEarly(withCrosses)).toBeGreaterThan(0.3);
		expect(lateVsEarly(withCrosses)).toBeGreaterThan(lateVsEarly(without) + 0.2);
		// The day after is good all day, with or without the cross.
		expect(p(withCrosses, '2026-07-16T10:00')).toBeGreaterThan(0.5);
	});
});

import { DateTime } from 'luxon';

import { daysSincePaydays, epochDay, isPayday, mulberry32, PAYROLL_RULES, type TrainingAttempt } from '../../../lib/retry';

/** Options of the planted world: success is `hot` at local `hotHour` on paydays, `cold` otherwise. */
export interface PlantedWorld {
	zone?: string;
	from?: string;
	days?: number;
	hours?: number[];
	perSlot?: number;
	hotHour?: number;
	hot?: number;
	cold?: number;
	seed?: number;
	/** Attach invoice ids (one per week and hour residue) and their first failure (for evaluation). */
	invoices?: boolean;
}

/**
 * A synthetic account history with a planted pattern: insufficient-funds retries in `zone`, every
 * day from `from` for `days` days, at each of `hours` local hours, `perSlot` attempts; success with
 * probability `hot` at `hotHour` on a payday (timing's default paydays: 1st, 15th, last, moved to the
 * business day before), `cold` otherwise. Outcomes from a seeded PRNG, so the data is fixed.
 */
export function plantedHistory(o: PlantedWorld = {}): TrainingAttempt[] {
	const zone = o.zone ?? 'Europe/Berlin';
	const start = DateTime.fromISO(o.from ?? '2026-01-01', { zone });
	const hours = o.hours ?? [8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20];
	const rnd = mulberry32(o.seed ?? 42);
	const out: TrainingAttempt[] = [];
	for (let d = 0; d < (o.days ?? 180); d++) {
		const day = start.plus({ days: d });
		const payday = isPayday({ year: day.year, month: day.month, day: day.day });
		for (const h of hours) {
			for (let i = 0; i < (o.perSlot ?? 2); i++) {
				const at = Math.floor(day.set({ hour: h, minute: 0 }).toSeconds());
				const p = h === (o.hotHour ?? 10) && payday ? (o.hot ?? 0.6) : (o.cold ?? 0.12);
				const attempt: TrainingAttempt = { at, zone, succeeded: rnd() < p, declineClass: 'insufficientFunds', declineCode: 'insufficient_funds', brand: 'visa', funding: 'debit', country: 'DE' };
				if (o.invoices) {
					// One invoice per week and hour residue: it failed the day before the week began.
					const week = Math.floor(d / 7);
					attempt.invoiceId = `in_${week}_${i}_${h % 3}`;
					attempt.firstFailureAt = Math.floor(start.plus({ days: week * 7 - 1 }).set({ hour: 6 }).toSeconds());
					attempt.amount = 2000;
				}
				out.push(attempt);
			}
		}
	}
	return out;
}

const rule = (id: string) => {
	const r = PAYROLL_RULES.find((x) => x.id === id);
	if (!r) throw new Error(id);
	return r;
};

/**
 * A world with a planted payroll: German customers paid on the last working day, US customers every
 * other Friday (both phases), funds clearing at 16:00 local and helping for two days; an
 * insufficient-funds retry succeeds with 0.75 then, 0.05 otherwise. Each customer has a few invoices,
 * each retried at random times over two weeks (up to 4 retries, until one succeeds); the attempts
 * carry what `train` and `evaluatePolicy` read (invoice, first failure, decline, amount 2000).
 */
export function plantedPayrollHistory(seed = 7): TrainingAttempt[] {
	const rnd = mulberry32(seed);
	const out: TrainingAttempt[] = [];
	const start = DateTime.fromISO('2026-01-05T00:00', { zone: 'utc' });
	for (let c = 0; c < 240; c++) {
		const de = c % 2 === 0;
		const zone = de ? 'Europe/Berlin' : 'America/Chicago';
		const truth = de ? rule('monthly-last') : rule(c % 4 === 1 ? 'biweekly-5-0' : 'biweekly-5-1');
		for (let inv = 0; inv < 3; inv++) {
			const first = start.plus({ days: Math.floor(rnd() * 150), hours: Math.floor(rnd() * 24) }).toSeconds();
			const firstFailureAt = Math.floor(first);
			for (let k = 0; k < 4; k++) {
				const t = DateTime.fromSeconds(first + Math.floor(rnd() * 14 * 86400), { zone }).set({ minute: 0, second: 0 });
				const tries = t.set({ hour: 8 + Math.floor(rnd() * 13) });
				const day = epochDay(tries.year, tries.month, tries.day);
				const d = daysSincePaydays(truth, day, day)[0];
				const funded = (d === 0 && tries.hour >= 16) || d === 1 || (d === 2 && tries.hour < 16);
				const succeeded = rnd() < (funded ? 0.75 : 0.05);
				out.push({
					at: Math.floor(tries.toSeconds()),
					zone,
					succeeded,
					customerId: `cus_${c}`,
					country: de ? 'DE' : 'US',
					invoiceId: `in_${c}_${inv}`,
					firstFailureAt,
					declineClass: 'insufficientFunds',
					declineCode: 'insufficient_funds',
					amount: 2000,
				});
				if (succeeded) break;
			}
		}
	}
	return out;
}

import { DateTime } from 'luxon';

import { isPayday, mulberry32, type TrainingAttempt } from '../../../lib/retry';

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

/**
 * Cancel Usage and Get Usage Summary (issue 9).
 *
 * Cancel: `POST /v1/billing/meter_event_adjustments` (`type=cancel`, `cancel[identifier]`). Stripe
 * cancels only events it received in the last 24 hours; an older one is refused and the error
 * says how to correct it instead.
 *
 * Summary: `GET /v1/billing/meters/:id/event_summaries` for one customer and period, by hour or
 * day (both ends aligned to the grouping, as Stripe requires). With an allowance (the plan's
 * included units) and thresholds in percent (default 80 and 100), the item says `within`,
 * `approaching` (at or past the lowest threshold) or `overAllowance` (at or past 100 %): the
 * upsell signal for the CRM.
 */
import type { StripeClient } from '../stripe/client';
import { StripeInvalidRequestError, settle } from '../stripe/errors';
import { encodePath } from '../stripe/path';
import { isoSeconds } from '../iso';

export class UsageInputError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'UsageInputError';
	}
}

export async function cancelUsage(client: StripeClient, input: { eventName: string; identifier: string }): Promise<{ status: 'canceled'; identifier: string; eventName: string }> {
	if (!input.eventName) throw new UsageInputError('The event name is empty: cancelling needs the meter\'s event_name.');
	if (!input.identifier) throw new UsageInputError('The identifier is empty: map the identifier Report Usage returned.');
	const done = await settle(
		client.post('/v1/billing/meter_event_adjustments', { event_name: input.eventName, type: 'cancel', cancel: { identifier: input.identifier } }, { idempotencyKey: `cancel-meter-event:${input.identifier}` }),
	);
	if (!done.ok) {
		const error = done.error;
		if (error instanceof StripeInvalidRequestError) {
			const why = `Stripe refused to cancel ${input.identifier}: ${error.message}`;
			throw new UsageInputError(`${why} Stripe cancels only events received in the last 24 hours; correct older usage by reporting a negative value (turn on "Allow Negative Values") or with a credit note.`);
		}
		throw error;
	}
	return { status: 'canceled', identifier: input.identifier, eventName: input.eventName };
}

export type Grouping = 'hour' | 'day';

export interface SummaryInput {
	meterId: string;
	customer: string;
	/** Unix seconds; aligned down/up to the grouping. */
	start: number;
	end: number;
	grouping: Grouping;
	/** Units included in the customer's plan; with it, `status` and `percentOfAllowance`. */
	allowance?: number;
	/** Percent of the allowance that raise a signal (default [80, 100]). */
	thresholds?: number[];
}

export interface SummaryResult {
	meterId: string;
	customer: string;
	start: string;
	end: string;
	grouping: Grouping;
	total: number;
	windows: Array<{ start: string; end: string; value: number }>;
	allowance: number | null;
	percentOfAllowance: number | null;
	/** The highest threshold reached (percent), or null. */
	thresholdReached: number | null;
	status: 'within' | 'approaching' | 'overAllowance' | 'noAllowance';
}


export async function usageSummary(client: StripeClient, input: SummaryInput): Promise<SummaryResult> {
	if (!/^mtr_\w+$/.test(input.meterId)) throw new UsageInputError(`"${input.meterId}" is not a meter id (mtr_…): pick the meter from the list.`);
	if (!/^cus_\w+$/.test(input.customer)) throw new UsageInputError(`"${input.customer}" is not a Stripe customer id (cus_…).`);
	const step = input.grouping === 'hour' ? 3600 : 86_400;
	const start = Math.floor(input.start / step) * step;
	const end = Math.ceil(input.end / step) * step;
	if (end <= start) throw new UsageInputError('The period is empty: "End" must be after "Start".');
	const windows: SummaryResult['windows'] = [];
	for await (const w of client.list<{ id: string; aggregated_value: number; start_time: number; end_time: number }>(encodePath`/v1/billing/meters/${input.meterId}/event_summaries`, {
		customer: input.customer,
		start_time: start,
		end_time: end,
		value_grouping_window: input.grouping,
		limit: 100,
	})) {
		windows.push({ start: isoSeconds(w.start_time), end: isoSeconds(w.end_time), value: w.aggregated_value });
	}
	windows.sort((a, b) => a.start.localeCompare(b.start));
	const total = windows.reduce((s, w) => s + w.value, 0);
	const allowance = input.allowance !== undefined && input.allowance > 0 ? input.allowance : null;
	const thresholds = [...(input.thresholds?.length ? input.thresholds : [80, 100])].sort((a, b) => a - b);
	let status: SummaryResult['status'] = 'noAllowance';
	let percent: number | null = null;
	let reached: number | null = null;
	if (allowance !== null) {
		percent = (total / allowance) * 100;
		for (const t of thresholds) if (percent >= t) reached = t;
		status = percent >= 100 ? 'overAllowance' : reached !== null ? 'approaching' : 'within';
	}
	return { meterId: input.meterId, customer: input.customer, start: isoSeconds(start), end: isoSeconds(end), grouping: input.grouping, total, windows, allowance, percentOfAllowance: percent, thresholdReached: reached, status };
}

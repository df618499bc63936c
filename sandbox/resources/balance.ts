import type Stripe from 'stripe';
import { invalidParam } from '../core/errors';
import { SETTLEMENT_CURRENCY } from '../core/ledger';
import { createdFilter, paginate } from '../core/list';
import type { Router } from '../core/router';
import type { World } from '../world';
import { startOfDay } from './payments';

const DAY = 86400;
/** Automatic payouts run daily at this offset after 00:00 UTC and arrive the next business day. */
const PAYOUT_HOUR_UTC = 2;

/** Pays out everything available now; returns the payout or null when nothing is available. */
export function runPayout(w: World): Stripe.Payout | null {
	const available = w.ledger.availableNow();
	if (available <= 0) return null;
	const id = w.id('po', 24);
	w.ledger.registerPayout(id);
	const { total } = w.ledger.sweep(id);
	const now = w.now();
	let arrival = startOfDay(now) + DAY;
	const wd = new Date(arrival * 1000).getUTCDay();
	if (wd === 6) arrival += 2 * DAY;
	else if (wd === 0) arrival += DAY;
	const txn = w.ledger.append({ created: now, availableOn: arrival, amount: -total, fee: 0, type: 'payout', category: 'payout', exchangeRate: null, source: id, description: 'STRIPE PAYOUT' });
	w.ledger.link(w.ledger.indexOf(txn), id);
	const payout = {
		id,
		object: 'payout',
		amount: total,
		application_fee: null,
		application_fee_amount: null,
		arrival_date: arrival,
		automatic: true,
		balance_transaction: txn,
		created: now,
		currency: SETTLEMENT_CURRENCY,
		description: 'STRIPE PAYOUT',
		destination: 'ba_1SbxSandboxBank00000000',
		failure_balance_transaction: null,
		failure_code: null,
		failure_message: null,
		livemode: false,
		metadata: {},
		method: 'standard',
		original_payout: null,
		payout_method: null,
		reconciliation_status: 'completed',
		reversed_by: null,
		source_type: 'card',
		statement_descriptor: null,
		status: 'in_transit',
		trace_id: { status: 'pending', value: null },
		type: 'bank_account',
	} as unknown as Stripe.Payout;
	w.payouts.add(payout);
	w.emit('payout.created', payout);
	w.clock.schedule(arrival, () => {
		w.update(null, payout, (o) => {
			o.status = 'paid';
			o.trace_id = { status: 'supported', value: `SBX${w.ids.token(12).toUpperCase()}` };
		});
		w.emit('payout.paid', payout);
	});
	return payout;
}

/** Schedules the daily automatic payout from the day after `from`, then every day. */
export function schedulePayouts(w: World, from: number): void {
	const next = startOfDay(from) + DAY + PAYOUT_HOUR_UTC * 3600;
	const tick = (at: number) => {
		w.clock.schedule(at, () => {
			runPayout(w);
			tick(at + DAY);
		});
	};
	tick(next);
}

export function registerBalance(r: Router, w: World): void {
	r.get('/v1/balance', () => {
		const { available, pending } = w.ledger.balance();
		return {
			object: 'balance',
			available: [{ amount: available, currency: SETTLEMENT_CURRENCY, source_types: { card: available } }],
			connect_reserved: [{ amount: 0, currency: SETTLEMENT_CURRENCY }],
			livemode: false,
			pending: [{ amount: pending, currency: SETTLEMENT_CURRENCY, source_types: { card: pending } }],
			refund_and_dispute_prefunding: { available: [{ amount: 0, currency: SETTLEMENT_CURRENCY }], pending: [{ amount: 0, currency: SETTLEMENT_CURRENCY }] },
		};
	});
	r.get('/v1/balance_transactions/:id', ({ pathParams }) => {
		const t = w.ledger.get(pathParams.id);
		if (!t) throw invalidParam('id', `No such balance transaction: '${pathParams.id}'`, 'resource_missing');
		return t;
	});
	r.get('/v1/balance_transactions', ({ params }) => {
		const payout = params.str('payout');
		if (payout) w.payouts.require(payout, 'payout');
		const match = w.ledger.matcher({ payout, type: params.str('type'), source: params.str('source'), currency: params.str('currency'), created: createdFilter(params) });
		return paginate(w.ledger, params, '/v1/balance_transactions', match, 'balance transaction');
	});
	r.get('/v1/payouts/:id', ({ pathParams }) => w.payouts.require(pathParams.id));
	r.get('/v1/payouts', ({ params }) => {
		const status = params.str('status');
		const created = createdFilter(params);
		const arrival = createdFilter(params, 'arrival_date');
		return w.payouts.list(params, '/v1/payouts', (o) => (status === undefined || o.status === status) && (!created || created(o.created)) && (!arrival || arrival(o.arrival_date)));
	});
	r.post('/v1/payouts/:id', ({ pathParams, params }) => {
		const po = w.payouts.require(pathParams.id);
		params.allow(['metadata']);
		return w.update('payout.updated', po, (o) => (o.metadata = params.metadata(o.metadata ?? {})));
	});
}

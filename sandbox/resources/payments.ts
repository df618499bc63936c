import type Stripe from 'stripe';
import { ApiError, invalidParam, invalidState, missingParam } from '../core/errors';
import { bulkRowOf, cardFee, DISPUTE_FEE, toSettlement } from '../core/ledger';
import { createdFilter } from '../core/list';
import type { Params } from '../core/params';
import type { Router } from '../core/router';
import { Rng } from '../core/rng';
import { type Decline } from '../scenario';
import type { World } from '../world';
import { resolvePaymentMethod } from './customers';

const DAY = 86400;
/** "The amount value supports up to eight digits (e.g., a value of 99999999 for a USD charge of $999,999.99)" (PaymentIntent.amount, stripe@23.1.0). */
export const MAX_PAYMENT_AMOUNT = 99_999_999;

function checkMaxAmount(amount: number): void {
	if (amount > MAX_PAYMENT_AMOUNT) {
		throw invalidParam('amount', `Amount must be no more than ${MAX_PAYMENT_AMOUNT} in the currency's smallest unit (e.g. $999,999.99 USD). Split larger payments.`, 'amount_too_large');
	}
}

export function startOfDay(t: number): number {
	return t - (((t % DAY) + DAY) % DAY);
}

/** Daily FX drift around the reference rate (±1.5%), deterministic by seed, currency and day. */
export function fxDrift(w: World, currency: string, t: number): number {
	let h = w.seed;
	for (let i = 0; i < currency.length; i++) h = (h * 31 + currency.charCodeAt(i)) | 0;
	const day = Math.floor(t / DAY);
	return 1 + 0.015 * Math.sin(day / 11 + (h % 1000));
}

export function newPaymentIntent(w: World, o: { amount: number; currency: string; customer: string | null; description: string | null; metadata?: Record<string, string>; paymentMethod: string | null }): Stripe.PaymentIntent {
	const id = w.id('pi', 24);
	const pi = {
		id,
		object: 'payment_intent',
		amount: o.amount,
		amount_capturable: 0,
		amount_details: { tip: {} },
		amount_received: 0,
		application: null,
		application_fee_amount: null,
		automatic_payment_methods: null,
		canceled_at: null,
		cancellation_reason: null,
		capture_method: 'automatic',
		client_secret: `${id}_secret_${w.ids.token(25)}`,
		confirmation_method: 'automatic',
		created: w.now(),
		currency: o.currency,
		customer: o.customer,
		description: o.description,
		last_payment_error: null,
		latest_charge: null,
		livemode: false,
		metadata: o.metadata ?? {},
		next_action: null,
		on_behalf_of: null,
		payment_method: o.paymentMethod,
		payment_method_configuration_details: null,
		payment_method_options: { card: { installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic' } },
		payment_method_types: ['card'],
		processing: null,
		receipt_email: null,
		review: null,
		setup_future_usage: null,
		shipping: null,
		source: null,
		statement_descriptor: null,
		statement_descriptor_suffix: null,
		status: o.paymentMethod ? 'requires_confirmation' : 'requires_payment_method',
		transfer_data: null,
		transfer_group: null,
	} as unknown as Stripe.PaymentIntent;
	w.paymentIntents.add(pi);
	w.emit('payment_intent.created', pi);
	return pi;
}

export interface AttemptResult {
	pi: Stripe.PaymentIntent;
	charge: Stripe.Charge;
	decline: Decline | null;
	/** Stripe's error body for a declined attempt (402 card_error). */
	error: ApiError | null;
}

/**
 * The draws that decide one attempt: keyed by the card, the second and the attempt's number within that second, not
 * taken from one stream. So two sandboxes with the same seed give the same outcome to the same attempt on the same
 * card at the same time, whatever else happened in either (common random numbers: policies compared on twin
 * sandboxes meet the same renewals failing and the same luck when they try at the same moment), and the outcome of
 * one attempt never shifts another's.
 */
function outcomeRng(w: World, pmId: string, at: number): Rng {
	const key = `${pmId}:${at}`;
	const n = (w.outcomeKeys.get(key) ?? 0) + 1;
	if (w.outcomeKeys.size >= 10_000) w.outcomeKeys.clear(); // only same-second repeats need the count
	w.outcomeKeys.set(key, n);
	return Rng.fork(w.seed, `outcome:${key}:${n}`);
}

/** Charges a card for a PaymentIntent: draws the outcome, records the charge, fees, balance and events. */
export function attemptPayment(w: World, pi: Stripe.PaymentIntent, pmId: string): AttemptResult {
	const pm = resolvePaymentMethod(w, pmId, 'payment_method');
	const customer = typeof pi.customer === 'string' ? pi.customer : (pi.customer?.id ?? null);
	const now = w.now();
	const outcome = w.scenario.decide(pm.id, customer, now, outcomeRng(w, pm.id, now));
	const card = pm.card;
	const chargeId = w.id('ch', 24);
	const decline = outcome.ok ? null : outcome.decline;
	const blocked = decline?.reason === 'highest_risk_level';
	const charge = {
		id: chargeId,
		object: 'charge',
		amount: pi.amount,
		amount_captured: decline ? 0 : pi.amount,
		amount_refunded: 0,
		application: null,
		application_fee: null,
		application_fee_amount: null,
		balance_transaction: null,
		billing_details: pm.billing_details,
		calculated_statement_descriptor: 'SANDBOX REVOPS',
		captured: !decline,
		created: now,
		currency: pi.currency,
		customer,
		description: pi.description,
		disputed: false,
		failure_balance_transaction: null,
		failure_code: decline ? decline.code : null,
		failure_message: decline ? decline.message : null,
		fraud_details: {},
		livemode: false,
		metadata: { ...pi.metadata },
		on_behalf_of: null,
		outcome: decline
			? {
					advice_code: decline.advice_code,
					network_advice_code: null,
					network_decline_code: null,
					network_status: blocked ? 'not_sent_to_network' : 'declined_by_network',
					reason: decline.reason,
					risk_level: blocked ? 'highest' : 'normal',
					risk_score: blocked ? 95 : w.outcomes.range(5, 60),
					seller_message: blocked ? 'Stripe blocked this payment as too risky.' : 'The bank did not return any further details with this decline.',
					type: blocked ? 'blocked' : 'issuer_declined',
				}
			: {
					advice_code: null,
					network_advice_code: null,
					network_decline_code: null,
					network_status: 'approved_by_network',
					reason: null,
					risk_level: 'normal',
					risk_score: w.outcomes.range(5, 60),
					seller_message: 'Payment complete.',
					type: 'authorized',
				},
		paid: !decline,
		payment_intent: pi.id,
		payment_method: pm.id,
		payment_method_details: {
			card: {
				amount_authorized: decline ? null : pi.amount,
				authorization_code: decline ? null : String(w.outcomes.range(100000, 999999)),
				brand: card?.brand ?? 'visa',
				checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
				country: card?.country ?? 'US',
				exp_month: card?.exp_month ?? 12,
				exp_year: card?.exp_year ?? 2030,
				extended_authorization: { status: 'disabled' },
				fingerprint: card?.fingerprint ?? null,
				funding: card?.funding ?? 'credit',
				incremental_authorization: { status: 'unavailable' },
				installments: null,
				last4: card?.last4 ?? '4242',
				mandate: null,
				multicapture: { status: 'unavailable' },
				network: card?.brand ?? 'visa',
				network_token: { used: false },
				network_transaction_id: decline ? null : w.ids.token(15),
				overcapture: { maximum_amount_capturable: pi.amount, status: 'unavailable' },
				regulated_status: 'unregulated',
				three_d_secure: null,
				wallet: null,
			},
			type: 'card',
		},
		radar_options: {},
		receipt_email: null,
		receipt_number: null,
		receipt_url: `https://pay.stripe.com/receipts/payment/sandbox_${w.ids.token(40)}`,
		refunded: false,
		refunds: { object: 'list', data: [], has_more: false, url: `/v1/charges/${chargeId}/refunds` },
		review: null,
		shipping: null,
		source: null,
		source_transfer: null,
		statement_descriptor: null,
		statement_descriptor_suffix: null,
		status: decline ? 'failed' : 'succeeded',
		transfer_data: null,
		transfer_group: null,
	} as unknown as Stripe.Charge;
	w.charges.add(charge);
	if (!decline) {
		const settled = toSettlement(pi.amount, pi.currency, fxDrift(w, pi.currency, now));
		const fee = cardFee(settled.amount, settled.rate !== null);
		const txn = w.ledger.append({
			created: now,
			availableOn: startOfDay(now) + 2 * DAY,
			amount: settled.amount,
			fee,
			type: 'charge',
			category: 'charge',
			exchangeRate: settled.rate,
			source: chargeId,
			description: pi.description,
		});
		w.chargeTxn.set(chargeId, w.ledger.indexOf(txn));
		charge.balance_transaction = txn;
		w.emit('charge.succeeded', charge);
		w.update(null, pi, (o) => {
			o.status = 'succeeded';
			o.amount_received = o.amount;
			o.latest_charge = chargeId;
			o.payment_method = pm.id;
			o.last_payment_error = null;
		});
		w.emit('payment_intent.succeeded', pi);
		if (w.scenario.testCards.get(pm.id)?.dispute) createDispute(w, charge, 'fraudulent');
		return { pi, charge, decline: null, error: null };
	}
	const lastError = {
		type: 'card_error',
		charge: chargeId,
		code: decline.code,
		decline_code: decline.decline_code,
		...(decline.advice_code ? { advice_code: decline.advice_code } : {}),
		doc_url: `https://stripe.com/docs/error-codes/${decline.code.replace(/_/g, '-')}`,
		message: decline.message,
		payment_method: JSON.parse(JSON.stringify(pm)),
	};
	w.emit('charge.failed', charge);
	w.update(null, pi, (o) => {
		o.status = 'requires_payment_method';
		o.latest_charge = chargeId;
		o.payment_method = null;
		o.last_payment_error = lastError as unknown as Stripe.PaymentIntent.LastPaymentError;
	});
	w.emit('payment_intent.payment_failed', pi);
	const error = new ApiError(402, { ...lastError, payment_intent: JSON.parse(JSON.stringify(pi)) });
	return { pi, charge, decline, error };
}

/** Opens a dispute on a charge and withdraws the amount plus the dispute fee. */
export function createDispute(w: World, charge: Stripe.Charge, reason: string): Stripe.Dispute {
	const id = w.id('du', 24);
	const now = w.now();
	const rate = chargeRate(w, charge);
	const settled = rate === null ? charge.amount : Math.round((charge.amount / 100) * rate * 100);
	const txnId = w.ledger.append({ created: now, availableOn: now, amount: -settled, fee: DISPUTE_FEE, type: 'adjustment', category: 'dispute', exchangeRate: rate, source: id, description: `Chargeback withdrawal for ${charge.id}` });
	const dispute = {
		id,
		object: 'dispute',
		amount: charge.amount,
		balance_transactions: [w.ledger.get(txnId)],
		charge: charge.id,
		created: now,
		currency: charge.currency,
		enhanced_eligibility_types: [],
		evidence: emptyEvidence(),
		evidence_details: { due_by: startOfDay(now) + 8 * DAY - 1, enhanced_eligibility: {}, has_evidence: false, past_due: false, submission_count: 0 },
		is_charge_refundable: false,
		livemode: false,
		metadata: {},
		payment_intent: charge.payment_intent,
		payment_method_details: { card: { brand: charge.payment_method_details?.card?.brand ?? 'visa', case_type: 'chargeback', network_reason_code: reason === 'fraudulent' ? '10.4' : '13.1' }, type: 'card' },
		reason,
		status: 'needs_response',
	} as unknown as Stripe.Dispute;
	w.disputes.add(dispute);
	w.update(null, charge, (o) => (o.disputed = true));
	w.emit('charge.dispute.created', dispute);
	w.emit('charge.dispute.funds_withdrawn', dispute);
	return dispute;
}

function emptyEvidence(): Stripe.Dispute.Evidence {
	const keys = ['access_activity_log', 'billing_address', 'cancellation_policy', 'cancellation_policy_disclosure', 'cancellation_rebuttal', 'customer_communication', 'customer_email_address', 'customer_name', 'customer_purchase_ip', 'customer_signature', 'duplicate_charge_documentation', 'duplicate_charge_explanation', 'duplicate_charge_id', 'product_description', 'receipt', 'refund_policy', 'refund_policy_disclosure', 'refund_refusal_explanation', 'service_date', 'service_documentation', 'shipping_address', 'shipping_carrier', 'shipping_date', 'shipping_documentation', 'shipping_tracking_number', 'uncategorized_file', 'uncategorized_text'];
	const e: Record<string, unknown> = { enhanced_evidence: {} };
	for (const k of keys) e[k] = null;
	return e as unknown as Stripe.Dispute.Evidence;
}

/** Exchange rate used when the charge settled (null for settlement-currency charges). */
export function chargeRate(w: World, charge: Stripe.Charge): number | null {
	const row = w.chargeTxn.get(charge.id);
	return row === undefined ? null : w.ledger.row(row).rate;
}

/** Closes a dispute as won or lost; a won dispute returns the funds. */
export function resolveDispute(w: World, d: Stripe.Dispute, won: boolean): void {
	const charge = w.chargeById(typeof d.charge === 'string' ? d.charge : d.charge.id);
	if (won && charge) {
		const rate = chargeRate(w, charge);
		const settled = rate === null ? d.amount : Math.round((d.amount / 100) * rate * 100);
		const txnId = w.ledger.append({ created: w.now(), availableOn: w.now(), amount: settled, fee: 0, type: 'adjustment', category: 'dispute_reversal', exchangeRate: rate, source: d.id, description: `Chargeback reversal for ${charge.id}` });
		d.balance_transactions = [...d.balance_transactions, w.ledger.get(txnId) as Stripe.BalanceTransaction];
		w.emit('charge.dispute.funds_reinstated', d);
	}
	w.update('charge.dispute.closed', d, (o) => (o.status = won ? 'won' : 'lost'));
}

export function createRefund(w: World, p: Params): Stripe.Refund {
	p.allow(['charge', 'payment_intent', 'amount', 'reason', 'metadata', 'instructions_email', 'refund_application_fee', 'reverse_transfer', 'customer', 'origin', 'currency']);
	let chargeId = p.str('charge');
	const piId = p.str('payment_intent');
	if (!chargeId && piId) {
		const pi = w.paymentIntents.require(piId, 'payment_intent');
		if (pi.status !== 'succeeded' || !pi.latest_charge) throw invalidState(`This PaymentIntent (${pi.id}) does not have a successful charge to refund.`, 'charge_not_refundable');
		chargeId = typeof pi.latest_charge === 'string' ? pi.latest_charge : pi.latest_charge.id;
	}
	if (!chargeId) throw missingParam('charge');
	const charge = w.chargeById(chargeId);
	if (!charge) throw invalidParam('charge', `No such charge: '${chargeId}'`, 'resource_missing');
	if (charge.status !== 'succeeded') throw invalidState(`Charge ${charge.id} has not succeeded, so it cannot be refunded.`, 'charge_not_refundable');
	const remaining = charge.amount - charge.amount_refunded;
	const amount = p.int('amount') ?? remaining;
	if (amount <= 0) throw invalidParam('amount', 'Refund amount must be a positive integer.');
	if (amount > remaining) throw invalidState(`Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`, 'amount_too_large');
	if (charge.disputed) throw invalidState(`Charge ${charge.id} has been charged back; cannot issue a refund.`, 'charge_disputed');
	return refundCharge(w, charge, amount, (p.oneOf('reason', ['duplicate', 'fraudulent', 'requested_by_customer'] as const) ?? null), p.metadata({}));
}

export function refundCharge(w: World, charge: Stripe.Charge, amount: number, reason: Stripe.Refund.Reason | null, metadata: Record<string, string> = {}): Stripe.Refund {
	const id = w.id('re', 24);
	const rate = chargeRate(w, charge);
	const settled = rate === null ? amount : Math.round((amount / 100) * rate * 100);
	const txn = w.ledger.append({ created: w.now(), availableOn: w.now(), amount: -settled, fee: 0, type: 'refund', category: 'refund', exchangeRate: rate, source: id, description: 'REFUND FOR CHARGE' + (charge.description ? ` (${charge.description})` : '') });
	const refund = {
		id,
		object: 'refund',
		amount,
		balance_transaction: txn,
		charge: charge.id,
		created: w.now(),
		currency: charge.currency,
		destination_details: { card: { reference: w.ids.token(12), reference_status: 'available', reference_type: 'acquirer_reference_number', type: 'refund' }, type: 'card' },
		metadata,
		payment_intent: charge.payment_intent,
		reason,
		receipt_number: null,
		source_transfer_reversal: null,
		status: 'succeeded',
		transfer_reversal: null,
	} as unknown as Stripe.Refund;
	w.refunds.add(refund);
	w.emit('refund.created', refund);
	if (bulkRowOf(charge.id) < 0) {
		w.update('charge.refunded', charge, (o) => {
			o.amount_refunded += amount;
			o.refunded = o.amount_refunded >= o.amount;
			o.refunds = { object: 'list', data: [refund, ...(o.refunds?.data ?? [])], has_more: false, url: `/v1/charges/${o.id}/refunds` };
		});
	}
	return refund;
}

function pmOf(pi: Stripe.PaymentIntent): string | null {
	return typeof pi.payment_method === 'string' ? pi.payment_method : (pi.payment_method?.id ?? null);
}

export function registerPayments(r: Router, w: World): void {
	w.chargeById = (id) => {
		const stored = w.charges.get(id);
		if (stored) return stored;
		const row = bulkRowOf(id);
		if (row < 0 || row >= w.ledger.size()) return undefined;
		return bulkCharge(w, id, row);
	};

	r.post('/v1/payment_intents', ({ params }) => {
		params.allow(['amount', 'currency', 'customer', 'payment_method', 'confirm', 'off_session', 'description', 'metadata', 'payment_method_types', 'capture_method', 'setup_future_usage', 'receipt_email', 'statement_descriptor', 'statement_descriptor_suffix', 'automatic_payment_methods', 'error_on_requires_action', 'return_url', 'confirmation_method']);
		const amount = params.int('amount', true);
		if (amount < 50) throw invalidParam('amount', 'Amount must be at least $0.50 usd', 'amount_too_small');
		checkMaxAmount(amount);
		const currency = params.str('currency', true).toLowerCase();
		const customer = params.str('customer') ?? null;
		if (customer) w.customers.require(customer, 'customer');
		const pmParam = params.str('payment_method');
		const pm = pmParam ? resolvePaymentMethod(w, pmParam, 'payment_method') : null;
		const pi = newPaymentIntent(w, { amount, currency, customer, description: params.str('description') ?? null, metadata: params.metadata({}), paymentMethod: pm?.id ?? null });
		if (params.bool('confirm')) {
			if (!pm) throw missingParam('payment_method');
			const res = attemptPayment(w, pi, pm.id);
			if (res.error) throw res.error;
		}
		return pi;
	});
	r.get('/v1/payment_intents/:id', ({ pathParams }) => w.paymentIntents.require(pathParams.id));
	r.post('/v1/payment_intents/:id', ({ pathParams, params }) => {
		const pi = w.paymentIntents.require(pathParams.id);
		params.allow(['amount', 'currency', 'customer', 'payment_method', 'description', 'metadata', 'receipt_email', 'setup_future_usage', 'statement_descriptor']);
		return w.update(null, pi, (o) => {
			const amount = params.int('amount');
			if (amount !== undefined) {
				if (o.status === 'succeeded') throw invalidState('This PaymentIntent has already succeeded; its amount can no longer change.', 'payment_intent_unexpected_state');
				checkMaxAmount(amount);
				o.amount = amount;
			}
			const d = params.nullable('description');
			if (d !== undefined) o.description = d;
			const pm = params.str('payment_method');
			if (pm) o.payment_method = resolvePaymentMethod(w, pm, 'payment_method').id;
			o.metadata = params.metadata(o.metadata);
		});
	});
	r.post('/v1/payment_intents/:id/confirm', ({ pathParams, params }) => {
		const pi = w.paymentIntents.require(pathParams.id);
		params.allow(['payment_method', 'off_session', 'return_url', 'error_on_requires_action', 'mandate_data', 'setup_future_usage']);
		if (pi.status === 'succeeded' || pi.status === 'canceled') throw invalidState(`This PaymentIntent's status is ${pi.status}, so it cannot be confirmed.`, 'payment_intent_unexpected_state');
		const pmId = params.str('payment_method') ?? pmOf(pi);
		if (!pmId) throw invalidState('You cannot confirm this PaymentIntent because it\'s missing a payment method. Pass payment_method when confirming.', 'payment_intent_unexpected_state');
		const res = attemptPayment(w, pi, pmId);
		if (res.error) throw res.error;
		return pi;
	});
	r.post('/v1/payment_intents/:id/cancel', ({ pathParams, params }) => {
		const pi = w.paymentIntents.require(pathParams.id);
		if (pi.status === 'succeeded' || pi.status === 'canceled') throw invalidState(`You cannot cancel this PaymentIntent because it has a status of ${pi.status}.`, 'payment_intent_unexpected_state');
		w.update(null, pi, (o) => {
			o.status = 'canceled';
			o.canceled_at = w.now();
			o.cancellation_reason = (params.str('cancellation_reason') as Stripe.PaymentIntent.CancellationReason | undefined) ?? null;
		});
		w.emit('payment_intent.canceled', pi);
		return pi;
	});
	r.get('/v1/payment_intents', ({ params }) => {
		const customer = params.str('customer');
		const created = createdFilter(params);
		return w.paymentIntents.list(params, '/v1/payment_intents', (o) => (customer === undefined || o.customer === customer) && (!created || created(o.created)));
	});

	r.get('/v1/charges/:id', ({ pathParams }) => {
		const c = w.chargeById(pathParams.id);
		if (!c) throw invalidParam('id', `No such charge: '${pathParams.id}'`, 'resource_missing');
		return c;
	});
	r.post('/v1/charges/:id', ({ pathParams, params }) => {
		const c = w.charges.require(pathParams.id);
		params.allow(['description', 'metadata', 'receipt_email', 'fraud_details', 'shipping', 'transfer_group']);
		return w.update('charge.updated', c, (o) => {
			const d = params.nullable('description');
			if (d !== undefined) o.description = d;
			o.metadata = params.metadata(o.metadata);
		});
	});
	r.get('/v1/charges', ({ params }) => {
		const customer = params.str('customer');
		const pi = params.str('payment_intent');
		const created = createdFilter(params);
		return w.charges.list(params, '/v1/charges', (o) => (customer === undefined || o.customer === customer) && (pi === undefined || o.payment_intent === pi) && (!created || created(o.created)));
	});
	r.get('/v1/charges/:id/refunds', ({ pathParams, params }) => w.refunds.list(params, `/v1/charges/${pathParams.id}/refunds`, (o) => o.charge === pathParams.id));

	r.post('/v1/refunds', ({ params }) => createRefund(w, params));
	r.get('/v1/refunds/:id', ({ pathParams }) => w.refunds.require(pathParams.id));
	r.post('/v1/refunds/:id', ({ pathParams, params }) => {
		const re = w.refunds.require(pathParams.id);
		params.allow(['metadata']);
		return w.update('refund.updated', re, (o) => (o.metadata = params.metadata(o.metadata ?? {})));
	});
	r.get('/v1/refunds', ({ params }) => {
		const charge = params.str('charge');
		const pi = params.str('payment_intent');
		const created = createdFilter(params);
		return w.refunds.list(params, '/v1/refunds', (o) => (charge === undefined || o.charge === charge) && (pi === undefined || o.payment_intent === pi) && (!created || created(o.created)));
	});

	r.get('/v1/disputes/:id', ({ pathParams }) => w.disputes.require(pathParams.id));
	r.post('/v1/disputes/:id', ({ pathParams, params }) => {
		const d = w.disputes.require(pathParams.id);
		params.allow(['evidence', 'metadata', 'submit']);
		if (d.status === 'won' || d.status === 'lost') throw invalidState(`This dispute is already closed (${d.status}).`);
		w.update('charge.dispute.updated', d, (o) => {
			const ev = params.obj('evidence');
			if (ev) {
				const next = { ...o.evidence } as unknown as Record<string, unknown>;
				for (const [k, v] of Object.entries(ev.raw)) if (typeof v === 'string') next[k] = v === '' ? null : v;
				o.evidence = next as unknown as Stripe.Dispute.Evidence;
				o.evidence_details = { ...o.evidence_details, has_evidence: true };
			}
			o.metadata = params.metadata(o.metadata);
			if (params.bool('submit') ?? true) {
				if (ev) {
					o.status = 'under_review';
					o.evidence_details = { ...o.evidence_details, submission_count: o.evidence_details.submission_count + 1 };
				}
			}
		});
		// Stripe's test evidence: 'winning_evidence' / 'losing_evidence' in uncategorized_text decide the result.
		const text = (d.evidence as unknown as Record<string, unknown>).uncategorized_text;
		if (d.status === 'under_review' && (text === 'winning_evidence' || text === 'losing_evidence')) {
			w.clock.schedule(w.now() + 60, () => resolveDispute(w, d, text === 'winning_evidence'));
		}
		return d;
	});
	r.post('/v1/disputes/:id/close', ({ pathParams }) => {
		const d = w.disputes.require(pathParams.id);
		if (d.status === 'won' || d.status === 'lost') throw invalidState(`This dispute is already closed (${d.status}).`);
		resolveDispute(w, d, false);
		return d;
	});
	r.get('/v1/disputes', ({ params }) => {
		const charge = params.str('charge');
		const pi = params.str('payment_intent');
		const created = createdFilter(params);
		return w.disputes.list(params, '/v1/disputes', (o) => (charge === undefined || o.charge === charge) && (pi === undefined || o.payment_intent === pi) && (!created || created(o.created)));
	});
}

/** A charge rebuilt from a bulk seeded balance-transaction row (those are not stored as objects). */
function bulkCharge(w: World, id: string, row: number): Stripe.Charge {
	const r = w.ledger.row(row);
	const amount = r.rate ? Math.round(r.amount / r.rate) : r.amount;
	return {
		id,
		object: 'charge',
		amount,
		amount_captured: amount,
		amount_refunded: 0,
		balance_transaction: w.ledger.idOf(row),
		captured: true,
		created: r.created,
		currency: r.rate ? 'eur' : 'usd',
		customer: null,
		description: r.description,
		disputed: false,
		livemode: false,
		metadata: { sandbox_bulk: 'true' },
		paid: true,
		payment_intent: null,
		payment_method: null,
		refunded: false,
		status: 'succeeded',
	} as unknown as Stripe.Charge;
}

/**
 * Retry Payment's core: pay an open invoice now, at most once per planned attempt.
 *
 * The idempotency key is deterministic per invoice and *planned* attempt number
 * (`retry-invoice:<invoice>:<attempt>`), never per run: an n8n re-run, a retried execution or a
 * response lost after Stripe charged all send the same key, and Stripe answers the first result
 * again instead of charging twice (https://docs.stripe.com/api/idempotent_requests, read
 * 2026-12-01: results are kept for 24 hours). The attempt number comes from the plan, not from
 * `invoice.attempt_count`, which a lost response has already moved on.
 */
import type Stripe from 'stripe';

import type { StripeClient } from '../stripe/client';
import { settle, StripeCardError, StripeConnectionError } from '../stripe/errors';
import { idempotencyKey } from '../stripe/idempotency';
import { encodePath } from '../stripe/path';
import { classifyDecline, fromInvoice, type DeclineClassification } from './declines';
import { checkNetworkRules, type Attempt, type NetworkRuleOptions } from './networkRules';

/** What paying the invoice gave. */
export type RetryOutcome =
	/** The invoice is paid (by this attempt, or by an earlier answer Stripe replayed). */
	| 'paid'
	/** The invoice was already paid, voided or uncollectible: nothing was sent. */
	| 'notOpen'
	/** The card was declined; `decline` says why and what that means for the next plan. */
	| 'declined'
	/** The card-network rules refused this attempt: nothing was sent. */
	| 'refused'
	/** No answer came back (network): run again with the same attempt number; the key makes that safe. */
	| 'unknown';

export interface RetryPaymentInput {
	invoiceId: string;
	/** The planned attempt number (1 for the first retry after the failure). */
	attempt: number;
	/** Unix seconds. */
	now: number;
	/** Every earlier attempt on the card (Stripe's own retries included), for the network rules. */
	history: Attempt[];
	/** The card this attempt is made on (brand, fingerprint or payment method). */
	card: Pick<Attempt, 'brand' | 'cardFingerprint' | 'paymentMethodId'>;
	networkRules?: NetworkRuleOptions;
}

export interface RetryPaymentResult {
	outcome: RetryOutcome;
	invoiceId: string;
	attempt: number;
	idempotencyKey: string;
	/** The invoice as Stripe returned it last (after the attempt, or as read when nothing was sent). */
	invoice?: Stripe.Invoice;
	decline?: DeclineClassification;
	/** Why nothing was sent (`notOpen`, `refused`) or what is unknown. */
	reason?: string;
	violations?: Array<{ rule: string; message: string }>;
}

/** Checks the invoice and the network rules, then pays with the attempt's deterministic key. */
export async function retryPayment(client: StripeClient, input: RetryPaymentInput): Promise<RetryPaymentResult> {
	if (!Number.isInteger(input.attempt) || input.attempt < 1) {
		throw new RangeError(`Retry Payment needs the planned attempt number (a whole number from 1); got ${String(input.attempt)}.`);
	}
	const key = idempotencyKey('retry-invoice', input.invoiceId, input.attempt);
	const base = { invoiceId: input.invoiceId, attempt: input.attempt, idempotencyKey: key };
	const invoice = await client.get<Stripe.Invoice>(encodePath`/v1/invoices/${input.invoiceId}`);
	if (invoice.status !== 'open') {
		return { ...base, outcome: invoice.status === 'paid' ? 'paid' : 'notOpen', invoice, reason: `The invoice is ${invoice.status}.` };
	}
	const rules = checkNetworkRules({ ...input.card, at: input.now }, input.history, input.now, input.networkRules);
	if (!rules.allowed) {
		return {
			...base,
			outcome: 'refused',
			invoice,
			reason: rules.violations.map((v) => v.message).join(' '),
			violations: rules.violations.map((v) => ({ rule: v.rule, message: v.message })),
		};
	}
	const sent = await settle(client.post<Stripe.Invoice>(encodePath`/v1/invoices/${input.invoiceId}/pay`, {}, { idempotencyKey: key }));
	if (sent.ok) {
		const paid = sent.value;
		return { ...base, outcome: paid.status === 'paid' ? 'paid' : 'declined', invoice: paid, ...(paid.status === 'paid' ? {} : { decline: classifyDecline(fromInvoice(paid)) }) };
	}
	const error = sent.error;
	if (error instanceof StripeCardError) {
		const raw = error.raw ?? {};
		const decline = classifyDecline({ decline_code: error.declineCode ?? raw.decline_code, advice_code: error.adviceCode, network_decline_code: raw.network_decline_code });
		return { ...base, outcome: 'declined', decline, reason: error.message };
	}
	if (error instanceof StripeConnectionError) {
		return { ...base, outcome: 'unknown', reason: `No answer from Stripe (${error.message}). Run Retry Payment again with attempt ${input.attempt}: the same idempotency key cannot charge twice.` };
	}
	throw error;
}

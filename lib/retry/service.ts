/**
 * The Smart Retry node's work against Stripe (issue 8), below n8n: read a failed invoice with what
 * the planner needs, decide ({@link planRetry}), render the dunning message, take over collection
 * and record the plan in the invoice's metadata; find the invoices whose plan is due; pay one
 * ({@link retryPayment}) and plan the next attempt. The transport and the real clock are passed in.
 *
 * Time: a customer attached to a Stripe test clock lives at that clock's `frozen_time` (how Stripe
 * test mode is tested); every other customer at the real clock (`realNow`).
 *
 * The plan recorded in the invoice's metadata (our choice of names, all prefixed `revops_retry_`,
 * so they sort together in Stripe's dashboard and never collide with the merchant's own keys):
 * `revops_retry_action`, `revops_retry_at` (unix seconds, empty unless the action is `retry`),
 * `revops_retry_at_utc`, `revops_retry_attempt`, `revops_retry_stage`, `revops_retry_access`,
 * `revops_retry_planned_at`. Metadata updates carry no custom idempotency key: setting the same
 * values twice is harmless, and a re-plan at a later time must be able to set other values.
 */
import type Stripe from 'stripe';

import type { StripeClient } from '../stripe/client';
import type { FormParams } from '../stripe/form';
import { encodePath } from '../stripe/path';
import { classifyDecline, fromInvoice, type DeclineInput } from './declines';
import { renderDunningMessage, type DunningMessage, type DunningOverrides } from './dunning';
import { loadCardHistory } from './history';
import { update, type AttemptFeaturesInput, type RetryModel } from './model';
import { type Attempt, type CardRef, type NetworkRuleOptions } from './networkRules';
import { retryPayment, type RetryPaymentResult } from './pay';
import { planRetry, type PlanCard, type PlanRetryInput, type RetryPlan } from './plan';
import { idOf, isRecord } from '../ids';
import { isoSeconds } from '../iso';

const DAY = 86_400;

/** Bad input to Smart Retry (the message says what to fix); the node reports it as a NodeOperationError. */
export class RetryInputError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'RetryInputError';
	}
}

/** The metadata keys of a recorded plan. */
export const PLAN_METADATA = {
	action: 'revops_retry_action',
	at: 'revops_retry_at',
	atUtc: 'revops_retry_at_utc',
	attempt: 'revops_retry_attempt',
	stage: 'revops_retry_stage',
	access: 'revops_retry_access',
	plannedAt: 'revops_retry_planned_at',
} as const;

/** Where the dunning message's link goes. */
export type DunningLinkKind = 'hostedInvoicePage' | 'billingPortal';

export interface MessageOptions {
	/** The merchant's name in the message. */
	merchantName: string;
	/** Replace the customer's locale (Stripe's `preferred_locales[0]`, else `en`). */
	locale?: string;
	link?: DunningLinkKind;
	/** Where the billing portal sends the customer back (billing portal links only). */
	returnUrl?: string;
	overrides?: DunningOverrides;
}

export interface PlanOptions {
	/** The real clock, unix seconds (test-clock customers use their clock instead). */
	realNow: number;
	policy?: PlanRetryInput['policy'];
	model?: RetryModel;
	/** With it, candidates are scored by a Thompson draw from the model (exploration). */
	random?: () => number;
	discountPerDay?: number;
	message?: MessageOptions;
	/** Set `auto_advance=false`, so Stripe's own retries stop and this plan is the schedule. */
	takeOverCollection?: boolean;
	/** Write the plan into the invoice's metadata. */
	recordPlan?: boolean;
	/** How far back the card's attempts are read for the network rules (default 30 days, the longest rule window). */
	historyDays?: number;
}

/** A failed invoice with what the planner needs. */
export interface InvoiceContext {
	invoice: Stripe.Invoice;
	customer: Stripe.Customer | null;
	failure: DeclineInput;
	card: PlanCard;
	/** The reference time for this customer (unix seconds). */
	now: number;
	clock: { source: 'testClock' | 'realClock'; testClockId?: string };
	/** The invoice's first payment attempt (unix seconds), when its payments are known. */
	firstFailureAt?: number;
	/** The invoice's own payment intents (from its payments): only their attempts are this invoice's retries. */
	paymentIntents: string[];
	/** The default payment method changed since the failure: `failure` and `card` are the new card's, with no decline. */
	cardChanged: boolean;
}

/**
 * The invoice id an input item refers to: an `invoiceId` field, a Stripe event (snapshot
 * `data.object`), this package's trigger item (`objectType: 'invoice'`, `objectId`), a plan or a
 * retry result (`invoiceId`), or an invoice object itself. `undefined` when there is none.
 */
export function invoiceIdFromItem(json: Record<string, unknown>): string | undefined {
	const direct = json.invoiceId;
	if (typeof direct === 'string' && direct.startsWith('in_')) return direct;
	if (json.objectType === 'invoice' && typeof json.objectId === 'string') return json.objectId;
	const event = isRecord(json.event) ? json.event : json;
	const data = isRecord(event.data) ? event.data : undefined;
	const object = data && isRecord(data.object) ? data.object : undefined;
	if (object?.object === 'invoice' && typeof object.id === 'string') return object.id;
	if (json.object === 'invoice' && typeof json.id === 'string') return json.id;
	return undefined;
}

/** "Now" for a customer: its test clock's `frozen_time`, else the real clock. */
export async function customerNow(client: StripeClient, customer: Stripe.Customer | null, realNow: number): Promise<InvoiceContext['clock'] & { now: number }> {
	const clockId = idOf(customer?.test_clock);
	if (!clockId) return { now: realNow, source: 'realClock' };
	const clock = await client.get<Stripe.TestHelpers.TestClock>(encodePath`/v1/test_helpers/test_clocks/${clockId}`);
	return { now: clock.frozen_time, source: 'testClock', testClockId: clockId };
}

function cardOf(invoice: Stripe.Invoice, failure: DeclineInput): PlanCard {
	const payments = (invoice as unknown as { payments?: { data?: unknown[] } }).payments?.data ?? [];
	const newest = [...payments].sort((a, b) => Number((b as { created?: number }).created ?? 0) - Number((a as { created?: number }).created ?? 0))[0];
	const pi = isRecord(newest) && isRecord(newest.payment) && isRecord(newest.payment.payment_intent) ? newest.payment.payment_intent : undefined;
	// Stripe expands at most 4 levels, so the card comes from the error's payment method (Stripe expands it there), else the latest charge if expanded.
	const error = pi && isRecord(pi.last_payment_error) ? pi.last_payment_error : undefined;
	const pm = error && isRecord(error.payment_method) ? error.payment_method : undefined;
	const charge = pi && isRecord(pi.latest_charge) ? pi.latest_charge : undefined;
	const details =
		(pm && isRecord(pm.card) ? pm.card : undefined) ??
		(charge && isRecord(charge.payment_method_details) && isRecord(charge.payment_method_details.card) ? charge.payment_method_details.card : undefined);
	const card: PlanCard = {};
	if (failure.brand) card.brand = failure.brand;
	if (failure.fingerprint) card.fingerprint = failure.fingerprint;
	if (failure.payment_method) card.paymentMethodId = failure.payment_method;
	if (typeof details?.funding === 'string') card.funding = details.funding;
	if (typeof details?.country === 'string') card.country = details.country;
	return card;
}

/** Reads the invoice (its payments expanded down to the payment intent), its customer and the customer's clock. */
export async function loadInvoiceContext(client: StripeClient, invoiceId: string, realNow: number): Promise<InvoiceContext> {
	if (typeof invoiceId !== 'string' || !/^in_\w+$/.test(invoiceId)) {
		throw new RetryInputError(`"${String(invoiceId)}" is not a Stripe invoice id (in_…). Pass the invoice's id, or connect the trigger's invoice.payment_failed item.`);
	}
	const invoice = await client.get<Stripe.Invoice>(encodePath`/v1/invoices/${invoiceId}`, {
		expand: ['customer', 'payments.data.payment.payment_intent'],
	});
	const customer = isRecord(invoice.customer) && !(invoice.customer as { deleted?: boolean }).deleted ? (invoice.customer as Stripe.Customer) : null;
	const clock = await customerNow(client, customer, realNow);
	const { now, ...rest } = clock;
	const failure = fromInvoice(invoice);
	const invoicePayments = (invoice as unknown as { payments?: { data?: Array<{ created?: number; payment?: { payment_intent?: string | { id?: string } | null } }> } }).payments?.data ?? [];
	const payments = invoicePayments.map((p) => p.created).filter((t): t is number => typeof t === 'number');
	const firstFailureAt = payments.length ? Math.min(...payments) : undefined;
	const paymentIntents = invoicePayments.map((p) => idOf(p.payment?.payment_intent)).filter((id): id is string => typeof id === 'string');
	// The card the next attempt charges: the invoice's default payment method, else the customer's.
	// (A subscription's own default is not read: set the invoice's or the customer's.)
	const current = idOf(invoice.default_payment_method) ?? idOf(customer?.invoice_settings?.default_payment_method);
	if (current && failure.payment_method && current !== failure.payment_method) {
		// The customer changed the card since the failure: its decline says nothing about the new one,
		// which has its own network-rule history. The invoice's recovery window and dunning go on.
		const pm = await client.get<Stripe.PaymentMethod>(encodePath`/v1/payment_methods/${current}`);
		const card: PlanCard = { paymentMethodId: pm.id };
		if (pm.card?.brand) card.brand = pm.card.brand;
		if (pm.card?.fingerprint) card.fingerprint = pm.card.fingerprint;
		if (pm.card?.funding) card.funding = pm.card.funding;
		if (pm.card?.country) card.country = pm.card.country;
		const fresh: DeclineInput = { payment_method: pm.id };
		if (card.brand) fresh.brand = card.brand;
		if (card.fingerprint) fresh.fingerprint = card.fingerprint;
		return { invoice, customer, failure: fresh, card, now, clock: rest, firstFailureAt, paymentIntents, cardChanged: true };
	}
	return { invoice, customer, failure, card: cardOf(invoice, failure), now, clock: rest, firstFailureAt, paymentIntents, cardChanged: false };
}

function cardRef(ctx: InvoiceContext): CardRef {
	const ref: CardRef = {};
	if (ctx.card.fingerprint) ref.cardFingerprint = ctx.card.fingerprint;
	if (ctx.card.paymentMethodId) ref.paymentMethodId = ctx.card.paymentMethodId;
	if (ctx.card.brand) ref.brand = ctx.card.brand.toLowerCase();
	return ref;
}

/** The card's attempts at this merchant over the rules' longest window (Stripe's own retries included). */
export async function cardHistory(client: StripeClient, ctx: InvoiceContext, days = 30): Promise<Attempt[]> {
	const customerId = ctx.customer?.id ?? idOf(ctx.invoice.customer);
	if (!customerId) return [];
	return loadCardHistory(client, {
		customerId,
		paymentMethodId: ctx.card.paymentMethodId,
		fingerprint: ctx.card.fingerprint,
		since: Math.min(ctx.now - days * DAY, ctx.invoice.created ?? ctx.now),
	});
}

/** The plan as a flat JSON item (what Plan Retry outputs). */
export interface PlanItem {
	invoiceId: string;
	customerId: string | null;
	/** Where the dunning message goes: the invoice's `customer_email`, else the customer's email. */
	customerEmail: string | null;
	customerName: string | null;
	invoiceStatus: string | null;
	amountDue: number;
	amountRemaining: number;
	currency: string;
	now: { unix: number; utc: string; clock: 'testClock' | 'realClock'; testClockId?: string };
	action: RetryPlan['action'];
	retryAt: RetryPlan['retryAt'];
	attempt: number;
	predictedSuccess: number | null;
	reason: string;
	declineClass: RetryPlan['declineClass'];
	declineCode: string | null;
	decidedBy: RetryPlan['decidedBy'];
	zone: string;
	/** When the invoice's first payment failed (unix seconds). */
	firstFailureAt: number;
	dunningStage: RetryPlan['dunning']['stage'];
	accessLevel: RetryPlan['dunning']['accessLevel'];
	nextStageAt: string | null;
	suspendAt: string;
	runnerUps: RetryPlan['runnerUps'];
	explanation: string[];
	message: (DunningMessage & { link: string }) | null;
	collection: 'takenOver' | 'unchanged';
	recorded: boolean;
	/** The default payment method changed since the failure: the plan is for the new card. */
	cardChanged: boolean;
}


async function dunningLink(client: StripeClient, ctx: InvoiceContext, options: MessageOptions): Promise<string> {
	if (options.link === 'billingPortal') {
		const customerId = ctx.customer?.id ?? idOf(ctx.invoice.customer);
		if (!customerId) throw new RetryInputError(`Invoice ${ctx.invoice.id} has no customer, so no billing-portal session can be made; use the hosted invoice page.`);
		const params: Record<string, string> = { customer: customerId };
		if (options.returnUrl) params.return_url = options.returnUrl;
		const session = await client.post<{ url: string }>('/v1/billing_portal/sessions', params);
		return session.url;
	}
	if (!ctx.invoice.hosted_invoice_url) {
		throw new RetryInputError(`Invoice ${ctx.invoice.id} has no hosted invoice page (is it still a draft?); finalize it, or link to the billing portal.`);
	}
	return ctx.invoice.hosted_invoice_url;
}

/** Plans an invoice already read; writes to Stripe only as the options say. */
export async function planFromContext(client: StripeClient, ctx: InvoiceContext, options: PlanOptions, history?: Attempt[]): Promise<PlanItem> {
	return (await planWithContext(client, ctx, options, history)).item;
}

/** {@link planFromContext}, with the engine's plan beside the item (Retry Payment reads its payroll posterior). */
async function planWithContext(client: StripeClient, ctx: InvoiceContext, options: PlanOptions, history?: Attempt[]): Promise<{ item: PlanItem; plan: RetryPlan }> {
	const { invoice } = ctx;
	const base = {
		invoiceId: invoice.id as string,
		customerId: ctx.customer?.id ?? idOf(invoice.customer) ?? null,
		customerEmail: invoice.customer_email ?? ctx.customer?.email ?? null,
		customerName: invoice.customer_name ?? ctx.customer?.name ?? null,
		invoiceStatus: invoice.status ?? null,
		amountDue: invoice.amount_due,
		amountRemaining: invoice.amount_remaining,
		currency: invoice.currency,
		now: { unix: ctx.now, utc: isoSeconds(ctx.now), clock: ctx.clock.source, ...(ctx.clock.testClockId ? { testClockId: ctx.clock.testClockId } : {}) },
		cardChanged: ctx.cardChanged,
	};
	const past = history ?? (await cardHistory(client, ctx, options.historyDays));
	const customer = ctx.customer ?? {};
	const plan = planRetry({
		now: ctx.now,
		invoice: { id: invoice.id as string, amount_due: invoice.amount_due, currency: invoice.currency, attempt_count: invoice.attempt_count, created: invoice.created },
		failure: ctx.failure,
		history: past,
		customer: customer as PlanRetryInput['customer'],
		card: ctx.card,
		firstFailureAt: ctx.firstFailureAt,
		invoicePaymentIntents: ctx.paymentIntents,
		policy: options.policy,
		model: options.model,
		random: options.random,
		discountPerDay: options.discountPerDay,
	});
	if (invoice.status !== 'open') {
		// Nothing to recover: paid, void or uncollectible (or a draft not yet charged).
		const reason = `The invoice is ${invoice.status}: nothing to retry.`;
		const item: PlanItem = {
			...base,
			...planFields(plan),
			action: 'stop',
			retryAt: null,
			predictedSuccess: null,
			runnerUps: [],
			reason,
			explanation: [...plan.explanation, `Action: stop: ${reason}`],
			message: null,
			collection: 'unchanged',
			recorded: false,
		};
		return { item, plan };
	}
	let message: PlanItem['message'] = null;
	if (options.message) {
		const link = await dunningLink(client, ctx, options.message);
		const locale = options.message.locale || ctx.customer?.preferred_locales?.[0] || 'en';
		const rendered = renderDunningMessage({
			locale,
			stage: plan.dunning.stage,
			action: plan.action,
			accessLevel: plan.dunning.accessLevel,
			amountMinor: invoice.amount_remaining,
			currency: invoice.currency,
			dueDate: invoice.due_date ?? plan.dunning.suspendAt,
			nextRetryAt: plan.retryAt?.unix,
			zone: plan.zone,
			customerName: ctx.customer?.name,
			merchantName: options.message.merchantName,
			link,
			overrides: options.message.overrides,
		});
		message = { ...rendered, link };
	}
	const changes: Record<string, unknown> = {};
	if (options.takeOverCollection && invoice.auto_advance !== false) changes.auto_advance = false;
	if (options.recordPlan) changes.metadata = planMetadata(plan, ctx.now);
	if (Object.keys(changes).length > 0) await client.post(encodePath`/v1/invoices/${invoice.id as string}`, changes);
	const item: PlanItem = {
		...base,
		...planFields(plan),
		message,
		collection: options.takeOverCollection || invoice.auto_advance === false ? 'takenOver' : 'unchanged',
		recorded: options.recordPlan === true,
	};
	return { item, plan };
}

function planFields(plan: RetryPlan) {
	return {
		action: plan.action,
		retryAt: plan.retryAt,
		attempt: plan.attempt,
		predictedSuccess: plan.predictedSuccess,
		reason: plan.reason,
		declineClass: plan.declineClass,
		declineCode: plan.classification.codes.decline_code ?? null,
		decidedBy: plan.decidedBy,
		zone: plan.zone,
		firstFailureAt: plan.firstFailureAt,
		dunningStage: plan.dunning.stage,
		accessLevel: plan.dunning.accessLevel,
		nextStageAt: plan.dunning.nextStageAt === null ? null : isoSeconds(plan.dunning.nextStageAt),
		suspendAt: isoSeconds(plan.dunning.suspendAt),
		runnerUps: plan.runnerUps,
		explanation: plan.explanation,
	};
}

/** The metadata that records a plan (see the module comment). */
export function planMetadata(plan: RetryPlan, now: number): Record<string, string> {
	return {
		[PLAN_METADATA.action]: plan.action,
		[PLAN_METADATA.at]: plan.retryAt ? String(plan.retryAt.unix) : '',
		[PLAN_METADATA.atUtc]: plan.retryAt?.utc ?? '',
		[PLAN_METADATA.attempt]: String(plan.attempt),
		[PLAN_METADATA.stage]: plan.dunning.stage,
		[PLAN_METADATA.access]: plan.dunning.accessLevel,
		[PLAN_METADATA.plannedAt]: String(now),
	};
}

/** The plan recorded in an invoice's metadata, if any. */
export function recordedPlan(invoice: Pick<Stripe.Invoice, 'metadata'>): { action: string; at: number | null; attempt: number | null } | undefined {
	const m = invoice.metadata ?? {};
	const action = m[PLAN_METADATA.action];
	if (!action) return undefined;
	const at = Number(m[PLAN_METADATA.at]);
	const attempt = Number(m[PLAN_METADATA.attempt]);
	return { action, at: m[PLAN_METADATA.at] && Number.isFinite(at) ? at : null, attempt: Number.isInteger(attempt) && attempt > 0 ? attempt : null };
}

/** Reads an invoice and plans it (Plan Retry). */
export async function planInvoice(client: StripeClient, invoiceId: string, options: PlanOptions): Promise<PlanItem> {
	const ctx = await loadInvoiceContext(client, invoiceId, options.realNow);
	return planFromContext(client, ctx, options);
}

/** One invoice whose recorded plan is due. */
export interface DueRetry {
	invoiceId: string;
	customerId: string | null;
	customerEmail: string | null;
	attempt: number;
	retryAt: { unix: number; utc: string };
	now: { unix: number; clock: 'testClock' | 'realClock' };
	overdueSeconds: number;
	amountRemaining: number;
	currency: string;
}

/**
 * Open invoices whose recorded plan is a retry that is due (at or before the customer's now), oldest
 * due first. Reads every open invoice (100 a page, customers expanded), and each test clock once.
 */
export async function listDueRetries(client: StripeClient, options: { realNow: number; limit?: number; customerId?: string }): Promise<DueRetry[]> {
	const clocks = new Map<string, number>();
	const due: DueRetry[] = [];
	let startingAfter: string | undefined;
	for (;;) {
		const params: FormParams = { status: 'open', limit: 100, expand: ['data.customer'] };
		if (options.customerId) params.customer = options.customerId;
		if (startingAfter) params.starting_after = startingAfter;
		const page = await client.get<Stripe.ApiList<Stripe.Invoice>>('/v1/invoices', params as FormParams);
		for (const invoice of page.data) {
			const plan = recordedPlan(invoice);
			if (!plan || plan.action !== 'retry' || plan.at === null || plan.attempt === null) continue;
			const customer = isRecord(invoice.customer) ? (invoice.customer as Stripe.Customer) : null;
			const clockId = idOf(customer?.test_clock);
			let now = options.realNow;
			if (clockId) {
				if (!clocks.has(clockId)) clocks.set(clockId, (await customerNow(client, customer, options.realNow)).now);
				now = clocks.get(clockId) as number;
			}
			if (plan.at > now) continue;
			due.push({
				invoiceId: invoice.id as string,
				customerId: customer?.id ?? idOf(invoice.customer) ?? null,
				customerEmail: invoice.customer_email ?? customer?.email ?? null,
				attempt: plan.attempt,
				retryAt: { unix: plan.at, utc: isoSeconds(plan.at) },
				now: { unix: now, clock: clockId ? 'testClock' : 'realClock' },
				overdueSeconds: now - plan.at,
				amountRemaining: invoice.amount_remaining,
				currency: invoice.currency,
			});
		}
		if (!page.has_more || page.data.length === 0) break;
		startingAfter = page.data[page.data.length - 1].id;
	}
	due.sort((a, b) => a.retryAt.unix - b.retryAt.unix || a.invoiceId.localeCompare(b.invoiceId));
	return options.limit ? due.slice(0, options.limit) : due;
}

export interface RetryOptions extends PlanOptions {
	/** The planned attempt number; default the one recorded in the invoice's metadata. */
	attempt?: number;
	/** Refuse unless the plan (given or recorded) is a retry that is due now (default true). */
	respectSchedule?: boolean;
	/** A plan from the input item (Plan Retry's output), checked like a recorded one. */
	plan?: { action?: string; retryAt?: { unix?: number } | null; attempt?: number };
	network?: NetworkRuleOptions;
}

/** What Retry Payment outputs. */
export interface RetryItem extends Omit<RetryPaymentResult, 'invoice' | 'decline'> {
	invoiceStatus: string | null;
	amountPaid: number;
	declineCode: string | null;
	declineClass: string | null;
	now: { unix: number; utc: string; clock: 'testClock' | 'realClock' };
	/** The plan after this attempt: the next retry, or what to ask the customer (declined, refused or unknown). */
	nextPlan: PlanItem | null;
	modelUpdated: boolean;
}

/**
 * Pays a due invoice once (Retry Payment), then plans what follows. Refuses, sending nothing, when
 * the plan is not a retry, is not due yet, or the card-network rules or the decline say no. With
 * a model, the outcome of an attempt that was sent is learned (`model` is updated in place and
 * `modelUpdated` is true).
 */
export async function retryInvoice(client: StripeClient, invoiceId: string, options: RetryOptions): Promise<{ item: RetryItem; model?: RetryModel }> {
	const ctx = await loadInvoiceContext(client, invoiceId, options.realNow);
	const now = ctx.now;
	const nowField = { unix: now, utc: isoSeconds(now), clock: ctx.clock.source };
	const recorded = recordedPlan(ctx.invoice);
	const given = options.plan && (options.plan.action || options.plan.attempt) ? options.plan : undefined;
	const planAction = given?.action ?? recorded?.action;
	const planAt = given ? (given.retryAt?.unix ?? null) : (recorded?.at ?? null);
	const attempt = options.attempt ?? given?.attempt ?? recorded?.attempt ?? undefined;
	const history = await cardHistory(client, ctx, options.historyDays);
	const { item: fresh, plan: freshPlan } = await planWithContext(client, ctx, { ...options, message: undefined, takeOverCollection: false, recordPlan: false }, history);

	const refuse = (reason: string): { item: RetryItem } => ({
		item: {
			outcome: ctx.invoice.status === 'open' ? 'refused' : ctx.invoice.status === 'paid' ? 'paid' : 'notOpen',
			invoiceId,
			attempt: attempt ?? fresh.attempt,
			idempotencyKey: '',
			reason,
			invoiceStatus: ctx.invoice.status ?? null,
			amountPaid: ctx.invoice.amount_paid,
			declineCode: null,
			declineClass: null,
			now: nowField,
			nextPlan: null,
			modelUpdated: false,
		},
	});
	if (ctx.invoice.status !== 'open') return refuse(`The invoice is ${ctx.invoice.status}: nothing was sent.`);
	if (attempt === undefined) {
		throw new RetryInputError(
			`Invoice ${invoiceId} has no planned attempt number: run Plan Retry with "Record Plan in Stripe" first, connect Plan Retry's or List Due Retries' output, or set Attempt.`,
		);
	}
	if (options.respectSchedule !== false) {
		if (planAction !== undefined && planAction !== 'retry') return refuse(`The plan says "${planAction}", not a retry: nothing was sent.`);
		if (planAt !== null && planAt > now) return refuse(`The planned retry is at ${isoSeconds(planAt)}; it is ${isoSeconds(now)} for this customer: nothing was sent.`);
		if (fresh.action !== 'retry') return refuse(`${fresh.reason} Nothing was sent.`);
	}
	const result = await retryPayment(client, { invoiceId, attempt, now, history, card: cardRef(ctx), networkRules: options.network ?? options.policy?.network });
	let modelUpdated = false;
	let model = options.model;
	if (model && (result.outcome === 'paid' || result.outcome === 'declined')) {
		// An attempt Stripe answered: learn its outcome (the features the planner scored it by, and for
		// insufficient funds the customer's payroll posterior the plan used).
		const attempted: AttemptFeaturesInput = {
			at: now,
			zone: fresh.zone,
			declineClass: fresh.declineClass,
			declineCode: fresh.declineCode ?? undefined,
			brand: ctx.card.brand,
			funding: ctx.card.funding,
			country: ctx.card.country,
			firstFailureAt: fresh.firstFailureAt,
			attemptNumber: attempt - 1,
		};
		model = update(model, attempted, result.outcome === 'paid', { payrollPosterior: freshPlan.payrollPosterior });
		modelUpdated = true;
	}
	let nextPlan: PlanItem | null = null;
	if (result.outcome === 'declined' || result.outcome === 'unknown' || result.outcome === 'refused') {
		// Read the invoice again: the attempt moved attempt_count and the newest payment.
		const after = await loadInvoiceContext(client, invoiceId, options.realNow);
		nextPlan = await planFromContext(client, after, { ...options, model });
	}
	const decline = result.decline ?? (result.invoice && result.outcome === 'declined' ? classifyDecline(fromInvoice(result.invoice)) : undefined);
	const { invoice: paidInvoice, decline: _d, ...rest } = result;
	void _d;
	return {
		item: {
			...rest,
			invoiceStatus: paidInvoice?.status ?? ctx.invoice.status ?? null,
			amountPaid: paidInvoice?.amount_paid ?? ctx.invoice.amount_paid,
			declineCode: decline?.codes.decline_code ?? null,
			declineClass: decline?.class ?? null,
			now: nowField,
			nextPlan,
			modelUpdated,
		},
		model,
	};
}

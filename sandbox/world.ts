import type Stripe from 'stripe';
import { Clock, type ClockMode } from './core/clock';
import { Collection } from './core/store';
import { IdGen, Rng } from './core/rng';
import { Ledger } from './core/ledger';
import { GLOBAL_TEST_CLOCK_ID, globalTestClock } from './resources/testClocks';
import { Scenario, mergeScenario, type ScenarioParams } from './scenario';

export const API_VERSION = '2026-10-28.endive';
/** Stripe keeps events for 30 days. */
export const EVENT_RETENTION_SECONDS = 30 * 86400;
export const ACCOUNT_ID = 'acct_1SbxSandbox0000';

/** Per-request context for events (`event.request`). */
export interface RequestInfo {
	id: string | null;
	idempotency_key: string | null;
}

/** Internal state of a subscription that Stripe does not expose as-is. */
export interface SubState {
	periodStart: number;
	periodEnd: number;
	/** Bumped on every reschedule so stale timers do nothing. */
	generation: number;
}

/** Internal state of an invoice's collection. */
export interface InvoiceState {
	paymentIntent: string | null;
	firstFailureAt: number | null;
	retryIndex: number;
	generation: number;
}

export interface Meter {
	id: string;
	object: 'billing.meter';
	created: number;
	customer_mapping: { event_payload_key: string; type: 'by_id' };
	default_aggregation: { formula: 'sum' | 'count' | 'last' };
	display_name: string;
	event_name: string;
	event_time_window: 'day' | 'hour' | null;
	livemode: boolean;
	status: 'active' | 'inactive';
	status_transitions: { deactivated_at: number | null };
	updated: number;
	value_settings: { event_payload_key: string };
}

export type EventListener = (event: Stripe.Event) => void;

export class World {
	readonly clock: Clock;
	readonly ids: IdGen;
	readonly outcomes: Rng;
	/** Attempts per `card:second` so far (payments.ts keys each attempt's outcome draws by card, time and number). */
	readonly outcomeKeys = new Map<string, number>();
	readonly business: Rng;
	readonly scenario: Scenario;

	readonly customers = new Collection<Stripe.Customer>('customer');
	readonly products = new Collection<Stripe.Product>('product');
	readonly prices = new Collection<Stripe.Price>('price');
	readonly subscriptions = new Collection<Stripe.Subscription>('subscription');
	readonly invoices = new Collection<Stripe.Invoice>('invoice');
	readonly invoiceItems = new Collection<Stripe.InvoiceItem>('invoiceitem');
	readonly invoicePayments = new Collection<Stripe.InvoicePayment>('invoice payment');
	readonly paymentMethods = new Collection<Stripe.PaymentMethod>('PaymentMethod');
	readonly paymentIntents = new Collection<Stripe.PaymentIntent>('payment_intent');
	readonly charges = new Collection<Stripe.Charge>('charge');
	readonly refunds = new Collection<Stripe.Refund>('refund');
	readonly disputes = new Collection<Stripe.Dispute>('dispute');
	readonly payouts = new Collection<Stripe.Payout>('payout');
	readonly webhookEndpoints = new Collection<Stripe.WebhookEndpoint>('webhook_endpoint');
	readonly events = new Collection<Stripe.Event>('event');
	readonly meters = new Collection<Meter>('billing.meter');
	readonly testClocks = new Collection<Stripe.TestHelpers.TestClock>('test_clock');
	readonly portalSessions = new Collection<Stripe.BillingPortal.Session>('billing_portal.session');
	readonly taxRates = new Collection<Stripe.TaxRate>('tax_rate');
	readonly checkoutSessions = new Collection<Stripe.Checkout.Session>('checkout.session');
	readonly ledger: Ledger;

	readonly subState = new Map<string, SubState>();
	readonly invoiceState = new Map<string, InvoiceState>();
	/** subscription item id -> subscription id */
	readonly itemToSub = new Map<string, string>();
	/** charge id -> balance transaction row */
	readonly chargeTxn = new Map<string, number>();
	/** Stripe Tax's own rates: `country|state|jurisdiction|tax_type|percentage` -> tax rate id (one per jurisdiction and rate). */
	readonly automaticTaxRates = new Map<string, string>();
	/** Ids of deleted objects (Stripe answers `{ id, object, deleted: true }` for some). */
	readonly deletedIds = new Set<string>();

	currentRequest: RequestInfo = { id: null, idempotency_key: null };
	private listeners: EventListener[] = [];
	/** When false (bulk seeding), state changes do not create events. */
	eventsEnabled = true;

	constructor(
		readonly seed: number,
		now: number,
		scenario: Partial<ScenarioParams> = {},
		clockMode: ClockMode = 'frozen',
	) {
		this.clock = new Clock(now, clockMode);
		this.ids = new IdGen(seed);
		this.outcomes = Rng.fork(seed, 'outcomes');
		this.business = Rng.fork(seed, 'business');
		this.scenario = new Scenario(mergeScenario(scenario), seed);
		this.scenario.addressOf = (id) => this.customers.get(id)?.address ?? null;
		this.ledger = new Ledger(() => this.clock.now());
	}

	now(): number {
		return this.clock.now();
	}

	id(prefix: string, length?: number): string {
		return this.ids.id(prefix, length);
	}

	onEvent(l: EventListener): void {
		this.listeners.push(l);
	}

	/** Records one event per state change, with a snapshot of the object and the changed top-level attributes. */
	emit(type: string, object: { id?: string; object?: string }, previous?: Record<string, unknown>): Stripe.Event | null {
		if (!this.eventsEnabled) return null;
		this.pruneEvents();
		const snapshot = JSON.parse(JSON.stringify(object)) as Stripe.Event.Data.Object;
		const data: Stripe.Event.Data = { object: snapshot };
		if (previous && Object.keys(previous).length > 0) data.previous_attributes = JSON.parse(JSON.stringify(previous));
		const event = {
			id: this.id('evt', 24),
			object: 'event',
			account: undefined,
			api_version: API_VERSION,
			context: undefined,
			created: this.now(),
			data,
			livemode: false,
			pending_webhooks: 0,
			request: { id: this.currentRequest.id, idempotency_key: this.currentRequest.idempotency_key },
			type,
		} as unknown as Stripe.Event;
		delete (event as { account?: unknown }).account;
		delete (event as { context?: unknown }).context;
		this.events.add(event);
		for (const l of this.listeners) l(event);
		return event;
	}

	/** Drops events older than the 30-day retention (test-clock time). */
	pruneEvents(): void {
		this.events.pruneOldest((e) => e.created < this.now() - EVENT_RETENTION_SECONDS);
	}

	/** Runs `mutate` on an object and emits `type` with the top-level attributes that changed. */
	update<T extends object>(type: string | null, object: T, mutate: (o: T) => void): T {
		const before = JSON.parse(JSON.stringify(object)) as Record<string, unknown>;
		mutate(object);
		if (type) {
			const after = object as unknown as Record<string, unknown>;
			const previous: Record<string, unknown> = {};
			for (const k of Object.keys(after)) {
				if (JSON.stringify(before[k]) !== JSON.stringify(after[k])) previous[k] = before[k] ?? null;
			}
			if (Object.keys(previous).length > 0) this.emit(type, object as { id?: string }, previous);
		}
		return object;
	}

	/** Finds any object by id, for `expand[]`. Returns undefined for unknown prefixes or ids. */
	lookup(id: string): unknown {
		const prefix = id.slice(0, id.indexOf('_'));
		switch (prefix) {
			case 'cus':
				return this.customers.get(id);
			case 'prod':
				return this.products.get(id);
			case 'price':
				return this.prices.get(id);
			case 'sub':
				return this.subscriptions.get(id);
			case 'in':
				return this.invoices.get(id);
			case 'ii':
				return this.invoiceItems.get(id);
			case 'inpay':
				return this.invoicePayments.get(id);
			case 'pm':
				return this.paymentMethods.get(id);
			case 'pi':
				return this.paymentIntents.get(id);
			case 'ch':
				return this.chargeById(id);
			case 're':
				return this.refunds.get(id);
			case 'dp':
			case 'du':
				return this.disputes.get(id);
			case 'po':
				return this.payouts.get(id);
			case 'txn':
				return this.ledger.get(id);
			case 'we':
				return this.webhookEndpoints.get(id);
			case 'evt':
				return this.events.get(id);
			case 'mtr':
				return this.meters.get(id);
			case 'clock':
				return id === GLOBAL_TEST_CLOCK_ID ? globalTestClock(this) : this.testClocks.get(id);
			case 'bps':
				return this.portalSessions.get(id);
			case 'txr':
				return this.taxRates.get(id);
			case 'cs':
				return this.checkoutSessions.get(id);
			default:
				return undefined;
		}
	}

	/** Stored charges, plus charges rebuilt on demand for bulk seeded rows. Replaced by payments.ts. */
	chargeById: (id: string) => Stripe.Charge | undefined = (id) => this.charges.get(id);
}

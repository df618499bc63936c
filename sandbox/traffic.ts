/**
 * Live traffic for a seeded sandbox (the `npm start` demo): the business keeps going in real time.
 *
 * Start the sandbox with `clock: 'frozen'`; every `tickMs` real milliseconds the traffic advances the sandbox clock by
 * `speed` sandbox seconds (600 by default: one sandbox day in 2.4 real minutes), so renewals, Stripe's automatic
 * retries, payouts and webhook deliveries happen through the sandbox's own scheduled work. On top, on the sandbox
 * clock, it makes the life the seed stops making at "now": sign-ups (customers on the global test clock with a card,
 * a subscription on the seeded prices and the Checkout Session it came from, made by the seed's own `signUpCustomer`;
 * a share with a card that declines, so the first payment fails), declined sign-ups coming back with a new card,
 * customers with dead cards adding a new one (the next retry recovers the invoice), churn at period end and metered
 * usage for every active metered subscription. Its random draws come from their own streams
 * (`Rng.fork(seed, 'traffic')`), so a seed and the same number of ticks give the same traffic.
 *
 * Timers are fine here: the sandbox is dev tooling, not shipped.
 */
import type Stripe from 'stripe';
import { Rng } from './core/rng';
import type { Sandbox } from './index';
import { attemptInvoice } from './resources/billing';
import { meterUsage } from './resources/meters';
import type { DeclineCode } from './scenario';
import { addNewCard, findCatalog, replaceDeadCards, seedCatalog, signUpCustomer, type SeedCatalog } from './seed';
import type { World } from './world';

const HOUR = 3600;
const DAY = 86400;

export interface TrafficOptions {
	/** Sandbox seconds per tick (default 600: one sandbox day in 2.4 real minutes at the default tick). */
	speed?: number;
	/** Real milliseconds between ticks (default 1000). */
	tickMs?: number;
	/** false: no timer; only `tick()` moves the clock (tests). Default true. */
	autoStart?: boolean;
	/** Seed of the traffic's random streams (default: the sandbox's seed). */
	seed?: number;
	/** Expected sign-ups per sandbox day, a Poisson process (default 4). */
	signupsPerDay?: number;
	/** Sandbox seconds until the first sign-up (default 3 hours: 18 real seconds at the default speed). */
	firstSignupAfter?: number;
	/** The first sign-up's card is expired (`expired_card`), so a failed payment shows up early (default true). */
	firstSignupDeclines?: boolean;
	/** Share of later sign-ups whose card is in a decline condition drawn from the scenario's `declineCodes` (default 0.25). */
	declineShare?: number;
	/** Share of declined sign-ups who come back within 1-8 sandbox hours with a new card and pay (default 0.6). */
	signupRecoveryShare?: number;
	/** Share per sandbox day of customers with a dead card and an invoice in retry who add a new card (default 0.25, as the seed). */
	cardReplaceShare?: number;
	/** Expected subscriptions set to cancel at period end per sandbox day (default 0.5). */
	churnPerDay?: number;
	/** Sandbox seconds between metered usage reports for every active metered subscription (default 6 hours; 0 = none). */
	usageEvery?: number;
	/** Called for each notable thing (what traffic made, and payments and payouts the sandbox's own schedule made). */
	onActivity?: (a: TrafficActivity) => void;
}

export type TrafficActivity =
	| { kind: 'signup'; at: number; customer: string; subscription: string; plan: string; currency: string; interval: string; declined: boolean }
	| { kind: 'payment_failed'; at: number; invoice: string; customer: string; code: string; attempt: number }
	| { kind: 'invoice_paid'; at: number; invoice: string; customer: string; amount: number; currency: string; reason: string; recovered: boolean }
	| { kind: 'card_updated'; at: number; customer: string }
	| { kind: 'churn'; at: number; subscription: string; customer: string }
	| { kind: 'subscription_canceled'; at: number; subscription: string; customer: string; reason: string }
	| { kind: 'usage'; at: number; events: number; value: number }
	| { kind: 'payout_created'; at: number; payout: string; amount: number; currency: string }
	| { kind: 'payout_paid'; at: number; payout: string; amount: number; currency: string }
	| { kind: 'error'; at: number; message: string };

/** Counts since the traffic started: what it made, and what the sandbox's schedule did meanwhile. */
export interface TrafficStats {
	ticks: number;
	/** Sandbox seconds the traffic moved the clock. */
	advanced: number;
	signups: number;
	/** Sign-ups whose first payment declined. */
	declinedSignups: number;
	/** New cards added (declined sign-ups coming back, dead cards replaced). */
	cardUpdates: number;
	/** Subscriptions set to cancel at period end. */
	churned: number;
	usageEvents: number;
	/** From events: invoices paid (any reason), of which renewals, and paid after a failed attempt. */
	invoicesPaid: number;
	renewalsPaid: number;
	recoveries: number;
	paymentsFailed: number;
	subscriptionsCanceled: number;
	payoutsCreated: number;
	payoutsPaid: number;
	/** Traffic work that threw (the message goes to onActivity as kind 'error'). */
	errors: number;
}

export interface Traffic {
	readonly speed: number;
	readonly tickMs: number;
	/** Advances the sandbox clock by `speed` seconds (running what falls due, delivering webhooks); resolves when done. */
	tick(): Promise<void>;
	/** Stops the timer and the traffic's own work; the clock no longer moves. */
	stop(): void;
	stats(): TrafficStats;
}

/** Active (or trialing, or past due) subscriptions with a metered item on the meter: the customers who make usage. */
export function meteredSubscriptions(w: World, meterId: string): Stripe.Subscription[] {
	const out: Stripe.Subscription[] = [];
	for (const s of w.subscriptions.values()) {
		if (s.status !== 'active' && s.status !== 'trialing' && s.status !== 'past_due') continue;
		if (s.items.data.some((it) => it.price.recurring?.usage_type === 'metered' && it.price.recurring.meter === meterId)) out.push(s);
	}
	return out;
}

function check(name: string, v: number, min: number, max = Infinity): number {
	if (!Number.isFinite(v) || v < min || v > max) throw new Error(`traffic: ${name} must be a number between ${min} and ${max}, got ${String(v)}`);
	return v;
}

export function startTraffic(sandbox: Pick<Sandbox, 'world' | 'clock'>, opts: TrafficOptions = {}): Traffic {
	const w = sandbox.world;
	if (sandbox.clock.mode() !== 'frozen') throw new Error("traffic moves the sandbox clock itself: start the sandbox with clock: 'frozen'");
	const speed = check('speed', opts.speed ?? 600, Number.MIN_VALUE);
	const tickMs = check('tickMs', opts.tickMs ?? 1000, 1);
	const signupsPerDay = check('signupsPerDay', opts.signupsPerDay ?? 4, 0);
	const firstSignupAfter = check('firstSignupAfter', opts.firstSignupAfter ?? 3 * HOUR, 0);
	const declineShare = check('declineShare', opts.declineShare ?? 0.25, 0, 1);
	const signupRecoveryShare = check('signupRecoveryShare', opts.signupRecoveryShare ?? 0.6, 0, 1);
	const cardReplaceShare = check('cardReplaceShare', opts.cardReplaceShare ?? 0.25, 0, 1);
	const churnPerDay = check('churnPerDay', opts.churnPerDay ?? 0.5, 0);
	const usageEvery = check('usageEvery', opts.usageEvery ?? 6 * HOUR, 0);
	const seed = opts.seed ?? w.seed;
	const rng = Rng.fork(seed, 'traffic');
	const rngs = { r: rng, taxRng: Rng.fork(seed, 'traffic:tax'), checkoutRng: Rng.fork(seed, 'traffic:checkout') };
	const catalog: SeedCatalog = findCatalog(w) ?? seedCatalog(w, w.now());
	const usage = meterUsage(w);
	const base = w.customers.count();
	const hardDeclined = new Set<string>();
	const volumes = new Map<string, number>();
	const stats: TrafficStats = { ticks: 0, advanced: 0, signups: 0, declinedSignups: 0, cardUpdates: 0, churned: 0, usageEvents: 0, invoicesPaid: 0, renewalsPaid: 0, recoveries: 0, paymentsFailed: 0, subscriptionsCanceled: 0, payoutsCreated: 0, payoutsPaid: 0, errors: 0 };
	let stopped = false;
	let usageSeq = 0;

	const report = (a: TrafficActivity) => {
		try {
			opts.onActivity?.(a);
		} catch {
			// A listener's failure is not the business's.
		}
	};
	/** Schedules traffic work on the sandbox clock; it does nothing once stopped, and a failure is counted, not thrown. */
	const at = (t: number, run: () => void) => {
		w.clock.schedule(t, () => {
			if (stopped) return;
			try {
				run();
			} catch (e) {
				stats.errors++;
				report({ kind: 'error', at: w.now(), message: e instanceof Error ? e.message : String(e) });
			}
		});
	};
	/** A Poisson process: `run` at exponential gaps with `perDay` expected per sandbox day (the first at `first`, or a gap from now). */
	const every = (perDay: number, first: number | null, run: () => void) => {
		if (perDay <= 0) return;
		const gap = () => Math.max(1, Math.round(rng.exponential(DAY / perDay)));
		const next = (t: number) =>
			at(t, () => {
				run();
				next(w.now() + gap());
			});
		next(first ?? w.now() + gap());
	};

	// Sign-ups.
	every(signupsPerDay, w.now() + firstSignupAfter, () => {
		const first = stats.signups === 0;
		let decline: DeclineCode | undefined;
		if (first && (opts.firstSignupDeclines ?? true)) decline = 'expired_card';
		else if (rng.chance(declineShare)) decline = rng.weighted(w.scenario.params.declineCodes as Record<DeclineCode, number>);
		const s = signUpCustomer(w, catalog, rngs, base + stats.signups, { decline });
		stats.signups++;
		const sub = s.subscription;
		const declined = sub.status === 'incomplete';
		if (declined) stats.declinedSignups++;
		report({ kind: 'signup', at: w.now(), customer: s.customer.id, subscription: sub.id, plan: s.seats ? 'seats' : s.plan, currency: s.currency, interval: sub.items.data[0].price.recurring?.interval ?? 'month', declined });
		if (s.volume !== null) volumes.set(s.customer.id, s.volume);
		if (declined && rng.chance(signupRecoveryShare)) {
			// Back on the hosted invoice page before the incomplete subscription expires (23 h): a new card, and pay.
			at(w.now() + rng.range(1, 7) * HOUR + rng.int(HOUR), () => {
				const inv = sub.latest_invoice ? w.invoices.get(sub.latest_invoice as string) : undefined;
				if (sub.status !== 'incomplete' || !inv || inv.status !== 'open') return;
				const pm = addNewCard(w, rng, s.customer);
				stats.cardUpdates++;
				report({ kind: 'card_updated', at: w.now(), customer: s.customer.id });
				attemptInvoice(w, inv, { automatic: false, paymentMethod: pm.id });
			});
		}
	});

	// Dead cards replaced, four times a sandbox day (the seed's daily share spread over the runs).
	const replaceShare = 1 - Math.pow(1 - cardReplaceShare, 1 / 4);
	const replaceCards = (t: number) =>
		at(t, () => {
			for (const c of replaceDeadCards(w, rng, hardDeclined, replaceShare)) {
				stats.cardUpdates++;
				report({ kind: 'card_updated', at: w.now(), customer: c.id });
			}
			replaceCards(t + DAY / 4);
		});
	if (cardReplaceShare > 0) replaceCards(w.now() + DAY / 4);

	// Churn: an active subscription is set to cancel at the end of its period, as `cancel_at_period_end=true` does.
	every(churnPerDay, null, () => {
		const candidates: Stripe.Subscription[] = [];
		for (const s of w.subscriptions.values()) if (s.status === 'active' && !s.cancel_at_period_end && s.cancel_at === null) candidates.push(s);
		if (candidates.length === 0) return;
		const sub = rng.pick(candidates);
		w.update('customer.subscription.updated', sub, (o) => {
			o.cancel_at_period_end = true;
			o.cancel_at = w.subState.get(o.id)?.periodEnd ?? null;
		});
		stats.churned++;
		report({ kind: 'churn', at: w.now(), subscription: sub.id, customer: sub.customer as string });
	});

	// Metered usage: one event per active metered subscription per period, around its customer's daily volume.
	const volumeOf = (customer: string) => {
		let v = volumes.get(customer);
		if (v === undefined) volumes.set(customer, (v = Rng.fork(seed, `traffic:volume:${customer}`).range(200, 20000)));
		return v;
	};
	const reportUsage = (t: number) =>
		at(t, () => {
			let events = 0;
			let total = 0;
			for (const sub of meteredSubscriptions(w, catalog.meterId)) {
				const customer = sub.customer as string;
				const value = Math.max(0, Math.round(((volumeOf(customer) * usageEvery) / DAY) * (0.6 + rng.next() * 0.8)));
				usage.record(catalog.meterId, customer, w.now() - rng.int(usageEvery), value, `traffic_${seed}_${usageSeq++}`, w.now());
				events++;
				total += value;
			}
			stats.usageEvents += events;
			if (events > 0) report({ kind: 'usage', at: w.now(), events, value: total });
			reportUsage(t + usageEvery);
		});
	if (usageEvery > 0) reportUsage(w.now() + usageEvery);

	// What the sandbox's own schedule does meanwhile, from its events.
	w.onEvent((e) => {
		if (stopped) return;
		const o = e.data.object as unknown as Record<string, unknown>;
		switch (e.type) {
			case 'invoice.payment_failed': {
				const inv = o as unknown as Stripe.Invoice;
				stats.paymentsFailed++;
				report({ kind: 'payment_failed', at: e.created, invoice: inv.id as string, customer: inv.customer as string, code: declineCodeOf(w, inv.id as string), attempt: inv.attempt_count });
				break;
			}
			case 'invoice.paid': {
				const inv = o as unknown as Stripe.Invoice;
				const recovered = inv.attempt_count > 1;
				stats.invoicesPaid++;
				if (inv.billing_reason === 'subscription_cycle') stats.renewalsPaid++;
				if (recovered) stats.recoveries++;
				report({ kind: 'invoice_paid', at: e.created, invoice: inv.id as string, customer: inv.customer as string, amount: inv.amount_paid, currency: inv.currency, reason: inv.billing_reason ?? 'manual', recovered });
				break;
			}
			case 'customer.subscription.deleted': {
				const sub = o as unknown as Stripe.Subscription;
				stats.subscriptionsCanceled++;
				report({ kind: 'subscription_canceled', at: e.created, subscription: sub.id, customer: sub.customer as string, reason: sub.cancellation_details?.reason ?? 'cancellation_requested' });
				break;
			}
			case 'payout.created':
			case 'payout.paid': {
				const p = o as unknown as Stripe.Payout;
				if (e.type === 'payout.created') stats.payoutsCreated++;
				else stats.payoutsPaid++;
				report({ kind: e.type === 'payout.created' ? 'payout_created' : 'payout_paid', at: e.created, payout: p.id, amount: p.amount, currency: p.currency });
				break;
			}
		}
	});

	let busy: Promise<void> | null = null;
	const tick = async (): Promise<void> => {
		if (stopped) return;
		if (busy) await busy;
		if (stopped) return;
		busy = sandbox.clock.advance(speed).then(() => {
			stats.ticks++;
			stats.advanced += speed;
		});
		try {
			await busy;
		} finally {
			busy = null;
		}
	};
	let timer: ReturnType<typeof setInterval> | null = null;
	if (opts.autoStart ?? true) {
		timer = setInterval(() => {
			// A tick still running (webhook deliveries to a slow endpoint) makes the next one wait its turn, not pile up.
			if (busy) return;
			tick().catch((e: unknown) => {
				stats.errors++;
				report({ kind: 'error', at: w.now(), message: e instanceof Error ? e.message : String(e) });
			});
		}, tickMs);
		timer.unref();
	}
	return {
		speed,
		tickMs,
		tick,
		stop: () => {
			stopped = true;
			if (timer) clearInterval(timer);
			timer = null;
		},
		stats: () => ({ ...stats }),
	};
}

/** The decline code of an invoice's last failed attempt (its PaymentIntent's `last_payment_error`). */
function declineCodeOf(w: World, invoiceId: string): string {
	const piId = w.invoiceState.get(invoiceId)?.paymentIntent;
	const err = piId ? w.paymentIntents.get(piId)?.last_payment_error : null;
	return err?.decline_code ?? err?.code ?? 'declined';
}

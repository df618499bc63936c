/**
 * A small business with hand-computed answers (issue 12), January to June 2026, reporting in USD
 * with 1 EUR cent = 1.1 USD cents. MRR per customer at each month end (P0 = 31 Dec 2025, P1 = 31
 * Jan, … P6 = 30 Jun), minor units:
 *
 *   customer           currency  P0    P1     P2     P3     P4    P5    P6    what
 *   cus_a              usd       0     10000  10000  15000  15000 15000 15000 new Jan (2 seats × 50.00), upgrade to 3 seats 15 Mar
 *   cus_b              eur       8000  8000   8000   8000   5000  5000  5000  since Nov 2025, downgrade 80.00 → 50.00 on 10 Apr
 *   cus_c              usd       3000  3000   0      0      0     0     0     churns 20 Feb
 *   cus_d              usd       0     0      0      0      0     2000  2000  paid Oct–Dec 2025, reactivates 3 May
 *   cus_e              usd       0     0      4000   4000   4000  4000  4000  trial 20 Jan – 3 Feb, then 40.00
 *   cus_f              usd       0     0      8333   8333   8333  8333  8333  yearly 1,000.00 from 10 Feb: 100,000 / 12 = 8,333.33 → 8,333
 *   cus_g              usd       0     1500   1500   1500   0     0     0     5 Jan – 10 Apr (churn in Apr)
 *   cus_h              eur       0     0      0      2500   2500  2500  2500  new 8 Mar
 *   cus_t              usd       0     0      0      0      0     0     0     still in trial (trial_end 15 Jul): never MRR
 *
 * Reporting (USD cents): cus_b 8000 × 1.1 = 8800, 5000 × 1.1 = 5500; cus_h 2500 × 1.1 = 2750.
 *   P0 = 8800 + 3000 = 11800
 *   P1 = 10000 + 8800 + 3000 + 1500 = 23300
 *   P2 = 10000 + 8800 + 4000 + 8333 + 1500 = 32633
 *   P3 = 15000 + 8800 + 4000 + 8333 + 1500 + 2750 = 40383
 *   P4 = 15000 + 5500 + 4000 + 8333 + 2750 = 35583
 *   P5 = P6 = 35583 + 2000 = 37583
 */
import type { HistorySubscription, SubscriptionEventLike } from '../../../lib/analytics';

export const T = (y: number, m: number, d: number): number => Date.UTC(y, m - 1, d) / 1000;
export const FROM = T(2026, 1, 1);
export const TO = T(2026, 7, 1);
export const NOW = T(2026, 12, 1);
export const RATES = { eur: 1.1 };

type Interval = 'day' | 'week' | 'month' | 'year';
export const price = (id: string, unit: number, currency = 'usd', interval: Interval = 'month') => ({
	id,
	currency,
	unit_amount: unit,
	recurring: { interval, interval_count: 1, usage_type: 'licensed' as const },
});

export function sub(id: string, customer: string, start: number, p: ReturnType<typeof price>, quantity = 1, over: Partial<HistorySubscription> = {}): HistorySubscription {
	return { id, customer, status: 'active', currency: p.currency, created: start, start_date: start, items: { data: [{ price: p, quantity }] }, ...over };
}

export const SUBSCRIPTIONS: HistorySubscription[] = [
	sub('sub_a', 'cus_a', T(2026, 1, 10), price('price_seat', 5000), 3),
	sub('sub_b', 'cus_b', T(2025, 11, 5), price('price_b_small', 5000, 'eur')),
	sub('sub_c', 'cus_c', T(2025, 12, 1), price('price_c', 3000), 1, { status: 'canceled', canceled_at: T(2026, 2, 20), ended_at: T(2026, 2, 20) }),
	sub('sub_d1', 'cus_d', T(2025, 10, 1), price('price_d', 2000), 1, { status: 'canceled', canceled_at: T(2025, 12, 15), ended_at: T(2025, 12, 15) }),
	sub('sub_d2', 'cus_d', T(2026, 5, 3), price('price_d', 2000)),
	sub('sub_e', 'cus_e', T(2026, 1, 20), price('price_team', 4000), 1, { trial_end: T(2026, 2, 3) }),
	sub('sub_f', 'cus_f', T(2026, 2, 10), price('price_yearly', 100000, 'usd', 'year')),
	sub('sub_g', 'cus_g', T(2026, 1, 5), price('price_g', 1500), 1, { status: 'canceled', canceled_at: T(2026, 4, 1), ended_at: T(2026, 4, 10) }),
	sub('sub_h', 'cus_h', T(2026, 3, 8), price('price_h', 2500, 'eur')),
	sub('sub_t', 'cus_t', T(2026, 6, 1), price('price_team', 4000), 1, { status: 'trialing', trial_end: T(2026, 7, 15) }),
];

/** The upgrade (2 → 3 seats) and the downgrade (80.00 → 50.00 EUR), with Stripe's previous_attributes. */
export const EVENTS: SubscriptionEventLike[] = [
	{
		id: 'evt_upgrade',
		type: 'customer.subscription.updated',
		created: T(2026, 3, 15),
		data: {
			object: { ...SUBSCRIPTIONS[0] },
			previous_attributes: { items: { data: [{ price: price('price_seat', 5000), quantity: 2 }] } },
		},
	},
	{
		id: 'evt_downgrade',
		type: 'customer.subscription.updated',
		created: T(2026, 4, 10),
		data: {
			object: { ...SUBSCRIPTIONS[1] },
			previous_attributes: { items: { data: [{ price: price('price_b_large', 8000, 'eur'), quantity: 1 }] } },
		},
	},
	// Not a subscription event: ignored.
	{ id: 'evt_other', type: 'invoice.paid', created: T(2026, 2, 1), data: { object: { id: 'in_1' } } },
];

-- Revenue metrics as SQL views (Postgres 12+) over the warehouse tables of workflows/sql/schema.sql
-- (Sync Tables, lib/warehouse/sync.ts), for BI tools. A second, independent implementation of
-- lib/analytics (test/lib/warehouse/sqlMetrics.test.ts checks that both give the same numbers on a
-- synced sandbox year). Run after schema.sql: psql -f workflows/sql/metrics.sql (idempotent).
--
-- PARAMETERS (tables, filled once and edited when needed):
--   revops_settings        one row: as_of (the time the data reflects, lib/analytics' `now`: no point is
--                          evaluated after it), period_from / period_to (the UTC calendar months covering
--                          [period_from, period_to): the month of period_from up to the last month starting
--                          before period_to, as lib/analytics/shapes.ts utcMonthBoundaries), the reporting
--                          currency (lower case, 'usd') and the NRR/GRR window in months (default 12).
--                          E.g. the last 12 full months and the current one, measured now:
--                            insert into revops_settings (as_of, period_from, period_to, reporting_currency)
--                            values (now(), date_trunc('month', now(), 'UTC') - interval '12 months', now(), 'usd')
--                            on conflict (id) do update set as_of = excluded.as_of, period_from = excluded.period_from,
--                              period_to = excluded.period_to, reporting_currency = excluded.reporting_currency;
--   revops_exchange_rates  (currency, rate): minor units of the reporting currency per minor unit of the
--                          currency (as lib/crm/mrr.ts toReportingCurrency; usd reporting: eur 1.08 means
--                          1 euro cent = 1.08 US cents; mind zero-decimal currencies: jpy ≈ 0.67 cents per yen).
--                          The reporting currency itself is 1 without a row. A currency without a rate is an
--                          error that names it (revops_rate), not a silent 0.
--   (The tax rates are no parameter: Sync Tables syncs them, tax_rates, and the tax views label by them.)
--
-- VIEWS (amounts in integer minor units; ratios as fractions, 0.95 not 95 %, null when the
-- denominator is 0; periods labelled 'YYYY-MM'; point k is the start of period k, point k + 1 its end):
--   revops_periods, revops_points          the months and the evaluation time of each month end:
--                                          least(month end − 1 s, as_of), so the current month shows MRR so far.
--   revops_subscription_mrr_at(t)          (function) each subscription's MRR at t.
--   revops_customer_mrr                    per customer, point and currency: MRR at that month end.
--   revops_customer_mrr_reporting          per customer and point: MRR in the reporting currency, paying or not,
--                                          and whether it paid at a month end before point 0.
--   revops_customer_movements              per customer and month: new / expansion / contraction / churn /
--                                          reactivation, the signed change in the reporting currency.
--   revops_customer_movement_currencies    the same per currency (signed change).
--   revops_mrr_movements_by_currency       per month and currency: start, new, expansion, contraction, churn,
--                                          reactivation, end (start + new + expansion + reactivation −
--                                          contraction − churn = end, exactly).
--   revops_mrr_movements                   the same in the reporting currency, with customer counts.
--   revops_monthly_metrics                 NRR, GRR, logo churn, revenue churn, ARPA, quick ratio per month.
--   revops_cohort_retention                per signup cohort and months since: logos and revenue retained.
--   revops_invoice_charges                 the link from invoices to their charges (through invoice_payments).
--   revops_failed_payment_invoices         invoices with a failed charge, and their outcome.
--   revops_failed_payment_funnel_by_currency / revops_failed_payment_funnel   the funnel totals.
--   revops_checkout_sessions / revops_checkout_funnel   the Checkout funnel (total, by country and by price).
--   revops_tax_by_rate                     collected tax per month, tax rate (jurisdiction label) and currency.
--   revops_revenue_net_of_tax              per month and currency: gross, tax, net of tax, refunds, net revenue.
--   revops_net_revenue_reporting           net revenue per month in the reporting currency.
--   revops_unmatched_refunds               refunds tied to no paid invoice (left out of the revenue).
--
-- DEFINITIONS: the same as lib/analytics (read each module's header comment for the sources cited there):
--   - MRR (lib/crm/mrr.ts): subscriptions `active` or `past_due` count, `trialing`, `paused`, `unpaid`,
--     `canceled`, `incomplete`, `incomplete_expired` do not, nor one whose trial_end is still ahead; metered
--     prices and prices without a unit amount are left out (a subscription with no licensed item counts 0);
--     each licensed item is unit_amount × quantity per month: a year is 12 months, a week 12/52 of a month
--     (a weekly price × 52 / 12), a day 12/365 (a daily price × 365 / 12), divided by interval_count;
--     only `forever` coupons reduce MRR (percent_off of the amount, or amount_off per billing interval in the
--     subscription's currency), never below 0. Fractions are kept per subscription and rounded once per
--     customer, point and currency (half up, as JavaScript's Math.round); the reporting figure converts each
--     customer's rounded MRR per currency and rounds once.
--   - History (lib/analytics/mrrHistory.ts with NO events, which is what the warehouse has): a subscription's
--     current items, prices, discounts and status stand for its whole life; its dates shape it: nothing before
--     start_date (else created); `canceled` from ended_at on (else canceled_at when canceled now; a canceled
--     subscription with neither date is canceled throughout); a canceled subscription before its end was
--     `active` (a trial is still caught by trial_end); `trialing` after trial_end is `active`; any other
--     status is its status throughout (a subscription `unpaid` now counts for none of its months).
--   - Movements (mrrMovements, ChartMogul's definitions and Stripe's roll-forward): compare a customer's MRR at
--     the start and the end of a month: new = 0 at the start, > 0 at the end, never > 0 at an earlier month end
--     (month ends before the first period count, from the customer's first subscription start); reactivation =
--     the same after an earlier paying month end; churn = > 0 at the start, 0 at the end (the start MRR);
--     expansion / contraction = > 0 at both, the difference (per currency by its sign; a customer counts as
--     expansion when its reporting change is > 0, or 0 with a positive sum of currency changes).
--   - Metrics (monthlyMetrics, reporting currency): NRR over W months ending with month i = Σ end MRR ÷ Σ start
--     MRR of the customers paying at the end of month i − W (null for the first W − 1 months); GRR the same
--     with each end capped at its start; logo churn rate = churned customers ÷ paying at the start; revenue
--     churn rate = (churn + contraction) ÷ start MRR; ARPA = end MRR ÷ paying customers at the end (rounded);
--     quick ratio = (new + expansion + reactivation) ÷ (churn + contraction).
--   - Cohorts (cohortRetention): a customer's cohort is its first month with MRR at the end (customers paying
--     at point 0 or at an earlier month end have none); k months later: its customers paying, and their MRR.
--   - Failed payments (failedPaymentFunnel), Checkout (checkoutFunnel), tax and net revenue (taxReport): see
--     the comments at those views, with what the synced tables lack.
--
-- Times: every month is a UTC calendar month regardless of the session's TimeZone.

-- ---------------------------------------------------------------------------------------------
-- Parameters
-- ---------------------------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS revops_settings (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),  -- one row
  as_of timestamptz NOT NULL,                      -- lib/analytics' `now`
  period_from timestamptz NOT NULL,                -- first month: the UTC month containing it
  period_to timestamptz NOT NULL,                  -- months starting before it
  reporting_currency text NOT NULL DEFAULT 'usd',
  retention_window integer NOT NULL DEFAULT 12 CHECK (retention_window >= 1),
  CHECK (period_to > period_from)
);

CREATE TABLE IF NOT EXISTS revops_exchange_rates (
  currency text PRIMARY KEY,  -- lower case ISO code, as Stripe writes it
  rate numeric NOT NULL       -- minor units of the reporting currency per minor unit of `currency`
);

-- The rate of a currency into the reporting currency; an error naming the currency when it has none.
CREATE OR REPLACE FUNCTION revops_rate(cur text) RETURNS numeric
LANGUAGE plpgsql STABLE AS $$
DECLARE
  rep text;
  r numeric;
BEGIN
  SELECT reporting_currency INTO rep FROM revops_settings;
  IF cur = rep THEN RETURN 1; END IF;
  SELECT rate INTO r FROM revops_exchange_rates WHERE currency = cur;
  IF r IS NULL THEN
    RAISE EXCEPTION 'No exchange rate from % to %: add it to revops_exchange_rates.', cur, rep;
  END IF;
  RETURN r;
END $$;

-- Rounding to an integer, half up (JavaScript's Math.round, which lib/analytics uses), also for negatives.
-- The inner round(…, 12) removes numeric division's last-digit noise so exact halves stay halves.
CREATE OR REPLACE FUNCTION revops_round(x numeric) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT floor(round(x, 12) + 0.5)::bigint $$;

-- ---------------------------------------------------------------------------------------------
-- Months and month-end points
-- ---------------------------------------------------------------------------------------------

-- Period k = [period_start, period_end), UTC calendar months.
CREATE OR REPLACE VIEW revops_periods AS
SELECT (k - 1)::integer AS period_index,
       to_char(m AT TIME ZONE 'UTC', 'YYYY-MM') AS label,
       m AS period_start,
       m + interval '1 month' AS period_end
FROM (SELECT * FROM revops_settings LIMIT 1) s,  -- LIMIT 1: one row, and the planner knows it
     LATERAL generate_series(date_trunc('month', s.period_from, 'UTC'), s.period_to - interval '1 microsecond', interval '1 month') WITH ORDINALITY AS g(m, k);

-- Point k: the start of period k (k = 0 … n), evaluated at least(boundary − 1 second, as_of).
CREATE OR REPLACE VIEW revops_points AS
SELECT p.period_index AS point_index, least(p.period_start - interval '1 second', s.as_of) AS at
FROM revops_periods p, (SELECT * FROM revops_settings LIMIT 1) s
UNION ALL
SELECT p.period_index + 1, least(p.period_end - interval '1 second', s.as_of)
FROM revops_periods p, (SELECT * FROM revops_settings LIMIT 1) s
WHERE p.period_index = (SELECT max(period_index) FROM revops_periods);

-- ---------------------------------------------------------------------------------------------
-- MRR of each subscription at a time t (lib/analytics/mrrHistory.ts subscriptionAt without events,
-- then lib/crm/mrr.ts subscriptionMrr). Only subscriptions that count are returned.
-- ---------------------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION revops_subscription_mrr_at(t timestamptz)
RETURNS TABLE (subscription_id text, customer_id text, currency text, mrr numeric)
LANGUAGE sql STABLE AS $$
  WITH subs AS (
    SELECT s.*,
           coalesce(s.start_date, s.created) AS life_start,
           coalesce(s.ended_at, CASE WHEN s.status = 'canceled' THEN s.canceled_at END) AS life_end
    FROM subscriptions s
    WHERE s.customer_id IS NOT NULL
  ), state AS (
    SELECT s.*,
           CASE
             WHEN s.life_end IS NOT NULL AND t >= s.life_end THEN 'canceled'
             WHEN s.status = 'canceled' AND s.life_end IS NOT NULL THEN 'active'
             WHEN s.status = 'trialing' AND s.trial_end IS NOT NULL AND s.trial_end <= t THEN 'active'
             ELSE s.status
           END AS status_at
    FROM subs s
    WHERE s.life_start IS NULL OR t >= s.life_start
  ), counted AS (
    SELECT * FROM state
    WHERE status_at IN ('active', 'past_due') AND (trial_end IS NULL OR trial_end <= t)
  ), items AS (
    -- Licensed items: unit_amount × quantity ÷ (months per interval × interval_count), exactly.
    SELECT i.subscription_id, i.created, i.id,
           (p.unit_amount * coalesce(i.quantity, 1))::numeric
             * CASE p.recurring_interval WHEN 'year' THEN 1 / 12.0 WHEN 'week' THEN 52 / 12.0 WHEN 'day' THEN 365 / 12.0 ELSE 1 END
             / coalesce(p.recurring_interval_count, 1) AS per_month,
           CASE p.recurring_interval WHEN 'year' THEN 12 WHEN 'week' THEN 12 / 52.0 WHEN 'day' THEN 12 / 365.0 ELSE 1 END
             * coalesce(p.recurring_interval_count, 1) AS months_per_interval
    FROM subscription_items i
    JOIN prices p ON p.id = i.price_id
    WHERE p.recurring_interval IS NOT NULL AND coalesce(p.recurring_usage_type, 'licensed') <> 'metered' AND p.unit_amount IS NOT NULL
  ), amounts AS (
    SELECT c.id, c.customer_id, c.currency, c.discounts,
           sum(i.per_month) AS per_month,
           -- mrr.ts divides amount_off by the interval of the last licensed item; the warehouse has no item
           -- order, so the newest item (created, id) stands for it (all items share an interval in practice).
           (array_agg(i.months_per_interval ORDER BY i.created DESC NULLS LAST, i.id DESC))[1] AS months_per_interval
    FROM counted c
    JOIN items i ON i.subscription_id = c.id
    GROUP BY c.id, c.customer_id, c.currency, c.discounts
  ), coupons AS (
    -- Discounts in force at t with a forever coupon (or none: then no effect). Stripe returns discounts as ids
    -- unless expanded; an id is never in force (as mrr.ts), so only expanded discount objects act here.
    SELECT a.id,
           coalesce(sum(
             CASE
               WHEN coalesce((cp->>'percent_off')::numeric, 0) <> 0 THEN a.per_month * (cp->>'percent_off')::numeric / 100
               WHEN coalesce((cp->>'amount_off')::numeric, 0) <> 0 AND (cp->>'currency' IS NULL OR cp->>'currency' = '' OR cp->>'currency' = a.currency)
                 THEN (cp->>'amount_off')::numeric / a.months_per_interval
               ELSE 0
             END), 0) AS off
    FROM amounts a
    CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(a.discounts) = 'array' THEN a.discounts ELSE '[]'::jsonb END) AS d(discount)
    CROSS JOIN LATERAL (SELECT CASE
                                 WHEN jsonb_typeof(d.discount->'coupon') = 'object' THEN d.discount->'coupon'
                                 WHEN jsonb_typeof(d.discount->'source'->'coupon') = 'object' THEN d.discount->'source'->'coupon'
                               END AS cp) c
    WHERE jsonb_typeof(d.discount) = 'object'
      AND (jsonb_typeof(d.discount->'start') IS DISTINCT FROM 'number' OR (d.discount->>'start')::bigint <= extract(epoch FROM t))
      AND (jsonb_typeof(d.discount->'end') IS DISTINCT FROM 'number' OR (d.discount->>'end')::bigint > extract(epoch FROM t))
      AND (c.cp IS NULL OR c.cp->>'duration' IS NULL OR c.cp->>'duration' = 'forever')
    GROUP BY a.id
  )
  SELECT a.id, a.customer_id, a.currency, greatest(0, a.per_month - coalesce(c.off, 0))
  FROM amounts a
  LEFT JOIN coupons c ON c.id = a.id
$$;

-- ---------------------------------------------------------------------------------------------
-- Per-customer MRR at each month end
-- ---------------------------------------------------------------------------------------------

-- Customers with at least one subscription (lib/analytics/mrrHistory.ts's history rows).
CREATE OR REPLACE VIEW revops_history_customers AS
SELECT customer_id, min(coalesce(start_date, created)) AS first_start
FROM subscriptions
WHERE customer_id IS NOT NULL
GROUP BY customer_id;

-- Per customer, point and currency: MRR rounded once (only currencies with MRR ≠ 0).
CREATE OR REPLACE VIEW revops_customer_mrr AS
SELECT p.point_index, p.at, m.customer_id, m.currency, revops_round(sum(m.mrr)) AS mrr
FROM revops_points p
CROSS JOIN LATERAL revops_subscription_mrr_at(p.at) m
GROUP BY p.point_index, p.at, m.customer_id, m.currency
HAVING revops_round(sum(m.mrr)) <> 0;

-- Whether each customer had MRR at a month end before point 0 (from the month after its first start).
CREATE OR REPLACE VIEW revops_customer_paid_before AS
WITH ends AS (
  SELECT g.m - interval '1 second' AS at
  FROM (SELECT min(first_start) AS first_start FROM revops_history_customers) f,
       LATERAL generate_series(date_trunc('month', f.first_start, 'UTC') + interval '1 month',
                               (SELECT at FROM revops_points WHERE point_index = 0) + interval '1 second', interval '1 month') AS g(m)
  WHERE g.m - interval '1 second' < (SELECT at FROM revops_points WHERE point_index = 0)
), paid AS (
  SELECT DISTINCT m.customer_id
  FROM ends e
  CROSS JOIN LATERAL revops_subscription_mrr_at(e.at) m
  GROUP BY e.at, m.customer_id, m.currency
  HAVING revops_round(sum(m.mrr)) > 0
)
SELECT h.customer_id, h.first_start, (p.customer_id IS NOT NULL) AS paid_before
FROM revops_history_customers h
LEFT JOIN paid p ON p.customer_id = h.customer_id;

-- Per customer and point: MRR in the reporting currency, whether paying (MRR > 0 in some currency),
-- whether it paid at any month end up to this point (or before point 0).
-- (The views below compute each view they read once per query: MATERIALIZED common table expressions.)
CREATE OR REPLACE VIEW revops_customer_mrr_reporting AS
WITH m AS MATERIALIZED (
  SELECT point_index, customer_id, revops_round(sum(mrr * revops_rate(currency))) AS mrr_reporting, bool_or(mrr > 0) AS paying
  FROM revops_customer_mrr
  GROUP BY point_index, customer_id
), h AS MATERIALIZED (
  SELECT * FROM revops_customer_paid_before
), base AS (
  SELECT p.point_index, p.at, h.customer_id, h.paid_before, coalesce(m.mrr_reporting, 0) AS mrr_reporting, coalesce(m.paying, false) AS paying
  FROM revops_points p
  CROSS JOIN h
  LEFT JOIN m ON m.point_index = p.point_index AND m.customer_id = h.customer_id
)
SELECT point_index, at, customer_id, mrr_reporting, paying, paid_before,
       paid_before OR bool_or(paying) OVER (PARTITION BY customer_id ORDER BY point_index) AS paid_through
FROM base;

-- ---------------------------------------------------------------------------------------------
-- MRR movements
-- ---------------------------------------------------------------------------------------------

-- Per customer and month: the kind of move from the start to the end of the month.
CREATE OR REPLACE VIEW revops_customer_steps AS
WITH r AS MATERIALIZED (SELECT * FROM revops_customer_mrr_reporting)
SELECT p.period_index, p.label, b.customer_id,
       b.paying AS paying_start, a.paying AS paying_end,
       b.mrr_reporting AS start_reporting, a.mrr_reporting AS end_reporting,
       a.mrr_reporting - b.mrr_reporting AS change_reporting,
       CASE
         WHEN NOT b.paying AND a.paying THEN CASE WHEN b.paid_through THEN 'reactivation' ELSE 'new' END
         WHEN b.paying AND NOT a.paying THEN 'churn'
         WHEN b.paying AND a.paying THEN 'change'
       END AS kind
FROM revops_periods p
JOIN r b ON b.point_index = p.period_index
JOIN r a ON a.point_index = p.period_index + 1 AND a.customer_id = b.customer_id;

-- Per customer, month and currency: start and end MRR and the signed change (currencies with MRR at either end).
CREATE OR REPLACE VIEW revops_customer_currency_steps AS
WITH m AS MATERIALIZED (
  SELECT point_index, customer_id, currency, mrr FROM revops_customer_mrr
), s AS MATERIALIZED (
  SELECT period_index, customer_id, kind FROM revops_customer_steps
), pairs AS MATERIALIZED (
  SELECT p.period_index, m.customer_id, m.currency,
         coalesce(sum(m.mrr) FILTER (WHERE m.point_index = p.period_index), 0)::bigint AS start_mrr,
         coalesce(sum(m.mrr) FILTER (WHERE m.point_index = p.period_index + 1), 0)::bigint AS end_mrr
  FROM (SELECT period_index FROM revops_periods) p
  JOIN m ON m.point_index IN (p.period_index, p.period_index + 1)
  GROUP BY p.period_index, m.customer_id, m.currency
)
SELECT k.period_index, k.customer_id, k.currency, s.kind, k.start_mrr, k.end_mrr, k.end_mrr - k.start_mrr AS change
FROM pairs k
JOIN s ON s.period_index = k.period_index AND s.customer_id = k.customer_id;

-- One row per customer movement (mrrMovements' `changes`): its type and signed change in the reporting currency.
CREATE OR REPLACE VIEW revops_customer_movements AS
WITH k AS MATERIALIZED (SELECT * FROM revops_customer_currency_steps)
SELECT s.period_index, s.label, s.customer_id,
       CASE WHEN s.kind <> 'change' THEN s.kind
            WHEN s.change_reporting > 0 OR (s.change_reporting = 0 AND coalesce(c.sum_change, 0) > 0) THEN 'expansion'
            ELSE 'contraction' END AS movement,
       s.change_reporting
FROM revops_customer_steps s
LEFT JOIN (SELECT period_index, customer_id, sum(change) AS sum_change, count(*) FILTER (WHERE change <> 0) AS changed
           FROM k GROUP BY period_index, customer_id) c
  ON c.period_index = s.period_index AND c.customer_id = s.customer_id
WHERE s.kind IS NOT NULL AND (coalesce(c.changed, 0) > 0 OR s.change_reporting <> 0);

-- The same per currency: each customer's signed change per currency, with its movement type in that currency
-- (a change is expansion or contraction by the sign of that currency's change).
CREATE OR REPLACE VIEW revops_customer_movement_currencies AS
SELECT period_index, customer_id, currency,
       CASE WHEN kind <> 'change' THEN kind WHEN change > 0 THEN 'expansion' ELSE 'contraction' END AS movement,
       change
FROM revops_customer_currency_steps
WHERE kind IS NOT NULL AND change <> 0;

-- Per month and currency: the roll-forward (contraction and churn as positive amounts).
CREATE OR REPLACE VIEW revops_mrr_movements_by_currency AS
SELECT p.period_index, p.label, p.period_start, p.period_end, k.currency,
       coalesce(sum(k.start_mrr), 0)::bigint AS start_mrr,
       coalesce(sum(k.change) FILTER (WHERE k.movement = 'new'), 0)::bigint AS new_mrr,
       coalesce(sum(k.change) FILTER (WHERE k.movement = 'expansion'), 0)::bigint AS expansion_mrr,
       coalesce(-sum(k.change) FILTER (WHERE k.movement = 'contraction'), 0)::bigint AS contraction_mrr,
       coalesce(-sum(k.change) FILTER (WHERE k.movement = 'churn'), 0)::bigint AS churn_mrr,
       coalesce(sum(k.change) FILTER (WHERE k.movement = 'reactivation'), 0)::bigint AS reactivation_mrr,
       coalesce(sum(k.end_mrr), 0)::bigint AS end_mrr
FROM revops_periods p
JOIN (SELECT c.*, CASE WHEN c.kind IS NULL OR c.change = 0 THEN NULL WHEN c.kind <> 'change' THEN c.kind WHEN c.change > 0 THEN 'expansion' ELSE 'contraction' END AS movement
      FROM revops_customer_currency_steps c) k ON k.period_index = p.period_index
GROUP BY p.period_index, p.label, p.period_start, p.period_end, k.currency;

-- Per month in the reporting currency: the roll-forward and the customers (paying at the start and end, per movement).
CREATE OR REPLACE VIEW revops_mrr_movements AS
SELECT p.period_index, p.label, p.period_start, p.period_end,
       coalesce(sum(s.start_reporting), 0)::bigint AS start_mrr,
       coalesce(sum(s.change_reporting) FILTER (WHERE s.kind = 'new'), 0)::bigint AS new_mrr,
       coalesce(sum(s.change_reporting) FILTER (WHERE s.kind = 'change' AND s.change_reporting > 0), 0)::bigint AS expansion_mrr,
       coalesce(-sum(s.change_reporting) FILTER (WHERE s.kind = 'change' AND s.change_reporting < 0), 0)::bigint AS contraction_mrr,
       coalesce(-sum(s.change_reporting) FILTER (WHERE s.kind = 'churn'), 0)::bigint AS churn_mrr,
       coalesce(sum(s.change_reporting) FILTER (WHERE s.kind = 'reactivation'), 0)::bigint AS reactivation_mrr,
       coalesce(sum(s.end_reporting), 0)::bigint AS end_mrr,
       count(*) FILTER (WHERE s.paying_start) AS customers_start,
       count(*) FILTER (WHERE s.paying_end) AS customers_end,
       coalesce(max(c.customers_new), 0) AS customers_new,
       coalesce(max(c.customers_expansion), 0) AS customers_expansion,
       coalesce(max(c.customers_contraction), 0) AS customers_contraction,
       coalesce(max(c.customers_churn), 0) AS customers_churn,
       coalesce(max(c.customers_reactivation), 0) AS customers_reactivation
FROM revops_periods p
LEFT JOIN revops_customer_steps s ON s.period_index = p.period_index
LEFT JOIN (SELECT period_index,
                  count(*) FILTER (WHERE movement = 'new') AS customers_new,
                  count(*) FILTER (WHERE movement = 'expansion') AS customers_expansion,
                  count(*) FILTER (WHERE movement = 'contraction') AS customers_contraction,
                  count(*) FILTER (WHERE movement = 'churn') AS customers_churn,
                  count(*) FILTER (WHERE movement = 'reactivation') AS customers_reactivation
           FROM revops_customer_movements GROUP BY period_index) c ON c.period_index = p.period_index
GROUP BY p.period_index, p.label, p.period_start, p.period_end;

-- ---------------------------------------------------------------------------------------------
-- Monthly metrics (lib/analytics/metrics.ts monthlyMetrics), reporting currency
-- ---------------------------------------------------------------------------------------------

CREATE OR REPLACE VIEW revops_monthly_metrics AS
WITH r AS MATERIALIZED (SELECT customer_id, point_index, mrr_reporting FROM revops_customer_mrr_reporting), ret AS (
  SELECT p.period_index,
         sum(b.mrr_reporting) AS base,
         sum(a.mrr_reporting) AS net,
         sum(least(b.mrr_reporting, a.mrr_reporting)) AS gross
  FROM revops_periods p
  CROSS JOIN (SELECT * FROM revops_settings LIMIT 1) st
  JOIN r b ON b.point_index = p.period_index + 1 - st.retention_window AND b.mrr_reporting > 0
  JOIN r a ON a.point_index = p.period_index + 1 AND a.customer_id = b.customer_id
  GROUP BY p.period_index
)
SELECT m.period_index, m.label, m.period_start, m.period_end,
       m.start_mrr, m.new_mrr, m.expansion_mrr, m.contraction_mrr, m.churn_mrr, m.reactivation_mrr, m.end_mrr,
       m.customers_start, m.customers_end, m.customers_new, m.customers_expansion, m.customers_contraction, m.customers_churn, m.customers_reactivation,
       st.retention_window,
       CASE WHEN m.period_index + 1 - st.retention_window >= 0 AND r.base > 0 THEN r.net::numeric / r.base END AS nrr,
       CASE WHEN m.period_index + 1 - st.retention_window >= 0 AND r.base > 0 THEN r.gross::numeric / r.base END AS grr,
       CASE WHEN m.customers_start > 0 THEN m.customers_churn::numeric / m.customers_start END AS logo_churn_rate,
       CASE WHEN m.start_mrr <> 0 THEN (m.churn_mrr + m.contraction_mrr)::numeric / m.start_mrr END AS revenue_churn_rate,
       CASE WHEN m.customers_end > 0 THEN revops_round(m.end_mrr::numeric / m.customers_end) END AS arpa,
       CASE WHEN m.churn_mrr + m.contraction_mrr <> 0 THEN (m.new_mrr + m.expansion_mrr + m.reactivation_mrr)::numeric / (m.churn_mrr + m.contraction_mrr) END AS quick_ratio
FROM revops_mrr_movements m
CROSS JOIN (SELECT * FROM revops_settings LIMIT 1) st
LEFT JOIN ret r ON r.period_index = m.period_index;

-- ---------------------------------------------------------------------------------------------
-- Cohort retention (lib/analytics/metrics.ts cohortRetention), reporting currency
-- ---------------------------------------------------------------------------------------------

-- One row per cohort (signup month) and months since it (0 = its own month).
CREATE OR REPLACE VIEW revops_cohort_retention AS
WITH rep AS MATERIALIZED (
  SELECT * FROM revops_customer_mrr_reporting
), firsts AS (
  SELECT customer_id, min(point_index) AS first_point
  FROM rep
  WHERE paying
  GROUP BY customer_id
), members AS (
  SELECT f.customer_id, f.first_point - 1 AS cohort_period
  FROM firsts f
  JOIN rep z ON z.customer_id = f.customer_id AND z.point_index = 0
  WHERE NOT z.paid_before AND NOT z.paying AND f.first_point >= 1
), cells AS (
  SELECT m.cohort_period, q.period_index - m.cohort_period AS months_since,
         count(*) FILTER (WHERE r.paying) AS logos,
         coalesce(sum(r.mrr_reporting), 0)::bigint AS revenue
  FROM members m
  JOIN revops_periods q ON q.period_index >= m.cohort_period
  JOIN rep r ON r.customer_id = m.customer_id AND r.point_index = q.period_index + 1
  GROUP BY m.cohort_period, q.period_index
)
SELECT p.label AS cohort, c.cohort_period, c.months_since, c.logos, c.revenue,
       CASE WHEN z.logos <> 0 THEN c.logos::numeric / z.logos END AS logo_retention,
       CASE WHEN z.revenue <> 0 THEN c.revenue::numeric / z.revenue END AS revenue_retention
FROM cells c
JOIN revops_periods p ON p.period_index = c.cohort_period
JOIN cells z ON z.cohort_period = c.cohort_period AND z.months_since = 0;

-- ---------------------------------------------------------------------------------------------
-- Failed-payment funnel (lib/analytics/payments.ts failedPaymentFunnel)
-- ---------------------------------------------------------------------------------------------

-- The charges of each invoice, as lib/analytics/payments.ts chargesByInvoice: through the invoice's payments
-- (invoice_payments, Stripe's invoice.payments of 2025-03-31 and later, every status): a charge named by a
-- payment's charge_id belongs to that invoice, else a charge whose PaymentIntent a payment names (every retry
-- of an invoice is a new charge on the same PaymentIntent). A charge of no invoice payment has no invoice.
-- Should two invoices name the same charge or PaymentIntent, the oldest invoice (created, id) has it
-- (lib/analytics: the last of Stripe's newest-first list). The older invoice.payment_intent / invoice.charge /
-- charge.invoice fields lib/analytics also reads are not synced (API versions before 2025-03-31).
CREATE OR REPLACE VIEW revops_invoice_charges AS
SELECT l.invoice_id, c.id AS charge_id
FROM charges c
CROSS JOIN LATERAL (
  SELECT coalesce(
           (SELECT p.invoice_id FROM invoice_payments p JOIN invoices i ON i.id = p.invoice_id
            WHERE p.charge_id = c.id ORDER BY i.created, i.id LIMIT 1),
           (SELECT p.invoice_id FROM invoice_payments p JOIN invoices i ON i.id = p.invoice_id
            WHERE c.payment_intent_id IS NOT NULL AND p.payment_intent_id = c.payment_intent_id ORDER BY i.created, i.id LIMIT 1)) AS invoice_id
) l
WHERE l.invoice_id IS NOT NULL;

-- Invoices with at least one failed charge, and their outcome:
-- recovered by retry (a later charge succeeded on the payment method of the first failed one), by card update
-- (a later success on another payment method), otherwise (paid without a succeeding charge); void;
-- uncollectible; churned (open while its subscription is canceled, incomplete_expired or ended); pending.
-- The payment method is compared by id only: the warehouse has no card fingerprint (lib/analytics falls back
-- to it for a charge without a payment method id).
CREATE OR REPLACE VIEW revops_failed_payment_invoices AS
WITH ch AS (
  SELECT l.invoice_id, c.*, row_number() OVER (PARTITION BY l.invoice_id ORDER BY c.created, c.id) AS n
  FROM revops_invoice_charges l
  JOIN charges c ON c.id = l.charge_id
), first_failed AS (
  SELECT DISTINCT ON (invoice_id) invoice_id, id, created, amount, payment_method_id, n
  FROM ch WHERE status = 'failed'
  ORDER BY invoice_id, n
), success AS (
  SELECT DISTINCT ON (c.invoice_id) c.invoice_id, c.id, c.payment_method_id, coalesce(c.amount_captured, c.amount) AS amount
  FROM ch c
  JOIN first_failed f ON f.invoice_id = c.invoice_id
  WHERE c.created >= f.created AND c.n <> f.n AND c.status = 'succeeded'
  ORDER BY c.invoice_id, c.n
), inv AS (
  SELECT i.*,
         coalesce(i.subscription_id, (SELECT min(li.subscription_id) FROM invoice_line_items li WHERE li.invoice_id = i.id)) AS sub_id
  FROM invoices i
)
SELECT i.id AS invoice_id, i.customer_id, i.sub_id AS subscription_id, i.currency, f.created AS first_failure_at,
       (SELECT count(*) FROM ch WHERE ch.invoice_id = i.id AND ch.status = 'failed') AS failed_attempts,
       CASE
         WHEN s.id IS NOT NULL THEN CASE WHEN s.payment_method_id IS NOT NULL AND f.payment_method_id IS NOT NULL AND s.payment_method_id = f.payment_method_id
                                         THEN 'recoveredByRetry' ELSE 'recoveredByCardUpdate' END
         WHEN i.status = 'paid' THEN 'recoveredOther'
         WHEN i.status = 'void' THEN 'void'
         WHEN i.status = 'uncollectible' THEN 'uncollectible'
         WHEN sub.status IN ('canceled', 'incomplete_expired') OR sub.ended_at IS NOT NULL THEN 'churned'
         ELSE 'pending'
       END AS outcome,
       coalesce(i.amount_due, f.amount) AS amount_failed,
       CASE WHEN s.id IS NOT NULL THEN s.amount WHEN i.status = 'paid' THEN coalesce(i.amount_paid, i.amount_due, 0) ELSE 0 END AS amount_recovered
FROM inv i
JOIN first_failed f ON f.invoice_id = i.id
LEFT JOIN success s ON s.invoice_id = i.id
LEFT JOIN subscriptions sub ON sub.id = i.sub_id;

-- Stages: failed, recovered, lost (churned + uncollectible + void) and each outcome, per currency. Amount: what
-- failed (amount_due), or for the recovered stages what was recovered. recovery_rate (on the `failed` row):
-- recovered ÷ failed amount.
CREATE OR REPLACE VIEW revops_failed_payment_funnel_by_currency AS
WITH staged AS (
  SELECT 'failed' AS stage, currency, amount_failed AS amount FROM revops_failed_payment_invoices
  UNION ALL
  SELECT outcome, currency, CASE WHEN outcome LIKE 'recovered%' THEN amount_recovered ELSE amount_failed END FROM revops_failed_payment_invoices
  UNION ALL
  SELECT 'recovered', currency, amount_recovered FROM revops_failed_payment_invoices WHERE outcome LIKE 'recovered%'
  UNION ALL
  SELECT 'lost', currency, amount_failed FROM revops_failed_payment_invoices WHERE outcome IN ('churned', 'uncollectible', 'void')
), totals AS (
  SELECT stage, currency, count(*) AS invoices, sum(amount)::bigint AS amount FROM staged GROUP BY stage, currency
)
SELECT t.stage, t.currency, t.invoices, t.amount,
       CASE WHEN t.stage = 'failed' AND t.amount > 0
            THEN coalesce((SELECT r.amount FROM totals r WHERE r.stage = 'recovered' AND r.currency = t.currency), 0)::numeric / t.amount END AS recovery_rate
FROM totals t;

-- The same over all currencies: invoices, and the amount in the reporting currency (each stage's per-currency
-- totals converted and rounded once). Every stage has a row (0 when empty).
CREATE OR REPLACE VIEW revops_failed_payment_funnel AS
WITH stages(stage, ord) AS (
  VALUES ('failed', 1), ('recovered', 2), ('lost', 3), ('recoveredByRetry', 4), ('recoveredByCardUpdate', 5), ('recoveredOther', 6),
         ('churned', 7), ('uncollectible', 8), ('void', 9), ('pending', 10)
), totals AS (
  SELECT s.stage, s.ord,
         coalesce(sum(f.invoices), 0)::bigint AS invoices,
         coalesce(revops_round(sum(f.amount * CASE WHEN f.currency IS NULL THEN 0 ELSE revops_rate(f.currency) END)), 0) AS amount_reporting
  FROM stages s
  LEFT JOIN revops_failed_payment_funnel_by_currency f ON f.stage = s.stage
  GROUP BY s.stage, s.ord
)
SELECT t.stage, t.invoices, t.amount_reporting,
       CASE WHEN t.stage = 'failed' AND t.amount_reporting > 0
            THEN (SELECT r.amount_reporting FROM totals r WHERE r.stage = 'recovered')::numeric / t.amount_reporting END AS recovery_rate
FROM totals t
ORDER BY t.ord;

-- ---------------------------------------------------------------------------------------------
-- Checkout funnel (lib/analytics/checkout.ts checkoutFunnel)
-- ---------------------------------------------------------------------------------------------

-- Each session: its country (customer_details' address, else the customer's, upper case, else 'unknown'),
-- completed (status complete) and paid: a subscription session's subscription's first invoice with an amount
-- due (trial 0.00 invoices skipped) is paid; else the session's own invoice is paid; a session with neither:
-- payment_status paid with amount_total > 0. Its prices (checkout.ts: each line item's price; a session with two
-- counts under both): price is the first line item's (price_id; null without line items), line_items their
-- number, prices all of them (empty without line items).
-- price_ids holds every line item's price, in order (Sync Tables lists the sessions with their line items).
CREATE OR REPLACE VIEW revops_checkout_sessions AS
WITH inv AS (
  SELECT i.*, coalesce(i.subscription_id, (SELECT min(li.subscription_id) FROM invoice_line_items li WHERE li.invoice_id = i.id)) AS sub_id
  FROM invoices i
), first_paid_invoice AS (
  SELECT DISTINCT ON (sub_id) sub_id, id, status
  FROM inv
  WHERE sub_id IS NOT NULL AND coalesce(amount_due, total, 0) > 0
  ORDER BY sub_id, created, id
)
SELECT s.id AS session_id, s.created,
       coalesce(upper(coalesce(nullif(s.customer_details_address_country, ''), nullif(c.address_country, ''))), 'unknown') AS country,
       s.status = 'complete' AS completed,
       CASE
         WHEN s.status IS DISTINCT FROM 'complete' THEN false
         WHEN s.subscription_id IS NOT NULL THEN coalesce(f.status = 'paid', false)
         WHEN s.invoice_id IS NOT NULL THEN coalesce(si.status = 'paid', false)
         ELSE s.payment_status = 'paid' AND coalesce(s.amount_total, 0) > 0
       END AS paid,
       s.price_id AS price,
       coalesce(s.line_items_count, 0) AS line_items,
       CASE
         WHEN jsonb_typeof(s.price_ids) = 'array' THEN ARRAY(SELECT p FROM jsonb_array_elements_text(s.price_ids) WITH ORDINALITY AS x(p, n) WHERE p IS NOT NULL ORDER BY n)
         WHEN s.price_id IS NULL THEN '{}'::text[]
         ELSE ARRAY[s.price_id]
       END AS prices
FROM checkout_sessions s
LEFT JOIN customers c ON c.id = s.customer_id
LEFT JOIN first_paid_invoice f ON f.sub_id = s.subscription_id
LEFT JOIN invoices si ON si.id = s.invoice_id;

-- Stages per dimension ('total'; 'country' or 'price' with its value, 'unknown' for a session without line
-- items): created → completed → paid, with completion_rate = completed ÷ created and payment_rate = paid ÷ completed.
CREATE OR REPLACE VIEW revops_checkout_funnel AS
WITH grouped AS (
  SELECT 'total' AS dimension, 'total' AS value, count(*) AS created, count(*) FILTER (WHERE completed) AS completed, count(*) FILTER (WHERE paid) AS paid
  FROM revops_checkout_sessions
  UNION ALL
  SELECT 'country', country, count(*), count(*) FILTER (WHERE completed), count(*) FILTER (WHERE paid)
  FROM revops_checkout_sessions
  GROUP BY country
  UNION ALL
  SELECT 'price', p.price, count(*), count(*) FILTER (WHERE completed), count(*) FILTER (WHERE paid)
  FROM revops_checkout_sessions s
  CROSS JOIN LATERAL unnest(CASE WHEN cardinality(s.prices) > 0 THEN s.prices ELSE ARRAY['unknown'] END) AS p(price)
  GROUP BY p.price
)
SELECT dimension, value, created, completed, paid,
       CASE WHEN created > 0 THEN completed::numeric / created END AS completion_rate,
       CASE WHEN completed > 0 THEN paid::numeric / completed END AS payment_rate
FROM grouped;

-- ---------------------------------------------------------------------------------------------
-- Tax and revenue net of tax (lib/analytics/tax.ts taxReport, monthly)
-- ---------------------------------------------------------------------------------------------

-- Each paid invoice's tax lines (total_taxes with a tax rate), in the UTC month of payment (paid_at, else created).
CREATE OR REPLACE VIEW revops_invoice_taxes AS
SELECT i.id AS invoice_id, i.currency, to_char(coalesce(i.paid_at, i.created) AT TIME ZONE 'UTC', 'YYYY-MM') AS period,
       coalesce(t.tax->'tax_rate_details'->>'tax_rate', t.tax->'tax_rate_details'->'tax_rate'->>'id') AS tax_rate_id,
       coalesce((t.tax->>'amount')::bigint, 0) AS amount,
       coalesce((t.tax->>'taxable_amount')::bigint, 0) AS taxable
FROM invoices i
CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(i.total_taxes) = 'array' THEN i.total_taxes ELSE '[]'::jsonb END) AS t(tax)
WHERE i.status = 'paid' AND jsonb_typeof(t.tax->'tax_rate_details'->'tax_rate') IN ('string', 'object');

-- Collected tax per month, jurisdiction label and currency (lib/export/tax.ts taxSummary): the label is
-- taxLabel's `<country>-<state> <TAX TYPE> <percentage>%` from the synced tax_rates (the percentage is the
-- effective_percentage, else percentage, as lib/analytics/tax.ts toTaxRateInfo; the type tax_type, else
-- display_name, else 'Tax'); a rate not synced (yet) is labelled with its id (lib/analytics stops with an error).
CREATE OR REPLACE VIEW revops_tax_by_rate AS
WITH rates AS (
  SELECT id, display_name, jurisdiction, country, state, tax_type, coalesce(effective_percentage, percentage, 0) AS percentage
  FROM tax_rates
), labelled AS (
  SELECT t.*, r.country, r.state, r.tax_type, r.percentage,
         CASE WHEN r.id IS NULL THEN t.tax_rate_id
              ELSE coalesce(nullif(concat_ws('-', nullif(r.country, ''), nullif(r.state, '')), ''), nullif(r.jurisdiction, ''), 'XX')
                   || ' ' || upper(replace(coalesce(r.tax_type, r.display_name, 'Tax'), '_', ' '))
                   || ' ' || trim_scale(r.percentage)::text || '%'
         END AS jurisdiction
  FROM revops_invoice_taxes t
  LEFT JOIN rates r ON r.id = t.tax_rate_id
)
SELECT period, jurisdiction, currency,
       min(country) AS country, min(state) AS state, min(tax_type) AS tax_type, min(percentage) AS rate,
       sum(taxable)::bigint AS taxable, sum(amount)::bigint AS tax, count(DISTINCT invoice_id) AS invoices
FROM labelled
GROUP BY period, jurisdiction, currency;

-- Paid invoices' totals and tax, keyed by the payments that paid them: each invoice payment's PaymentIntent and
-- charge (lib/analytics/shapes.ts invoicePaymentRefs, every payment status).
CREATE OR REPLACE VIEW revops_paid_invoice_refs AS
WITH paid AS (
  SELECT i.id, i.created, coalesce(i.total, i.amount_paid, 0) AS total,
         coalesce((SELECT sum(t.amount) FROM revops_invoice_taxes t WHERE t.invoice_id = i.id), 0) AS tax
  FROM invoices i WHERE i.status = 'paid'
)
SELECT p.id AS invoice_id, p.total, p.tax, ip.charge_id, ip.payment_intent_id, p.created AS invoice_created
FROM paid p
JOIN invoice_payments ip ON ip.invoice_id = p.id
WHERE ip.charge_id IS NOT NULL OR ip.payment_intent_id IS NOT NULL;

-- Succeeded refunds with the paid invoice they refund (through the PaymentIntent, else the charge; the oldest
-- paid invoice should two name the same one, as lib/analytics).
CREATE OR REPLACE VIEW revops_refunds_matched AS
SELECT r.id AS refund_id, r.amount, r.currency, to_char(r.created AT TIME ZONE 'UTC', 'YYYY-MM') AS period,
       coalesce(
         (SELECT x.invoice_id FROM revops_paid_invoice_refs x WHERE r.payment_intent_id IS NOT NULL AND x.payment_intent_id = r.payment_intent_id ORDER BY x.invoice_created, x.invoice_id LIMIT 1),
         (SELECT x.invoice_id FROM revops_paid_invoice_refs x WHERE r.charge_id IS NOT NULL AND x.charge_id = r.charge_id ORDER BY x.invoice_created, x.invoice_id LIMIT 1)) AS invoice_id
FROM refunds r
WHERE r.status IS NULL OR r.status = 'succeeded';

CREATE OR REPLACE VIEW revops_unmatched_refunds AS
SELECT refund_id, amount, currency, period FROM revops_refunds_matched WHERE invoice_id IS NULL;

-- Per month (of payment; refunds in the month they were made) and currency: paid invoices, gross (their total,
-- tax included), tax, net of tax = gross − tax, refunded, the refunds' tax share (each refund × its invoice's
-- tax ÷ total, rounded per refund), net revenue = net of tax − (refunded − refunded tax).
CREATE OR REPLACE VIEW revops_revenue_net_of_tax AS
WITH inv AS (
  SELECT to_char(coalesce(i.paid_at, i.created) AT TIME ZONE 'UTC', 'YYYY-MM') AS period, i.currency,
         count(*) AS invoices, sum(coalesce(i.total, i.amount_paid, 0)) AS gross,
         sum(coalesce((SELECT sum(t.amount) FROM revops_invoice_taxes t WHERE t.invoice_id = i.id), 0)) AS tax
  FROM invoices i WHERE i.status = 'paid'
  GROUP BY 1, 2
), rf AS (
  SELECT m.period, m.currency, sum(m.amount) AS refunded,
         sum(CASE WHEN x.total > 0 THEN revops_round(m.amount::numeric * x.tax / x.total) ELSE 0 END) AS refunded_tax
  FROM revops_refunds_matched m
  JOIN (SELECT DISTINCT invoice_id, total, tax FROM revops_paid_invoice_refs) x ON x.invoice_id = m.invoice_id
  GROUP BY 1, 2
)
SELECT coalesce(inv.period, rf.period) AS period, coalesce(inv.currency, rf.currency) AS currency,
       coalesce(inv.invoices, 0) AS invoices,
       coalesce(inv.gross, 0)::bigint AS gross,
       coalesce(inv.tax, 0)::bigint AS tax,
       (coalesce(inv.gross, 0) - coalesce(inv.tax, 0))::bigint AS net_of_tax,
       coalesce(rf.refunded, 0)::bigint AS refunded,
       coalesce(rf.refunded_tax, 0)::bigint AS refunded_tax,
       (coalesce(inv.gross, 0) - coalesce(inv.tax, 0) - (coalesce(rf.refunded, 0) - coalesce(rf.refunded_tax, 0)))::bigint AS net_revenue
FROM inv
FULL OUTER JOIN rf ON rf.period = inv.period AND rf.currency = inv.currency;

-- Net revenue per month in the reporting currency (the month's per-currency net revenues converted, rounded once).
CREATE OR REPLACE VIEW revops_net_revenue_reporting AS
SELECT period, revops_round(sum(net_revenue * revops_rate(currency))) AS net_revenue_reporting
FROM revops_revenue_net_of_tax
GROUP BY period;

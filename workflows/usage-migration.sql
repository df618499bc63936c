-- Tables for the "Stripe usage metering" template (workflows/stripe-usage-metering.json).
-- Run once on the product's PostgreSQL (psql -f workflows/usage-migration.sql, or any migration tool); it is
-- idempotent (IF NOT EXISTS, ON CONFLICT DO NOTHING), so running it again changes nothing.
--
-- How the template uses them, every 5 minutes:
--   1. reads the usage_events rows of its meter with id > usage_export_state.last_id (oldest first, at most
--      10,000 a run, and only rows recorded at least a minute ago, see recorded_at below);
--   2. reports them with Stripe RevOps Usage Report, each with the identifier "<event_name>:<id>";
--   3. only when no event failed, moves last_id to the highest id it sent (never backwards: GREATEST).
-- A crash or an error between 2 and 3 leaves last_id where it was: the next run reads the same rows again and
-- sends them with the same identifiers, which Stripe drops as duplicates (it keeps identifiers at least 24
-- hours). So every row is billed once, as long as the workflow runs again within that window.

-- One row per unit of usage the product records (an API call, a batch of GB-hours, ...).
CREATE TABLE IF NOT EXISTS usage_events (
	-- Monotonic row id: the high-water mark, and the meter event's identifier ("api_calls:42"). Never reuse one.
	id bigserial PRIMARY KEY,
	-- The Stripe customer the usage is billed to (cus_...).
	stripe_customer_id text NOT NULL CHECK (stripe_customer_id LIKE 'cus\_%'),
	-- The Stripe meter's event_name (one template copy per meter reads its own rows).
	event_name text NOT NULL CHECK (length(event_name) BETWEEN 1 AND 100),
	-- The usage amount (what a sum meter adds up; a count meter counts rows instead). Non-negative: a negative
	-- row is rejected unless the node's "Allow Negative Values" is on.
	value numeric NOT NULL DEFAULT 1,
	-- When the usage happened: sent as the meter event's timestamp. Stripe takes events up to 35 days old and at
	-- most 5 minutes in the future; older rows are reported as rejected (and skipped) by the node.
	occurred_at timestamptz NOT NULL DEFAULT now(),
	-- When the row was written (its transaction's start). The template reads a row only once it is a minute old,
	-- and stops its batch before the first younger row: an insert transaction that took a lower id but commits
	-- after a higher one is still picked up, as long as such transactions last under a minute.
	recorded_at timestamptz NOT NULL DEFAULT now()
);

-- The template's read: its meter's rows after the mark, in id order.
CREATE INDEX IF NOT EXISTS usage_events_event_name_id ON usage_events (event_name, id);

-- One high-water mark per exported meter: the highest usage_events.id already reported to Stripe.
CREATE TABLE IF NOT EXISTS usage_export_state (
	-- The meter's event_name.
	name text PRIMARY KEY,
	last_id bigint NOT NULL DEFAULT 0 CHECK (last_id >= 0),
	updated_at timestamptz NOT NULL DEFAULT now()
);

-- The template's meter. To start metering from now on instead of from the first row, set last_id to
-- (SELECT coalesce(max(id), 0) FROM usage_events) here.
INSERT INTO usage_export_state (name, last_id) VALUES ('api_calls', 0) ON CONFLICT (name) DO NOTHING;

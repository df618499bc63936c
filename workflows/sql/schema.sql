-- Warehouse tables for Stripe data, written by the Stripe RevOps Revenue Analytics node's Sync Tables.
-- Generated from lib/warehouse/tables.ts: npx tsx scripts/warehouse-schema.ts (a test checks it is current).
-- Named and shaped like Stripe Sigma's tables: one row per object, <field>_id for related objects, nested
-- fields flattened with _, times as timestamptz, amounts in integer minor units with their currency.
-- Run once: psql -f workflows/sql/schema.sql (every statement is IF NOT EXISTS).

CREATE TABLE IF NOT EXISTS "customers" (
  "id" text PRIMARY KEY,
  "created" timestamptz,
  "livemode" boolean,
  "email" text,
  "name" text,
  "description" text,
  "phone" text,
  "currency" text,
  "balance" bigint,
  "delinquent" boolean,
  "address_city" text,
  "address_country" text,
  "address_line1" text,
  "address_line2" text,
  "address_postal_code" text,
  "address_state" text,
  "preferred_locales" jsonb,
  "tax_exempt" text,
  "default_payment_method_id" text,
  "test_clock_id" text,
  "metadata" jsonb,
  "deleted" boolean,
  "synced_at" timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS "customers_created_idx" ON "customers" ("created");
CREATE INDEX IF NOT EXISTS "customers_default_payment_method_id_idx" ON "customers" ("default_payment_method_id");
CREATE INDEX IF NOT EXISTS "customers_test_clock_id_idx" ON "customers" ("test_clock_id");
CREATE TABLE IF NOT EXISTS "products" (
  "id" text PRIMARY KEY,
  "created" timestamptz,
  "livemode" boolean,
  "updated" timestamptz,
  "name" text,
  "description" text,
  "active" boolean,
  "type" text,
  "default_price_id" text,
  "tax_code" text,
  "unit_label" text,
  "metadata" jsonb,
  "deleted" boolean,
  "synced_at" timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS "products_created_idx" ON "products" ("created");
CREATE INDEX IF NOT EXISTS "products_default_price_id_idx" ON "products" ("default_price_id");
CREATE TABLE IF NOT EXISTS "prices" (
  "id" text PRIMARY KEY,
  "created" timestamptz,
  "livemode" boolean,
  "product_id" text,
  "active" boolean,
  "currency" text,
  "unit_amount" bigint,
  "unit_amount_decimal" numeric,
  "type" text,
  "billing_scheme" text,
  "nickname" text,
  "lookup_key" text,
  "recurring_interval" text,
  "recurring_interval_count" integer,
  "recurring_usage_type" text,
  "recurring_meter" text,
  "tax_behavior" text,
  "metadata" jsonb,
  "deleted" boolean,
  "synced_at" timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS "prices_created_idx" ON "prices" ("created");
CREATE INDEX IF NOT EXISTS "prices_product_id_idx" ON "prices" ("product_id");
CREATE TABLE IF NOT EXISTS "subscriptions" (
  "id" text PRIMARY KEY,
  "created" timestamptz,
  "livemode" boolean,
  "customer_id" text,
  "status" text,
  "currency" text,
  "start_date" timestamptz,
  "billing_cycle_anchor" timestamptz,
  "cancel_at" timestamptz,
  "cancel_at_period_end" boolean,
  "canceled_at" timestamptz,
  "ended_at" timestamptz,
  "trial_start" timestamptz,
  "trial_end" timestamptz,
  "collection_method" text,
  "days_until_due" integer,
  "default_payment_method_id" text,
  "latest_invoice_id" text,
  "pause_collection_behavior" text,
  "cancellation_details_reason" text,
  "cancellation_details_feedback" text,
  "discounts" jsonb,
  "metadata" jsonb,
  "synced_at" timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS "subscriptions_created_idx" ON "subscriptions" ("created");
CREATE INDEX IF NOT EXISTS "subscriptions_customer_id_idx" ON "subscriptions" ("customer_id");
CREATE INDEX IF NOT EXISTS "subscriptions_default_payment_method_id_idx" ON "subscriptions" ("default_payment_method_id");
CREATE INDEX IF NOT EXISTS "subscriptions_latest_invoice_id_idx" ON "subscriptions" ("latest_invoice_id");
CREATE TABLE IF NOT EXISTS "subscription_items" (
  "id" text PRIMARY KEY,
  "created" timestamptz,
  "subscription_id" text,
  "price_id" text,
  "product_id" text,
  "quantity" bigint,
  "current_period_start" timestamptz,
  "current_period_end" timestamptz,
  "discounts" jsonb,
  "metadata" jsonb,
  "synced_at" timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS "subscription_items_created_idx" ON "subscription_items" ("created");
CREATE INDEX IF NOT EXISTS "subscription_items_subscription_id_idx" ON "subscription_items" ("subscription_id");
CREATE INDEX IF NOT EXISTS "subscription_items_price_id_idx" ON "subscription_items" ("price_id");
CREATE INDEX IF NOT EXISTS "subscription_items_product_id_idx" ON "subscription_items" ("product_id");
CREATE TABLE IF NOT EXISTS "invoices" (
  "id" text PRIMARY KEY,
  "created" timestamptz,
  "livemode" boolean,
  "customer_id" text,
  "subscription_id" text,
  "number" text,
  "status" text,
  "billing_reason" text,
  "collection_method" text,
  "currency" text,
  "amount_due" bigint,
  "amount_paid" bigint,
  "amount_remaining" bigint,
  "subtotal" bigint,
  "total" bigint,
  "total_excluding_tax" bigint,
  "tax" bigint,
  "attempt_count" integer,
  "attempted" boolean,
  "auto_advance" boolean,
  "due_date" timestamptz,
  "period_start" timestamptz,
  "period_end" timestamptz,
  "finalized_at" timestamptz,
  "paid_at" timestamptz,
  "voided_at" timestamptz,
  "marked_uncollectible_at" timestamptz,
  "customer_email" text,
  "customer_address_country" text,
  "hosted_invoice_url" text,
  "total_taxes" jsonb,
  "metadata" jsonb,
  "synced_at" timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS "invoices_created_idx" ON "invoices" ("created");
CREATE INDEX IF NOT EXISTS "invoices_customer_id_idx" ON "invoices" ("customer_id");
CREATE INDEX IF NOT EXISTS "invoices_subscription_id_idx" ON "invoices" ("subscription_id");
CREATE TABLE IF NOT EXISTS "invoice_line_items" (
  "id" text PRIMARY KEY,
  "invoice_id" text,
  "subscription_id" text,
  "subscription_item_id" text,
  "price_id" text,
  "product_id" text,
  "amount" bigint,
  "currency" text,
  "quantity" bigint,
  "description" text,
  "period_start" timestamptz,
  "period_end" timestamptz,
  "proration" boolean,
  "metadata" jsonb,
  "synced_at" timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS "invoice_line_items_invoice_id_idx" ON "invoice_line_items" ("invoice_id");
CREATE INDEX IF NOT EXISTS "invoice_line_items_subscription_id_idx" ON "invoice_line_items" ("subscription_id");
CREATE INDEX IF NOT EXISTS "invoice_line_items_subscription_item_id_idx" ON "invoice_line_items" ("subscription_item_id");
CREATE INDEX IF NOT EXISTS "invoice_line_items_price_id_idx" ON "invoice_line_items" ("price_id");
CREATE INDEX IF NOT EXISTS "invoice_line_items_product_id_idx" ON "invoice_line_items" ("product_id");
CREATE TABLE IF NOT EXISTS "invoice_payments" (
  "id" text PRIMARY KEY,
  "created" timestamptz,
  "invoice_id" text,
  "status" text,
  "is_default" boolean,
  "amount_paid" bigint,
  "amount_requested" bigint,
  "currency" text,
  "payment_type" text,
  "payment_intent_id" text,
  "charge_id" text,
  "paid_at" timestamptz,
  "canceled_at" timestamptz,
  "synced_at" timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS "invoice_payments_created_idx" ON "invoice_payments" ("created");
CREATE INDEX IF NOT EXISTS "invoice_payments_invoice_id_idx" ON "invoice_payments" ("invoice_id");
CREATE INDEX IF NOT EXISTS "invoice_payments_payment_intent_id_idx" ON "invoice_payments" ("payment_intent_id");
CREATE INDEX IF NOT EXISTS "invoice_payments_charge_id_idx" ON "invoice_payments" ("charge_id");
CREATE TABLE IF NOT EXISTS "charges" (
  "id" text PRIMARY KEY,
  "created" timestamptz,
  "livemode" boolean,
  "customer_id" text,
  "payment_intent_id" text,
  "balance_transaction_id" text,
  "payment_method_id" text,
  "amount" bigint,
  "amount_captured" bigint,
  "amount_refunded" bigint,
  "currency" text,
  "status" text,
  "paid" boolean,
  "captured" boolean,
  "refunded" boolean,
  "disputed" boolean,
  "failure_code" text,
  "failure_message" text,
  "outcome_type" text,
  "outcome_reason" text,
  "outcome_network_status" text,
  "outcome_risk_level" text,
  "card_brand" text,
  "card_country" text,
  "card_funding" text,
  "card_last4" text,
  "card_exp_month" integer,
  "card_exp_year" integer,
  "billing_details_address_country" text,
  "description" text,
  "metadata" jsonb,
  "synced_at" timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS "charges_created_idx" ON "charges" ("created");
CREATE INDEX IF NOT EXISTS "charges_customer_id_idx" ON "charges" ("customer_id");
CREATE INDEX IF NOT EXISTS "charges_payment_intent_id_idx" ON "charges" ("payment_intent_id");
CREATE INDEX IF NOT EXISTS "charges_balance_transaction_id_idx" ON "charges" ("balance_transaction_id");
CREATE INDEX IF NOT EXISTS "charges_payment_method_id_idx" ON "charges" ("payment_method_id");
CREATE TABLE IF NOT EXISTS "refunds" (
  "id" text PRIMARY KEY,
  "created" timestamptz,
  "charge_id" text,
  "payment_intent_id" text,
  "balance_transaction_id" text,
  "amount" bigint,
  "currency" text,
  "status" text,
  "reason" text,
  "metadata" jsonb,
  "synced_at" timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS "refunds_created_idx" ON "refunds" ("created");
CREATE INDEX IF NOT EXISTS "refunds_charge_id_idx" ON "refunds" ("charge_id");
CREATE INDEX IF NOT EXISTS "refunds_payment_intent_id_idx" ON "refunds" ("payment_intent_id");
CREATE INDEX IF NOT EXISTS "refunds_balance_transaction_id_idx" ON "refunds" ("balance_transaction_id");
CREATE TABLE IF NOT EXISTS "disputes" (
  "id" text PRIMARY KEY,
  "created" timestamptz,
  "livemode" boolean,
  "charge_id" text,
  "payment_intent_id" text,
  "amount" bigint,
  "currency" text,
  "status" text,
  "reason" text,
  "is_charge_refundable" boolean,
  "evidence_due_by" timestamptz,
  "metadata" jsonb,
  "synced_at" timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS "disputes_created_idx" ON "disputes" ("created");
CREATE INDEX IF NOT EXISTS "disputes_charge_id_idx" ON "disputes" ("charge_id");
CREATE INDEX IF NOT EXISTS "disputes_payment_intent_id_idx" ON "disputes" ("payment_intent_id");
CREATE TABLE IF NOT EXISTS "balance_transactions" (
  "id" text PRIMARY KEY,
  "created" timestamptz,
  "available_on" timestamptz,
  "amount" bigint,
  "fee" bigint,
  "net" bigint,
  "currency" text,
  "type" text,
  "reporting_category" text,
  "status" text,
  "description" text,
  "source_id" text,
  "exchange_rate" numeric,
  "synced_at" timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS "balance_transactions_created_idx" ON "balance_transactions" ("created");
CREATE INDEX IF NOT EXISTS "balance_transactions_source_id_idx" ON "balance_transactions" ("source_id");
CREATE TABLE IF NOT EXISTS "balance_transaction_fee_details" (
  "id" text PRIMARY KEY,
  "balance_transaction_id" text,
  "amount" bigint,
  "application" text,
  "currency" text,
  "description" text,
  "type" text,
  "synced_at" timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS "balance_transaction_fee_details_balance_transaction_id_idx" ON "balance_transaction_fee_details" ("balance_transaction_id");
CREATE TABLE IF NOT EXISTS "payouts" (
  "id" text PRIMARY KEY,
  "created" timestamptz,
  "livemode" boolean,
  "arrival_date" timestamptz,
  "amount" bigint,
  "currency" text,
  "status" text,
  "type" text,
  "method" text,
  "automatic" boolean,
  "description" text,
  "destination_id" text,
  "balance_transaction_id" text,
  "failure_code" text,
  "reconciliation_status" text,
  "statement_descriptor" text,
  "metadata" jsonb,
  "synced_at" timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS "payouts_created_idx" ON "payouts" ("created");
CREATE INDEX IF NOT EXISTS "payouts_destination_id_idx" ON "payouts" ("destination_id");
CREATE INDEX IF NOT EXISTS "payouts_balance_transaction_id_idx" ON "payouts" ("balance_transaction_id");
CREATE TABLE IF NOT EXISTS "tax_rates" (
  "id" text PRIMARY KEY,
  "created" timestamptz,
  "livemode" boolean,
  "display_name" text,
  "description" text,
  "jurisdiction" text,
  "jurisdiction_level" text,
  "country" text,
  "state" text,
  "tax_type" text,
  "percentage" numeric,
  "effective_percentage" numeric,
  "inclusive" boolean,
  "active" boolean,
  "metadata" jsonb,
  "synced_at" timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS "tax_rates_created_idx" ON "tax_rates" ("created");
CREATE TABLE IF NOT EXISTS "checkout_sessions" (
  "id" text PRIMARY KEY,
  "created" timestamptz,
  "livemode" boolean,
  "expires_at" timestamptz,
  "status" text,
  "payment_status" text,
  "mode" text,
  "customer_id" text,
  "customer_email" text,
  "customer_details_email" text,
  "customer_details_address_country" text,
  "subscription_id" text,
  "payment_intent_id" text,
  "amount_subtotal" bigint,
  "amount_total" bigint,
  "currency" text,
  "client_reference_id" text,
  "invoice_id" text,
  "price_id" text,
  "line_items_count" bigint,
  "price_ids" jsonb,
  "metadata" jsonb,
  "synced_at" timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS "checkout_sessions_created_idx" ON "checkout_sessions" ("created");
CREATE INDEX IF NOT EXISTS "checkout_sessions_customer_id_idx" ON "checkout_sessions" ("customer_id");
CREATE INDEX IF NOT EXISTS "checkout_sessions_subscription_id_idx" ON "checkout_sessions" ("subscription_id");
CREATE INDEX IF NOT EXISTS "checkout_sessions_payment_intent_id_idx" ON "checkout_sessions" ("payment_intent_id");
CREATE INDEX IF NOT EXISTS "checkout_sessions_client_reference_id_idx" ON "checkout_sessions" ("client_reference_id");
CREATE INDEX IF NOT EXISTS "checkout_sessions_invoice_id_idx" ON "checkout_sessions" ("invoice_id");
CREATE INDEX IF NOT EXISTS "checkout_sessions_price_id_idx" ON "checkout_sessions" ("price_id");

CREATE TABLE IF NOT EXISTS "stripe_sync_state" (
  "name" text PRIMARY KEY,
  "state" jsonb NOT NULL,
  "updated_at" timestamptz NOT NULL DEFAULT now()
);

-- The warehouse rows the Revenue Analytics node's Metrics and Report read with Data: From Warehouse Rows in the
-- Input: one row per table, `_table` and `rows` (json_agg of the table). Put it in an n8n Postgres node (Execute
-- Query) before Metrics or Report. The node rebuilds the objects it needs from them (lib/warehouse/objects.ts);
-- the warehouse keeps no events, so a subscription's current items stand for its whole life.
SELECT 'customers' AS _table, coalesce(json_agg(t), '[]'::json) AS rows FROM customers t
UNION ALL
SELECT 'prices' AS _table, coalesce(json_agg(t), '[]'::json) AS rows FROM prices t
UNION ALL
SELECT 'subscriptions' AS _table, coalesce(json_agg(t), '[]'::json) AS rows FROM subscriptions t
UNION ALL
SELECT 'subscription_items' AS _table, coalesce(json_agg(t), '[]'::json) AS rows FROM subscription_items t
UNION ALL
SELECT 'invoices' AS _table, coalesce(json_agg(t), '[]'::json) AS rows FROM invoices t
UNION ALL
SELECT 'invoice_line_items' AS _table, coalesce(json_agg(t), '[]'::json) AS rows FROM invoice_line_items t
UNION ALL
SELECT 'invoice_payments' AS _table, coalesce(json_agg(t), '[]'::json) AS rows FROM invoice_payments t
UNION ALL
SELECT 'charges' AS _table, coalesce(json_agg(t), '[]'::json) AS rows FROM charges t
UNION ALL
SELECT 'refunds' AS _table, coalesce(json_agg(t), '[]'::json) AS rows FROM refunds t
UNION ALL
SELECT 'checkout_sessions' AS _table, coalesce(json_agg(t), '[]'::json) AS rows FROM checkout_sessions t
UNION ALL
SELECT 'tax_rates' AS _table, coalesce(json_agg(t), '[]'::json) AS rows FROM tax_rates t;

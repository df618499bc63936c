import { checkpointDdl } from './sync';
import { schemaSql } from './tables';

/** The text of workflows/sql/schema.sql (test/lib/warehouse/schema.test.ts checks the file is current). */
export function schemaFile(): string {
	return `-- Warehouse tables for Stripe data, written by the Stripe RevOps Revenue Analytics node's Sync Tables.
-- Generated from lib/warehouse/tables.ts: npx tsx scripts/warehouse-schema.ts (a test checks it is current).
-- Named and shaped like Stripe Sigma's tables: one row per object, <field>_id for related objects, nested
-- fields flattened with _, times as timestamptz, amounts in integer minor units with their currency.
-- Run once: psql -f workflows/sql/schema.sql (every statement is IF NOT EXISTS).

${schemaSql()}
${checkpointDdl()}`;
}

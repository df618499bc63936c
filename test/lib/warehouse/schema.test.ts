/** workflows/sql/schema.sql is the DDL the table definitions give (regenerate: npx tsx scripts/warehouse-schema.ts). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { schemaFile } from '../../../lib/warehouse/schemaFile';
import { TABLES } from '../../../lib/warehouse/tables';

test('workflows/sql/schema.sql is current, with a table per definition and an id key each', () => {
	const file = readFileSync(join(__dirname, '..', '..', '..', 'workflows', 'sql', 'schema.sql'), 'utf8');
	expect(file).toBe(schemaFile());
	for (const t of TABLES) expect(file).toContain(`CREATE TABLE IF NOT EXISTS "${t.name}" (\n  "id" text PRIMARY KEY`);
});

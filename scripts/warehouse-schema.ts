// npx tsx scripts/warehouse-schema.ts: writes workflows/sql/schema.sql from lib/warehouse/tables.ts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { schemaFile } from '../lib/warehouse/schemaFile';

writeFileSync(join(__dirname, '..', 'workflows', 'sql', 'schema.sql'), schemaFile());

/**
 * What the warehouse template's Postgres node does with a Sync Tables run, for the warehouse tests: every
 * statement with its parameters and the checkpoint in one transaction, runs repeated from the stored checkpoint
 * until caught up.
 */
import { StripeClient, fetchTransport } from '../../../lib/stripe';
import { CHECKPOINT_TABLE, checkpointSql, syncTables, type SyncResult } from '../../../lib/warehouse/sync';
import type { Sandbox } from '../../../sandbox';
import type { PostgresServer } from '../../helpers/postgres';

/** This package's client for the sandbox, retrying as a Sync Tables run would. */
export function sandboxClient(sb: Sandbox): StripeClient {
	return new StripeClient({ request: fetchTransport(sb.secretKey), baseUrl: sb.url, sleep: async (ms) => await new Promise((resolve) => setTimeout(resolve, ms)), retry: { maxRetries: 8 } });
}

/** Applies one run's batches and checkpoint in one transaction; `fail` rolls it back after the rows. */
export async function applyRun(pg: PostgresServer, result: SyncResult, options: { fail?: boolean } = {}): Promise<void> {
	const db = pg.client();
	await db.connect();
	try {
		await db.query('BEGIN');
		for (const batch of result.batches) await db.query(batch.sql, batch.params);
		await db.query(checkpointSql('default'), [JSON.stringify(result.state)]);
		if (options.fail) throw new Error('the warehouse went away');
		await db.query('COMMIT');
	} catch (error) {
		await db.query('ROLLBACK');
		throw error;
	} finally {
		await db.end();
	}
}

/** The checkpoint the last committed run stored (undefined before the first). */
export async function storedCheckpoint(pg: PostgresServer): Promise<unknown> {
	const { rows } = await pg.query<{ state: unknown }>(`SELECT state FROM ${CHECKPOINT_TABLE} WHERE name = 'default'`);
	return rows[0]?.state;
}

/** Runs until caught up, `maxPages` list requests a run, on the sandbox's clock; returns the number of runs. */
export async function syncUntilCaughtUp(sb: Sandbox, pg: PostgresServer, maxPages: number): Promise<number> {
	for (let run = 1; run <= 500; run++) {
		const result = await syncTables(sandboxClient(sb), await storedCheckpoint(pg), { now: sb.clock.now(), maxPages });
		await applyRun(pg, result);
		if (result.caughtUp) return run;
	}
	throw new Error('never caught up');
}

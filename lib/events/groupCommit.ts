/**
 * Group commit of event ids into a durable store that is read and rewritten as a whole on every
 * call (n8n's deduplication store keeps one row per node), so that concurrent executions share one
 * round trip instead of queueing one each.
 *
 * Every caller waits until its own id is durably recorded before it goes on, so batching loses
 * nothing: it only merges the calls that arrive while one is in flight. Calls never overlap (the
 * store has no lock: two overlapping read-modify-writes would lose an id), and an id that appears
 * twice in one batch is new for the first caller only. Promise chaining only: no timers.
 */

/** Records ids and says which of them were recorded before (`processed`). */
export type RecordIds = (ids: string[]) => Promise<{ processed: Array<string | number> }>;

interface Waiter {
	id: string;
	resolve: (alreadyRecorded: boolean) => void;
	reject: (error: unknown) => void;
}

export class GroupCommit {
	private pending: Waiter[] = [];

	private flushing = false;

	/** Number of store calls made. */
	calls = 0;

	/**
	 * Records `id` (in the next batch, through `write`) and resolves with true when the store
	 * already had it, i.e. the event was emitted before. `write` is used when this call starts a
	 * batch; all writes of one instance must reach the same store.
	 */
	record(id: string, write: RecordIds): Promise<boolean> {
		const done = new Promise<boolean>((resolve, reject) => this.pending.push({ id, resolve, reject }));
		if (!this.flushing) void this.flush(write);
		return done;
	}

	private async flush(write: RecordIds): Promise<void> {
		this.flushing = true;
		while (this.pending.length > 0) {
			const batch = this.pending;
			this.pending = [];
			const ids = [...new Set(batch.map((w) => w.id))];
			this.calls++;
			let outcome: { ok: true; processed: Set<string> } | { ok: false; error: unknown };
			try {
				const result = await write(ids);
				outcome = { ok: true, processed: new Set(result.processed.map(String)) };
			} catch (error) {
				outcome = { ok: false, error };
			}
			const first = new Set<string>();
			for (const waiter of batch) {
				if (!outcome.ok) {
					waiter.reject(outcome.error);
				} else if (first.has(waiter.id)) {
					waiter.resolve(true);
				} else {
					first.add(waiter.id);
					waiter.resolve(outcome.processed.has(waiter.id));
				}
			}
		}
		this.flushing = false;
	}
}

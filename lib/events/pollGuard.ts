/**
 * One poll at a time per poll trigger: n8n's in-memory scheduler starts a poll on every tick
 * without waiting for the previous one (n8n-core `ActiveWorkflowTriggers.activatePollTrigger`
 * registers `() => void executePollTrigger()` with the ScheduledTaskManager, n8n 2.41.1), and
 * both polls of one workflow read and write the same static data. A long catch-up running into
 * the next tick would list from the same cursor and emit the same events twice.
 *
 * `acquire` is a synchronous check-and-set (JavaScript runs it without interleaving), so of two
 * polls started together exactly one gets the lease. The guard is in-process, like the state it
 * protects. A lease older than `staleAfterSeconds` (a poll stuck on a request that never settles)
 * is taken over, so a hung poll cannot stop polling for good; the stuck poll then finds that it no
 * longer `holds` its lease and must drop its result instead of emitting or storing it.
 *
 * Pure: no timers; the clock is the `now` argument.
 */

/** Proof of holding the guard for one key. */
export interface PollLease {
	readonly key: string;
	readonly token: number;
}

/** Default age after which a lease is considered stuck (n8n's default poll budget is 5 minutes). */
export const POLL_LEASE_STALE_SECONDS = 15 * 60;

export class PollGuard {
	private readonly held = new Map<string, { token: number; since: number }>();

	private lastToken = 0;

	constructor(readonly staleAfterSeconds: number = POLL_LEASE_STALE_SECONDS) {
		if (!Number.isFinite(staleAfterSeconds) || staleAfterSeconds <= 0) {
			throw new RangeError('PollGuard: "staleAfterSeconds" must be a positive number of seconds.');
		}
	}

	/**
	 * Takes the lease for `key` unless a poll holds it (and has held it for less than
	 * `staleAfterSeconds`). Returns `undefined` when the caller must skip this poll.
	 * @param now unix seconds
	 */
	acquire(key: string, now: number): PollLease | undefined {
		const current = this.held.get(key);
		if (current !== undefined && now - current.since < this.staleAfterSeconds) return undefined;
		const token = ++this.lastToken;
		this.held.set(key, { token, since: now });
		return { key, token };
	}

	/** True while `lease` is the current one for its key (not released, not taken over). */
	holds(lease: PollLease): boolean {
		return this.held.get(lease.key)?.token === lease.token;
	}

	/** Releases `lease`; a lease that was taken over leaves the new holder alone. */
	release(lease: PollLease): void {
		if (this.holds(lease)) this.held.delete(lease.key);
	}
}

/** The guard of this process's poll triggers. */
export const pollGuard = new PollGuard();

/** The guard key of one poll trigger: workflow, node and execution mode (a manual test never blocks production). */
export function pollGuardKey(workflowId: string | undefined, nodeId: string, mode: string): string {
	return JSON.stringify([workflowId ?? '', nodeId, mode]);
}

/**
 * HubSpot's limits for a private app: a rolling burst window (TEN_SECONDLY_ROLLING), a daily quota (DAILY, reset at
 * midnight UTC here; HubSpot uses the account's time zone) and the CRM search endpoints' own per-second limit.
 * Rejected (429) requests are not counted: HubSpot does not document that they count, so the sandbox assumes not.
 */
export interface Window {
	max: number;
	intervalMs: number;
}

/** Rolling window over wall-clock time: at most `max` accepted requests in any `intervalMs`. */
export class RollingWindow {
	private stamps: number[] = [];
	constructor(readonly limit: Window) {
		if (!(Number.isInteger(limit.max) && limit.max > 0 && limit.intervalMs > 0)) throw new Error(`rate limit needs a positive integer max and a positive intervalMs, got ${JSON.stringify(limit)}`);
	}

	private prune(now: number): void {
		const cutoff = now - this.limit.intervalMs;
		let i = 0;
		while (i < this.stamps.length && this.stamps[i] <= cutoff) i++;
		if (i) this.stamps.splice(0, i);
	}

	/** Counts a request if there is room; false when over the limit. */
	take(now = performance.now()): boolean {
		this.prune(now);
		if (this.stamps.length >= this.limit.max) return false;
		this.stamps.push(now);
		return true;
	}

	remaining(now = performance.now()): number {
		this.prune(now);
		return Math.max(0, this.limit.max - this.stamps.length);
	}
}

/** Requests per UTC day. */
export class DailyQuota {
	private day = '';
	private used = 0;
	constructor(readonly max: number) {
		if (!(Number.isInteger(max) && max > 0)) throw new Error(`dailyLimit must be a positive integer, got ${max}`);
	}

	private roll(): void {
		const d = new Date().toISOString().slice(0, 10);
		if (d !== this.day) {
			this.day = d;
			this.used = 0;
		}
	}

	take(): boolean {
		this.roll();
		if (this.used >= this.max) return false;
		this.used++;
		return true;
	}

	remaining(): number {
		this.roll();
		return Math.max(0, this.max - this.used);
	}
}

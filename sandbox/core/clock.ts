/**
 * The test clock and the one place where work is scheduled against it.
 *
 * A live clock follows wall time: `now()` is wall-clock seconds plus an offset, so objects and events created a
 * second apart get `created` a second apart, as on Stripe. `set()` and `advance()` (runUntil) move the offset.
 * A frozen clock only moves when told to (`set`, `runUntil`), for deterministic tests. Only wall-clock reads go
 * through `wallSeconds`, so tests can substitute it.
 */
interface Task {
	at: number;
	seq: number;
	run: () => void | Promise<void>;
}

export type ClockMode = 'live' | 'frozen';

export class Clock {
	/** Frozen: the time. Live: the offset from wall-clock seconds. */
	private current: number;
	private frozen: boolean;
	private heap: Task[] = [];
	private seq = 0;
	/** Serialises runUntil calls (advance() and the live ticker may overlap). */
	private running: Promise<void> = Promise.resolve();
	private ticker: ReturnType<typeof setInterval> | null = null;

	constructor(
		start: number,
		mode: ClockMode = 'frozen',
		private readonly wallSeconds: () => number = () => Math.floor(Date.now() / 1000),
	) {
		this.frozen = mode === 'frozen';
		this.current = this.frozen ? Math.floor(start) : Math.floor(start) - this.wallSeconds();
	}

	now(): number {
		return this.frozen ? this.current : this.wallSeconds() + this.current;
	}

	mode(): ClockMode {
		return this.frozen ? 'frozen' : 'live';
	}

	/** Stops the clock at its current time (seeding runs frozen, so it is reproducible). */
	freeze(): void {
		if (this.frozen) return;
		this.current = this.now();
		this.frozen = true;
	}

	/** Lets the clock follow wall time from its current time on. */
	unfreeze(): void {
		if (!this.frozen) return;
		this.current = this.current - this.wallSeconds();
		this.frozen = false;
	}

	/** Moves time without running due work (use advance for that). */
	set(unixSeconds: number): void {
		if (!Number.isFinite(unixSeconds)) throw new Error('clock.set needs unix seconds as a finite number');
		const t = Math.floor(unixSeconds);
		this.current = this.frozen ? t : t - this.wallSeconds();
	}

	/**
	 * On a live clock, runs due work as wall time reaches it (checked every `everyMs`), so renewals, retries and
	 * payouts happen in a long-running sandbox (`npm start`) without anyone advancing the clock. `onRan` follows each run.
	 */
	startTicking(everyMs = 1000, onRan?: () => void | Promise<void>, onError?: (e: unknown) => void): void {
		this.stopTicking();
		this.ticker = setInterval(() => {
			if (this.frozen) return;
			const top = this.heap[0];
			if (!top || top.at > this.now()) return;
			this.runUntil(this.now())
				.then(() => onRan?.())
				.catch((e: unknown) => onError?.(e));
		}, everyMs);
		this.ticker.unref();
	}

	stopTicking(): void {
		if (this.ticker) clearInterval(this.ticker);
		this.ticker = null;
	}

	schedule(at: number, run: () => void | Promise<void>): void {
		const t: Task = { at: Math.floor(at), seq: this.seq++, run };
		const h = this.heap;
		h.push(t);
		let i = h.length - 1;
		while (i > 0) {
			const parent = (i - 1) >> 1;
			if (!less(h[i], h[parent])) break;
			[h[i], h[parent]] = [h[parent], h[i]];
			i = parent;
		}
	}

	pending(): number {
		return this.heap.length;
	}

	private pop(): Task | undefined {
		const h = this.heap;
		if (h.length === 0) return undefined;
		const top = h[0];
		const last = h.pop() as Task;
		if (h.length > 0) {
			h[0] = last;
			let i = 0;
			for (;;) {
				const l = 2 * i + 1;
				const r = l + 1;
				let m = i;
				if (l < h.length && less(h[l], h[m])) m = l;
				if (r < h.length && less(h[r], h[m])) m = r;
				if (m === i) break;
				[h[i], h[m]] = [h[m], h[i]];
				i = m;
			}
		}
		return top;
	}

	/**
	 * Runs, in time order, every task due up to `target`, with "now" set to each task's time; then now = target
	 * (never backwards). Calls queue behind each other.
	 */
	runUntil(target: number): Promise<void> {
		const run = this.running.then(() => this.runNow(Math.floor(target)));
		this.running = run.catch(() => undefined);
		return run;
	}

	private async runNow(target: number): Promise<void> {
		for (;;) {
			const top = this.heap[0];
			if (!top || top.at > target) break;
			this.pop();
			if (top.at > this.now()) this.set(top.at);
			await top.run();
		}
		if (target > this.now()) this.set(target);
	}
}

function less(a: Task, b: Task): boolean {
	return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

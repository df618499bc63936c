/** The test clock and the one place where work is scheduled against it. */
interface Task {
	at: number;
	seq: number;
	run: () => void | Promise<void>;
}

export class Clock {
	private current: number;
	private heap: Task[] = [];
	private seq = 0;

	constructor(start: number) {
		this.current = Math.floor(start);
	}

	now(): number {
		return this.current;
	}

	/** Moves time without running due work (use advance for that). */
	set(unixSeconds: number): void {
		if (!Number.isFinite(unixSeconds)) throw new Error('clock.set needs unix seconds as a finite number');
		this.current = Math.floor(unixSeconds);
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

	/** Runs, in time order, every task due up to `target`, with "now" set to each task's time; then now = target. */
	async runUntil(target: number): Promise<void> {
		target = Math.floor(target);
		for (;;) {
			const top = this.heap[0];
			if (!top || top.at > target) break;
			this.pop();
			if (top.at > this.current) this.current = top.at;
			await top.run();
		}
		if (target > this.current) this.current = target;
	}
}

function less(a: Task, b: Task): boolean {
	return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

import { mulberry32 } from '../../lib/retry/prng';

/** Deterministic pseudo-random numbers (lib/retry/prng's mulberry32), forked into independent named streams. */
export class Rng {
	private readonly uniform: () => number;

	constructor(seed: number) {
		this.uniform = mulberry32(seed);
	}

	/** A float in [0, 1). */
	next(): number {
		return this.uniform();
	}

	/** An integer in [0, n). */
	int(n: number): number {
		return Math.floor(this.next() * n);
	}

	/** An integer in [min, max]. */
	range(min: number, max: number): number {
		return min + this.int(max - min + 1);
	}

	chance(p: number): boolean {
		return p > 0 && this.next() < p;
	}

	pick<T>(items: readonly T[]): T {
		return items[this.int(items.length)];
	}

	/** Picks a key with probability proportional to its weight. */
	weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
		const keys = Object.keys(weights) as K[];
		let total = 0;
		for (const k of keys) total += weights[k];
		let r = this.next() * total;
		for (const k of keys) {
			r -= weights[k];
			if (r < 0) return k;
		}
		return keys[keys.length - 1];
	}

	/** Exponentially distributed value with the given mean. */
	exponential(mean: number): number {
		return -Math.log(1 - this.next()) * mean;
	}

	shuffle<T>(items: T[]): T[] {
		for (let i = items.length - 1; i > 0; i--) {
			const j = this.int(i + 1);
			[items[i], items[j]] = [items[j], items[i]];
		}
		return items;
	}

	/** An independent stream derived from this seed and a label, so one consumer does not shift another's draws. */
	static fork(seed: number, label: string): Rng {
		let h = (seed ^ 0x9e3779b9) >>> 0;
		for (let i = 0; i < label.length; i++) {
			h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
		}
		return new Rng(h);
	}
}

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * Stripe-looking ids (`cus_QXg1o8vcGmoR32`, `ch_3Pgb...`): one seeded stream per prefix, so how many objects of one
 * kind exist never shifts the ids of another kind.
 */
export class IdGen {
	private streams = new Map<string, Rng>();

	constructor(private readonly seed: number) {}

	private stream(label: string): Rng {
		let r = this.streams.get(label);
		if (!r) this.streams.set(label, (r = Rng.fork(this.seed, `ids:${label}`)));
		return r;
	}

	id(prefix: string, length = 24): string {
		const rng = this.stream(prefix);
		let s = '';
		for (let i = 0; i < length; i++) s += ALPHABET[rng.int(62)];
		return `${prefix}_${s}`;
	}

	/** A random token of letters and digits (secrets, client secrets, URLs). */
	token(length: number): string {
		const rng = this.stream('#token');
		let s = '';
		for (let i = 0; i < length; i++) s += ALPHABET[rng.int(62)];
		return s;
	}
}

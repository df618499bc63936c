/**
 * A small seeded uniform source for Thompson sampling and tests: mulberry32 (Tommy Ettinger's
 * 32-bit generator, public domain, as used widely in JS; https://gist.github.com/tommyettinger/46a874533244883189143505d203312c).
 * Not cryptographic. Pure: the state lives in the closure the caller holds.
 */

/** A uniform source on [0, 1) that repeats for the same seed. */
export function mulberry32(seed: number): () => number {
	let s = seed >>> 0;
	return () => {
		s = (s + 0x6d2b79f5) >>> 0;
		let t = s;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

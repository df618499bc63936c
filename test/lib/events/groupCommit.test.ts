import { GroupCommit } from '../../../lib/events/groupCommit';

/** A store like n8n's deduplication row: a read, a pause, a write of the whole set; it counts overlapping calls. */
function store() {
	const recorded = new Set<string>();
	let active = 0;
	let maxActive = 0;
	const batches: string[][] = [];
	const write = async (ids: string[]) => {
		active++;
		maxActive = Math.max(maxActive, active);
		batches.push(ids);
		const before = new Set(recorded);
		await new Promise((resolve) => setImmediate(resolve));
		const processed = ids.filter((id) => before.has(id));
		for (const id of ids) recorded.add(id);
		active--;
		return { processed };
	};
	return { recorded, write, batches, maxActive: () => maxActive };
}

describe('GroupCommit', () => {
	it('records every id of concurrent callers, one store call at a time, merging the callers that arrive meanwhile', async () => {
		const s = store();
		const commit = new GroupCommit();
		const ids = Array.from({ length: 50 }, (_, i) => `evt_${i}`);
		const results = await Promise.all(ids.map((id) => commit.record(id, s.write)));
		expect(results.every((alreadyRecorded) => alreadyRecorded === false)).toBe(true);
		expect([...s.recorded].sort()).toEqual([...ids].sort());
		expect(s.maxActive()).toBe(1);
		// The first caller's call goes alone; the 49 that arrived while it was in flight share the next one.
		expect(s.batches.map((b) => b.length)).toEqual([1, 49]);
		expect(commit.calls).toBe(2);
	});

	it('says an id was recorded before when the store had it, and when it appears twice in one batch (second caller only)', async () => {
		const s = store();
		const commit = new GroupCommit();
		await commit.record('evt_old', s.write);
		const [a, b, c, d] = await Promise.all([
			commit.record('evt_first', s.write),
			commit.record('evt_twice', s.write),
			commit.record('evt_twice', s.write),
			commit.record('evt_old', s.write),
		]);
		expect([a, b, c, d]).toEqual([false, false, true, true]);
	});

	it('rejects the callers of a failed call, and the next callers are written normally', async () => {
		const s = store();
		let fail = true;
		const flaky = async (ids: string[]) => {
			if (fail) {
				fail = false;
				throw new Error('database is locked');
			}
			return await s.write(ids);
		};
		const commit = new GroupCommit();
		await expect(commit.record('evt_1', flaky)).rejects.toThrow('database is locked');
		await expect(commit.record('evt_2', flaky)).resolves.toBe(false);
		expect([...s.recorded]).toEqual(['evt_2']);
	});
});

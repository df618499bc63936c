/**
 * Groups items by a key, in input order within each group; an item whose key is `undefined`,
 * `null` or `''` belongs to no group.
 */
export function groupBy<T>(items: Iterable<T>, key: (item: T) => string | null | undefined): Map<string, T[]> {
	const out = new Map<string, T[]>();
	for (const item of items) {
		const k = key(item);
		if (k === undefined || k === null || k === '') continue;
		const list = out.get(k);
		if (list) list.push(item);
		else out.set(k, [item]);
	}
	return out;
}

/** Every string reachable from a value: own properties (enumerable or not), causes, arrays. For "no secret anywhere" checks. */
export function reachableStrings(value: unknown, seen = new Set<unknown>()): string[] {
	if (typeof value === 'string') return [value];
	if (value === null || typeof value !== 'object' || seen.has(value)) return [];
	seen.add(value);
	const out: string[] = [];
	for (const key of Reflect.ownKeys(value)) {
		const descriptor = Object.getOwnPropertyDescriptor(value, key);
		if (descriptor && 'value' in descriptor) out.push(...reachableStrings(descriptor.value, seen));
	}
	return out;
}

import { groupBy } from '../../lib/group';

test('groupBy keeps input order within each group and puts keyless items in none', () => {
	const rows = [
		{ id: 1, k: 'a' },
		{ id: 2, k: 'b' },
		{ id: 3, k: undefined },
		{ id: 4, k: 'a' },
		{ id: 5, k: '' },
		{ id: 6, k: null },
	];
	const groups = groupBy(rows, (r) => r.k);
	expect([...groups.keys()]).toEqual(['a', 'b']);
	expect(groups.get('a')!.map((r) => r.id)).toEqual([1, 4]);
	expect(groups.get('b')!.map((r) => r.id)).toEqual([2]);
	expect(groupBy(new Set([1, 2, 3]), (n) => (n % 2 ? 'odd' : 'even')).get('odd')).toEqual([1, 3]);
});

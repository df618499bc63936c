/** The harness's copy of n8n's deduplication store is as unforgiving as n8n's: concurrent calls lose ids. */
import { ProcessedDataStore } from './processedData';

const context = { node: { id: 'node-1' } as never, workflow: { id: 'wf', active: true } };

test('sequential calls record every id and report repeats', async () => {
	const store = new ProcessedDataStore();
	for (let i = 0; i < 5; i++) await store.checkProcessedAndRecord([`evt_${i}`], 'node', context, { mode: 'entries', maxEntries: 3 });
	expect(store.entriesOf('wf', 'node-1')).toHaveLength(3);
	const again = await store.checkProcessedAndRecord(['evt_4', 'evt_0'], 'node', context, { mode: 'entries', maxEntries: 3 });
	expect(again).toEqual({ new: ['evt_0'], processed: ['evt_4'] });
});

test('concurrent calls, as n8n makes them without a lock, lose ids or fail the first insert', async () => {
	const store = new ProcessedDataStore();
	await store.checkProcessedAndRecord(['evt_seed'], 'node', context, { mode: 'entries' });
	await Promise.all(Array.from({ length: 20 }, (_, i) => store.checkProcessedAndRecord([`evt_${i}`], 'node', context, { mode: 'entries' })));
	expect(store.entriesOf('wf', 'node-1').length).toBeLessThan(21);

	const fresh = new ProcessedDataStore();
	const results = await Promise.allSettled([1, 2].map((i) => fresh.checkProcessedAndRecord([`evt_${i}`], 'node', context, { mode: 'entries' })));
	expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
	expect(fresh.insertConflicts).toBe(1);
});

/**
 * n8n's deduplication store for the in-process harness: what `helpers.checkProcessedAndRecord`
 * reaches in a real n8n. n8n-core only defines the service; the store is n8n's CLI
 * (`dist/deduplication/deduplication-helper.js`, n8n 2.41.1), which keeps one row per workflow and
 * context (`n:<nodeId>` for scope `node`) holding `{mode, data}` and, in mode `entries`, the MD5
 * (base64) hashes of the values, trimmed to `maxEntries`, oldest first. It reads the row, then
 * inserts or updates it, with no lock in between: this copy keeps that gap (a macrotask between the
 * read and the write), so two concurrent calls lose an update or fail the first insert exactly as
 * they can in n8n, and a node that relies on it being atomic fails here too.
 */
import { createHash } from 'node:crypto';

// n8n-core resolves its own copies of these (nested under it), so take them from there.
import { Logger } from 'n8n-core/node_modules/@n8n/backend-common';
import { Container } from 'n8n-core/node_modules/@n8n/di';
import { DataDeduplicationService } from 'n8n-core';
import type {
	DeduplicationItemTypes,
	DeduplicationScope,
	ICheckProcessedContextData,
	ICheckProcessedOptions,
	IDataDeduplicator,
	IDeduplicationOutput,
} from 'n8n-workflow';

interface Row {
	mode: string;
	data: string[];
}

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

function context(scope: DeduplicationScope, data: ICheckProcessedContextData): string {
	if (scope === 'node') {
		if (!data.node) throw new Error("No node information has been provided and so cannot use scope 'node'");
		return `n:${data.node.id}`;
	}
	return '';
}

const hash = (value: DeduplicationItemTypes) => createHash('md5').update(value.toString()).digest('base64');

/** The processed-data table of one n8n instance (it survives a restart of that instance). */
export class ProcessedDataStore implements IDataDeduplicator {
	readonly rows = new Map<string, Row>();

	/** Number of calls that failed because two inserts of the first row raced (n8n: a unique-key violation). */
	insertConflicts = 0;

	private key(scope: DeduplicationScope, data: ICheckProcessedContextData): string {
		return `${data.workflow.id}|${context(scope, data)}`;
	}

	/** The hashes stored for a node. */
	entriesOf(workflowId: string, nodeId: string): string[] {
		return [...(this.rows.get(`${workflowId}|n:${nodeId}`)?.data ?? [])];
	}

	/** True when `value` is recorded for the node. */
	has(workflowId: string, nodeId: string, value: string): boolean {
		return this.entriesOf(workflowId, nodeId).includes(hash(value));
	}

	/** A copy of the store with one node's rows moved to another node id (to simulate a restart under a fresh in-process key). */
	withNodeRenamed(workflowId: string, fromNodeId: string, toNodeId: string): ProcessedDataStore {
		const copy = new ProcessedDataStore();
		for (const [key, row] of this.rows) {
			const renamed = key === `${workflowId}|n:${fromNodeId}` ? `${workflowId}|n:${toNodeId}` : key;
			copy.rows.set(renamed, { mode: row.mode, data: [...row.data] });
		}
		return copy;
	}

	async checkProcessedAndRecord(
		items: DeduplicationItemTypes[],
		scope: DeduplicationScope,
		data: ICheckProcessedContextData,
		options: ICheckProcessedOptions,
	): Promise<IDeduplicationOutput> {
		if (options.mode !== 'entries') throw new Error(`The harness store implements mode "entries" only, not "${options.mode}"`);
		const key = this.key(scope, data);
		await nextTick();
		const found = this.rows.get(key);
		const read = found ? { mode: found.mode, data: [...found.data] } : undefined;
		if (read && read.mode !== options.mode) throw new Error('Deduplication data was originally saved with an incompatible setting');
		const hashed = items.map(hash);
		await nextTick();
		if (!read) {
			if (options.maxEntries) hashed.splice(0, hashed.length - options.maxEntries);
			if (this.rows.has(key)) {
				this.insertConflicts++;
				throw new Error('SQLITE_CONSTRAINT: UNIQUE constraint failed: processed_data.workflowId, processed_data.context');
			}
			this.rows.set(key, { mode: options.mode, data: hashed });
			return { new: items, processed: [] };
		}
		const known = new Set(read.data);
		const out: IDeduplicationOutput = { new: [], processed: [] };
		hashed.forEach((h, index) => {
			if (known.has(h)) {
				out.processed.push(items[index]);
			} else {
				out.new.push(items[index]);
				read.data.push(h);
			}
		});
		if (options.maxEntries) read.data.splice(0, read.data.length - options.maxEntries);
		this.rows.set(key, read);
		return out;
	}

	async removeProcessed(items: DeduplicationItemTypes[], scope: DeduplicationScope, data: ICheckProcessedContextData, _options?: ICheckProcessedOptions): Promise<void> {
		const row = this.rows.get(this.key(scope, data));
		if (!row) return;
		const remove = new Set(items.map(hash));
		row.data = row.data.filter((h) => !remove.has(h));
	}

	async clearAllProcessedItems(scope: DeduplicationScope, data: ICheckProcessedContextData, _options?: ICheckProcessedOptions): Promise<void> {
		this.rows.delete(this.key(scope, data));
	}

	async getProcessedDataCount(scope: DeduplicationScope, data: ICheckProcessedContextData, _options?: ICheckProcessedOptions): Promise<number> {
		return this.rows.get(this.key(scope, data))?.data.length ?? 0;
	}
}

/** Forwards n8n-core's singleton service (initialised once per test file) to the current store. */
class Forwarder implements IDataDeduplicator {
	current = new ProcessedDataStore();

	checkProcessedAndRecord(...args: Parameters<IDataDeduplicator['checkProcessedAndRecord']>) {
		return this.current.checkProcessedAndRecord(...args);
	}

	removeProcessed(...args: Parameters<IDataDeduplicator['removeProcessed']>) {
		return this.current.removeProcessed(...args);
	}

	clearAllProcessedItems(...args: Parameters<IDataDeduplicator['clearAllProcessedItems']>) {
		return this.current.clearAllProcessedItems(...args);
	}

	getProcessedDataCount(...args: Parameters<IDataDeduplicator['getProcessedDataCount']>) {
		return this.current.getProcessedDataCount(...args);
	}
}

let forwarder: Forwarder | undefined;

/** Makes `store` the deduplication store that n8n-core's helpers reach from now on. */
export function useProcessedDataStore(store: ProcessedDataStore): void {
	if (!forwarder) {
		forwarder = new Forwarder();
		void DataDeduplicationService.init(forwarder);
	}
	forwarder.current = store;
}

/** Records what nodes log through n8n's logger (Container's Logger); returns a function that stops recording. */
export function captureLogs(into: Array<{ level: 'info' | 'warn' | 'error'; message: string }>): () => void {
	const logger = Container.get(Logger);
	const original = { info: logger.info, warn: logger.warn, error: logger.error };
	for (const level of ['info', 'warn', 'error'] as const) {
		(logger as unknown as Record<string, (message: string) => void>)[level] = (message: string) => {
			into.push({ level, message: String(message) });
		};
	}
	return () => Object.assign(logger, original);
}

import type { IDataObject } from 'n8n-workflow';

import { LastEmittedPerObject, SeenEventWindow, type WindowOptions } from '../../lib/events/dedupe';

/**
 * The memory of one trigger node: event ids already emitted and, per object, the newest event.
 *
 * n8n builds a fresh Workflow, with its own copy of the static data, for every webhook request,
 * and the last request to finish writes its copy back. Concurrent deliveries (Stripe sends up to
 * 20 at once) would each see a stale copy, so the authority while the process runs is this
 * in-process registry, where checking and recording an id is one synchronous step; the static
 * data holds a snapshot of it so the memory survives restarts. (In queue mode with several
 * webhook processes each process has its own registry: duplicates across processes are then
 * only caught through the persisted snapshot.)
 */
export interface TriggerMemory {
	seen: SeenEventWindow;
	stale: LastEmittedPerObject;
}

const registry = new Map<string, TriggerMemory>();

export function triggerMemory(key: string, staticData: IDataObject, options: WindowOptions): TriggerMemory {
	let memory = registry.get(key);
	if (!memory) {
		memory = {
			seen: SeenEventWindow.fromJSON(staticData.seenEvents, options),
			stale: LastEmittedPerObject.fromJSON(staticData.lastEmitted, options),
		};
		registry.set(key, memory);
	}
	return memory;
}

/** The memory of a node if this process has one (it has after any delivery since start). */
export function existingTriggerMemory(key: string): TriggerMemory | undefined {
	return registry.get(key);
}

/** Writes the memory into the node's static data (n8n persists it after the request). */
export function persistTriggerMemory(memory: TriggerMemory, staticData: IDataObject): void {
	staticData.seenEvents = memory.seen.toJSON() as unknown as IDataObject;
	staticData.lastEmitted = memory.stale.toJSON() as unknown as IDataObject;
}

/** Forgets a node's in-process memory (on deactivation, so a re-activation starts from static data). */
export function dropTriggerMemory(key: string): void {
	registry.delete(key);
}

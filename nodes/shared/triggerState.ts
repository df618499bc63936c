import type { IDataObject } from 'n8n-workflow';

import {
	InFlightClaims,
	LastEmittedPerObject,
	SeenEventWindow,
	type WindowOptions,
} from '../../lib/events/dedupe';
import { GroupCommit } from '../../lib/events/groupCommit';

/**
 * The in-process memory of one trigger node in one mode: event ids already emitted, deliveries in
 * flight and, per object, the newest event emitted.
 *
 * n8n builds a fresh Workflow, with its own copy of the static data, for every webhook request, so
 * concurrent deliveries (Stripe sends up to 20 at once) would each see a stale copy; here checking
 * and claiming an id is one synchronous step. Nothing of this is written to static data: an
 * execution saves the whole static-data object it loaded, which would write an old endpoint secret
 * back after a re-publish. Durable memory across restarts is n8n's own deduplication store, written
 * inside the execution (see the trigger's `execute()`).
 *
 * Test sessions ("Listen for test event", mode `manual`) and production have separate memories:
 * Stripe sends the same event to both endpoints, and each must run.
 */
export interface TriggerMemory {
	claims: InFlightClaims;
	stale: LastEmittedPerObject;
}

/** Which of a node's two webhooks a request or hook belongs to. */
export type WebhookKind = 'production' | 'test';

const registry = new Map<string, TriggerMemory>();

/** The registry key of a node's memory in one mode. */
export function memoryKey(workflowId: string | undefined, nodeId: string, kind: WebhookKind): string {
	return `${workflowId ?? ''}:${nodeId}:${kind}`;
}

/**
 * The memory for `key`, created on first use. A legacy snapshot in static data (`seenEvents`,
 * `lastEmitted`, written by versions before 0.2) seeds it once, read-only.
 */
export function triggerMemory(key: string, staticData: IDataObject, options: WindowOptions, leaseSeconds?: number): TriggerMemory {
	let memory = registry.get(key);
	if (!memory) {
		const legacy = key.endsWith(':production');
		memory = {
			claims: new InFlightClaims(SeenEventWindow.fromJSON(legacy ? staticData.seenEvents : undefined, options), leaseSeconds),
			stale: LastEmittedPerObject.fromJSON(legacy ? staticData.lastEmitted : undefined, options),
		};
		registry.set(key, memory);
	}
	return memory;
}

/** The memory for `key` if this process has one. */
export function existingTriggerMemory(key: string): TriggerMemory | undefined {
	return registry.get(key);
}

/** Forgets one mode's in-process memory (on deactivation). The other mode's memory is kept. */
export function dropTriggerMemory(key: string): void {
	registry.delete(key);
}

const committers = new Map<string, GroupCommit>();

/**
 * The group commit of one node's n8n deduplication store (see lib/events/groupCommit.ts): n8n's
 * store reads and rewrites one row per node without a lock, so in one n8n process its calls are
 * made one at a time, and the ids of executions that arrive meanwhile go in one call together.
 */
export function durableCommitter(key: string): GroupCommit {
	let committer = committers.get(key);
	if (!committer) {
		committer = new GroupCommit();
		committers.set(key, committer);
	}
	return committer;
}

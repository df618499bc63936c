import {
	NodeConnectionTypes,
	NodeOperationError,
	type IDataObject,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	type IPollFunctions,
} from 'n8n-workflow';
import type Stripe from 'stripe';

import { normalizeEventSelection } from '../../lib/events/catalog';
import { createEventMatcher, type LivemodeFilter } from '../../lib/events/filter';
import { flattenEvent } from '../../lib/events/flatten';
import { latestEvent, pollEventBatches, POLL_DEFAULTS, type ListEventsParams, type PollGap } from '../../lib/events/poll';
import { pollGuard, pollGuardKey } from '../../lib/events/pollGuard';
import { settle } from '../../lib/stripe/errors';
import type { StripeList } from '../../lib/stripe/client';
import { fetchCurrentObject as readCurrentObject, objectPath } from '../../lib/triggers/objects';
import { eventRequestHeaders } from '../../lib/triggers/receive';
import { eventsParameter, fetchCurrentObjectOption, modeParameter } from '../shared/eventParameters';
import { CREDENTIAL_NAME, stripeClient, toNodeError } from '../shared/stripeApi';

interface PollOptionsParam {
	lookbackHours?: number;
	/** Per execution (the value's name is kept for saved workflows; one poll used to be one execution). */
	maxEventsPerPoll?: number;
	overlapSeconds?: number;
	fetchCurrentObject?: boolean;
}

/** How many of the newest events "Fetch Test Event" looks through (one request, Stripe's maximum page). */
const TEST_EVENT_SCAN = 100;

/** Share of n8n's poll budget spent fetching further batches; the rest is for the last batch and the hand-off. */
const BUDGET_SHARE = 0.5;

/** When the n8n running the node predates `getPollBudgetMs` (n8n-core's default is 5 minutes). */
const DEFAULT_POLL_BUDGET_MS = 60_000;

/*
 * When n8n 2.41.1 persists a poll trigger's static data (read in n8n/dist and n8n-core/dist):
 * - Items returned (or passed to `this.__emit`): `TriggerExecutionContextFactory.getExecutePollFunctions`
 *   → `__emit` runs `saveStaticData(workflow)` before it starts the execution.
 * - `null` returned: `PollTriggerExecutor.create` → `commitStagedCursor` → `__commitCursor`, which saves
 *   nothing unless durable poll cursors are on (N8N_POLLER_DURABLE_CURSORS_ENABLED + the durable
 *   scheduler). The change stays in the in-memory Workflow until the next emit and is lost on a
 *   restart; with the durable scheduler alone (N8N_SCHEDULER_ENABLED) every tick even starts from the
 *   database again (`PollTriggerTaskHandler` → `createPollExecutionContext`).
 * - The poll run while activating (publish, or startup: `executePollTrigger(true)`) is followed by
 *   `ActiveWorkflowManager.add` → `saveStaticData(workflow)`.
 * So this node never relies on a null poll's state: a cursor is stored before every emit, covering
 * exactly what that execution carries (plus skipped events), and a poll that emits nothing only ever
 * passed over events it did not emit, so repeating it from the stored state repeats no emission; and
 * it reads through filtered-out events within one poll, so a poll that cannot persist still finishes
 * its work instead of stopping at the same batch after every restart.
 */

export class StripeRevOpsEventsPollTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Stripe RevOps Events Poll Trigger',
		name: 'stripeRevOpsEventsPollTrigger',
		icon: { light: 'file:stripeRevOps.svg', dark: 'file:stripeRevOps.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{($parameter["events"] || []).join(", ")}}',
		description: 'Polls Stripe for new events, for n8n instances that cannot receive webhooks; each event is emitted exactly once',
		defaults: { name: 'Stripe RevOps Events Poll Trigger' },
		polling: true,
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: CREDENTIAL_NAME, required: true }],
		properties: [
			{
				displayName:
					'Use this trigger when Stripe cannot reach n8n (behind NAT or a firewall). Stripe keeps events for 30 days; after a longer pause, the first poll says which period may be missing.',
				name: 'notice',
				type: 'notice',
				default: '',
			},
			eventsParameter('The Stripe events to emit'),
			modeParameter,
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add option',
				default: {},
				options: [
					fetchCurrentObjectOption,
					{
						displayName: 'Lookback on First Poll (Hours)',
						name: 'lookbackHours',
						type: 'number',
						typeOptions: { minValue: 0, maxValue: 720 },
						default: 0,
						description: 'On the very first poll, also emit events from this many hours back (at most 720, Stripe\'s 30-day retention). 0 starts from now.',
					},
					{
						displayName: 'Max Events per Execution',
						name: 'maxEventsPerPoll',
						type: 'number',
						typeOptions: { minValue: 1 },
						default: 1000, // POLL_DEFAULTS.maxEventsPerPoll (a literal for n8n's linter; a test keeps them equal)
						description:
							'While catching up, one execution carries at most this many events (oldest first); a poll starts further executions until it has caught up or used its time budget, and the next poll goes on from there',
					},
					{
						displayName: 'Overlap (Seconds)',
						name: 'overlapSeconds',
						type: 'number',
						typeOptions: { minValue: 0 },
						default: 10, // POLL_DEFAULTS.overlapSeconds: see its comment for why 10 s
						description:
							'Each poll re-reads this many seconds before the newest event it has seen (ignoring events already emitted), to catch events that Stripe lists a moment late. 0 trusts Stripe\'s list to be complete at once.',
					},
				],
			},
		],
	};

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		const mode = this.getMode();
		const manual = mode === 'manual';
		// Before anything else, and synchronously: a poll overlapping the previous one of this node
		// (same workflow, same mode) would read the same cursor and emit the same events again.
		const lease = pollGuard.acquire(pollGuardKey(this.getWorkflow().id, this.getNode().id || this.getNode().name, mode), Math.floor(Date.now() / 1000));
		if (lease === undefined) {
			this.logger.info('Stripe RevOps Events Poll Trigger: the previous poll of this node is still running (catching up); this poll is skipped.', {
				node: this.getNode().name,
			});
			return null;
		}
		try {
			return manual ? await fetchTestEvent.call(this) : await pollNewEvents.call(this, () => pollGuard.holds(lease));
		} finally {
			pollGuard.release(lease);
		}
	}
}

function eventSelection(context: IPollFunctions) {
	const events = normalizeEventSelection(context.getNodeParameter('events', []) as string[], { allowUnknown: true });
	const matcher = createEventMatcher({ events, mode: context.getNodeParameter('mode', 'all') as LivemodeFilter });
	return { events, matcher };
}

async function toItem(context: IPollFunctions, client: Awaited<ReturnType<typeof stripeClient>>['client'], event: Stripe.Event, fetchCurrentObject: boolean) {
	const extra: IDataObject = {};
	let currentObject: Record<string, unknown> | undefined;
	if (fetchCurrentObject) {
		const object = event.data.object as unknown as { id?: string; object?: string };
		const path = objectPath(object.object, object.id);
		if (path) {
			// A deleted object (a *.deleted event, a 404, a deleted stub) is emitted with currentObject null: failing
			// here would stop the cursor at this event for good. An event of a connected account is read in that account.
			const fetched = await settle(
				readCurrentObject(event.type, path, eventRequestHeaders(event as unknown as Record<string, unknown>, false), async (p, headers) => await client.get(p, undefined, { headers })),
			);
			if (!fetched.ok) throw toNodeError(context.getNode(), fetched.error);
			currentObject = fetched.value.currentObject ?? undefined;
			extra.currentObject = fetched.value.currentObject as IDataObject | null;
			extra.objectDeleted = fetched.value.deleted;
		}
	}
	const item = flattenEvent(event, { currentObject });
	return { json: { ...item, ...extra } as unknown as IDataObject };
}

/** "Fetch Test Event": the newest matching event, one `GET /v1/events?limit=…`; the cursor is not touched. */
async function fetchTestEvent(this: IPollFunctions): Promise<INodeExecutionData[][]> {
	const options = this.getNodeParameter('options', {}) as PollOptionsParam;
	const { events, matcher } = eventSelection(this);
	const { client } = await stripeClient(this);
	const found = await settle(
		latestEvent<Stripe.Event>({
			listLatest: async (params) => await client.get<StripeList<Stripe.Event>>('/v1/events', { limit: params.limit, types: params.types }),
			limit: TEST_EVENT_SCAN,
			types: events,
			filter: (event) => matcher(event),
		}),
	);
	if (!found.ok) throw toNodeError(this.getNode(), found.error);
	if (found.value === undefined) {
		throw new NodeOperationError(
			this.getNode(),
			`None of the ${TEST_EVENT_SCAN} newest events of this Stripe account matches the selected events and mode`,
			{ description: 'Create a matching event (e.g. in the Stripe Dashboard, or with the Stripe CLI\'s `stripe trigger`), or widen Events or Mode, then fetch again.' },
		);
	}
	return [[await toItem(this, client, found.value, options.fetchCurrentObject === true)]];
}

/**
 * A scheduled poll: new events since the stored cursor, oldest first, in executions of at most
 * Max Events per Execution. Every execution but the last is started here with `this.__emit`, after
 * storing the cursor that covers it; the last is returned for n8n to start.
 */
async function pollNewEvents(this: IPollFunctions, stillHolds: () => boolean): Promise<INodeExecutionData[][] | null> {
	const staticData = this.getWorkflowStaticData('node');
	const options = this.getNodeParameter('options', {}) as PollOptionsParam;
	const { events, matcher } = eventSelection(this);
	const { client } = await stripeClient(this);
	const fetchCurrentObject = options.fetchCurrentObject === true;
	const perExecution = options.maxEventsPerPoll ?? POLL_DEFAULTS.maxEventsPerPoll;
	const started = Date.now();
	const budgetMs = typeof this.getPollBudgetMs === 'function' ? this.getPollBudgetMs() : DEFAULT_POLL_BUDGET_MS;

	const listEvents = async (params: ListEventsParams) =>
		await client.get<StripeList<Stripe.Event>>('/v1/events', {
			created: { gte: params.createdGte, lte: params.createdLte },
			starting_after: params.startingAfter,
			limit: params.limit,
			types: params.types,
		});
	let gap: PollGap | null = null;
	let pending: Stripe.Event[] = [];
	let cursor: IDataObject | undefined;
	const superseded = () => {
		this.logger.warn('Stripe RevOps Events Poll Trigger: this poll ran so long that a newer poll took over; its result is dropped and the newer poll continues from the stored position.', {
			node: this.getNode().name,
		});
		return null;
	};
	/**
	 * Stores `cursor` and hands `pending` to n8n in executions of at most `perExecution` events (a
	 * second crowded with more events comes as one batch). All but the last are started here, one
	 * right after the other; the last is returned when `final` (n8n starts it), else started too.
	 * Returns `false` when this poll lost its lease and must drop its result.
	 */
	const flush = async (final: boolean): Promise<INodeExecutionData[] | false> => {
		const chunks: INodeExecutionData[][] = [];
		for (let i = 0; i < pending.length; i += perExecution) {
			const chunk: INodeExecutionData[] = [];
			for (const event of pending.slice(i, i + perExecution)) chunk.push(await toItem(this, client, event, fetchCurrentObject));
			chunks.push(chunk);
		}
		if (gap) {
			if (chunks.length === 0) chunks.push([]);
			chunks[0].unshift({ json: { gap: true, ...(gap as unknown as IDataObject) } });
			gap = null;
		}
		if (!stillHolds()) return false;
		staticData.cursor = cursor;
		const last = final ? chunks.pop() : undefined;
		for (const chunk of chunks) this.__emit([chunk]);
		pending = [];
		return last ?? [];
	};

	const batches = pollEventBatches<Stripe.Event>({
		listEvents,
		now: Math.floor(started / 1000),
		cursor: staticData.cursor,
		lookbackSeconds: Math.round((options.lookbackHours ?? 0) * 3600),
		overlapSeconds: options.overlapSeconds,
		maxEventsPerPoll: perExecution,
		types: events,
		filter: (event) => matcher(event),
		// Past half the budget, stop once there is something to hand off (which stores the cursor);
		// with nothing to hand off, stopping would lose the progress (n8n does not store it).
		shouldContinue: () => pending.length === 0 || Date.now() - started < budgetMs * BUDGET_SHARE,
	});
	const iterate = async (): Promise<INodeExecutionData[] | false> => {
		for await (const batch of batches) {
			if (batch.gap) {
				this.logger.warn(batch.gap.message);
				gap = batch.gap;
			}
			if (pending.length > 0 && pending.length + batch.events.length > perExecution) {
				if ((await flush(false)) === false) return false;
			}
			pending.push(...batch.events);
			cursor = batch.cursor as unknown as IDataObject;
		}
		return await flush(true);
	};
	const outcome = await settle(iterate());
	if (!outcome.ok) throw toNodeError(this.getNode(), outcome.error);
	if (outcome.value === false) return superseded();
	return outcome.value.length ? [outcome.value] : null;
}

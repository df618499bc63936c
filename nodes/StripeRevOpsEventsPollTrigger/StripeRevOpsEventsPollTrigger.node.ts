import {
	NodeConnectionTypes,
	type IDataObject,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	type IPollFunctions,
} from 'n8n-workflow';
import type Stripe from 'stripe';

import { normalizeEventSelection } from '../../lib/events/catalog';
import { STRIPE_EVENT_RETENTION_SECONDS } from '../../lib/events/constants';
import { createEventMatcher, type LivemodeFilter } from '../../lib/events/filter';
import { flattenEvent } from '../../lib/events/flatten';
import { pollEvents, type ListEventsParams } from '../../lib/events/poll';
import { settle } from '../../lib/stripe/errors';
import type { StripeList } from '../../lib/stripe/client';
import { objectPath } from '../../lib/triggers/objects';
import { eventsParameter, fetchCurrentObjectOption, modeParameter } from '../shared/eventParameters';
import { CREDENTIAL_NAME, stripeClient, toNodeError } from '../shared/stripeApi';

interface PollOptionsParam {
	lookbackHours?: number;
	maxEventsPerPoll?: number;
	fetchCurrentObject?: boolean;
}

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
						displayName: 'Max Events per Poll',
						name: 'maxEventsPerPoll',
						type: 'number',
						typeOptions: { minValue: 1 },
						default: 1000,
						description: 'While catching up after downtime, emit at most this many events per poll (oldest first); the rest follow on the next polls',
					},
				],
			},
		],
	};

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		const staticData = this.getWorkflowStaticData('node');
		const options = this.getNodeParameter('options', {}) as PollOptionsParam;
		const events = normalizeEventSelection(this.getNodeParameter('events', []) as string[], { allowUnknown: true });
		const matcher = createEventMatcher({ events, mode: this.getNodeParameter('mode', 'all') as LivemodeFilter });
		const { client } = await stripeClient(this);
		const now = Math.floor(Date.now() / 1000);
		const manual = this.getMode() === 'manual';

		const listEvents = async (params: ListEventsParams) =>
			client.get<StripeList<Stripe.Event>>('/v1/events', {
				created: { gte: params.createdGte, lte: params.createdLte },
				starting_after: params.startingAfter,
				limit: params.limit,
				types: params.types,
			});

		const outcome = await settle(
			pollEvents<Stripe.Event>({
				listEvents,
				now,
				// "Fetch Test Event" in the editor shows recent events without moving the cursor.
				cursor: manual ? undefined : staticData.cursor,
				lookbackSeconds: manual ? STRIPE_EVENT_RETENTION_SECONDS : Math.round((options.lookbackHours ?? 0) * 3600),
				maxEventsPerPoll: manual ? 100 : options.maxEventsPerPoll,
				types: events,
				filter: (event) => matcher(event),
			}),
		);
		if (!outcome.ok) throw toNodeError(this.getNode(), outcome.error);
		const result = outcome.value;

		const items: INodeExecutionData[] = [];
		if (result.gap) {
			this.logger.warn(result.gap.message);
			items.push({ json: { gap: true, ...(result.gap as unknown as IDataObject) } });
		}
		const emitted = manual ? result.events.slice(-1) : result.events;
		for (const event of emitted) {
			let currentObject: Record<string, unknown> | undefined;
			if (options.fetchCurrentObject) {
				const object = event.data.object as unknown as { id?: string; object?: string };
				const path = objectPath(object.object, object.id);
				if (path) {
					const fetched = await settle(client.get<Record<string, unknown>>(path));
					if (!fetched.ok) throw toNodeError(this.getNode(), fetched.error);
					currentObject = fetched.value;
				}
			}
			const item = flattenEvent(event, { currentObject });
			items.push({ json: { ...item, ...(currentObject ? { currentObject } : {}) } as unknown as IDataObject });
		}

		if (!manual) staticData.cursor = result.cursor as unknown as IDataObject;
		return items.length ? [items] : null;
	}
}

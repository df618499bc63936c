import type { INodeProperties } from 'n8n-workflow';

import { EVENT_TYPE_OPTIONS } from '../../lib/events/catalog';

/** The event selection both triggers share: every Stripe event type, or `*`. */
export function eventsParameter(description: string): INodeProperties {
	return {
		displayName: 'Events',
		name: 'events',
		type: 'multiOptions',
		required: true,
		default: [],
		description,
		options: [...EVENT_TYPE_OPTIONS],
	};
}

export const modeParameter: INodeProperties = {
	displayName: 'Mode',
	name: 'mode',
	type: 'options',
	options: [
		{ name: 'Live and Test', value: 'all' },
		{ name: 'Live Only', value: 'live' },
		{ name: 'Test Only', value: 'test' },
	],
	default: 'all',
	description: 'Which events to emit by their livemode flag',
};

export const fetchCurrentObjectOption: INodeProperties = {
	displayName: 'Fetch Current Object',
	name: 'fetchCurrentObject',
	type: 'boolean',
	default: false,
	description:
		'Whether to re-fetch the object the event is about and output it as currentObject. Stripe advises this because events can arrive out of order.',
};

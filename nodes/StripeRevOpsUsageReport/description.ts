import type { INodeProperties } from 'n8n-workflow';

export const OPERATIONS = ['reportUsage', 'cancelUsage', 'getUsageSummary'] as const;
export type UsageOperation = (typeof OPERATIONS)[number];

const show = (operation: UsageOperation[], extra: Record<string, unknown[]> = {}) => ({ displayOptions: { show: { operation, ...extra } } });

const eventNameLocator: INodeProperties = {
	displayName: 'Meter',
	name: 'eventName',
	type: 'resourceLocator',
	default: { mode: 'list', value: '' },
	required: true,
	description: 'The meter the usage is for (its event name)',
	modes: [
		{ displayName: 'From List', name: 'list', type: 'list', typeOptions: { searchListMethod: 'searchMeterEventNames', searchable: true } },
		{ displayName: 'Event Name', name: 'eventName', type: 'string', placeholder: 'api_requests' },
	],
};

const meterLocator: INodeProperties = {
	displayName: 'Meter',
	name: 'meter',
	type: 'resourceLocator',
	default: { mode: 'list', value: '' },
	required: true,
	description: 'The meter whose usage is summarized',
	modes: [
		{ displayName: 'From List', name: 'list', type: 'list', typeOptions: { searchListMethod: 'searchMeters', searchable: true } },
		{
			displayName: 'ID',
			name: 'id',
			type: 'string',
			placeholder: 'mtr_test_61Q8nQMqIFK9fRQmr41CMAXJrFdZ5MnA',
			validation: [{ type: 'regex', properties: { regex: '^mtr_\\w+$', errorMessage: 'A meter id starts with mtr_' } }],
		},
	],
};

const customerLocator: INodeProperties = {
	displayName: 'Customer',
	name: 'customer',
	type: 'resourceLocator',
	default: { mode: 'list', value: '' },
	required: true,
	description: 'The customer whose usage is summarized',
	modes: [
		{ displayName: 'From List', name: 'list', type: 'list', typeOptions: { searchListMethod: 'searchCustomers', searchable: true } },
		{
			displayName: 'ID',
			name: 'id',
			type: 'string',
			placeholder: 'cus_NffrFeUfNV2Hib',
			validation: [{ type: 'regex', properties: { regex: '^cus_\\w+$', errorMessage: 'A customer id starts with cus_' } }],
		},
	],
};

export const properties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		default: 'reportUsage',
		options: [
			{ name: 'Cancel Usage', value: 'cancelUsage', action: 'Cancel a meter event', description: 'Cancel a meter event by its identifier (within 24 hours of Stripe receiving it)' },
			{ name: 'Get Usage Summary', value: 'getUsageSummary', action: 'Get a customer s usage summary', description: 'Usage per customer and period, with allowance thresholds' },
			{ name: 'Report Usage', value: 'reportUsage', action: 'Report usage to a meter', description: 'Send usage items to Stripe meters: batched, deduplicated, validated' },
		],
	},
	// Report Usage
	{ ...eventNameLocator, ...show(['reportUsage', 'cancelUsage']) },
	{
		displayName: 'Input Fields',
		name: 'inputMode',
		type: 'options',
		noDataExpression: true,
		default: 'fieldNames',
		options: [
			{ name: 'By Field Name', value: 'fieldNames', description: 'Read each item\'s fields by name: fastest, for big batches' },
			{ name: 'Map Each Field', value: 'mapped', description: 'An expression per field' },
		],
		...show(['reportUsage']),
	},
	{
		displayName: 'Customer Lookup',
		name: 'customerBy',
		type: 'options',
		default: 'id',
		options: [
			{ name: 'Stripe Customer ID', value: 'id' },
			{ name: 'Email', value: 'email', description: 'Looked up once per email per execution; exactly one customer must match' },
			{ name: 'Metadata Key', value: 'metadata', description: 'Customer search on a metadata key; exactly one customer must match' },
		],
		...show(['reportUsage']),
	},
	{
		displayName: 'Metadata Key',
		name: 'metadataKey',
		type: 'string',
		default: '',
		placeholder: 'account_id',
		description: 'The customers\' metadata key that holds the value in the customer field',
		...show(['reportUsage'], { customerBy: ['metadata'] }),
	},
	{ displayName: 'Customer Field', name: 'customerField', type: 'string', default: 'customer', description: 'Field holding the customer ID, email or metadata value', ...show(['reportUsage'], { inputMode: ['fieldNames'] }) },
	{ displayName: 'Value Field', name: 'valueField', type: 'string', default: 'value', description: 'Field holding the usage value (ignored by count meters)', ...show(['reportUsage'], { inputMode: ['fieldNames'] }) },
	{
		displayName: 'Timestamp Field',
		name: 'timestampField',
		type: 'string',
		default: 'timestamp',
		description: 'Field holding when the usage happened (unix seconds or ms, ISO 8601); missing: now',
		...show(['reportUsage'], { inputMode: ['fieldNames'] }),
	},
	{
		displayName: 'Source ID Field',
		name: 'sourceIdField',
		type: 'string',
		default: 'id',
		description: 'Field holding the row\'s ID in your system: it makes the identifier, so a re-run never bills twice',
		...show(['reportUsage'], { inputMode: ['fieldNames'] }),
	},
	{ displayName: 'Customer', name: 'customerValue', type: 'string', default: '', description: 'The customer ID, email or metadata value', ...show(['reportUsage'], { inputMode: ['mapped'] }) },
	{ displayName: 'Value', name: 'value', type: 'string', default: '1', description: 'The usage value (ignored by count meters)', ...show(['reportUsage'], { inputMode: ['mapped'] }) },
	{ displayName: 'Timestamp', name: 'timestamp', type: 'string', default: '', description: 'When the usage happened (unix seconds or ms, ISO 8601); empty: now', ...show(['reportUsage'], { inputMode: ['mapped'] }) },
	{ displayName: 'Source ID', name: 'sourceId', type: 'string', default: '', description: 'The row\'s ID in your system: it makes the identifier, so a re-run never bills twice', ...show(['reportUsage'], { inputMode: ['mapped'] }) },
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		...show(['reportUsage']),
		options: [
			{
				displayName: 'Aggregate',
				name: 'aggregation',
				type: 'options',
				default: 'none',
				options: [
					{ name: 'None', value: 'none', description: 'One meter event per item' },
					{ name: 'Sum', value: 'sum', description: 'One event per customer, meter and window with the sum' },
					{ name: 'Count', value: 'count', description: 'One event per customer, meter and window with the number of items' },
					{ name: 'Last', value: 'last', description: 'One event per customer, meter and window with the latest value' },
				],
			},
			{
				displayName: 'Aggregation Window',
				name: 'window',
				type: 'options',
				default: 'hour',
				options: [
					{ name: 'Minute', value: 'minute' },
					{ name: 'Hour', value: 'hour' },
					{ name: 'Day', value: 'day' },
				],
			},
			{ displayName: 'Allow Negative Values', name: 'allowNegative', type: 'boolean', default: false, description: 'Whether negative values are sent (to net out credits on sum meters)' },
			{ displayName: 'Concurrent Requests', name: 'concurrency', type: 'number', default: 16, typeOptions: { minValue: 1, maxValue: 32 }, description: 'Requests in flight at once (16: at Stripe\'s ~120 ms a request, what its 10,000 events/s needs)' },
			{
				displayName: 'Output',
				name: 'output',
				type: 'options',
				default: 'itemsAndSummary',
				options: [
					{ name: 'Items and Summary', value: 'itemsAndSummary', description: 'A result per input item, then a summary item' },
					{ name: 'Items Only', value: 'itemsOnly' },
					{ name: 'Summary Only', value: 'summaryOnly', description: 'One summary item: for big batches' },
				],
			},
			{
				displayName: 'Rejected Items',
				name: 'rejected',
				type: 'options',
				default: 'output',
				options: [
					{ name: 'Output With Status "Rejected"', value: 'output', description: 'A bad row never stops metering; the summary counts it' },
					{ name: 'Fail (or Error Item With Continue On Fail)', value: 'error' },
				],
			},
			{
				displayName: 'Transport',
				name: 'transport',
				type: 'options',
				default: 'v2Stream',
				options: [
					{ name: 'V2 Meter Event Stream', value: 'v2Stream', description: '100 events a request, up to 10,000 events/s' },
					{ name: 'V1 Meter Events', value: 'v1', description: 'One event a request, up to 1,000/s; answers duplicates' },
				],
			},
		],
	},
	// Cancel Usage
	{ displayName: 'Identifier', name: 'identifier', type: 'string', default: '', required: true, description: 'The meter event\'s identifier (Report Usage outputs it)', ...show(['cancelUsage']) },
	// Get Usage Summary
	{ ...meterLocator, ...show(['getUsageSummary']) },
	{ ...customerLocator, ...show(['getUsageSummary']) },
	{ displayName: 'Start', name: 'start', type: 'dateTime', default: '', required: true, description: 'Start of the period (aligned down to the grouping)', ...show(['getUsageSummary']) },
	{ displayName: 'End', name: 'end', type: 'dateTime', default: '', description: 'End of the period (aligned up to the grouping); empty: now', ...show(['getUsageSummary']) },
	{
		displayName: 'Group By',
		name: 'grouping',
		type: 'options',
		default: 'day',
		options: [
			{ name: 'Hour', value: 'hour' },
			{ name: 'Day', value: 'day' },
		],
		...show(['getUsageSummary']),
	},
	{ displayName: 'Included Units', name: 'allowance', type: 'number', default: 0, typeOptions: { minValue: 0 }, description: 'Units included in the customer\'s plan; 0: no allowance check', ...show(['getUsageSummary']) },
	{ displayName: 'Thresholds (%)', name: 'thresholds', type: 'string', default: '80,100', description: 'Percent of the included units that raise "approaching" (and 100: "overAllowance"), comma-separated', ...show(['getUsageSummary']) },
];

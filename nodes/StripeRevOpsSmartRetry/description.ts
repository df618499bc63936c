import type { INodeProperties } from 'n8n-workflow';

/** Stable operation values (workflows store them). */
export const OPERATIONS = ['planRetry', 'retryPayment', 'listDueRetries', 'trainModel', 'evaluatePolicy'] as const;
export type SmartRetryOperation = (typeof OPERATIONS)[number];

const show = (...operation: SmartRetryOperation[]) => ({ displayOptions: { show: { operation } } });

const invoiceLocator: INodeProperties = {
	displayName: 'Invoice',
	name: 'invoice',
	type: 'resourceLocator',
	default: { mode: 'list', value: '' },
	description:
		'The failed invoice. Leave empty to take it from the input item: a Stripe RevOps Trigger item (invoice.payment_failed), a Stripe event, an invoice object, or the output of Plan Retry or List Due Retries.',
	modes: [
		{
			displayName: 'From List',
			name: 'list',
			type: 'list',
			typeOptions: { searchListMethod: 'searchOpenInvoices', searchable: true },
		},
		{
			displayName: 'ID',
			name: 'id',
			type: 'string',
			placeholder: 'in_1MtHbELkdIwHu7ixl4OzzPMv',
			validation: [{ type: 'regex', properties: { regex: '^in_\\w+$', errorMessage: 'An invoice id starts with in_' } }],
		},
	],
};

const modelSource: INodeProperties = {
	displayName: 'Model',
	name: 'modelSource',
	type: 'options',
	default: 'workflowStaticData',
	description: 'Where the learned success model comes from. Train Model stores it in the workflow; without one the documented priors decide.',
	options: [
		{ name: 'Stored in This Workflow', value: 'workflowStaticData', description: 'The model Train Model stored, kept up to date by Retry Payment' },
		{ name: 'Binary File', value: 'binaryFile', description: 'A model JSON file on the input item (Train Model outputs one)' },
		{ name: 'Priors Only', value: 'priors', description: 'No learned model: the documented priors' },
	],
};

const policyOptions: INodeProperties = {
	displayName: 'Policy',
	name: 'policy',
	type: 'collection',
	placeholder: 'Add Rule',
	default: {},
	options: [
		{ displayName: 'Attempt Budget', name: 'attemptBudget', type: 'number', default: 8, typeOptions: { minValue: 1 }, description: 'Retries at most in the recovery window (Stripe\'s default: 8 tries in 2 weeks)' },
		{ displayName: 'Business Days Only', name: 'businessDaysOnly', type: 'boolean', default: true, description: 'Whether to retry only Monday to Friday in the customer\'s zone' },
		{ displayName: 'Dunning: Final Notice Days', name: 'finalNoticeDays', type: 'number', default: 4, typeOptions: { minValue: 0 }, description: 'Days of the final notice before access is suspended' },
		{ displayName: 'Dunning: First Notice Days', name: 'firstNoticeDays', type: 'number', default: 3, typeOptions: { minValue: 0 }, description: 'Days of full access ("grace") after the first failure' },
		{ displayName: 'Dunning: Reminder Days', name: 'reminderDays', type: 'number', default: 7, typeOptions: { minValue: 0 }, description: 'Days of limited access after the first notice' },
		{ displayName: 'Exploration (Thompson Sampling)', name: 'explore', type: 'boolean', default: true, description: 'Whether to score times by a draw from the model instead of its mean, so it keeps learning without wasting the budget' },
		{ displayName: 'Max Attempts per Hour', name: 'maxAttemptsPerHour', type: 'number', default: 1, typeOptions: { minValue: 1 }, description: 'Attempts per card in any hour' },
		{ displayName: 'Minimum Spacing (Hours)', name: 'minSpacingHours', type: 'number', default: 12, typeOptions: { minValue: 0 }, description: 'At least this long between two attempts on the invoice' },
		{ displayName: 'Paydays', name: 'paydays', type: 'string', default: '1,15,last', description: 'Days of the month that are paydays, comma-separated: numbers and "last"' },
		{ displayName: 'Quiet Hours End', name: 'quietEnd', type: 'string', default: '08:00', description: 'End of the quiet hours, customer-local HH:mm' },
		{ displayName: 'Quiet Hours Start', name: 'quietStart', type: 'string', default: '21:00', description: 'Start of the quiet hours, customer-local HH:mm (empty: no quiet hours)' },
		{ displayName: 'Random Seed', name: 'seed', type: 'number', default: 0, description: 'Seed of the exploration draws, for reproducible plans (0: random)' },
		{ displayName: 'Recovery Window (Days)', name: 'recoveryWindowDays', type: 'number', default: 14, typeOptions: { minValue: 1 }, description: 'Retry only this long after the first failure' },
		{ displayName: 'Visa Reattempts per 30 Days', name: 'visaMaxReattempts30d', type: 'number', default: 20, typeOptions: { minValue: 1 }, description: 'Visa\'s limit per card (20 since 25 May 2025, 15 before)' },
	],
};

const messageFields: INodeProperties[] = [
	{
		displayName: 'Compose Dunning Message',
		name: 'composeMessage',
		type: 'boolean',
		default: true,
		description: 'Whether to output a localized message (subject, text, HTML) with a link to a Stripe-hosted page',
	},
	{
		displayName: 'Merchant Name',
		name: 'merchantName',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'Acme Inc.',
		description: 'Your business name, as the message signs it',
		displayOptions: { show: { operation: ['planRetry', 'retryPayment'], composeMessage: [true] } },
	},
	{
		displayName: 'Message Options',
		name: 'messageOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: { show: { operation: ['planRetry', 'retryPayment'], composeMessage: [true] } },
		options: [
			{
				displayName: 'Link To',
				name: 'link',
				type: 'options',
				default: 'hostedInvoicePage',
				options: [
					{ name: 'Hosted Invoice Page', value: 'hostedInvoicePage', description: 'Stripe\'s page for this invoice: pay or update the card' },
					{ name: 'Billing Portal', value: 'billingPortal', description: 'A new Stripe billing-portal session for the customer' },
				],
			},
			{ displayName: 'Locale', name: 'locale', type: 'string', default: '', placeholder: 'de', description: 'Overrides the customer\'s preferred locale (en, de, fr, es, it, nl, pt, ja; regional tags such as pt-BR format numbers and dates)' },
			{ displayName: 'Portal Return URL', name: 'returnUrl', type: 'string', default: '', placeholder: 'https://example.com/account', description: 'Where the billing portal sends the customer back' },
			{
				displayName: 'Text Overrides (JSON)',
				name: 'overrides',
				type: 'json',
				default: '{}',
				description: 'Texts replacing the built-in ones, per locale and part, e.g. {"en": {"signature": "The Acme team"}}',
			},
		],
	},
];

export const properties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		default: 'planRetry',
		options: [
			{ name: 'Evaluate Policy', value: 'evaluatePolicy', action: 'Evaluate the retry policy on history', description: 'Train on an earlier period and estimate on a later one (a model-based estimate)' },
			{ name: 'List Due Retries', value: 'listDueRetries', action: 'List invoices whose retry is due', description: 'Open invoices whose recorded plan is due now' },
			{ name: 'Plan Retry', value: 'planRetry', action: 'Plan the retry of a failed payment', description: 'Decide when to retry, or what to ask the customer, with a localized message' },
			{ name: 'Retry Payment', value: 'retryPayment', action: 'Retry a failed payment', description: 'Pay the invoice now, once per planned attempt, and plan the next' },
			{ name: 'Train Model', value: 'trainModel', action: 'Train the success model', description: 'Learn when payments succeed from the account\'s history' },
		],
	},
	{ ...invoiceLocator, ...show('planRetry', 'retryPayment') },
	{
		displayName: 'Attempt',
		name: 'attempt',
		type: 'number',
		default: 0,
		typeOptions: { minValue: 0 },
		description: 'The planned attempt number (it makes the idempotency key). 0 takes it from the input item (Plan Retry, List Due Retries) or the plan recorded on the invoice.',
		...show('retryPayment'),
	},
	{
		displayName: 'Respect Schedule',
		name: 'respectSchedule',
		type: 'boolean',
		default: true,
		description: 'Whether to refuse (and send nothing) when the plan is not a retry or is not due yet. The card-network rules are always enforced.',
		...show('retryPayment'),
	},
	{
		displayName: 'Take Over Collection',
		name: 'takeOverCollection',
		type: 'boolean',
		default: true,
		description: 'Whether to set the invoice\'s auto_advance to false, so Stripe\'s own retries stop and this plan is the schedule',
		...show('planRetry', 'retryPayment'),
	},
	{
		displayName: 'Record Plan in Stripe',
		name: 'recordPlan',
		type: 'boolean',
		default: true,
		description: 'Whether to write the plan into the invoice\'s metadata (revops_retry_*), so it is durable, visible in Stripe and found by List Due Retries',
		...show('planRetry', 'retryPayment'),
	},
	...messageFields.map((p) => (p.name === 'composeMessage' ? { ...p, ...show('planRetry', 'retryPayment') } : p)),
	{ ...modelSource, ...show('planRetry', 'retryPayment') },
	{
		displayName: 'Input Binary Field',
		name: 'binaryProperty',
		type: 'string',
		default: 'model',
		description: 'The binary field of the input item that holds the model JSON',
		displayOptions: { show: { operation: ['planRetry', 'retryPayment'], modelSource: ['binaryFile'] } },
	},
	{ ...policyOptions, ...show('planRetry', 'retryPayment', 'evaluatePolicy') },
	{
		displayName: 'Return All',
		name: 'returnAll',
		type: 'boolean',
		default: true,
		description: 'Whether to return all results or only up to a given limit',
		...show('listDueRetries'),
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		default: 50,
		typeOptions: { minValue: 1 },
		description: 'Max number of results to return',
		displayOptions: { show: { operation: ['listDueRetries'], returnAll: [false] } },
	},
	{
		displayName: 'From',
		name: 'from',
		type: 'dateTime',
		default: '',
		required: true,
		description: 'Start of the history to learn from (payment attempts created at or after it)',
		...show('trainModel', 'evaluatePolicy'),
	},
	{
		displayName: 'To',
		name: 'to',
		type: 'dateTime',
		default: '',
		description: 'End of the history (exclusive); empty: now',
		...show('trainModel', 'evaluatePolicy'),
	},
	{
		displayName: 'Split At',
		name: 'splitAt',
		type: 'dateTime',
		default: '',
		description: 'Train before this time, estimate on attempts from it on; empty: two thirds into the range',
		...show('evaluatePolicy'),
	},
	{
		displayName: 'Store Model',
		name: 'storeModel',
		type: 'boolean',
		default: true,
		description: 'Whether to store the model in this workflow, where Plan Retry and Retry Payment use it. It is also output as JSON and as a binary file.',
		...show('trainModel'),
	},
];

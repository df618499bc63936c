import type { INodeProperties } from 'n8n-workflow';

import { PROFILE_FIELDS } from '../../lib/crm';
import { exchangeRatesOption } from '../shared/rates';

export const OPERATIONS = ['buildProfiles', 'shapeForCrm', 'crmSchema', 'ownerAlerts'] as const;
export type CrmOperation = (typeof OPERATIONS)[number];

const show = (operation: CrmOperation[], extra: Record<string, unknown[]> = {}) => ({ displayOptions: { show: { operation, ...extra } } });

const profileOptions: INodeProperties[] = [
	exchangeRatesOption,
	{ displayName: 'Recovered For (Days)', name: 'recoveredDays', type: 'number', default: 30, typeOptions: { minValue: 0 }, description: 'How long after a failed payment a customer who now pays shows as recovered, before healthy' },
	{ displayName: 'Reporting Currency', name: 'reportingCurrency', type: 'string', default: 'usd', description: 'MRR and lifetime value are converted into this currency (three-letter ISO code)' },
];

const mappingOptions: INodeProperties[] = [
	{ displayName: 'Property Prefix', name: 'prefix', type: 'string', default: 'stripe_', description: 'Prefix of the default CRM property names (stripe_mrr, stripe_payment_health, …)' },
	{
		displayName: 'Property Mapping',
		name: 'propertyMapping',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		default: {},
		placeholder: 'Add Mapping',
		description: 'Use another CRM property name for a profile field; an empty name leaves the field out',
		options: [
			{
				displayName: 'Mapping',
				name: 'mapping',
				values: [
					{
						displayName: 'Profile Field',
						name: 'field',
						type: 'options',
						default: 'mrr',
						description: 'The revenue profile field',
						options: PROFILE_FIELDS.map((f) => ({ name: f.label.replace(/^Stripe /, '').replace(/^./, (c) => c.toUpperCase()), value: f.field, description: f.description })),
					},
					{ displayName: 'CRM Property', name: 'property', type: 'string', default: '', placeholder: 'mrr_usd', description: 'The CRM property name (lower case, digits, underscores); empty leaves the field out' },
				],
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
		default: 'buildProfiles',
		options: [
			{ name: 'Build Profiles', value: 'buildProfiles', action: 'Build revenue profiles', description: 'Each customer\'s MRR, plan, payment health, dunning, lifetime value and churn risk, read from Stripe now' },
			{ name: 'CRM Schema', value: 'crmSchema', action: 'Describe the CRM properties', description: 'The property group and properties the mapping needs, in HubSpot\'s properties API shape, for a one-time setup' },
			{ name: 'Owner Alerts', value: 'ownerAlerts', action: 'Alert account owners', description: 'A task and note for the owner when a valuable customer starts failing or churns, once per episode' },
			{ name: 'Shape for CRM', value: 'shapeForCrm', action: 'Shape profiles as CRM records', description: 'Profiles as CRM records keyed by email or domain, in batches of up to 100 for HubSpot\'s batch upsert' },
		],
	},
	// Build Profiles
	{
		displayName: 'Customers',
		name: 'source',
		type: 'options',
		default: 'input',
		options: [
			{ name: 'Named by the Input Items', value: 'input', description: 'The customer of each item: this package\'s trigger items, Stripe events, or any item with a customerId or customer field' },
			{ name: 'One Customer', value: 'customer', description: 'The customer chosen below' },
			{ name: 'Every Customer', value: 'all', description: 'The whole account, read in bulk (for a nightly full sync)' },
		],
		...show(['buildProfiles']),
	},
	{
		displayName: 'Customer',
		name: 'customer',
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		required: true,
		description: 'The Stripe customer to profile',
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
		...show(['buildProfiles'], { source: ['customer'] }),
	},
	// Shape for CRM and CRM Schema
	{
		displayName: 'CRM Objects',
		name: 'objects',
		type: 'options',
		default: 'contacts',
		options: [
			{ name: 'Contacts', value: 'contacts', description: 'One contact per customer, matched by email' },
			{ name: 'Companies', value: 'companies', description: 'One company per customer domain, matched by the unique stripe_domain property' },
			{ name: 'Contacts and Companies', value: 'contactsAndCompanies', description: 'Both; a customer without a company domain still syncs its contact' },
		],
		...show(['shapeForCrm', 'crmSchema']),
	},
	{
		displayName: 'Output',
		name: 'output',
		type: 'options',
		default: 'hubspotBatch',
		options: [
			{ name: 'HubSpot Batch Upsert', value: 'hubspotBatch', description: 'Items of up to 100 records, each the body of POST /crm/v3/objects/{objectType}/batch/upsert' },
			{ name: 'One Item per Record', value: 'perRecord', description: 'For other CRMs\' nodes (Salesforce, Pipedrive, Attio): object type, identity and properties' },
		],
		...show(['shapeForCrm']),
	},
	{ displayName: 'Batch Size', name: 'batchSize', type: 'number', default: 100, typeOptions: { minValue: 1, maxValue: 100 }, description: 'Records per batch (HubSpot accepts at most 100)', ...show(['shapeForCrm'], { output: ['hubspotBatch'] }) },
	{
		displayName: 'Options',
		name: 'shapeOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		...show(['shapeForCrm']),
		options: [
			...mappingOptions,
			{ displayName: 'Set Standard Properties', name: 'standardProperties', type: 'boolean', default: false, description: 'Whether to also set the contact\'s first and last name or the company\'s name from Stripe (off: people often edit them in the CRM)' },
		],
	},
	{
		displayName: 'Options',
		name: 'schemaOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		...show(['crmSchema']),
		options: [
			{ displayName: 'Group Label', name: 'groupLabel', type: 'string', default: 'Stripe RevOps', description: 'The property group\'s label in the CRM' },
			{ displayName: 'Group Name', name: 'groupName', type: 'string', default: 'stripe_revops', description: 'The property group\'s internal name' },
			{ displayName: 'Usage Signal Properties', name: 'usageSignal', type: 'boolean', default: true, description: 'Whether to also describe the usage-signal properties (usage status, % of included units, period start) that the revenue-ops pipeline writes from Get Usage Summary' },
			...mappingOptions,
		],
	},
	// Owner Alerts
	{ displayName: 'MRR Threshold', name: 'mrrThreshold', type: 'number', default: 0, typeOptions: { minValue: 0 }, description: 'Only customers with at least this MRR (in the reporting currency) get a failing alert; churn alerts ignore it', ...show(['ownerAlerts']) },
	{
		displayName: 'Alert On',
		name: 'alertOn',
		type: 'multiOptions',
		default: ['failing', 'churned'],
		options: [
			{ name: 'Churned', value: 'churned', description: 'No live subscription any more' },
			{ name: 'Failing', value: 'failing', description: 'A payment is failing (past due, or an open invoice after failed attempts)' },
		],
		description: 'Which health changes alert the owner',
		...show(['ownerAlerts']),
	},
	{
		displayName: 'Churn Alert Window (Days)',
		name: 'churnWindowDays',
		type: 'number',
		default: 7,
		typeOptions: { minValue: 0 },
		description: 'A churn alerts only within this many days of the last subscription ending, so a first sync does not alert every past churn',
		...show(['ownerAlerts']),
	},
	{ displayName: 'Due In (Hours)', name: 'dueInHours', type: 'number', default: 24, typeOptions: { minValue: 0 }, description: 'The task is due this long after the alert', ...show(['ownerAlerts']) },
	{
		displayName: 'Priority',
		name: 'priority',
		type: 'options',
		default: 'high',
		options: [
			{ name: 'High', value: 'high' },
			{ name: 'Medium', value: 'medium' },
			{ name: 'Low', value: 'low' },
		],
		description: 'The task\'s priority (HubSpot\'s HIGH, MEDIUM or LOW)',
		...show(['ownerAlerts']),
	},
	{
		displayName: 'Once per Episode',
		name: 'oncePerEpisode',
		type: 'boolean',
		default: true,
		description: 'Whether to record each alerted episode on the Stripe customer (metadata revops_crm_alert_episode), so re-runs, duplicate events and other workflows do not alert twice',
		...show(['ownerAlerts']),
	},
	{
		displayName: 'Options',
		name: 'profileOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		description: 'For Owner Alerts: used when an input item is not a profile yet',
		...show(['buildProfiles', 'ownerAlerts']),
		options: profileOptions,
	},
];

import type { INodeProperties } from 'n8n-workflow';

import { TABLES } from '../../lib/warehouse/tables';
import { exchangeRatesOption } from '../shared/rates';

export const OPERATIONS = ['syncTables', 'metrics', 'report'] as const;
export type AnalyticsOperation = (typeof OPERATIONS)[number];

const show = (operation: AnalyticsOperation[], extra: Record<string, unknown[]> = {}) => ({ displayOptions: { show: { operation, ...extra } } });

export const properties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		default: 'syncTables',
		options: [
			{ name: 'Metrics', value: 'metrics', action: 'Compute revenue metrics', description: 'MRR movements, NRR and GRR, churn, ARPA, quick ratio, cohorts, failed-payment and checkout funnels, tax, from Stripe now' },
			{ name: 'Report', value: 'report', action: 'Render the revenue dashboard', description: 'The metrics as one HTML page with inline SVG charts (a binary item for Respond to Webhook, email or a file)' },
			{ name: 'Sync Tables', value: 'syncTables', action: 'Sync stripe into warehouse tables', description: 'Sigma-style tables for Postgres (or any SQL database): a backfill, then every change, exactly once from a checkpoint' },
		],
	},
	// Metrics and Report
	{
		displayName: 'Data',
		name: 'source',
		type: 'options',
		default: 'stripe',
		options: [
			{ name: 'From Stripe', value: 'stripe', description: 'Read Stripe now (subscriptions, events of the last 30 days, invoices, charges, refunds, Checkout Sessions, tax rates)' },
			{ name: 'From Warehouse Rows in the Input', value: 'inputRows', description: 'Rows of the Sync Tables tables: Sync Tables\' Rows output, or a Postgres query returning _table and rows per table (workflows/sql/analytics-input.sql)' },
		],
		...show(['metrics', 'report']),
	},
	{ displayName: 'Months', name: 'months', type: 'number', default: 12, typeOptions: { minValue: 1, maxValue: 120 }, description: 'UTC calendar months shown, ending with the current one', ...show(['metrics', 'report']) },
	{
		displayName: 'Output',
		name: 'metricsOutput',
		type: 'options',
		default: 'summary',
		options: [
			{ name: 'Summary', value: 'summary', description: 'One item with every metric (and the current month\'s figures in current)' },
			{ name: 'Monthly Rows', value: 'monthlyRows', description: 'One flat item per month: MRR movements, customers, NRR, GRR, churn, ARPA, quick ratio' },
		],
		...show(['metrics']),
	},
	{ displayName: 'Title', name: 'title', type: 'string', default: 'Revenue dashboard', description: 'The page\'s title', ...show(['report']) },
	{ displayName: 'Put Output File in Field', name: 'binaryProperty', type: 'string', default: 'data', description: 'The binary field that holds the HTML page', ...show(['report']) },
	{
		displayName: 'Options',
		name: 'analyticsOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		...show(['metrics', 'report']),
		options: [
			exchangeRatesOption,
			{ displayName: 'Reporting Currency', name: 'reportingCurrency', type: 'string', default: 'usd', description: 'Every amount is also shown in this currency (three-letter ISO code)' },
			{ displayName: 'Retention Window (Months)', name: 'retentionWindow', type: 'number', default: 12, typeOptions: { minValue: 1 }, description: 'NRR and GRR compare MRR with this many months earlier' },
			{
				displayName: 'Tax Period',
				name: 'taxPeriod',
				type: 'options',
				default: 'month',
				options: [
					{ name: 'Month', value: 'month' },
					{ name: 'Quarter', value: 'quarter' },
					{ name: 'Year', value: 'year' },
				],
				description: 'Periods of the tax summary',
			},
		],
	},
	// Sync Tables
	{
		displayName: 'Checkpoint',
		name: 'checkpoint',
		type: 'options',
		default: 'input',
		options: [
			{ name: 'From the Input Item (Stored With the Rows)', value: 'input', description: 'Read from a field of the input item (e.g. a Postgres query of stripe_sync_state); the output ends with the statement that stores the next one, for the same transaction as the rows' },
			{ name: 'In the Workflow', value: 'workflowStaticData', description: 'Kept in the workflow\'s static data (n8n saves it when a production execution ends)' },
		],
		...show(['syncTables']),
	},
	{ displayName: 'Checkpoint Field', name: 'checkpointField', type: 'string', default: 'state', description: 'The input item\'s field that holds the stored checkpoint (empty or missing: start a new sync)', ...show(['syncTables'], { checkpoint: ['input'] }) },
	{
		displayName: 'Output',
		name: 'output',
		type: 'options',
		default: 'postgresStatements',
		options: [
			{ name: 'Postgres Statements', value: 'postgresStatements', description: 'Items with sql and params for n8n\'s Postgres node (Execute Query, Query Batching: Transaction): upserts on ID, pruned child rows, then the checkpoint' },
			{ name: 'Rows', value: 'rows', description: 'One item per row with its table in _table, for other databases\' nodes' },
		],
		...show(['syncTables']),
	},
	{
		displayName: 'Options',
		name: 'syncOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		...show(['syncTables']),
		options: [
			{ displayName: 'Checkpoint Name', name: 'name', type: 'string', default: 'default', description: 'The checkpoint row\'s name in stripe_sync_state (several syncs into one database)' },
			{ displayName: 'Max Pages per Run', name: 'maxPages', type: 'number', default: 200, typeOptions: { minValue: 1 }, description: 'Most Stripe list requests one run makes; the next run continues from the checkpoint' },
			{ displayName: 'Schema', name: 'schema', type: 'string', default: '', placeholder: 'stripe', description: 'Postgres schema of the tables (empty: the search path)' },
			{
				displayName: 'Tables',
				name: 'tables',
				type: 'multiOptions',
				default: [],
				description: 'Tables to sync (none selected: all); child tables follow their parents',
				options: TABLES.filter((t) => t.list).map((t) => ({ name: t.name, value: t.name })),
			},
		],
	},
];

import type { INodeProperties } from 'n8n-workflow';

export const OPERATIONS = ['exportTransactions', 'reconcilePayout', 'buildJournal', 'taxSummary'] as const;
export type ExportOperation = (typeof OPERATIONS)[number];

const show = (operation: ExportOperation[], extra: Record<string, unknown[]> = {}) => ({ displayOptions: { show: { operation, ...extra } } });

export const properties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		default: 'exportTransactions',
		options: [
			{ name: 'Build Journal', value: 'buildJournal', action: 'Build double entry journal lines', description: 'Balanced journal lines from exported transactions: items, CSV for an ERP, or an hledger journal' },
			{ name: 'Export Transactions', value: 'exportTransactions', action: 'Export balance transactions', description: 'A date range, or everything new since the last run, exactly once' },
			{ name: 'Reconcile Payout', value: 'reconcilePayout', action: 'Reconcile a payout', description: 'Check that a payout\'s transactions add up to its amount' },
			{ name: 'Tax Summary', value: 'taxSummary', action: 'Summarize collected tax', description: 'Tax collected through invoices by jurisdiction, rate and period' },
		],
	},
	// Export Transactions
	{
		displayName: 'Mode',
		name: 'mode',
		type: 'options',
		default: 'range',
		options: [
			{ name: 'Date Range', value: 'range', description: 'Transactions created in a range (fetched in parallel time slices)' },
			{ name: 'New Since Last Run', value: 'incremental', description: 'Everything created since the checkpoint this node keeps in the workflow: no gaps, no duplicates' },
		],
		...show(['exportTransactions']),
	},
	{ displayName: 'From', name: 'from', type: 'dateTime', default: '', description: 'Start (inclusive); may stay empty with the Payout ID filter (a payout\'s list needs no range)', ...show(['exportTransactions'], { mode: ['range'] }) },
	{ displayName: 'To', name: 'to', type: 'dateTime', default: '', description: 'End (exclusive); empty: now', ...show(['exportTransactions'], { mode: ['range'] }) },
	{ displayName: 'From', name: 'from', type: 'dateTime', default: '', required: true, description: 'Start (inclusive) of the invoices paid', ...show(['taxSummary']) },
	{ displayName: 'To', name: 'to', type: 'dateTime', default: '', description: 'End (exclusive); empty: now', ...show(['taxSummary']) },
	{
		displayName: 'First Run From',
		name: 'since',
		type: 'dateTime',
		default: '',
		description: 'On the first run, export from this time; empty: the first run only takes position and exports nothing',
		...show(['exportTransactions'], { mode: ['incremental'] }),
	},
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		...show(['exportTransactions']),
		options: [
			{ displayName: 'Currency', name: 'currency', type: 'string', default: '', placeholder: 'usd', description: 'Only transactions in this settlement currency' },
			{ displayName: 'Payout ID', name: 'payout', type: 'string', default: '', placeholder: 'po_…', description: 'Only the transactions of this automatic payout' },
			{ displayName: 'Reporting Category', name: 'reportingCategory', type: 'string', default: '', placeholder: 'charge', description: 'E.g. charge, refund, dispute, payout, fee.' },
			{
				displayName: 'Status',
				name: 'status',
				type: 'options',
				default: '',
				options: [
					{ name: 'Any', value: '' },
					{ name: 'Available', value: 'available' },
					{ name: 'Pending', value: 'pending' },
				],
			},
			{ displayName: 'Type', name: 'type', type: 'string', default: '', placeholder: 'charge', description: 'Stripe\'s transaction type: charge, refund, payout, adjustment…' },
		],
	},
	{
		displayName: 'Expand Source',
		name: 'expandSource',
		type: 'boolean',
		default: false,
		description: 'Whether to read each transaction\'s source (charge, refund, dispute, payout): customer, original currency and amount, payment intent (needed to book tax)',
		...show(['exportTransactions']),
	},
	{
		displayName: 'Include Payout IDs',
		name: 'includePayoutIds',
		type: 'boolean',
		default: false,
		description: 'Whether to fill each row\'s payout ID: the automatic payouts of the range are listed with their transactions first (about one more request per 100 rows). Manual and instant payouts cannot be linked.',
		...show(['exportTransactions'], { mode: ['range'] }),
	},
	{
		displayName: 'Output',
		name: 'output',
		type: 'options',
		default: 'items',
		options: [
			{ name: 'Items', value: 'items', description: 'One item per transaction' },
			{ name: 'CSV File', value: 'csv', description: 'One binary file (about 250 bytes a row)' },
			{ name: 'NDJSON File', value: 'ndjson', description: 'One binary file of JSON lines' },
		],
		...show(['exportTransactions']),
	},
	{
		displayName: 'Rows per File',
		name: 'rowsPerFile',
		type: 'number',
		default: 0,
		typeOptions: { minValue: 0 },
		description: 'Split the export into files of this many rows (0: one file). Each part is handed to n8n when full, so with N8N_DEFAULT_BINARY_DATA_MODE=filesystem memory stays at one part.',
		...show(['exportTransactions'], { output: ['csv', 'ndjson'] }),
	},
	// Reconcile Payout
	{
		displayName: 'Payout ID',
		name: 'payoutId',
		type: 'string',
		default: '',
		placeholder: 'po_1OaFDbEcg9tTZuTgNYmX0PKB',
		description: 'The payout; empty: from the input item (a payout.paid or payout.reconciliation_completed trigger item, or a payoutId field)',
		...show(['reconcilePayout']),
	},
	{ displayName: 'Include Transactions', name: 'includeRows', type: 'boolean', default: false, description: 'Whether to output the payout\'s transactions with the result', ...show(['reconcilePayout']) },
	// Build Journal
	{
		displayName: 'Format',
		name: 'format',
		type: 'options',
		default: 'items',
		options: [
			{ name: 'CSV: Generic', value: 'csvGeneric' },
			{ name: 'CSV: NetSuite-Style', value: 'csvNetsuite' },
			{ name: 'CSV: QuickBooks-Style', value: 'csvQuickbooks' },
			{ name: 'CSV: Xero-Style', value: 'csvXero' },
			{ name: 'Hledger / Ledger Journal', value: 'hledger' },
			{ name: 'Items', value: 'items', description: 'One item per journal line' },
		],
		...show(['buildJournal']),
	},
	{ displayName: 'Book Tax From Invoices', name: 'bookTax', type: 'boolean', default: true, description: 'Whether to book revenue net of the invoice\'s tax and tax payable per jurisdiction (needs transactions exported with Expand Source)', ...show(['buildJournal']) },
	{
		displayName: 'Chart of Accounts',
		name: 'chart',
		type: 'collection',
		placeholder: 'Set Account',
		default: {},
		...show(['buildJournal']),
		options: [
			{ displayName: 'Bank', name: 'bank', type: 'string', default: 'Assets:Bank', description: 'The bank account payouts arrive in' },
			{ displayName: 'Disputes', name: 'disputes', type: 'string', default: 'Expenses:Disputes', description: 'Disputed amounts' },
			{ displayName: 'Fees', name: 'fees', type: 'string', default: 'Expenses:Stripe Fees', description: 'Stripe\'s fees' },
			{ displayName: 'Other Adjustments', name: 'other', type: 'string', default: 'Equity:Stripe Adjustments', description: 'Adjustments, transfers and other movements' },
			{ displayName: 'Refunds', name: 'refunds', type: 'string', default: 'Income:Refunds', description: 'Refunds (contra-revenue)' },
			{ displayName: 'Revenue', name: 'revenue', type: 'string', default: 'Income:Sales', description: 'Sales, net of tax' },
			{ displayName: 'Stripe Clearing', name: 'clearing', type: 'string', default: 'Assets:Stripe Clearing', description: 'Stripe\'s balance: its balance at any date is Stripe\'s' },
			{ displayName: 'Tax Payable', name: 'taxPayable', type: 'string', default: 'Liabilities:Tax Payable', description: 'Each jurisdiction and rate becomes a sub-account' },
		],
	},
	// Tax Summary
	{
		displayName: 'Period',
		name: 'period',
		type: 'options',
		default: 'month',
		options: [
			{ name: 'Month', value: 'month' },
			{ name: 'Quarter', value: 'quarter' },
			{ name: 'Year', value: 'year' },
		],
		...show(['taxSummary']),
	},
];

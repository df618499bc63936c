import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeProperties } from 'n8n-workflow';

/** The Exchange Rates option of the nodes that report in one currency (CRM Sync, Revenue Analytics). */
export const exchangeRatesOption: INodeProperties = {
	displayName: 'Exchange Rates',
	name: 'exchangeRates',
	type: 'fixedCollection',
	typeOptions: { multipleValues: true },
	default: {},
	placeholder: 'Add Rate',
	description: 'Units of the reporting currency per 1 unit of another currency (1 EUR = 1.08 USD: currency eur, rate 1.08). An amount in a currency without a rate is an error that names it.',
	options: [
		{
			displayName: 'Rate',
			name: 'rate',
			values: [
				{ displayName: 'Currency', name: 'currency', type: 'string', default: '', placeholder: 'eur', description: 'Three-letter ISO code' },
				{ displayName: 'Rate', name: 'rate', type: 'number', default: 1, typeOptions: { minValue: 0, numberPrecision: 6 }, description: 'Units of the reporting currency per unit of this currency' },
			],
		},
	],
};

/** The reporting currency and major-unit rates of an options collection, or an error that says what to fix. */
export function readReporting(context: IExecuteFunctions, options: IDataObject, itemIndex: number): { reportingCurrency: string; rates: Record<string, number> } {
	const reportingCurrency = String(options.reportingCurrency ?? 'usd').trim().toLowerCase();
	if (!/^[a-z]{3}$/.test(reportingCurrency)) throw new NodeOperationError(context.getNode(), `Reporting Currency "${options.reportingCurrency}" is not a three-letter currency code (e.g. usd).`, { itemIndex });
	const rates: Record<string, number> = {};
	for (const entry of ((options.exchangeRates as IDataObject | undefined)?.rate as IDataObject[] | undefined) ?? []) {
		const currency = String(entry.currency ?? '').trim().toLowerCase();
		const rate = Number(entry.rate);
		if (!/^[a-z]{3}$/.test(currency)) throw new NodeOperationError(context.getNode(), `Exchange Rates: "${entry.currency}" is not a three-letter currency code.`, { itemIndex });
		if (!Number.isFinite(rate) || rate <= 0) throw new NodeOperationError(context.getNode(), `Exchange Rates: the rate for ${currency.toUpperCase()} must be a positive number, got ${JSON.stringify(entry.rate)}.`, { itemIndex });
		rates[currency] = rate;
	}
	return { reportingCurrency, rates };
}

import {
	NodeApiError,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
} from 'n8n-workflow';

import { toNodeError } from './stripeApi';

/**
 * The one per-item loop of this package's action nodes (the layout of n8n's Airtable v2 and
 * Microsoft Teams v2 routers): the node class wires `description` and `execute: route(...)`; each
 * operation is a module with plain inputs. Every output item carries `pairedItem`; an item that
 * fails becomes an error item under *Continue On Fail* (the others go on), else the node fails
 * with the error's `itemIndex` set. Errors are mapped once, here (never wrapped twice).
 */

/** What an operation gets for one item: its index and JSON, and what the execution shares. */
export interface ItemInput<Shared> {
	itemIndex: number;
	json: IDataObject;
	shared: Shared;
	/** n8n's context, for reading this item's parameters (`getNodeParameter(name, itemIndex)`). */
	context: IExecuteFunctions;
}

/**
 * Output items with more than JSON: binary files, or an item made from several input items (a
 * batch of records), whose `pairedItem` lists them. Return `new OutputItems([...])` from an operation.
 */
export class OutputItems {
	constructor(readonly items: Array<Pick<INodeExecutionData, 'json' | 'binary'> & { pairedItems?: number[] }>) {}
}

/** What an operation returns for one input item. */
export type ItemResult = IDataObject | IDataObject[] | OutputItems;

/** One outcome per input item, for operations that work on all items at once (batches). */
export type ItemOutcome = { ok: true; json: ItemResult } | { ok: false; error: unknown };

export interface Operation<Shared> {
	/** Runs once per input item; returns the output item(s) for it. */
	item?: (input: ItemInput<Shared>) => Promise<ItemResult>;
	/**
	 * Runs once for all input items (e.g. a batched API call) and returns exactly one outcome per
	 * input item, in order. A failed item does not fail the others.
	 */
	batch?: (inputs: Array<ItemInput<Shared>>) => Promise<ItemOutcome[]>;
}

/** Operations by their stable `operation` parameter value. */
export type OperationMap<Shared> = Record<string, Operation<Shared>>;

export interface RouteOptions<Shared> {
	operations: OperationMap<Shared>;
	/** Builds what every item of this execution shares (one Stripe client, one rate limiter), once. */
	shared: (context: IExecuteFunctions) => Promise<Shared>;
	/** Name of the parameter that selects the operation (default `operation`). */
	operationParameter?: string;
}

function errorJson(error: NodeApiError | NodeOperationError): IDataObject {
	const json: IDataObject = { error: error.message };
	if (error.description) json.description = error.description;
	if (error instanceof NodeApiError) {
		if (error.httpCode) json.httpCode = error.httpCode;
		// Stripe's type, code, decline_code, advice_code, param and request id (see toNodeError).
		if (error.errorResponse) json.details = error.errorResponse as IDataObject;
	}
	return json;
}

function withIndex(context: IExecuteFunctions, error: unknown, itemIndex: number): NodeApiError | NodeOperationError {
	const mapped = toNodeError(context.getNode(), error, itemIndex);
	if (mapped.context && mapped.context.itemIndex === undefined) mapped.context.itemIndex = itemIndex;
	return mapped;
}

/**
 * The action nodes' `execute()`: `execute = route({ operations, shared })`. The operation is read
 * per item (an expression may choose it), so one execution can mix operations.
 */
export function route<Shared>(options: RouteOptions<Shared>): (this: IExecuteFunctions) => Promise<INodeExecutionData[][]> {
	const parameter = options.operationParameter ?? 'operation';
	return async function (this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const output: INodeExecutionData[] = [];
		if (items.length === 0) return [output];
		const shared = await options.shared(this);
		const emit = (itemIndex: number, json: ItemResult) => {
			if (json instanceof OutputItems) {
				for (const { pairedItems, ...item } of json.items) {
					output.push({ ...item, pairedItem: pairedItems?.length ? pairedItems.map((i) => ({ item: i })) : { item: itemIndex } });
				}
				return;
			}
			// One input can give very many items (an export of 200,000 rows): no spread into push (call stack).
			for (const item of this.helpers.constructExecutionMetaData(this.helpers.returnJsonArray(json), { itemData: { item: itemIndex } })) output.push(item);
		};
		const fail = (itemIndex: number, error: unknown) => {
			const mapped = withIndex(this, error, itemIndex);
			if (!this.continueOnFail()) throw mapped;
			output.push({ json: errorJson(mapped), pairedItem: { item: itemIndex } });
		};

		// Items are grouped by operation, in input order; batch operations get their group at once.
		const groups = new Map<string, number[]>();
		for (let i = 0; i < items.length; i++) {
			const name = this.getNodeParameter(parameter, i) as string;
			const group = groups.get(name) ?? [];
			group.push(i);
			groups.set(name, group);
		}
		const outcomes = new Map<number, ItemOutcome>();
		const stopped = () => !this.continueOnFail() && [...outcomes.values()].some((o) => !o.ok);
		for (const [name, indexes] of groups) {
			// Without Continue On Fail nothing more runs after a failed item (no side effects past the error).
			if (stopped()) break;
			const operation = options.operations[name];
			if (!operation || (!operation.item && !operation.batch)) {
				const error = new NodeOperationError(this.getNode(), `The operation "${name}" is not known. Pick one of: ${Object.keys(options.operations).join(', ')}.`, {
					itemIndex: indexes[0],
				});
				for (const i of indexes) outcomes.set(i, { ok: false, error });
				continue;
			}
			const inputs = indexes.map((itemIndex) => ({ itemIndex, json: items[itemIndex].json, shared, context: this }));
			if (operation.batch) {
				let results: ItemOutcome[];
				try {
					results = await operation.batch(inputs);
				} catch (error) {
					results = inputs.map(() => ({ ok: false, error }));
				}
				if (results.length !== inputs.length) {
					throw new NodeOperationError(this.getNode(), `Operation "${name}" returned ${results.length} outcomes for ${inputs.length} items`);
				}
				results.forEach((result, k) => outcomes.set(indexes[k], result));
			} else {
				for (const input of inputs) {
					try {
						outcomes.set(input.itemIndex, { ok: true, json: await operation.item!(input) });
					} catch (error) {
						outcomes.set(input.itemIndex, { ok: false, error });
						// Without Continue On Fail the node stops at the first failed item, as n8n's own nodes do.
						if (!this.continueOnFail()) break;
					}
				}
			}
		}
		for (let i = 0; i < items.length; i++) {
			const outcome = outcomes.get(i);
			if (!outcome) continue;
			if (outcome.ok) emit(i, outcome.json);
			else fail(i, outcome.error);
		}
		return [output];
	};
}

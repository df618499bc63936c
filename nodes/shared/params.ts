import { NodeOperationError, type IExecuteFunctions } from 'n8n-workflow';

/** The real clock in unix seconds (nodes pass it to lib/, which takes the clock as an argument). */
export function nowSeconds(): number {
	return Math.floor(Date.now() / 1000);
}

/**
 * A dateTime parameter in unix seconds. Empty: `fallback`, or an error naming the parameter when
 * there is none; a value that is not a date: an error saying what to write instead.
 */
export function dateParameter(context: IExecuteFunctions, name: string, itemIndex: number, fallback?: number): number {
	const raw = context.getNodeParameter(name, itemIndex, '') as unknown;
	if (raw === '' || raw === undefined || raw === null) {
		if (fallback !== undefined) return fallback;
		throw new NodeOperationError(context.getNode(), `"${name}" is required: set a date and time.`, { itemIndex });
	}
	const ms = Date.parse(String(raw));
	if (!Number.isFinite(ms)) throw new NodeOperationError(context.getNode(), `"${name}" is not a date: ${JSON.stringify(raw)}. Use ISO 8601, e.g. 2026-06-01T00:00:00Z.`, { itemIndex });
	return Math.floor(ms / 1000);
}

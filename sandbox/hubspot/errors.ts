/** HubSpot's error body (`{status:'error', message, correlationId, category, ...}`) and the few shapes built on it. */
import { Rng } from '../core/rng';

export interface HubSpotErrorBody {
	status: 'error';
	message: string;
	correlationId: string;
	category: string;
	subCategory?: string;
	errors?: Array<Record<string, unknown>>;
	context?: Record<string, string[]>;
}

/** Thrown by handlers; the server turns it into a response with a fresh correlationId. */
export class HubSpotError extends Error {
	constructor(
		readonly status: number,
		readonly category: string,
		message: string,
		readonly extra: { subCategory?: string; errors?: Array<Record<string, unknown>>; context?: Record<string, string[]> } = {},
	) {
		super(message);
	}

	body(correlationId: string): HubSpotErrorBody {
		return { status: 'error', message: this.message, correlationId, category: this.category, ...this.extra };
	}
}

export const validation = (message: string, extra: HubSpotError['extra'] = {}) => new HubSpotError(400, 'VALIDATION_ERROR', message, extra);
export const notFound = (message: string, extra: HubSpotError['extra'] = {}) => new HubSpotError(404, 'OBJECT_NOT_FOUND', message, extra);
export const conflict = (message: string, extra: HubSpotError['extra'] = {}) => new HubSpotError(409, 'CONFLICT', message, extra);

/** One invalid property value, as HubSpot lists them inside "Property values were not valid: [...]". */
export interface PropertyValueError {
	isValid: false;
	message: string;
	error: string;
	name: string;
	localizedErrorMessage: string;
}

export function propertyError(name: string, error: string, message: string): PropertyValueError {
	return { isValid: false, message, error, name, localizedErrorMessage: message };
}

/** HubSpot embeds the JSON list of value errors in the message text; clients parse it from there. */
export function invalidValues(errs: PropertyValueError[]): HubSpotError {
	return validation(`Property values were not valid: ${JSON.stringify(errs)}`, { context: { properties: errs.map((e) => e.name) } });
}

/** UUID-shaped correlation ids, deterministic by seed and order. */
export class CorrelationIds {
	private readonly rng: Rng;
	constructor(seed: number) {
		this.rng = Rng.fork(seed, 'hubspot-correlation');
	}
	next(): string {
		const hex = (n: number) => Array.from({ length: n }, () => '0123456789abcdef'[this.rng.int(16)]).join('');
		return `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[this.rng.int(4)]}${hex(3)}-${hex(12)}`;
	}
}

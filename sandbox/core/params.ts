import { invalidParam, missingParam, unknownParam } from './errors';
import type { FormObject, FormValue } from './form';

/** Typed, Stripe-style access to parsed request parameters; errors name the offending param. */
export class Params {
	constructor(
		readonly raw: FormObject,
		private readonly prefix = '',
	) {}

	private name(key: string): string {
		return this.prefix ? `${this.prefix}[${key}]` : key;
	}

	has(key: string): boolean {
		return Object.prototype.hasOwnProperty.call(this.raw, key);
	}

	/** Rejects parameters the endpoint does not know, as Stripe does. */
	allow(keys: readonly string[]): this {
		for (const k of Object.keys(this.raw)) {
			if (k === 'expand' || k === 'include') continue;
			if (!keys.includes(k)) throw unknownParam(this.name(k));
		}
		return this;
	}

	str(key: string): string | undefined;
	str(key: string, required: true): string;
	str(key: string, required = false): string | undefined {
		const v = this.raw[key];
		if (v === undefined) {
			if (required) throw missingParam(this.name(key));
			return undefined;
		}
		if (typeof v !== 'string') throw invalidParam(this.name(key), `Invalid string: ${this.name(key)} must be a string, not an object or array.`);
		if (required && v === '') throw missingParam(this.name(key));
		return v;
	}

	/** A string that may be set to '' to clear it: returns null for ''. */
	nullable(key: string): string | null | undefined {
		const v = this.str(key);
		return v === '' ? null : v;
	}

	oneOf<T extends string>(key: string, values: readonly T[]): T | undefined {
		const v = this.str(key);
		if (v === undefined || v === '') return undefined;
		if (!values.includes(v as T)) {
			throw invalidParam(this.name(key), `Invalid ${this.name(key)}: must be one of ${values.join(', ')}`);
		}
		return v as T;
	}

	int(key: string): number | undefined;
	int(key: string, required: true): number;
	int(key: string, required = false): number | undefined {
		const v = required ? this.str(key, true) : this.str(key);
		if (v === undefined || v === '') return undefined;
		if (!/^-?\d+$/.test(v)) throw invalidParam(this.name(key), `Invalid integer: ${v}`);
		return Number(v);
	}

	num(key: string): number | undefined {
		const v = this.str(key);
		if (v === undefined || v === '') return undefined;
		const n = Number(v);
		if (!Number.isFinite(n)) throw invalidParam(this.name(key), `Invalid decimal: ${v}`);
		return n;
	}

	bool(key: string): boolean | undefined {
		const v = this.str(key);
		if (v === undefined || v === '') return undefined;
		if (v === 'true') return true;
		if (v === 'false') return false;
		throw invalidParam(this.name(key), `Invalid boolean: ${v}`);
	}

	obj(key: string): Params | undefined {
		const v = this.raw[key];
		if (v === undefined || v === '') return undefined;
		if (typeof v !== 'object' || Array.isArray(v)) {
			throw invalidParam(this.name(key), `Invalid object: ${this.name(key)} must be a hash (e.g. ${this.name(key)}[key]=value).`);
		}
		return new Params(v, this.name(key));
	}

	arr(key: string): Params[] | undefined {
		const v = this.raw[key];
		if (v === undefined) return undefined;
		if (v === '') return [];
		if (!Array.isArray(v)) throw invalidParam(this.name(key), `Invalid array: ${this.name(key)} must be an array (e.g. ${this.name(key)}[0][key]=value).`);
		return v.map((item, i) => {
			if (typeof item !== 'object' || Array.isArray(item)) {
				throw invalidParam(`${this.name(key)}[${i}]`, `Invalid object: ${this.name(key)}[${i}] must be a hash.`);
			}
			return new Params(item, `${this.name(key)}[${i}]`);
		});
	}

	strings(key: string): string[] | undefined {
		const v = this.raw[key];
		if (v === undefined) return undefined;
		if (v === '') return [];
		const list: FormValue[] = Array.isArray(v) ? v : [v];
		return list.map((x, i) => {
			if (typeof x !== 'string') throw invalidParam(`${this.name(key)}[${i}]`, `Invalid string in ${this.name(key)}`);
			return x;
		});
	}

	/**
	 * Applies `metadata[...]` to an existing map the way Stripe does: keys with '' are removed,
	 * `metadata=''` clears everything. Limits: 50 keys, key ≤ 40 chars, value ≤ 500 chars.
	 */
	metadata(current: Record<string, string> = {}): Record<string, string> {
		const v = this.raw.metadata;
		if (v === undefined) return current;
		if (v === '') return {};
		if (typeof v !== 'object' || Array.isArray(v)) throw invalidParam('metadata', 'Invalid metadata: must be a hash of string keys and values.');
		const next = { ...current };
		for (const [k, val] of Object.entries(v)) {
			if (typeof val !== 'string') throw invalidParam(`metadata[${k}]`, 'Metadata values must be strings.');
			if (k.length > 40) throw invalidParam(`metadata[${k}]`, 'Metadata keys can have at most 40 characters.');
			if (val.length > 500) throw invalidParam(`metadata[${k}]`, 'Metadata values can have at most 500 characters.');
			if (val === '') delete next[k];
			else next[k] = val;
		}
		if (Object.keys(next).length > 50) throw invalidParam('metadata', 'Metadata can have at most 50 keys.');
		return next;
	}

	expand(): string[] {
		return this.strings('expand') ?? [];
	}
}

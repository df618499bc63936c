/**
 * Parses `application/x-www-form-urlencoded` bodies and query strings the way Stripe reads them:
 * `a[b][c]=v` nests, `a[]=v` appends, `a[0][x]=v` builds arrays (stripe-node sends indexed arrays),
 * and an empty value means "unset" (callers see `''`). Keys `__proto__`, `constructor` and `prototype` are refused
 * anywhere in a key (they would reach Object.prototype), with a 400 naming the parameter.
 */
import { ApiError } from './errors';

export type FormValue = string | FormObject | FormValue[];
export interface FormObject {
	[key: string]: FormValue;
}

function decode(s: string): string {
	try {
		return decodeURIComponent(s.replace(/\+/g, ' '));
	} catch {
		throw new Error(`Malformed percent-encoding in form body near '${s.slice(0, 40)}'`);
	}
}

function splitKey(key: string): string[] {
	const open = key.indexOf('[');
	if (open <= 0) return [key];
	const parts = [key.slice(0, open)];
	const re = /\[([^\]]*)\]/g;
	let m: RegExpExecArray | null;
	re.lastIndex = open;
	while ((m = re.exec(key))) parts.push(m[1]);
	return parts;
}

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

export function parseForm(body: string): FormObject {
	const root: FormObject = {};
	if (!body) return root;
	for (const pair of body.split('&')) {
		if (!pair) continue;
		const eq = pair.indexOf('=');
		const rawKey = eq < 0 ? pair : pair.slice(0, eq);
		const value = eq < 0 ? '' : decode(pair.slice(eq + 1));
		const path = splitKey(decode(rawKey));
		const bad = path.find((seg) => FORBIDDEN.has(seg));
		if (bad !== undefined) {
			throw new ApiError(400, { type: 'invalid_request_error', code: 'parameter_invalid', message: `Invalid parameter name '${bad}' in ${decode(rawKey)}: '__proto__', 'constructor' and 'prototype' are not accepted as keys.`, param: decode(rawKey) });
		}
		let node: FormObject = root;
		for (let i = 0; i < path.length; i++) {
			let seg = path[i];
			const last = i === path.length - 1;
			if (seg === '') {
				// `a[]` appends: pick the next free numeric slot.
				let n = 0;
				while (Object.prototype.hasOwnProperty.call(node, String(n))) n++;
				seg = String(n);
			}
			if (last) {
				node[seg] = value;
			} else {
				const next = node[seg];
				if (typeof next !== 'object' || next === null || Array.isArray(next)) node[seg] = {};
				node = node[seg] as FormObject;
			}
		}
	}
	return arrayify(root, '') as FormObject;
}

/** Objects whose keys are all 0..n-1 become arrays, except inside `metadata` (free-form keys). */
function arrayify(v: FormValue, parentKey: string): FormValue {
	if (typeof v !== 'object' || v === null) return v;
	if (Array.isArray(v)) return v.map((x) => arrayify(x, ''));
	const keys = Object.keys(v);
	for (const k of keys) v[k] = arrayify(v[k], k);
	if (parentKey === 'metadata' || keys.length === 0) return v;
	if (keys.every((k) => /^(0|[1-9]\d*)$/.test(k))) {
		const arr: FormValue[] = [];
		for (const k of keys.map(Number).sort((a, b) => a - b)) arr.push(v[String(k)]);
		return arr;
	}
	return v;
}

/** Canonical string of parsed params, for idempotency comparisons. */
export function canonical(v: unknown): string {
	if (v === null || typeof v !== 'object') return JSON.stringify(v);
	if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
	const o = v as Record<string, unknown>;
	return `{${Object.keys(o)
		.sort()
		.map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
		.join(',')}}`;
}

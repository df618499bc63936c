// The list envelope and created[] range are the client's own types: the sandbox answers what lib/stripe reads.
import type { CreatedRange, StripeList as ListEnvelope } from '../../lib/stripe/client';
import { invalidParam, invalidState } from './errors';
import type { Params } from './params';

/** A sequence stored oldest-first; lists walk it newest-first. */
export interface Seq<T> {
	size(): number;
	/** Position of the object with this id, or -1. */
	indexOf(id: string): number;
	/** The object at a position (undefined if deleted). */
	at(i: number): T | undefined;
}

export type { ListEnvelope };

/** Reads `created`, `created[gte]` ... into a predicate on unix seconds. */
export function createdFilter(p: Params, key = 'created'): ((t: number) => boolean) | undefined {
	if (!p.has(key)) return undefined;
	const exact = p.raw[key];
	if (typeof exact === 'string') {
		const v = p.int(key);
		return v === undefined ? undefined : (t) => t === v;
	}
	const r = p.obj(key);
	if (!r) return undefined;
	r.allow(['gt', 'gte', 'lt', 'lte']);
	const range: CreatedRange = { gt: r.int('gt'), gte: r.int('gte'), lt: r.int('lt'), lte: r.int('lte') };
	return (t) =>
		(range.gt === undefined || t > range.gt) &&
		(range.gte === undefined || t >= range.gte) &&
		(range.lt === undefined || t < range.lt) &&
		(range.lte === undefined || t <= range.lte);
}

export function readLimit(p: Params): number {
	const limit = p.int('limit') ?? 10;
	if (limit < 1 || limit > 100) throw invalidParam('limit', 'This value must be between 1 and 100 (it can be omitted, in which case it defaults to 10).');
	return limit;
}

/**
 * Stripe list pagination: newest first, `limit` (1..100, default 10), `starting_after` (older than the cursor),
 * `ending_before` (newer than the cursor, still returned newest first); `has_more` tells whether more exist in
 * the direction of travel.
 */
export function paginate<T>(
	seq: Seq<T>,
	p: Params,
	url: string,
	match: (i: number) => boolean,
	kind: string,
): ListEnvelope<T> {
	const limit = readLimit(p);
	const after = p.str('starting_after');
	const before = p.str('ending_before');
	if (after && before) throw invalidState('You may only specify one of these parameters: starting_after, ending_before.');
	const out: T[] = [];
	let hasMore = false;
	if (before) {
		const idx = seq.indexOf(before);
		if (idx < 0) throw invalidParam('ending_before', `No such ${kind}: '${before}'`, 'resource_missing');
		const n = seq.size();
		for (let i = idx + 1; i < n; i++) {
			if (!match(i)) continue;
			const o = seq.at(i);
			if (o === undefined) continue;
			if (out.length === limit) {
				hasMore = true;
				break;
			}
			out.push(o);
		}
		out.reverse();
	} else {
		let start = seq.size() - 1;
		if (after) {
			const idx = seq.indexOf(after);
			if (idx < 0) throw invalidParam('starting_after', `No such ${kind}: '${after}'`, 'resource_missing');
			start = idx - 1;
		}
		for (let i = start; i >= 0; i--) {
			if (!match(i)) continue;
			const o = seq.at(i);
			if (o === undefined) continue;
			if (out.length === limit) {
				hasMore = true;
				break;
			}
			out.push(o);
		}
	}
	return { object: 'list', data: out, has_more: hasMore, url };
}

/** A small list embedded in an object (e.g. `subscription.items`, `charge.refunds`). */
export function embeddedList<T>(data: T[], url: string): ListEnvelope<T> {
	return { object: 'list', data, has_more: false, url };
}

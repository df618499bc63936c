import { createHash } from 'node:crypto';

/** Stripe's limit on an `Idempotency-Key` (https://docs.stripe.com/api/idempotent_requests, 2026). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

// Characters kept as they are; anything else (including the separator `:` inside a part) makes the
// key hashed, so two different part lists can never join to the same readable key.
const SAFE_PART = /^[A-Za-z0-9_.-]*$/;
const HASH_LENGTH = 64;

/**
 * A deterministic idempotency key for one logical operation, reused across retries and re-runs of
 * the same workflow item: `idempotencyKey('retry-invoice', 'in_123', 2)` is
 * `"retry-invoice:in_123:2"`. When a part has characters outside `[A-Za-z0-9_.-]`, or the key
 * would pass 255 characters, the readable prefix is cut and sanitised and a SHA-256 of all parts
 * is appended, so the key stays unique, stable and at most 255 characters.
 *
 * Stripe keeps keys for at least 24 hours and answers a reused key with the first result, or an
 * `idempotency_error` when the parameters differ (https://docs.stripe.com/api/idempotent_requests,
 * 2026): put everything that makes the operation distinct (purpose, object, attempt) in the parts.
 */
export function idempotencyKey(purpose: string, ...parts: Array<string | number>): string {
	if (!purpose) throw new TypeError('An idempotency key needs a purpose, e.g. "retry-invoice"');
	const all = [purpose, ...parts.map((part) => String(part))];
	const readable = all.join(':');
	if (all.every((part) => SAFE_PART.test(part)) && readable.length <= MAX_IDEMPOTENCY_KEY_LENGTH) return readable;
	const hash = createHash('sha256').update(JSON.stringify(all)).digest('hex');
	const prefix = readable.replace(/[^A-Za-z0-9_.:-]/g, '_').slice(0, MAX_IDEMPOTENCY_KEY_LENGTH - HASH_LENGTH - 1);
	return `${prefix}:${hash}`;
}

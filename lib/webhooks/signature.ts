/**
 * Verification of Stripe's `Stripe-Signature` webhook header.
 *
 * The scheme (https://docs.stripe.com/webhooks/signature, read 2025): Stripe sends
 * `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...][,v0=<hex>]`, where each `v1` is
 * HMAC-SHA256 over `${t}.${raw body}` keyed with an endpoint signing secret (`whsec_...`).
 * During a secret roll Stripe signs with every active secret, so several `v1` values can appear;
 * any one of them matching any of our secrets is enough. The timestamp is part of the signed
 * content, which is what makes the tolerance check a replay defence.
 *
 * Pure: the clock comes in as `now`; the only import is `node:crypto`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type Stripe from 'stripe';

import type { ThinEventNotification } from './thin';

/** Stripe's own default tolerance (stripe-node `Webhooks.DEFAULT_TOLERANCE`, 300 s). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** The header Stripe signs deliveries with, lower-cased as Node presents incoming headers. */
export const SIGNATURE_HEADER = 'stripe-signature';

/** The only signature scheme Stripe uses for live deliveries; `v0` (legacy, test mode) is ignored. */
export const SIGNATURE_SCHEME = 'v1';

/** Prefix of every Stripe endpoint signing secret (Dashboard, API and `stripe listen`). */
export const SIGNING_SECRET_PREFIX = 'whsec_';

const SIGNATURE_DOCS = 'https://docs.stripe.com/webhooks/signature';

/** Why a delivery was rejected. Stable values: the node maps them to log lines and 400 responses. */
export type WebhookSignatureErrorReason =
	/** No signing secret is configured (a configuration error, not the sender's). */
	| 'missingSecret'
	/** The body was handed over as a parsed object: the signed bytes are gone. */
	| 'parsedBody'
	/** The request has no body at all. */
	| 'emptyPayload'
	/** No `Stripe-Signature` header. */
	| 'missingHeader'
	/** The header is not `t=<digits>,v1=<hex>...`. */
	| 'malformedHeader'
	/** The header has a timestamp but no `v1` signature. */
	| 'noSignatures'
	/** No `v1` matches any secret. */
	| 'signatureMismatch'
	/** Correctly signed, but the timestamp is too old or too far in the future. */
	| 'timestampOutsideTolerance'
	/** Correctly signed, but the body is not a JSON Stripe event. */
	| 'invalidPayload';

/** The fixed part of each rejection message. Sentences that say what to fix. */
export const WEBHOOK_SIGNATURE_MESSAGES: Readonly<Record<WebhookSignatureErrorReason, string>> = {
	missingSecret:
		'No webhook signing secret is set, so no delivery can be verified. Copy the signing secret (it starts with "whsec_") from the Stripe Dashboard (Developers > Webhooks > your endpoint) or from the output of "stripe listen".',
	parsedBody:
		'The webhook body was passed to signature verification as a parsed object instead of the raw request body. Stripe signs the exact bytes it sent, and re-serialising the JSON changes them; pass the raw body as a string or Buffer.',
	emptyPayload:
		'The webhook request has no body. Stripe always sends the event as a JSON body; if the request had one, the raw body did not reach signature verification.',
	missingHeader:
		'The request has no Stripe-Signature header, so it cannot be verified and is rejected. Stripe signs every delivery; an unsigned request was not sent by Stripe, or a proxy in between removed the header.',
	malformedHeader:
		'The Stripe-Signature header is malformed. It must look like "t=1700000000,v1=<64 hex characters>"; check that no proxy rewrites or truncates the header.',
	noSignatures:
		'The Stripe-Signature header has a timestamp but no "v1" signature. Stripe signs deliveries with the v1 scheme (HMAC-SHA256); a header without v1 was not produced by Stripe.',
	signatureMismatch:
		'No signature in the Stripe-Signature header matches the request body and the signing secret. Check that the secret is the one of this endpoint (every endpoint and every "stripe listen" session has its own) and that the request body reaches n8n unchanged (a proxy that re-encodes JSON or line endings breaks the signature).',
	timestampOutsideTolerance:
		'The Stripe-Signature timestamp is outside the allowed tolerance, so the delivery is rejected as a possible replay.',
	invalidPayload: 'The webhook body is correctly signed but is not a Stripe event in JSON.',
};

/** Extra hints appended to a `signatureMismatch` message when the secret explains it. */
export const WEBHOOK_SECRET_HINTS = {
	surroundingWhitespace:
		'Note: the signing secret had spaces or line breaks around it. They were removed before checking, but this often means the value was copied with extra or missing characters.',
	innerWhitespace:
		'Note: the signing secret contains spaces or line breaks inside it. A Stripe signing secret never does; paste it again in one piece.',
	apiKey:
		'Note: the signing secret looks like an API key (sk_, rk_ or pk_). The signing secret is a different value that starts with "whsec_"; find it on the webhook endpoint, not on the API keys page.',
	endpointId:
		'Note: the signing secret looks like a webhook endpoint id (we_). Use the endpoint\'s signing secret, which starts with "whsec_".',
	unusualPrefix:
		'Note: the signing secret does not start with "whsec_", as every Stripe signing secret does. Check that the right value was copied.',
} as const;

/** Thrown for every rejected delivery. The node answers 400 and starts no execution. */
export class WebhookSignatureError extends Error {
	override readonly name = 'WebhookSignatureError';

	/** HTTP status to answer the delivery with. */
	readonly httpStatusCode = 400;

	constructor(
		readonly reason: WebhookSignatureErrorReason,
		message: string = WEBHOOK_SIGNATURE_MESSAGES[reason],
		/** Numbers that explain a timestamp rejection (unix seconds). */
		readonly details: { timestamp?: number; now?: number; toleranceSeconds?: number } = {},
	) {
		super(message);
	}
}

/** A parsed `Stripe-Signature` header. */
export interface ParsedSignatureHeader {
	/** `t`: when Stripe signed this delivery attempt, unix seconds. */
	timestamp: number;
	/** Every `v1` signature, in header order (several during a secret roll). */
	v1: string[];
}

/**
 * Parses a `Stripe-Signature` header value.
 *
 * Unknown schemes (`v0`, future ones) are skipped, as Stripe asks. Whitespace around the
 * comma-separated items is tolerated. No `v1` at all is not a parse error: it yields `v1: []`
 * so {@link verifyStripeSignature} can say so precisely.
 *
 * @throws WebhookSignatureError `missingHeader` for an absent or blank value; `malformedHeader`
 *   when an item has no `=`, `t` is missing, repeated or not a whole number of seconds, or a
 *   `v1` is empty.
 */
export function parseSignatureHeader(header: string | string[] | undefined | null): ParsedSignatureHeader {
	const value = singleHeaderValue(header);
	let timestamp: number | undefined;
	const v1: string[] = [];
	for (const rawItem of value.split(',')) {
		const item = rawItem.trim();
		if (item === '') continue;
		const eq = item.indexOf('=');
		if (eq <= 0) throw new WebhookSignatureError('malformedHeader');
		const key = item.slice(0, eq).trim();
		const itemValue = item.slice(eq + 1).trim();
		if (key === 't') {
			if (timestamp !== undefined || !/^\d{1,15}$/.test(itemValue)) {
				throw new WebhookSignatureError('malformedHeader');
			}
			timestamp = Number(itemValue);
		} else if (key === SIGNATURE_SCHEME) {
			if (itemValue === '') throw new WebhookSignatureError('malformedHeader');
			v1.push(itemValue);
		}
	}
	if (timestamp === undefined) throw new WebhookSignatureError('malformedHeader');
	return { timestamp, v1 };
}

/** What a verified delivery carries: a snapshot event, or a thin event notification. */
export type StripeWebhookPayload = Stripe.Event | ThinEventNotification;

/** Input of {@link verifyStripeSignature}. */
export interface VerifyStripeSignatureInput {
	/** The request body exactly as received: a string or the raw bytes. Never the parsed JSON. */
	rawBody: string | Uint8Array;
	/** The `Stripe-Signature` header value. */
	header: string | string[] | undefined | null;
	/**
	 * One signing secret, or several (old and new during a roll, or one per endpoint feeding
	 * this URL). Blank entries are ignored; whitespace around a secret is removed.
	 */
	secrets: string | readonly string[];
	/** Maximum distance between the signature timestamp and `now`, both directions. Default 300. */
	toleranceSeconds?: number;
	/** The current time in unix SECONDS. */
	now: number;
}

/**
 * Verifies a Stripe webhook delivery and returns its parsed JSON.
 *
 * Order of checks, each with its own {@link WebhookSignatureErrorReason}: a secret is configured;
 * the body is raw and not empty; the header is present and well formed and has a `v1`; some `v1`
 * equals HMAC-SHA256(secret, `${t}.${body}`) for some secret (constant-time compare); `t` is
 * within `toleranceSeconds` of `now` in both directions (Stripe's libraries only reject old
 * timestamps; a far-future one is as suspicious, since it would outlive the replay window);
 * the body is a JSON object with a string `id` and `object` `event` or `v2.core.event`.
 *
 * The signature is checked before the timestamp because the timestamp means nothing until
 * it is authenticated: a forged request gets `signatureMismatch`, a replayed genuine one
 * `timestampOutsideTolerance`.
 *
 * Secrets: surrounding whitespace is removed (a common copy-paste accident; a real secret has
 * none, so this cannot weaken the check). Secrets not starting with `whsec_` are accepted,
 * because that prefix is Stripe's convention rather than a documented rule and stripe-node does
 * not enforce it either; but when verification fails, the message says what the value looks like
 * instead (an API key, an endpoint id, or a value with whitespace).
 *
 * @throws WebhookSignatureError for every rejected delivery (answer 400).
 * @throws RangeError when `now` or `toleranceSeconds` is not a sensible number (a programming error).
 */
export function verifyStripeSignature(input: VerifyStripeSignatureInput): StripeWebhookPayload {
	const toleranceSeconds = input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
	checkClock(input.now, toleranceSeconds);
	const secrets = prepareSecrets(input.secrets);
	const payload = checkPayload(input.rawBody);
	const parsed = parseSignatureHeader(input.header);
	if (parsed.v1.length === 0) throw new WebhookSignatureError('noSignatures');

	let matched = false;
	for (const secret of secrets) {
		const expected = computeSignature(secret.value, parsed.timestamp, payload);
		for (const candidate of parsed.v1) {
			if (constantTimeEqual(expected, candidate)) matched = true;
		}
		if (matched) break;
	}
	if (!matched) {
		throw new WebhookSignatureError('signatureMismatch', mismatchMessage(secrets));
	}

	const skew = input.now - parsed.timestamp;
	if (Math.abs(skew) > toleranceSeconds) {
		const message =
			skew > 0
				? `${WEBHOOK_SIGNATURE_MESSAGES.timestampOutsideTolerance} It was signed ${skew} s ago, more than the tolerance of ${toleranceSeconds} s: this is a replayed or long-delayed delivery, or this server's clock is behind. Stripe signs every retry afresh, so a genuine retry is never rejected for age.`
				: `${WEBHOOK_SIGNATURE_MESSAGES.timestampOutsideTolerance} It is ${-skew} s in the future, more than the tolerance of ${toleranceSeconds} s: this server's clock is behind, or the request was forged ahead of time. Synchronise the clock (NTP).`;
		throw new WebhookSignatureError('timestampOutsideTolerance', message, {
			timestamp: parsed.timestamp,
			now: input.now,
			toleranceSeconds,
		});
	}

	return parsePayload(payload);
}

interface PreparedSecret {
	value: string;
	hadSurroundingWhitespace: boolean;
}

function singleHeaderValue(header: string | string[] | undefined | null): string {
	let value: unknown = header;
	if (Array.isArray(value)) {
		// Node joins repeated custom headers itself; an array means a framework kept them apart.
		if (value.length > 1) throw new WebhookSignatureError('malformedHeader');
		value = value[0];
	}
	if (value === undefined || value === null) throw new WebhookSignatureError('missingHeader');
	if (typeof value !== 'string') throw new WebhookSignatureError('malformedHeader');
	if (value.trim() === '') throw new WebhookSignatureError('missingHeader');
	return value;
}

function checkClock(now: number, toleranceSeconds: number): void {
	if (typeof now !== 'number' || !Number.isFinite(now) || now < 0) {
		throw new RangeError('verifyStripeSignature: "now" must be the current time in unix seconds.');
	}
	// 1e11 s is the year 5138; a value this large is Date.now() in milliseconds.
	if (now > 1e11) {
		throw new RangeError(
			'verifyStripeSignature: "now" looks like milliseconds; pass unix seconds (Math.floor(Date.now() / 1000)).',
		);
	}
	if (typeof toleranceSeconds !== 'number' || !Number.isFinite(toleranceSeconds) || toleranceSeconds <= 0) {
		throw new RangeError(
			'verifyStripeSignature: "toleranceSeconds" must be a positive number of seconds (Stripe uses 300). To skip verification, do not call this function.',
		);
	}
}

function prepareSecrets(secrets: string | readonly string[]): PreparedSecret[] {
	const list: unknown[] = typeof secrets === 'string' ? [secrets] : Array.isArray(secrets) ? secrets : [];
	const prepared: PreparedSecret[] = [];
	for (const raw of list) {
		if (typeof raw !== 'string') continue;
		const value = raw.trim();
		if (value === '') continue;
		prepared.push({ value, hadSurroundingWhitespace: value !== raw });
	}
	if (prepared.length === 0) throw new WebhookSignatureError('missingSecret');
	return prepared;
}

function checkPayload(rawBody: unknown): string | Uint8Array {
	if (rawBody === undefined || rawBody === null) throw new WebhookSignatureError('emptyPayload');
	if (typeof rawBody === 'string' || rawBody instanceof Uint8Array) {
		if (rawBody.length === 0) throw new WebhookSignatureError('emptyPayload');
		return rawBody;
	}
	throw new WebhookSignatureError('parsedBody');
}

function computeSignature(secret: string, timestamp: number, payload: string | Uint8Array): string {
	// Stripe signs `${t}.${body}`; hashing the bytes directly avoids any re-decoding of the body.
	const hmac = createHmac('sha256', secret).update(`${timestamp}.`, 'utf8');
	if (typeof payload === 'string') hmac.update(payload, 'utf8');
	else hmac.update(payload);
	return hmac.digest('hex');
}

function constantTimeEqual(expected: string, candidate: string): boolean {
	const a = Buffer.from(expected, 'utf8');
	const b = Buffer.from(candidate, 'utf8');
	// timingSafeEqual throws on different lengths; the length of a signature is no secret.
	return a.length === b.length && timingSafeEqual(a, b);
}

function mismatchMessage(secrets: PreparedSecret[]): string {
	const hints = new Set<string>();
	for (const secret of secrets) {
		if (secret.hadSurroundingWhitespace) hints.add(WEBHOOK_SECRET_HINTS.surroundingWhitespace);
		if (/\s/.test(secret.value)) hints.add(WEBHOOK_SECRET_HINTS.innerWhitespace);
		if (/^(sk|rk|pk)_/.test(secret.value)) hints.add(WEBHOOK_SECRET_HINTS.apiKey);
		else if (secret.value.startsWith('we_')) hints.add(WEBHOOK_SECRET_HINTS.endpointId);
		else if (!secret.value.startsWith(SIGNING_SECRET_PREFIX)) hints.add(WEBHOOK_SECRET_HINTS.unusualPrefix);
	}
	return [WEBHOOK_SIGNATURE_MESSAGES.signatureMismatch, ...hints, `See ${SIGNATURE_DOCS}`].join(' ');
}

function parsePayload(payload: string | Uint8Array): StripeWebhookPayload {
	const text = typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8');
	let value: unknown;
	let parseError: string | undefined;
	try {
		value = JSON.parse(text);
	} catch (error) {
		parseError = (error as Error).message;
	}
	if (parseError !== undefined) {
		throw new WebhookSignatureError(
			'invalidPayload',
			`${WEBHOOK_SIGNATURE_MESSAGES.invalidPayload} JSON.parse failed: ${parseError}`,
		);
	}
	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		throw new WebhookSignatureError(
			'invalidPayload',
			`${WEBHOOK_SIGNATURE_MESSAGES.invalidPayload} The JSON is not an object.`,
		);
	}
	const record = value as Record<string, unknown>;
	if (typeof record.id !== 'string' || record.id === '') {
		throw new WebhookSignatureError(
			'invalidPayload',
			`${WEBHOOK_SIGNATURE_MESSAGES.invalidPayload} The JSON has no string "id".`,
		);
	}
	if (record.object !== 'event' && record.object !== 'v2.core.event') {
		throw new WebhookSignatureError(
			'invalidPayload',
			`${WEBHOOK_SIGNATURE_MESSAGES.invalidPayload} Its "object" is ${JSON.stringify(record.object)}, expected "event" (a snapshot event) or "v2.core.event" (a thin event notification).`,
		);
	}
	return value as StripeWebhookPayload;
}

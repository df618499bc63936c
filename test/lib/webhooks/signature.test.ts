import Stripe from 'stripe';

import {
	DEFAULT_TOLERANCE_SECONDS,
	WEBHOOK_SECRET_HINTS,
	WEBHOOK_SIGNATURE_MESSAGES,
	WebhookSignatureError,
	parseSignatureHeader,
	verifyStripeSignature,
	type VerifyStripeSignatureInput,
	type WebhookSignatureErrorReason,
} from '../../../lib/webhooks/signature';

// Signatures come from the official client's test-header helper, never from our own HMAC code.
const stripe = new Stripe('sk_test_signature_tests');

const SECRET = 'whsec_test_primary_2f8Kq9vLx3NwY7cR1tZ0aB';
const OTHER_SECRET = 'whsec_test_other_J6mP4sD9fG2hK5lQ8wE1rT';
const NOW = 1_760_000_000;

const EVENT = {
	id: 'evt_1PgaFyB7WZ01zgkWx1y2z3',
	object: 'event',
	api_version: '2025-09-30.clover',
	created: NOW - 2,
	livemode: false,
	pending_webhooks: 1,
	request: { id: 'req_abc', idempotency_key: 'key-1' },
	type: 'invoice.paid',
	data: { object: { id: 'in_123', object: 'invoice', amount_paid: 1000, currency: 'usd', customer: 'cus_1' } },
};
// Pretty-printed with a trailing newline, like a real delivery: the raw bytes must be used as-is.
const BODY = `${JSON.stringify(EVENT, null, 2)}\n`;

function sign(payload: string, secret = SECRET, timestamp = NOW): string {
	return stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });
}

/** The `v1` value of a header made by the official helper. */
function v1Of(header: string): string {
	const match = /v1=([0-9a-f]+)/.exec(header);
	if (!match) throw new Error(`no v1 in ${header}`);
	return match[1];
}

function input(overrides: Partial<VerifyStripeSignatureInput> = {}): VerifyStripeSignatureInput {
	return { rawBody: BODY, header: sign(BODY), secrets: SECRET, now: NOW, ...overrides };
}

function rejection(fn: () => unknown): WebhookSignatureError {
	try {
		fn();
	} catch (error) {
		if (error instanceof WebhookSignatureError) return error;
		throw error;
	}
	throw new Error('expected a WebhookSignatureError, but verification passed');
}

describe('verifyStripeSignature: accepted deliveries', () => {
	it('accepts a valid delivery and returns the parsed event', () => {
		expect(verifyStripeSignature(input())).toEqual(EVENT);
	});

	it('accepts the raw body as a Buffer (what n8n gives as req.rawBody)', () => {
		expect(verifyStripeSignature(input({ rawBody: Buffer.from(BODY, 'utf8') }))).toEqual(EVENT);
	});

	it('verifies non-ASCII bodies byte for byte, as string or Buffer', () => {
		const body = JSON.stringify({ ...EVENT, data: { object: { id: 'cus_1', object: 'customer', name: 'Zoë Ångström 日本' } } });
		const header = sign(body);
		expect(verifyStripeSignature(input({ rawBody: body, header }))).toMatchObject({ id: EVENT.id });
		expect(verifyStripeSignature(input({ rawBody: Buffer.from(body), header }))).toMatchObject({ id: EVENT.id });
	});

	it('accepts a header with two v1 signatures when only one is valid, in either order', () => {
		const good = v1Of(sign(BODY, SECRET));
		const bad = v1Of(sign(BODY, OTHER_SECRET));
		for (const header of [`t=${NOW},v1=${bad},v1=${good}`, `t=${NOW},v1=${good},v1=${bad}`]) {
			expect(verifyStripeSignature(input({ header }))).toEqual(EVENT);
		}
	});

	it('accepts any of several secrets (secret rotation)', () => {
		const header = sign(BODY, OTHER_SECRET);
		expect(verifyStripeSignature(input({ header, secrets: [SECRET, OTHER_SECRET] }))).toEqual(EVENT);
		expect(verifyStripeSignature(input({ header, secrets: [OTHER_SECRET, SECRET] }))).toEqual(EVENT);
	});

	it('ignores blank entries in the secret list', () => {
		expect(verifyStripeSignature(input({ secrets: ['', '  ', SECRET] }))).toEqual(EVENT);
	});

	it.each([
		['spaces', `  ${SECRET}  `],
		['a trailing newline', `${SECRET}\n`],
		['tabs and CRLF', `\t${SECRET}\r\n`],
	])('trims %s around the secret', (_label, secret) => {
		expect(verifyStripeSignature(input({ secrets: secret }))).toEqual(EVENT);
	});

	it('ignores v0 and unknown schemes and tolerates spaces after commas', () => {
		const good = v1Of(sign(BODY));
		const header = `t=${NOW}, v0=${'0'.repeat(64)}, v9=whatever, v1=${good}`;
		expect(verifyStripeSignature(input({ header }))).toEqual(EVENT);
	});

	it.each([
		['signed exactly at the tolerance', NOW - DEFAULT_TOLERANCE_SECONDS],
		['signed at the tolerance in the future', NOW + DEFAULT_TOLERANCE_SECONDS],
		['signed one second ago', NOW - 1],
	])('accepts a delivery %s', (_label, timestamp) => {
		expect(verifyStripeSignature(input({ header: sign(BODY, SECRET, timestamp) }))).toEqual(EVENT);
	});

	it('honours a custom tolerance', () => {
		const header = sign(BODY, SECRET, NOW - 600);
		expect(verifyStripeSignature(input({ header, toleranceSeconds: 900 }))).toEqual(EVENT);
		expect(rejection(() => verifyStripeSignature(input({ header, toleranceSeconds: 599 }))).reason).toBe(
			'timestampOutsideTolerance',
		);
	});

	it('accepts a signed thin event notification', () => {
		const thin = {
			id: 'evt_test_65R',
			object: 'v2.core.event',
			type: 'v1.invoice.paid',
			created: '2025-10-01T12:00:00.000Z',
			livemode: false,
			related_object: { id: 'in_1', type: 'invoice', url: '/v1/invoices/in_1' },
		};
		const body = JSON.stringify(thin);
		expect(verifyStripeSignature(input({ rawBody: body, header: sign(body) }))).toEqual(thin);
	});

	it('agrees with the official client on what it accepts', () => {
		const header = sign(BODY, SECRET, NOW);
		const official = stripe.webhooks.constructEvent(BODY, header, SECRET, 300, undefined, NOW * 1000);
		expect(verifyStripeSignature(input({ header }))).toEqual(official);
	});
});

describe('verifyStripeSignature: rejected deliveries', () => {
	const good = v1Of(sign(BODY));
	const cases: Array<[string, Partial<VerifyStripeSignatureInput>, WebhookSignatureErrorReason]> = [
		['a tampered body', { rawBody: BODY.replace('"amount_paid": 1000', '"amount_paid": 1') }, 'signatureMismatch'],
		['one byte appended to the body', { rawBody: `${BODY} ` }, 'signatureMismatch'],
		['re-serialised JSON (same data, other bytes)', { rawBody: JSON.stringify(EVENT) }, 'signatureMismatch'],
		['the wrong secret', { secrets: OTHER_SECRET }, 'signatureMismatch'],
		['a different timestamp than signed', { header: `t=${NOW - 1},v1=${good}` }, 'signatureMismatch'],
		['a truncated signature', { header: `t=${NOW},v1=${good.slice(0, 40)}` }, 'signatureMismatch'],
		['an upper-cased signature', { header: `t=${NOW},v1=${good.toUpperCase()}` }, 'signatureMismatch'],
		['only bad signatures', { header: `t=${NOW},v1=${'a'.repeat(64)},v1=${'b'.repeat(64)}` }, 'signatureMismatch'],
		['an expired timestamp', { header: sign(BODY, SECRET, NOW - DEFAULT_TOLERANCE_SECONDS - 1) }, 'timestampOutsideTolerance'],
		['a day-old replay', { header: sign(BODY, SECRET, NOW - 86_400) }, 'timestampOutsideTolerance'],
		['a far-future timestamp', { header: sign(BODY, SECRET, NOW + DEFAULT_TOLERANCE_SECONDS + 1) }, 'timestampOutsideTolerance'],
		['no header', { header: undefined }, 'missingHeader'],
		['a null header', { header: null }, 'missingHeader'],
		['an empty header', { header: '' }, 'missingHeader'],
		['a blank header', { header: '   ' }, 'missingHeader'],
		['a garbled header', { header: 'garbage' }, 'malformedHeader'],
		['a header without timestamp', { header: `v1=${good}` }, 'malformedHeader'],
		['a non-numeric timestamp', { header: `t=abc,v1=${good}` }, 'malformedHeader'],
		['a negative timestamp', { header: `t=-5,v1=${good}` }, 'malformedHeader'],
		['a fractional timestamp', { header: `t=${NOW}.5,v1=${good}` }, 'malformedHeader'],
		['two timestamps', { header: `t=${NOW},t=${NOW},v1=${good}` }, 'malformedHeader'],
		['an empty v1', { header: `t=${NOW},v1=` }, 'malformedHeader'],
		['an item without "="', { header: `t=${NOW},v1` }, 'malformedHeader'],
		['a JSON header', { header: '{"t":1,"v1":"x"}' }, 'malformedHeader'],
		['two separate header values', { header: [sign(BODY), sign(BODY)] }, 'malformedHeader'],
		['a timestamp but no v1', { header: `t=${NOW}` }, 'noSignatures'],
		['only a v0 signature', { header: `t=${NOW},v0=${good}` }, 'noSignatures'],
		['no secret', { secrets: '' }, 'missingSecret'],
		['a blank secret', { secrets: ' \n ' }, 'missingSecret'],
		['an empty secret list', { secrets: [] }, 'missingSecret'],
		['a list of blank secrets', { secrets: ['', '  '] }, 'missingSecret'],
		['an empty body', { rawBody: '' }, 'emptyPayload'],
		['an empty Buffer', { rawBody: Buffer.alloc(0) }, 'emptyPayload'],
		['an undefined body', { rawBody: undefined as unknown as string }, 'emptyPayload'],
		['a parsed body', { rawBody: EVENT as unknown as string }, 'parsedBody'],
	];

	it.each(cases)('rejects %s', (_label, overrides, reason) => {
		const error = rejection(() => verifyStripeSignature(input(overrides)));
		expect(error.reason).toBe(reason);
		expect(error.httpStatusCode).toBe(400);
		expect(error.name).toBe('WebhookSignatureError');
		expect(error).toBeInstanceOf(Error);
		expect(error.message.startsWith(WEBHOOK_SIGNATURE_MESSAGES[reason])).toBe(true);
	});

	it('agrees with the official client on the tampered body and the wrong secret', () => {
		const header = sign(BODY);
		const tampered = BODY.replace('1000', '1001');
		expect(() => stripe.webhooks.constructEvent(tampered, header, SECRET, 300, undefined, NOW * 1000)).toThrow();
		expect(rejection(() => verifyStripeSignature(input({ rawBody: tampered, header }))).reason).toBe('signatureMismatch');
		expect(() => stripe.webhooks.constructEvent(BODY, header, OTHER_SECRET, 300, undefined, NOW * 1000)).toThrow();
		expect(rejection(() => verifyStripeSignature(input({ header, secrets: OTHER_SECRET }))).reason).toBe('signatureMismatch');
	});

	it('says how old an expired signature is and mentions replay', () => {
		const error = rejection(() => verifyStripeSignature(input({ header: sign(BODY, SECRET, NOW - 1000) })));
		expect(error.message).toContain('signed 1000 s ago');
		expect(error.message).toContain('tolerance of 300 s');
		expect(error.message).toMatch(/replayed/);
		expect(error.details).toEqual({ timestamp: NOW - 1000, now: NOW, toleranceSeconds: 300 });
	});

	it('says a far-future signature is ahead and points at the clock', () => {
		const error = rejection(() => verifyStripeSignature(input({ header: sign(BODY, SECRET, NOW + 3600) })));
		expect(error.message).toContain('3600 s in the future');
		expect(error.message).toMatch(/clock/);
	});

	it('checks the signature before the timestamp: a forged, expired request is a mismatch', () => {
		const header = sign(BODY, OTHER_SECRET, NOW - 10_000);
		expect(rejection(() => verifyStripeSignature(input({ header }))).reason).toBe('signatureMismatch');
	});

	it('rejects a correctly signed non-JSON body as invalidPayload', () => {
		const body = 'this is not json';
		const error = rejection(() => verifyStripeSignature(input({ rawBody: body, header: sign(body) })));
		expect(error.reason).toBe('invalidPayload');
		expect(error.message).toContain('JSON.parse failed');
	});

	it.each([
		['a JSON array', '[1,2,3]', 'not an object'],
		['a JSON string', '"evt_1"', 'not an object'],
		['JSON null', 'null', 'not an object'],
		['an object without id', '{"object":"event"}', 'no string "id"'],
		['a non-event object', '{"id":"cus_1","object":"customer"}', '"customer"'],
	])('rejects a correctly signed body that is %s', (_label, body, fragment) => {
		const error = rejection(() => verifyStripeSignature(input({ rawBody: body, header: sign(body) })));
		expect(error.reason).toBe('invalidPayload');
		expect(error.message).toContain(fragment);
	});

	it('names the whitespace around a wrong secret in the message', () => {
		const error = rejection(() => verifyStripeSignature(input({ secrets: ` ${OTHER_SECRET}\n` })));
		expect(error.reason).toBe('signatureMismatch');
		expect(error.message).toContain(WEBHOOK_SECRET_HINTS.surroundingWhitespace);
	});

	it('names whitespace inside the secret in the message', () => {
		const error = rejection(() => verifyStripeSignature(input({ secrets: `${SECRET.slice(0, 10)} ${SECRET.slice(10)}` })));
		expect(error.message).toContain(WEBHOOK_SECRET_HINTS.innerWhitespace);
	});

	it.each([
		['an API secret key', 'sk_test_51abc', WEBHOOK_SECRET_HINTS.apiKey],
		['a restricted key', 'rk_live_51abc', WEBHOOK_SECRET_HINTS.apiKey],
		['a publishable key', 'pk_test_51abc', WEBHOOK_SECRET_HINTS.apiKey],
		['an endpoint id', 'we_1Pgc6tB7WZ01zgkW', WEBHOOK_SECRET_HINTS.endpointId],
		['some other value', 'my-secret', WEBHOOK_SECRET_HINTS.unusualPrefix],
	])('says when the secret looks like %s', (_label, secret, hint) => {
		const error = rejection(() => verifyStripeSignature(input({ secrets: secret })));
		expect(error.reason).toBe('signatureMismatch');
		expect(error.message).toContain(hint);
	});

	it('accepts a secret without the whsec_ prefix when it is the right one (prefix is a convention)', () => {
		const secret = 'custom-signing-secret';
		expect(verifyStripeSignature(input({ header: sign(BODY, secret), secrets: secret }))).toEqual(EVENT);
	});

	it('adds no hint for a plain wrong whsec_ secret', () => {
		const error = rejection(() => verifyStripeSignature(input({ secrets: OTHER_SECRET })));
		for (const hint of Object.values(WEBHOOK_SECRET_HINTS)) expect(error.message).not.toContain(hint);
	});
});

describe('verifyStripeSignature: programming errors', () => {
	it.each([
		['milliseconds', { now: NOW * 1000 }, /milliseconds/],
		['NaN', { now: Number.NaN }, /unix seconds/],
		['a zero tolerance', { toleranceSeconds: 0 }, /positive/],
		['a negative tolerance', { toleranceSeconds: -1 }, /positive/],
		['an infinite tolerance', { toleranceSeconds: Number.POSITIVE_INFINITY }, /positive/],
	])('throws a RangeError for %s', (_label, overrides, message) => {
		expect(() => verifyStripeSignature(input(overrides as Partial<VerifyStripeSignatureInput>))).toThrow(RangeError);
		expect(() => verifyStripeSignature(input(overrides as Partial<VerifyStripeSignatureInput>))).toThrow(message);
	});
});

describe('parseSignatureHeader', () => {
	it('reads the timestamp and every v1 in order', () => {
		expect(parseSignatureHeader('t=1700000000,v1=aa,v0=zz,v1=bb')).toEqual({ timestamp: 1_700_000_000, v1: ['aa', 'bb'] });
	});

	it('parses what the official helper produces', () => {
		const header = sign('{}', SECRET, 1_234_567_890);
		const parsed = parseSignatureHeader(header);
		expect(parsed.timestamp).toBe(1_234_567_890);
		expect(parsed.v1).toHaveLength(1);
		expect(parsed.v1[0]).toMatch(/^[0-9a-f]{64}$/);
	});

	it('returns an empty v1 list instead of failing when there is none', () => {
		expect(parseSignatureHeader('t=5')).toEqual({ timestamp: 5, v1: [] });
	});

	it('accepts a one-element header array', () => {
		expect(parseSignatureHeader(['t=5,v1=ab'])).toEqual({ timestamp: 5, v1: ['ab'] });
	});

	it.each([
		[undefined, 'missingHeader'],
		['', 'missingHeader'],
		['t=', 'malformedHeader'],
		['=5', 'malformedHeader'],
		['t=99999999999999999999,v1=ab', 'malformedHeader'],
		['t=1e9,v1=ab', 'malformedHeader'],
	])('rejects %p with %s', (header, reason) => {
		expect(rejection(() => parseSignatureHeader(header)).reason).toBe(reason);
	});
});

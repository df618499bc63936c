import {
	STRIPE_BLOCK_REASONS,
	STRIPE_DECLINE_CODES,
	UNVERIFIED_DECLINE_CODES,
	classifyDecline,
	declineCodeEntry,
	fromCharge,
	fromInvoice,
	fromInvoicePayment,
	fromPaymentIntent,
	toAttempt,
	type DeclineClass,
	type DeclineInput,
} from '../../../lib/retry';

const CLASSES: DeclineClass[] = ['neverRetry', 'needsCustomer', 'insufficientFunds', 'temporary', 'unknown'];

// Stripe's decline-code list as stripe-php's Charge::DECLINED_* constants hold it (commit 0498d20d,
// 2026-07-15), plus invalid_expiry_month (on Stripe's page; from memory).
const STRIPE_LIST = [
	'authentication_required', 'approve_with_id', 'call_issuer', 'card_not_supported', 'card_velocity_exceeded',
	'currency_not_supported', 'do_not_honor', 'do_not_try_again', 'duplicate_transaction', 'expired_card',
	'fraudulent', 'generic_decline', 'incorrect_number', 'incorrect_cvc', 'incorrect_pin', 'incorrect_zip',
	'insufficient_funds', 'invalid_account', 'invalid_amount', 'invalid_cvc', 'invalid_expiry_month',
	'invalid_expiry_year', 'invalid_number', 'invalid_pin', 'issuer_not_available', 'lost_card',
	'merchant_blacklist', 'new_account_information_available', 'no_action_taken', 'not_permitted',
	'offline_pin_required', 'online_or_offline_pin_required', 'pickup_card', 'pin_try_exceeded',
	'processing_error', 'reenter_transaction', 'restricted_card', 'revocation_of_all_authorizations',
	'revocation_of_authorization', 'security_violation', 'service_not_allowed', 'stolen_card',
	'stop_payment_order', 'testmode_decline', 'transaction_not_allowed', 'try_again_later',
	'withdrawal_count_limit_exceeded',
];

describe("Stripe's decline-code list", () => {
	const codes = STRIPE_DECLINE_CODES.map((e) => e.code);

	test('has about 50 codes, from approve_with_id to withdrawal_count_limit_exceeded, without duplicates', () => {
		expect(codes.length).toBeGreaterThanOrEqual(45);
		expect(codes.length + UNVERIFIED_DECLINE_CODES.length).toBe(50);
		expect(codes).toContain('approve_with_id');
		expect(codes).toContain('withdrawal_count_limit_exceeded');
		expect(new Set([...codes, ...UNVERIFIED_DECLINE_CODES.map((e) => e.code)]).size).toBe(50);
	});

	test('holds exactly the codes of the list', () => {
		expect([...codes].sort()).toEqual([...STRIPE_LIST].sort());
	});

	test.each(STRIPE_LIST)('%s maps to a class with a rationale and a dated source', (code) => {
		const entry = declineCodeEntry(code);
		expect(entry).toBeDefined();
		expect(CLASSES).toContain(entry!.class);
		expect(entry!.class).not.toBe('unknown');
		expect(entry!.rationale.length).toBeGreaterThan(10);
		expect(entry!.source.url).toMatch(/^https:\/\//);
		expect(entry!.source.read).toMatch(/^\d{4}-\d{2}-\d{2}$/);
		const c = classifyDecline({ decline_code: code });
		expect(c.class).toBe(entry!.class);
		expect(c.decidedBy).toBe('decline_code');
	});

	test.each([...UNVERIFIED_DECLINE_CODES, ...STRIPE_BLOCK_REASONS].map((e) => e.code))('%s (outside the confirmed list) is mapped too', (code) => {
		expect(classifyDecline({ decline_code: code }).class).not.toBe('unknown');
	});
});

describe('classes', () => {
	test.each([
		// Stripe's hard declines (issue 8, from Stripe's Smart Retries page)
		['incorrect_number', 'neverRetry'], ['lost_card', 'neverRetry'], ['pickup_card', 'neverRetry'],
		['stolen_card', 'neverRetry'], ['revocation_of_authorization', 'neverRetry'],
		['revocation_of_all_authorizations', 'neverRetry'], ['authentication_required', 'neverRetry'],
		['highest_risk_level', 'neverRetry'], ['transaction_not_allowed', 'neverRetry'],
		['do_not_try_again', 'neverRetry'],
		// the customer must act
		['expired_card', 'needsCustomer'], ['incorrect_cvc', 'needsCustomer'], ['card_not_supported', 'needsCustomer'],
		// funds
		['insufficient_funds', 'insufficientFunds'], ['card_velocity_exceeded', 'insufficientFunds'],
		['withdrawal_count_limit_exceeded', 'insufficientFunds'],
		// issuer-side or temporary
		['processing_error', 'temporary'], ['issuer_not_available', 'temporary'], ['try_again_later', 'temporary'],
		['do_not_honor', 'temporary'], ['generic_decline', 'temporary'], ['approve_with_id', 'temporary'],
	] as Array<[string, DeclineClass]>)('%s → %s', (code, cls) => {
		expect(classifyDecline({ decline_code: code }).class).toBe(cls);
	});

	test('Stripe hard declines cite the Smart Retries page', () => {
		expect(classifyDecline({ decline_code: 'lost_card' }).source.url).toContain('smart-retries');
	});

	test('authentication_required tells the customer to authenticate', () => {
		expect(classifyDecline({ decline_code: 'authentication_required' }).customerAction).toBe('authenticate');
	});

	test('codes are read case-insensitively and trimmed', () => {
		expect(classifyDecline({ decline_code: ' Insufficient_Funds ' }).class).toBe('insufficientFunds');
	});
});

describe('precedence of advice and network codes', () => {
	test.each<[string, DeclineInput, DeclineClass, string]>([
		['any do_not_try_again wins over a soft decline code', { decline_code: 'insufficient_funds', advice_code: 'do_not_try_again' }, 'neverRetry', 'advice_code'],
		['do_not_try_again alone', { advice_code: 'do_not_try_again' }, 'neverRetry', 'advice_code'],
		['confirm_card_data needs the customer', { decline_code: 'generic_decline', advice_code: 'confirm_card_data' }, 'needsCustomer', 'advice_code'],
		['try_again_later alone is temporary', { advice_code: 'try_again_later' }, 'temporary', 'advice_code'],
		['try_again_later does not soften a hard decline', { decline_code: 'stolen_card', advice_code: 'try_again_later' }, 'neverRetry', 'decline_code'],
		['Mastercard MAC 03 never', { decline_code: 'do_not_honor', network_advice_code: '03', brand: 'mastercard' }, 'neverRetry', 'network_advice_code'],
		['Mastercard MAC 21 never', { decline_code: 'insufficient_funds', network_advice_code: '21', brand: 'mastercard' }, 'neverRetry', 'network_advice_code'],
		['MAC 03 with an unknown brand: cautious never', { network_advice_code: '3' }, 'neverRetry', 'network_advice_code'],
		['MAC 03 on a Visa card is not a Mastercard code', { decline_code: 'do_not_honor', network_advice_code: '03', brand: 'visa' }, 'temporary', 'decline_code'],
		['MAC 01 needs the customer', { network_advice_code: '01', brand: 'mastercard' }, 'needsCustomer', 'network_advice_code'],
		['Visa category 1 response code never', { decline_code: 'generic_decline', network_decline_code: '46', brand: 'visa' }, 'neverRetry', 'network_decline_code'],
		['Visa category 2 alone is temporary', { network_decline_code: '51', brand: 'visa' }, 'temporary', 'network_decline_code'],
		['Visa category 3 with a vague decline code needs corrected data', { decline_code: 'do_not_honor', network_decline_code: 'N7', brand: 'visa' }, 'needsCustomer', 'network_decline_code'],
		['the decline code beats temporary network signals', { decline_code: 'insufficient_funds', network_advice_code: '02', brand: 'mastercard' }, 'insufficientFunds', 'decline_code'],
	])('%s', (_name, input, cls, decidedBy) => {
		const c = classifyDecline(input);
		expect(c.class).toBe(cls);
		expect(c.decidedBy).toBe(decidedBy);
		expect(c.signals[0].class).toBe(cls);
	});

	test.each([
		['24', 3600], ['25', 86400], ['26', 2 * 86400], ['27', 4 * 86400], ['28', 6 * 86400], ['29', 8 * 86400], ['30', 10 * 86400],
	])('MAC %s asks for a minimum wait of %i s', (mac, wait) => {
		const c = classifyDecline({ decline_code: 'do_not_honor', network_advice_code: mac, brand: 'mastercard' });
		expect(c.minWaitSeconds).toBe(wait);
		expect(c.class).toBe('temporary');
	});
});

describe('unknown: cautious, with a reason', () => {
	test.each<[string, DeclineInput, RegExp]>([
		['nothing at all', {}, /No decline code/],
		['a code not in the list', { decline_code: 'brand_new_code' }, /brand_new_code is not in Stripe's decline-code list/],
		['only uninformative network codes', { network_decline_code: '05', brand: 'visa' }, /do not say whether to retry/],
	])('%s', (_name, input, reason) => {
		const c = classifyDecline(input);
		expect(c.class).toBe('unknown');
		expect(c.decidedBy).toBe('default');
		expect(c.rationale).toMatch(reason);
	});

	test('codes are echoed normalized', () => {
		expect(classifyDecline({ decline_code: 'X', network_advice_code: '3', network_decline_code: 'n7', brand: 'VISA' }).codes).toEqual({
			decline_code: 'x', network_advice_code: '03', network_decline_code: 'N7', brand: 'visa', visa_category: 3,
		});
	});
});

describe('extractors', () => {
	const charge = {
		id: 'ch_1', object: 'charge', created: 1764000000, status: 'failed', failure_code: 'card_declined',
		payment_method: 'pm_1',
		outcome: { type: 'issuer_declined', reason: 'insufficient_funds', advice_code: 'try_again_later', network_advice_code: '24', network_decline_code: '51', network_status: 'declined_by_network' },
		payment_method_details: { type: 'card', card: { brand: 'mastercard', network: 'mastercard', fingerprint: 'fp_1' } },
	};
	const expected = {
		decline_code: 'insufficient_funds', advice_code: 'try_again_later', network_advice_code: '24', network_decline_code: '51',
		brand: 'mastercard', fingerprint: 'fp_1', payment_method: 'pm_1', created: 1764000000, status: 'failed',
	};

	test('fromCharge reads outcome and card', () => {
		expect(fromCharge(charge)).toEqual(expected);
	});

	test('fromCharge: a Radar block gives highest_risk_level', () => {
		const c = fromCharge({ failure_code: 'card_declined', outcome: { type: 'blocked', reason: 'highest_risk_level' } });
		expect(classifyDecline(c).class).toBe('neverRetry');
	});

	test('fromCharge: failure_code when outcome has no reason', () => {
		expect(fromCharge({ failure_code: 'expired_card', outcome: { type: 'issuer_declined', reason: null } }).decline_code).toBe('expired_card');
	});

	test('fromCharge: the network of a co-badged card wins over its brand', () => {
		expect(fromCharge({ payment_method_details: { card: { brand: 'cartes_bancaires', network: 'visa' } } }).brand).toBe('visa');
	});

	test('fromPaymentIntent reads last_payment_error, filling the rest from latest_charge', () => {
		const pi = {
			id: 'pi_1', status: 'requires_payment_method', latest_charge: charge,
			last_payment_error: { type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds', advice_code: 'try_again_later', network_advice_code: '24', network_decline_code: '51', payment_method: { id: 'pm_1', card: { brand: 'mastercard', fingerprint: 'fp_1' } } },
		};
		expect(fromPaymentIntent(pi)).toEqual(expected);
	});

	test('fromPaymentIntent without a charge', () => {
		expect(fromPaymentIntent({ last_payment_error: { decline_code: 'lost_card', payment_method: { id: 'pm_2', card: { brand: 'visa' } } } })).toEqual({
			decline_code: 'lost_card', brand: 'visa', payment_method: 'pm_2', status: 'failed',
		});
	});

	test('fromInvoicePayment and fromInvoice read the expanded payment', () => {
		const ip = { object: 'invoice_payment', created: 1, payment: { type: 'payment_intent', payment_intent: { last_payment_error: { decline_code: 'expired_card' } } } };
		expect(fromInvoicePayment(ip).decline_code).toBe('expired_card');
		expect(fromInvoicePayment({ payment: { type: 'charge', charge } }).decline_code).toBe('insufficient_funds');
		expect(fromInvoicePayment({ payment: { type: 'payment_intent', payment_intent: 'pi_x' } })).toEqual({});
		const older = { object: 'invoice_payment', created: 0, payment: { type: 'payment_intent', payment_intent: { last_payment_error: { decline_code: 'lost_card' } } } };
		expect(fromInvoice({ payments: { data: [older, ip] } }).decline_code).toBe('expired_card');
		expect(fromInvoice({ charge }).decline_code).toBe('insufficient_funds');
		expect(fromInvoice({})).toEqual({});
	});

	test('extractors tolerate anything', () => {
		for (const bad of [null, undefined, 1, 'x', [], { outcome: 5 }]) {
			expect(classifyDecline(fromCharge(bad)).class).toBe('unknown');
			expect(classifyDecline(fromPaymentIntent(bad)).class).toBe('unknown');
			expect(classifyDecline(fromInvoice(bad)).class).toBe('unknown');
		}
	});

	test('toAttempt builds a network-rules history entry', () => {
		expect(toAttempt(fromCharge(charge))).toEqual({
			at: 1764000000, cardFingerprint: 'fp_1', paymentMethodId: 'pm_1', brand: 'mastercard', outcome: 'declined',
			networkAdviceCode: '24', networkDeclineCode: '51', declineCode: 'insufficient_funds',
		});
		expect(toAttempt({})).toBeUndefined();
		expect(toAttempt({ status: 'succeeded' }, 5)).toEqual({ at: 5, outcome: 'succeeded' });
	});
});

test.each([
	['24', 'retry after 1 hour'], ['25', 'retry after 24 hours'], ['26', 'retry after 2 days'], ['30', 'retry after 10 days'],
])('MAC %s explains itself as "%s"', (mac, text) => {
	expect(classifyDecline({ network_advice_code: mac, brand: 'mastercard' }).rationale).toContain(text);
});

/**
 * Stripe's card decline codes as data: every code of Stripe's list, with the class this package
 * gives it, why, and where the code and the reasoning come from.
 *
 * Where the list comes from (read 2026-12-01):
 * - Stripe's page https://docs.stripe.com/declines/codes ("Card decline codes"). Only the page's
 *   opening and its first row (`authentication_required`) could be read through the search tool,
 *   so the page was not read in full.
 * - The full list is taken from Stripe's own PHP library, `lib/Charge.php` of stripe/stripe-php
 *   (commit 0498d20d, 2026-07-15): its `DECLINED_*` constants cite that page and hold 46 codes.
 * - `invalid_expiry_month` is on Stripe's page as far as we know, but stripe-php has no constant for
 *   it: that one is from memory.
 * - Three codes seen only in third-party code that claims a 2026 sync with Stripe's page
 *   (`authentication_not_handled`, `incorrect_address`, `mobile_device_authentication_required`) are
 *   kept apart in {@link UNVERIFIED_DECLINE_CODES}: classified, but not confirmed from a Stripe source.
 *
 * Stripe's page says it now gives the guidance of deprecated decline codes in `advice_code`
 * instead (see `declines.ts`), so a code here may stop appearing; it stays mapped.
 */

/** The classes of a decline (stable values: plans and saved workflows hold them). */
export type DeclineClass =
	/** Never retry this card: the issuer, the network or Stripe says it will not be approved. */
	| 'neverRetry'
	/** Retrying the same card is pointless until the customer acts (new card, authentication, corrected data). */
	| 'needsCustomer'
	/** Not enough funds or credit now: retry later, when money is likely to have arrived. */
	| 'insufficientFunds'
	/** Issuer-side or temporary: a later retry may be approved. */
	| 'temporary'
	/** Nothing known says what happened: cautious default (see `declines.ts`). */
	| 'unknown';

/** What the customer can do so a new attempt can succeed. */
export type CustomerAction = 'newPaymentMethod' | 'authenticate' | 'correctData' | 'contactIssuer';

/** Where a rule comes from. `fetched: false` means from memory, not from a document read. */
export interface RuleSource {
	url: string;
	/** The date the document was read (or, from memory, the date the rule was written down). */
	read: string;
	fetched: boolean;
	note?: string;
}

/** One decline code: its class, the customer's action if any, why, and the source. */
export interface DeclineCodeEntry {
	code: string;
	class: DeclineClass;
	customerAction?: CustomerAction;
	rationale: string;
	source: RuleSource;
}

const READ = '2026-12-01';

/** Stripe's decline-code page, read through the search tool (opening only), and stripe-php's constants. */
export const STRIPE_DECLINE_CODES_SOURCE: RuleSource = {
	url: 'https://docs.stripe.com/declines/codes',
	read: READ,
	fetched: true,
	note: "Code list from stripe/stripe-php lib/Charge.php DECLINED_* constants (commit 0498d20d, 2026-07-15), which cite this page; the page's descriptions and next steps are quoted from memory.",
};

/** Stripe's hard declines, on which Stripe's own retries never retry (Smart Retries page). */
export const STRIPE_HARD_DECLINES_SOURCE: RuleSource = {
	url: 'https://docs.stripe.com/billing/revenue-recovery/smart-retries#non-retryable-decline-codes',
	read: READ,
	fetched: true,
	note: 'The page says Stripe does not retry "hard decline codes" (read); the list of those codes is taken from issue 8, which quotes it, not from the page itself.',
};

const FROM_MEMORY: RuleSource = { ...STRIPE_DECLINE_CODES_SOURCE, fetched: false, note: 'From memory: not in stripe-php constants; believed to be on Stripe\'s page.' };

type Row = [code: string, cls: DeclineClass, action: CustomerAction | undefined, rationale: string, source?: RuleSource];

const HARD = STRIPE_HARD_DECLINES_SOURCE;
const DOC = STRIPE_DECLINE_CODES_SOURCE;

const ROWS: Row[] = [
	['authentication_required', 'neverRetry', 'authenticate', 'The issuer requires authentication (3D Secure); an off-session retry cannot authenticate. A Stripe hard decline: ask the customer to authenticate instead.', HARD],
	['approve_with_id', 'temporary', undefined, 'Stripe: the payment cannot be authorized, it should be attempted again.'],
	['call_issuer', 'needsCustomer', 'contactIssuer', 'Declined for an unknown reason; Stripe: the customer needs to contact their issuer.'],
	['card_not_supported', 'needsCustomer', 'newPaymentMethod', 'The card does not support this type of purchase; retrying the same card does not change that.'],
	['card_velocity_exceeded', 'insufficientFunds', undefined, 'Stripe: the customer has exceeded the balance or credit limit available on the card; it frees up over time.'],
	['currency_not_supported', 'needsCustomer', 'newPaymentMethod', 'The card does not support the currency; another card is needed.'],
	['do_not_honor', 'temporary', undefined, 'The issuer gave no reason. Not one of Stripe\'s hard declines, and Visa counts its response code 05 among the declines that may be reattempted; a later retry may succeed.'],
	['do_not_try_again', 'neverRetry', 'contactIssuer', 'The issuer says not to try again; retrying risks network fees.'],
	['duplicate_transaction', 'temporary', undefined, 'A transaction with the same amount and card was made very recently: check that the invoice is not already paid, then a later retry is fine.'],
	['expired_card', 'needsCustomer', 'newPaymentMethod', 'The card has expired; the customer needs another card (or the card updater a new expiry).'],
	['fraudulent', 'neverRetry', 'newPaymentMethod', 'The issuer or Stripe suspects fraud; Stripe says to show the customer a generic decline. Retrying the card is not advisable.'],
	['generic_decline', 'temporary', undefined, 'Declined for an unknown reason. Not one of Stripe\'s hard declines; a later retry may succeed.'],
	['incorrect_number', 'neverRetry', 'correctData', 'The card number is incorrect: a Stripe hard decline; the customer must correct the number.', HARD],
	['incorrect_cvc', 'needsCustomer', 'correctData', 'The CVC is incorrect; the customer must correct it.'],
	['incorrect_pin', 'needsCustomer', 'correctData', 'The PIN is incorrect (card readers only).'],
	['incorrect_zip', 'needsCustomer', 'correctData', 'The postal code is incorrect; the customer must correct the billing details.'],
	['insufficient_funds', 'insufficientFunds', undefined, 'The card has insufficient funds now; funds may arrive later (payday).'],
	['invalid_account', 'needsCustomer', 'newPaymentMethod', 'The card, or the account it is connected to, is invalid; Visa counts a closed account among the declines never to reattempt.'],
	['invalid_amount', 'needsCustomer', 'contactIssuer', 'The amount is invalid or exceeds what the card allows; the customer must check with the issuer.'],
	['invalid_cvc', 'needsCustomer', 'correctData', 'The CVC is invalid; the customer must correct it.'],
	['invalid_expiry_month', 'needsCustomer', 'correctData', 'The expiry month is invalid; the customer must correct it.', FROM_MEMORY],
	['invalid_expiry_year', 'needsCustomer', 'correctData', 'The expiry year is invalid; the customer must correct it.'],
	['invalid_number', 'needsCustomer', 'correctData', 'The card number is invalid; the customer must correct it.'],
	['invalid_pin', 'needsCustomer', 'correctData', 'The PIN is invalid (card readers only).'],
	['issuer_not_available', 'temporary', undefined, 'The issuer could not be reached; Stripe: attempt the payment again.'],
	['lost_card', 'neverRetry', 'newPaymentMethod', 'The card is reported lost: a Stripe hard decline (Visa category 1).', HARD],
	['merchant_blacklist', 'neverRetry', undefined, 'The payment matches a value on the account\'s own block list (Radar); retrying hits the same rule.'],
	['new_account_information_available', 'needsCustomer', 'newPaymentMethod', 'The card or its account is invalid and newer details exist; the customer (or the card updater) must supply them.'],
	['no_action_taken', 'needsCustomer', 'contactIssuer', 'Declined for an unknown reason; Stripe: the customer should contact their issuer.'],
	['not_permitted', 'needsCustomer', 'contactIssuer', 'The payment is not permitted; Stripe: the customer should contact their issuer.'],
	['offline_pin_required', 'needsCustomer', 'authenticate', 'The card requires a PIN (card readers only); an off-session retry cannot give one.'],
	['online_or_offline_pin_required', 'needsCustomer', 'authenticate', 'The card requires a PIN (card readers only); an off-session retry cannot give one.'],
	['pickup_card', 'neverRetry', 'newPaymentMethod', 'The issuer asks to pick up the card (may be lost or stolen): a Stripe hard decline (Visa category 1).', HARD],
	['pin_try_exceeded', 'needsCustomer', 'newPaymentMethod', 'The allowed number of PIN tries was exceeded.'],
	['processing_error', 'temporary', undefined, 'An error occurred while processing the card; Stripe: attempt the payment again.'],
	['reenter_transaction', 'temporary', undefined, 'The issuer could not process the payment; Stripe: attempt it again.'],
	['restricted_card', 'needsCustomer', 'newPaymentMethod', 'The card cannot be used for this payment (it may be reported lost or stolen).'],
	['revocation_of_all_authorizations', 'neverRetry', 'newPaymentMethod', 'The cardholder revoked all authorizations for this merchant: a Stripe hard decline (Visa category 1, R3).', HARD],
	['revocation_of_authorization', 'neverRetry', 'newPaymentMethod', 'The cardholder revoked this authorization: a Stripe hard decline (Visa category 1, R1).', HARD],
	['security_violation', 'needsCustomer', 'contactIssuer', 'Declined for a security reason; Stripe: the customer should contact their issuer.'],
	['service_not_allowed', 'needsCustomer', 'contactIssuer', 'The issuer does not allow this service for the card; the customer must contact the issuer.'],
	['stolen_card', 'neverRetry', 'newPaymentMethod', 'The card is reported stolen: a Stripe hard decline (Visa category 1).', HARD],
	['stop_payment_order', 'neverRetry', 'newPaymentMethod', 'The cardholder asked the issuer to stop this payment (Visa R0, category 1 from memory); retrying is not allowed.'],
	['testmode_decline', 'neverRetry', 'newPaymentMethod', 'A Stripe test card was used in live mode; it can never be charged.'],
	['transaction_not_allowed', 'neverRetry', 'contactIssuer', 'The issuer does not allow this transaction on the card: a Stripe hard decline (Visa category 1, 57).', HARD],
	['try_again_later', 'temporary', undefined, 'The issuer asks to try again later.'],
	['withdrawal_count_limit_exceeded', 'insufficientFunds', undefined, 'Stripe: the customer has exceeded the balance or credit limit available on the card; it frees up over time.'],
];

function toEntry([code, cls, action, rationale, source]: Row): DeclineCodeEntry {
	const entry: DeclineCodeEntry = { code, class: cls, rationale, source: source ?? DOC };
	if (action) entry.customerAction = action;
	return entry;
}

/** Every code of Stripe's card decline-code list, in the list's order, each with its class. */
export const STRIPE_DECLINE_CODES: readonly DeclineCodeEntry[] = Object.freeze(ROWS.map(toEntry));

const THIRD_PARTY: RuleSource = {
	url: 'https://docs.stripe.com/declines/codes',
	read: READ,
	fetched: false,
	note: 'Seen only in third-party code claiming a 2026 sync with this page; not confirmed from a Stripe source.',
};

/** Codes reported by third parties as on Stripe's page, not confirmed from a Stripe source; classified all the same. */
export const UNVERIFIED_DECLINE_CODES: readonly DeclineCodeEntry[] = Object.freeze(
	(
		[
			['authentication_not_handled', 'needsCustomer', 'authenticate', 'By its name, authentication was required and not completed; the customer must authenticate.', THIRD_PARTY],
			['incorrect_address', 'needsCustomer', 'correctData', 'By its name, the billing address did not match; the customer must correct it.', THIRD_PARTY],
			['mobile_device_authentication_required', 'needsCustomer', 'authenticate', 'By its name, the issuer wants authentication on the customer\'s device; an off-session retry cannot give it.', THIRD_PARTY],
		] as Row[]
	).map(toEntry),
);

/**
 * Codes Stripe returns for its own blocks rather than an issuer decline, in `charge.outcome.reason`
 * (stripe-node 23.1.0 types, `Charge.Outcome.reason`, read 2026-12-01).
 */
export const STRIPE_BLOCK_REASONS: readonly DeclineCodeEntry[] = Object.freeze([
	toEntry(['highest_risk_level', 'neverRetry', 'newPaymentMethod', "Blocked by Radar's default rule for the highest risk: a Stripe hard decline; a retry is blocked again.", HARD]),
]);

const BY_CODE: ReadonlyMap<string, DeclineCodeEntry> = new Map(
	[...STRIPE_DECLINE_CODES, ...UNVERIFIED_DECLINE_CODES, ...STRIPE_BLOCK_REASONS].map((e) => [e.code, e]),
);

/** The entry for a decline code (case-insensitive), or undefined when the code is not known. */
export function declineCodeEntry(code: string | null | undefined): DeclineCodeEntry | undefined {
	if (!code) return undefined;
	return BY_CODE.get(code.trim().toLowerCase());
}

/**
 * Shape checks for Stripe API keys, so a wrong key is explained before it is sent.
 * Secret keys start `sk_live_`/`sk_test_`, restricted keys `rk_live_`/`rk_test_`;
 * publishable keys (`pk_`) cannot call the API (https://docs.stripe.com/keys, 2026).
 */
const KEY_PATTERN = /^(sk|rk)_(live|test)_[A-Za-z0-9_]+$/;

export const KEY_ERRORS = {
	empty: 'The Stripe API key is empty. Paste a secret key (sk_live_… / sk_test_…) or a restricted key (rk_live_… / rk_test_…).',
	whitespace: 'The Stripe API key has spaces or line breaks around or inside it. Remove them and paste the key again.',
	publishable: 'This is a publishable key (pk_…), which cannot call the Stripe API. Use a secret key (sk_…) or a restricted key (rk_…) from Developers → API keys.',
	webhookSecret: 'This is a webhook signing secret (whsec_…), not an API key. Use a secret key (sk_…) or a restricted key (rk_…); the signing secret belongs in the trigger node.',
	shape: 'The Stripe API key has the wrong shape. It must start with sk_live_, sk_test_, rk_live_ or rk_test_.',
} as const;

/** Returns a message that says what is wrong with the key, or `undefined` when its shape is right. */
export function checkApiKeyShape(key: string | undefined | null): string | undefined {
	if (!key) return KEY_ERRORS.empty;
	if (/\s/.test(key)) return KEY_ERRORS.whitespace;
	if (key.startsWith('pk_')) return KEY_ERRORS.publishable;
	if (key.startsWith('whsec_')) return KEY_ERRORS.webhookSecret;
	if (!KEY_PATTERN.test(key)) return KEY_ERRORS.shape;
	return undefined;
}

/** `live` or `test`, from a key of the right shape. */
export function keyMode(key: string): 'live' | 'test' | undefined {
	const match = KEY_PATTERN.exec(key);
	return match ? (match[2] as 'live' | 'test') : undefined;
}

import {
	ACCESS_LEVELS,
	DEFAULT_DUNNING_POLICY,
	DUNNING_ACTIONS,
	DUNNING_LOCALES,
	DUNNING_MESSAGES,
	DUNNING_STAGES,
	DunningError,
	assertHostedLink,
	dunningStage,
	escapeHtml,
	formatDunningAmount,
	formatDunningDate,
	renderDunningMessage,
	resolveDunningLocale,
	type DunningStageName,
	type RenderDunningMessageInput,
} from '../../../lib/retry/dunning';
import { MoneyError } from '../../../lib/money';

const DAY = 86_400;
const NBSP = '\u00a0';
/** 2026-12-01T09:30:00Z, pinned. */
const T0 = Date.UTC(2026, 11, 1, 9, 30) / 1000;
const LINK = 'https://invoice.stripe.com/i/acct_1Nv0FGQ9RKHgCVdK/test_YWNjdF8x?s=ap&lang=de';

const base: RenderDunningMessageInput = {
	locale: 'en',
	stage: 'firstNotice',
	action: 'requestPaymentMethod',
	amountMinor: 123456,
	currency: 'eur',
	dueDate: T0 + 7 * DAY,
	nextRetryAt: T0 + 2 * DAY,
	zone: 'Europe/Berlin',
	customerName: 'Ada Lovelace',
	merchantName: 'Acme Cloud',
	link: LINK,
};

function render(overrides: Partial<RenderDunningMessageInput>) {
	return renderDunningMessage({ ...base, ...overrides });
}

function thrown(fn: () => unknown): DunningError {
	try {
		fn();
	} catch (error) {
		if (error instanceof DunningError) return error;
		throw error;
	}
	throw new Error('expected a DunningError');
}

/** What Intl says independently (from a Number, fine for these small amounts). */
function intlAmount(locale: string, currency: string, value: number, digits: number): string {
	return new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);
}

describe('renderDunningMessage: every locale × stage × action', () => {
	const cases = DUNNING_LOCALES.flatMap((locale) =>
		DUNNING_STAGES.flatMap((stage) => DUNNING_ACTIONS.flatMap((action) => [true, false].map((named) => ({ locale, stage, action, named })))),
	);
	it('covers 8 locales, 4 stages, 4 actions', () => {
		expect([...DUNNING_LOCALES].sort()).toEqual(['de', 'en', 'es', 'fr', 'it', 'ja', 'nl', 'pt']);
		expect(cases).toHaveLength(8 * 4 * 4 * 2);
	});
	it.each(cases)('$locale $stage $action (customer named: $named)', ({ locale, stage, action, named }) => {
		const message = render({ locale, stage, action, customerName: named ? 'Ada Lovelace' : undefined });
		const amount = intlAmount(locale, 'EUR', 1234.56, 2);
		expect(message.locale).toBe(locale);
		for (const part of [message.subject, message.text, message.html]) {
			expect(part.trim()).not.toBe('');
			expect(part).not.toMatch(/\{\{|\}\}/);
		}
		expect(message.text).toContain(amount);
		expect(message.html).toContain(escapeHtml(amount));
		expect(message.text).toContain(LINK);
		expect(message.html).toContain(`href="${escapeHtml(LINK)}"`);
		expect(message.text).toContain('Acme Cloud');
		if (named) expect(message.text).toContain('Ada Lovelace');
		else expect(message.text).not.toContain('Ada');
		if (action === 'retry') {
			expect(message.text).toContain(new Intl.DateTimeFormat(locale, { timeZone: 'Europe/Berlin', dateStyle: 'long', timeStyle: 'short' }).format(new Date((T0 + 2 * DAY) * 1000)));
		}
		if (action === 'requestPaymentMethod' || action === 'requestAuthentication' || stage === 'finalNotice') {
			expect(message.text).toContain(new Intl.DateTimeFormat(locale, { timeZone: 'Europe/Berlin', dateStyle: 'long' }).format(new Date((T0 + 7 * DAY) * 1000)));
		}
		expect(message.html.startsWith('<!DOCTYPE html>')).toBe(true);
		expect(message.html).toContain(`<html lang="${locale}">`);
	});

	it('each locale has its own, complete texts (only access.full may be empty)', () => {
		const shape = (texts: object): string[] =>
			Object.entries(texts).flatMap(([key, value]) => (typeof value === 'string' ? [key] : Object.keys(value).map((k) => `${key}.${k}`))).sort();
		for (const locale of DUNNING_LOCALES) {
			const texts = DUNNING_MESSAGES[locale];
			expect(shape(texts)).toEqual(shape(DUNNING_MESSAGES.en));
			const strings = Object.entries(texts).flatMap(([key, value]) =>
				typeof value === 'string' ? [[key, value]] : Object.entries(value as Record<string, string>).map(([k, v]) => [`${key}.${k}`, v]),
			);
			for (const [key, value] of strings) if (key !== 'access.full') expect(value.trim()).not.toBe('');
			if (locale !== 'en') expect(texts.subject.firstNotice).not.toBe(DUNNING_MESSAGES.en.subject.firstNotice);
		}
	});

	it('the access sentence follows accessLevel (default: the default policy for the stage)', () => {
		expect(render({ stage: 'firstNotice' }).text).toContain(DUNNING_MESSAGES.en.access.grace);
		expect(render({ stage: 'reminder' }).text).toContain(DUNNING_MESSAGES.en.access.limited);
		expect(render({ stage: 'firstNotice', accessLevel: 'limited' }).text).toContain(DUNNING_MESSAGES.en.access.limited);
		const full = render({ stage: 'firstNotice', accessLevel: 'full' });
		for (const level of ['grace', 'limited', 'suspended'] as const) expect(full.text).not.toContain(DUNNING_MESSAGES.en.access[level]);
		expect(full.html).not.toContain('<p style="margin:0 0 16px;"></p>');
	});
});

describe('amounts: exact from minor units, formatted for the currency', () => {
	// Exact strings checked on Node 20's ICU 78; Intl puts a no-break space (U+00A0) before/after the symbol.
	it.each([
		['en', 1234, 'usd', '$12.34'],
		['de', 1234, 'eur', `12,34${NBSP}€`],
		['ja', 1200, 'jpy', '￥1,200'],
		['en', 1200, 'jpy', '¥1,200'],
		['en', 1234, 'kwd', `KWD${NBSP}1.234`],
		['en', 1230, 'kwd', `KWD${NBSP}1.230`],
		['en', 9007199254740993n, 'usd', '$90,071,992,547,409.93'],
		['en', 123456789012345678901234567n, 'usd', '$1,234,567,890,123,456,789,012,345.67'],
		['en', 123456789012345678901234n, 'jpy', '¥123,456,789,012,345,678,901,234'],
	] as const)('%s %s %s → %s', (locale, amount, currency, expected) => {
		expect(formatDunningAmount(amount, currency, locale)).toBe(expected);
		expect(formatDunningAmount(amount, currency, locale, { exactStrings: false })).toBe(expected);
	});

	const locales = [...DUNNING_LOCALES, 'pt-BR', 'de-CH', 'fr-CH', 'ar-EG'];
	const amounts: Array<[number, string]> = [
		[0, 'eur'], [5, 'eur'], [-5, 'eur'], [123456789, 'eur'], [-123456789, 'usd'], [1200, 'jpy'], [-1200, 'jpy'], [0, 'jpy'],
		[1234, 'kwd'], [-1, 'kwd'], [1000000, 'bhd'], [500, 'isk'], [999999, 'krw'], [100, 'vnd'],
	];
	it.each(locales)('%s: Intl with decimal strings and the by-parts fallback agree with Intl on Numbers', (locale) => {
		for (const [amount, currency] of amounts) {
			const digits = ['jpy', 'krw', 'vnd'].includes(currency) ? 0 : ['kwd', 'bhd'].includes(currency) ? 3 : 2;
			const expected = intlAmount(locale, currency.toUpperCase(), amount / 10 ** digits, digits);
			expect([amount, currency, formatDunningAmount(amount, currency, locale)]).toEqual([amount, currency, expected]);
			expect([amount, currency, formatDunningAmount(amount, currency, locale, { exactStrings: false })]).toEqual([amount, currency, expected]);
		}
	});

	it('zero-decimal and three-decimal currencies in every locale keep exactly their minor digits', () => {
		for (const locale of DUNNING_LOCALES) {
			const jpy = render({ locale, amountMinor: 1200, currency: 'jpy' });
			expect(jpy.text).toContain(intlAmount(locale, 'JPY', 1200, 0));
			expect(jpy.text).not.toMatch(/1[.,\s\u00a0\u202f]?200[.,]\d/);
			const kwd = render({ locale, amountMinor: 1234, currency: 'KWD' });
			expect(kwd.text).toContain(intlAmount(locale, 'KWD', 1.234, 3));
		}
		expect(render({ locale: 'ja', stage: 'reminder', amountMinor: 1200, currency: 'jpy' }).subject).toBe('【Acme Cloud】￥1,200のお支払いのお願い');
		expect(render({ locale: 'en', stage: 'reminder', amountMinor: 1200, currency: 'jpy' }).subject).toBe('Reminder: your payment of ¥1,200 is still outstanding');
		expect(render({ locale: 'de', stage: 'reminder', amountMinor: 1234, currency: 'eur' }).subject).toBe(`Erinnerung: Ihre Zahlung über 12,34${NBSP}€ ist noch offen`);
	});

	it('an amount beyond a safe integer as a number is refused (lib/money), as a bigint it is exact', () => {
		expect(() => render({ amountMinor: 2 ** 53 + 2 })).toThrow(MoneyError);
		expect(() => render({ amountMinor: 12.5 })).toThrow(MoneyError);
		expect(render({ amountMinor: 2n ** 64n, currency: 'usd' }).text).toContain('$184,467,440,737,095,516.16');
	});

	it('a bad currency is refused (lib/money)', () => {
		expect(() => render({ currency: 'euro' })).toThrow(MoneyError);
	});
});

describe('dates in the customer locale and time zone', () => {
	it('the same instant is a different day in Los Angeles and Tokyo', () => {
		const instant = Date.UTC(2025, 11, 1, 2) / 1000;
		expect(formatDunningDate(instant, 'en', 'America/Los_Angeles')).toBe('November 30, 2025');
		expect(formatDunningDate(instant, 'en', 'Asia/Tokyo')).toBe('December 1, 2025');
		expect(formatDunningDate(instant, 'ja', 'Asia/Tokyo', true)).toBe('2025年12月1日 11:00');
		expect(render({ dueDate: instant, zone: 'America/Los_Angeles' }).text).toContain('November 30, 2025');
	});
	it('follows DST: 01:30 UTC on 29 March 2026 is 03:30 in Berlin (CEST)', () => {
		expect(formatDunningDate(Date.UTC(2026, 2, 29, 1, 30) / 1000, 'de', 'Europe/Berlin', true)).toBe('29. März 2026 um 03:30');
		expect(formatDunningDate(Date.UTC(2026, 2, 28, 1, 30) / 1000, 'de', 'Europe/Berlin', true)).toBe('28. März 2026 um 02:30');
	});
	it('a bad zone is refused even when no text shows a date', () => {
		expect(thrown(() => render({ zone: 'Mars/Olympus' })).code).toBe('zone');
		expect(thrown(() => render({ zone: '', action: 'stop', stage: 'reminder' })).code).toBe('zone');
	});
	it('a text that needs a date that was not given says which', () => {
		const error = thrown(() => render({ action: 'retry', nextRetryAt: undefined }));
		expect(error.code).toBe('missingValue');
		expect(error.message).toContain('en.action.retry uses {{nextRetryAt}}, but no nextRetryAt was given');
		expect(render({ action: 'stop', stage: 'reminder', dueDate: undefined, nextRetryAt: undefined }).text).toContain('€');
		expect(thrown(() => render({ dueDate: Number.NaN })).code).toBe('time');
	});
});

describe('HTML', () => {
	const hostile = render({
		customerName: '<script>alert("x")</script>',
		merchantName: 'Tom & Jerry\'s <b>Shop</b>',
		stage: 'suspended',
		overrides: { en: { closing: 'Bye <img src=x onerror=alert(1)>\n{{merchantName}}' } },
	});
	it('escapes every interpolated value and override text', () => {
		expect(hostile.html).not.toContain('<script>');
		expect(hostile.html).not.toContain('<b>');
		expect(hostile.html).not.toContain('<img');
		expect(hostile.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
		expect(hostile.html).toContain('Tom &amp; Jerry&#39;s &lt;b&gt;Shop&lt;/b&gt;');
		expect(hostile.html).toContain('Bye &lt;img src=x onerror=alert(1)&gt;<br>Tom &amp; Jerry');
		expect(hostile.html).toContain(`<title>Your Tom &amp; Jerry&#39;s &lt;b&gt;Shop&lt;/b&gt; account has been suspended</title>`);
	});
	it('text and subject carry the values as they are', () => {
		expect(hostile.text).toContain('<script>alert("x")</script>');
		expect(hostile.subject).toBe("Your Tom & Jerry's <b>Shop</b> account has been suspended");
	});
	it('has no external assets: the only URL is the link', () => {
		const urls = render({}).html.match(/https?:\/\/[^\s"<]+/g) ?? [];
		expect(urls.length).toBeGreaterThan(0);
		for (const url of urls) expect(url).toBe(escapeHtml(LINK));
		expect(render({}).html).not.toMatch(/<(img|link|script|iframe)\b|src=|url\(/i);
	});
});

describe('the link', () => {
	it.each([
		'https://invoice.stripe.com/i/acct_1/test_abc',
		'https://billing.stripe.com/p/session/test_YWNjdF8x',
		'http://127.0.0.1:12111/invoices/in_1/hosted',
		'http://localhost:12111/billing_portal/bps_1',
	])('accepts %s', (link) => {
		expect(assertHostedLink(link)).toBe(link);
		expect(render({ link }).text).toContain(link);
	});
	it.each([
		['http://invoice.stripe.com/i/acct_1/test_abc', 'plain http'],
		['javascript:alert(1)', 'a script'],
		['not a url', 'not a URL'],
		['', 'empty'],
		['https://user:pw@invoice.stripe.com/i/x', 'credentials'],
		['ftp://example.com/x', 'another scheme'],
	])('refuses %s (%s) with a clear error', (link) => {
		const error = thrown(() => render({ link }));
		expect(error.code).toBe('link');
		expect(error.message).toMatch(/https/);
	});
	it('refuses a link that is not a string', () => {
		expect(thrown(() => render({ link: 42 as unknown as string })).code).toBe('link');
	});
});

describe('locale resolution', () => {
	it.each([
		['pt-BR', 'pt', 'pt-BR'],
		['pt_br', 'pt', 'pt-BR'],
		['de-AT', 'de', 'de-AT'],
		['JA', 'ja', 'ja'],
		['en-GB', 'en', 'en-GB'],
		['fr-CA', 'fr', 'fr-CA'],
		['sv-SE', 'en', 'en'],
		['zh-Hant-TW', 'en', 'en'],
		['', 'en', 'en'],
		['not a locale!!', 'en', 'en'],
	])('%s → texts %s, formatted as %s', (requested, locale, formatLocale) => {
		expect(resolveDunningLocale(requested)).toMatchObject({ locale, formatLocale });
		const message = render({ locale: requested });
		expect(message.locale).toBe(locale);
		expect(message.formatLocale).toBe(formatLocale);
		expect(message.subject).toBe(DUNNING_MESSAGES[locale].subject.firstNotice.replace('{{merchantName}}', 'Acme Cloud'));
	});
	it('pt-BR formats as Brazil does, with the Portuguese texts', () => {
		const message = render({ locale: 'pt-BR', currency: 'brl', amountMinor: 1234 });
		expect(message.text).toContain(`R$${NBSP}12,34`);
		expect(message.text).toContain('Não conseguimos cobrar');
	});
	it('a fallback to en formats in en too (no Swedish month names in an English text)', () => {
		expect(render({ locale: 'sv-SE' }).text).toContain(new Intl.DateTimeFormat('en', { timeZone: 'Europe/Berlin', dateStyle: 'long' }).format(new Date((T0 + 7 * DAY) * 1000)));
	});
});

describe('overrides', () => {
	it('replace a part for a locale and stage; the rest stays built in', () => {
		const message = render({ locale: 'de', stage: 'reminder', overrides: { de: { subject: { reminder: 'Offener Betrag {{amount}} bei {{merchantName}}' } } } });
		expect(message.subject).toBe(`Offener Betrag 1.234,56${NBSP}€ bei Acme Cloud`);
		expect(message.text).toContain('ist noch offen');
		expect(render({ locale: 'de', stage: 'firstNotice', overrides: { de: { subject: { reminder: 'x' } } } }).subject).toBe('Ihre Zahlung an Acme Cloud ist fehlgeschlagen');
	});
	it('apply to the language, then the regional tag (later wins); other locales are untouched', () => {
		const overrides = { pt: { greeting: 'Caro {{customerName}},', closing: 'Até breve' }, 'pt-br': { greeting: 'Oi, {{ customerName }}!' } };
		expect(render({ locale: 'pt-BR', overrides }).text).toMatch(/^Oi, Ada Lovelace!\n\n[\s\S]*Até breve$/);
		expect(render({ locale: 'pt-PT', overrides }).text).toMatch(/^Caro Ada Lovelace,/);
		expect(render({ locale: 'en', overrides }).text).toMatch(/^Hello Ada Lovelace,/);
	});
	it('for a fallback locale, the en overrides apply', () => {
		expect(render({ locale: 'sv', overrides: { en: { greeting: 'Hi {{customerName}}!' } } }).text).toMatch(/^Hi Ada Lovelace!/);
	});
	it('an empty string leaves a part out', () => {
		const message = render({ overrides: { en: { securityNote: '', access: { grace: '' } } } });
		expect(message.text).not.toContain('Stripe, our payment provider');
		expect(message.text).not.toContain(DUNNING_MESSAGES.en.access.grace);
		expect(message.text).not.toMatch(/\n{3}/);
	});
	it.each([
		[{ de: { subject: { reminder: 'Zahlung {{amout}} offen' } } }, 'unknownPlaceholder', 'overrides.de.subject.reminder uses {{amout}}'],
		[{ fr: { closing: 'Merci {{ nom }}' } }, 'unknownPlaceholder', 'overrides.fr.closing uses {{ nom }}'],
		[{ en: { greeting: 'Hello {{customerName}' } }, 'malformedPlaceholder', 'overrides.en.greeting'],
		[{ en: { greeting: 'Hello }} there' } }, 'malformedPlaceholder', 'overrides.en.greeting'],
		[{ en: { subjects: {} } }, 'override', 'overrides.en.subjects is not a part of the texts'],
		[{ en: { subject: { reminders: 'x' } } }, 'override', 'overrides.en.subject.reminders is not one of firstNotice, reminder, finalNotice, suspended'],
		[{ en: { subject: 'x' } }, 'override', 'overrides.en.subject must be an object'],
		[{ en: { greeting: 42 } }, 'override', 'overrides.en.greeting: got 42'],
		[{ sv: { greeting: 'Hej' } }, 'override', '"sv" is not a locale with built-in texts'],
		[{ en: 'Hello' }, 'override', 'overrides.en: got "Hello"'],
		[[], 'override', 'Got []'],
	])('%j is refused (%s), saying where', (overrides, code, detail) => {
		// Checked eagerly: an error in another locale's or stage's override fails every render.
		const error = thrown(() => render({ locale: 'ja', overrides: overrides as unknown as RenderDunningMessageInput['overrides'] }));
		expect(error.code).toBe(code);
		expect(error.message).toContain(detail);
	});
	it('a placeholder whose value is missing is named', () => {
		const error = thrown(() => render({ customerName: undefined, overrides: { en: { closing: 'Thanks {{customerName}}' } } }));
		expect(error.code).toBe('missingValue');
		expect(error.message).toContain('en.closing uses {{customerName}}, but no customerName was given');
	});
	it('values are not expanded again (a name that looks like a placeholder stays literal)', () => {
		const message = render({ customerName: '{{amount}}' });
		expect(message.text).toMatch(/^Hello \{\{amount\}\},/);
	});
});

describe('renderDunningMessage input checks', () => {
	it.each([
		[{ stage: 'first_notice' }, 'stage'],
		[{ action: 'email' }, 'action'],
		[{ accessLevel: 'partial' }, 'accessLevel'],
		[{ merchantName: '  ' }, 'merchantName'],
		[{ merchantName: undefined }, 'merchantName'],
	])('%j → %s', (input, code) => {
		expect(thrown(() => render(input as Partial<RenderDunningMessageInput>)).code).toBe(code);
	});
});

describe('dunningStage', () => {
	it('documents its defaults: grace 3 days, limited until day 14 (reminder until day 10), suspended from day 14, 8 attempts', () => {
		expect(DEFAULT_DUNNING_POLICY).toEqual({
			firstNoticeDays: 3,
			reminderDays: 7,
			finalNoticeDays: 4,
			access: { firstNotice: 'grace', reminder: 'limited', finalNotice: 'limited', suspended: 'suspended' },
			maxAttempts: 8,
		});
		expect(Object.isFrozen(DEFAULT_DUNNING_POLICY)).toBe(true);
	});

	type Row = [offset: number, stage: DunningStageName, access: string, enteredDay: number, nextDay: number | null, next: DunningStageName | null];
	it.each<Row>([
		[0, 'firstNotice', 'grace', 0, 3, 'reminder'],
		[3 * DAY - 1, 'firstNotice', 'grace', 0, 3, 'reminder'],
		[3 * DAY, 'reminder', 'limited', 3, 10, 'finalNotice'],
		[10 * DAY - 1, 'reminder', 'limited', 3, 10, 'finalNotice'],
		[10 * DAY, 'finalNotice', 'limited', 10, 14, 'suspended'],
		[14 * DAY - 1, 'finalNotice', 'limited', 10, 14, 'suspended'],
		[14 * DAY, 'suspended', 'suspended', 14, null, null],
		[400 * DAY, 'suspended', 'suspended', 14, null, null],
	])('defaults, now = first failure + %i s → %s / %s', (offset, stage, accessLevel, enteredDay, nextDay, nextStage) => {
		const result = dunningStage({ firstFailureAt: T0, now: T0 + offset, attempts: 1 });
		expect(result).toMatchObject({
			stage,
			accessLevel,
			enteredAt: T0 + enteredDay * DAY,
			nextStageAt: nextDay === null ? null : T0 + nextDay * DAY,
			nextStage,
			suspendAt: T0 + 14 * DAY,
		});
		expect(result.reason).toContain(stage);
		expect(result.reason).toContain('2026-12-01T09:30:00Z');
	});

	it('a now before the first failure (clock skew) counts as the moment of the failure, and says so', () => {
		const result = dunningStage({ firstFailureAt: T0, now: T0 - 60, attempts: 1 });
		expect(result).toMatchObject({ stage: 'firstNotice', accessLevel: 'grace', enteredAt: T0, nextStageAt: T0 + 3 * DAY });
		expect(result.reason).toContain('before it');
	});

	it('stage lengths and access are configurable; a stage of length 0 is skipped', () => {
		const policy = { firstNoticeDays: 1, reminderDays: 0, finalNoticeDays: 0.5, access: { firstNotice: 'full' as const } };
		expect(dunningStage({ firstFailureAt: T0, now: T0, attempts: 1, policy })).toMatchObject({
			stage: 'firstNotice', accessLevel: 'full', nextStageAt: T0 + DAY, nextStage: 'finalNotice', suspendAt: T0 + 1.5 * DAY,
		});
		expect(dunningStage({ firstFailureAt: T0, now: T0 + DAY, attempts: 1, policy })).toMatchObject({ stage: 'finalNotice', accessLevel: 'limited', enteredAt: T0 + DAY });
		expect(dunningStage({ firstFailureAt: T0, now: T0 + 1.5 * DAY - 1, attempts: 1, policy }).stage).toBe('finalNotice');
		expect(dunningStage({ firstFailureAt: T0, now: T0 + 1.5 * DAY, attempts: 1, policy }).stage).toBe('suspended');
		expect(dunningStage({ firstFailureAt: T0, now: T0, attempts: 1, policy: { firstNoticeDays: 0, reminderDays: 0, finalNoticeDays: 0 } })).toMatchObject({ stage: 'suspended', enteredAt: T0 });
	});

	it('an undefined policy field (an empty node parameter) keeps the default', () => {
		expect(dunningStage({ firstFailureAt: T0, now: T0 + 3 * DAY, attempts: 1, policy: { firstNoticeDays: undefined, access: { reminder: undefined } } })).toMatchObject({
			stage: 'reminder', accessLevel: 'limited', suspendAt: T0 + 14 * DAY,
		});
	});

	it('a spent attempt budget moves to finalNotice early; access and suspension still follow time', () => {
		const early = dunningStage({ firstFailureAt: T0, now: T0 + DAY, attempts: 8, lastAttemptAt: T0 + DAY - 600 });
		expect(early).toMatchObject({ stage: 'finalNotice', accessLevel: 'grace', enteredAt: T0 + DAY - 600, nextStageAt: T0 + 14 * DAY, nextStage: 'suspended', suspendAt: T0 + 14 * DAY });
		expect(early.reason).toContain('8 of 8 payment attempts used');
		expect(dunningStage({ firstFailureAt: T0, now: T0 + 5 * DAY, attempts: 9 })).toMatchObject({ stage: 'finalNotice', accessLevel: 'limited', enteredAt: T0 + 5 * DAY });
		expect(dunningStage({ firstFailureAt: T0, now: T0 + DAY, attempts: 7 }).stage).toBe('firstNotice');
		expect(dunningStage({ firstFailureAt: T0, now: T0 + DAY, attempts: 50, policy: { maxAttempts: 0 } }).stage).toBe('firstNotice');
		expect(dunningStage({ firstFailureAt: T0, now: T0 + 11 * DAY, attempts: 8 })).toMatchObject({ stage: 'finalNotice', enteredAt: T0 + 10 * DAY });
		expect(dunningStage({ firstFailureAt: T0, now: T0 + 20 * DAY, attempts: 8 }).stage).toBe('suspended');
	});

	it.each([
		[{ now: Number.NaN }, 'time'],
		[{ firstFailureAt: '2026-12-01' }, 'time'],
		[{ lastAttemptAt: Infinity }, 'time'],
		[{ attempts: -1 }, 'attempts'],
		[{ attempts: 1.5 }, 'attempts'],
		[{ policy: { reminderDays: -1 } }, 'policy'],
		[{ policy: { finalNoticeDays: Number.NaN } }, 'policy'],
		[{ policy: { maxAttempts: 2.5 } }, 'attempts'],
		[{ policy: { access: { reminder: 'readOnly' } } }, 'accessLevel'],
	])('%j is refused (%s)', (input, code) => {
		expect(thrown(() => dunningStage({ firstFailureAt: T0, now: T0, attempts: 1, ...(input as object) })).code).toBe(code);
	});

	it('its stage and access level feed renderDunningMessage', () => {
		for (const offset of [0, 3, 10, 14].map((d) => d * DAY)) {
			const { stage, accessLevel, suspendAt } = dunningStage({ firstFailureAt: T0, now: T0 + offset, attempts: 2 });
			const message = render({ locale: 'nl', stage, accessLevel, dueDate: suspendAt, action: 'stop' });
			expect(ACCESS_LEVELS).toContain(accessLevel);
			expect(message.text).toContain(DUNNING_MESSAGES.nl.access[accessLevel] || DUNNING_MESSAGES.nl.intro[stage].slice(0, 10));
		}
	});
});

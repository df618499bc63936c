/**
 * Dunning, the pure part: which stage a failed payment is in and what the customer may still use
 * ("soft landing" while they fix the payment), and the localized message Plan Retry outputs.
 * No clock: `now` is passed in (unix seconds, as Stripe's timestamps are). No I/O.
 *
 * Messages link to a page hosted by Stripe (the invoice's `hosted_invoice_url` or a billing-portal
 * session URL), so card data never touches the merchant's systems; the link must be https.
 */
import { currencyExponent, formatMinor } from '../money';
import { isoSeconds } from '../iso';
import {
	ACCESS_LEVELS,
	DUNNING_ACTIONS,
	DUNNING_MESSAGES,
	DUNNING_PLACEHOLDERS,
	DUNNING_STAGES,
	type AccessLevel,
	type DunningAction,
	type DunningPlaceholder,
	type DunningStageName,
	type DunningTemplateOverrides,
	type DunningTemplates,
} from './messages';

export {
	ACCESS_LEVELS,
	DUNNING_ACTIONS,
	DUNNING_LOCALES,
	DUNNING_MESSAGES,
	DUNNING_PLACEHOLDERS,
	DUNNING_STAGES,
} from './messages';
export type {
	AccessLevel,
	DunningAction,
	DunningPlaceholder,
	DunningStageName,
	DunningTemplateOverrides,
	DunningTemplates,
} from './messages';

/** Error messages, named so callers and tests can match them. */
export const DUNNING_ERRORS = {
	time: 'A time must be a unix timestamp in seconds (a finite number).',
	attempts: 'attempts must be a whole number of payment attempts, 0 or more.',
	policy: 'A dunning stage length must be a number of days, 0 or more.',
	stage: `stage must be one of ${DUNNING_STAGES.join(', ')}.`,
	action: `action must be one of ${DUNNING_ACTIONS.join(', ')}.`,
	accessLevel: `accessLevel must be one of ${ACCESS_LEVELS.join(', ')}.`,
	merchantName: 'merchantName must be a non-empty string (the name the customer knows you by).',
	zone: 'zone must be an IANA time zone such as "Europe/Berlin" or "America/New_York".',
	link: 'link must be the https URL of a page hosted by Stripe (the invoice\'s hosted_invoice_url or a billing-portal session URL); http is accepted only for 127.0.0.1 or localhost (the sandbox).',
	unknownPlaceholder: `A template uses an unknown placeholder; the known ones are ${DUNNING_PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}.`,
	malformedPlaceholder: 'A template has an unclosed or stray "{{" or "}}"; write placeholders as {{name}}.',
	missingValue: 'A template uses a placeholder whose value was not given.',
	override: 'An override must be an object keyed by locale (en, de, …, or a regional tag such as pt-BR), holding parts of the texts (subject, greeting, intro, access, action, linkLabel, linkFallback, securityNote, closing) as strings.',
} as const;

/** Thrown for bad input; `code` is the key of {@link DUNNING_ERRORS}, the message says what to fix. */
export class DunningError extends Error {
	constructor(
		readonly code: keyof typeof DUNNING_ERRORS,
		detail?: string,
	) {
		super(detail ? `${DUNNING_ERRORS[code]} ${detail}` : DUNNING_ERRORS[code]);
		this.name = 'DunningError';
	}
}

// ---------------------------------------------------------------------------------------------
// Stages and access levels
// ---------------------------------------------------------------------------------------------

/** Stage lengths (days from the first failed payment) and the access each stage grants. */
export interface DunningPolicy {
	/** Length of `firstNotice`, from the first failure. */
	firstNoticeDays: number;
	/** Length of `reminder`, after `firstNotice`. */
	reminderDays: number;
	/** Length of `finalNotice`, after `reminder`; `suspended` starts when it ends. */
	finalNoticeDays: number;
	/** Access per stage. */
	access: Record<DunningStageName, AccessLevel>;
	/**
	 * Attempt budget: once `attempts` reaches it, no more retries come, so the stage moves to
	 * `finalNotice` early (a `suspended` stage stays). Access still follows time only: running out
	 * of retries escalates the message, not the restriction. `0` turns this off.
	 */
	maxAttempts: number;
}

/**
 * Defaults (a choice, documented here): 3 days of `grace` (full use of the product while the
 * first notice goes out; a short card problem goes unnoticed), then `limited` from day 3 to
 * day 14 (`reminder` until day 10, `finalNotice` for the last 4 days), `suspended` from day 14:
 * Stripe's default retry schedule is 8 tries within 2 weeks, so suspension comes once Stripe-like
 * retrying would have ended. `maxAttempts` is that same budget of 8.
 */
export const DEFAULT_DUNNING_POLICY: Readonly<DunningPolicy> = Object.freeze({
	firstNoticeDays: 3,
	reminderDays: 7,
	finalNoticeDays: 4,
	access: Object.freeze({ firstNotice: 'grace', reminder: 'limited', finalNotice: 'limited', suspended: 'suspended' }),
	maxAttempts: 8,
}) as Readonly<DunningPolicy>;

export interface DunningStageInput {
	/** When the first payment attempt of this invoice failed (unix seconds). */
	firstFailureAt: number;
	/** The reference time (unix seconds): the real clock or a Stripe test clock's `frozen_time`. */
	now: number;
	/** Failed payment attempts so far (Stripe's own retries included). */
	attempts: number;
	/** When the last attempt failed (unix seconds); `enteredAt` of a `finalNotice` reached by the attempt budget. */
	lastAttemptAt?: number;
	/** Overrides of {@link DEFAULT_DUNNING_POLICY}, part by part. */
	policy?: Partial<Omit<DunningPolicy, 'access'>> & { access?: Partial<Record<DunningStageName, AccessLevel>> };
}

export interface DunningStageResult {
	stage: DunningStageName;
	accessLevel: AccessLevel;
	/** When this stage began (unix seconds). */
	enteredAt: number;
	/** When the next stage begins (unix seconds); `null` once suspended. */
	nextStageAt: number | null;
	/** The stage that begins at `nextStageAt`; `null` once suspended. */
	nextStage: DunningStageName | null;
	/** When access becomes (or became) `suspended`'s level: the end of `finalNotice`. */
	suspendAt: number;
	/** Why, in a sentence. */
	reason: string;
}

const DAY = 86_400;

function assertTime(value: unknown, name: string): asserts value is number {
	if (typeof value !== 'number' || !Number.isFinite(value)) throw new DunningError('time', `${name}: got ${String(value)}.`);
}

function days(value: unknown, name: string): number {
	if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new DunningError('policy', `${name}: got ${String(value)}.`);
	return Math.round(value * DAY);
}

function oneOf<T extends string>(values: readonly T[], value: unknown, code: keyof typeof DUNNING_ERRORS, name: string): T {
	if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) {
		throw new DunningError(code, `${name}: got ${JSON.stringify(value)}.`);
	}
	return value as T;
}

/** The full policy: {@link DEFAULT_DUNNING_POLICY} with `policy` laid over it, checked. */
export function resolveDunningPolicy(policy: DunningStageInput['policy'] = {}): DunningPolicy {
	// An undefined field (an empty node parameter) keeps the default rather than erasing it.
	const defined = <T extends object>(value: T): Partial<T> =>
		Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
	const merged: DunningPolicy = {
		...DEFAULT_DUNNING_POLICY,
		...defined(policy),
		access: { ...DEFAULT_DUNNING_POLICY.access, ...defined(policy.access ?? {}) },
	};
	for (const key of ['firstNoticeDays', 'reminderDays', 'finalNoticeDays'] as const) days(merged[key], `policy.${key}`);
	if (!Number.isInteger(merged.maxAttempts) || merged.maxAttempts < 0) {
		throw new DunningError('attempts', `policy.maxAttempts: got ${String(merged.maxAttempts)}.`);
	}
	for (const stage of DUNNING_STAGES) oneOf(ACCESS_LEVELS, merged.access[stage], 'accessLevel', `policy.access.${stage}`);
	return merged;
}


function dayCount(seconds: number): string {
	const value = Math.round((seconds / DAY) * 10) / 10;
	return `${value} day${value === 1 ? '' : 's'}`;
}

/**
 * The dunning stage and access level at `now`. Stages start at their first second: with the
 * defaults, `firstFailureAt + 3 days` exactly is already `reminder`. A stage of length 0 is
 * skipped. A `now` before `firstFailureAt` (clock skew) counts as the moment of the failure.
 */
export function dunningStage(input: DunningStageInput): DunningStageResult {
	const { firstFailureAt, now, attempts, lastAttemptAt } = input;
	assertTime(firstFailureAt, 'firstFailureAt');
	assertTime(now, 'now');
	if (lastAttemptAt !== undefined) assertTime(lastAttemptAt, 'lastAttemptAt');
	if (typeof attempts !== 'number' || !Number.isInteger(attempts) || attempts < 0) {
		throw new DunningError('attempts', `Got ${String(attempts)}.`);
	}
	const policy = resolveDunningPolicy(input.policy);
	const starts: Record<DunningStageName, number> = {
		firstNotice: 0,
		reminder: days(policy.firstNoticeDays, 'firstNoticeDays'),
		finalNotice: 0,
		suspended: 0,
	};
	starts.finalNotice = starts.reminder + days(policy.reminderDays, 'reminderDays');
	starts.suspended = starts.finalNotice + days(policy.finalNoticeDays, 'finalNoticeDays');
	const stageAt = (elapsed: number): DunningStageName =>
		elapsed >= starts.suspended ? 'suspended' : elapsed >= starts.finalNotice ? 'finalNotice' : elapsed >= starts.reminder ? 'reminder' : 'firstNotice';
	const ends: Record<DunningStageName, number | null> = {
		firstNotice: starts.reminder,
		reminder: starts.finalNotice,
		finalNotice: starts.suspended,
		suspended: null,
	};

	const skewed = now < firstFailureAt;
	const elapsed = skewed ? 0 : now - firstFailureAt;
	const timeStage = stageAt(elapsed);
	const accessLevel = policy.access[timeStage];
	const suspendAt = firstFailureAt + starts.suspended;
	const since = `${dayCount(elapsed)} since the first failed payment (${isoSeconds(firstFailureAt)})${skewed ? `; now (${isoSeconds(now)}) is before it, counted as the moment of the failure` : ''}`;

	const budgetSpent = policy.maxAttempts > 0 && attempts >= policy.maxAttempts;
	if (budgetSpent && (timeStage === 'firstNotice' || timeStage === 'reminder')) {
		const enteredAt = lastAttemptAt ?? now;
		return {
			stage: 'finalNotice',
			accessLevel,
			enteredAt,
			nextStageAt: suspendAt,
			nextStage: 'suspended',
			suspendAt,
			reason: `${attempts} of ${policy.maxAttempts} payment attempts used, so no retry is left: finalNotice early (${since}); access stays ${accessLevel} as the ${timeStage} stage grants, suspension at ${isoSeconds(suspendAt)}.`,
		};
	}

	const end = ends[timeStage];
	const nextStageAt = end === null ? null : firstFailureAt + end;
	return {
		stage: timeStage,
		accessLevel,
		enteredAt: firstFailureAt + starts[timeStage],
		nextStageAt,
		nextStage: end === null ? null : stageAt(end),
		suspendAt,
		reason:
			timeStage === 'suspended'
				? `${since}: suspended since ${isoSeconds(suspendAt)} (after ${dayCount(starts.suspended)}), access ${accessLevel}.`
				: `${since}: ${timeStage} until ${isoSeconds(nextStageAt as number)}, access ${accessLevel}; suspension at ${isoSeconds(suspendAt)}.`,
	};
}

// ---------------------------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------------------------

/**
 * `compute()`, or `undefined` if it throws. Only used around an Intl constructor or `new URL`,
 * which throw a RangeError or TypeError for a bad time zone, language tag or URL; the caller
 * then throws its own {@link DunningError} saying what to fix.
 */
function attempt<T>(compute: () => T): T | undefined {
	try {
		return compute();
	} catch {
		return undefined;
	}
}

type DecimalFormat = (value: string) => string;

/** Whether this runtime's Intl formats a decimal string exactly (ECMA-402 NumberFormat v3: Node 19+). */
const INTL_FORMATS_DECIMAL_STRINGS = (() => {
	const format = new Intl.NumberFormat('en', { useGrouping: false, maximumFractionDigits: 3 }).format as unknown as DecimalFormat;
	return format('9007199254740993.125') === '9007199254740993.125';
})();

/**
 * Formats an exact decimal string with `format`'s locale layout without passing it through a
 * float: the whole part is formatted as a bigint (exact at any size), the fraction digits are put
 * in the fraction slot. For runtimes whose Intl would read a string as a Number.
 */
function formatDecimalByParts(format: Intl.NumberFormat, locale: string, decimal: string): string {
	const negative = decimal.startsWith('-');
	const [whole, fraction = ''] = (negative ? decimal.slice(1) : decimal).split('.');
	const wholeValue = BigInt(whole);
	// -0.05 has a whole part of 0n, which has no sign: format -1 for the layout, then put 0 in.
	const parts = format.formatToParts(negative ? (wholeValue === 0n ? -1n : -wholeValue) : wholeValue);
	const digit = new Intl.NumberFormat(locale, { useGrouping: false });
	const localDigits = (ascii: string) => ascii.replace(/\d/g, (d) => digit.format(Number(d)));
	return parts
		.map((part) => {
			if (part.type === 'integer' && negative && wholeValue === 0n) return localDigits('0');
			if (part.type === 'fraction') return localDigits(fraction);
			return part.value;
		})
		.join('');
}

/**
 * An amount in integer minor units as the customer reads it, exactly: `1200` JPY in `ja` is
 * "￥1,200", `1234` EUR in `de` is "12,34 €", `1234` KWD in `en` is "KWD 1.234". The decimal comes
 * from lib/money's {@link formatMinor} (no floating point, any size as a bigint); the minor digits
 * are Stripe's for the currency ({@link currencyExponent}), not Intl's own table.
 */
export function formatDunningAmount(amountMinor: number | bigint, currency: string, locale: string, options: { exactStrings?: boolean } = {}): string {
	const decimal = formatMinor(amountMinor, currency);
	const digits = currencyExponent(currency);
	const format = new Intl.NumberFormat(locale, {
		style: 'currency',
		currency: currency.toUpperCase(),
		minimumFractionDigits: digits,
		maximumFractionDigits: digits,
	});
	const exactStrings = options.exactStrings ?? INTL_FORMATS_DECIMAL_STRINGS;
	if (exactStrings) return (format.format as unknown as DecimalFormat)(decimal);
	return formatDecimalByParts(format, locale, decimal);
}

function dateFormat(locale: string, zone: string, withTime: boolean): Intl.DateTimeFormat {
	const options: Intl.DateTimeFormatOptions = withTime ? { timeZone: zone, dateStyle: 'long', timeStyle: 'short' } : { timeZone: zone, dateStyle: 'long' };
	const format = typeof zone === 'string' && zone !== '' ? attempt(() => new Intl.DateTimeFormat(locale, options)) : undefined;
	if (format === undefined) throw new DunningError('zone', `Got ${JSON.stringify(zone)}.`);
	return format;
}

/** A unix time as a date (`withTime`: date and time) in the customer's locale and time zone. */
export function formatDunningDate(seconds: number, locale: string, zone: string, withTime = false): string {
	assertTime(seconds, 'date');
	return dateFormat(locale, zone, withTime).format(new Date(seconds * 1000));
}

// ---------------------------------------------------------------------------------------------
// Locale, link, templates
// ---------------------------------------------------------------------------------------------

/** Canonical BCP 47 tag of `locale` (`pt_br` → `pt-BR`), or `undefined` if it is not one. */
function canonicalTag(locale: unknown): string | undefined {
	if (typeof locale !== 'string' || locale.trim() === '') return undefined;
	// A RangeError means it is not a language tag: the caller falls back to en.
	return attempt(() => Intl.getCanonicalLocales(locale.trim().replace(/_/g, '-'))[0]);
}

export interface ResolvedDunningLocale {
	/** The language whose texts are used: the requested one if built in, else `en`. */
	locale: string;
	/** The tag dates and amounts are formatted with: the requested tag (`pt-BR`) when its language's texts are used, else `locale`. */
	formatLocale: string;
	/** Override keys applied, in order (later wins): `['pt', 'pt-BR']`. */
	overrideKeys: string[];
}

/** `pt-BR` → texts `pt`, formatted as `pt-BR`; `sv-SE` or garbage → `en`. */
export function resolveDunningLocale(requested: string): ResolvedDunningLocale {
	const tag = canonicalTag(requested);
	const language = tag?.split('-')[0].toLowerCase();
	if (tag === undefined || language === undefined || !(language in DUNNING_MESSAGES)) {
		return { locale: 'en', formatLocale: 'en', overrideKeys: ['en'] };
	}
	return { locale: language, formatLocale: tag, overrideKeys: tag === language ? [language] : [language, tag.toLowerCase()] };
}

/**
 * The link as a URL string, or a {@link DunningError}: https only (http for 127.0.0.1, localhost
 * or [::1], the sandbox), no user or password in it.
 */
export function assertHostedLink(link: unknown): string {
	const url = typeof link === 'string' ? attempt(() => new URL(link)) : undefined;
	if (url === undefined) throw new DunningError('link', `Got ${JSON.stringify(link)}, which is not a URL.`);
	const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
	if (!(url.protocol === 'https:' || (url.protocol === 'http:' && loopback))) {
		throw new DunningError('link', `Got ${JSON.stringify(link)}.`);
	}
	if (url.username || url.password) throw new DunningError('link', `Got a URL with a user name or password in it.`);
	return url.href;
}

const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;

/** Checks a template's placeholders; `where` names it in the error (`de.subject.reminder`). */
function checkTemplate(template: unknown, where: string): asserts template is string {
	if (typeof template !== 'string') throw new DunningError('override', `${where}: got ${JSON.stringify(template)}.`);
	for (const match of template.matchAll(PLACEHOLDER)) {
		const name = match[1].trim();
		if (!(DUNNING_PLACEHOLDERS as readonly string[]).includes(name)) {
			throw new DunningError('unknownPlaceholder', `${where} uses {{${match[1]}}}.`);
		}
	}
	const rest = template.replace(PLACEHOLDER, '');
	if (rest.includes('{{') || rest.includes('}}')) throw new DunningError('malformedPlaceholder', `${where}: ${JSON.stringify(template)}.`);
}

function fill(template: string, values: Partial<Record<DunningPlaceholder, string>>, where: string): string {
	checkTemplate(template, where);
	return template.replace(PLACEHOLDER, (_, raw: string) => {
		const name = raw.trim() as DunningPlaceholder;
		const value = values[name];
		if (value === undefined) throw new DunningError('missingValue', `${where} uses {{${name}}}, but no ${name} was given.`);
		return value;
	});
}

const SINGLE_PARTS = ['greeting', 'greetingAnonymous', 'linkFallback', 'securityNote', 'closing'] as const;
const KEYED_PARTS = {
	subject: DUNNING_STAGES,
	intro: DUNNING_STAGES,
	access: ACCESS_LEVELS,
	action: DUNNING_ACTIONS,
	linkLabel: DUNNING_ACTIONS,
} as const;

function isPlainObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks one locale's overrides: known parts and keys, strings, known placeholders. */
function checkOverrides(overrides: unknown, where: string): asserts overrides is DunningTemplateOverrides {
	if (!isPlainObject(overrides)) throw new DunningError('override', `${where}: got ${JSON.stringify(overrides)}.`);
	for (const [part, value] of Object.entries(overrides)) {
		if ((SINGLE_PARTS as readonly string[]).includes(part)) {
			checkTemplate(value, `${where}.${part}`);
		} else if (part in KEYED_PARTS) {
			const keys = KEYED_PARTS[part as keyof typeof KEYED_PARTS] as readonly string[];
			if (!isPlainObject(value)) throw new DunningError('override', `${where}.${part} must be an object keyed by ${keys.join(', ')}.`);
			for (const [key, template] of Object.entries(value)) {
				if (!keys.includes(key)) throw new DunningError('override', `${where}.${part}.${key} is not one of ${keys.join(', ')}.`);
				checkTemplate(template, `${where}.${part}.${key}`);
			}
		} else {
			throw new DunningError('override', `${where}.${part} is not a part of the texts.`);
		}
	}
}

/** Overrides keyed by locale; the keys are canonicalized (`pt_br` and `pt-BR` are the same). */
export type DunningOverrides = Record<string, DunningTemplateOverrides>;

/** The texts for `keys` (built in, then each key's overrides), all overrides checked first. */
function templatesFor(base: string, keys: string[], overrides: unknown): DunningTemplates {
	const texts = DUNNING_MESSAGES[base];
	if (overrides === undefined || overrides === null) return texts;
	if (!isPlainObject(overrides)) throw new DunningError('override', `Got ${JSON.stringify(overrides)}.`);
	const byKey = new Map<string, DunningTemplateOverrides>();
	for (const [key, value] of Object.entries(overrides)) {
		const tag = canonicalTag(key);
		if (tag === undefined || !(tag.split('-')[0].toLowerCase() in DUNNING_MESSAGES)) {
			throw new DunningError('override', `"${key}" is not a locale with built-in texts (${Object.keys(DUNNING_MESSAGES).join(', ')}) or a regional tag of one.`);
		}
		checkOverrides(value, `overrides.${key}`);
		byKey.set(tag.toLowerCase(), value);
	}
	let merged: DunningTemplates = texts;
	for (const key of keys) {
		const over = byKey.get(key);
		if (!over) continue;
		merged = {
			...merged,
			...Object.fromEntries(SINGLE_PARTS.filter((part) => over[part] !== undefined).map((part) => [part, over[part]])),
			subject: { ...merged.subject, ...over.subject },
			intro: { ...merged.intro, ...over.intro },
			access: { ...merged.access, ...over.access },
			action: { ...merged.action, ...over.action },
			linkLabel: { ...merged.linkLabel, ...over.linkLabel },
		};
	}
	return merged;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(value: string): string {
	return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

// ---------------------------------------------------------------------------------------------
// The message
// ---------------------------------------------------------------------------------------------

export interface RenderDunningMessageInput {
	/** The customer's locale (Stripe's `preferred_locales[0]`, e.g. `de`, `pt-BR`); unknown ones fall back to `en`. */
	locale: string;
	stage: DunningStageName;
	action: DunningAction;
	/** Decides the access sentence; defaults to {@link DEFAULT_DUNNING_POLICY}'s access for `stage`. */
	accessLevel?: AccessLevel;
	/** The amount due in integer minor units (the invoice's `amount_remaining`); a bigint may be of any size. */
	amountMinor: number | bigint;
	currency: string;
	/** Pay by (unix seconds); shown as a date in `zone`. Needed by the texts that mention it. */
	dueDate?: number;
	/** The next automatic retry (unix seconds); shown as date and time in `zone`. Needed for `retry`. */
	nextRetryAt?: number;
	/** The customer's IANA time zone. */
	zone: string;
	customerName?: string | null;
	merchantName: string;
	/** The invoice's `hosted_invoice_url` or a billing-portal session URL. */
	link: string;
	/** Texts replacing the built-in ones, per locale and part. */
	overrides?: DunningOverrides;
}

export interface DunningMessage {
	/** The language of the texts (after fallback: `pt-BR` → `pt`, `sv` → `en`). */
	locale: string;
	/** The tag amounts and dates were formatted with. */
	formatLocale: string;
	subject: string;
	text: string;
	html: string;
}

/**
 * The localized dunning message for a stage and action: subject, plain text and HTML. Every
 * interpolated value is escaped in the HTML; the HTML is self-contained (inline styles, no
 * images or external assets). Throws a {@link DunningError} for bad input or a bad override.
 */
export function renderDunningMessage(input: RenderDunningMessageInput): DunningMessage {
	const stage = oneOf(DUNNING_STAGES, input.stage, 'stage', 'stage');
	const action = oneOf(DUNNING_ACTIONS, input.action, 'action', 'action');
	const accessLevel = input.accessLevel === undefined ? DEFAULT_DUNNING_POLICY.access[stage] : oneOf(ACCESS_LEVELS, input.accessLevel, 'accessLevel', 'accessLevel');
	if (typeof input.merchantName !== 'string' || input.merchantName.trim() === '') {
		throw new DunningError('merchantName', `Got ${JSON.stringify(input.merchantName)}.`);
	}
	const link = assertHostedLink(input.link);
	const { locale, formatLocale, overrideKeys } = resolveDunningLocale(input.locale);
	const texts = templatesFor(locale, overrideKeys, input.overrides);
	dateFormat(formatLocale, input.zone, false); // a bad zone fails even if no text shows a date

	const customerName = typeof input.customerName === 'string' && input.customerName.trim() !== '' ? input.customerName.trim() : undefined;
	const values: Partial<Record<DunningPlaceholder, string>> = {
		amount: formatDunningAmount(input.amountMinor, input.currency, formatLocale),
		dueDate: input.dueDate === undefined ? undefined : formatDunningDate(input.dueDate, formatLocale, input.zone),
		nextRetryAt: input.nextRetryAt === undefined ? undefined : formatDunningDate(input.nextRetryAt, formatLocale, input.zone, true),
		link,
		customerName,
		merchantName: input.merchantName.trim(),
	};
	const part = (template: string, where: string) => fill(template, values, `${locale}.${where}`);

	const subject = part(texts.subject[stage], `subject.${stage}`);
	const greeting = customerName ? part(texts.greeting, 'greeting') : part(texts.greetingAnonymous, 'greetingAnonymous');
	const paragraphs = [
		part(texts.intro[stage], `intro.${stage}`),
		part(texts.access[accessLevel], `access.${accessLevel}`),
		part(texts.action[action], `action.${action}`),
	].filter((p) => p !== '');
	const linkLabel = part(texts.linkLabel[action], `linkLabel.${action}`);
	const linkFallback = part(texts.linkFallback, 'linkFallback');
	const securityNote = part(texts.securityNote, 'securityNote');
	const closing = part(texts.closing, 'closing');

	const text = [greeting, ...paragraphs, `${linkLabel}: ${link}`, securityNote, closing].filter((p) => p !== '').join('\n\n');

	const p = (content: string, style = '') => (content === '' ? '' : `<p style="margin:0 0 16px;${style}">${escapeHtml(content).replace(/\n/g, '<br>')}</p>`);
	const html = [
		'<!DOCTYPE html>',
		`<html lang="${escapeHtml(formatLocale)}">`,
		'<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
		`<title>${escapeHtml(subject)}</title></head>`,
		'<body style="margin:0;padding:24px;background:#f6f8fa;font-family:-apple-system,BlinkMacSystemFont,\'Segoe UI\',Roboto,Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5;color:#1a1f36;">',
		'<div style="max-width:560px;margin:0 auto;padding:32px;background:#ffffff;border-radius:8px;">',
		p(greeting),
		...paragraphs.map((content) => p(content)),
		`<p style="margin:24px 0;"><a href="${escapeHtml(link)}" style="display:inline-block;padding:12px 24px;background:#635bff;color:#ffffff;text-decoration:none;border-radius:6px;font-weight:600;">${escapeHtml(linkLabel)}</a></p>`,
		p(linkFallback, 'font-size:13px;color:#697386;word-break:break-all;'),
		p(securityNote, 'font-size:13px;color:#697386;'),
		p(closing),
		'</div>',
		'</body>',
		'</html>',
	]
		.filter((line) => line !== '')
		.join('\n');

	return { locale, formatLocale, subject, text, html };
}

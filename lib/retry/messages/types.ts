/**
 * The shape of one locale's dunning texts. Every string is plain text (never HTML): the renderer
 * escapes it for the HTML part, so a translation or an override cannot inject markup.
 *
 * Placeholders: `{{amount}}`, `{{dueDate}}`, `{{nextRetryAt}}`, `{{link}}`, `{{customerName}}`,
 * `{{merchantName}}` (see {@link DUNNING_PLACEHOLDERS}). An empty string leaves the part out.
 */

/** Dunning stages in the order a failed payment goes through them (stable values). */
export const DUNNING_STAGES = ['firstNotice', 'reminder', 'finalNotice', 'suspended'] as const;
export type DunningStageName = (typeof DUNNING_STAGES)[number];

/** What the customer can still use of the product (stable values). */
export const ACCESS_LEVELS = ['full', 'grace', 'limited', 'suspended'] as const;
export type AccessLevel = (typeof ACCESS_LEVELS)[number];

/** What Plan Retry decided (stable values, the node's `action` output). */
export const DUNNING_ACTIONS = ['retry', 'requestPaymentMethod', 'requestAuthentication', 'stop'] as const;
export type DunningAction = (typeof DUNNING_ACTIONS)[number];

/** The placeholders a template may use. */
export const DUNNING_PLACEHOLDERS = ['amount', 'dueDate', 'nextRetryAt', 'link', 'customerName', 'merchantName'] as const;
export type DunningPlaceholder = (typeof DUNNING_PLACEHOLDERS)[number];

/** One locale's texts. The message is assembled from these parts in this order. */
export interface DunningTemplates {
	/** Subject line per stage. */
	subject: Record<DunningStageName, string>;
	/** First line when `customerName` is known, e.g. "Hello {{customerName}},". */
	greeting: string;
	/** First line when no customer name is known, e.g. "Hello,". */
	greetingAnonymous: string;
	/** What happened, per stage. */
	intro: Record<DunningStageName, string>;
	/** What the customer can use meanwhile, per access level (`full` is usually empty). */
	access: Record<AccessLevel, string>;
	/** What happens next / what the customer should do, per action. */
	action: Record<DunningAction, string>;
	/** The button text (HTML) and the label before the URL (text), per action. */
	linkLabel: Record<DunningAction, string>;
	/** Under the button in HTML, for mail clients that block buttons; should contain `{{link}}`. */
	linkFallback: string;
	/** Why the link is safe: it opens a page hosted by Stripe, card data never reaches the merchant. */
	securityNote: string;
	/** Sign-off; a line break becomes `<br>` in HTML. */
	closing: string;
}

/** A partial {@link DunningTemplates}: what an override may replace, part by part. */
export interface DunningTemplateOverrides {
	subject?: Partial<Record<DunningStageName, string>>;
	greeting?: string;
	greetingAnonymous?: string;
	intro?: Partial<Record<DunningStageName, string>>;
	access?: Partial<Record<AccessLevel, string>>;
	action?: Partial<Record<DunningAction, string>>;
	linkLabel?: Partial<Record<DunningAction, string>>;
	linkFallback?: string;
	securityNote?: string;
	closing?: string;
}

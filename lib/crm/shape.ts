/**
 * Revenue profiles shaped for a CRM (issue 11), pure. A property map names the CRM property of
 * each profile field (defaults: HubSpot custom properties under a `stripe_` prefix, see
 * PROFILE_FIELDS); records are keyed by email (contacts) and by company domain (companies); and
 * the records come in batches of up to 100 as HubSpot's `batch/upsert` body, or one per record for
 * other CRMs (Salesforce, Pipedrive, Attio: their n8n nodes take one record per item).
 *
 * HubSpot upserts only by a property with unique values: `email` for contacts; for companies the
 * built-in `domain` is not unique, so companies are keyed by the custom unique property
 * `stripe_domain` (CRM Schema creates it with `hasUniqueValue`), and `domain` is set beside it.
 */
import { ACCESS_LEVELS, DUNNING_STAGES } from '../retry/messages/types';
import { CrmInputError, PAYMENT_HEALTH, type RevenueProfile } from './profile';

export type CrmObject = 'contacts' | 'companies';

export interface FieldDefinition {
	field: keyof RevenueProfile;
	/** The property name after the prefix. */
	name: string;
	label: string;
	description: string;
	type: 'string' | 'number' | 'datetime' | 'enumeration' | 'bool';
	options?: readonly string[];
}

/** The profile fields a CRM record carries, with their HubSpot property definitions. */
export const PROFILE_FIELDS: readonly FieldDefinition[] = [
	{ field: 'customerId', name: 'customer_id', label: 'Stripe customer ID', description: 'The Stripe customer this record reflects', type: 'string' },
	{ field: 'mrr', name: 'mrr', label: 'Stripe MRR', description: 'Monthly recurring revenue in the reporting currency (Stripe\'s definition: active and past-due subscriptions, no trials, no usage-based prices)', type: 'number' },
	{ field: 'reportingCurrency', name: 'mrr_currency', label: 'Stripe MRR currency', description: 'The currency of Stripe MRR and lifetime value', type: 'string' },
	{ field: 'mrrByCurrency', name: 'mrr_by_currency', label: 'Stripe MRR by currency', description: 'MRR per billing currency, e.g. eur:20.00,usd:49.00', type: 'string' },
	{ field: 'plan', name: 'plan', label: 'Stripe plan', description: 'The main subscription\'s products', type: 'string' },
	{ field: 'subscriptionStatus', name: 'subscription_status', label: 'Stripe subscription status', description: 'The main subscription\'s Stripe status', type: 'enumeration', options: ['active', 'past_due', 'unpaid', 'trialing', 'paused', 'incomplete', 'incomplete_expired', 'canceled'] },
	{ field: 'paymentHealth', name: 'payment_health', label: 'Stripe payment health', description: 'healthy, atRisk, failing, recovered or churned', type: 'enumeration', options: PAYMENT_HEALTH },
	{ field: 'healthReason', name: 'health_reason', label: 'Stripe payment health reason', description: 'Why the payment health is what it is', type: 'string' },
	{ field: 'dunningStage', name: 'dunning_stage', label: 'Stripe dunning stage', description: 'The Smart Retry dunning stage of the failing invoice', type: 'enumeration', options: DUNNING_STAGES },
	{ field: 'accessLevel', name: 'access_level', label: 'Stripe access level', description: 'The feature access Smart Retry grants during dunning', type: 'enumeration', options: ACCESS_LEVELS },
	{ field: 'lastFailureReason', name: 'last_failure_reason', label: 'Stripe last payment failure reason', description: 'The decline reason of the last failed payment', type: 'string' },
	{ field: 'lastFailureAt', name: 'last_failure_at', label: 'Stripe last payment failure', description: 'When the last payment failed', type: 'datetime' },
	{ field: 'lifetimeValue', name: 'lifetime_value', label: 'Stripe lifetime value', description: 'Paid and not refunded, all time, in the reporting currency', type: 'number' },
	{ field: 'nextRenewalAt', name: 'next_renewal_at', label: 'Stripe next renewal', description: 'When the main subscription renews next (empty when it cancels)', type: 'datetime' },
	{ field: 'cancelAtPeriodEnd', name: 'cancel_at_period_end', label: 'Stripe cancels at period end', description: 'The main subscription is set to cancel', type: 'bool' },
	{ field: 'churnRiskScore', name: 'churn_risk_score', label: 'Stripe churn risk score', description: '0 to 100, with its reasons', type: 'number' },
	{ field: 'churnRiskReasons', name: 'churn_risk_reasons', label: 'Stripe churn risk reasons', description: 'What the churn risk score is made of', type: 'string' },
	{ field: 'churnedAt', name: 'churned_at', label: 'Stripe churned', description: 'When the last subscription ended (churned customers)', type: 'datetime' },
	{ field: 'asOf', name: 'as_of', label: 'Stripe data as of', description: 'The Stripe state time these properties reflect', type: 'datetime' },
];

export interface ShapeOptions {
	objects: CrmObject[];
	/** Prefix of the default property names (default `stripe_`). */
	prefix?: string;
	/** Profile field -> CRM property name; an empty name leaves the field out. */
	overrides?: Record<string, string>;
	/** Also set the CRM's standard name properties (contacts: firstname/lastname; companies: name). Off by default: they are often edited by people. */
	standardProperties?: boolean;
	/** Records per batch (1..100, default 100). */
	batchSize?: number;
}

export interface CrmRecord {
	objectType: CrmObject;
	idProperty: string;
	id: string;
	properties: Record<string, string>;
	customerId: string;
}

const EMAIL = /^[^\s@"(),:;<>[\\\]]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,}$/i;

/** True for an address HubSpot accepts as a contact's email. */
export function isValidEmail(value: string): boolean {
	return value.length <= 254 && EMAIL.test(value);
}

/** The unique company property records are upserted by (before the prefix). */
export const COMPANY_ID_PROPERTY = 'domain';

/** The CRM property name of each field (prefix + name, overrides applied; empty = left out). */
export function propertyMap(options: Pick<ShapeOptions, 'prefix' | 'overrides'>): Array<{ def: FieldDefinition; property: string }> {
	const prefix = options.prefix ?? 'stripe_';
	const overrides = options.overrides ?? {};
	const known = new Set(PROFILE_FIELDS.map((f) => f.field as string));
	for (const field of Object.keys(overrides)) {
		if (!known.has(field)) throw new CrmInputError(`Property Mapping names the profile field "${field}", which does not exist. Pick one of: ${[...known].join(', ')}.`);
		const name = overrides[field];
		if (name && !/^[a-z][a-z0-9_]*$/.test(name)) throw new CrmInputError(`Property Mapping: "${name}" (for ${field}) is not a valid CRM property name: use lower-case letters, digits and underscores, starting with a letter.`);
	}
	return PROFILE_FIELDS.map((def) => ({ def, property: def.field in overrides ? overrides[def.field] : `${prefix}${def.name}` })).filter((m) => m.property !== '');
}

function value(def: FieldDefinition, raw: unknown): string {
	if (raw === null || raw === undefined) return '';
	if (def.type === 'bool') return raw ? 'true' : 'false';
	return String(raw);
}

function splitName(name: string | null): { firstname: string; lastname: string } | undefined {
	if (!name) return undefined;
	const parts = name.trim().split(/\s+/);
	return { firstname: parts.length > 1 ? parts.slice(0, -1).join(' ') : parts[0], lastname: parts.length > 1 ? parts[parts.length - 1] : '' };
}

/**
 * The CRM records of one profile, one per requested object type. A record that cannot be keyed is
 * an error when it is the only object requested (no email, an invalid email, no company domain),
 * and is skipped (with the reason) when the other object type can be synced.
 */
export function recordsOf(profile: RevenueProfile, options: ShapeOptions): { records: CrmRecord[]; skipped: string[] } {
	const map = propertyMap(options);
	const prefix = options.prefix ?? 'stripe_';
	const properties: Record<string, string> = {};
	for (const { def, property } of map) properties[property] = value(def, profile[def.field]);
	const records: CrmRecord[] = [];
	const problems: string[] = [];
	for (const objectType of options.objects) {
		if (objectType === 'contacts') {
			const email = profile.email?.toLowerCase();
			if (!email) {
				problems.push(`Customer ${profile.customerId} has no email in Stripe, so it cannot be matched to a CRM contact: add the email to the customer in Stripe.`);
				continue;
			}
			if (!isValidEmail(email)) {
				problems.push(`Customer ${profile.customerId} has the email "${profile.email}", which is not a valid address: correct it in Stripe (CRM contacts are matched by email).`);
				continue;
			}
			const extra: Record<string, string> = {};
			const names = options.standardProperties ? splitName(profile.name) : undefined;
			if (names) Object.assign(extra, names);
			records.push({ objectType, idProperty: 'email', id: email, properties: { ...properties, ...extra, email }, customerId: profile.customerId });
		} else {
			if (!profile.domain) {
				problems.push(`Customer ${profile.customerId} has no company domain: set metadata "domain" (or "website") on the customer in Stripe; a free-mail address (gmail.com, outlook.com, …) names no company.`);
				continue;
			}
			const idProperty = `${prefix}${COMPANY_ID_PROPERTY}`;
			const extra: Record<string, string> = { domain: profile.domain, [idProperty]: profile.domain };
			if (options.standardProperties && profile.name) extra.name = profile.name;
			records.push({ objectType, idProperty, id: profile.domain, properties: { ...properties, ...extra }, customerId: profile.customerId });
		}
	}
	if (records.length === 0) throw new CrmInputError(problems.join(' '));
	return { records, skipped: problems };
}

/** Which of two profiles keyed the same (one email, one domain) the CRM record should show: the live one, then the higher MRR, then the newer state. */
function better(a: RevenueProfile, b: RevenueProfile): boolean {
	const live = (p: RevenueProfile) => (p.paymentHealth === 'churned' ? 0 : 1);
	if (live(a) !== live(b)) return live(a) > live(b);
	if (a.mrr !== b.mrr) return a.mrr > b.mrr;
	return a.asOf > b.asOf;
}

export interface CrmBatch {
	objectType: CrmObject;
	idProperty: string;
	count: number;
	/** Stripe customers in this batch, and those folded into another customer's record (same email or domain). */
	customerIds: string[];
	mergedCustomerIds: string[];
	/** HubSpot's `POST /crm/v3/objects/{objectType}/batch/upsert` body. */
	body: { inputs: Array<{ idProperty: string; id: string; properties: Record<string, string> }> };
	/** The input indexes this batch was made from. */
	sources: number[];
}

/**
 * Batches records of many profiles: per object type, one record per id (HubSpot rejects a batch
 * that names an id twice; the better profile wins, see `better`), at most `batchSize` per batch.
 */
export function batchRecords(entries: ReadonlyArray<{ index: number; profile: RevenueProfile; records: CrmRecord[] }>, batchSize = 100): CrmBatch[] {
	if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100) throw new CrmInputError(`Batch Size must be a whole number from 1 to 100 (HubSpot's batch limit), got ${batchSize}.`);
	const byType = new Map<CrmObject, Map<string, { record: CrmRecord; profile: RevenueProfile; sources: number[]; merged: string[] }>>();
	for (const entry of entries) {
		for (const record of entry.records) {
			const ids = byType.get(record.objectType) ?? new Map();
			byType.set(record.objectType, ids);
			const prior = ids.get(record.id);
			if (!prior) ids.set(record.id, { record, profile: entry.profile, sources: [entry.index], merged: [] });
			else {
				prior.sources.push(entry.index);
				if (prior.profile.customerId === entry.profile.customerId) continue;
				if (better(entry.profile, prior.profile)) {
					prior.merged.push(prior.profile.customerId);
					prior.record = record;
					prior.profile = entry.profile;
				} else prior.merged.push(entry.profile.customerId);
			}
		}
	}
	const batches: CrmBatch[] = [];
	for (const [objectType, ids] of byType) {
		const all = [...ids.values()];
		for (let i = 0; i < all.length; i += batchSize) {
			const chunk = all.slice(i, i + batchSize);
			batches.push({
				objectType,
				idProperty: chunk[0].record.idProperty,
				count: chunk.length,
				customerIds: chunk.map((c) => c.record.customerId),
				mergedCustomerIds: chunk.flatMap((c) => c.merged),
				body: { inputs: chunk.map((c) => ({ idProperty: c.record.idProperty, id: c.record.id, properties: c.record.properties })) },
				sources: [...new Set(chunk.flatMap((c) => c.sources))].sort((a, b) => a - b),
			});
		}
	}
	return batches;
}

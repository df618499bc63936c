/**
 * Owner alerts (issue 11): for a customer above an MRR threshold whose payment health turns
 * `failing` (or `churned`), a task and a note payload for the account owner, once per episode.
 *
 * An episode is one failing invoice (`failing:<invoice id>`) or one churn (`churned:<last
 * subscription id>`), so a customer who recovers and fails again is alerted again, and one who
 * stays failing through many events is alerted once. "Once" is recorded in Stripe, on the customer's
 * metadata (`revops_crm_alert_episode`), with a deterministic idempotency key: it survives
 * re-runs, other workflows and n8n restarts, and every execution sees it. A re-run of a failed
 * execution from its failed node (n8n's retry) reuses this node's output, so the task is still made.
 */
import type { StripeClient } from '../stripe/client';
import { encodePath } from '../stripe/path';
import { isoSeconds } from '../iso';
import type { PaymentHealth, RevenueProfile } from './profile';

export const ALERT_METADATA_KEY = 'revops_crm_alert_episode';

export type AlertPriority = 'HIGH' | 'MEDIUM' | 'LOW';

export interface AlertOptions {
	/** Minimum MRR (reporting currency, major units) for an alert; 0 alerts everyone. */
	mrrThreshold: number;
	healths: PaymentHealth[];
	/** A churn alerts only this many days after it happened (default 7): a first sync does not alert every churn of the past. */
	churnWindowDays?: number;
	/** The task is due this many hours after `realNow`. */
	dueInHours: number;
	priority: AlertPriority;
	/** The real clock, unix seconds. */
	realNow: number;
	/** Stripe dashboard links for test mode (`/test/`) or live mode. */
	testMode: boolean;
}

export interface OwnerAlert {
	customerId: string;
	email: string | null;
	episodeId: string;
	paymentHealth: PaymentHealth;
	mrr: number;
	reportingCurrency: string;
	subject: string;
	body: string;
	dueAt: string;
	priority: AlertPriority;
	/** `POST /crm/v3/objects/tasks` properties (add `hubspot_owner_id` and the association in the workflow). */
	task: { properties: Record<string, string> };
	/** `POST /crm/v3/objects/notes` properties. */
	note: { properties: Record<string, string> };
}

/** Why a profile does not get an alert, or `undefined` when it qualifies. */
export function alertSkipReason(profile: RevenueProfile, options: Pick<AlertOptions, 'mrrThreshold' | 'healths' | 'churnWindowDays'>): string | undefined {
	if (!options.healths.includes(profile.paymentHealth)) return `health is ${profile.paymentHealth}`;
	// Its churn was alerted when its subscriptions ended; a deleted customer cannot record an episode.
	if (profile.deleted) return 'the customer is deleted in Stripe';
	if (!profile.episodeId) return 'no episode';
	if (profile.paymentHealth === 'churned' && profile.churnedAt) {
		const days = (Date.parse(profile.asOf) - Date.parse(profile.churnedAt)) / 86_400_000;
		const window = options.churnWindowDays ?? 7;
		if (days > window) return `churned ${Math.floor(days)} days ago, before the ${window}-day alert window`;
	}
	// A churned customer's MRR is 0 by definition: the threshold applies to what was lost, which the profile cannot know, so churn alerts ignore it.
	if (profile.paymentHealth !== 'churned' && profile.mrr < options.mrrThreshold) return `MRR ${profile.mrr} is below ${options.mrrThreshold}`;
	return undefined;
}

function money(amount: number, currency: string): string {
	return `${amount.toFixed(2)} ${currency.toUpperCase()}`;
}

/** The alert's texts and HubSpot payloads for a qualifying profile. */
export function ownerAlert(profile: RevenueProfile, options: AlertOptions): OwnerAlert {
	const who = profile.name ?? profile.email ?? profile.customerId;
	const dueAt = isoSeconds(options.realNow + Math.round(options.dueInHours * 3600));
	const dashboard = `https://dashboard.stripe.com/${options.testMode ? 'test/' : ''}customers/${profile.customerId}`;
	const subject =
		profile.paymentHealth === 'churned'
			? `Churned: ${who}`
			: `Payment failing: ${who} (${money(profile.mrr, profile.reportingCurrency)}/month)`;
	const lines = [
		`${who} (${profile.email ?? 'no email'}) is ${profile.paymentHealth}: ${profile.healthReason}.`,
		profile.lastFailureReason ? `Last failure: ${profile.lastFailureReason} on ${profile.lastFailureAt}.` : undefined,
		profile.dunningStage ? `Dunning stage: ${profile.dunningStage}, access: ${profile.accessLevel ?? 'unchanged'}.` : undefined,
		`MRR ${money(profile.mrr, profile.reportingCurrency)}, lifetime value ${money(profile.lifetimeValue, profile.reportingCurrency)}, plan ${profile.plan ?? 'none'}.`,
		`Churn risk ${profile.churnRiskScore}/100: ${profile.churnRiskReasons || 'no other signals'}.`,
		`Stripe: ${dashboard}`,
		`As of ${profile.asOf}.`,
	].filter((l): l is string => l !== undefined);
	const body = lines.join('\n');
	const html = lines.map((l) => `<p>${escapeHtml(l)}</p>`).join('');
	const timestamp = String((options.realNow + Math.round(options.dueInHours * 3600)) * 1000);
	return {
		customerId: profile.customerId,
		email: profile.email,
		episodeId: profile.episodeId!,
		paymentHealth: profile.paymentHealth,
		mrr: profile.mrr,
		reportingCurrency: profile.reportingCurrency,
		subject,
		body,
		dueAt,
		priority: options.priority,
		task: { properties: { hs_task_subject: subject, hs_task_body: html, hs_timestamp: timestamp, hs_task_priority: options.priority, hs_task_status: 'NOT_STARTED', hs_task_type: 'TODO' } },
		note: { properties: { hs_note_body: `<p><strong>${escapeHtml(subject)}</strong></p>${html}`, hs_timestamp: String(options.realNow * 1000) } },
	};
}

function escapeHtml(text: string): string {
	return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * Claims the alert of an episode in Stripe: false when the customer's metadata already records it
 * (alerted before), else records it and returns true when this call made the record. Concurrent
 * executions (several events of one change arrive at once) race for the same deterministic
 * idempotency key, and Stripe lets one of them do the work: the others get its response replayed
 * (`Idempotent-Replayed: true`, after a 409 `idempotency_key_in_use` while it runs) and do not alert.
 * A replay after an own attempt that got no answer (or a 5xx) may be this call's own work, so it
 * alerts: a lost response never loses an alert (a duplicate then needs a race and a lost response).
 */
export async function claimEpisode(client: StripeClient, customerId: string, episodeId: string): Promise<boolean> {
	const customer = await client.get<{ metadata?: Record<string, string>; deleted?: boolean }>(encodePath`/v1/customers/${customerId}`);
	if (customer.deleted) return false;
	if (customer.metadata?.[ALERT_METADATA_KEY] === episodeId) return false;
	let replayed = false;
	let ownWorkPossible = false;
	await client.post(
		encodePath`/v1/customers/${customerId}`,
		{ metadata: { [ALERT_METADATA_KEY]: episodeId } },
		{
			idempotencyKey: `crm-alert:${customerId}:${episodeId}`,
			onAttempt: (status, headers) => {
				if (status >= 200 && status < 300) replayed = headers?.['idempotent-replayed'] === 'true';
				else if (status === 0 || status >= 500) ownWorkPossible = true;
			},
		},
	);
	return !replayed || ownWorkPossible;
}

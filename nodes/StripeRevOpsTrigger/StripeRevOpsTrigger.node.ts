import {
	NodeConnectionTypes,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type IHookFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
	type IWebhookResponseData,
} from 'n8n-workflow';

import { normalizeEventSelection } from '../../lib/events/catalog';
import { DEFAULT_DURABLE_MAX_ENTRIES, DEFAULT_WINDOW_MAX_AGE_SECONDS, DEFAULT_WINDOW_MAX_SIZE } from '../../lib/events/dedupe';
import type { LivemodeFilter } from '../../lib/events/filter';
import { flattenEvent, type TriggerEvent } from '../../lib/events/flatten';
import { settle } from '../../lib/stripe/errors';
import { endpointMatches, ensureEndpoint, removeEndpoint, type EndpointSpec, type EndpointState, type EnsureResult } from '../../lib/triggers/endpoint';
import { receiveDelivery } from '../../lib/triggers/receive';
import { DEFAULT_TOLERANCE_SECONDS } from '../../lib/webhooks/signature';
import { eventsParameter, fetchCurrentObjectOption, modeParameter } from '../shared/eventParameters';
import { CREDENTIAL_NAME, stripeClient, toNodeError } from '../shared/stripeApi';
import { dropTriggerMemory, durableCommitter, existingTriggerMemory, memoryKey, triggerMemory, type WebhookKind } from '../shared/triggerState';

interface TriggerOptions {
	toleranceSeconds?: number;
	fetchCurrentObject?: boolean;
	skipStaleEvents?: boolean;
	skipSignatureVerification?: boolean;
	dedupeWindowSize?: number;
	dedupeWindowHours?: number;
	durableDedupeSize?: number;
	endpointDescription?: string;
}

/** Test webhooks ("Listen for test event") run in mode `manual`; production ones in `webhook`. */
function requestKind(context: IWebhookFunctions | IExecuteFunctions): WebhookKind {
	return context.getMode() === 'manual' ? 'test' : 'production';
}

/**
 * Hooks: the test webhook's hooks see its own URL (`/webhook-test/…`). create() and checkExists()
 * run in mode `manual` for a test webhook; delete() runs in mode `internal` for both, so it is told
 * apart by the URL the state was registered at.
 */
function hookKind(context: IHookFunctions, staticData: IDataObject): WebhookKind {
	if (context.getMode() === 'manual') return 'test';
	const url = context.getNodeWebhookUrl('default');
	const test = staticData[STATE_KEYS.test] as EndpointState | undefined;
	if (test?.url && test.url === url) return 'test';
	return testUrls.has(testUrlKey(context)) ? 'test' : 'production';
}

/** Where each kind's endpoint state lives in the node's static data. */
const STATE_KEYS: Record<WebhookKind, string> = { production: 'endpoint', test: 'testEndpoint' };

/** URLs of test webhooks registered in this process (manual registration keeps no state to recognise them by). */
const testUrls = new Set<string>();

/** The key of a hook's webhook in {@link testUrls}: workflow, node and the URL the hook sees. */
function testUrlKey(context: IHookFunctions): string {
	return `${context.getWorkflow().id}:${context.getNode().id}:${context.getNodeWebhookUrl('default')}`;
}

function endpointSpec(context: IHookFunctions, apiVersion: string | undefined): EndpointSpec {
	const events = normalizeEventSelection(context.getNodeParameter('events', []) as string[], { allowUnknown: true });
	const options = context.getNodeParameter('options', {}) as TriggerOptions;
	return {
		url: context.getNodeWebhookUrl('default') as string,
		events,
		description: options.endpointDescription || `n8n workflow ${context.getWorkflow().id} (${context.getNode().name})`,
		apiVersion,
	};
}

function endpointState(staticData: IDataObject, kind: WebhookKind): EndpointState {
	return (staticData[STATE_KEYS[kind]] as EndpointState | undefined) ?? {};
}

function secretsFrom(value: string): string[] {
	return value
		.split(/[,\n]/)
		.map((s) => s.trim())
		.filter(Boolean);
}

function memoryOptions(options: TriggerOptions) {
	return {
		maxSize: options.dedupeWindowSize ?? DEFAULT_WINDOW_MAX_SIZE,
		maxAgeSeconds: Math.round((options.dedupeWindowHours ?? DEFAULT_WINDOW_MAX_AGE_SECONDS / 3600) * 3600),
	};
}

export class StripeRevOpsTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Stripe RevOps Trigger',
		name: 'stripeRevOpsTrigger',
		icon: { light: 'file:stripeRevOps.svg', dark: 'file:stripeRevOps.dark.svg' },
		group: ['trigger'],
		// Version 2 behaves exactly like 1. It is the default because n8n runs it far cheaper with
		// N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE=true: measured with bench:webhook (2026-12-01, n8n 2.41.1),
		// 7.3 ms of n8n CPU per event for version 2 against 33.4 ms for version 1. n8n's
		// live-webhooks.js (webhookPhaseNeedsIsolate) does not look at a community node's version, so
		// the difference comes from elsewhere in n8n; where, we have not found. See README, throughput.
		version: [1, 2],
		defaultVersion: 2,
		subtitle: '={{($parameter["events"] || []).join(", ")}}',
		description: 'Starts the workflow on verified, deduplicated Stripe events',
		defaults: { name: 'Stripe RevOps Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: CREDENTIAL_NAME, required: true }],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				// Empty: answer with webhookResponse ({received, emitted, id}) instead of n8n's default text.
				responseData: '',
				path: 'webhook',
			},
		],
		properties: [
			{
				displayName: 'Endpoint Registration',
				name: 'registration',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Automatic',
						value: 'automatic',
						description: 'Register this workflow\'s URL as a Stripe webhook endpoint on activation (reused, never duplicated) and delete it on deactivation',
					},
					{
						name: 'Manual',
						value: 'manual',
						description: 'The endpoint is made elsewhere (Dashboard, Stripe CLI "listen"): give its signing secret',
					},
				],
				default: 'automatic',
			},
			{
				displayName: 'Signing Secret',
				name: 'signingSecret',
				type: 'string',
				typeOptions: { password: true },
				default: '',
				placeholder: 'whsec_…',
				// Not `required`: with "Skip Signature Verification" it may be empty; without it, a delivery
				// fails with a message that says to paste the secret.
				description: 'The endpoint\'s signing secret. During a secret roll, give both, separated by a comma.',
				displayOptions: { show: { registration: ['manual'] } },
			},
			eventsParameter('The Stripe events that start the workflow; others are acknowledged and dropped'),
			modeParameter,
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add option',
				default: {},
				options: [
					{
						displayName: 'Deduplication Memory Across Restarts (Events)',
						name: 'durableDedupeSize',
						type: 'number',
						typeOptions: { minValue: 100 },
						default: DEFAULT_DURABLE_MAX_ENTRIES,
						description:
							"How many emitted event IDs n8n's own deduplication store keeps, so that a redelivery after an n8n restart is not passed on again. n8n rewrites this list with every event, so a larger value costs throughput.",
					},
					{
						displayName: 'Deduplication Window (Events)',
						name: 'dedupeWindowSize',
						type: 'number',
						typeOptions: { minValue: 100 },
						default: DEFAULT_WINDOW_MAX_SIZE,
						description:
							'How many event IDs the running n8n process remembers (in memory). Stripe delivers at least once and retries for up to 3 days; a repeat within the window is acknowledged and not emitted again.',
					},
					{
						displayName: 'Deduplication Window (Hours)',
						name: 'dedupeWindowHours',
						type: 'number',
						typeOptions: { minValue: 1 },
						default: 96, // DEFAULT_WINDOW_MAX_AGE_SECONDS in hours (a test checks they agree)
						description: "How long the running n8n process remembers an event ID. The default covers Stripe's 3-day retry horizon plus a day.",
					},
					{
						displayName: 'Endpoint Description',
						name: 'endpointDescription',
						type: 'string',
						default: '',
						description: 'Description of the endpoint in the Stripe Dashboard (automatic registration)',
					},
					fetchCurrentObjectOption,
					{
						displayName: 'Signature Tolerance (Seconds)',
						name: 'toleranceSeconds',
						type: 'number',
						typeOptions: { minValue: 1 },
						default: DEFAULT_TOLERANCE_SECONDS,
						description: 'Reject deliveries signed longer ago, or further in the future, than this (replay protection)',
					},
					{
						displayName: 'Skip Signature Verification (Local Testing Only)',
						name: 'skipSignatureVerification',
						type: 'boolean',
						default: false,
						description:
							'Whether to accept unsigned requests. Anyone who knows the URL can then start the workflow: never enable this in production.',
					},
					{
						displayName: 'Skip Stale Events',
						name: 'skipStaleEvents',
						type: 'boolean',
						default: false,
						description:
							'Whether to drop an event older than the last one emitted for the same object (e.g. an invoice.updated that arrives after a newer one)',
					},
				],
			},
		],
	};

	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				const staticData = this.getWorkflowStaticData('node');
				const kind = hookKind(this, staticData);
				if (kind === 'test') testUrls.add(testUrlKey(this));
				if (this.getNodeParameter('registration') === 'manual') return true;
				const { client, credentials } = await stripeClient(this);
				const outcome = await settle(endpointMatches(client, endpointSpec(this, credentials.apiVersion as string), endpointState(staticData, kind)));
				if (!outcome.ok) throw toNodeError(this.getNode(), outcome.error);
				return outcome.value;
			},
			async create(this: IHookFunctions): Promise<boolean> {
				const staticData = this.getWorkflowStaticData('node');
				const kind = hookKind(this, staticData);
				if (kind === 'test') testUrls.add(testUrlKey(this));
				if (this.getNodeParameter('registration') === 'manual') return true;
				const { client, credentials } = await stripeClient(this);
				const spec = endpointSpec(this, (credentials.apiVersion as string) || undefined);
				const outcome = await settle(ensureEndpoint(client, spec, endpointState(staticData, kind)));
				if (!outcome.ok) throw toNodeError(this.getNode(), outcome.error);
				staticData[STATE_KEYS[kind]] = outcome.value.state as IDataObject;
				logEndpointChanges(this, outcome.value);
				return true;
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				const staticData = this.getWorkflowStaticData('node');
				const kind = hookKind(this, staticData);
				// Only this webhook's own memory: a test session ending never touches production's.
				dropTriggerMemory(memoryKey(this.getWorkflow().id, this.getNode().id, kind));
				testUrls.delete(testUrlKey(this));
				if (this.getNodeParameter('registration') === 'manual') return true;
				const { client } = await stripeClient(this);
				const outcome = await settle(removeEndpoint(client, endpointState(staticData, kind)));
				if (!outcome.ok) throw toNodeError(this.getNode(), outcome.error);
				delete staticData[STATE_KEYS[kind]];
				return true;
			},
		},
	};

	/**
	 * Runs inside the execution a delivery started (n8n calls a trigger's execute() before treating
	 * it as a webhook pass-through). Production executions record each event id in n8n's own
	 * deduplication store (`checkProcessedAndRecord`, scope `node`), which survives restarts and is
	 * not part of the static data: an event already recorded (a redelivery after a restart, or one
	 * whose in-process claim ran out) is dropped here, so nothing downstream runs twice. Static data
	 * is never written here: n8n would save the whole object this execution loaded, endpoint secret
	 * included, over a newer one. Test executions (mode `manual`) touch neither store.
	 */
	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const kind = requestKind(this);
		const workflowId = this.getWorkflow().id;
		const nodeId = this.getNode().id;
		const options = this.getNodeParameter('options', 0, {}) as TriggerOptions;
		const memory = existingTriggerMemory(memoryKey(workflowId, nodeId, kind));
		const now = Math.floor(Date.now() / 1000);
		const ids = items.map((item) => item.json.eventId).filter((id): id is string => typeof id === 'string');
		let processed = new Set<string>();
		if (kind === 'production' && ids.length > 0) {
			const maxEntries = options.durableDedupeSize ?? DEFAULT_DURABLE_MAX_ENTRIES;
			const committer = durableCommitter(`${workflowId}:${nodeId}`);
			const write = async (batch: string[]) => await this.helpers.checkProcessedAndRecord(batch, 'node', { mode: 'entries', maxEntries });
			const recorded = await settle(Promise.all(ids.map(async (id) => ((await committer.record(id, write)) ? id : undefined))));
			if (recorded.ok) {
				processed = new Set(recorded.value.filter((id): id is string => id !== undefined));
			} else {
				// Without n8n's store the in-process memory still holds; a redelivery across a restart may then pass.
				this.logger.warn(`Stripe RevOps Trigger: could not record event ids in n8n's deduplication store: ${(recorded.error as Error).message}`);
			}
		}
		const out: INodeExecutionData[] = [];
		items.forEach((item, index) => {
			const eventId = item.json.eventId;
			if (typeof eventId === 'string') memory?.claims.confirm(eventId, now);
			if (typeof eventId === 'string' && processed.has(eventId)) {
				this.logger.info(`Stripe RevOps Trigger: event ${eventId} was already emitted before (n8n's deduplication store); not passed on again`);
				return;
			}
			out.push({ ...item, pairedItem: { item: index } });
		});
		return [out];
	}

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const request = this.getRequestObject();
		const response = this.getResponseObject();
		const staticData = this.getWorkflowStaticData('node');
		const options = this.getNodeParameter('options', {}) as TriggerOptions;
		const registration = this.getNodeParameter('registration') as string;
		const kind = requestKind(this);
		const secrets =
			registration === 'manual'
				? secretsFrom(this.getNodeParameter('signingSecret', '') as string)
				: [endpointState(staticData, kind).secret ?? ''].filter(Boolean);
		if (!options.skipSignatureVerification && secrets.length === 0) {
			throw new NodeOperationError(
				this.getNode(),
				registration === 'manual'
					? 'No signing secret is set. Paste the endpoint\'s signing secret (whsec_…) into "Signing Secret".'
					: 'This trigger has no signing secret for its endpoint. Deactivate and activate the workflow again so the endpoint is registered.',
			);
		}
		const memory = triggerMemory(memoryKey(this.getWorkflow().id, this.getNode().id, kind), staticData, memoryOptions(options));
		const rawBody = (request as unknown as { rawBody?: Buffer }).rawBody;
		let client: Awaited<ReturnType<typeof stripeClient>>['client'] | undefined;
		const events = normalizeEventSelection(this.getNodeParameter('events', []) as string[], { allowUnknown: true });
		const now = Math.floor(Date.now() / 1000);
		const outcome = await settle(
			receiveDelivery(
				rawBody,
				request.headers['stripe-signature'],
				{
					secrets,
					skipVerification: options.skipSignatureVerification === true,
					toleranceSeconds: options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS,
					events,
					mode: this.getNodeParameter('mode', 'all') as LivemodeFilter,
					fetchCurrentObject: options.fetchCurrentObject === true,
					skipStale: options.skipStaleEvents === true,
				},
				{
					now,
					claims: memory.claims,
					stale: memory.stale,
					get: async (path, headers) => {
						client ??= (await stripeClient(this, { maxRetries: 2, maxTotalMs: 8000 })).client;
						return client.get(path, undefined, { headers });
					},
				},
			),
		);
		if (!outcome.ok) {
			// The delivery is answered 500 so that Stripe retries it; its claim was released.
			throw toNodeError(this.getNode(), outcome.error);
		}
		const result = outcome.value;
		if (result.status === 400) {
			// The sender gets a generic answer; what to fix (and hints about the secret) goes to n8n's log.
			this.logger.warn(`Stripe RevOps Trigger rejected a delivery (${result.reason}): ${result.detail}`, {
				workflowId: this.getWorkflow().id,
				node: this.getNode().name,
			});
			response.status(400).json({ error: { reason: result.reason, message: result.message } });
			return { noWebhookResponse: true };
		}
		if (result.status === 409) {
			// Not a 2xx: if the delivery in flight fails, Stripe must still hold this event as undelivered.
			response.status(409).json({ received: false, emitted: false, reason: 'inFlight', id: result.eventId });
			return { noWebhookResponse: true };
		}
		if ('dropped' in result) {
			response.status(200).json({ received: true, emitted: false, reason: result.dropped, id: result.eventId });
			return { noWebhookResponse: true };
		}
		const built = settleSync(() => {
			const emit = result.emit;
			const item = flattenEvent(emit.event as TriggerEvent, { currentObject: emit.currentObject ?? undefined });
			const extra: IDataObject = {};
			if (emit.currentObject !== undefined) extra.currentObject = emit.currentObject as IDataObject | null;
			if (emit.objectDeleted !== undefined) extra.objectDeleted = emit.objectDeleted;
			return { ...item, ...extra } as unknown as IDataObject;
		});
		if (!built.ok) {
			memory.claims.release(result.eventId);
			throw toNodeError(this.getNode(), built.error);
		}
		// Recorded only now that the event is handed to n8n: a failed delivery must not make its own retry "stale".
		if (options.skipStaleEvents && result.emit.staleRef) memory.stale.record(result.emit.staleRef, now);
		return {
			webhookResponse: { received: true, emitted: true, id: result.eventId },
			workflowData: [[{ json: built.value }]],
		};
	}
}

/** Says in n8n's log which endpoints activation deleted, and which it could not delete. */
function logEndpointChanges(context: IHookFunctions, result: EnsureResult): void {
	for (const d of result.deleted) {
		if (d.reason === 'foreign') {
			context.logger.warn(
				`Stripe RevOps Trigger: deleted webhook endpoint ${d.id} at ${d.url}: it was not created by this trigger, and its signing secret cannot be read from Stripe, so its deliveries could not be verified`,
			);
		} else if (d.reason === 'oldUrl') {
			context.logger.info(`Stripe RevOps Trigger: deleted this trigger's webhook endpoint ${d.id} at its old URL ${d.url} (n8n's webhook URL changed)`);
		} else {
			context.logger.info(`Stripe RevOps Trigger: replaced webhook endpoint ${d.id} (API version changed or signing secret missing)`);
		}
	}
	for (const f of result.failedDeletes) {
		context.logger.warn(
			`Stripe RevOps Trigger: could not delete webhook endpoint ${f.id} at ${f.url} (${f.reason}): ${f.message}. Delete it in the Stripe Dashboard; it will not be retried.`,
		);
	}
}

function settleSync<T>(fn: () => T): { ok: true; value: T } | { ok: false; error: unknown } {
	try {
		return { ok: true, value: fn() };
	} catch (error) {
		return { ok: false, error };
	}
}

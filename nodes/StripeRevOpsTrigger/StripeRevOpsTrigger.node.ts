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
import { DEFAULT_WINDOW_MAX_SIZE } from '../../lib/events/dedupe';
import type { LivemodeFilter } from '../../lib/events/filter';
import { flattenEvent, type TriggerEvent } from '../../lib/events/flatten';
import { settle } from '../../lib/stripe/errors';
import { endpointMatches, ensureEndpoint, removeEndpoint, type EndpointSpec, type EndpointState } from '../../lib/triggers/endpoint';
import { receiveDelivery } from '../../lib/triggers/receive';
import { DEFAULT_TOLERANCE_SECONDS } from '../../lib/webhooks/signature';
import { eventsParameter, fetchCurrentObjectOption, modeParameter } from '../shared/eventParameters';
import { CREDENTIAL_NAME, stripeClient, toNodeError } from '../shared/stripeApi';
import { dropTriggerMemory, existingTriggerMemory, persistTriggerMemory, triggerMemory } from '../shared/triggerState';

interface TriggerOptions {
	toleranceSeconds?: number;
	fetchCurrentObject?: boolean;
	skipStaleEvents?: boolean;
	skipSignatureVerification?: boolean;
	dedupeWindowSize?: number;
	endpointDescription?: string;
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

function endpointState(staticData: IDataObject): EndpointState {
	return (staticData.endpoint as EndpointState | undefined) ?? {};
}

function secretsFrom(value: string): string[] {
	return value
		.split(/[,\n]/)
		.map((s) => s.trim())
		.filter(Boolean);
}

export class StripeRevOpsTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Stripe RevOps Trigger',
		name: 'stripeRevOpsTrigger',
		icon: { light: 'file:stripeRevOps.svg', dark: 'file:stripeRevOps.dark.svg' },
		group: ['trigger'],
		// Version 2 behaves like 1. It exists because n8n skips building an expression sandbox in the
		// webhook phase for typeVersion > 1 when N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE=true (see README, throughput).
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
						displayName: 'Deduplication Window (Events)',
						name: 'dedupeWindowSize',
						type: 'number',
						typeOptions: { minValue: 100 },
						default: 2000,
						description:
							'How many event IDs to remember (for up to 30 days, across restarts). Stripe delivers at least once; a repeat within the window is acknowledged and not emitted again.',
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
				if (this.getNodeParameter('registration') === 'manual') return true;
				const { client, credentials } = await stripeClient(this);
				const staticData = this.getWorkflowStaticData('node');
				const outcome = await settle(endpointMatches(client, endpointSpec(this, credentials.apiVersion as string), endpointState(staticData)));
				if (!outcome.ok) throw toNodeError(this.getNode(), outcome.error);
				return outcome.value;
			},
			async create(this: IHookFunctions): Promise<boolean> {
				if (this.getNodeParameter('registration') === 'manual') return true;
				const { client, credentials } = await stripeClient(this);
				const staticData = this.getWorkflowStaticData('node');
				const spec = endpointSpec(this, (credentials.apiVersion as string) || undefined);
				const outcome = await settle(ensureEndpoint(client, spec, endpointState(staticData)));
				if (!outcome.ok) throw toNodeError(this.getNode(), outcome.error);
				staticData.endpoint = outcome.value.state as IDataObject;
				return true;
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				dropTriggerMemory(`${this.getWorkflow().id}:${this.getNode().id}`);
				if (this.getNodeParameter('registration') === 'manual') return true;
				const { client } = await stripeClient(this);
				const staticData = this.getWorkflowStaticData('node');
				const outcome = await settle(removeEndpoint(client, endpointState(staticData)));
				if (!outcome.ok) throw toNodeError(this.getNode(), outcome.error);
				delete staticData.endpoint;
				return true;
			},
		},
	};

	/**
	 * Runs inside the execution a delivery started (n8n calls a node's execute() before treating it
	 * as a webhook pass-through): passes the event on unchanged and writes the trigger's memory into
	 * the execution's static data, which n8n saves when the execution ends, so the memory of emitted
	 * events survives a restart.
	 */
	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const staticData = this.getWorkflowStaticData('node');
		const memory = existingTriggerMemory(`${this.getWorkflow().id}:${this.getNode().id}`);
		if (memory) persistTriggerMemory(memory, staticData);
		return [items.map((item, index) => ({ ...item, pairedItem: { item: index } }))];
	}

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const request = this.getRequestObject();
		const response = this.getResponseObject();
		const staticData = this.getWorkflowStaticData('node');
		const options = this.getNodeParameter('options', {}) as TriggerOptions;
		const registration = this.getNodeParameter('registration') as string;
		const secrets =
			registration === 'manual'
				? secretsFrom(this.getNodeParameter('signingSecret', '') as string)
				: [endpointState(staticData).secret ?? ''].filter(Boolean);
		if (!options.skipSignatureVerification && secrets.length === 0) {
			throw new NodeOperationError(
				this.getNode(),
				registration === 'manual'
					? 'No signing secret is set. Paste the endpoint\'s signing secret (whsec_…) into "Signing Secret".'
					: 'This trigger has no signing secret for its endpoint. Deactivate and activate the workflow again so the endpoint is registered.',
			);
		}
		const memory = triggerMemory(`${this.getWorkflow().id}:${this.getNode().id}`, staticData, {
			maxSize: options.dedupeWindowSize ?? DEFAULT_WINDOW_MAX_SIZE,
		});
		const rawBody = (request as unknown as { rawBody?: Buffer }).rawBody;
		let client: Awaited<ReturnType<typeof stripeClient>>['client'] | undefined;
		const events = normalizeEventSelection(this.getNodeParameter('events', []) as string[], { allowUnknown: true });
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
					now: Math.floor(Date.now() / 1000),
					seen: memory.seen,
					stale: memory.stale,
					get: async (path, headers) => {
						client ??= (await stripeClient(this, { maxRetries: 2, maxTotalMs: 8000 })).client;
						return client.get(path, undefined, { headers });
					},
				},
			),
		);
		if (!outcome.ok) {
			// The delivery is answered 500 so that Stripe retries it; its id was released.
			throw toNodeError(this.getNode(), outcome.error);
		}
		const result = outcome.value;
		if ('reason' in result) {
			response.status(400).json({ error: { reason: result.reason, message: result.message } });
			return { noWebhookResponse: true };
		}
		if ('dropped' in result) {
			// A request that starts no execution gets its static data saved by n8n: keep the snapshot fresh.
			if (result.dropped === 'duplicate') persistTriggerMemory(memory, staticData);
			response.status(200).json({ received: true, emitted: false, reason: result.dropped, id: result.eventId });
			return { noWebhookResponse: true };
		}
		// The memory is persisted by execute(), inside the execution this starts: n8n 2.41 does not save
		// static data written here when the request starts an execution (its runner re-wraps the same
		// object and clears the change flag), and serialising it here too would cost CPU per request.
		const item = flattenEvent(result.emit.event as TriggerEvent, { currentObject: result.emit.currentObject });
		const json = { ...item, ...(result.emit.currentObject ? { currentObject: result.emit.currentObject } : {}) } as unknown as IDataObject;
		return {
			webhookResponse: { received: true, emitted: true, id: result.eventId },
			workflowData: [[{ json }]],
		};
	}
}

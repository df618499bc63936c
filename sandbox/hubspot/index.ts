/**
 * HubSpot sandbox: a stateful, HubSpot-CRM-compatible HTTP server on 127.0.0.1 (contacts, companies, tasks, notes;
 * batch, search, properties, v4 associations; private-app rate limits). As strict as HubSpot where we know what
 * HubSpot does, so code that passes here does not meet surprises there. See sandbox/hubspot/README.md.
 */
import type { AddressInfo } from 'node:net';
import { Crm } from './routes';
import { Schema, type ObjectType } from './schema';
import { HubSpotServer } from './server';
import { Store, type HubSpotObject } from './store';

export type { HubSpotObject } from './store';
export { DEFAULT_ASSOCIATION_TYPES } from './store';
export { OBJECT_TYPE_IDS } from './schema';

export interface HubSpotSandboxOptions {
	/** Port to listen on; default 0 = a free port. The host is always 127.0.0.1. */
	port?: number;
	/** The private-app token accepted as `Authorization: Bearer …`. */
	token?: string;
	/** Burst limit, a rolling window (default 100 per 10 s: a private app on the lower tiers); false disables all rate limits but the daily one. */
	rateLimit?: { max: number; intervalMs: number } | false;
	/** Requests per day (default 250,000). */
	dailyLimit?: number;
	/** Seed for ids and correlation ids (default 1). */
	seed?: number;
	/** The CRM search endpoints' own limit (default 5 per second), on top of `rateLimit`; false disables it. */
	searchRateLimit?: { max: number; intervalMs: number } | false;
}

export interface HubSpotSandbox {
	url: string;
	port: number;
	token: string;
	close(): Promise<void>;
	setRateLimit(limit: HubSpotSandboxOptions['rateLimit']): void;
	/** White-box views for tests. */
	objects(type: 'contacts' | 'companies' | 'tasks' | 'notes'): HubSpotObject[];
	findBy(type: 'contacts' | 'companies', property: string, value: string): HubSpotObject | undefined;
	/** Ids of the live records associated with one record. */
	associations(fromType: string, fromId: string, toType: string): string[];
	propertyDefinitions(type: 'contacts' | 'companies'): Array<Record<string, unknown>>;
	/** Every request, in order (401s and 429s included). */
	requests(): Array<{ method: string; path: string; status: number; at: number }>;
}

export const DEFAULT_HUBSPOT_TOKEN = 'pat-na1-00000000-0000-4000-8000-000000000000';
export const DEFAULT_HUBSPOT_RATE_LIMIT = { max: 100, intervalMs: 10_000 };
export const DEFAULT_HUBSPOT_SEARCH_RATE_LIMIT = { max: 5, intervalMs: 1000 };
export const DEFAULT_HUBSPOT_DAILY_LIMIT = 250_000;

const copy = (o: HubSpotObject): HubSpotObject => ({ ...o, properties: { ...o.properties } });

export async function startHubSpotSandbox(options: HubSpotSandboxOptions = {}): Promise<HubSpotSandbox> {
	const token = options.token ?? DEFAULT_HUBSPOT_TOKEN;
	if (!/^\S+$/.test(token)) throw new Error(`token must be a non-empty string without spaces, got '${token}'`);
	const seed = options.seed ?? 1;
	const rateLimit = options.rateLimit === undefined ? DEFAULT_HUBSPOT_RATE_LIMIT : options.rateLimit;
	const schema = new Schema(new Date().toISOString());
	const store = new Store(seed);
	const crm = new Crm(schema, store);
	const server = new HubSpotServer(crm, {
		token,
		rateLimit,
		searchRateLimit: options.searchRateLimit === undefined ? DEFAULT_HUBSPOT_SEARCH_RATE_LIMIT : options.searchRateLimit,
		dailyLimit: options.dailyLimit ?? DEFAULT_HUBSPOT_DAILY_LIMIT,
		seed,
	});
	await new Promise<void>((resolve, reject) => {
		server.http.once('error', reject);
		server.http.listen(options.port ?? 0, '127.0.0.1', () => resolve());
	});
	const port = (server.http.address() as AddressInfo).port;
	let closed = false;
	const type = (t: string): ObjectType => {
		const map: Record<string, ObjectType> = { contact: 'contacts', company: 'companies', task: 'tasks', note: 'notes' };
		const r = (map[t] ?? t) as ObjectType;
		if (!['contacts', 'companies', 'tasks', 'notes'].includes(r)) throw new Error(`unknown object type '${t}'`);
		return r;
	};
	return {
		url: `http://127.0.0.1:${port}`,
		port,
		token,
		setRateLimit: (l) => server.setRateLimit(l === undefined ? DEFAULT_HUBSPOT_RATE_LIMIT : l),
		objects: (t) => store.all(type(t)).map(copy),
		findBy: (t, property, value) => {
			const o = store.findBy(type(t), property, value);
			return o && copy(o);
		},
		associations: (from, fromId, to) => store.associations(type(from), fromId, type(to)).map((a) => a.id),
		propertyDefinitions: (t) => schema.list(type(t)).map((p) => JSON.parse(JSON.stringify(p)) as Record<string, unknown>),
		requests: () => server.log.map((r) => ({ ...r })),
		close: async () => {
			if (closed) return;
			closed = true;
			await new Promise<void>((resolve) => {
				server.http.close(() => resolve());
				server.http.closeIdleConnections();
				server.destroySockets();
			});
		},
	};
}

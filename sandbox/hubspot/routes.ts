/**
 * CRM v3 objects, batch, search and properties, and v4 associations: the handlers behind the HubSpot sandbox's routes.
 * Each handler returns `{status, body}` or throws a HubSpotError.
 */
import { HubSpotError, invalidValues, notFound, propertyError, validation, type PropertyValueError } from './errors';
import {
	CREATED_PROPERTY, DEFAULT_READ_PROPERTIES, MODIFIED_PROPERTY, OBJECT_TYPE_IDS, REQUIRED_ON_CREATE,
	asRecord, objectType, type ObjectType, type Schema,
} from './schema';
import { DEFAULT_ASSOCIATION_TYPES, associationLabel, validAssociationType, type HubSpotObject, type Store } from './store';

export interface Ctx {
	params: Record<string, string>;
	query: URLSearchParams;
	body: unknown;
}
export interface Reply {
	status: number;
	body?: unknown;
}
export type Handler = (ctx: Ctx) => Reply;
export interface Route {
	method: string;
	pattern: RegExp;
	keys: string[];
	handler: Handler;
	/** CRM search: its own per-second limit, and no X-HubSpot-RateLimit-* headers. */
	search?: boolean;
}

/** "Batch input limit" of the v3 object and property batch endpoints. */
export const MAX_BATCH = 100;
/** v4 association batch endpoints take more inputs per call. */
export const MAX_ASSOCIATION_BATCH = 1000;
export const MAX_SEARCH_LIMIT = 200;
/** HubSpot's search pages no further than 10,000 results. */
export const MAX_SEARCH_RESULTS = 10_000;
const MAX_FILTER_GROUPS = 5;
const MAX_FILTERS_PER_GROUP = 6;
const MAX_FILTERS = 18;

const iso = () => new Date().toISOString();

export class Crm {
	readonly routes: Route[] = [];

	constructor(
		private readonly schema: Schema,
		private readonly store: Store,
	) {
		const objects = '/crm/v3/objects/:type';
		this.add('POST', `${objects}/search`, (c) => this.search(c), true);
		this.add('POST', `${objects}/batch/create`, (c) => this.batchCreate(c));
		this.add('POST', `${objects}/batch/read`, (c) => this.batchRead(c));
		this.add('POST', `${objects}/batch/update`, (c) => this.batchUpdate(c, false));
		this.add('POST', `${objects}/batch/upsert`, (c) => this.batchUpdate(c, true));
		this.add('POST', `${objects}/batch/archive`, (c) => this.batchArchive(c));
		this.add('GET', objects, (c) => this.list(c));
		this.add('POST', objects, (c) => this.create(c));
		this.add('GET', `${objects}/:id`, (c) => this.read(c));
		this.add('PATCH', `${objects}/:id`, (c) => this.update(c));
		this.add('DELETE', `${objects}/:id`, (c) => this.archive(c));

		const props = '/crm/v3/properties/:type';
		this.add('GET', `${props}/groups`, (c) => ({ status: 200, body: { results: this.schema.listGroups(objectType(c.params.type)) } }));
		this.add('POST', `${props}/groups`, (c) => ({ status: 201, body: this.schema.createGroup(objectType(c.params.type), c.body) }));
		this.add('GET', `${props}/groups/:name`, (c) => ({ status: 200, body: this.schema.requireGroup(objectType(c.params.type), c.params.name) }));
		this.add('PATCH', `${props}/groups/:name`, (c) => ({ status: 200, body: this.schema.updateGroup(objectType(c.params.type), c.params.name, c.body) }));
		this.add('DELETE', `${props}/groups/:name`, (c) => (this.schema.archiveGroup(objectType(c.params.type), c.params.name), { status: 204 }));
		this.add('POST', `${props}/batch/create`, (c) => this.propertyBatchCreate(c));
		this.add('POST', `${props}/batch/read`, (c) => this.propertyBatchRead(c));
		this.add('POST', `${props}/batch/archive`, (c) => this.propertyBatchArchive(c));
		this.add('GET', props, (c) => ({ status: 200, body: { results: this.schema.list(objectType(c.params.type), c.query.get('archived') === 'true') } }));
		this.add('POST', props, (c) => ({ status: 201, body: this.schema.create(objectType(c.params.type), c.body, iso()) }));
		this.add('GET', `${props}/:name`, (c) => ({ status: 200, body: this.schema.require(objectType(c.params.type), c.params.name) }));
		this.add('PATCH', `${props}/:name`, (c) => ({ status: 200, body: this.schema.update(objectType(c.params.type), c.params.name, c.body, iso()) }));
		this.add('DELETE', `${props}/:name`, (c) => (this.schema.archive(objectType(c.params.type), c.params.name, iso()), { status: 204 }));

		const v4 = '/crm/v4/objects/:from/:fromId/associations';
		this.add('PUT', `${v4}/default/:to/:toId`, (c) => this.associateDefault(c));
		this.add('PUT', `${v4}/:to/:toId`, (c) => this.associateLabelled(c));
		this.add('DELETE', `${v4}/:to/:toId`, (c) => this.unassociate(c));
		this.add('GET', `${v4}/:to`, (c) => this.listAssociations(c));
		this.add('POST', '/crm/v4/associations/:from/:to/batch/associate/default', (c) => this.batchAssociateDefault(c));
	}

	private add(method: string, path: string, handler: Handler, search = false): void {
		const keys: string[] = [];
		const pattern = new RegExp(`^${path.replace(/:([a-zA-Z]+)/g, (_m, k: string) => (keys.push(k), '([^/]+)'))}/?$`);
		this.routes.push({ method, pattern, keys, handler, search });
	}

	// ---- objects ----

	/** The JSON a read returns: requested properties (null when unset) plus HubSpot's always-returned ones. */
	view(t: ObjectType, o: HubSpotObject, requested?: string[]): Record<string, unknown> {
		const names = requested && requested.length ? [...new Set([...requested, CREATED_PROPERTY[t], MODIFIED_PROPERTY[t], 'hs_object_id'])] : DEFAULT_READ_PROPERTIES[t];
		const properties: Record<string, string | null> = {};
		for (const n of names.sort()) if (this.schema.get(t, n)) properties[n] = o.properties[n] ?? null;
		const out: Record<string, unknown> = { id: o.id, properties, createdAt: o.createdAt, updatedAt: o.updatedAt, archived: o.archived };
		if (o.archivedAt) out.archivedAt = o.archivedAt;
		return out;
	}

	/** After a write HubSpot echoes every property that has a value. */
	private written(t: ObjectType, o: HubSpotObject): Record<string, unknown> {
		const set = Object.keys(o.properties).filter((k) => o.properties[k] !== null && o.properties[k] !== '');
		return this.view(t, o, set);
	}

	private propertiesParam(q: URLSearchParams): string[] | undefined {
		const all = q.getAll('properties').flatMap((p) => p.split(',')).map((p) => p.trim()).filter(Boolean);
		return all.length ? all : undefined;
	}

	/** Validates a properties map; returns the checked values or the list of value errors. */
	private checkProperties(t: ObjectType, raw: unknown, creating: boolean): { values: Record<string, string | null> } | { errors: PropertyValueError[] } {
		if (raw === undefined || raw === null) raw = {};
		const props = asRecord(raw, 'properties');
		const values: Record<string, string | null> = {};
		const errors: PropertyValueError[] = [];
		for (const [k, v] of Object.entries(props)) {
			const r = this.schema.checkValue(t, k, v);
			if ('error' in r) errors.push(r.error);
			else values[k] = r.value;
		}
		if (creating) for (const req of REQUIRED_ON_CREATE[t]) if (values[req] === undefined || values[req] === null || values[req] === '') errors.push(propertyError(req, 'REQUIRED_PROPERTY', `Property "${req}" is required`));
		return errors.length ? { errors } : { values };
	}

	/** Unique-value conflicts (contact email, custom hasUniqueValue properties) against other live records. */
	private uniqueConflict(t: ObjectType, values: Record<string, string | null>, selfId?: string): HubSpotError | undefined {
		for (const [k, v] of Object.entries(values)) {
			if (v === null || v === '') continue;
			const def = this.schema.get(t, k);
			if (!def?.hasUniqueValue || k === 'hs_object_id') continue;
			const other = this.store.findBy(t, k, v);
			if (other && other.id !== selfId) {
				if (t === 'contacts' && k === 'email') return new HubSpotError(409, 'CONFLICT', `Contact already exists. Existing ID: ${other.id}`);
				return new HubSpotError(409, 'CONFLICT', `A ${singular(t)} with ${k} '${v}' already exists. Existing ID: ${other.id}`, { context: { property: [k], existingId: [other.id] } });
			}
		}
		return undefined;
	}

	private newObject(t: ObjectType, values: Record<string, string | null>): HubSpotObject {
		const now = iso();
		const id = this.store.newId(t);
		const properties: Record<string, string | null> = { ...values, hs_object_id: id, [CREATED_PROPERTY[t]]: values[CREATED_PROPERTY[t]] ?? now, [MODIFIED_PROPERTY[t]]: now };
		return { id, properties, createdAt: now, updatedAt: now, archived: false };
	}

	private apply(t: ObjectType, o: HubSpotObject, values: Record<string, string | null>): void {
		const now = iso();
		Object.assign(o.properties, values, { [MODIFIED_PROPERTY[t]]: now });
		o.updatedAt = now;
	}

	/** The `associations` array of a v3 create: checked before anything is written. */
	private checkCreateAssociations(t: ObjectType, raw: unknown): Array<{ to: ObjectType; toId: string; typeId: number; reverse: number }> {
		if (raw === undefined || raw === null) return [];
		if (!Array.isArray(raw)) throw validation('Invalid input JSON: associations must be an array.');
		const out: Array<{ to: ObjectType; toId: string; typeId: number; reverse: number }> = [];
		for (const a of raw) {
			const r = asRecord(a, 'association');
			const toId = String(asRecord(r.to, 'association.to').id ?? '');
			if (!Array.isArray(r.types) || r.types.length === 0) throw validation('Invalid input JSON: association types must be a non-empty array.');
			for (const spec of r.types) {
				const s = asRecord(spec, 'association type');
				const typeId = Number(s.associationTypeId);
				if (s.associationCategory !== 'HUBSPOT_DEFINED') throw validation(`association category ${String(s.associationCategory)} is not supported here; the sandbox models HUBSPOT_DEFINED types only.`);
				const target = (['contacts', 'companies', 'tasks', 'notes'] as ObjectType[]).find((to) => validAssociationType(t, to, typeId));
				if (!target) throw validation(`${typeId} is not a valid HUBSPOT_DEFINED association type id from ${OBJECT_TYPE_IDS[t]}.`, { subCategory: 'crm.associations.INVALID_ASSOCIATION_TYPE' });
				if (!this.store.get(target, toId)) throw validation(`One or more associations are invalid: ${OBJECT_TYPE_IDS[target]} ${toId} does not exist.`, { subCategory: 'crm.associations.INVALID_OBJECT_IDS', context: { ids: [toId] } });
				out.push({ to: target, toId, typeId, reverse: validAssociationType(t, target, typeId)!.reverse });
			}
		}
		return out;
	}

	private create(c: Ctx): Reply {
		const t = objectType(c.params.type);
		const body = asRecord(c.body, 'request body');
		const r = this.checkProperties(t, body.properties, true);
		if ('errors' in r) throw invalidValues(r.errors);
		const conflict = this.uniqueConflict(t, r.values);
		if (conflict) throw conflict;
		const assocs = this.checkCreateAssociations(t, body.associations);
		const o = this.newObject(t, r.values);
		this.store.put(t, o);
		for (const a of assocs) this.store.associate(t, o.id, a.to, a.toId, a.typeId, a.reverse);
		return { status: 201, body: this.written(t, o) };
	}

	/** Finds a record by id or a unique `idProperty`; HubSpot refuses non-unique id properties. */
	private locate(t: ObjectType, id: string, idProperty: string | null | undefined, archived = false): HubSpotObject | undefined {
		if (!idProperty || idProperty === 'hs_object_id') return this.store.get(t, id, archived);
		this.requireUnique(t, idProperty);
		return archived ? undefined : this.store.findBy(t, idProperty, id);
	}

	private requireUnique(t: ObjectType, idProperty: string): void {
		const def = this.schema.get(t, idProperty);
		if (!def) throw validation(`Property "${idProperty}" does not exist`, { subCategory: 'PROPERTY_DOESNT_EXIST', context: { propertyName: [idProperty] } });
		if (!def.hasUniqueValue) throw validation(`Unable to perform update/upsert by non-unique ${OBJECT_TYPE_IDS[t]} property: ${idProperty}`, { context: { propertyName: [idProperty] } });
	}

	private read(c: Ctx): Reply {
		const t = objectType(c.params.type);
		const o = this.locate(t, c.params.id, c.query.get('idProperty'), c.query.get('archived') === 'true');
		if (!o) throw notFound('Object not found.  objectId are usually numeric.', { context: { id: [c.params.id] } });
		const body = this.view(t, o, this.propertiesParam(c.query));
		const assocTypes = c.query.getAll('associations').flatMap((a) => a.split(',')).filter(Boolean);
		if (assocTypes.length) {
			const associations: Record<string, unknown> = {};
			for (const raw of assocTypes) {
				const to = objectType(raw);
				const list = this.store.associations(t, o.id, to);
				if (list.length) associations[to] = { results: list.flatMap((a) => a.types.map((typeId) => ({ id: a.id, type: `${singular(t)}_to_${singular(to)}${associationLabel(t, to, typeId) ? '_primary' : ''}` }))) };
			}
			body.associations = associations;
		}
		return { status: 200, body };
	}

	private update(c: Ctx): Reply {
		const t = objectType(c.params.type);
		const o = this.locate(t, c.params.id, c.query.get('idProperty'));
		if (!o) throw notFound('Object not found.  objectId are usually numeric.', { context: { id: [c.params.id] } });
		const body = asRecord(c.body, 'request body');
		const r = this.checkProperties(t, body.properties, false);
		if ('errors' in r) throw invalidValues(r.errors);
		const conflict = this.uniqueConflict(t, r.values, o.id);
		if (conflict) throw conflict;
		this.apply(t, o, r.values);
		return { status: 200, body: this.written(t, o) };
	}

	/** HubSpot answers 204 whether or not the record existed. */
	private archive(c: Ctx): Reply {
		const t = objectType(c.params.type);
		const o = this.store.get(t, c.params.id);
		if (o) {
			o.archived = true;
			o.archivedAt = iso();
		}
		return { status: 204 };
	}

	private list(c: Ctx): Reply {
		const t = objectType(c.params.type);
		const limit = intParam(c.query.get('limit'), 'limit', 10);
		if (limit < 1 || limit > 100) throw validation(`limit must be between 1 and 100, got ${limit}.`, { context: { limit: [String(limit)] } });
		const archived = c.query.get('archived') === 'true';
		const after = c.query.get('after');
		if (after !== null && !/^\d+$/.test(after)) throw validation(`after must be a paging cursor from a previous response, got '${after}'.`);
		const all = this.store.all(t).filter((o) => o.archived === archived).sort((a, b) => Number(a.id) - Number(b.id));
		const start = after === null ? 0 : all.findIndex((o) => Number(o.id) >= Number(after));
		const page = start < 0 ? [] : all.slice(start, start + limit);
		const next = start >= 0 ? all[start + limit] : undefined;
		const props = this.propertiesParam(c.query);
		return { status: 200, body: { results: page.map((o) => this.view(t, o, props)), ...(next ? { paging: { next: { after: next.id, link: `?after=${next.id}` } } } : {}) } };
	}

	// ---- batch ----

	private inputs(body: unknown, max = MAX_BATCH): Record<string, unknown>[] {
		const b = asRecord(body, 'request body');
		if (!Array.isArray(b.inputs)) throw validation('Invalid input JSON: inputs must be an array.', { context: { inputs: ['missing'] } });
		if (b.inputs.length > max) throw validation(`Batch input limit exceeded: ${b.inputs.length} inputs given, at most ${max} are allowed.`, { context: { inputs: [String(b.inputs.length)], limit: [String(max)] } });
		return b.inputs.map((i, n) => asRecord(i, `inputs[${n}]`));
	}

	private rejectDuplicates(ids: string[]): void {
		const seen = new Set<string>();
		const dup = new Set<string>();
		for (const id of ids) (seen.has(id) ? dup : seen).add(id);
		if (dup.size) throw validation(`Duplicate IDs found in batch input: [${[...dup].join(', ')}]. IDs must be unique`, { context: { ids: [...dup] } });
	}

	private batchResponse(results: unknown[], errors: Array<Record<string, unknown>>, startedAt: string, okStatus: number): Reply {
		const body: Record<string, unknown> = { status: 'COMPLETE', results, startedAt, completedAt: iso() };
		if (errors.length) Object.assign(body, { numErrors: errors.length, errors });
		return { status: errors.length ? 207 : okStatus, body };
	}

	/** All-or-nothing, as HubSpot's batch create: one invalid input fails the whole batch. */
	private batchCreate(c: Ctx): Reply {
		const t = objectType(c.params.type);
		const startedAt = iso();
		const inputs = this.inputs(c.body);
		const checked = inputs.map((input) => {
			const r = this.checkProperties(t, input.properties, true);
			if ('errors' in r) throw invalidValues(r.errors);
			const conflict = this.uniqueConflict(t, r.values);
			if (conflict) throw conflict;
			return { values: r.values, assocs: this.checkCreateAssociations(t, input.associations) };
		});
		for (const def of this.schema.list(t).filter((d) => d.hasUniqueValue && d.name !== 'hs_object_id')) {
			this.rejectDuplicates(checked.map((x) => x.values[def.name]).filter((v): v is string => !!v));
		}
		const results = checked.map(({ values, assocs }) => {
			const o = this.newObject(t, values);
			this.store.put(t, o);
			for (const a of assocs) this.store.associate(t, o.id, a.to, a.toId, a.typeId, a.reverse);
			return this.written(t, o);
		});
		return this.batchResponse(results, [], startedAt, 201);
	}

	private batchRead(c: Ctx): Reply {
		const t = objectType(c.params.type);
		const startedAt = iso();
		const body = asRecord(c.body, 'request body');
		const inputs = this.inputs(body);
		const idProperty = typeof body.idProperty === 'string' ? body.idProperty : undefined;
		const ids = inputs.map((i) => String(i.id ?? ''));
		this.rejectDuplicates(ids);
		const props = Array.isArray(body.properties) ? body.properties.map(String) : undefined;
		const archived = c.query.get('archived') === 'true';
		const results: unknown[] = [];
		const missing: string[] = [];
		for (const id of ids) {
			const o = this.locate(t, id, idProperty, archived);
			if (o) results.push(this.view(t, o, props));
			else missing.push(id);
		}
		const errors = missing.length
			? [{ status: 'error', category: 'OBJECT_NOT_FOUND', message: `Could not get some ${singular(t).toUpperCase()} objects, they may be deleted or not exist. Check that ids are valid.`, context: { ids: missing } }]
			: [];
		return this.batchResponse(results, errors, startedAt, 200);
	}

	/**
	 * batch/update and batch/upsert: each input stands alone (a bad one is reported in `errors` with 207, the good
	 * ones are applied). Upsert needs a unique `idProperty` and creates what it does not find.
	 */
	private batchUpdate(c: Ctx, upsert: boolean): Reply {
		const t = objectType(c.params.type);
		const startedAt = iso();
		const inputs = this.inputs(c.body);
		const idProps = new Set(inputs.map((i) => (typeof i.idProperty === 'string' ? i.idProperty : 'hs_object_id')));
		for (const p of idProps) if (p !== 'hs_object_id') this.requireUnique(t, p);
		this.rejectDuplicates(inputs.map((i) => {
			const p = typeof i.idProperty === 'string' ? i.idProperty : 'hs_object_id';
			const id = String(i.id ?? '');
			return `${p === 'email' ? id.trim().toLowerCase() : id}`;
		}));
		const results: unknown[] = [];
		const errors: Array<Record<string, unknown>> = [];
		const fail = (id: string, e: HubSpotError | PropertyValueError[]) => {
			if (Array.isArray(e)) {
				errors.push({
					status: 'error', category: 'VALIDATION_ERROR', message: `Property values were not valid: ${JSON.stringify(e)}`,
					context: { ids: [id], propertyName: e.map((x) => x.name) },
					errors: e.map((x) => ({ message: x.message, code: x.error, in: x.name, context: { propertyName: [x.name] } })),
				});
			} else {
				errors.push({ status: 'error', category: e.category, message: e.message, context: { ids: [id], ...(e.extra.context ?? {}) }, ...(e.extra.subCategory ? { subCategory: e.extra.subCategory } : {}) });
			}
		};
		for (const input of inputs) {
			const id = input.id === undefined || input.id === null ? '' : String(input.id);
			const idProperty = typeof input.idProperty === 'string' ? input.idProperty : 'hs_object_id';
			const r = this.checkProperties(t, input.properties, false);
			if ('errors' in r) {
				fail(id, r.errors);
				continue;
			}
			let key = id;
			if (idProperty !== 'hs_object_id') {
				const k = this.schema.checkValue(t, idProperty, id);
				if ('error' in k) {
					fail(id, [k.error]);
					continue;
				}
				if (k.value === null || k.value === '') {
					fail(id, [propertyError(idProperty, 'REQUIRED_PROPERTY', `An id value for ${idProperty} is required`)]);
					continue;
				}
				key = k.value;
			}
			const existing = this.locate(t, key, idProperty);
			if (!existing && !(upsert && idProperty !== 'hs_object_id')) {
				fail(id, notFound(`Object not found.  objectId are usually numeric.`));
				continue;
			}
			const values = existing ? r.values : { ...r.values, [idProperty]: key };
			if (!existing) {
				const missing = REQUIRED_ON_CREATE[t].filter((p) => !values[p]);
				if (missing.length) {
					fail(id, missing.map((p) => propertyError(p, 'REQUIRED_PROPERTY', `Property "${p}" is required`)));
					continue;
				}
			}
			const conflict = this.uniqueConflict(t, values, existing?.id);
			if (conflict) {
				fail(id, conflict);
				continue;
			}
			if (existing) {
				this.apply(t, existing, values);
				results.push(upsert ? { ...this.written(t, existing), new: false } : this.written(t, existing));
			} else {
				const o = this.newObject(t, values);
				this.store.put(t, o);
				results.push({ ...this.written(t, o), new: true });
			}
		}
		return this.batchResponse(results, errors, startedAt, 200);
	}

	private batchArchive(c: Ctx): Reply {
		const t = objectType(c.params.type);
		const inputs = this.inputs(c.body);
		const ids = inputs.map((i) => String(i.id ?? ''));
		this.rejectDuplicates(ids);
		for (const id of ids) {
			const o = this.store.get(t, id);
			if (o) {
				o.archived = true;
				o.archivedAt = iso();
			}
		}
		return { status: 204 };
	}

	// ---- search ----

	private search(c: Ctx): Reply {
		const t = objectType(c.params.type);
		const body = asRecord(c.body ?? {}, 'request body');
		const limit = body.limit === undefined ? 10 : Number(body.limit);
		if (!Number.isInteger(limit) || limit < 0 || limit > MAX_SEARCH_LIMIT) throw validation(`limit must be an integer between 0 and ${MAX_SEARCH_LIMIT}, got ${JSON.stringify(body.limit)}.`);
		const after = body.after === undefined || body.after === null || body.after === '' ? 0 : Number(body.after);
		if (!Number.isInteger(after) || after < 0) throw validation(`after must be a paging cursor from a previous response, got ${JSON.stringify(body.after)}.`);
		if (after + limit > MAX_SEARCH_RESULTS) throw validation(`Search results are limited to ${MAX_SEARCH_RESULTS} (after ${after} + limit ${limit}); narrow the filters instead of paging further.`);
		const groups = body.filterGroups === undefined ? [] : body.filterGroups;
		if (!Array.isArray(groups)) throw validation('Invalid input JSON: filterGroups must be an array.');
		if (groups.length > MAX_FILTER_GROUPS) throw validation(`Too many filter groups: ${groups.length}; at most ${MAX_FILTER_GROUPS} are allowed.`);
		let total = 0;
		const parsed = groups.map((g) => {
			const filters = asRecord(g, 'filter group').filters ?? [];
			if (!Array.isArray(filters)) throw validation('Invalid input JSON: filters must be an array.');
			if (filters.length > MAX_FILTERS_PER_GROUP) throw validation(`Too many filters in a group: ${filters.length}; at most ${MAX_FILTERS_PER_GROUP} are allowed.`);
			total += filters.length;
			return filters.map((f) => this.filter(t, asRecord(f, 'filter')));
		});
		if (total > MAX_FILTERS) throw validation(`Too many filters: ${total}; at most ${MAX_FILTERS} are allowed in all groups together.`);
		const sorts = Array.isArray(body.sorts) ? body.sorts : body.sorts === undefined ? [] : null;
		if (sorts === null) throw validation('Invalid input JSON: sorts must be an array.');
		if (sorts.length > 1) throw validation('Only one sort is allowed.');
		const sort = sorts.length ? this.sortSpec(t, sorts[0]) : { name: 'hs_object_id', desc: false };
		const query = typeof body.query === 'string' ? body.query.trim().toLowerCase() : '';
		let rows = this.store.all(t).filter((o) => !o.archived);
		if (parsed.length) rows = rows.filter((o) => parsed.some((fs) => fs.every((f) => f(o))));
		if (query) rows = rows.filter((o) => searchable(t).some((p) => (o.properties[p] ?? '').toLowerCase().includes(query)));
		const numeric = ['number', 'datetime', 'date'].includes(this.schema.get(t, sort.name)?.type ?? '') || sort.name === 'hs_object_id';
		rows.sort((a, b) => {
			const x = a.properties[sort.name] ?? null;
			const y = b.properties[sort.name] ?? null;
			let d: number;
			if (x === null || y === null) d = x === y ? 0 : x === null ? 1 : -1;
			else d = numeric ? sortKey(x) - sortKey(y) : x.localeCompare(y);
			if (sort.desc && x !== null && y !== null) d = -d;
			return d || Number(a.id) - Number(b.id);
		});
		const props = Array.isArray(body.properties) && body.properties.length ? body.properties.map(String) : undefined;
		const page = rows.slice(after, after + limit);
		const more = after + limit < rows.length && limit > 0;
		return {
			status: 200,
			body: { total: rows.length, results: page.map((o) => this.view(t, o, props)), ...(more ? { paging: { next: { after: String(after + limit), link: '' } } } : {}) },
		};
	}

	private sortSpec(t: ObjectType, raw: unknown): { name: string; desc: boolean } {
		let name: string;
		let desc = false;
		if (typeof raw === 'string') {
			desc = raw.startsWith('-');
			name = raw.replace(/^-/, '');
		} else {
			const s = asRecord(raw, 'sort');
			name = String(s.propertyName ?? '');
			if (s.direction !== undefined && s.direction !== 'ASCENDING' && s.direction !== 'DESCENDING') throw validation(`sort direction must be ASCENDING or DESCENDING, got ${JSON.stringify(s.direction)}.`);
			desc = s.direction === 'DESCENDING';
		}
		if (!this.schema.get(t, name)) throw validation(`There was a problem with the request: cannot sort by unknown property '${name}'.`, { context: { propertyName: [name] } });
		return { name, desc };
	}

	private filter(t: ObjectType, f: Record<string, unknown>): (o: HubSpotObject) => boolean {
		const name = String(f.propertyName ?? '');
		const op = String(f.operator ?? '');
		const def = this.schema.get(t, name);
		if (!def) throw validation(`There was a problem with the request: filter on unknown property '${name}'.`, { context: { propertyName: [name] } });
		const numeric = ['number', 'date', 'datetime'].includes(def.type);
		const norm = (v: string) => (numeric ? sortKey(v) : v.toLowerCase());
		const need = (k: 'value' | 'highValue'): string => {
			const v = f[k];
			if (v === undefined || v === null) throw validation(`Filter ${op} on '${name}' needs a ${k}.`);
			const s = String(v);
			if (numeric && Number.isNaN(sortKey(s))) throw validation(`Filter value '${s}' for '${name}' is not a valid ${def.type}.`);
			return s;
		};
		const list = (): string[] => {
			if (!Array.isArray(f.values) || f.values.length === 0) throw validation(`Filter ${op} on '${name}' needs a non-empty values array.`);
			return f.values.map(String);
		};
		const get = (o: HubSpotObject) => {
			const v = o.properties[name];
			return v === undefined || v === null || v === '' ? null : v;
		};
		const cmp = (pred: (a: number | string, b: number | string) => boolean, value: string) => {
			const w = norm(value);
			return (o: HubSpotObject) => {
				const v = get(o);
				return v !== null && pred(norm(v), w);
			};
		};
		switch (op) {
			case 'EQ':
				return cmp((a, b) => a === b, need('value'));
			case 'NEQ': {
				const w = norm(need('value'));
				return (o) => {
					const v = get(o);
					return v === null || norm(v) !== w;
				};
			}
			case 'GT':
				return cmp((a, b) => a > b, need('value'));
			case 'GTE':
				return cmp((a, b) => a >= b, need('value'));
			case 'LT':
				return cmp((a, b) => a < b, need('value'));
			case 'LTE':
				return cmp((a, b) => a <= b, need('value'));
			case 'BETWEEN': {
				const lo = norm(need('value'));
				const hi = norm(need('highValue'));
				return (o) => {
					const v = get(o);
					return v !== null && norm(v) >= lo && norm(v) <= hi;
				};
			}
			case 'IN':
			case 'NOT_IN': {
				const set = new Set(list().map(norm));
				return op === 'IN' ? (o) => get(o) !== null && set.has(norm(get(o)!)) : (o) => get(o) === null || !set.has(norm(get(o)!));
			}
			case 'HAS_PROPERTY':
				return (o) => get(o) !== null;
			case 'NOT_HAS_PROPERTY':
				return (o) => get(o) === null;
			case 'CONTAINS_TOKEN':
			case 'NOT_CONTAINS_TOKEN': {
				const pattern = tokenPattern(need('value'));
				const has = (o: HubSpotObject) => {
					const v = get(o);
					return v !== null && (pattern.test(v) || v.split(/[\s@.,;:_\-/]+/).some((tok) => pattern.test(tok)));
				};
				return op === 'CONTAINS_TOKEN' ? has : (o) => !has(o);
			}
			default:
				throw validation(`Unknown filter operator '${op}'.`, { context: { operator: [op] } });
		}
	}

	// ---- properties batch ----

	private propertyBatchCreate(c: Ctx): Reply {
		const t = objectType(c.params.type);
		const startedAt = iso();
		const inputs = this.inputs(c.body);
		this.rejectDuplicates(inputs.map((i) => String(i.name ?? '')));
		const results: unknown[] = [];
		const errors: Array<Record<string, unknown>> = [];
		for (const input of inputs) {
			try {
				results.push(this.schema.create(t, input, iso()));
			} catch (e) {
				if (!(e instanceof HubSpotError)) throw e;
				errors.push({ status: 'error', category: e.category, message: e.message, context: { name: [String(input.name ?? '')], ...(e.extra.context ?? {}) }, ...(e.extra.subCategory ? { subCategory: e.extra.subCategory } : {}) });
			}
		}
		return this.batchResponse(results, errors, startedAt, 201);
	}

	private propertyBatchRead(c: Ctx): Reply {
		const t = objectType(c.params.type);
		const startedAt = iso();
		const body = asRecord(c.body, 'request body');
		const inputs = this.inputs(body);
		const archived = body.archived === true;
		const results: unknown[] = [];
		const missing: string[] = [];
		for (const i of inputs) {
			const name = String(i.name ?? '');
			const p = this.schema.list(t, archived).find((x) => x.name === name);
			if (p) results.push(p);
			else missing.push(name);
		}
		const errors = missing.length ? [{ status: 'error', category: 'OBJECT_NOT_FOUND', message: `Unable to find properties ${missing.join(', ')}`, context: { names: missing } }] : [];
		return this.batchResponse(results, errors, startedAt, 200);
	}

	private propertyBatchArchive(c: Ctx): Reply {
		const t = objectType(c.params.type);
		for (const i of this.inputs(c.body)) this.schema.archive(t, String(i.name ?? ''), iso());
		return { status: 204 };
	}

	// ---- associations v4 ----

	private pair(c: Ctx): { from: ObjectType; to: ObjectType; typeId: number; reverse: number } {
		const from = objectType(c.params.from);
		const to = objectType(c.params.to);
		const typeId = defaultType(from, to);
		return { from, to, typeId, reverse: defaultType(to, from) };
	}

	private requireObject(t: ObjectType, id: string): void {
		if (!this.store.get(t, id)) throw notFound(`No ${OBJECT_TYPE_IDS[t]} with id ${id} exists.`, { context: { id: [id], objectType: [OBJECT_TYPE_IDS[t]] } });
	}

	private associationResult(fromId: string, toId: string, typeId: number): Record<string, unknown> {
		return { from: { id: fromId }, to: { id: toId }, associationSpec: { associationCategory: 'HUBSPOT_DEFINED', associationTypeId: typeId } };
	}

	private associateDefault(c: Ctx): Reply {
		const startedAt = iso();
		const { from, to, typeId, reverse } = this.pair(c);
		this.requireObject(from, c.params.fromId);
		this.requireObject(to, c.params.toId);
		this.store.associate(from, c.params.fromId, to, c.params.toId, typeId, reverse);
		return this.batchResponse([this.associationResult(c.params.fromId, c.params.toId, typeId), this.associationResult(c.params.toId, c.params.fromId, reverse)], [], startedAt, 200);
	}

	private associateLabelled(c: Ctx): Reply {
		const from = objectType(c.params.from);
		const to = objectType(c.params.to);
		this.requireObject(from, c.params.fromId);
		this.requireObject(to, c.params.toId);
		if (!Array.isArray(c.body) || c.body.length === 0) throw validation('Invalid input JSON: expected a non-empty array of association specs.');
		const specs = c.body.map((s) => {
			const r = asRecord(s, 'association spec');
			const typeId = Number(r.associationTypeId);
			const v = r.associationCategory === 'HUBSPOT_DEFINED' ? validAssociationType(from, to, typeId) : undefined;
			if (!v) throw validation(`${String(r.associationCategory)} ${typeId} is not a valid association type from ${OBJECT_TYPE_IDS[from]} to ${OBJECT_TYPE_IDS[to]}.`, { subCategory: 'crm.associations.INVALID_ASSOCIATION_TYPE' });
			return { typeId, reverse: v.reverse };
		});
		for (const s of specs) this.store.associate(from, c.params.fromId, to, c.params.toId, s.typeId, s.reverse);
		const types = this.store.associations(from, c.params.fromId, to).find((a) => a.id === c.params.toId)?.types ?? [];
		return { status: 201, body: { fromObjectTypeId: OBJECT_TYPE_IDS[from], fromObjectId: Number(c.params.fromId), toObjectTypeId: OBJECT_TYPE_IDS[to], toObjectId: Number(c.params.toId), labels: types.map((x) => associationLabel(from, to, x)).filter((x): x is string => x !== null) } };
	}

	private unassociate(c: Ctx): Reply {
		this.store.unassociate(objectType(c.params.from), c.params.fromId, objectType(c.params.to), c.params.toId);
		return { status: 204 };
	}

	private listAssociations(c: Ctx): Reply {
		const from = objectType(c.params.from);
		const to = objectType(c.params.to);
		const limit = intParam(c.query.get('limit'), 'limit', 500);
		if (limit < 1 || limit > 500) throw validation(`limit must be between 1 and 500, got ${limit}.`);
		const after = intParam(c.query.get('after'), 'after', 0);
		const all = this.store.associations(from, c.params.fromId, to);
		const page = all.slice(after, after + limit);
		const results = page.map((a) => ({ toObjectId: Number(a.id), associationTypes: a.types.map((typeId) => ({ category: 'HUBSPOT_DEFINED', typeId, label: associationLabel(from, to, typeId) })) }));
		const more = after + limit < all.length;
		return { status: 200, body: { results, ...(more ? { paging: { next: { after: String(after + limit), link: '' } } } : {}) } };
	}

	private batchAssociateDefault(c: Ctx): Reply {
		const startedAt = iso();
		const { from, to, typeId, reverse } = this.pair(c);
		const inputs = this.inputs(c.body, MAX_ASSOCIATION_BATCH);
		const results: unknown[] = [];
		const errors: Array<Record<string, unknown>> = [];
		for (const input of inputs) {
			const fromId = String(asRecord(input.from, 'inputs[].from').id ?? '');
			const toId = String(asRecord(input.to, 'inputs[].to').id ?? '');
			const missing = [[from, fromId], [to, toId]].filter(([t, id]) => !this.store.get(t as ObjectType, id as string)).map(([t, id]) => `${OBJECT_TYPE_IDS[t as ObjectType]} ${id}`);
			if (missing.length) {
				errors.push({ status: 'error', category: 'VALIDATION_ERROR', subCategory: 'crm.associations.INVALID_OBJECT_IDS', message: `No objects exist for ${missing.join(', ')}.`, context: { fromId: [fromId], toId: [toId] } });
				continue;
			}
			this.store.associate(from, fromId, to, toId, typeId, reverse);
			results.push(this.associationResult(fromId, toId, typeId), this.associationResult(toId, fromId, reverse));
		}
		return this.batchResponse(results, errors, startedAt, 200);
	}
}

/** The HUBSPOT_DEFINED default type id from one object type to another (400 for pairs the sandbox does not model). */
function defaultType(from: ObjectType, to: ObjectType): number {
	const v = DEFAULT_ASSOCIATION_TYPES[`${from}→${to}`];
	if (v === undefined) throw validation(`There is no default association type from ${OBJECT_TYPE_IDS[from]} to ${OBJECT_TYPE_IDS[to]} in this sandbox.`, { subCategory: 'crm.associations.INVALID_ASSOCIATION_TYPE' });
	return v;
}

const singular = (t: ObjectType) => t.replace(/ies$/, 'y').replace(/s$/, '');

/** Properties the search `query` looks at (HubSpot's default searchable properties, roughly). */
function searchable(t: ObjectType): string[] {
	return { contacts: ['firstname', 'lastname', 'email', 'phone', 'company'], companies: ['name', 'domain', 'website', 'phone'], tasks: ['hs_task_subject', 'hs_task_body'], notes: ['hs_note_body'] }[t];
}

/** Numbers, epoch ms and ISO dates, comparable. */
function sortKey(v: string): number {
	if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v);
	const ms = Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v);
	return Number.isNaN(ms) ? NaN : ms;
}

/** CONTAINS_TOKEN value with `*` wildcards → a whole-token, case-insensitive pattern. */
function tokenPattern(v: string): RegExp {
	const body = v.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*');
	return new RegExp(`^${body}$`, 'i');
}

function intParam(v: string | null, name: string, def: number): number {
	if (v === null || v === '') return def;
	if (!/^\d+$/.test(v)) throw validation(`${name} must be a non-negative integer, got '${v}'.`, { context: { [name]: [v] } });
	return Number(v);
}

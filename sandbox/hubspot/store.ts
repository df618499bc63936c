/**
 * CRM records and associations in memory. Records keep only the properties that were set (as strings); reads fill
 * in null for requested-but-empty ones, as HubSpot does.
 */
import { Rng } from '../core/rng';
import { OBJECT_TYPES, type ObjectType } from './schema';

export interface HubSpotObject {
	id: string;
	properties: Record<string, string | null>;
	createdAt: string;
	updatedAt: string;
	archived: boolean;
	archivedAt?: string;
}

/** HubSpot-defined default association type ids, by `from→to` (both directions are written together). */
export const DEFAULT_ASSOCIATION_TYPES: Record<string, number> = {
	'contacts→companies': 279, 'companies→contacts': 280,
	'contacts→tasks': 203, 'tasks→contacts': 204,
	'contacts→notes': 201, 'notes→contacts': 202,
	'companies→tasks': 191, 'tasks→companies': 192,
	'companies→notes': 189, 'notes→companies': 190,
};
/** Further HUBSPOT_DEFINED types accepted on create (contact↔company primary). */
const EXTRA_ASSOCIATION_TYPES: Record<string, Record<number, string>> = {
	'contacts→companies': { 1: 'Primary' },
	'companies→contacts': { 2: 'Primary' },
};

export function associationLabel(from: ObjectType, to: ObjectType, typeId: number): string | null {
	return EXTRA_ASSOCIATION_TYPES[`${from}→${to}`]?.[typeId] ?? null;
}

/** The reverse type id of a HUBSPOT_DEFINED association (279 ↔ 280, 1 ↔ 2, …), or undefined when unknown. */
export function validAssociationType(from: ObjectType, to: ObjectType, typeId: number): { reverse: number } | undefined {
	const fwd = DEFAULT_ASSOCIATION_TYPES[`${from}→${to}`];
	if (fwd === undefined) return undefined;
	if (typeId === fwd) return { reverse: DEFAULT_ASSOCIATION_TYPES[`${to}→${from}`] };
	if (EXTRA_ASSOCIATION_TYPES[`${from}→${to}`]?.[typeId]) return { reverse: typeId === 1 ? 2 : 1 };
	return undefined;
}

/** First id per type (far apart, so an id used with the wrong type is not found rather than silently hitting something). */
const ID_BASES: Record<ObjectType, number> = { contacts: 100_000, companies: 20_000_000, tasks: 300_000_000, notes: 4_000_000_000 };

export class Store {
	private readonly objects = new Map<ObjectType, Map<string, HubSpotObject>>();
	private readonly nextId = new Map<ObjectType, number>();
	/** `${fromType}:${fromId}:${toType}` → toId → type ids. */
	private readonly links = new Map<string, Map<string, Set<number>>>();

	constructor(seed: number) {
		const rng = Rng.fork(seed, 'hubspot-ids');
		for (const t of OBJECT_TYPES) {
			this.objects.set(t, new Map());
			this.nextId.set(t, ID_BASES[t] + rng.int(90_000) + 1);
		}
	}

	newId(t: ObjectType): string {
		const n = this.nextId.get(t)!;
		this.nextId.set(t, n + 1);
		return String(n);
	}

	all(t: ObjectType): HubSpotObject[] {
		return [...this.objects.get(t)!.values()];
	}

	get(t: ObjectType, id: string, archived = false): HubSpotObject | undefined {
		const o = this.objects.get(t)!.get(id);
		return o && o.archived === archived ? o : undefined;
	}

	put(t: ObjectType, o: HubSpotObject): void {
		this.objects.get(t)!.set(o.id, o);
	}

	/** The live record whose `property` equals `value` (case-insensitive for email, as HubSpot compares emails). */
	findBy(t: ObjectType, property: string, value: string): HubSpotObject | undefined {
		if (property === 'hs_object_id') return this.get(t, value);
		const want = property === 'email' ? value.trim().toLowerCase() : value;
		for (const o of this.objects.get(t)!.values()) {
			if (o.archived) continue;
			const v = o.properties[property];
			if (v !== undefined && v !== null && (property === 'email' ? v.toLowerCase() : v) === want) return o;
		}
		return undefined;
	}

	associate(from: ObjectType, fromId: string, to: ObjectType, toId: string, typeId: number, reverse: number): void {
		this.link(from, fromId, to, toId, typeId);
		this.link(to, toId, from, fromId, reverse);
	}

	unassociate(from: ObjectType, fromId: string, to: ObjectType, toId: string): void {
		this.links.get(`${from}:${fromId}:${to}`)?.delete(toId);
		this.links.get(`${to}:${toId}:${from}`)?.delete(fromId);
	}

	/** Associations to live records only (an archived record's associations disappear from reads, as in HubSpot). */
	associations(from: ObjectType, fromId: string, to: ObjectType): Array<{ id: string; types: number[] }> {
		const m = this.links.get(`${from}:${fromId}:${to}`);
		if (!m) return [];
		return [...m.entries()]
			.filter(([id, types]) => types.size > 0 && this.get(to, id) !== undefined)
			.map(([id, types]) => ({ id, types: [...types].sort((a, b) => a - b) }))
			.sort((a, b) => Number(a.id) - Number(b.id));
	}

	private link(from: ObjectType, fromId: string, to: ObjectType, toId: string, typeId: number): void {
		const key = `${from}:${fromId}:${to}`;
		let m = this.links.get(key);
		if (!m) this.links.set(key, (m = new Map()));
		let s = m.get(toId);
		if (!s) m.set(toId, (s = new Set()));
		s.add(typeId);
	}
}

/**
 * Object types, property definitions and groups: HubSpot's built-in defaults for the four modelled objects, custom
 * definitions created through the properties API (validated as HubSpot validates them), and value validation.
 */
import { HubSpotError, conflict, notFound, propertyError, validation, type PropertyValueError } from './errors';

export type ObjectType = 'contacts' | 'companies' | 'tasks' | 'notes';
export const OBJECT_TYPES: readonly ObjectType[] = ['contacts', 'companies', 'tasks', 'notes'];

/** HubSpot's object type ids (`0-1` …) and singular names, both accepted wherever a type goes in a path. */
export const OBJECT_TYPE_IDS: Record<ObjectType, string> = { contacts: '0-1', companies: '0-2', tasks: '0-27', notes: '0-46' };
const ALIASES: Record<string, ObjectType> = {
	contact: 'contacts', contacts: 'contacts', '0-1': 'contacts',
	company: 'companies', companies: 'companies', '0-2': 'companies',
	task: 'tasks', tasks: 'tasks', '0-27': 'tasks',
	note: 'notes', notes: 'notes', '0-46': 'notes',
};

/** Resolves a path's object type; HubSpot answers an unknown one with 400 "Unable to infer object type from: x". */
export function objectType(raw: string): ObjectType {
	const t = ALIASES[raw.toLowerCase()];
	if (!t) throw validation(`Unable to infer object type from: ${raw}`);
	return t;
}

export const PROPERTY_TYPES = ['string', 'number', 'date', 'datetime', 'enumeration', 'bool', 'phone_number'] as const;
export type PropertyType = (typeof PROPERTY_TYPES)[number];
/** Field types each property type may be shown with (HubSpot rejects other pairs). */
export const FIELD_TYPES: Record<PropertyType, readonly string[]> = {
	string: ['text', 'textarea', 'html', 'phonenumber', 'file'],
	number: ['number', 'calculation_equation'],
	date: ['date'],
	datetime: ['date'],
	enumeration: ['select', 'radio', 'checkbox', 'booleancheckbox', 'calculation_equation'],
	bool: ['booleancheckbox', 'calculation_equation'],
	phone_number: ['phonenumber'],
};

export interface PropertyOption {
	label: string;
	value: string;
	description?: string;
	displayOrder: number;
	hidden: boolean;
}

export interface PropertyDefinition {
	name: string;
	label: string;
	type: PropertyType;
	fieldType: string;
	description: string;
	groupName: string;
	options: PropertyOption[];
	displayOrder: number;
	calculated: boolean;
	externalOptions: boolean;
	hasUniqueValue: boolean;
	hidden: boolean;
	formField: boolean;
	hubspotDefined?: boolean;
	createdAt: string;
	updatedAt: string;
	archived: boolean;
	archivedAt?: string;
	modificationMetadata: { archivable: boolean; readOnlyDefinition: boolean; readOnlyValue: boolean };
}

export interface PropertyGroup {
	name: string;
	label: string;
	displayOrder: number;
	archived: boolean;
}

/** Properties returned when a read names none (HubSpot's defaults per object). */
export const DEFAULT_READ_PROPERTIES: Record<ObjectType, string[]> = {
	contacts: ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'],
	companies: ['createdate', 'domain', 'hs_lastmodifieddate', 'hs_object_id', 'name'],
	tasks: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
	notes: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
};
/** The property holding the last-modified time (contacts differ from the rest). */
export const MODIFIED_PROPERTY: Record<ObjectType, string> = { contacts: 'lastmodifieddate', companies: 'hs_lastmodifieddate', tasks: 'hs_lastmodifieddate', notes: 'hs_lastmodifieddate' };
export const CREATED_PROPERTY: Record<ObjectType, string> = { contacts: 'createdate', companies: 'createdate', tasks: 'hs_createdate', notes: 'hs_createdate' };
/** Properties a create must set (HubSpot: engagements need hs_timestamp). */
export const REQUIRED_ON_CREATE: Record<ObjectType, string[]> = { contacts: [], companies: [], tasks: ['hs_timestamp'], notes: ['hs_timestamp'] };

const LIFECYCLE = ['subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer', 'evangelist', 'other'];

type Builtin = [name: string, label: string, type: PropertyType, fieldType: string, opts?: { options?: string[]; readOnly?: boolean; unique?: boolean; group?: string }];

const BUILTINS: Record<ObjectType, { groups: Array<[string, string]>; props: Builtin[] }> = {
	contacts: {
		groups: [['contactinformation', 'Contact information'], ['conversioninformation', 'Conversion information'], ['emailinformation', 'Email information']],
		props: [
			['email', 'Email', 'string', 'text', { unique: true }],
			['firstname', 'First Name', 'string', 'text'],
			['lastname', 'Last Name', 'string', 'text'],
			['company', 'Company Name', 'string', 'text'],
			['phone', 'Phone Number', 'string', 'phonenumber'],
			['mobilephone', 'Mobile Phone Number', 'string', 'phonenumber'],
			['jobtitle', 'Job Title', 'string', 'text'],
			['website', 'Website URL', 'string', 'text'],
			['city', 'City', 'string', 'text'],
			['country', 'Country/Region', 'string', 'text'],
			['lifecyclestage', 'Lifecycle Stage', 'enumeration', 'radio', { options: LIFECYCLE }],
			['hubspot_owner_id', 'Contact owner', 'enumeration', 'select', { options: [] }],
			['hs_object_id', 'Record ID', 'number', 'number', { readOnly: true, unique: true }],
			['createdate', 'Create Date', 'datetime', 'date'],
			['lastmodifieddate', 'Last Modified Date', 'datetime', 'date', { readOnly: true }],
		],
	},
	companies: {
		groups: [['companyinformation', 'Company information'], ['company_activity', 'Company activity']],
		props: [
			['name', 'Company name', 'string', 'text'],
			['domain', 'Company Domain Name', 'string', 'text'],
			['website', 'Website URL', 'string', 'text'],
			['phone', 'Phone Number', 'string', 'phonenumber'],
			['industry', 'Industry', 'string', 'text'],
			['city', 'City', 'string', 'text'],
			['country', 'Country/Region', 'string', 'text'],
			['numberofemployees', 'Number of Employees', 'number', 'number'],
			['annualrevenue', 'Annual Revenue', 'number', 'number'],
			['lifecyclestage', 'Lifecycle Stage', 'enumeration', 'radio', { options: LIFECYCLE }],
			['hubspot_owner_id', 'Company owner', 'enumeration', 'select', { options: [] }],
			['hs_object_id', 'Record ID', 'number', 'number', { readOnly: true, unique: true }],
			['createdate', 'Create Date', 'datetime', 'date'],
			['hs_lastmodifieddate', 'Last Modified Date', 'datetime', 'date', { readOnly: true }],
		],
	},
	tasks: {
		groups: [['taskinformation', 'Task information']],
		props: [
			['hs_task_subject', 'Task Title', 'string', 'text'],
			['hs_task_body', 'Notes', 'string', 'html'],
			['hs_timestamp', 'Due date', 'datetime', 'date'],
			['hs_task_status', 'Task Status', 'enumeration', 'select', { options: ['NOT_STARTED', 'IN_PROGRESS', 'WAITING', 'COMPLETED', 'DEFERRED'] }],
			['hs_task_priority', 'Priority', 'enumeration', 'select', { options: ['NONE', 'LOW', 'MEDIUM', 'HIGH'] }],
			['hs_task_type', 'Task Type', 'enumeration', 'select', { options: ['CALL', 'EMAIL', 'LINKED_IN', 'MEETING', 'LINKED_IN_CONNECT', 'LINKED_IN_MESSAGE', 'TODO'] }],
			['hubspot_owner_id', 'Assigned to', 'enumeration', 'select', { options: [] }],
			['hs_object_id', 'Record ID', 'number', 'number', { readOnly: true, unique: true }],
			['hs_createdate', 'Create date', 'datetime', 'date', { readOnly: true }],
			['hs_lastmodifieddate', 'Last Modified Date', 'datetime', 'date', { readOnly: true }],
		],
	},
	notes: {
		groups: [['noteinformation', 'Note information']],
		props: [
			['hs_note_body', 'Note body', 'string', 'html'],
			['hs_timestamp', 'Activity date', 'datetime', 'date'],
			['hubspot_owner_id', 'Activity assigned to', 'enumeration', 'select', { options: [] }],
			['hs_object_id', 'Record ID', 'number', 'number', { readOnly: true, unique: true }],
			['hs_createdate', 'Create date', 'datetime', 'date', { readOnly: true }],
			['hs_lastmodifieddate', 'Last Modified Date', 'datetime', 'date', { readOnly: true }],
		],
	},
};

/**
 * HubSpot treats `hubspot_owner_id` as an enumeration whose options are the account's owners; the sandbox has no
 * owners API, so any numeric id is accepted there.
 */
const OWNER_PROPERTY = 'hubspot_owner_id';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const NUMBER = /^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;
const PROPERTY_NAME = /^[a-z][a-z0-9_]*$/;

export class Schema {
	private props = new Map<ObjectType, Map<string, PropertyDefinition>>();
	private groups = new Map<ObjectType, Map<string, PropertyGroup>>();

	constructor(now: string) {
		for (const t of OBJECT_TYPES) {
			const groups = new Map<string, PropertyGroup>();
			BUILTINS[t].groups.forEach(([name, label], i) => groups.set(name, { name, label, displayOrder: i, archived: false }));
			const props = new Map<string, PropertyDefinition>();
			BUILTINS[t].props.forEach(([name, label, type, fieldType, o = {}], i) => {
				props.set(name, {
					name, label, type, fieldType, description: '', groupName: o.group ?? BUILTINS[t].groups[0][0],
					options: (o.options ?? (type === 'bool' ? ['true', 'false'] : [])).map((v, j) => ({ label: v, value: v, displayOrder: j, hidden: false })),
					displayOrder: i, calculated: false, externalOptions: name === OWNER_PROPERTY, hasUniqueValue: o.unique === true,
					hidden: false, formField: !o.readOnly, hubspotDefined: true, createdAt: now, updatedAt: now, archived: false,
					modificationMetadata: { archivable: false, readOnlyDefinition: true, readOnlyValue: o.readOnly === true },
				});
			});
			this.groups.set(t, groups);
			this.props.set(t, props);
		}
	}

	/** Live (not archived) definitions, or archived ones when asked. */
	list(t: ObjectType, archived = false): PropertyDefinition[] {
		return [...this.props.get(t)!.values()].filter((p) => p.archived === archived);
	}

	get(t: ObjectType, name: string): PropertyDefinition | undefined {
		const p = this.props.get(t)!.get(name);
		return p && !p.archived ? p : undefined;
	}

	require(t: ObjectType, name: string): PropertyDefinition {
		const p = this.get(t, name);
		if (!p) throw notFound(`Unable to find property ${name} for object type ${OBJECT_TYPE_IDS[t]}`, { subCategory: 'Properties.PROPERTY_NOT_FOUND', context: { propertyName: [name], objectTypeId: [OBJECT_TYPE_IDS[t]] } });
		return p;
	}

	create(t: ObjectType, input: unknown, now: string): PropertyDefinition {
		const body = asRecord(input, 'property');
		const name = str(body.name);
		const label = str(body.label);
		const type = str(body.type) as PropertyType;
		const fieldType = str(body.fieldType);
		const groupName = str(body.groupName);
		const missing = [['name', name], ['label', label], ['type', type], ['fieldType', fieldType], ['groupName', groupName]].filter(([, v]) => !v).map(([k]) => k as string);
		if (missing.length) throw validation(`Invalid input JSON: missing required field(s): ${missing.join(', ')}`, { context: { fields: missing } });
		if (!PROPERTY_NAME.test(name!) || name!.length > 100) throw validation(`Property name '${name}' is invalid: names must be lowercase, start with a letter and contain only letters, numbers and underscores (at most 100 characters).`, { subCategory: 'Properties.INVALID_PROPERTY_NAME' });
		if (name!.startsWith('hs_')) throw validation(`Property name '${name}' is invalid: the prefix 'hs_' is reserved for HubSpot-defined properties.`, { subCategory: 'Properties.INVALID_PROPERTY_NAME' });
		const existing = this.props.get(t)!.get(name!);
		if (existing && !existing.archived) {
			throw new HubSpotError(409, 'OBJECT_ALREADY_EXISTS', `A property named '${name}' already exists.`, { subCategory: 'Properties.OBJECT_ALREADY_EXISTS', context: { name: [name!] } });
		}
		if (existing?.archived) throw new HubSpotError(409, 'OBJECT_ALREADY_EXISTS', `An archived property named '${name}' already exists; restore or purge it first.`, { subCategory: 'Properties.ARCHIVED_PROPERTY_EXISTS', context: { name: [name!] } });
		this.checkTypes(type, fieldType!);
		this.requireGroup(t, groupName!);
		const options = this.parseOptions(type, body.options);
		const hasUniqueValue = bool(body.hasUniqueValue, 'hasUniqueValue') ?? false;
		if (hasUniqueValue && !['string', 'number'].includes(type)) throw validation(`Property '${name}' of type ${type} cannot have unique values; only string and number properties can.`, { subCategory: 'Properties.INVALID_UNIQUE_VALUE_TYPE' });
		const def: PropertyDefinition = {
			name: name!, label: label!, type, fieldType: fieldType!, description: str(body.description) ?? '', groupName: groupName!, options,
			displayOrder: int(body.displayOrder, 'displayOrder') ?? -1, calculated: false, externalOptions: bool(body.externalOptions, 'externalOptions') ?? false,
			hasUniqueValue, hidden: bool(body.hidden, 'hidden') ?? false, formField: bool(body.formField, 'formField') ?? false,
			createdAt: now, updatedAt: now, archived: false,
			modificationMetadata: { archivable: true, readOnlyDefinition: false, readOnlyValue: false },
		};
		this.props.get(t)!.set(def.name, def);
		return def;
	}

	update(t: ObjectType, name: string, input: unknown, now: string): PropertyDefinition {
		const p = this.require(t, name);
		if (p.modificationMetadata.readOnlyDefinition) throw validation(`Property '${name}' is HubSpot-defined and its definition is read-only.`, { subCategory: 'Properties.READ_ONLY_DEFINITION' });
		const body = asRecord(input, 'property');
		if ('name' in body && body.name !== name) throw validation('A property cannot be renamed.');
		if ('hasUniqueValue' in body && body.hasUniqueValue !== p.hasUniqueValue) throw validation('hasUniqueValue cannot be changed after a property is created.', { subCategory: 'Properties.UNIQUE_VALUE_IMMUTABLE' });
		const type = (str(body.type) ?? p.type) as PropertyType;
		const fieldType = str(body.fieldType) ?? p.fieldType;
		this.checkTypes(type, fieldType);
		if (body.groupName !== undefined) this.requireGroup(t, str(body.groupName) ?? '');
		const options = body.options !== undefined ? this.parseOptions(type, body.options) : p.options;
		if (type === 'enumeration' && body.options === undefined && p.type !== 'enumeration') throw validation('Enumeration properties need options.');
		Object.assign(p, {
			label: str(body.label) ?? p.label, description: str(body.description) ?? p.description, groupName: str(body.groupName) ?? p.groupName,
			type, fieldType, options, displayOrder: int(body.displayOrder, 'displayOrder') ?? p.displayOrder, hidden: bool(body.hidden, 'hidden') ?? p.hidden,
			formField: bool(body.formField, 'formField') ?? p.formField, updatedAt: now,
		});
		return p;
	}

	archive(t: ObjectType, name: string, now: string): void {
		const p = this.require(t, name);
		if (!p.modificationMetadata.archivable) throw validation(`Property '${name}' is HubSpot-defined and cannot be archived.`, { subCategory: 'Properties.PROPERTY_NOT_ARCHIVABLE' });
		p.archived = true;
		p.archivedAt = now;
	}

	listGroups(t: ObjectType): PropertyGroup[] {
		return [...this.groups.get(t)!.values()].filter((g) => !g.archived);
	}

	requireGroup(t: ObjectType, name: string): PropertyGroup {
		const g = this.groups.get(t)!.get(name);
		if (!g || g.archived) throw notFound(`Unable to find property group ${name} for object type ${OBJECT_TYPE_IDS[t]}`, { subCategory: 'PropertyGroups.GROUP_NOT_FOUND', context: { groupName: [name] } });
		return g;
	}

	createGroup(t: ObjectType, input: unknown): PropertyGroup {
		const body = asRecord(input, 'property group');
		const name = str(body.name);
		const label = str(body.label);
		if (!name || !label) throw validation('Invalid input JSON: a property group needs name and label.');
		if (!PROPERTY_NAME.test(name)) throw validation(`Property group name '${name}' is invalid: names must be lowercase, start with a letter and contain only letters, numbers and underscores.`);
		const existing = this.groups.get(t)!.get(name);
		if (existing && !existing.archived) throw new HubSpotError(409, 'OBJECT_ALREADY_EXISTS', `A property group named '${name}' already exists.`, { subCategory: 'PropertyGroups.OBJECT_ALREADY_EXISTS', context: { name: [name] } });
		const g: PropertyGroup = { name, label, displayOrder: int(body.displayOrder, 'displayOrder') ?? -1, archived: false };
		this.groups.get(t)!.set(name, g);
		return g;
	}

	updateGroup(t: ObjectType, name: string, input: unknown): PropertyGroup {
		const g = this.requireGroup(t, name);
		const body = asRecord(input, 'property group');
		g.label = str(body.label) ?? g.label;
		g.displayOrder = int(body.displayOrder, 'displayOrder') ?? g.displayOrder;
		return g;
	}

	archiveGroup(t: ObjectType, name: string): void {
		const g = this.requireGroup(t, name);
		if (BUILTINS[t].groups.some(([n]) => n === name)) throw validation(`Property group '${name}' is HubSpot-defined and cannot be archived.`);
		if (this.list(t).some((p) => p.groupName === name)) throw conflict(`Property group '${name}' still holds properties; move or archive them first.`);
		g.archived = true;
	}

	/**
	 * Checks one value against its definition; returns the stored string (HubSpot stores every value as a string),
	 * or an error. `null` and '' clear a property.
	 */
	checkValue(t: ObjectType, name: string, raw: unknown): { value: string | null } | { error: PropertyValueError } {
		const p = this.get(t, name);
		if (!p) return { error: propertyError(name, 'PROPERTY_DOESNT_EXIST', `Property "${name}" does not exist`) };
		if (p.modificationMetadata.readOnlyValue) return { error: propertyError(name, 'READ_ONLY_VALUE', `"${name}" is a read only property; its value cannot be set.`) };
		if (raw === null || raw === '') return { value: raw === null ? null : '' };
		if (typeof raw === 'object') return { error: propertyError(name, 'INVALID_PROPERTY_VALUE', `${JSON.stringify(raw)} is not a valid value for ${name}; values are strings, numbers or booleans.`) };
		const v = String(raw);
		const bad = (error: string, message: string) => ({ error: propertyError(name, error, message) });
		if (t === 'contacts' && name === 'email') {
			const email = v.trim().toLowerCase();
			return EMAIL.test(email) ? { value: email } : bad('INVALID_EMAIL', `Email address ${v} is invalid`);
		}
		switch (p.type) {
			case 'number':
				return NUMBER.test(v.trim()) ? { value: v.trim() } : bad('INVALID_NUMBER', `${v} was not a valid number.`);
			case 'bool':
				return v === 'true' || v === 'false' ? { value: v } : bad('INVALID_BOOLEAN', `${v} was not a valid boolean; use true or false.`);
			case 'date': {
				const ms = parseDate(v);
				if (ms === null) return bad('INVALID_DATE', `${v} was not a valid date; use YYYY-MM-DD or a UTC-midnight epoch in milliseconds.`);
				if (ms % 86_400_000 !== 0) return bad('INVALID_DATE', `${v} is at ${new Date(ms).toISOString().slice(11, 23)} UTC, not midnight!`);
				return { value: new Date(ms).toISOString().slice(0, 10) };
			}
			case 'datetime': {
				const ms = parseDate(v);
				return ms === null ? bad('INVALID_DATETIME', `${v} was not a valid datetime; use ISO 8601 or epoch milliseconds.`) : { value: new Date(ms).toISOString() };
			}
			case 'enumeration': {
				if (name === OWNER_PROPERTY) return /^\d+$/.test(v) ? { value: v } : bad('INVALID_OWNER_ID', `${v} is not a valid owner id`);
				const allowed = new Set(p.options.map((o) => o.value));
				const values = p.fieldType === 'checkbox' ? v.split(';') : [v];
				const wrong = values.filter((x) => !allowed.has(x));
				if (wrong.length) return bad('INVALID_OPTION', `${wrong.join(';')} was not one of the allowed options: [${p.options.map((o) => o.value).join(', ')}]`);
				return { value: v };
			}
			default:
				return v.length > 65_536 ? bad('INVALID_STRING_LENGTH', `Value for ${name} is longer than 65536 characters.`) : { value: v };
		}
	}

	private checkTypes(type: string, fieldType: string): void {
		if (!(PROPERTY_TYPES as readonly string[]).includes(type)) throw validation(`Invalid property type '${type}'; expected one of ${PROPERTY_TYPES.join(', ')}.`, { subCategory: 'Properties.INVALID_TYPE' });
		if (!FIELD_TYPES[type as PropertyType].includes(fieldType)) throw validation(`Property type '${type}' is not compatible with field type '${fieldType}'; allowed: ${FIELD_TYPES[type as PropertyType].join(', ')}.`, { subCategory: 'Properties.INVALID_FIELD_TYPE' });
	}

	private parseOptions(type: PropertyType, raw: unknown): PropertyOption[] {
		if (raw === undefined || raw === null) {
			if (type === 'enumeration') throw validation('Enumeration properties need options.', { subCategory: 'Properties.OPTIONS_REQUIRED' });
			return type === 'bool' ? [{ label: 'Yes', value: 'true', displayOrder: 0, hidden: false }, { label: 'No', value: 'false', displayOrder: 1, hidden: false }] : [];
		}
		if (!Array.isArray(raw)) throw validation('options must be an array.');
		if (raw.length && type !== 'enumeration' && type !== 'bool') throw validation(`Only enumeration and bool properties take options, not ${type}.`);
		const seen = new Set<string>();
		return raw.map((o, i) => {
			const r = asRecord(o, 'option');
			const label = str(r.label);
			const value = str(r.value);
			if (!label || value === undefined || value === '') throw validation(`Option ${i} needs a label and a value.`, { subCategory: 'Properties.INVALID_OPTION' });
			if (seen.has(value)) throw validation(`Duplicate option value '${value}'.`, { subCategory: 'Properties.DUPLICATE_OPTION' });
			if (type === 'bool' && value !== 'true' && value !== 'false') throw validation(`bool option values must be 'true' or 'false', got '${value}'.`);
			seen.add(value);
			return { label, value, description: str(r.description), displayOrder: int(r.displayOrder, 'displayOrder') ?? i, hidden: bool(r.hidden, 'hidden') ?? false };
		});
	}
}

/** YYYY-MM-DD, ISO 8601 or epoch milliseconds → ms, else null. */
function parseDate(v: string): number | null {
	if (/^-?\d+$/.test(v)) return Number(v);
	if (!/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(v)) return null;
	const ms = Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v);
	return Number.isNaN(ms) ? null : ms;
}

export function asRecord(v: unknown, what: string): Record<string, unknown> {
	if (!v || typeof v !== 'object' || Array.isArray(v)) throw validation(`Invalid input JSON: expected an object for ${what}.`);
	return v as Record<string, unknown>;
}
function str(v: unknown): string | undefined {
	if (v === undefined || v === null) return undefined;
	if (typeof v !== 'string') throw validation(`Invalid input JSON: expected a string, got ${JSON.stringify(v)}.`);
	return v;
}
function bool(v: unknown, k: string): boolean | undefined {
	if (v === undefined || v === null) return undefined;
	if (typeof v !== 'boolean') throw validation(`Invalid input JSON: ${k} must be a boolean.`);
	return v;
}
function int(v: unknown, k: string): number | undefined {
	if (v === undefined || v === null) return undefined;
	if (typeof v !== 'number' || !Number.isInteger(v)) throw validation(`Invalid input JSON: ${k} must be an integer.`);
	return v;
}

/**
 * The CRM properties the property map needs (issue 11), in HubSpot's `/crm/v3/properties` shape,
 * for a one-time setup: a property group, then the properties in one `batch/create` per object
 * type. Companies also get the unique `stripe_domain` property that company records are upserted by.
 *
 * With `usageSignal` (on by default) both object types also get the usage-signal properties the upsell part of
 * the revenue-ops pipeline writes from Get Usage Summary (`stripe_usage_status`, `stripe_usage_percent_of_included`,
 * `stripe_usage_period_start`): the customer's current period against its included units, overwritten on every
 * report, so the CRM shows the current state and a HubSpot workflow can alert the owner when it changes.
 */
import { COMPANY_ID_PROPERTY, propertyMap, type CrmObject, type FieldDefinition, type ShapeOptions } from './shape';

export interface PropertyDefinition {
	name: string;
	label: string;
	description: string;
	groupName: string;
	type: 'string' | 'number' | 'datetime' | 'enumeration' | 'bool';
	fieldType: 'text' | 'textarea' | 'number' | 'date' | 'select' | 'booleancheckbox';
	options?: Array<{ label: string; value: string; displayOrder: number; hidden: boolean }>;
	hasUniqueValue?: boolean;
	formField: boolean;
	displayOrder: number;
}

export interface CrmSchema {
	objectType: CrmObject;
	/** `POST /crm/v3/properties/{objectType}/groups` body. */
	group: { name: string; label: string; displayOrder: number };
	/** `POST /crm/v3/properties/{objectType}/batch/create` body. */
	properties: { inputs: PropertyDefinition[] };
}

const FIELD_TYPES: Record<FieldDefinition['type'], PropertyDefinition['fieldType']> = {
	string: 'text',
	number: 'number',
	datetime: 'date',
	enumeration: 'select',
	bool: 'booleancheckbox',
};

function humanize(value: string): string {
	return value.replace(/_/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2').replace(/^./, (c) => c.toUpperCase());
}

/** One schema per object type: the group and the property definitions for the map's properties. */
/** The usage-signal properties (names without the prefix), in Get Usage Summary's terms. */
export const USAGE_SIGNAL_PROPERTIES: ReadonlyArray<Pick<PropertyDefinition, 'name' | 'label' | 'description' | 'type' | 'fieldType'> & { options?: string[] }> = [
	{
		name: 'usage_status',
		label: 'Stripe usage status',
		description: "The current billing period's metered usage against the included units: within, approaching (past the first threshold) or overAllowance",
		type: 'enumeration',
		fieldType: 'select',
		options: ['within', 'approaching', 'overAllowance', 'noAllowance'],
	},
	{ name: 'usage_percent_of_included', label: 'Stripe usage (% of included)', description: "The current period's usage as a percentage of the included units", type: 'number', fieldType: 'number' },
	{ name: 'usage_period_start', label: 'Stripe usage period start', description: 'The start of the period the usage status is for', type: 'datetime', fieldType: 'date' },
];

export function crmSchema(options: ShapeOptions & { groupName?: string; groupLabel?: string; usageSignal?: boolean }): CrmSchema[] {
	const groupName = options.groupName ?? 'stripe_revops';
	const map = propertyMap(options);
	return options.objects.map((objectType) => {
		const inputs: PropertyDefinition[] = map.map(({ def, property }, i) => {
			const definition: PropertyDefinition = {
				name: property,
				label: def.label,
				description: def.description,
				groupName,
				type: def.type,
				fieldType: def.field === 'churnRiskReasons' || def.field === 'healthReason' ? 'textarea' : FIELD_TYPES[def.type],
				formField: false,
				displayOrder: i + 1,
			};
			if (def.type === 'enumeration') definition.options = (def.options ?? []).map((value, k) => ({ label: humanize(value), value, displayOrder: k, hidden: false }));
			if (def.type === 'bool') definition.options = [{ label: 'Yes', value: 'true', displayOrder: 0, hidden: false }, { label: 'No', value: 'false', displayOrder: 1, hidden: false }];
			return definition;
		});
		if (options.usageSignal !== false) {
			for (const u of USAGE_SIGNAL_PROPERTIES) {
				const definition: PropertyDefinition = { name: `${options.prefix ?? 'stripe_'}${u.name}`, label: u.label, description: u.description, groupName, type: u.type, fieldType: u.fieldType, formField: false, displayOrder: inputs.length + 1 };
				if (u.options) definition.options = u.options.map((value, k) => ({ label: humanize(value), value, displayOrder: k, hidden: false }));
				inputs.push(definition);
			}
		}
		if (objectType === 'companies') {
			inputs.push({
				name: `${options.prefix ?? 'stripe_'}${COMPANY_ID_PROPERTY}`,
				label: 'Stripe company domain',
				description: 'The company domain Stripe RevOps matches companies by (unique)',
				groupName,
				type: 'string',
				fieldType: 'text',
				hasUniqueValue: true,
				formField: false,
				displayOrder: inputs.length + 1,
			});
		}
		return { objectType, group: { name: groupName, label: options.groupLabel ?? 'Stripe RevOps', displayOrder: -1 }, properties: { inputs } };
	});
}

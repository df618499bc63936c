/**
 * Where a customer is in time: an IANA time zone (with its daylight-saving rules) from what a
 * Stripe customer carries, in this order of precedence:
 *
 * 1. an explicit zone (a node field),
 * 2. a zone in the customer's metadata (`time_zone`, `timezone`, `tz`, `time-zone`, `timeZone`),
 * 3. the billing address (`customer.address`: country, and the state or province where the
 *    country has several zones),
 * 4. the card's issuing country (`payment_method.card.country`),
 * 5. UTC, with a reason that says nothing was known.
 *
 * Names are checked with luxon's `IANAZone.isValidZone` (the ICU data of the running Node); an
 * invalid explicit or metadata zone is reported in `reason` and skipped, never thrown.
 *
 * Approximate, on purpose (a retry planner needs the customer's *likely* local hour, not a
 * surveyor's answer):
 * - A country maps to the zone where most of its people live; a region (state, province) to the
 *   zone of most of its people. Regions split by a zone line are not split here: Florida's
 *   panhandle, west Kentucky and east Tennessee, Oregon's Malheur County, Idaho's panhandle,
 *   west Texas (El Paso), the Dakotas, Nebraska and Kansas west, Broken Hill (NSW), north-west
 *   Ontario, east British Columbia, Lloydminster, Nunavut's three zones, Nayarit's Bahía de
 *   Banderas, Mato Grosso's and Amazonas' edges, Russia's oblasts beside their zone line.
 * - The Navajo Nation (Arizona) observes DST; Arizona here does not.
 * - The card's country says where the card was issued, not where its holder lives: for a country
 *   with several zones it gives the country's main zone.
 * - City and postal code are accepted but not used yet (a ZIP-prefix table would settle the US
 *   splits above).
 *
 * Sources (from memory of the tz database, checked only for validity against this Node's ICU):
 * IANA tz database zone.tab / zone1970.tab (https://www.iana.org/time-zones, tzdata 2024–2025),
 * ISO 3166-2 subdivision codes (https://www.iso.org/obp/ui, as Stripe's `address.state` takes
 * them for US, CA, AU, BR, MX), 2026-12-01.
 */
import { IANAZone } from 'luxon';

/** Where a resolved zone came from, in order of precedence. */
export type ZoneSource = 'explicit' | 'metadata' | 'address' | 'card' | 'default';

/** A Stripe-style address (`customer.address`); only `country` and `state` are used so far. */
export interface ZoneAddress {
	country?: string | null;
	state?: string | null;
	city?: string | null;
	postal_code?: string | null;
}

/** What {@link resolveTimeZone} reads. */
export interface ZoneInput {
	/** A zone the user set on the node, e.g. `Europe/Berlin`. */
	explicit?: string | null;
	/** The customer's metadata; the keys in {@link METADATA_ZONE_KEYS} are read, in that order. */
	metadata?: Record<string, string> | null;
	/** The customer's billing address. */
	address?: ZoneAddress | null;
	/** The card's issuing country (ISO 3166-1 alpha-2). */
	cardCountry?: string | null;
}

/** The answer of {@link resolveTimeZone}. */
export interface ResolvedZone {
	/** An IANA zone name luxon accepts. */
	zone: string;
	source: ZoneSource;
	/** A sentence saying why, including what was skipped and why. */
	reason: string;
}

/** The zone used when nothing is known. */
export const DEFAULT_ZONE = 'UTC';

/** Metadata keys read for a zone, in this order. */
export const METADATA_ZONE_KEYS: readonly string[] = ['time_zone', 'timezone', 'timeZone', 'tz', 'time-zone'];

/**
 * Country (ISO 3166-1 alpha-2) → the zone of most of its people. Covers the countries Stripe
 * serves (https://stripe.com/global, 2026) and the larger markets whose customers pay Stripe
 * merchants. Multi-zone countries also appear in {@link REGION_ZONES}.
 */
export const COUNTRY_ZONES: Readonly<Record<string, string>> = {
	// North America and the Caribbean
	US: 'America/New_York', // approximate: the most populous zone; states refine it
	CA: 'America/Toronto', // approximate: provinces refine it
	MX: 'America/Mexico_City', // approximate: states refine it
	PR: 'America/Puerto_Rico',
	DO: 'America/Santo_Domingo',
	JM: 'America/Jamaica',
	TT: 'America/Port_of_Spain',
	BS: 'America/Nassau',
	BB: 'America/Barbados',
	GT: 'America/Guatemala',
	CR: 'America/Costa_Rica',
	PA: 'America/Panama',
	SV: 'America/El_Salvador',
	HN: 'America/Tegucigalpa',
	// South America
	BR: 'America/Sao_Paulo', // approximate: states refine it
	AR: 'America/Argentina/Buenos_Aires',
	CL: 'America/Santiago', // Easter Island (Pacific/Easter) not distinguished
	CO: 'America/Bogota',
	PE: 'America/Lima',
	UY: 'America/Montevideo',
	PY: 'America/Asuncion',
	EC: 'America/Guayaquil', // Galápagos not distinguished
	BO: 'America/La_Paz',
	VE: 'America/Caracas',
	// Europe
	GB: 'Europe/London',
	IE: 'Europe/Dublin',
	FR: 'Europe/Paris',
	DE: 'Europe/Berlin',
	NL: 'Europe/Amsterdam',
	BE: 'Europe/Brussels',
	LU: 'Europe/Luxembourg',
	AT: 'Europe/Vienna',
	CH: 'Europe/Zurich',
	LI: 'Europe/Vaduz',
	IT: 'Europe/Rome',
	ES: 'Europe/Madrid', // the Canary Islands via REGION_ZONES
	PT: 'Europe/Lisbon', // the Azores via REGION_ZONES
	DK: 'Europe/Copenhagen',
	SE: 'Europe/Stockholm',
	NO: 'Europe/Oslo',
	FI: 'Europe/Helsinki',
	IS: 'Atlantic/Reykjavik',
	EE: 'Europe/Tallinn',
	LV: 'Europe/Riga',
	LT: 'Europe/Vilnius',
	PL: 'Europe/Warsaw',
	CZ: 'Europe/Prague',
	SK: 'Europe/Bratislava',
	HU: 'Europe/Budapest',
	SI: 'Europe/Ljubljana',
	HR: 'Europe/Zagreb',
	RO: 'Europe/Bucharest',
	BG: 'Europe/Sofia',
	GR: 'Europe/Athens',
	CY: 'Asia/Nicosia',
	MT: 'Europe/Malta',
	GI: 'Europe/Gibraltar',
	MC: 'Europe/Monaco',
	RS: 'Europe/Belgrade',
	UA: 'Europe/Kyiv',
	RU: 'Europe/Moscow', // approximate: regions refine it
	TR: 'Europe/Istanbul',
	// Middle East and Africa
	AE: 'Asia/Dubai',
	SA: 'Asia/Riyadh',
	QA: 'Asia/Qatar',
	BH: 'Asia/Bahrain',
	KW: 'Asia/Kuwait',
	OM: 'Asia/Muscat',
	JO: 'Asia/Amman',
	IL: 'Asia/Jerusalem',
	EG: 'Africa/Cairo',
	MA: 'Africa/Casablanca',
	TN: 'Africa/Tunis',
	ZA: 'Africa/Johannesburg',
	NG: 'Africa/Lagos',
	KE: 'Africa/Nairobi',
	GH: 'Africa/Accra',
	SN: 'Africa/Dakar',
	CI: 'Africa/Abidjan',
	// Asia and the Pacific
	AU: 'Australia/Sydney', // approximate: states refine it
	NZ: 'Pacific/Auckland', // the Chatham Islands not distinguished
	JP: 'Asia/Tokyo',
	KR: 'Asia/Seoul',
	CN: 'Asia/Shanghai',
	HK: 'Asia/Hong_Kong',
	MO: 'Asia/Macau',
	TW: 'Asia/Taipei',
	SG: 'Asia/Singapore',
	MY: 'Asia/Kuala_Lumpur',
	TH: 'Asia/Bangkok',
	ID: 'Asia/Jakarta', // approximate: provinces refine it
	PH: 'Asia/Manila',
	VN: 'Asia/Ho_Chi_Minh',
	IN: 'Asia/Kolkata',
	PK: 'Asia/Karachi',
	BD: 'Asia/Dhaka',
	LK: 'Asia/Colombo',
	NP: 'Asia/Kathmandu',
	KZ: 'Asia/Almaty', // one zone (UTC+5) since 2024-03-01 in tzdata 2024a
	GE: 'Asia/Tbilisi',
	AM: 'Asia/Yerevan',
	FJ: 'Pacific/Fiji',
	GU: 'Pacific/Guam',
};

/**
 * Country → region → zone, for countries with several zones. Keys are ISO 3166-2 subdivision
 * codes without the country prefix and the regions' names in upper case without accents; only
 * regions whose zone differs from {@link COUNTRY_ZONES} need to be listed, but the US, Canada,
 * Australia and Brazil are listed in full so a typo is distinguishable from "the default zone".
 */
export const REGION_ZONES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
	US: withNames(
		{
			AL: 'America/Chicago', AK: 'America/Anchorage', AZ: 'America/Phoenix', AR: 'America/Chicago',
			CA: 'America/Los_Angeles', CO: 'America/Denver', CT: 'America/New_York', DE: 'America/New_York',
			DC: 'America/New_York', FL: 'America/New_York', GA: 'America/New_York', HI: 'Pacific/Honolulu',
			ID: 'America/Boise', IL: 'America/Chicago', IN: 'America/Indiana/Indianapolis', IA: 'America/Chicago',
			KS: 'America/Chicago', KY: 'America/New_York', LA: 'America/Chicago', ME: 'America/New_York',
			MD: 'America/New_York', MA: 'America/New_York', MI: 'America/Detroit', MN: 'America/Chicago',
			MS: 'America/Chicago', MO: 'America/Chicago', MT: 'America/Denver', NE: 'America/Chicago',
			NV: 'America/Los_Angeles', NH: 'America/New_York', NJ: 'America/New_York', NM: 'America/Denver',
			NY: 'America/New_York', NC: 'America/New_York', ND: 'America/Chicago', OH: 'America/New_York',
			OK: 'America/Chicago', OR: 'America/Los_Angeles', PA: 'America/New_York', RI: 'America/New_York',
			SC: 'America/New_York', SD: 'America/Chicago', TN: 'America/Chicago', TX: 'America/Chicago',
			UT: 'America/Denver', VT: 'America/New_York', VA: 'America/New_York', WA: 'America/Los_Angeles',
			WV: 'America/New_York', WI: 'America/Chicago', WY: 'America/Denver',
			PR: 'America/Puerto_Rico', GU: 'Pacific/Guam', VI: 'America/St_Thomas', AS: 'Pacific/Pago_Pago',
			MP: 'Pacific/Saipan',
		},
		{
			ALABAMA: 'AL', ALASKA: 'AK', ARIZONA: 'AZ', ARKANSAS: 'AR', CALIFORNIA: 'CA', COLORADO: 'CO',
			CONNECTICUT: 'CT', DELAWARE: 'DE', 'DISTRICT OF COLUMBIA': 'DC', 'WASHINGTON DC': 'DC', FLORIDA: 'FL',
			GEORGIA: 'GA', HAWAII: 'HI', IDAHO: 'ID', ILLINOIS: 'IL', INDIANA: 'IN', IOWA: 'IA', KANSAS: 'KS',
			KENTUCKY: 'KY', LOUISIANA: 'LA', MAINE: 'ME', MARYLAND: 'MD', MASSACHUSETTS: 'MA', MICHIGAN: 'MI',
			MINNESOTA: 'MN', MISSISSIPPI: 'MS', MISSOURI: 'MO', MONTANA: 'MT', NEBRASKA: 'NE', NEVADA: 'NV',
			'NEW HAMPSHIRE': 'NH', 'NEW JERSEY': 'NJ', 'NEW MEXICO': 'NM', 'NEW YORK': 'NY', 'NORTH CAROLINA': 'NC',
			'NORTH DAKOTA': 'ND', OHIO: 'OH', OKLAHOMA: 'OK', OREGON: 'OR', PENNSYLVANIA: 'PA', 'RHODE ISLAND': 'RI',
			'SOUTH CAROLINA': 'SC', 'SOUTH DAKOTA': 'SD', TENNESSEE: 'TN', TEXAS: 'TX', UTAH: 'UT', VERMONT: 'VT',
			VIRGINIA: 'VA', WASHINGTON: 'WA', 'WEST VIRGINIA': 'WV', WISCONSIN: 'WI', WYOMING: 'WY',
			'PUERTO RICO': 'PR', GUAM: 'GU', 'VIRGIN ISLANDS': 'VI', 'AMERICAN SAMOA': 'AS',
			'NORTHERN MARIANA ISLANDS': 'MP',
		},
	),
	CA: withNames(
		{
			AB: 'America/Edmonton', BC: 'America/Vancouver', MB: 'America/Winnipeg', NB: 'America/Moncton',
			NL: 'America/St_Johns', NS: 'America/Halifax', NT: 'America/Edmonton', NU: 'America/Iqaluit',
			ON: 'America/Toronto', PE: 'America/Halifax', QC: 'America/Toronto', SK: 'America/Regina',
			YT: 'America/Whitehorse',
		},
		{
			ALBERTA: 'AB', 'BRITISH COLUMBIA': 'BC', MANITOBA: 'MB', 'NEW BRUNSWICK': 'NB',
			'NEWFOUNDLAND AND LABRADOR': 'NL', NEWFOUNDLAND: 'NL', 'NOVA SCOTIA': 'NS', 'NORTHWEST TERRITORIES': 'NT',
			NUNAVUT: 'NU', ONTARIO: 'ON', 'PRINCE EDWARD ISLAND': 'PE', QUEBEC: 'QC', SASKATCHEWAN: 'SK', YUKON: 'YT',
		},
	),
	AU: withNames(
		{
			NSW: 'Australia/Sydney', ACT: 'Australia/Sydney', VIC: 'Australia/Melbourne', QLD: 'Australia/Brisbane',
			SA: 'Australia/Adelaide', WA: 'Australia/Perth', TAS: 'Australia/Hobart', NT: 'Australia/Darwin',
		},
		{
			'NEW SOUTH WALES': 'NSW', 'AUSTRALIAN CAPITAL TERRITORY': 'ACT', VICTORIA: 'VIC', QUEENSLAND: 'QLD',
			'SOUTH AUSTRALIA': 'SA', 'WESTERN AUSTRALIA': 'WA', TASMANIA: 'TAS', 'NORTHERN TERRITORY': 'NT',
		},
	),
	BR: withNames(
		{
			AC: 'America/Rio_Branco', AL: 'America/Maceio', AP: 'America/Belem', AM: 'America/Manaus',
			BA: 'America/Bahia', CE: 'America/Fortaleza', DF: 'America/Sao_Paulo', ES: 'America/Sao_Paulo',
			GO: 'America/Sao_Paulo', MA: 'America/Fortaleza', MT: 'America/Cuiaba', MS: 'America/Campo_Grande',
			MG: 'America/Sao_Paulo', PA: 'America/Belem', PB: 'America/Fortaleza', PR: 'America/Sao_Paulo',
			PE: 'America/Recife', PI: 'America/Fortaleza', RJ: 'America/Sao_Paulo', RN: 'America/Fortaleza',
			RS: 'America/Sao_Paulo', RO: 'America/Porto_Velho', RR: 'America/Boa_Vista', SC: 'America/Sao_Paulo',
			SP: 'America/Sao_Paulo', SE: 'America/Maceio', TO: 'America/Araguaina',
		},
		{
			ACRE: 'AC', ALAGOAS: 'AL', AMAPA: 'AP', AMAZONAS: 'AM', BAHIA: 'BA', CEARA: 'CE',
			'DISTRITO FEDERAL': 'DF', 'ESPIRITO SANTO': 'ES', GOIAS: 'GO', MARANHAO: 'MA', 'MATO GROSSO': 'MT',
			'MATO GROSSO DO SUL': 'MS', 'MINAS GERAIS': 'MG', PARA: 'PA', PARAIBA: 'PB', PARANA: 'PR',
			PERNAMBUCO: 'PE', PIAUI: 'PI', 'RIO DE JANEIRO': 'RJ', 'RIO GRANDE DO NORTE': 'RN',
			'RIO GRANDE DO SUL': 'RS', RONDONIA: 'RO', RORAIMA: 'RR', 'SANTA CATARINA': 'SC', 'SAO PAULO': 'SP',
			SERGIPE: 'SE', TOCANTINS: 'TO',
		},
	),
	MX: withNames(
		{
			BCN: 'America/Tijuana', BC: 'America/Tijuana', BCS: 'America/Mazatlan', SON: 'America/Hermosillo',
			SIN: 'America/Mazatlan', NAY: 'America/Mazatlan', CHH: 'America/Chihuahua', ROO: 'America/Cancun',
			CMX: 'America/Mexico_City', DF: 'America/Mexico_City', JAL: 'America/Mexico_City',
			NLE: 'America/Monterrey', MEX: 'America/Mexico_City', YUC: 'America/Merida',
		},
		{
			'BAJA CALIFORNIA': 'BCN', 'BAJA CALIFORNIA SUR': 'BCS', SONORA: 'SON', SINALOA: 'SIN', NAYARIT: 'NAY',
			CHIHUAHUA: 'CHH', 'QUINTANA ROO': 'ROO', 'CIUDAD DE MEXICO': 'CMX', 'MEXICO CITY': 'CMX',
			JALISCO: 'JAL', 'NUEVO LEON': 'NLE', YUCATAN: 'YUC',
		},
	),
	RU: withNames(
		{
			KGD: 'Europe/Kaliningrad', SAM: 'Europe/Samara', UD: 'Europe/Samara', SVE: 'Asia/Yekaterinburg',
			CHE: 'Asia/Yekaterinburg', TYU: 'Asia/Yekaterinburg', BA: 'Asia/Yekaterinburg', PER: 'Asia/Yekaterinburg',
			OMS: 'Asia/Omsk', NVS: 'Asia/Novosibirsk', KYA: 'Asia/Krasnoyarsk', IRK: 'Asia/Irkutsk',
			SA: 'Asia/Yakutsk', PRI: 'Asia/Vladivostok', KHA: 'Asia/Vladivostok', MAG: 'Asia/Magadan',
			KAM: 'Asia/Kamchatka', SAK: 'Asia/Sakhalin', MOW: 'Europe/Moscow', SPE: 'Europe/Moscow',
		},
		{
			KALININGRAD: 'KGD', SAMARA: 'SAM', UDMURTIA: 'UD', SVERDLOVSK: 'SVE', YEKATERINBURG: 'SVE',
			CHELYABINSK: 'CHE', TYUMEN: 'TYU', BASHKORTOSTAN: 'BA', PERM: 'PER', OMSK: 'OMS', NOVOSIBIRSK: 'NVS',
			KRASNOYARSK: 'KYA', IRKUTSK: 'IRK', SAKHA: 'SA', YAKUTIA: 'SA', PRIMORSKY: 'PRI', VLADIVOSTOK: 'PRI',
			KHABAROVSK: 'KHA', MAGADAN: 'MAG', KAMCHATKA: 'KAM', SAKHALIN: 'SAK', MOSCOW: 'MOW',
			'SAINT PETERSBURG': 'SPE',
		},
	),
	ID: withNames(
		{
			BA: 'Asia/Makassar', NB: 'Asia/Makassar', NT: 'Asia/Makassar', SN: 'Asia/Makassar', SG: 'Asia/Makassar',
			SA: 'Asia/Makassar', KS: 'Asia/Makassar', KI: 'Asia/Makassar', KU: 'Asia/Makassar', MA: 'Asia/Jayapura',
			PA: 'Asia/Jayapura', PB: 'Asia/Jayapura',
		},
		{ BALI: 'BA', 'SULAWESI SELATAN': 'SN', 'SOUTH SULAWESI': 'SN', MALUKU: 'MA', PAPUA: 'PA' },
	),
	ES: withNames(
		{ CN: 'Atlantic/Canary', GC: 'Atlantic/Canary', TF: 'Atlantic/Canary' },
		{ CANARIAS: 'CN', 'CANARY ISLANDS': 'CN', 'LAS PALMAS': 'GC', 'SANTA CRUZ DE TENERIFE': 'TF' },
	),
	PT: withNames(
		{ '20': 'Atlantic/Azores', '30': 'Atlantic/Madeira' },
		{ ACORES: '20', AZORES: '20', MADEIRA: '30' },
	),
};

/** Adds `NAME → zone` entries for `NAME → code` aliases. */
function withNames(byCode: Record<string, string>, names: Record<string, string>): Record<string, string> {
	const out: Record<string, string> = { ...byCode };
	for (const [name, code] of Object.entries(names)) {
		const zone = byCode[code];
		if (zone !== undefined) out[name] = zone;
	}
	return out;
}

/** Upper case, accents stripped, whitespace and `.`/`-`/`_` collapsed to one space. */
function normalizeKey(value: string): string {
	return value
		.normalize('NFD')
		.replace(/[\u0300-\u036f]/g, '')
		.toUpperCase()
		.replace(/[\s._-]+/g, ' ')
		.trim();
}

/** True for an IANA zone name this runtime knows (luxon's `IANAZone.isValidZone`). */
export function isValidZone(zone: unknown): zone is string {
	return typeof zone === 'string' && zone.trim() !== '' && IANAZone.isValidZone(zone.trim());
}

/** The zone of a country (ISO 3166-1 alpha-2, any case), or `undefined` when not in the table. */
export function countryZone(country: string | null | undefined): string | undefined {
	if (!country) return undefined;
	return COUNTRY_ZONES[country.trim().toUpperCase()];
}

/**
 * The zone of a region of a country: `state` may be an ISO 3166-2 code with or without the
 * country prefix (`CA`, `US-CA`) or the region's name (`California`, `São Paulo`).
 * `undefined` when the country has no region table or the region is not in it.
 */
export function regionZone(country: string | null | undefined, state: string | null | undefined): string | undefined {
	if (!country || !state) return undefined;
	const cc = country.trim().toUpperCase();
	const table = REGION_ZONES[cc];
	if (!table) return undefined;
	let key = normalizeKey(state);
	if (key.startsWith(`${cc} `)) key = key.slice(cc.length + 1);
	return table[key] ?? table[key.replace(/ /g, '')];
}

/**
 * The customer's IANA time zone. Precedence: explicit → metadata → address (region, then
 * country) → card country → {@link DEFAULT_ZONE}. Invalid zone names are skipped and named in
 * `reason`; nothing here throws.
 */
export function resolveTimeZone(input: ZoneInput): ResolvedZone {
	const skipped: string[] = [];
	const why = (text: string) => (skipped.length ? `${text} (skipped: ${skipped.join('; ')})` : text);

	const explicit = input.explicit?.trim();
	if (explicit) {
		if (isValidZone(explicit)) return { zone: explicit, source: 'explicit', reason: why(`explicit zone ${explicit}`) };
		skipped.push(`explicit zone "${explicit}" is not an IANA time zone`);
	}

	const metadata = input.metadata ?? {};
	for (const key of METADATA_ZONE_KEYS) {
		const value = metadata[key]?.trim();
		if (!value) continue;
		if (isValidZone(value)) {
			return { zone: value, source: 'metadata', reason: why(`metadata.${key} = ${value}`) };
		}
		skipped.push(`metadata.${key} "${value}" is not an IANA time zone`);
	}

	const address = input.address;
	const addressCountry = address?.country?.trim().toUpperCase();
	if (addressCountry) {
		const byRegion = regionZone(addressCountry, address?.state);
		if (byRegion) {
			return {
				zone: byRegion,
				source: 'address',
				reason: why(`billing address ${addressCountry}, ${address?.state?.trim()} → ${byRegion}`),
			};
		}
		const byCountry = countryZone(addressCountry);
		if (byCountry) {
			const approx = REGION_ZONES[addressCountry]
				? address?.state
					? `; region "${address.state.trim()}" not in the table, the country's main zone is used`
					: "; no region given, the country's main zone is used"
				: '';
			return {
				zone: byCountry,
				source: 'address',
				reason: why(`billing address country ${addressCountry} → ${byCountry}${approx}`),
			};
		}
		skipped.push(`billing address country "${addressCountry}" is not in the zone table`);
	}

	const card = input.cardCountry?.trim().toUpperCase();
	if (card) {
		const byCard = countryZone(card);
		if (byCard) {
			const approx = REGION_ZONES[card] ? "; the card's country has several zones, its main zone is used" : '';
			return { zone: byCard, source: 'card', reason: why(`card issued in ${card} → ${byCard}${approx}`) };
		}
		skipped.push(`card country "${card}" is not in the zone table`);
	}

	return { zone: DEFAULT_ZONE, source: 'default', reason: why(`no zone, address or card country known; ${DEFAULT_ZONE}`) };
}

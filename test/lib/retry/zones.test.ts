import { IANAZone } from 'luxon';

import {
	COUNTRY_ZONES,
	DEFAULT_ZONE,
	REGION_ZONES,
	countryZone,
	isValidZone,
	regionZone,
	resolveTimeZone,
	type ZoneInput,
	type ZoneSource,
} from '../../../lib/retry/zones';

describe('zone tables hold only zones this runtime knows', () => {
	test('at least 60 countries', () => {
		expect(Object.keys(COUNTRY_ZONES).length).toBeGreaterThanOrEqual(60);
	});

	test.each(Object.entries(COUNTRY_ZONES))('%s → %s is a valid IANA zone', (_country, zone) => {
		expect(IANAZone.isValidZone(zone)).toBe(true);
	});

	const regions = Object.entries(REGION_ZONES).flatMap(([country, table]) =>
		Object.entries(table).map(([region, zone]) => [country, region, zone] as const),
	);
	test.each(regions)('%s/%s → %s is a valid IANA zone', (_country, _region, zone) => {
		expect(IANAZone.isValidZone(zone)).toBe(true);
	});

	test.each([
		['US', 56], // 50 states, DC and 5 territories
		['CA', 13],
		['AU', 8],
		['BR', 27],
	])('%s lists all %i region codes', (country, codes) => {
		const table = REGION_ZONES[country];
		const codeKeys = Object.keys(table).filter((k) => /^[A-Z]{2,3}$/.test(k));
		expect(codeKeys.length).toBe(codes);
	});
});

describe('regionZone reads codes, prefixed codes and names', () => {
	test.each<[string, string, string | undefined]>([
		['US', 'CA', 'America/Los_Angeles'],
		['us', 'US-CA', 'America/Los_Angeles'],
		['US', 'california', 'America/Los_Angeles'],
		['US', 'New York', 'America/New_York'],
		['US', 'AZ', 'America/Phoenix'],
		['US', 'HI', 'Pacific/Honolulu'],
		['US', 'TX', 'America/Chicago'],
		['US', 'CO', 'America/Denver'],
		['CA', 'BC', 'America/Vancouver'],
		['CA', 'Québec', 'America/Toronto'],
		['CA', 'SK', 'America/Regina'],
		['CA', 'NL', 'America/St_Johns'],
		['AU', 'WA', 'Australia/Perth'],
		['AU', 'Queensland', 'Australia/Brisbane'],
		['AU', 'South Australia', 'Australia/Adelaide'],
		['BR', 'AM', 'America/Manaus'],
		['BR', 'São Paulo', 'America/Sao_Paulo'],
		['BR', 'Acre', 'America/Rio_Branco'],
		['MX', 'BCN', 'America/Tijuana'],
		['MX', 'Quintana Roo', 'America/Cancun'],
		['RU', 'Novosibirsk', 'Asia/Novosibirsk'],
		['ES', 'Canarias', 'Atlantic/Canary'],
		['PT', 'Azores', 'Atlantic/Azores'],
		['US', 'Atlantis', undefined],
		['DE', 'BY', undefined],
		['US', '', undefined],
	])('%s %j → %s', (country, state, zone) => {
		expect(regionZone(country, state)).toBe(zone);
	});
});

describe('countryZone', () => {
	test.each<[string, string | undefined]>([
		['DE', 'Europe/Berlin'],
		['de', 'Europe/Berlin'],
		[' jp ', 'Asia/Tokyo'],
		['IN', 'Asia/Kolkata'],
		['XX', undefined],
		['', undefined],
	])('%j → %s', (country, zone) => {
		expect(countryZone(country)).toBe(zone);
	});
});

describe('resolveTimeZone: explicit → metadata → address → card → default', () => {
	const address = { country: 'US', state: 'CA' };
	test.each<[string, ZoneInput, string, ZoneSource]>([
		['explicit wins over everything', { explicit: 'Asia/Tokyo', metadata: { time_zone: 'Europe/Paris' }, address, cardCountry: 'DE' }, 'Asia/Tokyo', 'explicit'],
		['metadata next', { metadata: { time_zone: 'Europe/Paris' }, address, cardCountry: 'DE' }, 'Europe/Paris', 'metadata'],
		['metadata key timezone', { metadata: { timezone: 'Europe/Paris' } }, 'Europe/Paris', 'metadata'],
		['metadata key tz', { metadata: { tz: 'America/Denver' } }, 'America/Denver', 'metadata'],
		['address region next', { address, cardCountry: 'DE' }, 'America/Los_Angeles', 'address'],
		['address country when no region', { address: { country: 'FR' }, cardCountry: 'DE' }, 'Europe/Paris', 'address'],
		['address country when region unknown', { address: { country: 'US', state: 'Atlantis' } }, 'America/New_York', 'address'],
		['card when no address', { cardCountry: 'DE' }, 'Europe/Berlin', 'card'],
		['card when address country unknown', { address: { country: 'XX' }, cardCountry: 'gb' }, 'Europe/London', 'card'],
		['default when nothing', {}, DEFAULT_ZONE, 'default'],
		['invalid explicit skipped', { explicit: 'Mars/Olympus', address }, 'America/Los_Angeles', 'address'],
		['invalid metadata skipped', { metadata: { time_zone: 'CEST' }, cardCountry: 'DE' }, 'Europe/Berlin', 'card'],
		['blank explicit ignored', { explicit: '  ', cardCountry: 'JP' }, 'Asia/Tokyo', 'card'],
	])('%s', (_name, input, zone, source) => {
		const r = resolveTimeZone(input);
		expect(r.zone).toBe(zone);
		expect(r.source).toBe(source);
		expect(isValidZone(r.zone)).toBe(true);
		expect(r.reason.length).toBeGreaterThan(0);
	});

	test('an invalid explicit zone is named in the reason', () => {
		const r = resolveTimeZone({ explicit: 'Mars/Olympus', cardCountry: 'DE' });
		expect(r.reason).toContain('Mars/Olympus');
		expect(r.reason).toContain('not an IANA time zone');
	});

	test('a multi-zone country without a region says it used the main zone', () => {
		expect(resolveTimeZone({ address: { country: 'US' } }).reason).toContain("country's main zone");
		expect(resolveTimeZone({ cardCountry: 'BR' }).reason).toContain('several zones');
	});
});

import { DateTime } from 'luxon';
import { Rng } from '../../sandbox/core/rng';
import { DEFAULT_SCENARIO, Scenario, TEST_CARDS, decline, isPayday, mergeScenario, type DeclineCode, type PaydayRule } from '../../sandbox/scenario';

const HOUR = 3600;
const DAY = 86400;

describe('payment outcome model', () => {
	it('gives Stripe test cards their documented outcomes', () => {
		const s = new Scenario(DEFAULT_SCENARIO, 1);
		const rng = new Rng(1);
		const expectations: [string, DeclineCode | null][] = [
			['pm_card_visa', null],
			['pm_card_mastercard', null],
			['pm_card_chargeDeclined', 'generic_decline'],
			['pm_card_chargeDeclinedInsufficientFunds', 'insufficient_funds'],
			['pm_card_chargeDeclinedExpiredCard', 'expired_card'],
			['pm_card_chargeDeclinedLostCard', 'lost_card'],
			['pm_card_chargeDeclinedStolenCard', 'stolen_card'],
			['pm_card_chargeDeclinedIncorrectCvc', 'incorrect_cvc'],
			['pm_card_chargeDeclinedProcessingError', 'processing_error'],
		];
		for (const [token, code] of expectations) {
			s.testCards.set(`pm_${token}`, TEST_CARDS[token]);
			for (let i = 0; i < 5; i++) {
				const o = s.decide(`pm_${token}`, 'cus_x', 1_700_000_000 + i * DAY, rng);
				expect(o.ok ? null : o.decline.decline_code).toBe(code);
			}
		}
		expect(decline('expired_card')).toMatchObject({ code: 'expired_card', message: 'Your card has expired.' });
		expect(decline('insufficient_funds')).toMatchObject({ code: 'card_declined', advice_code: 'try_again_later' });
	});

	it('draws fresh declines at about the configured rate and distribution', () => {
		const s = new Scenario(DEFAULT_SCENARIO, 2);
		const rng = new Rng(2);
		const codes = new Map<string, number>();
		const n = 20000;
		for (let i = 0; i < n; i++) {
			const o = s.decide(`pm_${i}`, `cus_${i}`, 1_700_000_000, rng);
			if (!o.ok) codes.set(o.decline.decline_code, (codes.get(o.decline.decline_code) ?? 0) + 1);
		}
		const declined = [...codes.values()].reduce((a, b) => a + b, 0);
		expect(declined / n).toBeGreaterThan(0.06);
		expect(declined / n).toBeLessThan(0.08);
		const top = [...codes.entries()].sort((a, b) => b[1] - a[1])[0][0];
		expect(top).toBe('insufficient_funds');
	});

	it('never clears expired, lost or stolen cards until the payment method changes', () => {
		const s = new Scenario(DEFAULT_SCENARIO, 3);
		const rng = new Rng(3);
		for (const code of ['expired_card', 'lost_card', 'stolen_card'] as const) {
			s.setCondition('pm_dead', code);
			for (let d = 0; d < 60; d++) expect(s.decide('pm_dead', 'cus_1', 1_700_000_000 + d * DAY, rng)).toMatchObject({ ok: false, decline: { decline_code: code } });
			expect(s.decide('pm_new', 'cus_1', 1_700_000_000, new Rng(99))).toMatchObject({ ok: true });
		}
	});

	it('clears issuer outages within the configured hours', () => {
		const s = new Scenario({ ...DEFAULT_SCENARIO, outage: { meanHours: 3, maxHours: 12 } }, 4);
		const rng = new Rng(4);
		const t = 1_700_000_000;
		for (let i = 0; i < 50; i++) {
			s.setCondition(`pm_o${i}`, 'issuer_not_available', t);
			expect(s.decide(`pm_o${i}`, 'cus_1', t, rng).ok).toBe(false);
			expect(s.decide(`pm_o${i}`, 'cus_1', t + 12 * HOUR, rng).ok).toBe(true);
		}
	});

	it('clears insufficient funds far more often just after a payday in the customer time zone', () => {
		const s = new Scenario({ ...DEFAULT_SCENARIO, paydays: { '*': { semimonthly: 1 } } }, 5);
		const rng = new Rng(5);
		const customer = 'cus_payday';
		const zone = s.profile(customer).zone;
		// Noon local time on the 16th (a day after the 15th payday) vs. the 10th (outside the 3-day window after the 1st).
		const at = (day: number) => DateTime.fromObject({ year: 2026, month: 4, day, hour: 12 }, { zone }).toSeconds();
		expect(s.afterPayday(customer, at(16))).toBe(true);
		expect(s.afterPayday(customer, at(10))).toBe(false);
		const rate = (day: number) => {
			let ok = 0;
			for (let i = 0; i < 4000; i++) {
				s.setCondition(`pm_${day}_${i}`, 'insufficient_funds');
				if (s.decide(`pm_${day}_${i}`, customer, at(day), rng).ok) ok++;
			}
			return ok / 4000;
		};
		const after = rate(16);
		const before = rate(10);
		expect(after).toBeGreaterThan(0.55);
		expect(before).toBeLessThan(0.25);
	});
});

describe('where customers live and when they are paid', () => {
	const profileAt = (s: Scenario, id: string, address: { country: string; state?: string }) => {
		s.addressOf = (c) => (c === id ? address : null);
		return s.profile(id);
	};

	it('takes the zone from the address: state first, then the country', () => {
		const s = new Scenario(mergeScenario({ splitRegions: {} }), 1);
		expect(profileAt(s, 'cus_a', { country: 'US', state: 'CA' }).zone).toBe('America/Los_Angeles');
		expect(profileAt(s, 'cus_b', { country: 'US', state: 'NY' }).zone).toBe('America/New_York');
		expect(profileAt(s, 'cus_c', { country: 'AU', state: 'WA' }).zone).toBe('Australia/Perth');
		expect(profileAt(s, 'cus_d', { country: 'jp' }).zone).toBe('Asia/Tokyo');
		// A move redraws the profile from the new address.
		expect(profileAt(s, 'cus_a', { country: 'DE' }).zone).toBe('Europe/Berlin');
	});

	it('puts a share of a split region on the other side of the zone line', () => {
		const s = new Scenario(mergeScenario({ splitRegions: { 'US-TX': { zone: 'America/Denver', share: 0.3 } } }), 2);
		const zones = Array.from({ length: 1000 }, (_, i) => profileAt(s, `cus_${i}`, { country: 'US', state: 'TX' }).zone);
		const denver = zones.filter((z) => z === 'America/Denver').length;
		expect(denver).toBeGreaterThan(240);
		expect(denver).toBeLessThan(360);
		expect(zones.filter((z) => z !== 'America/Denver').every((z) => z === 'America/Chicago')).toBe(true);
	});

	it.each([
		// [pattern, phase, year, month, day, payday?]
		[{ kind: 'monthDays', days: [25] }, 0, 2026, 4, 24, true], // 25 Apr 2026 is a Saturday: paid Friday the 24th
		[{ kind: 'monthDays', days: [25] }, 0, 2026, 4, 25, false],
		[{ kind: 'lastWorkingDay' }, 0, 2026, 5, 29, true], // 31 May 2026 is a Sunday
		[{ kind: 'lastWorkingDay' }, 0, 2026, 5, 31, false],
		[{ kind: 'nthBusinessDay', n: 5 }, 0, 2026, 3, 6, true], // 2-6 March 2026
		[{ kind: 'nthBusinessDay', n: 5, alsoDays: [20] }, 0, 2026, 3, 20, true],
		[{ kind: 'weekly', weekday: 5 }, 0, 2026, 3, 13, true],
		[{ kind: 'monthDays', days: [31] }, 0, 2026, 2, 27, true], // February: last day, a Saturday, moved to Friday
		[{ kind: 'monthDays', days: [1, 15] }, 0, 2026, 10, 30, true], // Sunday 1 Nov 2026: paid Friday 30 Oct
		[{ kind: 'monthDays', days: [1, 15] }, 0, 2026, 11, 1, false],
	] as [PaydayRule, number, number, number, number, boolean][])('isPayday(%j, phase %i, %i-%i-%i) = %s', (rule, phase, y, m, d, expected) => {
		expect(isPayday(rule, phase, y, m, d)).toBe(expected);
	});

	it('alternates biweekly paydays', () => {
		const rule: PaydayRule = { kind: 'biweekly', weekday: 5 };
		const fridays = [6, 13, 20, 27].map((d) => isPayday(rule, 0, 2026, 3, d));
		expect(fridays).toEqual([fridays[0], !fridays[0], fridays[0], !fridays[0]]);
		expect(isPayday(rule, 1, 2026, 3, 6)).toBe(!fridays[0]);
	});

	it('has funds arrive at the local funds hour, across a DST change', () => {
		const s = new Scenario(mergeScenario({ paydays: { US: { semimonthly: 1 } }, splitRegions: {} }), 3);
		profileAt(s, 'cus_ny', { country: 'US', state: 'NY' });
		// 1 Nov 2026 is a Sunday (paid Friday 30 Oct, EDT) and DST ends that day; 15 Nov is a Sunday too (paid Fri 13th, EST).
		expect(s.lastFundsArrival('cus_ny', Date.UTC(2026, 10, 2) / 1000)).toBe(Date.UTC(2026, 9, 30, 10) / 1000);
		expect(s.lastFundsArrival('cus_ny', Date.UTC(2026, 10, 14) / 1000)).toBe(Date.UTC(2026, 10, 13, 11) / 1000);
		expect(s.lastFundsArrival('cus_ny', Date.UTC(2026, 10, 13, 10, 59) / 1000)).toBe(Date.UTC(2026, 9, 30, 10) / 1000);
	});

	it('merges per-country tables key by key and refuses what it cannot use', () => {
		const p = mergeScenario({ paydays: { JP: { lastWorkingDay: 1 } } });
		expect(p.paydays.JP).toEqual({ lastWorkingDay: 1 });
		expect(p.paydays.US).toEqual(DEFAULT_SCENARIO.paydays.US);
		expect(() => mergeScenario({ fundsHour: 24 })).toThrow(/fundsHour/);
		expect(() => mergeScenario({ zones: { XX: { main: 'Mars/Olympus' } } })).toThrow(/IANA/);
		expect(() => mergeScenario({ paydays: { JP: { fortnightlyMoon: 1 } } })).toThrow(/paydayPatterns/);
	});
});

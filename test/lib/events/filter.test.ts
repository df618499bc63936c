import { createEventMatcher, effectiveEventType, matchesEvent, type EventFilter, type FilterableEvent } from '../../../lib/events/filter';

const live = (type: string): FilterableEvent => ({ type, livemode: true, object: 'event' });
const test = (type: string): FilterableEvent => ({ type, livemode: false, object: 'event' });
const thin = (type: string, livemode = false): FilterableEvent => ({ type, livemode, object: 'v2.core.event' });

describe('matchesEvent', () => {
	const cases: Array<[string, FilterableEvent, EventFilter, boolean]> = [
		['a selected type', live('invoice.paid'), { events: ['invoice.paid'], mode: 'all' }, true],
		['an unselected type', live('invoice.created'), { events: ['invoice.paid'], mode: 'all' }, false],
		['any type with *', live('charge.refunded'), { events: ['*'], mode: 'all' }, true],
		['* among others', test('payout.paid'), { events: ['invoice.paid', '*'], mode: 'all' }, true],
		['nothing selected', live('invoice.paid'), { events: [], mode: 'all' }, false],
		['a prefix is not a wildcard', live('invoice.paid'), { events: ['invoice'], mode: 'all' }, false],
		['live event, live mode', live('invoice.paid'), { events: ['*'], mode: 'live' }, true],
		['test event, live mode', test('invoice.paid'), { events: ['*'], mode: 'live' }, false],
		['test event, test mode', test('invoice.paid'), { events: ['*'], mode: 'test' }, true],
		['live event, test mode', live('invoice.paid'), { events: ['*'], mode: 'test' }, false],
		['selected type but wrong mode', live('invoice.paid'), { events: ['invoice.paid'], mode: 'test' }, false],
		['a thin v1 event by its snapshot name', thin('v1.invoice.paid'), { events: ['invoice.paid'], mode: 'all' }, true],
		['a thin v1 event by its own name', thin('v1.invoice.paid'), { events: ['v1.invoice.paid'], mode: 'all' }, true],
		['a thin v2 event by its own name', thin('v2.core.account.created'), { events: ['v2.core.account.created'], mode: 'all' }, true],
		['a thin event of another type', thin('v1.invoice.created'), { events: ['invoice.paid'], mode: 'all' }, false],
		['a snapshot event typed like a thin one is not rewritten', live('v1.invoice.paid'), { events: ['invoice.paid'], mode: 'all' }, false],
		['a thin live event in test mode', thin('v1.invoice.paid', true), { events: ['*'], mode: 'test' }, false],
	];

	it.each(cases)('%s', (_label, event, filter, expected) => {
		expect(matchesEvent(event, filter)).toBe(expected);
		expect(createEventMatcher(filter)(event)).toBe(expected);
	});

	it('rejects an unknown mode with a message that lists the valid ones', () => {
		expect(() => matchesEvent(live('invoice.paid'), { events: ['*'], mode: 'production' as never })).toThrow(
			'Unknown mode "production"; use "all", "live" or "test".',
		);
	});

	it('does not treat a missing livemode as live or test', () => {
		const odd = { type: 'invoice.paid' } as unknown as FilterableEvent;
		expect(matchesEvent(odd, { events: ['*'], mode: 'live' })).toBe(false);
		expect(matchesEvent(odd, { events: ['*'], mode: 'test' })).toBe(false);
		expect(matchesEvent(odd, { events: ['*'], mode: 'all' })).toBe(true);
	});
});

describe('effectiveEventType', () => {
	it.each([
		[thin('v1.invoice.paid'), 'invoice.paid'],
		[thin('v2.core.account.created'), 'v2.core.account.created'],
		[live('invoice.paid'), 'invoice.paid'],
	])('%p -> %s', (event, expected) => {
		expect(effectiveEventType(event)).toBe(expected);
	});
});

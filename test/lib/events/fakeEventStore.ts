/**
 * An in-memory stand-in for `GET /v1/events`, with the list semantics the poll relies on:
 * newest first (same second: the later-created first), `created[gte]`/`created[lte]`,
 * `starting_after` anchored on an id, `limit`, `types[]`. Events can be added hidden and
 * revealed later, to model an event that becomes listable after younger ones.
 */
import type { ListEventsPage, ListEventsParams } from '../../../lib/events/poll';

export interface FakeEvent {
	id: string;
	object: 'event';
	type: string;
	created: number;
	livemode: boolean;
}

interface Stored extends FakeEvent {
	seq: number;
	visible: boolean;
}

export class FakeEventStore {
	readonly calls: ListEventsParams[] = [];

	/** Runs before each page is served (to add events while a poll is paginating). */
	beforePage?: (params: ListEventsParams) => void;

	private readonly stored: Stored[] = [];

	private seq = 0;

	/** All events sorted newest first; rebuilt after a change. */
	private sorted: Stored[] | undefined;

	add(created: number, options: { type?: string; livemode?: boolean; visible?: boolean } = {}): FakeEvent {
		this.seq++;
		const event: Stored = {
			id: `evt_${String(this.seq).padStart(6, '0')}`,
			object: 'event',
			type: options.type ?? 'invoice.paid',
			created,
			livemode: options.livemode ?? false,
			seq: this.seq,
			visible: options.visible ?? true,
		};
		this.stored.push(event);
		this.sorted = undefined;
		return strip(event);
	}

	addMany(created: number, count: number, options: { type?: string; livemode?: boolean } = {}): FakeEvent[] {
		return Array.from({ length: count }, () => this.add(created, options));
	}

	reveal(id: string): void {
		const event = this.stored.find((e) => e.id === id);
		if (!event) throw new Error(`no event ${id}`);
		event.visible = true;
		this.sorted = undefined;
	}

	/** All visible events, oldest first (creation order within a second). */
	all(): FakeEvent[] {
		return this.stored.filter((e) => e.visible).sort((a, b) => a.created - b.created || a.seq - b.seq).map(strip);
	}

	readonly list = async (params: ListEventsParams): Promise<ListEventsPage<FakeEvent>> => {
		this.calls.push({ ...params });
		this.beforePage?.(params);
		if (params.limit < 1 || params.limit > 100) throw new Error(`limit ${params.limit} out of range`);
		this.sorted ??= [...this.stored].sort((a, b) => b.created - a.created || b.seq - a.seq);
		const matching = this.sorted.filter(
				(e) =>
					e.visible &&
					e.created >= params.createdGte &&
					(params.createdLte === undefined || e.created <= params.createdLte) &&
					(params.types === undefined || params.types.includes(e.type)),
		);
		let start = 0;
		if (params.startingAfter !== undefined) {
			const index = matching.findIndex((e) => e.id === params.startingAfter);
			if (index < 0) throw new Error(`starting_after ${params.startingAfter} is not in the list`);
			start = index + 1;
		}
		const data = matching.slice(start, start + params.limit);
		return { data: data.map(strip), has_more: start + params.limit < matching.length };
	};
}

function strip(event: Stored): FakeEvent {
	return { id: event.id, object: 'event', type: event.type, created: event.created, livemode: event.livemode };
}

/** Small deterministic PRNG (mulberry32) for reproducible randomised tests. */
export { mulberry32 as prng } from '../../../lib/retry/prng';

import { notFound } from './errors';
import { paginate, type ListEnvelope, type Seq } from './list';
import type { Params } from './params';

/** Objects of one kind in creation order, addressable by id and position; deleted slots stay as holes so cursors keep working. */
export class Collection<T extends { id: string }> implements Seq<T> {
	private items: (T | undefined)[] = [];
	private index = new Map<string, number>();
	private firstLive = 0;

	/** kind is the noun Stripe uses in messages ("customer", "price"). */
	constructor(readonly kind: string) {}

	add(o: T): T {
		this.index.set(o.id, this.items.length);
		this.items.push(o);
		return o;
	}

	get(id: string): T | undefined {
		const i = this.index.get(id);
		return i === undefined ? undefined : this.items[i];
	}

	require(id: string, param = 'id'): T {
		const o = this.get(id);
		if (!o) throw notFound(this.kind, id, param);
		return o;
	}

	remove(id: string): void {
		const i = this.index.get(id);
		if (i === undefined) return;
		this.items[i] = undefined;
		this.index.delete(id);
	}

	/** Drops the oldest objects while `expired` holds (event retention). */
	pruneOldest(expired: (o: T) => boolean): void {
		while (this.firstLive < this.items.length) {
			const o = this.items[this.firstLive];
			if (o !== undefined) {
				if (!expired(o)) break;
				this.items[this.firstLive] = undefined;
				this.index.delete(o.id);
			}
			this.firstLive++;
		}
	}

	size(): number {
		return this.items.length;
	}

	count(): number {
		return this.index.size;
	}

	indexOf(id: string): number {
		return this.index.get(id) ?? -1;
	}

	at(i: number): T | undefined {
		return this.items[i];
	}

	*values(): IterableIterator<T> {
		for (let i = this.firstLive; i < this.items.length; i++) {
			const o = this.items[i];
			if (o !== undefined) yield o;
		}
	}

	list(p: Params, url: string, pred?: (o: T) => boolean): ListEnvelope<T> {
		return paginate(this, p, url, (i) => {
			const o = this.items[i];
			return o !== undefined && (!pred || pred(o));
		}, this.kind);
	}
}

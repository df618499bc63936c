/**
 * Reads what a revenue profile needs from Stripe, at processing time (issue 11): one customer by
 * id (five requests), or every customer of the account in bulk (a few list calls per hundred
 * objects, for the nightly full sync). The bulk list cannot see deleted customers (Stripe's list
 * leaves them out): their CRM records change on `customer.deleted` through the per-customer path. The transport is the package's Stripe client; the
 * real clock is passed in, and a customer on a Stripe test clock lives at its `frozen_time`.
 */
import { groupBy } from '../group';
import { idOf, isRecord } from '../ids';
import type { StripeClient, StripeList } from '../stripe/client';
import { isMissing, settle } from '../stripe/errors';
import { encodePath } from '../stripe/path';
import { buildProfile, CrmInputError, type ChargeLikeForProfile, type CustomerLike, type InvoiceLikeForProfile, type ProfileInput, type ProfileSubscription, type RevenueProfile } from './profile';

export interface ProfileOptions {
	/** The real clock, unix seconds. */
	realNow: number;
	reportingCurrency: string;
	rates?: Record<string, number>;
	recoveredDays?: number;
}

/** Product names by id, shared by the profiles of one execution (one lookup per product). */
export type ProductCache = Map<string, Promise<string | undefined>>;

/**
 * The customer an input item names: a `customerId` or `customer` field (this package's trigger
 * items carry `customerId`), a Stripe event's `data.object` (its `customer`, or the customer
 * itself), or a customer object. `undefined` when there is none.
 */
export function customerIdFromItem(json: Record<string, unknown>): string | undefined {
	for (const key of ['customerId', 'customer']) {
		const id = idOf(json[key]);
		if (id?.startsWith('cus_')) return id;
	}
	const event = isRecord(json.event) ? json.event : json;
	const object = isRecord(event.data) && isRecord(event.data.object) ? event.data.object : undefined;
	for (const candidate of [object, isRecord(json.currentObject) ? json.currentObject : undefined, json]) {
		if (!candidate) continue;
		if (candidate.object === 'customer' && typeof candidate.id === 'string') return candidate.id;
		const id = idOf(candidate.customer);
		if (id?.startsWith('cus_')) return id;
	}
	return undefined;
}

/** The names of products that the subscriptions' prices name without a nickname (one list call per 100 new ids). */
async function productNames(client: StripeClient, subs: readonly ProfileSubscription[], cache: ProductCache): Promise<Record<string, string>> {
	const wanted = new Set<string>();
	for (const s of subs) for (const item of s.items.data) if (!item.price.nickname && typeof item.price.product === 'string') wanted.add(item.price.product);
	const missing = [...wanted].filter((id) => !cache.has(id));
	for (let i = 0; i < missing.length; i += 100) {
		const ids = missing.slice(i, i + 100);
		const page = client.get<StripeList<{ id: string; name: string }>>('/v1/products', { ids, limit: 100 });
		for (const id of ids) cache.set(id, page.then((p) => p.data.find((x) => x.id === id)?.name));
	}
	const names: Record<string, string> = {};
	for (const id of wanted) {
		const name = await cache.get(id);
		if (name) names[id] = name;
	}
	return names;
}

async function clockNow(client: StripeClient, customer: CustomerLike & { test_clock?: unknown }, realNow: number, clocks: Map<string, Promise<number>>): Promise<{ now: number; clock: 'testClock' | 'realClock' }> {
	const clockId = idOf(customer.test_clock);
	if (!clockId) return { now: realNow, clock: 'realClock' };
	let frozen = clocks.get(clockId);
	if (!frozen) {
		frozen = client.get<{ frozen_time: number }>(encodePath`/v1/test_helpers/test_clocks/${clockId}`).then((c) => c.frozen_time);
		clocks.set(clockId, frozen);
	}
	return { now: await frozen, clock: 'testClock' };
}

/**
 * Reads one customer's state and builds its profile: the customer, its subscriptions (all statuses),
 * its open and uncollectible invoices (the ones health and dunning depend on), all its charges and
 * its test clock: five requests in parallel. An unknown customer is a {@link CrmInputError}.
 */
export async function loadProfile(client: StripeClient, customerId: string, options: ProfileOptions, cache: { products: ProductCache; clocks: Map<string, Promise<number>> }): Promise<RevenueProfile> {
	if (!/^cus_\w+$/.test(customerId)) throw new CrmInputError(`"${customerId}" is not a Stripe customer id (they start with cus_).`);
	const read = await settle(client.get<CustomerLike & { test_clock?: unknown }>(encodePath`/v1/customers/${customerId}`, { expand: ['invoice_settings.default_payment_method'] }));
	if (!read.ok) {
		if (isMissing(read.error)) throw new CrmInputError(`Customer ${customerId} does not exist in this Stripe account (${(read.error as Error).message}). Check the customer id, and the credential's account and mode.`);
		throw read.error;
	}
	const customer = read.value;
	// The same reads as the bulk path (loadAllProfiles), for one customer: the profiles must be equal.
	const none = <T>(): Promise<T[]> => Promise.resolve([]);
	const [subscriptions, open, uncollectible, charges, clock] = await Promise.all([
		customer.deleted ? none<ProfileSubscription>() : client.listAll<ProfileSubscription>('/v1/subscriptions', { customer: customerId, status: 'all', expand: ['data.default_payment_method', 'data.discounts'] }),
		customer.deleted ? none<InvoiceLikeForProfile>() : client.listAll<InvoiceLikeForProfile>('/v1/invoices', { customer: customerId, status: 'open' }),
		customer.deleted ? none<InvoiceLikeForProfile>() : client.listAll<InvoiceLikeForProfile>('/v1/invoices', { customer: customerId, status: 'uncollectible' }),
		customer.deleted ? none<ChargeLikeForProfile>() : client.listAll<ChargeLikeForProfile>('/v1/charges', { customer: customerId }),
		customer.deleted ? Promise.resolve({ now: options.realNow, clock: 'realClock' as const }) : clockNow(client, customer, options.realNow, cache.clocks),
	]);
	const names = await productNames(client, subscriptions, cache.products);
	return buildProfile(profileInput(customer, subscriptions, [...open, ...uncollectible], charges, clock, names, options));
}

function profileInput(
	customer: CustomerLike,
	subscriptions: ProfileSubscription[],
	invoices: InvoiceLikeForProfile[],
	charges: ChargeLikeForProfile[],
	clock: { now: number; clock: 'testClock' | 'realClock' },
	productNames: Record<string, string>,
	options: ProfileOptions,
): ProfileInput {
	return {
		customer,
		subscriptions,
		invoices,
		charges,
		now: clock.now,
		clock: clock.clock,
		productNames,
		reportingCurrency: options.reportingCurrency,
		rates: options.rates,
		recoveredDays: options.recoveredDays,
	};
}

/** Charges read at once in the bulk path (the execution's rate limiter keeps them within Stripe's limits). */
const CHARGE_SLICES = 8;

/** Every object of a list created in [from, to), read as `slices` time ranges in parallel; a charge created before `from` (a customer's charge older than every customer) is read by the first slice. */
async function sliced<T extends { id: string }>(client: StripeClient, path: string, from: number, to: number, slices: number): Promise<T[]> {
	const width = Math.max(1, Math.ceil((to - from) / slices));
	const ranges = Array.from({ length: slices }, (_, i) => ({ gte: i === 0 ? 0 : from + i * width, lt: i === slices - 1 ? to + 86_400 * 365 * 10 : from + (i + 1) * width })).filter((r) => r.gte < r.lt);
	const parts = await Promise.all(ranges.map((created) => client.listAll<T>(path, { created })));
	return parts.flat();
}

/** One customer's outcome in a bulk read: its profile, or the error that stopped it (a missing rate). */
export type BulkProfile = { customerId: string; profile: RevenueProfile } | { customerId: string; error: Error };

/**
 * Every customer's profile, from bulk lists: customers, subscriptions (all statuses), the open and
 * uncollectible invoices and all charges, 100 per request. The profiles equal what
 * {@link loadProfile} gives one by one (the tests compare them).
 */
export async function loadAllProfiles(client: StripeClient, options: ProfileOptions, cache: { products: ProductCache; clocks: Map<string, Promise<number>> }): Promise<BulkProfile[]> {
	const customersRead = client.listAll<CustomerLike & { test_clock?: unknown }>('/v1/customers', { expand: ['data.invoice_settings.default_payment_method'] });
	// Charges are the longest list (every payment ever): read in time slices in parallel, from the oldest customer on.
	const chargesRead = customersRead.then((customers) => {
		const from = Math.min(...customers.map((c) => c.created ?? options.realNow), options.realNow);
		return sliced<ChargeLikeForProfile & { customer?: unknown }>(client, '/v1/charges', from, options.realNow + 1, CHARGE_SLICES);
	});
	const [customers, subscriptions, open, uncollectible, charges] = await Promise.all([
		customersRead,
		client.listAll<ProfileSubscription>('/v1/subscriptions', { status: 'all', expand: ['data.default_payment_method', 'data.discounts'] }),
		client.listAll<InvoiceLikeForProfile & { customer?: unknown }>('/v1/invoices', { status: 'open' }),
		client.listAll<InvoiceLikeForProfile & { customer?: unknown }>('/v1/invoices', { status: 'uncollectible' }),
		chargesRead,
	]);
	const subsBy = groupBy(subscriptions, (s) => idOf(s.customer));
	const invoicesBy = groupBy([...open, ...uncollectible], (i) => idOf(i.customer));
	const chargesBy = groupBy(charges, (c) => idOf(c.customer));
	const names = await productNames(client, subscriptions, cache.products);
	const out: BulkProfile[] = [];
	for (const customer of customers) {
		try {
			const clock = await clockNow(client, customer, options.realNow, cache.clocks);
			const subs = subsBy.get(customer.id) ?? [];
			out.push({ customerId: customer.id, profile: buildProfile(profileInput(customer, subs, invoicesBy.get(customer.id) ?? [], chargesBy.get(customer.id) ?? [], clock, names, options)) });
		} catch (error) {
			out.push({ customerId: customer.id, error: error instanceof Error ? error : new Error(String(error)) });
		}
	}
	return out;
}

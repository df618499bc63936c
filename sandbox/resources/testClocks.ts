/**
 * Test clocks as Stripe objects (`/v1/test_helpers/test_clocks`, https://docs.stripe.com/billing/testing/test-clocks)
 * and billing-portal sessions (`POST /v1/billing_portal/sessions`) with a small local portal page.
 *
 * The sandbox runs one engine clock. It is exposed as the test clock {@link GLOBAL_TEST_CLOCK_ID}: its
 * `frozen_time` is the sandbox's "now", and advancing it runs due work (renewals, retries, payouts, webhooks) as
 * `sandbox.clock.advance` does. Other test clocks are objects with their own `frozen_time` and advance as Stripe's
 * do (`advancing` then `ready`, with events), but the objects of customers attached to them still follow the
 * global clock (a documented limitation, sandbox/README.md).
 */
import type Stripe from 'stripe';
import { ApiError, invalidParam, invalidState, missingParam, notFound } from '../core/errors';
import type { Router } from '../core/router';
import type { World } from '../world';

/** The sandbox's own clock as a test clock object. */
export const GLOBAL_TEST_CLOCK_ID = 'clock_1SbxSandboxGlobalClock0';
/** Stripe deletes a test clock 30 days after creation (`deletes_after`). */
const CLOCK_LIFETIME = 30 * 86400;
/** "You can add up to three customers to a test clock" (Stripe test clocks docs, limitations; as remembered, 2025). */
export const MAX_CUSTOMERS_PER_CLOCK = 3;
/** The account's default portal configuration. */
export const DEFAULT_PORTAL_CONFIGURATION = 'bpc_1SbxSandboxDefaultPortal0';

const PORTAL_LOCALES = ['auto', 'bg', 'cs', 'da', 'de', 'el', 'en', 'en-AU', 'en-CA', 'en-GB', 'en-IE', 'en-IN', 'en-NZ', 'en-SG', 'es', 'es-419', 'et', 'fi', 'fil', 'fr', 'fr-CA', 'hr', 'hu', 'id', 'it', 'ja', 'ko', 'lt', 'lv', 'ms', 'mt', 'nb', 'nl', 'pl', 'pt', 'pt-BR', 'ro', 'ru', 'sk', 'sl', 'sv', 'th', 'tr', 'vi', 'zh', 'zh-HK', 'zh-TW'] as const;

/** The global clock object, created on first use, its `frozen_time` refreshed to the sandbox's now. */
export function globalTestClock(w: World): Stripe.TestHelpers.TestClock {
	let c = w.testClocks.get(GLOBAL_TEST_CLOCK_ID);
	if (!c) {
		c = { id: GLOBAL_TEST_CLOCK_ID, object: 'test_helpers.test_clock', created: w.now(), deletes_after: w.now() + 100 * 365 * 86400, frozen_time: w.now(), livemode: false, name: 'Sandbox clock', status: 'ready', status_details: {} };
		w.testClocks.add(c);
	}
	if (c.status === 'ready') c.frozen_time = w.now();
	return c;
}

/** Throws unless the id names a test clock that can take one more customer; returns its id. */
export function requireClockForCustomer(w: World, id: string): string {
	const c = id === GLOBAL_TEST_CLOCK_ID ? globalTestClock(w) : w.testClocks.get(id);
	if (!c) throw invalidParam('test_clock', `No such test clock: '${id}'`, 'resource_missing');
	if (id !== GLOBAL_TEST_CLOCK_ID) {
		const n = [...w.customers.values()].filter((x) => x.test_clock === id).length;
		if (n >= MAX_CUSTOMERS_PER_CLOCK) throw invalidParam('test_clock', `Test clock ${id} already has ${n} customers; a test clock can have at most ${MAX_CUSTOMERS_PER_CLOCK}.`);
	}
	return c.id;
}

export interface ClockDriver {
	/** Runs the sandbox's clock forward to `target` (due work, webhooks). */
	advanceTo(target: number): Promise<void>;
}

function escapeHtml(s: string): string {
	return s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] as string);
}

export function registerTestClocks(r: Router, w: World, driver: ClockDriver): void {
	const find = (id: string): Stripe.TestHelpers.TestClock => {
		if (id === GLOBAL_TEST_CLOCK_ID) return globalTestClock(w);
		const c = w.testClocks.get(id);
		if (!c) throw notFound('test_clock', id);
		return c;
	};
	r.post('/v1/test_helpers/test_clocks', ({ params }) => {
		params.allow(['frozen_time', 'name', 'customer']);
		const frozen = params.int('frozen_time', true);
		const name = params.str('name');
		if (name !== undefined && name.length > 300) throw invalidParam('name', 'The name of a test clock can be at most 300 characters.');
		const customer = params.str('customer');
		if (customer !== undefined) w.customers.require(customer, 'customer');
		globalTestClock(w);
		const c: Stripe.TestHelpers.TestClock = { id: w.id('clock', 24), object: 'test_helpers.test_clock', created: w.now(), deletes_after: w.now() + CLOCK_LIFETIME, frozen_time: frozen, livemode: false, name: name ?? null, status: 'ready', status_details: {} };
		w.testClocks.add(c);
		w.emit('test_helpers.test_clock.created', c);
		return c;
	});
	r.get('/v1/test_helpers/test_clocks/:id', ({ pathParams }) => find(pathParams.id));
	r.get('/v1/test_helpers/test_clocks', ({ params }) => {
		globalTestClock(w);
		return w.testClocks.list(params, '/v1/test_helpers/test_clocks', (c) => c.deletes_after > w.now());
	});
	r.del('/v1/test_helpers/test_clocks/:id', ({ pathParams }) => {
		const c = find(pathParams.id);
		if (c.id === GLOBAL_TEST_CLOCK_ID) throw invalidState(`The sandbox's global test clock (${GLOBAL_TEST_CLOCK_ID}) drives the whole sandbox and cannot be deleted.`);
		// Deleting a test clock deletes the customers attached to it (and with them their subscriptions).
		for (const cust of [...w.customers.values()]) {
			if (cust.test_clock !== c.id) continue;
			w.customers.remove(cust.id);
			w.deletedIds.add(cust.id);
			for (const s of w.subscriptions.values()) {
				if (s.customer === cust.id && s.status !== 'canceled') w.update(null, s, (o) => ((o.status = 'canceled'), (o.canceled_at = w.now()), (o.ended_at = w.now())));
			}
		}
		w.testClocks.remove(c.id);
		w.emit('test_helpers.test_clock.deleted', c);
		return { id: c.id, object: 'test_helpers.test_clock', deleted: true };
	});
	r.post('/v1/test_helpers/test_clocks/:id/advance', ({ pathParams, params }) => {
		const c = find(pathParams.id);
		params.allow(['frozen_time']);
		const target = params.int('frozen_time', true);
		if (c.status === 'advancing') {
			throw new ApiError(400, { type: 'invalid_request_error', code: 'test_clock_advancing', message: `Test clock ${c.id} is already advancing; wait until its status is 'ready'.` });
		}
		if (target <= c.frozen_time) throw invalidParam('frozen_time', `The frozen_time (${target}) must be later than the test clock's current frozen_time (${c.frozen_time}).`);
		w.update(null, c, (o) => {
			o.status = 'advancing';
			o.status_details = { advancing: { target_frozen_time: target } };
		});
		w.emit('test_helpers.test_clock.advancing', c);
		const snapshot = JSON.parse(JSON.stringify(c)) as Stripe.TestHelpers.TestClock;
		// Stripe advances asynchronously: the answer says `advancing`; `ready` (and its event) follow.
		setImmediate(() => {
			const work = c.id === GLOBAL_TEST_CLOCK_ID ? driver.advanceTo(target) : Promise.resolve();
			work.then(
				() => {
					w.update(null, c, (o) => {
						o.frozen_time = target;
						o.status = 'ready';
						o.status_details = {};
					});
					w.emit('test_helpers.test_clock.ready', c);
				},
				(e: unknown) => {
					w.update(null, c, (o) => ((o.status = 'internal_failure'), (o.status_details = {})));
					w.emit('test_helpers.test_clock.internal_failure', c);
					process.stderr.write(`sandbox: test clock ${c.id} failed to advance: ${String(e)}\n`);
				},
			);
		});
		return snapshot;
	});

	// Billing portal sessions
	r.post('/v1/billing_portal/sessions', ({ params, headers }) => {
		params.allow(['customer', 'return_url', 'configuration', 'locale', 'on_behalf_of', 'flow_data', 'after_expiration', 'customer_account']);
		const customerId = params.str('customer');
		if (customerId === undefined) throw missingParam('customer');
		const customer = w.customers.require(customerId, 'customer');
		const returnUrl = params.str('return_url');
		if (returnUrl !== undefined && !/^https?:\/\/[^\s/]+/i.test(returnUrl)) throw invalidParam('return_url', 'Not a valid URL', 'url_invalid');
		const configuration = params.str('configuration') ?? DEFAULT_PORTAL_CONFIGURATION;
		if (configuration !== DEFAULT_PORTAL_CONFIGURATION) throw invalidParam('configuration', `No such configuration: '${configuration}'`, 'resource_missing');
		const locale = params.oneOf('locale', PORTAL_LOCALES) ?? null;
		const host = typeof headers.host === 'string' && /^[A-Za-z0-9.:[\]-]+$/.test(headers.host) ? headers.host : '127.0.0.1';
		const id = w.id('bps', 24);
		const session = {
			id,
			object: 'billing_portal.session',
			configuration,
			created: w.now(),
			customer: customer.id,
			customer_account: null,
			flow: null,
			livemode: false,
			locale,
			on_behalf_of: params.str('on_behalf_of') ?? null,
			return_url: returnUrl ?? null,
			url: `http://${host}/p/session/test_${w.ids.token(32)}`,
		} as Stripe.BillingPortal.Session;
		w.portalSessions.add(session);
		w.emit('billing_portal.session.created', session);
		return session;
	});
}

/** The portal page for `GET /p/session/:token` (no authentication, no external assets), or null. */
export function portalPage(w: World, path: string): string | null {
	const m = /^\/p\/session\/(test_[A-Za-z0-9]+)$/.exec(path);
	if (!m) return null;
	const session = [...w.portalSessions.values()].find((s) => s.url.endsWith(`/p/session/${m[1]}`));
	if (!session) return null;
	const c = w.customers.get(session.customer);
	const pmId = c?.invoice_settings.default_payment_method;
	const pm = typeof pmId === 'string' ? w.paymentMethods.get(pmId) : undefined;
	const open = [...w.invoices.values()].filter((i) => i.customer === session.customer && i.status === 'open');
	const rows = open.map((i) => `<li>${escapeHtml(i.number ?? i.id ?? '')}: ${(i.amount_remaining / 100).toFixed(2)} ${escapeHtml(i.currency.toUpperCase())}${i.hosted_invoice_url ? ` (<a href="${escapeHtml(i.hosted_invoice_url)}">pay</a>)` : ''}</li>`).join('');
	return [
		'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Billing portal (sandbox)</title>',
		'<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}</style></head><body>',
		'<h1>Billing portal</h1>',
		`<p>Customer: ${escapeHtml(c?.name ?? c?.email ?? session.customer)} (<code>${escapeHtml(session.customer)}</code>)</p>`,
		`<p>Payment method: ${pm?.card ? `${escapeHtml(pm.card.brand)} •••• ${escapeHtml(pm.card.last4)}` : 'none'}</p>`,
		`<h2>Open invoices</h2>${open.length ? `<ul>${rows}</ul>` : '<p>None.</p>'}`,
		session.return_url ? `<p><a href="${escapeHtml(session.return_url)}">Return</a></p>` : '',
		'</body></html>',
	].join('\n');
}

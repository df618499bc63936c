/**
 * Stripe keeps events retrievable for 30 days: `GET /v1/events` "going back up to 30 days"
 * (https://docs.stripe.com/api/events/list, read 2025). After that an event can be neither
 * listed nor redelivered, which bounds how long anything about it is worth remembering.
 */
export const STRIPE_EVENT_RETENTION_SECONDS = 30 * 24 * 60 * 60;

/** Usage metering into Stripe Billing meters (issue 9): validation, identifiers, aggregation, the v2 stream and v1 senders, cancel and summaries. */
export * from './events';
export * from './send';
export * from './report';
export * from './summary';

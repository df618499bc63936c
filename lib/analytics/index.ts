/** Revenue analytics (issue 12), pure: MRR history and movements, summary metrics and cohorts, the failed-payment and Checkout funnels, tax and net revenue; compute.ts reads Stripe for them. */
export * from './shapes';
export * from './mrrHistory';
export * from './metrics';
export * from './payments';
export * from './checkout';
export * from './tax';
export * from './compute';

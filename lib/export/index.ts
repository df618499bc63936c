/** Balance export (issue 10): export rows, exact reads by range and incrementally, payout reconciliation, journals. */
export * from './rows';
export * from './fetch';
export * from './reconcile';
export * from './journal';
export * from './tax';

export * from './client';
export * from './errors';
export * from './form';
export * from './idempotency';
export * from './keys';
export * from './path';
export * from './rateLimiter';
export * from './transport';

export * from './catalog';
export * from './constants';
export * from './dedupe';
export * from './filter';
export * from './flatten';
export * from './poll';
export * from './pollGuard';
export * from './groupCommit';

export * from './alerts';
export * from './load';
export * from './mrr';
export * from './profile';
export * from './schema';
export * from './shape';

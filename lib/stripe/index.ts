export * from './client';
export * from './errors';
export * from './form';
export * from './keys';
export * from './transport';

export * from './signature';
export * from './thin';

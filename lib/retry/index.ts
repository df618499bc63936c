/** The retry engine's pure core (issue 8): decline taxonomy, card-network rules, timing and time zones, dunning stages and messages. */
export * from './declineCodes';
export * from './declines';
export * from './networkRules';
export * from './calendar';
export * from './timing';
export * from './zones';
export * from './dunning';
export * from './prng';
export * from './model';
export * from './payroll';
export * from './plan';
export * from './evaluate';
export * from './pay';
export * from './history';
export * from './service';

/** The retry engine's pure core: decline taxonomy and card-network rules (issue 8). */
export * from './declineCodes';
export * from './declines';
export * from './networkRules';

import { de } from './de';
import { en } from './en';
import { es } from './es';
import { fr } from './fr';
import { it } from './it';
import { ja } from './ja';
import { nl } from './nl';
import { pt } from './pt';
import type { DunningTemplates } from './types';

export * from './types';

/** The built-in texts, by language subtag (lower case). `en` is the last fallback. */
export const DUNNING_MESSAGES: Readonly<Record<string, DunningTemplates>> = { en, de, fr, es, it, nl, pt, ja };

/** The languages with built-in texts. */
export const DUNNING_LOCALES = Object.keys(DUNNING_MESSAGES) as readonly string[];

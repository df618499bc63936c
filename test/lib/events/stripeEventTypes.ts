/**
 * Reads the v1 snapshot event types, and Stripe's one-line description of each, from the
 * installed `stripe` package's type declarations (`Stripe.Event.Type` in
 * cjs/resources/Events.d.ts). Used by the catalog drift test and by generate-catalog.ts.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface DeclaredEventType {
	type: string;
	description: string;
}

/** Path of the declaration file that holds the `Event.Type` union. */
export function stripeEventsDeclarationPath(): string {
	// 'stripe' resolves to cjs/stripe.cjs.node.js; its declarations sit next to it.
	return join(dirname(require.resolve('stripe')), 'resources', 'Events.d.ts');
}

/** The installed stripe version, for the generated file's header. */
export function installedStripeVersion(): string {
	const packageJson = join(dirname(require.resolve('stripe')), '..', 'package.json');
	return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
}

/** The members of `Event.Type`, in declaration order. */
export function readEventTypeUnion(source = readFileSync(stripeEventsDeclarationPath(), 'utf8')): string[] {
	const match = /export declare namespace Event \{[\s\S]*?\btype Type = ([^;]+);/.exec(source);
	if (!match) throw new Error('Could not find `namespace Event { type Type = ... }` in stripe\'s Events.d.ts; its layout changed.');
	const members = match[1].split('|').map((member) => member.trim());
	for (const member of members) {
		if (!/^'[a-z0-9_.]+'$/.test(member)) throw new Error(`Unexpected member ${member} in Event.Type.`);
	}
	return members.map((member) => member.slice(1, -1));
}

/** Each event interface's doc comment, keyed by its `type` literal. */
export function readEventDescriptions(source = readFileSync(stripeEventsDeclarationPath(), 'utf8')): Map<string, string> {
	const descriptions = new Map<string, string>();
	const pattern = /\/\*\*\n((?:\s*\*.*\n)+?)\s*\*\/\nexport interface \w+ extends EventBase \{\n\s*type: '([^']+)';/g;
	for (const match of source.matchAll(pattern)) {
		const text = match[1]
			.split('\n')
			.map((line) => line.replace(/^\s*\* ?/, '').trim())
			.filter((line) => line !== '')
			.join(' ')
			// Markdown links become their text: the editor shows descriptions as plain text.
			.replace(/\[([^\]]+)\]\([^)]+\)/g, '$1');
		descriptions.set(match[2], text);
	}
	return descriptions;
}

/** Every declared event type with its description ('' when Stripe has none). */
export function readDeclaredEventTypes(): DeclaredEventType[] {
	const source = readFileSync(stripeEventsDeclarationPath(), 'utf8');
	const descriptions = readEventDescriptions(source);
	return readEventTypeUnion(source).map((type) => ({ type, description: descriptions.get(type) ?? '' }));
}

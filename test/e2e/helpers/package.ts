/**
 * What this package declares to n8n: the node and credential types listed in package.json's `n8n` section,
 * read from the built `dist/` files, so e2e tests follow the list as nodes are added.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { ROOT } from './n8n';

interface PackageJson {
	name: string;
	n8n?: { nodes?: string[]; credentials?: string[] };
}

export interface DeclaredNode {
	/** dist path from package.json */
	file: string;
	/** description.name */
	name: string;
	/** The type n8n gives it: `<package name>.<name>` */
	type: string;
	/** Every typeVersion the node supports. */
	versions: number[];
	/** description.usableAsTool: n8n then also registers `<type>Tool`. */
	usableAsTool: boolean;
}

export interface DeclaredCredential {
	file: string;
	name: string;
	/** Names of the credential's fields. */
	properties: string[];
	/** The credential's `test.rules` (what n8n answers for a given response code). */
	testRules: Array<{ type: string; properties: { value?: unknown; message?: string } }>;
}

export function readPackageJson(): PackageJson {
	return JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as PackageJson;
}

type Constructor = new () => unknown;

function loadClasses(file: string): unknown[] {
	const absolute = path.join(ROOT, file);
	if (!fs.existsSync(absolute)) {
		throw new Error(`package.json lists ${file}, which does not exist. Run npm run build (scripts/e2e.mjs does) and check the path.`);
	}
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const exported = require(absolute) as Record<string, unknown>;
	const instances = Object.values(exported)
		.filter((value): value is Constructor => typeof value === 'function')
		.map((Class) => new Class());
	if (instances.length === 0) throw new Error(`${file} exports no class.`);
	return instances;
}

function asVersions(version: unknown): number[] {
	if (Array.isArray(version)) return version.map(Number);
	if (typeof version === 'number') return [version];
	return [1];
}

export function declaredNodes(): DeclaredNode[] {
	const pkg = readPackageJson();
	return (pkg.n8n?.nodes ?? []).map((file) => {
		const node = loadClasses(file).find(
			(instance): instance is { description: { name: string; version?: unknown; defaultVersion?: number; usableAsTool?: boolean }; nodeVersions?: Record<string, unknown> } =>
				typeof (instance as { description?: { name?: unknown } }).description?.name === 'string',
		);
		if (!node) throw new Error(`${file} exports no node class (a class whose instances have description.name).`);
		const versions = node.nodeVersions ? Object.keys(node.nodeVersions).map(Number) : asVersions(node.description.version);
		return { file, name: node.description.name, type: `${pkg.name}.${node.description.name}`, versions: versions.sort((a, b) => a - b), usableAsTool: node.description.usableAsTool === true };
	});
}

export function declaredCredentials(): DeclaredCredential[] {
	const pkg = readPackageJson();
	return (pkg.n8n?.credentials ?? []).map((file) => {
		const credential = loadClasses(file).find(
			(instance): instance is { name: string; properties: Array<{ name: string }>; test?: { rules?: DeclaredCredential['testRules'] } } =>
				typeof (instance as { name?: unknown }).name === 'string' && Array.isArray((instance as { properties?: unknown }).properties),
		);
		if (!credential) throw new Error(`${file} exports no credential class (a class whose instances have name and properties).`);
		return {
			file,
			name: credential.name,
			properties: credential.properties.map((property) => property.name),
			testRules: credential.test?.rules ?? [],
		};
	});
}

/**
 * Reads a JSON fixture from test/e2e/fixtures, replacing `{{NAME}}` placeholders with `vars.NAME`.
 * A placeholder without a value is an error, unless `keepUnknown` (then it stays as written).
 */
export function loadFixture<T = unknown>(fileName: string, vars: Record<string, string> = {}, { keepUnknown = false } = {}): T {
	const file = path.join(ROOT, 'test', 'e2e', 'fixtures', fileName);
	const text = fs.readFileSync(file, 'utf8').replace(/\{\{([A-Z0-9_]+)\}\}/g, (placeholder, name: string) => {
		if (name in vars) return vars[name];
		if (keepUnknown) return placeholder;
		throw new Error(`${fileName} has the placeholder ${placeholder}; pass ${name} to loadFixture().`);
	});
	return JSON.parse(text) as T;
}

/** Names of the fixture files in test/e2e/fixtures that end with `suffix`. */
export function fixtureFiles(suffix: string): string[] {
	return fs
		.readdirSync(path.join(ROOT, 'test', 'e2e', 'fixtures'))
		.filter((name) => name.endsWith(suffix))
		.sort();
}

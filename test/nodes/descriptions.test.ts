import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import type { INodeProperties, INodePropertyOptions, INodeType } from 'n8n-workflow';

import { loadPackages, PACKAGE_NAME, PACKAGE_ROOT } from '../harness/n8n';

const pkg = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8'));

function nodeClasses(): Array<{ file: string; node: INodeType }> {
	return (pkg.n8n.nodes as string[]).map((file) => {
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		const mod = require(path.join(PACKAGE_ROOT, file)) as Record<string, new () => INodeType>;
		const Cls = Object.values(mod)[0];
		return { file, node: new Cls() };
	});
}

function walk(props: INodeProperties[], visit: (p: INodeProperties, trail: string) => void, trail = '') {
	for (const p of props) {
		visit(p, `${trail}${p.name}`);
		for (const o of (p.options ?? []) as Array<INodeProperties | INodePropertyOptions>) {
			if ('displayName' in o && 'type' in o) walk([o as INodeProperties], visit, `${trail}${p.name}.`);
		}
	}
}

test('package.json: no runtime dependencies, n8n-workflow as peer, n8n section lists built files', () => {
	expect(pkg.dependencies ?? {}).toEqual({});
	expect(pkg.peerDependencies).toEqual({ 'n8n-workflow': '*' });
	expect(pkg.keywords).toContain('n8n-community-node-package');
	expect(pkg.n8n.n8nNodesApiVersion).toBe(1);
	for (const file of [...pkg.n8n.nodes, ...pkg.n8n.credentials]) expect(existsSync(path.join(PACKAGE_ROOT, file))).toBe(true);
});

test.each(nodeClasses().map((c) => [c.node.description.name, c] as const))('%s: codex, icons, unique camelCase values, documented options', (_name, { file, node }) => {
	const d = node.description;
	const dir = path.dirname(path.join(PACKAGE_ROOT, file));
	const codex = JSON.parse(readFileSync(path.join(dir, `${path.basename(file, '.js')}.json`), 'utf8'));
	expect(codex.node).toBe(`${PACKAGE_NAME}.${d.name}`);
	expect(codex.resources.primaryDocumentation.length).toBeGreaterThan(0);
	const icon = d.icon as { light: string; dark: string };
	for (const variant of [icon.light, icon.dark]) expect(existsSync(path.join(dir, variant.replace('file:', '')))).toBe(true);
	if (d.group.includes('trigger')) {
		expect(d.name.endsWith('Trigger')).toBe(true);
		expect(d.inputs).toEqual([]);
	}
	walk(d.properties, (p, trail) => {
		expect(p.name).toMatch(/^[a-z][a-zA-Z0-9]*$/);
		if (p.type === 'options' || p.type === 'multiOptions') {
			const values = (p.options as INodePropertyOptions[]).map((o) => o.value);
			expect({ trail, unique: new Set(values).size }).toEqual({ trail, unique: values.length });
			for (const o of p.options as INodePropertyOptions[]) expect(o.name.length).toBeGreaterThan(0);
		}
		if (p.type !== 'notice') expect({ trail, described: Boolean(p.description) || p.type === 'collection' || p.type === 'options' }).toEqual({ trail, described: true });
	});
});

test('n8n-core loads every node and the credential from dist/', async () => {
	const loaders = await loadPackages();
	const ours = loaders[PACKAGE_NAME];
	expect(Object.keys(ours.known.credentials)).toEqual(['stripeRevOpsApi']);
	const names = nodeClasses().map((c) => c.node.description.name).sort();
	expect(Object.keys(ours.known.nodes).sort()).toEqual(names);
});

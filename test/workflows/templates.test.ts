/**
 * Every template in workflows/: importable as it is and safe to share. n8n's own nodes and this package's only;
 * credentials by name (no ids, no secrets); unique node ids and names; a sticky note that says how to set it up;
 * every connection names a node that exists; every node but the notes reached from a trigger; webhook ids unique
 * across templates (two imported templates must not claim the same path); workflow ids unique; and every template
 * listed in workflows/README.md.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

interface Node {
	id: string;
	name: string;
	type: string;
	webhookId?: string;
	disabled?: boolean;
	parameters: Record<string, unknown>;
	credentials?: Record<string, { id: string | null; name: string }>;
}
interface Workflow {
	id: string;
	name: string;
	nodes: Node[];
	connections: Record<string, { main?: Array<Array<{ node: string }> | null> }>;
}

const DIR = path.join(__dirname, '..', '..', 'workflows');
const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
const load = (file: string) => JSON.parse(readFileSync(path.join(DIR, file), 'utf8')) as Workflow;
const isTrigger = (n: Node) => /trigger$/i.test(n.type) || n.type === 'n8n-nodes-base.webhook' || n.type === 'n8n-nodes-base.manualTrigger';

test('there are templates, the pipeline among them', () => {
	expect(files.length).toBeGreaterThanOrEqual(11);
	expect(files).toContain('revenue-ops-pipeline.json');
});

describe.each(files)('%s', (file) => {
	const wf = load(file);
	const text = readFileSync(path.join(DIR, file), 'utf8');

	it('uses n8n\'s nodes and this package\'s only, with unique ids and names', () => {
		expect(wf.nodes.filter((n) => !/^(n8n-nodes-base|n8n-nodes-stripe-revops)\./.test(n.type)).map((n) => n.type)).toEqual([]);
		expect(new Set(wf.nodes.map((n) => n.id)).size).toBe(wf.nodes.length);
		expect(new Set(wf.nodes.map((n) => n.name)).size).toBe(wf.nodes.length);
		expect(wf.id).toMatch(/^[A-Za-z0-9]{16}$/);
	});

	it('names its credentials without ids and holds no secret', () => {
		for (const n of wf.nodes) for (const c of Object.values(n.credentials ?? {})) expect({ node: n.name, id: c.id, named: c.name.length > 0 }).toEqual({ node: n.name, id: null, named: true });
		expect(text).not.toMatch(/\b(sk|rk)_(test|live)_[A-Za-z0-9]{8,}|whsec_[A-Za-z0-9]{8,}|pat-(na|eu)1-[0-9a-f-]{20,}|xox[bp]-\d/);
	});

	it('has a sticky note that explains the setup', () => {
		const notes = wf.nodes.filter((n) => n.type === 'n8n-nodes-base.stickyNote').map((n) => String(n.parameters.content ?? ''));
		expect(notes.length).toBeGreaterThan(0);
		expect(notes.some((note) => /set ?up|credential|publish|run it once|replace|choose/i.test(note))).toBe(true);
	});

	it('connects existing nodes only, and every node is reached from a trigger', () => {
		const names = new Set(wf.nodes.map((n) => n.name));
		const reached = new Set<string>();
		const visit = (name: string) => {
			if (reached.has(name)) return;
			reached.add(name);
			for (const out of wf.connections[name]?.main ?? []) for (const to of out ?? []) visit(to.node);
		};
		for (const [from, outputs] of Object.entries(wf.connections)) {
			expect(names.has(from)).toBe(true);
			for (const out of outputs.main ?? []) for (const to of out ?? []) expect({ from, to: to.node, exists: names.has(to.node) }).toEqual({ from, to: to.node, exists: true });
		}
		const triggers = wf.nodes.filter(isTrigger);
		expect(triggers.length).toBeGreaterThan(0);
		for (const t of triggers) visit(t.name);
		expect(wf.nodes.filter((n) => n.type !== 'n8n-nodes-base.stickyNote' && !reached.has(n.name)).map((n) => n.name)).toEqual([]);
	});
});

test('workflow ids and webhook ids are unique across templates, and the README lists every template', () => {
	const all = files.map(load);
	expect(new Set(all.map((w) => w.id)).size).toBe(all.length);
	const hooks = all.flatMap((w) => w.nodes.filter((n) => n.webhookId).map((n) => n.webhookId));
	expect(new Set(hooks).size).toBe(hooks.length);
	const readme = readFileSync(path.join(DIR, 'README.md'), 'utf8');
	for (const file of files) expect({ file, listed: readme.includes(`\`${file}\``) }).toEqual({ file, listed: true });
});

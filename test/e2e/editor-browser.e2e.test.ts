/**
 * The workflow templates in n8n 2.41.1's editor, in headless Chromium (Debian's `chromium` driven by
 * playwright-core; test/e2e/helpers/editor.ts): one n8n with the packed package, every `workflows/*.json` (globbed
 * now, so new templates are covered) and a credential of every type they name. Signed in through the editor's form,
 * in light and in dark theme, every template's nodes render with an icon and none is the not-installed placeholder;
 * our nodes use their light icon in light theme and their dark one in dark theme; each of our nodes with an
 * Operation parameter opens its panel, which lists the node's operations (as n8n's node description has them).
 * Negative cases prove the checks can fail: a node of a type that does not exist IS reported as the placeholder
 * without an icon, and a failing execution shows as an error in the executions list next to a succeeding one.
 * Screenshots go to docs/editor/ (the READMEs embed them): every template's canvas in light theme, the first
 * one in dark theme, and the Smart Retry panel with its Operation list open.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { checkWorkflowCanvas, executionsList, openNodePanel, openEditor, screenshot, type CanvasNode, type EditorSession } from './helpers/editor';
import { ROOT, startN8n, type N8nInstance, type NodeTypeDescription } from './helpers/n8n';

const OURS = 'n8n-nodes-stripe-revops.';
const DOCS = join(ROOT, 'docs', 'editor');
const BOGUS_TYPE = `${OURS}doesNotExist`;

interface TemplateNode {
	name: string;
	type: string;
	typeVersion: number;
	parameters?: Record<string, unknown>;
}
interface Template {
	file: string;
	base: string;
	workflow: { id: string; name: string; nodes: TemplateNode[]; [key: string]: unknown };
}

/** Every workflows/*.json, sorted; one without an id gets a stable one derived from its file name. */
function loadTemplates(): Template[] {
	const dir = join(ROOT, 'workflows');
	return readdirSync(dir)
		.filter((file) => file.endsWith('.json'))
		.sort()
		.map((file) => {
			const workflow = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Template['workflow'];
			const base = basename(file, '.json');
			const id = typeof workflow.id === 'string' && workflow.id ? workflow.id : `ed${createHash('sha1').update(base).digest('hex').slice(0, 14)}`;
			return { file, base, workflow: { ...workflow, id } };
		});
}

const TEMPLATES = loadTemplates();

/** Harmless credentials of every type the templates name, with the names they use, pointing at nothing. */
function credentialsFor(templates: Template[]): object[] {
	const fake: Record<string, Record<string, unknown>> = {
		stripeRevOpsApi: { secretKey: 'sk_test_editorBrowser0000', baseUrl: 'http://127.0.0.1:9', apiVersion: '2026-10-28.endive', stripeAccount: '' },
		hubspotAppToken: { appToken: 'pat-na1-00000000-0000-0000-0000-000000000000' },
		postgres: { host: '127.0.0.1', port: 9, database: 'revops', user: 'revops', password: 'revops', ssl: 'disable' },
		smtp: { host: '127.0.0.1', port: 9, user: 'revops', password: 'revops', secure: false },
		slackApi: { accessToken: 'xoxb-0000-editor-browser' },
	};
	const seen = new Map<string, { type: string; name: string }>();
	for (const { workflow } of templates) {
		for (const node of workflow.nodes) {
			const credentials = (node as { credentials?: Record<string, { name?: string }> }).credentials ?? {};
			for (const [type, ref] of Object.entries(credentials)) {
				const name = ref?.name ?? `${type} account`;
				seen.set(`${type}\u0000${name}`, { type, name });
			}
		}
	}
	return [...seen.values()].map(({ type, name }, i) => {
		if (!fake[type]) throw new Error(`A template names a ${type} credential; add fake values for it to this test.`);
		return { id: `edCred${String(i).padStart(10, '0')}`, name, type, data: fake[type] };
	});
}

const manual = (name: string) => ({ id: `${name}-0`, name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} });
const after = (from: string, to: string) => ({ [from]: { main: [[{ node: to, type: 'main', index: 0 }]] } });

const BOGUS = {
	id: 'edBogusType00001',
	name: 'Editor check: a node type that does not exist',
	nodes: [
		{ id: 'bogus-1', name: 'Not Installed', type: BOGUS_TYPE, typeVersion: 1, position: [0, 0], parameters: {} },
		{ id: 'bogus-2', name: 'Known NoOp', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [300, 0], parameters: {} },
	],
	connections: {},
	settings: {},
};
const SUCCEEDS = {
	id: 'edManualNoOp0001',
	name: 'Editor check: Manual Trigger → NoOp',
	nodes: [manual('ok'), { id: 'ok-1', name: 'NoOp', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [240, 0], parameters: {} }],
	connections: after('Start', 'NoOp'),
	settings: {},
};
const FAILS = {
	id: 'edManualFail0001',
	name: 'Editor check: Manual Trigger → Stop and Error',
	nodes: [manual('ko'), { id: 'ko-1', name: 'Fail', type: 'n8n-nodes-base.stopAndError', typeVersion: 1, position: [240, 0], parameters: { errorMessage: 'Failing on purpose' } }],
	connections: after('Start', 'Fail'),
	settings: {},
};

/** The operation option names of a node type's description (the version the node uses). */
function operationNames(types: NodeTypeDescription[], type: string, version: number): string[] | null {
	const description = types.find((t) => t.name === type && (Array.isArray(t.version) ? t.version.includes(version) : t.version === version));
	if (!description) throw new Error(`n8n does not describe ${type} v${version}.`);
	const operation = (description.properties as Array<{ name: string; options?: Array<{ name: string; value: unknown }> }>).find((p) => p.name === 'operation');
	return operation?.options ? operation.options.map((o) => o.name) : null;
}

/** The description's icon URL (pathname) for a theme, e.g. /icons/n8n-nodes-stripe-revops/dist/nodes/X/x.dark.svg. */
function iconPath(types: NodeTypeDescription[], type: string, theme: 'light' | 'dark'): string {
	const description = types.find((t) => t.name === type);
	const iconUrl = description?.iconUrl as string | { light: string; dark: string } | undefined;
	if (!iconUrl) throw new Error(`${type} has no iconUrl in n8n's description.`);
	const url = typeof iconUrl === 'string' ? iconUrl : iconUrl[theme];
	return `/${url.replace(/^\/+/, '')}`;
}

/** The canvas checks shared by both themes. */
function expectCanvas(template: Template, nodes: CanvasNode[], types: NodeTypeDescription[], theme: 'light' | 'dark'): void {
	expect(nodes.map((n) => n.name).sort()).toEqual(template.workflow.nodes.map((n) => n.name).sort());
	for (const node of nodes) {
		const shown = { name: node.name, type: node.type, unknownType: node.unknownType, iconRendered: node.sticky || node.iconRendered };
		expect(shown).toEqual({ name: node.name, type: node.type, unknownType: false, iconRendered: true });
		if (node.type.startsWith(OURS)) {
			expect({ name: node.name, kind: node.iconKind, source: node.iconSource }).toEqual({ name: node.name, kind: 'img', source: iconPath(types, node.type, theme) });
			if (theme === 'dark') expect(node.iconSource).toMatch(/\.dark\.svg$/);
			else expect(node.iconSource).not.toMatch(/\.dark\.svg$/);
		}
	}
}

describe('the templates in the editor (headless Chromium)', () => {
	let n8n: N8nInstance;
	let types: NodeTypeDescription[];
	let light: EditorSession;
	let dark: EditorSession;
	let panelShot = false;

	beforeAll(async () => {
		n8n = await startN8n({
			owner: true,
			imports: {
				credentials: [credentialsFor(TEMPLATES)],
				workflows: [[...TEMPLATES.map((t) => t.workflow), BOGUS, SUCCEEDS, FAILS]],
			},
		});
		types = await n8n.nodeTypes();
		[light, dark] = await Promise.all([openEditor({ url: n8n.url, owner: n8n.owner, theme: 'light' }), openEditor({ url: n8n.url, owner: n8n.owner, theme: 'dark' })]);
	}, 600_000);

	afterAll(async () => {
		await light?.close();
		await dark?.close();
		await n8n?.stop();
	});

	it('finds the templates', () => {
		expect(TEMPLATES.length).toBeGreaterThanOrEqual(10);
		expect(new Set(TEMPLATES.map((t) => t.workflow.id)).size).toBe(TEMPLATES.length);
	});

	it('reports a node of a type that is not installed as the placeholder without an icon (the check can fail)', async () => {
		const nodes = await checkWorkflowCanvas(light.page, BOGUS.id);
		const byName = new Map(nodes.map((n) => [n.name, n]));
		expect(byName.get('Not Installed')).toMatchObject({ type: BOGUS_TYPE, unknownType: true, iconRendered: false });
		expect(byName.get('Known NoOp')).toMatchObject({ type: 'n8n-nodes-base.noOp', unknownType: false, iconRendered: true, iconKind: 'svg' });
	});

	it("reports our nodes without an icon when their icon files do not load (the check can fail)", async () => {
		const template = TEMPLATES.find((t) => t.workflow.nodes.some((n) => n.type.startsWith(OURS)));
		if (!template) throw new Error('No template uses our nodes.');
		const pattern = '**/icons/n8n-nodes-stripe-revops/**';
		await light.page.route(pattern, (route) => route.fulfill({ status: 404, body: 'gone' }));
		try {
			const nodes = await checkWorkflowCanvas(light.page, template.workflow.id);
			const ours = nodes.filter((n) => n.type.startsWith(OURS));
			expect(ours.length).toBeGreaterThan(0);
			for (const node of ours) expect({ name: node.name, iconRendered: node.iconRendered }).toEqual({ name: node.name, iconRendered: false });
			for (const node of nodes.filter((n) => !n.type.startsWith(OURS) && !n.sticky)) expect({ name: node.name, iconRendered: node.iconRendered }).toEqual({ name: node.name, iconRendered: true });
		} finally {
			await light.page.unroute(pattern);
		}
	});

	describe.each(TEMPLATES.map((t) => [t.file, t] as const))('%s', (_file, template) => {
		it('light theme: every node has its icon (ours the light one), none is the not-installed placeholder; screenshot', async () => {
			const nodes = await checkWorkflowCanvas(light.page, template.workflow.id);
			expectCanvas(template, nodes, types, 'light');
			const size = await screenshot(light.page, join(DOCS, `${template.base}.png`));
			expect(size).toBeGreaterThan(20 * 1024);
		});

		it("each of our nodes' panels opens and lists the node's operations", async () => {
			const ours = template.workflow.nodes.filter((n) => n.type.startsWith(OURS));
			let checked = 0;
			for (const node of ours) {
				const expected = operationNames(types, node.type, node.typeVersion);
				if (!expected) continue;
				const shot = !panelShot && node.type === `${OURS}stripeRevOpsSmartRetry`;
				const panel = await openNodePanel(light.page, node.name, shot ? { screenshotFile: join(DOCS, 'smart-retry-panel.png') } : {});
				if (shot) panelShot = true;
				expect({ node: node.name, title: panel.title, operations: panel.operations }).toEqual({ node: node.name, title: node.name, operations: expected });
				expect(panel.labels).toContain('Operation');
				expect(panel.labels.length).toBeGreaterThan(1);
				expect(expected).toContain(panel.operation);
				checked++;
			}
			expect(checked).toBe(ours.filter((n) => operationNames(types, n.type, n.typeVersion)).length);
		});

		it('dark theme: every node has its icon (ours the dark one), none is the not-installed placeholder', async () => {
			const nodes = await checkWorkflowCanvas(dark.page, template.workflow.id);
			expectCanvas(template, nodes, types, 'dark');
			if (template === TEMPLATES[0]) {
				expect(await screenshot(dark.page, join(DOCS, `${template.base}-dark.png`))).toBeGreaterThan(20 * 1024);
			}
		});
	});

	it('took the Smart Retry panel screenshot', () => {
		expect(panelShot).toBe(true);
	});

	it('shows a succeeding execution as success and a failing one as error in the executions list', async () => {
		expect((await n8n.executeWorkflow(SUCCEEDS.id)).status).toBe('success');
		expect((await n8n.executeWorkflow(FAILS.id)).status).toBe('error');
		const ok = await executionsList(light.page, SUCCEEDS.id);
		const ko = await executionsList(light.page, FAILS.id);
		expect(ok.map(({ status, label, colourClass }) => ({ status, label, colourClass }))).toEqual([{ status: 'success', label: 'Succeeded', colourClass: 'success' }]);
		expect(ko.map(({ status, label, colourClass }) => ({ status, label, colourClass }))).toEqual([{ status: 'error', label: 'Error', colourClass: 'error' }]);
	});
});

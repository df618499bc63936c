/**
 * n8n 2.41.1's editor in headless Chromium (Debian's `chromium`, from scripts/chromium.mjs), driven by
 * playwright-core: log in, set the theme, read a workflow's canvas, open a node's parameter panel, read a
 * workflow's executions list, take screenshots. Everything is read from what the editor renders (its
 * data-test-id attributes), never from n8n's REST API.
 *
 * DOM facts this relies on (found by running 2.41.1):
 * - sign-in form: input[name=emailOrLdapLoginId], input[name=password], [data-test-id=form-submit-button];
 * - theme: localStorage `N8N_THEME` ('light' | 'dark'), applied as `<body data-theme="...">`;
 * - canvas node: [data-test-id=canvas-node][data-node-name][data-node-type] (a sticky note: the same without
 *   data-test-id, holding [data-test-id=sticky]), in a .vue-flow__node; its body ([data-test-id=canvas-default-node]
 *   or canvas-trigger-node, both with data-canvas-node-render-type) holds .n8n-node-icon: an <img> (file icons:
 *   `/icons/<package>/dist/nodes/.../<name>.svg`, or `.dark.svg` in dark theme) or an inline
 *   <svg data-icon="node:..."> (n8n's own icons); a node whose type is not installed shows a "?" placeholder
 *   (class `_nodeIconPlaceholder_*`) and a [data-test-id=node-not-installed] status icon;
 * - node panel: [data-test-id=ndv], [data-test-id=parameter-item] label, [data-test-id=parameter-input-operation]
 *   (an Element Plus select whose input's aria-controls names its listbox of li[data-test-id=parameter-input-item]
 *   with .option-headline), [data-test-id=ndv-close-button];
 * - executions list: [data-test-id=current-executions-list] [data-test-id=execution-details-<id>] holding
 *   a[data-test-execution-status] and a status label ("Succeeded", "Error", ...).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from './n8n';

export type Theme = 'light' | 'dark';

export interface EditorSession {
	browser: Browser;
	page: Page;
	/** The page's console errors and uncaught exceptions so far. */
	errors: string[];
	close(): Promise<void>;
}

export interface OpenEditorOptions {
	/** n8n's base URL, e.g. http://127.0.0.1:5678 */
	url: string;
	owner: { email: string; password: string };
	theme: Theme;
	/** Default 1440x900. */
	viewport?: { width: number; height: number };
}

export interface CanvasNode {
	name: string;
	type: string;
	/** A sticky note (it has no icon). */
	sticky: boolean;
	/** An <img> that loaded (naturalWidth > 0) or an inline <svg> with a drawn size. */
	iconRendered: boolean;
	/** 'img', 'svg', or null when neither is there. */
	iconKind: 'img' | 'svg' | null;
	/** The <img>'s src (pathname), or the inline svg's data-icon. */
	iconSource: string | null;
	/** n8n's marks of a node whose type is not installed: the "?" placeholder icon or the not-installed status. */
	unknownType: boolean;
}

export interface NodePanel {
	/** The panel's title (the node's name). */
	title: string;
	/** The labels of the parameters the panel lists, in order (Parameters tab, then Settings). */
	labels: string[];
	/** The Operation dropdown's shown value, or null when the node has no Operation parameter. */
	operation: string | null;
	/** The option names the Operation dropdown lists when opened ([] without an Operation parameter). */
	operations: string[];
}

export interface ExecutionListEntry {
	id: string;
	/** data-test-execution-status: 'success', 'error', 'running', 'waiting', 'canceled', ... */
	status: string;
	/** The status text shown ("Succeeded", "Error", ...). */
	label: string;
	/** The card's status class, e.g. 'success' (from `_success_<hash>`), the one that colours it. */
	colourClass: string | null;
}

/** The globals used inside page.evaluate (these files compile without TypeScript's DOM lib). */
interface DomElement {
	getAttribute(name: string): string | null;
	querySelector(selector: string): DomElement | null;
	querySelectorAll(selector: string): ArrayLike<DomElement>;
	getBoundingClientRect(): { width: number; height: number };
	closest(selector: string): DomElement | null;
	readonly className: string | { baseVal: string };
	readonly innerText: string;
	readonly textContent: string | null;
	readonly complete?: boolean;
	readonly naturalWidth?: number;
	readonly src?: string;
	readonly value?: string;
	readonly offsetParent: unknown;
}
interface DomGlobals {
	document: DomElement & { body: DomElement };
	localStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
	location: { href: string };
}

const NAV_TIMEOUT_MS = 60_000;
/** Every canvas node, sticky notes included (they carry data-node-name/-type without data-test-id=canvas-node). */
const NODE_SELECTOR = '.vue-flow__node > [data-node-name][data-node-type]';

/** The Chromium binary, from scripts/chromium.mjs run as a child (Jest's CommonJS cannot import an .mjs). */
export function chromiumPath(): string {
	return execFileSync(process.execPath, [join(ROOT, 'scripts', 'chromium.mjs')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000 }).trim();
}

/** scripts/chromium.mjs's chromiumArgs(): headless, --no-sandbox as root, no GPU, no /dev/shm. */
function chromiumArgs(): string[] {
	const root = typeof process.getuid === 'function' && process.getuid() === 0;
	return ['--headless=new', ...(root ? ['--no-sandbox'] : []), '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check'];
}

/**
 * Launches headless Chromium, sets the editor's theme (localStorage N8N_THEME, before any page script runs, and
 * the matching prefers-color-scheme), signs in through the sign-in form and dismisses first-run dialogs.
 */
export async function openEditor(options: OpenEditorOptions): Promise<EditorSession> {
	const { url, owner, theme } = options;
	const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: chromiumArgs() });
	const errors: string[] = [];
	try {
		const context = await browser.newContext({ viewport: options.viewport ?? { width: 1440, height: 900 }, deviceScaleFactor: 1, colorScheme: theme });
		await context.addInitScript((value: string) => {
			(globalThis as unknown as DomGlobals).localStorage.setItem('N8N_THEME', value);
		}, theme);
		context.setDefaultTimeout(30_000);
		const page = await context.newPage();
		page.on('console', (message) => {
			if (message.type() === 'error') errors.push(message.text());
		});
		page.on('pageerror', (error) => errors.push(String(error)));
		await page.goto(`${url.replace(/\/+$/, '')}/signin`, { timeout: NAV_TIMEOUT_MS });
		await page.locator('input[name=emailOrLdapLoginId]').fill(owner.email);
		await page.locator('input[name=password]').fill(owner.password);
		await page.locator('[data-test-id=form-submit-button]').click();
		await page.waitForURL((u) => !u.pathname.startsWith('/signin'), { timeout: NAV_TIMEOUT_MS });
		const applied = await page.evaluate(() => (globalThis as unknown as DomGlobals).document.body.getAttribute('data-theme'));
		if (applied !== theme) throw new Error(`The editor did not take the ${theme} theme (body data-theme is ${applied}).`);
		await dismissDialogs(page);
		return {
			browser,
			page,
			errors,
			close: () => browser.close(),
		};
	} catch (error) {
		await browser.close();
		throw error;
	}
}

/** Closes visible first-run dialogs and banners (their close buttons), if any. */
export async function dismissDialogs(page: Page): Promise<void> {
	const closers = page.locator(
		['.el-dialog__headerbtn', '[data-test-id=banner-stack] [data-test-id=banner-close]', '[data-test-id=banner-stack] [data-test-id$=-close]', '[role=dialog] [aria-label=Close]'].join(', '),
	);
	const count = await closers.count();
	for (let i = count - 1; i >= 0; i--) {
		const closer = closers.nth(i);
		if (await closer.isVisible()) await closer.click({ timeout: 2000 }).catch(() => undefined);
	}
}

/** The editor's base URL from the page's current URL. */
function origin(page: Page): string {
	return new URL(page.url()).origin;
}

/** Presses the canvas's "Zoom to fit" button and lets the transition end. */
export async function zoomToFit(page: Page): Promise<void> {
	const button = page.locator('[data-test-id=zoom-to-fit]');
	if ((await button.count()) === 0) return;
	await button.first().click();
	await page.waitForTimeout(400);
}

/** Opens /workflow/<id> and waits until every node is on the canvas and every node <img> has finished loading. */
export async function openWorkflow(page: Page, workflowId: string): Promise<void> {
	await page.goto(`${origin(page)}/workflow/${encodeURIComponent(workflowId)}`, { timeout: NAV_TIMEOUT_MS });
	await page.locator(NODE_SELECTOR).first().waitFor({ state: 'attached', timeout: NAV_TIMEOUT_MS });
	await dismissDialogs(page);
	await zoomToFit(page);
	await page.waitForFunction(
		() => {
			const d = (globalThis as unknown as DomGlobals).document;
			return Array.from(d.querySelectorAll('[data-test-id=canvas-node] img')).every((img) => img.complete === true);
		},
		undefined,
		{ timeout: 20_000 },
	);
	// The canvas has settled when its node count stays the same for a moment.
	const nodes = page.locator(NODE_SELECTOR);
	for (let previous = -1, count = await nodes.count(); count !== previous; previous = count, count = await nodes.count()) {
		await page.waitForTimeout(250);
	}
}

/**
 * Opens the workflow in the editor and reports each canvas node: its name and type, whether its icon rendered
 * (and from where), and whether n8n shows it as a node whose type is not installed.
 */
export async function checkWorkflowCanvas(page: Page, workflowId: string): Promise<CanvasNode[]> {
	await openWorkflow(page, workflowId);
	return page.evaluate((selector: string) => {
		const d = (globalThis as unknown as DomGlobals).document;
		const cls = (el: DomElement) => (typeof el.className === 'string' ? el.className : el.className.baseVal);
		return Array.from(d.querySelectorAll(selector)).map((node) => {
			const type = node.getAttribute('data-node-type') ?? '';
			const sticky = type === 'n8n-nodes-base.stickyNote' || node.querySelector('[data-test-id=sticky]') !== null;
			// The node's own icon (not the toolbar's or status icons): the .n8n-node-icon of its body
			// ([data-test-id=canvas-default-node], or canvas-trigger-node for a trigger).
			const icon = node.querySelector('[data-canvas-node-render-type] > .n8n-node-icon');
			const img = icon?.querySelector('img') ?? null;
			const svg = icon?.querySelector('svg') ?? null;
			let iconKind: 'img' | 'svg' | null = null;
			let iconSource: string | null = null;
			let iconRendered = false;
			if (img) {
				iconKind = 'img';
				iconSource = img.src ? new URL(img.src).pathname : null;
				const box = img.getBoundingClientRect();
				iconRendered = img.complete === true && (img.naturalWidth ?? 0) > 0 && box.width > 0 && box.height > 0;
			} else if (svg) {
				iconKind = 'svg';
				iconSource = svg.getAttribute('data-icon');
				const box = svg.getBoundingClientRect();
				iconRendered = box.width > 0 && box.height > 0 && svg.querySelectorAll('path, circle, ellipse, rect, polygon, polyline, line, use, image').length > 0;
			}
			const placeholder = icon ? Array.from(icon.querySelectorAll('div')).some((el) => /nodeIconPlaceholder/.test(cls(el))) : false;
			const unknownType = placeholder || node.querySelector('[data-test-id=node-not-installed]') !== null;
			return { name: node.getAttribute('data-node-name') ?? '', type, sticky, iconRendered: iconRendered && !placeholder, iconKind, iconSource, unknownType };
		});
	}, NODE_SELECTOR);
}

/** The canvas node's locator by its name. */
function canvasNode(page: Page, nodeName: string) {
	return page.locator(`[data-test-id=canvas-node][data-node-name=${JSON.stringify(nodeName)}]`);
}

/**
 * Opens the node's parameter panel (double-click on the canvas; the workflow must be open), reads its parameter
 * labels, opens the Operation dropdown and reads its options, then closes the dropdown and the panel.
 * With `screenshotFile`, a screenshot is taken while the dropdown is open.
 */
export async function openNodePanel(page: Page, nodeName: string, options: { screenshotFile?: string } = {}): Promise<NodePanel> {
	const node = canvasNode(page, nodeName);
	if ((await node.count()) !== 1) throw new Error(`No single canvas node named ${JSON.stringify(nodeName)} (found ${await node.count()}).`);
	await node.scrollIntoViewIfNeeded();
	await node.dblclick();
	const ndv = page.locator('[data-test-id=ndv]');
	await ndv.waitFor({ state: 'visible' });
	await ndv.locator('[data-test-id=node-parameters] [data-test-id=parameter-item]').first().waitFor({ state: 'visible' });
	const title = (await ndv.locator('[data-test-id=node-title-container] [data-test-id=inline-edit-preview]').first().innerText()).trim();
	const labels = (await ndv.locator('[data-test-id=parameter-item] label').allInnerTexts()).map((text) => text.split('\n')[0].trim()).filter((text) => text !== '');
	let operation: string | null = null;
	let operations: string[] = [];
	const select = ndv.locator('[data-test-id=parameter-input-operation] input').first();
	if ((await select.count()) > 0) {
		operation = await select.inputValue();
		await select.click();
		const listbox = await select.getAttribute('aria-controls');
		const items = listbox ? page.locator(`[id=${JSON.stringify(listbox)}] [data-test-id=parameter-input-item]`) : page.locator('.el-select-dropdown__item[data-test-id=parameter-input-item]:visible');
		await items.first().waitFor({ state: 'visible' });
		operations = (await items.locator('.option-headline').allInnerTexts()).map((text) => text.trim());
		if (operations.length === 0) operations = (await items.allInnerTexts()).map((text) => text.split('\n')[0].trim());
		if (options.screenshotFile) await screenshot(page, options.screenshotFile, { fit: false });
		await page.keyboard.press('Escape');
		await items.first().waitFor({ state: 'hidden' });
	} else if (options.screenshotFile) await screenshot(page, options.screenshotFile, { fit: false });
	await ndv.locator('[data-test-id=ndv-close-button]').click();
	await ndv.waitFor({ state: 'hidden' });
	return { title, labels, operation, operations };
}

/** The executions list of /workflow/<id>/executions as the editor shows it, newest first. */
export async function executionsList(page: Page, workflowId: string, options: { minEntries?: number; timeoutMs?: number } = {}): Promise<ExecutionListEntry[]> {
	const minEntries = options.minEntries ?? 1;
	await page.goto(`${origin(page)}/workflow/${encodeURIComponent(workflowId)}/executions`, { timeout: NAV_TIMEOUT_MS });
	const list = page.locator('[data-test-id=current-executions-list]');
	await list.waitFor({ state: 'visible', timeout: NAV_TIMEOUT_MS });
	await page.waitForFunction(
		(min: number) => (globalThis as unknown as DomGlobals).document.querySelectorAll('[data-test-id=current-executions-list] [data-test-id^=execution-details-]').length >= min,
		minEntries,
		{ timeout: options.timeoutMs ?? 30_000 },
	);
	return page.evaluate(() => {
		const d = (globalThis as unknown as DomGlobals).document;
		return Array.from(d.querySelectorAll('[data-test-id=current-executions-list] [data-test-id^=execution-details-]')).map((card) => {
			const id = (card.getAttribute('data-test-id') ?? '').replace(/^execution-details-/, '');
			const link = card.querySelector('[data-test-execution-status]');
			const status = link?.getAttribute('data-test-execution-status') ?? '';
			const label = (card.querySelector('[class*=statusLabel]')?.textContent ?? '').trim();
			const className = typeof card.className === 'string' ? card.className : card.className.baseVal;
			const colour = /(?:^|\s)_(success|error|crashed|failed|running|waiting|new|canceled|unknown)_[a-z0-9]+/i.exec(className);
			return { id, status, label, colourClass: colour ? colour[1] : null };
		});
	});
}

/** The statuses shown in the workflow's executions list, newest first (e.g. ['success', 'error']). */
export async function executionsListStatus(page: Page, workflowId: string, options: { minEntries?: number; timeoutMs?: number } = {}): Promise<string[]> {
	return (await executionsList(page, workflowId, options)).map((entry) => entry.status);
}

/**
 * Writes a PNG of the viewport to `file` (its folder is created). On a canvas it presses "Zoom to fit" first
 * unless `fit: false`. Returns the file's size in bytes.
 */
export async function screenshot(page: Page, file: string, options: { fit?: boolean } = {}): Promise<number> {
	if (options.fit !== false) await zoomToFit(page);
	mkdirSync(dirname(file), { recursive: true });
	// Away from nodes (hover shows their toolbars) and buttons (tooltips): the canvas's right edge, low down.
	const viewport = page.viewportSize();
	if (viewport) await page.mouse.move(viewport.width - 8, Math.round(viewport.height * 0.7));
	await page.screenshot({ path: file, type: 'png', fullPage: false, animations: 'disabled', caret: 'hide' });
	return statSync(file).size;
}

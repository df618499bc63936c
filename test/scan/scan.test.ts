/**
 * scripts/scan.mjs runs n8n's community-package scanner (@n8n/scan-community-package) on fixture directories, as
 * it does on this checkout and its npm pack tarball. What matters: inline `eslint-disable` comments are ignored,
 * as n8n's verification ignores them, so a disabled violation still fails the scan; and each finding is printed
 * as file:line:column rule message.
 *
 * The scanner is ESM and resolves its own parser instance, so it runs in a child `node` process, not in Jest.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const SCAN = join(ROOT, 'scripts', 'scan.mjs');

/** The shipped package.json passes the scanner's package.json rules on its own. */
const PACKAGE_JSON = readFileSync(join(ROOT, 'package.json'), 'utf8');

/** A helper in nodes/ with two violations, each behind an inline disable comment. */
const DISABLED_SOURCE = [
	"import { sleep } from 'n8n-workflow';",
	'// eslint-disable-next-line no-console',
	"console.log('debug');",
	'/* eslint-disable */',
	'export const wait = (): void => { setTimeout(() => undefined, 1); void sleep; };',
	'',
].join('\n');

/** A compiled file in the tarball with the same kind of violation, disabled for the whole file. */
const DISABLED_DIST = ['"use strict";', '/* eslint-disable */', 'console.log(process.env.SECRET); // eslint-disable-line', ''].join('\n');

let dir: string;

function write(relativePath: string, contents: string): void {
	const file = join(dir, relativePath);
	mkdirSync(dirname(file), { recursive: true });
	writeFileSync(file, contents);
}

function scan(...args: string[]): { status: number | null; lines: string[] } {
	const result = spawnSync(process.execPath, [SCAN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 50_000 });
	return { status: result.status, lines: result.stdout.trim().split('\n') };
}

beforeEach(() => {
	dir = mkdtempSync(join(tmpdir(), 'scan-fixture-'));
});

afterEach(() => {
	rmSync(dir, { recursive: true, force: true });
});

test('a clean package passes, with one summary line', () => {
	write('source/package.json', PACKAGE_JSON);
	write('tarball/package.json', PACKAGE_JSON);
	write('tarball/dist/lib/clean.js', '"use strict";\nexports.add = (a, b) => a + b;\n');

	const { status, lines } = scan(`--source=${join(dir, 'source')}`, `--dist=${join(dir, 'tarball')}`);

	expect(lines).toEqual([expect.stringMatching(/^scan passed: no findings in 1 source files and 2 tarball files /)]);
	expect(status).toBe(0);
});

test('violations behind eslint-disable comments are still reported, in source and tarball', () => {
	write('source/package.json', PACKAGE_JSON);
	write('source/nodes/Fixture/helpers.ts', DISABLED_SOURCE);
	write('tarball/package.json', PACKAGE_JSON);
	write('tarball/dist/nodes/Fixture/helpers.js', DISABLED_DIST);

	const { status, lines } = scan(`--source=${join(dir, 'source')}`, `--dist=${join(dir, 'tarball')}`);

	expect(lines).toEqual(
		expect.arrayContaining([
			'nodes/Fixture/helpers.ts:3:1 no-console Unexpected console statement. (error)',
			expect.stringMatching(/^nodes\/Fixture\/helpers\.ts:5:\d+ @n8n\/community-nodes\/no-restricted-globals Use of restricted global 'setTimeout' /),
			'tarball:dist/nodes/Fixture/helpers.js:3:1 no-console Unexpected console statement. (error)',
			expect.stringMatching(/^tarball:dist\/nodes\/Fixture\/helpers\.js:3:\d+ @n8n\/community-nodes\/no-restricted-globals Use of restricted global 'process' /),
		]),
	);
	expect(lines[lines.length - 1]).toMatch(/^scan failed: \d+ finding\(s\) \(\d+ error\(s\), \d+ warning\(s\)\) in 2 source files and 2 tarball files /);
	expect(status).toBe(1);
});

test('the same comments do disable those rules when inline configuration is allowed (so the fixture is meaningful)', () => {
	write('nodes/Fixture/helpers.ts', DISABLED_SOURCE);
	const script = `
		import { createRequire } from 'node:module';
		const require = createRequire(${JSON.stringify(join(ROOT, 'package.json'))});
		const scanner = require.resolve('@n8n/scan-community-package/package.json');
		const { ESLint } = createRequire(scanner)('eslint');
		const { buildScanConfig } = await import('@n8n/scan-community-package/scanner/scanner.mjs');
		const eslint = new ESLint({ cwd: process.argv[1], allowInlineConfig: true, overrideConfigFile: true, overrideConfig: await buildScanConfig() });
		const [result] = await eslint.lintFiles(['nodes/Fixture/helpers.ts']);
		process.stdout.write(JSON.stringify(result.messages.map((m) => m.ruleId)));
	`;
	const result = spawnSync(process.execPath, ['--input-type=module', '-e', script, dir], { cwd: ROOT, encoding: 'utf8', timeout: 50_000 });

	expect(result.stderr).toBe('');
	const rules = JSON.parse(result.stdout) as Array<string | null>;
	expect(rules).not.toContain('no-console');
	expect(rules).not.toContain('@n8n/community-nodes/no-restricted-globals');
});

#!/usr/bin/env node
// npm run scan [-- --no-build]: n8n's community-package verification (@n8n/scan-community-package), run locally.
//
// n8n's scanner only scans published packages: it downloads the tarball and the provenance-attested source from
// the registry and GitHub, then lints both with inline configuration (`eslint-disable` comments) ignored. This
// script runs the same analysis on what we would publish, without the network:
//   source leg:  this checkout, with the scanner's SOURCE_FILE_PATTERNS (package.json, nodes/, credentials/);
//   tarball leg: `npm pack` of this checkout, extracted, with the patterns the scanner uses for the tarball
//                (every .js file, which includes dist/lib, and the packed package.json).
// The lint is the scanner's own: its ESLint config (buildScanConfig) with the options its analyzePackage uses
// (allowInlineConfig: false, its file globs). analyzePackage runs as well and gives the scanner's verdict; this
// script lists the findings one per line (its CLI only prints a "stylish" report and exits 0 even on failure).
// The provenance check the CLI also makes cannot apply to an unpublished package and is not run.
//
// Exits 1 on any finding, errors and warnings alike (the scanner itself rejects a package for errors only; a
// warning is marked as such), or when the scanner's verdict and the findings disagree. The last line printed is
// a one-line summary.
//
// Options:
//   --no-build           pack the existing dist/ instead of running `npm run build` first
//   --source=DIR         lint DIR as the source leg and skip packing (with --dist=DIR, or alone)
//   --dist=DIR           lint DIR as the tarball leg and skip packing
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SCANNER_MODULE = '@n8n/scan-community-package/scanner/scanner.mjs';
const require = createRequire(join(ROOT, 'package.json'));
const scannerPackageJson = require.resolve('@n8n/scan-community-package/package.json');
const SCANNER_VERSION = JSON.parse(readFileSync(scannerPackageJson, 'utf8')).version;
// Resolve ESLint, fast-glob and tmp the way the scanner does, so that both use the same instances.
const scannerRequire = createRequire(scannerPackageJson);
// The scanner makes a temporary directory when it is imported (for downloads we never make): remove it on exit.
scannerRequire('tmp').setGracefulCleanup();
const { ESLint } = scannerRequire('eslint');
const glob = scannerRequire('fast-glob');
const { analyzePackage, buildScanConfig, SOURCE_FILE_PATTERNS } = await import(SCANNER_MODULE);

/** The file patterns analyzePackageByName lints the extracted tarball with (it is not exported). */
const TARBALL_FILE_PATTERNS = ['**/*.js', 'package.json'];
/** The ignore list of analyzePackage. */
const IGNORE = ['node_modules/**', '**/package-lock.json'];

function parseArgs(argv) {
	const options = { build: true, source: undefined, dist: undefined };
	for (const arg of argv) {
		if (arg === '--no-build') options.build = false;
		else if (arg.startsWith('--source=')) options.source = resolve(arg.slice('--source='.length));
		else if (arg.startsWith('--dist=')) options.dist = resolve(arg.slice('--dist='.length));
		else throw new Error(`unknown argument ${arg} (expected --no-build, --source=DIR, --dist=DIR)`);
	}
	return options;
}

function run(command, args, { cwd = ROOT, inherit = false } = {}) {
	const result = spawnSync(command, args, { cwd, encoding: 'utf8', stdio: inherit ? ['ignore', 2, 2] : 'pipe', maxBuffer: 64 * 1024 * 1024 });
	if (result.error) throw result.error;
	if (result.status !== 0) {
		const output = inherit ? '' : `\n${(result.stderr || result.stdout || '').trim().split('\n').slice(-30).join('\n')}`;
		throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal})${output}`);
	}
	return result.stdout;
}

/** Builds (unless told not to), packs into a temporary directory and extracts; returns the package directory. */
function packAndExtract(build, workDir) {
	if (build) {
		process.stderr.write('scan: npm run build\n');
		run('npm', ['run', 'build', '--silent'], { inherit: true });
	}
	// .npmrc sets ignore-scripts, so prepack would not run anyway; the build above is the explicit equivalent.
	process.stderr.write('scan: npm pack\n');
	const packed = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', workDir]));
	const tarball = join(workDir, packed[0]?.filename ?? readdirSync(workDir).find((file) => file.endsWith('.tgz')));
	const packageDir = join(workDir, 'package');
	mkdirSync(packageDir, { recursive: true });
	run('tar', ['-xzf', tarball, '-C', packageDir, '--strip-components=1']);
	return { packageDir, tarballName: packed[0]?.filename ?? tarball };
}

/**
 * One leg: the scanner's verdict (analyzePackage) and the findings, linted with the same config, options and files.
 * `label` prefixes the paths printed for this leg.
 */
async function scanLeg(name, dir, patterns, label) {
	const verdict = await analyzePackage(dir, patterns);
	const files = glob.sync(patterns, { cwd: dir, absolute: true, ignore: IGNORE });
	const findings = [];
	if (files.length > 0) {
		const eslint = new ESLint({ cwd: dir, allowInlineConfig: false, overrideConfigFile: true, overrideConfig: await buildScanConfig() });
		for (const result of await eslint.lintFiles(files)) {
			for (const message of result.messages) {
				findings.push({
					file: `${label}${relative(dir, result.filePath)}`,
					line: message.line ?? 0,
					column: message.column ?? 0,
					rule: message.ruleId ?? (message.fatal ? 'parse-error' : 'eslint'),
					severity: message.severity === 2 ? 'error' : 'warning',
					message: message.message.replace(/\s+/g, ' ').trim(),
				});
			}
		}
	}
	const errors = findings.filter((finding) => finding.severity === 'error').length;
	// The scanner fails a leg on errors (and on an exception inside the lint); make sure we saw what it saw.
	const disagreement =
		verdict.passed === (errors === 0)
			? undefined
			: `the scanner's verdict (${verdict.passed ? 'passed' : `failed: ${verdict.message}`}) disagrees with ${errors} error(s) found here${verdict.details ? `\n${verdict.details}` : ''}`;
	return { name, files: files.length, findings, verdict, disagreement };
}

async function main() {
	const options = parseArgs(process.argv.slice(2));
	const legs = [];
	let workDir;
	try {
		if (options.source || options.dist) {
			if (options.source) legs.push(await scanLeg('source', options.source, SOURCE_FILE_PATTERNS, ''));
			if (options.dist) legs.push(await scanLeg('tarball', options.dist, TARBALL_FILE_PATTERNS, 'tarball:'));
		} else {
			legs.push(await scanLeg('source', ROOT, SOURCE_FILE_PATTERNS, ''));
			workDir = mkdtempSync(join(tmpdir(), 'n8n-revops-scan-'));
			const { packageDir, tarballName } = packAndExtract(options.build, workDir);
			legs.push(await scanLeg(`tarball ${tarballName}`, packageDir, TARBALL_FILE_PATTERNS, 'tarball:'));
		}
	} finally {
		if (workDir) rmSync(workDir, { recursive: true, force: true });
	}

	let findings = 0;
	let errors = 0;
	let problems = 0;
	for (const leg of legs) {
		for (const f of leg.findings) {
			process.stdout.write(`${f.file}:${f.line}:${f.column} ${f.rule} ${f.message} (${f.severity})\n`);
			findings += 1;
			if (f.severity === 'error') errors += 1;
		}
		if (leg.disagreement) {
			process.stdout.write(`${leg.name}: ${leg.disagreement}\n`);
			problems += 1;
		}
	}
	const scanned = legs.map((leg) => `${leg.files} ${leg.name} files`).join(' and ');
	const scanner = `@n8n/scan-community-package ${SCANNER_VERSION}`;
	if (findings === 0 && problems === 0) {
		process.stdout.write(`scan passed: no findings in ${scanned} (${scanner}, inline eslint-disable ignored)\n`);
		return 0;
	}
	const parts = [`${findings} finding(s) (${errors} error(s), ${findings - errors} warning(s))`];
	if (problems > 0) parts.push(`${problems} verdict mismatch(es)`);
	process.stdout.write(`scan failed: ${parts.join(', ')} in ${scanned} (${scanner})\n`);
	return 1;
}

main().then(
	(code) => process.exit(code),
	(error) => {
		process.stdout.write(`scan failed: ${error?.message ?? error}\n`);
		process.exit(1);
	},
);

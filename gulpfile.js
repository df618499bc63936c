// Copies what tsc does not: node and credential icons (SVG/PNG) and codex files (*.node.json) into dist/.
const { src, dest, task } = require('gulp');

function copyAssets() {
	return src(['nodes/**/*.{png,svg,json}', 'credentials/**/*.{png,svg}'], { base: '.', encoding: false }).pipe(dest('dist'));
}

task('build:assets', copyAssets);

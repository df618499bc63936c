// n8n's community-node rules (from @n8n/node-cli) apply to what we publish: credentials/, nodes/, lib/
// and package.json. Dev tooling (sandbox/, test/, bench/, scripts/) is not shipped and is type-checked only.
import { config } from '@n8n/node-cli/eslint';

export default [
	{ ignores: ['dist/**', 'node_modules/**', '.cache/**', 'test/**', 'sandbox/**', 'bench/**', 'scripts/**', '*.js', '*.mjs'] },
	...config,
];

/** Unit, integration and in-process n8n tests. End-to-end tests in a real n8n run with jest.e2e.config.js. */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test', '<rootDir>/lib', '<rootDir>/sandbox', '<rootDir>/nodes'],
	testMatch: ['**/*.test.ts'],
	testPathIgnorePatterns: ['/node_modules/', '/dist/', '\\.e2e\\.test\\.ts$'],
	transform: {
		'^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }],
	},
	testTimeout: 60000,
};

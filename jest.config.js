/**
 * Tests run as compiled ES modules from dist/ (Nest 12 is ESM-only); `npm test` builds first.
 * Three layers (docs/testing.md), each a project `npm run test:<layer>` selects:
 * unit — `*.spec.ts`, pure logic and in-process specs, no servers;
 * integration — `*.int-spec.ts`, in-process apps against a real nats-server;
 * e2e — `*.e2e-spec.ts`, real processes, nats-server, Jaeger, Chromium, promtool, helm.
 */
const layer = (displayName, suffix) => ({
  displayName,
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/dist'],
  testMatch: [`**/*.${suffix}.js`],
  transform: {},
});

export default {
  projects: [layer('unit', 'spec'), layer('integration', 'int-spec'), layer('e2e', 'e2e-spec')],
  testTimeout: 120_000,
  // Two suites at a time, one per core: each starts its own nats-server, apps and browser on ports claimed
  // across workers (libs/testing ports.ts), and names its own streams, consumers and files.
  maxWorkers: 2,
  verbose: true,
  reporters: ['default', '<rootDir>/dist/test/support/slowest-suites.reporter.js'],
  // `--coverage` (docs/testing.md): statements and branches of libs/ and apps/ as the in-process layers reach them.
  coverageProvider: 'v8',
  collectCoverageFrom: ['<rootDir>/dist/{libs,apps}/**/*.js', '!**/*.{spec,int-spec,e2e-spec}.js', '!<rootDir>/dist/apps/console/**'],
  coverageReporters: ['text-summary', 'json-summary'],
  // Safety net: a leaked connection must fail loudly in a test, not hang CI after the run.
  forceExit: true,
};

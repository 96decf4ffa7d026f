/** Tests run as compiled ES modules from dist/ (Nest 12 is ESM-only); `npm test` builds first. */
export default {
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/dist'],
  testMatch: ['**/*.spec.js', '**/*.e2e-spec.js'],
  transform: {},
  testTimeout: 120_000,
  // End-to-end suites start servers and processes on a 2-core machine: one file at a time.
  maxWorkers: 1,
  verbose: true,
  // Safety net: a leaked connection must fail loudly in a test, not hang CI after the run.
  forceExit: true,
};

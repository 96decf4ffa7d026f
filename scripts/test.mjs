// `npm test`: install what is missing, build, run every unit, end-to-end and fault test.
import { join } from 'node:path';
import { build } from './lib/build.mjs';
import { ensureNodeModules } from './lib/deps.mjs';
import { ROOT, run } from './lib/run.mjs';
import { ensurePythonTools } from './lib/python-tools.mjs';
import { ensureDebianPackages } from './lib/system-packages.mjs';
import { ensureTools } from './lib/tools.mjs';

try {
  ensureNodeModules();
  ensureTools(['nats-server', 'helm', 'jaeger'], ['nats']);
  ensureDebianPackages([
    { bin: 'promtool', pkg: 'prometheus' },
    // The TLS tests make their certificates with the openssl CLI.
    { bin: 'openssl', pkg: 'openssl' },
    // The image test runs the Dockerfile's ENTRYPOINT, /usr/bin/tini.
    { bin: 'tini', pkg: 'tini' },
    // The console's browser tests drive Debian's Chromium headless (playwright-core).
    { bin: 'chromium', pkg: 'chromium' },
  ]);
  // The contract test (test/openapi-contract.e2e-spec.ts) runs schemathesis from its own venv.
  ensurePythonTools(['schemathesis']);
  build();
  run(process.execPath, ['--experimental-vm-modules', join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), ...process.argv.slice(2)], {
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
} catch (err) {
  process.stderr.write(`\nnpm test failed: ${err.message}\n`);
  process.exit(1);
}

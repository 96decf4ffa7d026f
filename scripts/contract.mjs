// `npm run contract [-- --max-examples N]`: the long contract test. The real stack (nats-server,
// producer, consumer, Jaeger) and schemathesis with every check and phase, many more examples
// than npm test's bounded pass and a new seed each run (printed, to replay a failure).
import { join } from 'node:path';
import { build } from './lib/build.mjs';
import { ensureNodeModules } from './lib/deps.mjs';
import { ensurePythonTools } from './lib/python-tools.mjs';
import { ROOT, run } from './lib/run.mjs';
import { ensureTools } from './lib/tools.mjs';

const args = process.argv.slice(2);
const at = args.indexOf('--max-examples');
const maxExamples = at === -1 ? '300' : args[at + 1];
if (!/^[1-9][0-9]*$/.test(maxExamples ?? '')) {
  process.stderr.write('usage: npm run contract [-- --max-examples N]\n');
  process.exit(64);
}
try {
  ensureNodeModules();
  ensureTools(['nats-server', 'jaeger']);
  ensurePythonTools(['schemathesis']);
  build();
  run(process.execPath, ['--experimental-vm-modules', join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), 'dist/test/openapi-contract.e2e-spec.js'], {
    env: { ...process.env, NODE_NO_WARNINGS: '1', CONTRACT_LONG: '1', CONTRACT_MAX_EXAMPLES: maxExamples },
  });
} catch (err) {
  process.stderr.write(`\nnpm run contract failed: ${err.message}\n`);
  process.exit(1);
}

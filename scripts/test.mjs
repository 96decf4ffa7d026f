// `npm test`: install what is missing, build, run every layer (docs/testing.md).
// `npm run test:unit` | `test:integration` | `test:e2e`: one layer, installing only what it needs;
// `npm run test:fuzz`: every property test with a new random seed (printed) and ten times the runs.
// Arguments after `--` go to jest (a path pattern, `-t <name>`, …).
import { randomInt } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build, compile } from './lib/build.mjs';
import { ensureScriptPackages } from './lib/debian-packages.mjs';
import { ensureNodeModules } from './lib/deps.mjs';
import { ensurePythonTools } from './lib/python-tools.mjs';
import { log, ROOT, run } from './lib/run.mjs';
import { ensureTools } from './lib/tools.mjs';

/** Every spec with a property test (it calls propertyRuns()), as its compiled file. */
function propertySpecs() {
  return ['libs', 'apps', 'test']
    .flatMap((dir) => readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile() && /\.(spec|int-spec|e2e-spec)\.ts$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .filter((file) => readFileSync(file, 'utf8').includes('propertyRuns('))
    .map((file) => join(ROOT, 'dist', relative(ROOT, file).replace(/\.ts$/, '.js')));
}

const LAYERS = ['all', 'unit', 'integration', 'e2e', 'fuzz'];
const [first, ...rest] = process.argv.slice(2);
const layer = first?.startsWith('--layer=') ? first.slice('--layer='.length) : 'all';
const jestArgs = first?.startsWith('--layer=') ? rest : process.argv.slice(2);
const script = layer === 'all' ? 'test' : `test:${layer}`;

try {
  if (!LAYERS.includes(layer)) throw new Error(`unknown layer "${layer}": one of ${LAYERS.join(', ')}`);
  ensureNodeModules();
  const env = { ...process.env, NODE_NO_WARNINGS: '1' };
  const args = [];
  if (layer === 'unit') {
    compile();
    args.push('--selectProjects', 'unit');
  } else if (layer === 'integration') {
    ensureTools(['nats-server']);
    compile();
    args.push('--selectProjects', 'integration');
  } else if (layer === 'fuzz') {
    ensureScriptPackages(script);
    ensureTools(['nats-server']);
    compile();
    env.FC_SEED ||= String(randomInt(2 ** 31));
    env.FC_RUNS_SCALE ||= '10';
    log(`property tests with FC_SEED=${env.FC_SEED}, FC_RUNS_SCALE=${env.FC_RUNS_SCALE} (a failure replays with the same FC_SEED)`);
    args.push('--runTestsByPath', ...propertySpecs());
  } else {
    ensureScriptPackages(script);
    ensureTools(['nats-server', 'helm', 'jaeger'], ['nats']);
    // The contract test (test/openapi-contract.e2e-spec.ts) runs schemathesis from its own venv.
    ensurePythonTools(['schemathesis']);
    build();
    if (layer === 'e2e') args.push('--selectProjects', 'e2e');
  }
  run(process.execPath, ['--experimental-vm-modules', join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), ...args, ...jestArgs], { env });
} catch (err) {
  process.stderr.write(`\nnpm ${script === 'test' ? 'test' : `run ${script}`} failed: ${err.message}\n`);
  process.exit(1);
}

// `npm run test:cluster`: brings the local single-node cluster up (npm run
// cluster:up, reusing what is built and running), runs test/cluster/*.cluster-spec
// against it one file at a time, prints `N passed, N failed` last. The cluster is
// taken down afterwards unless it was already running or --keep is given.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from './lib/build.mjs';
import { clusterDown, clusterStatus, clusterUp } from './lib/cluster/cluster.mjs';
import { CLUSTER, PATHS } from './lib/cluster/layout.mjs';
import { ensureScriptPackages } from './lib/debian-packages.mjs';
import { ensureNodeModules } from './lib/deps.mjs';
import { log, ROOT } from './lib/run.mjs';
import { ensureTools } from './lib/tools.mjs';

const keep = process.argv.includes('--keep');
const patterns = process.argv.slice(2).filter((a) => a !== '--keep');
let passed = 0;
let failed = 0;
const wasRunning = Object.values(clusterStatus()).every(Boolean);
try {
  ensureNodeModules();
  ensureScriptPackages('test:cluster');
  ensureTools(['nats-server', 'helm']);
  build();
  const up = await clusterUp();
  // The node as the API server sees it: a real kubelet, its runtime and kernel.
  spawnSync(join(PATHS.bin, 'kubectl'), ['--kubeconfig', up.kubeconfig, 'get', 'nodes', '-o', 'wide'], { stdio: 'inherit' });
  const results = join(PATHS.state, 'jest-results.json');
  rmSync(results, { force: true });
  spawnSync(
    process.execPath,
    [
      '--experimental-vm-modules',
      join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'),
      '--testMatch=**/*.cluster-spec.js',
      '--runInBand',
      `--json`,
      `--outputFile=${results}`,
      ...patterns,
    ],
    { stdio: 'inherit', cwd: ROOT, env: { ...process.env, NODE_NO_WARNINGS: '1', KUBECONFIG: up.kubeconfig, NESTJET_CLUSTER_IMAGES: JSON.stringify(up.images), NESTJET_CONTAINERD_ADDRESS: PATHS.containerdSocket, NESTJET_CLUSTER_HOST_IP: CLUSTER.hostIp } },
  );
  if (!existsSync(results)) throw new Error('jest wrote no results');
  const summary = JSON.parse(readFileSync(results, 'utf8'));
  passed = summary.numPassedTests;
  failed = summary.numFailedTests + summary.numRuntimeErrorTestSuites;
} catch (err) {
  process.stderr.write(`\ntest:cluster failed: ${err.message}\n`);
  failed += 1;
} finally {
  if (!keep && !wasRunning) await clusterDown().catch((err) => log(`cluster:down failed: ${err.message}`));
}
process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exit(failed > 0 ? 1 : 0);

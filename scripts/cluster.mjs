// `npm run cluster:up` / `npm run cluster:down` / `node scripts/cluster.mjs status`:
// the opt-in single-node Kubernetes of docs/kubernetes.md.
import { clusterDown, clusterStatus, clusterUp } from './lib/cluster/cluster.mjs';
import { ensureScriptPackages } from './lib/debian-packages.mjs';

const command = process.argv[2];
try {
  if (command === 'up' || command === 'down') ensureScriptPackages(`cluster:${command}`);
  if (command === 'up') await clusterUp();
  else if (command === 'down') await clusterDown();
  else if (command === 'status') for (const [name, pid] of Object.entries(clusterStatus())) process.stdout.write(`${name.padEnd(24)} ${pid ? `running (pid ${pid})` : 'stopped'}\n`);
  else {
    process.stderr.write('usage: node scripts/cluster.mjs up|down|status\n');
    process.exit(64);
  }
} catch (err) {
  process.stderr.write(`cluster ${command} failed: ${err.message}\n`);
  process.exit(1);
}

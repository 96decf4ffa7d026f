// `npm run bench`: ingress and consumer benchmarks against raw baselines, printed as Markdown.
import { join } from 'node:path';
import { build } from './lib/build.mjs';
import { ensureNodeModules } from './lib/deps.mjs';
import { ROOT, run } from './lib/run.mjs';
import { ensureTools } from './lib/tools.mjs';

const all = ['ingress', 'consumer', 'tracing'];
const picked = process.argv.slice(2);
const unknown = picked.filter((b) => !all.includes(b));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; known: ${all.join(', ')}\n`);
  process.exit(64);
}
ensureNodeModules();
ensureTools(['nats-server', 'jaeger']);
build();
for (const name of picked.length > 0 ? picked : all) {
  run(process.execPath, [join(ROOT, 'dist', 'bench', `${name}.bench.js`)]);
}

// `npm run soak`: 1,000,000 orders (SOAK_MESSAGES) through ingress → consumer at SOAK_RATE/s; RSS and event-loop delay must not grow.
import { join } from 'node:path';
import { build } from './lib/build.mjs';
import { ensureNodeModules } from './lib/deps.mjs';
import { ROOT, run } from './lib/run.mjs';
import { ensureTools } from './lib/tools.mjs';

try {
  ensureNodeModules();
  ensureTools(['nats-server']);
  build();
  run(process.execPath, [join(ROOT, 'dist', 'test', 'soak', 'soak.main.js')]);
} catch (err) {
  process.stderr.write(`\nnpm run soak failed: ${err.message}\n`);
  process.exit(1);
}

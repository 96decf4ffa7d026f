import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { log, ROOT, run } from './run.mjs';

/** Compiles apps, libs, tests and benchmarks into dist/ and removes output whose source is gone. */
export function build() {
  log('compiling TypeScript');
  run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
  pruneStale(join(ROOT, 'dist'));
}

function pruneStale(dir) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      pruneStale(path);
      continue;
    }
    const m = entry.name.match(/^(.*)\.js(\.map)?$/);
    if (!m) continue;
    const source = join(ROOT, relative(join(ROOT, 'dist'), dir), `${m[1]}.ts`);
    if (!existsSync(source)) rmSync(path);
  }
}

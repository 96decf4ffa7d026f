import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { log, ROOT, run } from './run.mjs';

/** The operations console's bundle (Vite, apps/console), served by the producer; not tsc output. */
const CONSOLE_OUT = join(ROOT, 'dist', 'apps', 'console');

const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** Compiles apps, libs, tests and benchmarks into dist/ (incrementally) and removes output whose source is gone. */
export function compile() {
  log('compiling TypeScript');
  run(process.execPath, [TSC, '-p', 'tsconfig.json']);
  pruneStale(join(ROOT, 'dist'));
}

/** `compile()`, then type-checks and bundles the console. */
export function build() {
  compile();
  log('type-checking and bundling the console (Vite)');
  run(process.execPath, [TSC, '-p', join('apps', 'console', 'tsconfig.json')]);
  run(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', join('apps', 'console', 'vite.config.ts'), '--logLevel', 'warn']);
}

function pruneStale(dir) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (path === CONSOLE_OUT) continue;
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

// `npm run bench [ingress|consumer|tracing|latency|guarantees|codecs …]`: every selected bench on each runtime
// (BENCH_RUNTIMES, default "20,22"), their Markdown tables as they finish, then one summary
// table and one `RATIO <comparison> <x>` line per comparison, x the worse of the runtimes' figures.
// Exit 0 when every bench ran, whatever the figures (a measurement, not a test); `--no-build`
// skips the install, tool and build steps (the short bench in `npm test` runs after a build).
import { spawn } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { benchRuntimes } from './lib/bench-runtimes.mjs';
import { resultsOf, summary } from './lib/bench-summary.mjs';
import { build } from './lib/build.mjs';
import { ensureNodeModules } from './lib/deps.mjs';
import { log, ROOT } from './lib/run.mjs';
import { ensureTools } from './lib/tools.mjs';

const all = ['ingress', 'consumer', 'tracing', 'latency', 'guarantees', 'codecs'];
const args = process.argv.slice(2);
const noBuild = args.includes('--no-build');
const picked = args.filter((a) => a !== '--no-build');
const unknown = picked.filter((b) => !all.includes(b));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; known: ${all.join(', ')}\n`);
  process.exit(64);
}
if (!noBuild) {
  ensureNodeModules();
  ensureTools(['nats-server', 'jaeger']);
  build();
}
const runtimes = benchRuntimes(undefined, { download: process.env.BENCH_DOWNLOAD !== '0', log });

/** Runs one bench file, its output passed through as it comes; resolves to its lines and exit code. */
function runBench(node, name) {
  return new Promise((resolve) => {
    const child = spawn(node, ['--enable-source-maps', join(ROOT, 'dist', 'bench', `${name}.bench.js`)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = [];
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      process.stdout.write(`${line}\n`);
    });
    child.once('error', (err) => resolve({ lines, code: `could not start: ${err.message}` }));
    child.once('close', (code, signal) => resolve({ lines, code: code ?? signal }));
  });
}

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB`;
const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
const runs = [];
const failed = [];
for (const runtime of runtimes) {
  process.stdout.write(`\n## ${runtime.label} — ${machine} — ${date} UTC\n`);
  const run = { label: runtime.label, results: [] };
  for (const name of picked.length > 0 ? picked : all) {
    const { lines, code } = await runBench(runtime.node, name);
    if (code !== 0) failed.push(`${name} on ${runtime.label} (exit ${code})`);
    run.results.push(...resultsOf(lines));
  }
  runs.push(run);
}
const { table, ratioLines } = summary(runs);
process.stdout.write(`\n## Summary — ${machine} — ${date} UTC\n\n${table}\n\n`);
process.stdout.write(`Each RATIO is the worse of ${runs.map((r) => r.label).join(" and ")} (the lower ratio; the higher rss-mb): the bar must hold on every runtime.\n`);
if (failed.length > 0) process.stdout.write(`Benches that failed: ${failed.join('; ')}\n`);
process.stdout.write(`${ratioLines.join('\n')}\n`);
process.exit(failed.length > 0 ? 1 : 0);

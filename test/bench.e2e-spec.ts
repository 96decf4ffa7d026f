import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '#test-support';

// The whole `npm run bench` path with tiny settings: every bench runs, prints its
// table and its machine-readable lines, and the script sums them up. No figure is
// asserted: performance is measured by the full bench, never by a test.
const SHORT = {
  BENCH_DURATION_S: '1',
  BENCH_ROUNDS: '1',
  BENCH_MESSAGES: '2000',
  BENCH_GUARANTEE_MESSAGES: '1000',
  BENCH_CODEC_MESSAGES: '1000',
  BENCH_LATENCY_S: '1',
  BENCH_LATENCY_WARMUP_S: '1',
  BENCH_COLD_S: '2',
  // This runtime only: a second one would double the run (Node 22's part is the same code).
  BENCH_RUNTIMES: process.versions.node.split('.')[0]!,
  BENCH_DOWNLOAD: '0',
};

describe('npm run bench, short', () => {
  it('prints every bench table, the summary and one positive RATIO line per comparison', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, 'scripts', 'bench.mjs'), '--no-build'], {
      cwd: ROOT,
      env: { ...process.env, ...SHORT },
      maxBuffer: 64 << 20,
      timeout: 280_000,
    });
    for (const heading of ['### Ingress', '### Consumer', '### Tracing overhead', '### Latency', '#### Cold start', '### Delivery modes', '### Codecs', '## Summary']) {
      expect(stdout).toContain(heading);
    }
    expect(stdout).toMatch(/\| plain NestJS controller \+ ValidationPipe \+ js\.publish \| \d+ \|/);
    expect(stdout).toMatch(/\| @nestjs-plugins\/nestjs-nats-jetstream-transport 2\.2\.6 [^|]*\| \d+ \|/);
    const ratios = [...stdout.matchAll(/^RATIO (\S+) (\S+)$/gm)].map((m) => [m[1], Number(m[2])] as const);
    expect(ratios.map(([name]) => name)).toEqual(['consumer-defaults', 'peer-consumer', 'tracing-10-ingress', 'tracing-10-consumer', 'tracing-100-vs-ceiling', 'ingress', 'rss-mb']);
    for (const [name, x] of ratios) expect({ name, positiveFinite: Number.isFinite(x) && x > 0 }).toEqual({ name, positiveFinite: true });
    expect(stdout.trimEnd().split('\n').slice(-7).every((l) => l.startsWith('RATIO '))).toBe(true);
  }, 300_000);
});

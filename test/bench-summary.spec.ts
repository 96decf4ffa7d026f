import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '#test-support';

// `npm run bench`'s summing-up lives in the script (plain .mjs, outside dist/); the test loads that very module.
interface BenchResult {
  name: string;
  compares?: string;
  ratio: number;
  target?: number;
  ceiling?: number;
  lowerIsBetter?: boolean;
}
interface BenchSummaryModule {
  RATIO_NAMES: string[];
  resultsOf(lines: string[]): BenchResult[];
  summary(runs: { label: string; results: BenchResult[] }[]): { table: string; ratioLines: string[] };
}
const load = async () => (await import(pathToFileURL(join(ROOT, 'scripts', 'lib', 'bench-summary.mjs')).href)) as BenchSummaryModule;

const line = (r: BenchResult) => JSON.stringify({ event: 'bench.result', ...r });

describe('bench summary (scripts/lib/bench-summary.mjs)', () => {
  it('collects only bench.result lines from a bench output', async () => {
    const { resultsOf } = await load();
    const lines = ['### Ingress', '| raw | 1 |', line({ name: 'ingress', ratio: 0.5 }), '{"event":"bench.latency","rate":1000}', line({ name: 'consumer', ratio: 0.9 })];
    expect(resultsOf(lines).map((r) => r.name)).toEqual(['ingress', 'consumer']);
  });

  it('each RATIO line is the lower of the runtimes, with 2 decimals, in the issue order', async () => {
    const { summary } = await load();
    const node20 = { label: 'Node 20', results: [{ name: 'ingress', ratio: 0.812, target: 0.8 }, { name: 'consumer-defaults', ratio: 0.934, target: 0.9 }] };
    const node22 = { label: 'Node 22', results: [{ name: 'ingress', ratio: 0.777, target: 0.8 }, { name: 'consumer-defaults', ratio: 1.2, target: 0.9 }] };
    const { ratioLines, table } = summary([node20, node22]);
    expect(ratioLines).toEqual(['RATIO consumer-defaults 0.93', 'RATIO ingress 0.78']);
    expect(table).toContain('| ingress |  | 0.81 | 0.78 | 0.78 | ≥ 0.8 | – | not met |');
    expect(table).toContain('| consumer-defaults |  | 0.93 | 1.20 | 0.93 | ≥ 0.9 | – | met |');
  });

  it('rss-mb is the largest RSS any app showed on any runtime, and meets its target from below', async () => {
    const { summary } = await load();
    const rss = (producer: number, consumer: number) => [
      { name: 'rss-producer', ratio: producer, target: 150, lowerIsBetter: true },
      { name: 'rss-consumer', ratio: consumer, target: 150, lowerIsBetter: true },
    ];
    const { ratioLines, table } = summary([
      { label: 'Node 20', results: rss(120, 140) },
      { label: 'Node 22', results: rss(149.4, 131) },
    ]);
    expect(ratioLines).toEqual(['RATIO rss-mb 149.40']);
    expect(table).toContain('| rss-producer |  | 120.00 | 149.40 | 149.40 | ≤ 150 | – | met |');
    expect(table).toContain('| rss-mb | largest RSS of a nestjet app under the bench loads (the rss-* rows), MiB | 140.00 | 149.40 | 149.40 | ≤ 150 | – | met |');
  });

  it('shows the lowest ceiling the runtimes measured beside the target', async () => {
    const { summary } = await load();
    const { table } = summary([
      { label: 'Node 20', results: [{ name: 'tracing-consumer', ratio: 0.5, target: 0.85, ceiling: 0.66 }] },
      { label: 'Node 22', results: [{ name: 'tracing-consumer', ratio: 0.55, target: 0.85, ceiling: 0.612 }] },
    ]);
    expect(table).toContain('| tracing-consumer |  | 0.50 | 0.55 | 0.50 | ≥ 0.85 | 0.61 | not met |');
  });

  it('a comparison one runtime did not produce is missing, not the other runtime figure', async () => {
    const { summary } = await load();
    const { ratioLines } = summary([
      { label: 'Node 20', results: [{ name: 'peer-consumer', ratio: 1.4 }] },
      { label: 'Node 22', results: [] },
    ]);
    expect(ratioLines).toEqual(['RATIO peer-consumer missing']);
  });

  it('comparisons outside the RATIO names appear in the table only', async () => {
    const { summary, RATIO_NAMES } = await load();
    const { ratioLines, table } = summary([{ label: 'Node 20', results: [{ name: 'tracing-ingress', ratio: 0.97, target: 0.95 }] }]);
    expect(RATIO_NAMES).toEqual(['consumer-defaults', 'peer-consumer', 'tracing-10-ingress', 'tracing-10-consumer', 'tracing-100-vs-ceiling', 'ingress', 'rss-mb']);
    expect(ratioLines).toEqual([]);
    expect(table).toContain('| tracing-ingress |  | 0.97 | 0.97 | ≥ 0.95 | – | met |');
  });
});

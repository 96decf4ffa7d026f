import { describe, expect, it } from '@jest/globals';
import { report, verdict } from './soak/soak-report.js';
import { runSoak } from './soak/soak-run.js';

/**
 * The two-minute soak of `npm test` (`npm run soak` is the long one): a
 * modest fixed rate so a loaded 2-core machine keeps up, every count checked,
 * and RSS of both processes without a growth trend after warm-up. Event-loop
 * delay is sampled and printed but not asserted: it is a timing, and timings
 * belong to the benchmark.
 */
const RATE = 150;
const SECONDS = 120;

describe('soak (2 minutes)', () => {
  it('carries rate × 120 s orders through ingress and every durable without losses, duplicates or RSS growth', async () => {
    const result = await runSoak({
      messages: RATE * SECONDS,
      rate: RATE,
      sampleMs: 2000,
      // A short run spends a larger share settling (JIT, heap sizing), and its windows must span V8's
      // collection cycles (RSS climbs between major GCs): both are longer than the long soak's.
      warmUpFraction: 0.25,
      windowFraction: 0.25,
      maxGrowth: 0.1,
      highEvery: 10,
      drainTimeoutMs: 60_000,
    });
    process.stdout.write(report(result, ['rssMiB'], 12));

    expect(result.counts.filter((c) => !c.ok)).toEqual([]);
    expect(result.counts.find((c) => c.what === 'messages answered 202')?.actual).toBe(RATE * SECONDS);
    expect(result.load.failed).toBe(0);
    const rss = result.growth.filter((g) => g.series === 'rssMiB');
    expect(rss.map((g) => g.app).sort()).toEqual(['consumer', 'producer']);
    expect(verdict(result, ['rssMiB'])).toEqual({ ok: true, problems: [] });
  }, 300_000);
});

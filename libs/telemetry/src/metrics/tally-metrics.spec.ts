import { describe, expect, it } from '@jest/globals';
import { Counter, Histogram, Registry } from 'prom-client';
import { TallyCounter, TallyHistogram } from './tally-metrics.js';

const BUCKETS = [0.001, 0.01, 0.1, 1, 10];
const VALUES = [0, 0.0005, 0.001, 0.002, 0.05, 0.1, 0.5, 3, 10, 11, 1e6, 0.1 + 0.2];

describe('TallyHistogram', () => {
  it('exposes exactly what prom-client’s Histogram exposes for the same observations', async () => {
    const [ours, theirs] = [new Registry(), new Registry()];
    const tally = new TallyHistogram<'consumer'>('x_seconds', 'help text', BUCKETS, [ours]);
    const reference = new Histogram({ name: 'x_seconds', help: 'help text', labelNames: ['consumer'] as const, buckets: BUCKETS, registers: [theirs] });
    const [a, b] = [tally.bind({ consumer: 'a' }), tally.bind({ consumer: 'b"\\\n' })];
    for (const [i, v] of VALUES.entries()) {
      (i % 3 === 1 ? b : a).observe(v);
      reference.observe({ consumer: i % 3 === 1 ? 'b"\\\n' : 'a' }, v);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.metrics()).toContain('x_seconds_bucket{le="0.1",consumer="a"} 4');
  });

  it('ignores a value that is not a finite number instead of corrupting the sum', async () => {
    const registry = new Registry();
    const h = new TallyHistogram<'consumer'>('y_seconds', 'h', BUCKETS, [registry]).bind({ consumer: 'a' });
    h.observe(Number.NaN);
    h.observe(Number.POSITIVE_INFINITY);
    h.observe(0.5);
    expect(await registry.metrics()).toContain('y_seconds_sum{consumer="a"} 0.5\ny_seconds_count{consumer="a"} 1');
  });

  it('is zeroed by the registry’s reset, and the bound series keeps counting', async () => {
    const registry = new Registry();
    const h = new TallyHistogram<'consumer'>('z_seconds', 'h', BUCKETS, [registry]).bind({ consumer: 'a' });
    h.observe(2);
    registry.resetMetrics();
    h.observe(0.005);
    const text = await registry.metrics();
    expect(text).toContain('z_seconds_bucket{le="0.01",consumer="a"} 1');
    expect(text).toContain('z_seconds_count{consumer="a"} 1');
  });
});

describe('TallyCounter', () => {
  it('counts into the prom-client counter when it is scraped, series present from the start', async () => {
    const registry = new Registry();
    const tallies = new TallyCounter({ name: 'c_total', help: 'h', labelNames: ['outcome'] as const, registers: [registry] });
    const [ack, nak] = [tallies.bind({ outcome: 'ack' }), tallies.bind({ outcome: 'nak' })];
    expect(await registry.metrics()).toContain('c_total{outcome="ack"} 0\nc_total{outcome="nak"} 0');
    for (let i = 0; i < 5; i++) ack.inc();
    nak.inc();
    expect(await registry.metrics()).toContain('c_total{outcome="ack"} 5\nc_total{outcome="nak"} 1');
    ack.inc();
    // A second scrape adds only what came since the first.
    expect(await registry.metrics()).toContain('c_total{outcome="ack"} 6\nc_total{outcome="nak"} 1');
    const reference = new Counter({ name: 'd_total', help: 'h', labelNames: ['outcome'] as const, registers: [] });
    reference.inc({ outcome: 'ack' }, 6);
    expect((await tallies.counter.get()).values.find((v) => v.labels.outcome === 'ack')?.value).toBe((await reference.get()).values[0].value);
  });
});

import { Counter, type Registry } from 'prom-client';

/** One label set's running count, added into its prom-client counter when scraped. */
export interface CounterTally {
  inc(): void;
}

/** One label set's histogram: a bucket search and three additions per observation. */
export interface HistogramTally {
  observe(value: number): void;
}

interface LabelledTally<L extends string> {
  labels: Record<L, string>;
}

/**
 * A prom-client counter whose label sets are bound to plain numbers: `inc()`
 * adds 1 to a field, and the sums move into the counter on each scrape (its
 * `collect`). prom-client's own bound child validates and hashes its labels on
 * every call, which showed in the consumer's profile at tens of thousands of
 * messages a second.
 */
export class TallyCounter<L extends string> {
  private readonly tallies: (LabelledTally<L> & { pending: number; inc(): void })[] = [];
  readonly counter: Counter<L>;

  constructor(config: { name: string; help: string; labelNames: readonly L[]; registers: Registry[] }) {
    const tallies = this.tallies;
    this.counter = new Counter<L>({
      ...config,
      collect() {
        for (const t of tallies) {
          if (t.pending === 0) continue;
          this.inc(t.labels as never, t.pending);
          t.pending = 0;
        }
      },
    });
  }

  /** Binds a label set; call once per set and keep the result. Starts the series at 0, so it exists before the first event. */
  bind(labels: Record<L, string>): CounterTally {
    const tally = {
      labels,
      pending: 0,
      inc() {
        tally.pending++;
      },
    };
    this.counter.inc(labels as never, 0);
    this.tallies.push(tally);
    return tally;
  }
}

interface HistogramSeries<L extends string> extends LabelledTally<L> {
  /** Observations per bucket (not cumulative); the last slot is +Inf. */
  counts: Float64Array;
  sum: number;
  count: number;
}

/**
 * A Prometheus histogram kept as plain numbers per bound label set, exposed
 * through a prom-client registry like any of its metrics (the same text as
 * prom-client's `Histogram`: cumulative `_bucket` lines with `le`, `_sum`,
 * `_count`; `tally-metrics.spec.ts` compares the two). prom-client has no
 * bulk observe, so a per-scrape flush into its Histogram would still cost a
 * call per value; this keeps the whole observation to a bucket search.
 */
export class TallyHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series: HistogramSeries<L>[] = [];

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly upperBounds: readonly number[],
    registers: Registry[],
  ) {
    for (const registry of registers) registry.registerMetric(this as never);
  }

  /** Binds a label set; call once per set and keep the result. */
  bind(labels: Record<L, string>): HistogramTally {
    const series: HistogramSeries<L> = { labels, counts: new Float64Array(this.upperBounds.length + 1), sum: 0, count: 0 };
    this.series.push(series);
    const bounds = this.upperBounds;
    return {
      observe(value: number): void {
        if (!Number.isFinite(value)) return;
        let i = 0;
        while (i < bounds.length && value > bounds[i]) i++;
        series.counts[i]++;
        series.sum += value;
        series.count++;
      },
    };
  }

  /** What prom-client's registry formats (`getMetricsAsString`). */
  async get() {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const s of this.series) {
      let cumulative = 0;
      this.upperBounds.forEach((le, i) => {
        cumulative += s.counts[i];
        values.push({ labels: { le, ...s.labels }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** `registry.resetMetrics()`: every bound series back to zero (the bindings stay valid). */
  reset(): void {
    for (const s of this.series) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }
}

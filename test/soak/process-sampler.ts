import { rssMiB, scrape, total } from '#test-support';

/** One app process at one moment. */
export interface ProcessSample {
  /** Resident set size from /proc/<pid>/status (VmRSS), MiB. */
  rssMiB: number;
  /** V8 heap in use (nodejs_heap_size_used_bytes), MiB. */
  heapUsedMiB: number;
  /**
   * Event-loop delay since the previous scrape (prom-client resets its
   * histogram on every collect), ms: p99 and mean. prom-client samples with a
   * 10 ms timer and the figures include that period, so an idle loop shows ≈10 ms.
   */
  eventLoopP99Ms: number;
  eventLoopMeanMs: number;
  /** CPU time used since the process started (process_cpu_seconds_total), s: differences give the load. */
  cpuSeconds: number;
}

const MiB = 1024 * 1024;

/** Samples RSS from /proc and heap and event-loop delay from the app's own /metrics. */
export async function sampleProcess(pid: number, baseUrl: string): Promise<{ sample: ProcessSample; metrics: Awaited<ReturnType<typeof scrape>> }> {
  const [rss, metrics] = await Promise.all([rssMiB(pid), scrape(baseUrl)]);
  return {
    sample: {
      rssMiB: rss,
      heapUsedMiB: total(metrics, 'nodejs_heap_size_used_bytes') / MiB,
      eventLoopP99Ms: total(metrics, 'nodejs_eventloop_lag_p99_seconds') * 1000,
      eventLoopMeanMs: total(metrics, 'nodejs_eventloop_lag_mean_seconds') * 1000,
      cpuSeconds: total(metrics, 'process_cpu_seconds_total'),
    },
    metrics,
  };
}

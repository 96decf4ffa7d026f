import { ORDER_CONSUMERS, ORDERS_STREAM } from '#contracts';
import { type AppProcess, inspect, NatsServer, pacedLoad, type PacedLoadResult, provision, type Producer, startConsumer, startProducer, total, waitFor } from '#test-support';
import { growthAfterWarmUp, type Growth, type GrowthOptions, type Point } from './growth.js';
import { type ProcessSample, sampleProcess } from './process-sampler.js';

export interface SoakOptions extends GrowthOptions {
  messages: number;
  rate: number;
  sampleMs: number;
  /** Every n-th order is high-value (routed to fraud-review as well). */
  highEvery: number;
  /** Longest wait for the consumer to finish after the last 202. */
  drainTimeoutMs: number;
}

export interface SoakSample {
  /** ms since the load started. */
  atMs: number;
  /** Requests started so far. */
  sent: number;
  /** Messages not yet acknowledged, summed over the durables (num_pending + num_ack_pending). */
  backlog: number;
  producer: ProcessSample;
  consumer: ProcessSample;
}

export const SERIES = ['rssMiB', 'eventLoopP99Ms', 'heapUsedMiB'] as const;
export type Series = (typeof SERIES)[number];

export interface SeriesGrowth extends Growth {
  app: 'producer' | 'consumer';
  series: Series;
}

export interface CountCheck {
  what: string;
  expected: number;
  actual: number;
  ok: boolean;
}

export interface SoakResult {
  options: SoakOptions;
  load: PacedLoadResult;
  samples: SoakSample[];
  growth: SeriesGrowth[];
  counts: CountCheck[];
  /** ms from the last 202 until every durable had acknowledged everything. */
  drainMs: number;
}

/** Topology as deployed (30 s ack wait), not the tests' fast-failure settings: a soak measures the normal path. */
const SOAK_ENV = { CONSUMER_ACK_WAIT_MS: '30000' };

const SAMPLE_START = 'soak.sampling';

/**
 * The soak: its own nats-server, the producer and the consumer as separate
 * processes (as deployed), `messages` orders through the REST ingress at
 * `rate`, every durable consuming; RSS, heap and event-loop delay of both
 * processes sampled every `sampleMs`; counts checked against the server.
 */
export async function runSoak(o: SoakOptions, log: (line: string) => void = () => {}): Promise<SoakResult> {
  const nats = await NatsServer.start();
  let producer: Producer | undefined;
  let consumer: AppProcess | undefined;
  try {
    await provision(nats, SOAK_ENV);
    // The rate limit is a policy, not what is soaked.
    producer = await startProducer(nats, { ...SOAK_ENV, RATE_LIMIT_MAX: '1000000000', PUBLISH_BYTES_MAX: '100000000000' });
    consumer = await startConsumer(nats, SOAK_ENV);
    const consumerUrl = String(consumer.events('consumer.ready')[0]!.url).replace('[::1]', '127.0.0.1');
    // One log line per processed message: keep none, or the test process grows instead of the apps.
    producer.app.keepOnlyTail();
    consumer.keepOnlyTail();
    log(`${SAMPLE_START}: producer pid ${producer.app.pid} ${producer.url}, consumer pid ${consumer.pid} ${consumerUrl}`);

    const samples: SoakSample[] = [];
    let sent = 0;
    const started = performance.now();
    const sample = async (): Promise<void> => {
      const [p, c] = await Promise.all([sampleProcess(producer!.app.pid, producer!.url), sampleProcess(consumer!.pid, consumerUrl)]);
      const backlog = total(c.metrics, 'nestjet_consumer_pending_messages') + total(c.metrics, 'nestjet_consumer_ack_pending_messages');
      samples.push({ atMs: performance.now() - started, sent, backlog, producer: p.sample, consumer: c.sample });
    };
    let sampling: Promise<void> | undefined;
    let lastLog = 0;
    const timer = setInterval(() => {
      if (sampling) return; // a slow scrape skips a tick rather than piling up
      sampling = sample()
        .catch((err: unknown) => log(`sample failed: ${String(err)}`))
        .finally(() => (sampling = undefined));
      if (performance.now() - lastLog >= 60_000) {
        lastLog = performance.now();
        const s = samples.at(-1);
        log(`${Math.round((performance.now() - started) / 1000)} s: ${sent} sent${s ? `, backlog ${s.backlog}, RSS producer ${s.producer.rssMiB.toFixed(0)} MiB, consumer ${s.consumer.rssMiB.toFixed(0)} MiB` : ''}`);
      }
    }, o.sampleMs);
    let load: PacedLoadResult;
    try {
      load = await pacedLoad({ url: producer.url, messages: o.messages, rate: o.rate, runId: `soak-${Date.now()}`, highEvery: o.highEvery }, (n) => (sent = n));
    } finally {
      clearInterval(timer);
      await sampling;
    }

    const expected: Record<string, number> = {
      [ORDER_CONSUMERS.fulfillment]: load.accepted,
      [ORDER_CONSUMERS.notifications]: load.accepted,
      [ORDER_CONSUMERS.fraudReview]: load.high,
    };
    const { nc, jsm } = await inspect(nats);
    const drainStart = performance.now();
    try {
      await waitFor(
        'every durable to acknowledge every message',
        async () => {
          for (const durable of Object.keys(expected)) {
            const info = await jsm.consumers.info(ORDERS_STREAM, durable);
            if (info.num_pending + info.num_ack_pending > 0) return false;
          }
          return true;
        },
        o.drainTimeoutMs,
        500,
      ).catch(() => undefined); // the counts below say what is missing
      const drainMs = performance.now() - drainStart;
      const counts: CountCheck[] = [];
      const check = (what: string, want: number, actual: number) => counts.push({ what, expected: want, actual, ok: actual === want });
      check('messages answered 202', o.messages, load.accepted);
      check('first-attempt 202 answers marked duplicate', 0, load.firstAttemptDuplicates);
      check(`messages stored in ${ORDERS_STREAM}`, load.accepted, (await jsm.streams.info(ORDERS_STREAM)).state.messages);
      const metrics = (await sampleProcess(consumer.pid, consumerUrl)).metrics;
      for (const [durable, want] of Object.entries(expected)) {
        const info = await jsm.consumers.info(ORDERS_STREAM, durable);
        check(`${durable}: deliveries (delivered.consumer_seq)`, want, info.delivered.consumer_seq);
        check(`${durable}: num_pending + num_ack_pending`, 0, info.num_pending + info.num_ack_pending);
        check(`${durable}: acked by the handler (nestjet_processed_messages_total)`, want, total(metrics, 'nestjet_processed_messages_total', { consumer: durable, outcome: 'ack' }));
      }
      return { options: o, load, samples, growth: growthOf(samples, o), counts, drainMs };
    } finally {
      await nc.close();
    }
  } finally {
    await consumer?.stop();
    await producer?.app.stop();
    await nats.dispose();
  }
}

function growthOf(samples: SoakSample[], o: GrowthOptions): SeriesGrowth[] {
  return (['producer', 'consumer'] as const).flatMap((app) =>
    SERIES.map((series) => {
      const points: Point[] = samples.map((s) => ({ atMs: s.atMs, value: s[app][series] }));
      return { app, series, ...growthAfterWarmUp(points, o) };
    }),
  );
}

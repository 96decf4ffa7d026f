import { AckPolicy, DeliverPolicy } from '@nats-io/jetstream';
import { AppProcess, DIST, inspect, NatsServer, pacedLoad, type PacedAnswer, provision, startConsumer, startProducer } from '#test-support';
import { join } from 'node:path';
import { environment, table } from './bench-report.js';
import { appDefaultTuning } from './consumer-settings.js';
import { percentile } from './percentile.js';
import { watchRss } from './rss-watch.js';

/**
 * Latency through the real producer into a no-op consumer process (the app's
 * default tuning), open loop: request i starts at i / rate whatever the answers
 * (the soak's client). End to end = handler start minus the publisher's
 * nestjet-published-at; 202 = the client's wait for the answer. Then a cold
 * start: a fresh producer taking 1,000 req/s as soon as it logs ready, alone
 * and started together with a fresh consumer app (load once both are ready).
 */
const RATES = (process.env.BENCH_LATENCY_RATES ?? '1000,5000').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_LATENCY_S ?? 10);
const WARMUP_S = Number(process.env.BENCH_LATENCY_WARMUP_S ?? 5);
const COLD_RATE = 1000;
const COLD_S = Number(process.env.BENCH_COLD_S ?? 10);
// What the issue asks for: the first 5 s against the rest (halved for runs shorter than 10 s).
const COLD_SPLIT_MS = Math.min(5, COLD_S / 2) * 1000;
const unlimited = { RATE_LIMIT_MAX: '1000000000', PUBLISH_BYTES_MAX: '100000000000' };

const spread = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99), max: s.at(-1) ?? Number.NaN, over100: s.filter((x) => x > 100).length, count: s.length };
};
const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '–');

const nats = await NatsServer.start();
try {
  await provision(nats);
  const { nc, jsm } = await inspect(nats);
  const producer = await startProducer(nats, unlimited);
  // The rates are measured warm; the cold start has its own table below.
  await pacedLoad({ url: producer.url, messages: COLD_RATE * WARMUP_S, rate: COLD_RATE, runId: `warm-up-${Date.now()}`, highEvery: 10, maxInFlight: 4096, maxSockets: 64 });
  const rows: (string | number)[][] = [];
  const shortfalls: string[] = [];
  for (const rate of RATES) {
    const messages = rate * SECONDS;
    const durable = `latency-${rate}`;
    // Only what this phase publishes: the previous phases' messages stay behind.
    await jsm.consumers.add('ORDERS', { durable_name: durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.New, filter_subject: 'orders.created.>', max_ack_pending: 10_000 });
    const consumer = await AppProcess.start(
      'latency-consumer',
      join(DIST, 'bench', 'noop-consumer.main.js'),
      { ...nats.env('operator'), BENCH_MESSAGES: String(messages), BENCH_DURABLE: durable, BENCH_LATENCY: '1', ...appDefaultTuning() },
      'bench.listening',
    );
    const rss = { producer: watchRss(producer.app.pid), consumer: watchRss(consumer.pid) };
    const answers: number[] = [];
    const load = await pacedLoad({ url: producer.url, messages, rate, runId: `latency-${rate}-${Date.now()}`, highEvery: 10, maxInFlight: 4096, maxSockets: 64 }, undefined, (a) => {
      if (a.status === 202) answers.push(a.latencyMs);
    });
    if (load.failed > 0) {
      await consumer.stop();
      throw new Error(`${load.failed} of ${messages} requests at ${rate}/s never answered 202: ${load.failures.join('; ')}`);
    }
    await consumer.waitForExit(120_000).catch(async (err: unknown) => {
      await consumer.stop();
      throw err;
    });
    const [producerRss, consumerRss] = [rss.producer.stop(), rss.consumer.stop()];
    const e2e = consumer.events('bench.done')[0]?.latency as { p50: number; p99: number; max: number; count: number } | undefined;
    if (!e2e) throw new Error(`latency consumer did not finish:\n${consumer.tail()}`);
    const accepted = spread(answers);
    const achieved = load.accepted / (load.elapsedMs / 1000);
    if (achieved < rate * 0.95) shortfalls.push(`${rate}/s (achieved ${achieved.toFixed(0)}/s)`);
    rows.push([rate, achieved.toFixed(0), `${ms(accepted.p50)} / ${ms(accepted.p99)} / ${ms(accepted.max)}`, `${e2e.p50} / ${e2e.p99} / ${e2e.max}`, e2e.count, producerRss.toFixed(0), consumerRss.toFixed(0)]);
    process.stdout.write(`${JSON.stringify({ event: 'bench.latency', rate, achieved, accepted, e2e, retries: load.retries, producerRssMiB: producerRss, consumerRssMiB: consumerRss })}\n`);
  }
  await producer.app.stop();

  // Cold start: what a pod KEDA or a rolling update just added gets, with the producer's warm-up and without it.
  // With a consumer: both apps start at once (a rollout, a node lost), the load begins when both have logged ready.
  const coldStart = async (env: Record<string, string>, withConsumer = false) => {
    if (withConsumer) await jsm.streams.purge('ORDERS'); // what earlier phases left must not become the consumer's backlog
    const [cold, consumer] = await Promise.all([startProducer(nats, { ...unlimited, ...env }), withConsumer ? startConsumer(nats) : undefined]);
    const coldRss = watchRss(cold.app.pid);
    const consumerRss = consumer ? watchRss(consumer.pid) : undefined;
    const answers: PacedAnswer[] = [];
    const load = await pacedLoad({ url: cold.url, messages: COLD_RATE * COLD_S, rate: COLD_RATE, runId: `cold-${Date.now()}`, highEvery: 10, maxInFlight: 4096, maxSockets: 64, attempts: 1 }, undefined, (a) =>
      answers.push(a),
    );
    const peak = coldRss.stop();
    const consumerPeak = consumerRss?.stop();
    const warmUpMs = Number(cold.app.events('producer.warmed-up')[0]?.ms ?? 0);
    await Promise.all([cold.app.stop(), consumer?.stop()]);
    const window = (first: boolean) => spread(answers.filter((a) => a.status === 202 && a.startedMs < COLD_SPLIT_MS === first).map((a) => a.latencyMs));
    return { early: window(true), late: window(false), failed: load.failed, achieved: load.accepted / (load.elapsedMs / 1000), peak, consumerPeak, warmUpMs };
  };
  const colds = [
    { label: 'warm-up (default)', ...(await coldStart({})) },
    { label: 'no warm-up (WARM_UP_REQUESTS=0)', ...(await coldStart({ WARM_UP_REQUESTS: '0' })) },
    { label: 'producer and consumer started together', ...(await coldStart({}, true)) },
  ];
  await nc.close();
  type ColdRun = (typeof colds)[number];
  const split = (COLD_SPLIT_MS / 1000).toFixed(0);
  const coldRows = colds.flatMap((c: ColdRun) => [
    [c.label, `first ${split} s`, c.early.count, ms(c.early.p50), ms(c.early.p99), ms(c.early.max), c.early.over100, c.warmUpMs, `${c.peak.toFixed(0)}${c.consumerPeak ? ` / ${c.consumerPeak.toFixed(0)}` : ''}`],
    [c.label, `after ${split} s`, c.late.count, ms(c.late.p50), ms(c.late.p99), ms(c.late.max), c.late.over100, '', ''],
  ]);

  process.stdout.write(
    `\n### Latency (open loop, ${SECONDS} s per rate after a ${WARMUP_S} s warm-up at ${COLD_RATE}/s, producer → no-op consumer with the app's default tuning)\n${environment()}\n\n` +
      table(['offered req/s', 'achieved req/s', '202 p50 / p99 / max ms', 'end to end p50 / p99 / max ms', 'messages handled', 'producer peak RSS MiB', 'consumer peak RSS MiB'], rows) +
      `\n\nGoal: end-to-end p99 ≤ 10 ms at 1,000/s. ` +
      (shortfalls.length > 0 ? `NOT offered in full on this machine: ${shortfalls.join(', ')}; client, broker and apps share its cores, so those rows are at the achieved rate.\n` : 'Every rate was achieved.\n') +
      `\n#### Cold start (a fresh producer, alone or with a fresh consumer app; ${COLD_RATE} req/s from the moment they logged ready, for ${COLD_S} s; ${colds.map((c) => `${c.label}: ${c.achieved.toFixed(0)} req/s achieved, ${c.failed} not 202`).join('; ')})\n\n` +
      table(['start', 'window', '202 answers', 'p50 ms', 'p99 ms', 'max ms', 'over 100 ms', 'producer warm-up ms', 'peak RSS MiB (producer / consumer)'], coldRows) +
      '\n',
  );
  for (const c of colds) process.stdout.write(`${JSON.stringify({ event: 'bench.cold-start', producer: c.label, early: c.early, late: c.late, failed: c.failed, warmUpMs: c.warmUpMs, producerRssMiB: c.peak, consumerRssMiB: c.consumerPeak })}\n`);
} finally {
  await nats.dispose();
}

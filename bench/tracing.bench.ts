import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { AckPolicy } from '@nats-io/jetstream';
import { AppProcess, authHeaders, DIST, freePort, inspect, NatsServer, provision, publishBacklog, rssMiB, startProducer } from '#test-support';
import { join } from 'node:path';
import { emitResult, environment, median, table } from './bench-report.js';
import { BENCH_TUNING } from './consumer-settings.js';
import { drainIn } from './drain-process.js';
import { ratioCeiling, spanCostMicros } from './span-floor.js';

/**
 * Tracing overhead, same run, alternating: ingress and consumer throughput
 * with tracing off, (a) on at 100 % sampling exporting to an OTLP sink in
 * another process that discards, (b) at 10 % parent-based ratio sampling,
 * to the same sink. Not to a real Jaeger: on two cores its ingestion would
 * run beside the measured process and be counted as tracing's cost
 * (test/tracing.e2e-spec.ts checks what Jaeger shows).
 */
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 50_000);
const body = JSON.stringify({ orderId: 'bench-1', customerId: 'c-1', amount: 42.5, currency: 'EUR', region: 'eu' });

async function ingress(url: string, pid: number) {
  const r = await autocannon({
    url: `${url}/v1/topics/orders.created/messages`,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authHeaders() },
    body,
    connections: 32,
    duration: DURATION_S,
  });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return { rps: r.requests.average, rss: await rssMiB(pid) };
}

const nats = await NatsServer.start();
const sinkPort = await freePort();
const sink = await AppProcess.start('otlp-sink', join(DIST, 'bench', 'otlp-sink.server.js'), { PORT: String(sinkPort) }, 'otlp-sink.ready');
const sinkStats = async () => (await (await fetch(`http://127.0.0.1:${sinkPort}/stats`)).json()) as { requests: number; bytes: number };
try {
  await provision(nats);
  // OTEL_* as the apps read them (libs/telemetry tracing.ts: NodeSDK takes sampler and exporter from the environment).
  const modes = {
    off: {},
    sink: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sinkPort}`, OTEL_TRACES_SAMPLER: 'always_on' },
    ratio: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sinkPort}`, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' },
    // Consumer only: 10 % with TRACE_CONTEXT=explicit, no active context (and no async hooks) in the handler.
    explicit: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sinkPort}`, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1', TRACE_CONTEXT: 'explicit' },
  };
  type Mode = keyof typeof modes;
  const order: Mode[] = ['off', 'sink', 'ratio'];
  const consumerOrder: Mode[] = [...order, 'explicit'];
  const producers = new Map<Mode, Awaited<ReturnType<typeof startProducer>>>();
  for (const m of order) producers.set(m, await startProducer(nats, { RATE_LIMIT_MAX: '1000000000', PUBLISH_BYTES_MAX: '100000000000', ...modes[m] }));
  const rps = new Map<Mode, number[]>(order.map((m) => [m, []]));
  const ingressRss = new Map<Mode, number>();
  for (const m of order) await ingress(producers.get(m)!.url, producers.get(m)!.app.pid); // warm-up
  const sinkBefore = await sinkStats();
  for (let i = 0; i < ROUNDS; i++) {
    for (const m of order) {
      const r = await ingress(producers.get(m)!.url, producers.get(m)!.app.pid);
      rps.get(m)!.push(r.rps);
      ingressRss.set(m, r.rss);
    }
  }
  await Promise.all([...producers.values()].map((p) => p.app.stop()));
  const sinkIngress = await sinkStats();

  const { nc, jsm } = await inspect(nats);
  await jsm.streams.purge('ORDERS');
  const publisher = await nats.connect('producer');
  // As the ingress stamps them with 10 % parent-based sampling: every message carries a traceparent, one in ten sampled.
  await publishBacklog(publisher, MESSAGES, 'trace-bench', { traceparent: (n) => `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-${n % 10 === 0 ? '01' : '00'}` });
  await publisher.close();
  const mps = new Map<Mode, number[]>(consumerOrder.map((m) => [m, []]));
  const drainRss = new Map<Mode, number>();
  for (let i = 0; i <= ROUNDS; i++) {
    for (const m of consumerOrder) {
      const durable = `${m}-${i}`;
      await jsm.consumers.add('ORDERS', { durable_name: durable, ack_policy: AckPolicy.Explicit, filter_subject: 'orders.created.>', max_ack_pending: 10_000 });
      const d = await drainIn('noop-consumer.main.js', { ...nats.env('operator'), BENCH_MESSAGES: String(MESSAGES), BENCH_DURABLE: durable, ...BENCH_TUNING, ...modes[m] });
      if (i > 0) {
        mps.get(m)!.push(d.rate);
        drainRss.set(m, Math.max(drainRss.get(m) ?? 0, d.rssMiB));
      }
    }
  }
  const sinkEnd = await sinkStats();
  // The HR peer with its tracing on, 100 % to the same sink (opt-in: BENCH_HR_PEER_DIR names a build of it).
  const hrPeerDir = process.env.BENCH_HR_PEER_DIR;
  const hrTraced: number[] = [];
  if (hrPeerDir) {
    for (let i = 0; i <= ROUNDS; i++) {
      const hr = { BENCH_HR_PEER_DIR: hrPeerDir, BENCH_HR_SETTINGS: 'matched', BENCH_HR_TRACING: '1', BENCH_CONCURRENCY: BENCH_TUNING.BENCH_CONCURRENCY, BENCH_PREFETCH: BENCH_TUNING.BENCH_PREFETCH };
      const d = await drainIn('hr-peer-consumer.main.js', { ...nats.env('operator'), BENCH_MESSAGES: String(MESSAGES), BENCH_DURABLE: `hr-traced-${i}`, ...modes.sink, ...hr });
      if (i > 0) hrTraced.push(d.rate);
    }
  }
  await nc.close();
  // After the traced drains, so they did not run beside it; its exports are not counted as theirs.
  const spanMicros = await spanCostMicros(`http://127.0.0.1:${sinkPort}/v1/traces`);
  const ceiling = ratioCeiling(median(mps.get('off')!), spanMicros);
  // At 10 % sampling a tenth of the messages pay the span: the same floor, a tenth as often.
  const ceiling10 = ratioCeiling(median(mps.get('off')!) / 10, spanMicros);

  const r = (xs: number[]) => median(xs).toFixed(0);
  const ratio = (xs: Map<Mode, number[]>, m: Mode) => median(xs.get(m)!) / median(xs.get('off')!);
  const kib = (b: number) => (b / 1024).toFixed(0);
  process.stdout.write(
    `\n### Tracing overhead (median of ${ROUNDS} rounds; ingress 32 connections × ${DURATION_S} s; consumer ${MESSAGES} msgs, no-op, concurrency ${BENCH_TUNING.BENCH_CONCURRENCY}, prefetch ${BENCH_TUNING.BENCH_PREFETCH})\n${environment()}\n\n` +
      table(
        ['path', 'off', '100 % → OTLP sink', 'sink / off', '10 % parent-based → sink', 'ratio / off', 'RSS MiB off / sink / 10 %'],
        [
          ['ingress req/s', r(rps.get('off')!), r(rps.get('sink')!), ratio(rps, 'sink').toFixed(2), r(rps.get('ratio')!), ratio(rps, 'ratio').toFixed(2), order.map((m) => ingressRss.get(m)!.toFixed(0)).join(' / ')],
          ['consumer msg/s', r(mps.get('off')!), r(mps.get('sink')!), ratio(mps, 'sink').toFixed(2), r(mps.get('ratio')!), ratio(mps, 'ratio').toFixed(2), order.map((m) => drainRss.get(m)!.toFixed(0)).join(' / ')],
        ],
      ) +
      `\n\ntargets: 100 % → sink ≥ 0.85× off, 10 % ≥ 0.95× off. The sink received ${sinkIngress.requests - sinkBefore.requests} exports (${kib(sinkIngress.bytes - sinkBefore.bytes)} KiB) during the measured ingress rounds ` +
      `and ${sinkEnd.requests - sinkIngress.requests} (${kib(sinkEnd.bytes - sinkIngress.bytes)} KiB) from the consumers (both modes)\n\n` +
      `One consumer \`process\` span alone — the OpenTelemetry SDK creating, batching and exporting it to the sink in protobuf, no message or handler around it — ` +
      `costs ${spanMicros.toFixed(1)} µs of CPU; at the untraced ${r(mps.get('off')!)} msg/s that caps the consumer's 100 % ratio at ${ceiling.toFixed(2)} ` +
      `and its 10 % ratio at ${ceiling10.toFixed(2)} whatever nestjet does${hrTraced.length > 0 ? `; HR with its tracing on, 100 % to the same sink: ${r(hrTraced)} msg/s (nestjet / HR **${(median(mps.get('sink')!) / median(hrTraced)).toFixed(2)}×**)` : '; HR not run (BENCH_HR_PEER_DIR)'}; with TRACE_CONTEXT=explicit (no active context in handlers) the consumer at 10 % runs at **${ratio(mps, 'explicit').toFixed(2)}×** of off (nestjet at 100 % reaches **${(ratio(mps, 'sink') / ceiling).toFixed(2)}** of its ceiling, at 10 % **${(ratio(mps, 'ratio') / ceiling10).toFixed(2)}**).\n`,
  );
  const sent = { ingressExports: sinkIngress.requests - sinkBefore.requests, ingressBytes: sinkIngress.bytes - sinkBefore.bytes, consumerExports: sinkEnd.requests - sinkIngress.requests, consumerBytes: sinkEnd.bytes - sinkIngress.bytes };
  emitResult({ name: 'tracing-ingress', compares: '100 % sampled → OTLP sink / off, req/s', ratio: ratio(rps, 'sink'), target: 0.85, off: median(rps.get('off')!), on: median(rps.get('sink')!), ...sent });
  emitResult({ name: 'tracing-consumer', compares: '100 % sampled → OTLP sink / off, msg/s', ratio: ratio(mps, 'sink'), target: 0.85, off: median(mps.get('off')!), on: median(mps.get('sink')!), spanMicros, ceiling });
  emitResult({ name: 'tracing-10-ingress', compares: '10 % parent-based → OTLP sink / off, req/s', ratio: ratio(rps, 'ratio'), target: 0.95, on: median(rps.get('ratio')!) });
  emitResult({ name: 'tracing-10-consumer', compares: '10 % parent-based (1 in 10 messages carries a sampled traceparent) → OTLP sink / off, msg/s', ratio: ratio(mps, 'ratio'), target: 0.95, on: median(mps.get('ratio')!), spanMicros, ceiling: ceiling10 });
  if (hrTraced.length > 0) {
    emitResult({ name: 'tracing-100-vs-hr', compares: 'nestjet / HR, both consumers 100 % sampled → OTLP sink, matched settings, msg/s', ratio: median(mps.get('sink')!) / median(hrTraced), target: 1.2, hr: median(hrTraced) });
  }
  emitResult({ name: 'tracing-100-vs-ceiling', compares: 'consumer at 100 % / off, over the ceiling the SDK\'s own per-span cost allows', ratio: ratio(mps, 'sink') / ceiling, target: 0.9, spanMicros, ceiling });
} finally {
  await sink.stop();
  await nats.dispose();
}

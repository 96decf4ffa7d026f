import autocannon from 'autocannon';
import { join } from 'node:path';
import { AckPolicy, jetstreamManager } from '@nats-io/jetstream';
import { AppProcess, authHeaders, DIST, inspect, Jaeger, NatsServer, provision, publishBacklog, startProducer } from '#test-support';
import { environment, median, table } from './bench-report.js';

/**
 * Tracing overhead: ingress and consumer throughput with tracing on (100 %
 * sampling, batch export to a real Jaeger) against off, same run, alternating.
 */
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 20_000);
const body = JSON.stringify({ orderId: 'bench-1', customerId: 'c-1', amount: 42.5, currency: 'EUR', region: 'eu' });

async function ingress(url: string): Promise<number> {
  const r = await autocannon({
    url: `${url}/v1/topics/orders.created/messages`,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authHeaders() },
    body,
    connections: 32,
    duration: DURATION_S,
  });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return r.requests.average;
}

const [nats, jaeger] = await Promise.all([NatsServer.start(), Jaeger.start()]);
try {
  await provision(nats);
  const unlimited = { RATE_LIMIT_MAX: '1000000000' };
  const on = { ...unlimited, OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpEndpoint, OTEL_TRACES_SAMPLER: 'always_on' };
  const plain = await startProducer(nats, unlimited);
  const traced = await startProducer(nats, on);
  const rps = { off: [] as number[], on: [] as number[] };
  await ingress(plain.url);
  await ingress(traced.url);
  for (let i = 0; i < ROUNDS; i++) {
    rps.off.push(await ingress(plain.url));
    rps.on.push(await ingress(traced.url));
  }
  await plain.app.stop();
  await traced.app.stop();

  const { nc, jsm } = await inspect(nats);
  await jsm.streams.purge('ORDERS');
  const publisher = await nats.connect('producer');
  await publishBacklog(publisher, MESSAGES, 'trace-bench');
  await publisher.close();
  const consume = async (durable: string, env: Record<string, string>) => {
    await (await jetstreamManager(nc)).consumers.add('ORDERS', { durable_name: durable, ack_policy: AckPolicy.Explicit, filter_subject: 'orders.created.>', max_ack_pending: 10_000 });
    const app = await AppProcess.start('bench', join(DIST, 'bench', 'noop-consumer.main.js'), {
      ...nats.env('operator'),
      BENCH_MESSAGES: String(MESSAGES),
      BENCH_DURABLE: durable,
      ...env,
    });
    await app.waitForExit(300_000);
    const done = app.events('bench.done')[0];
    if (!done) throw new Error(`bench consumer failed:\n${app.tail()}`);
    return Number(done.rate);
  };
  const mps = { off: [] as number[], on: [] as number[] };
  for (let i = 0; i <= ROUNDS; i++) {
    const off = await consume(`off-${i}`, {});
    const traced = await consume(`on-${i}`, on);
    if (i > 0) {
      mps.off.push(off);
      mps.on.push(traced);
    }
  }
  await nc.close();
  const r = (xs: number[]) => median(xs).toFixed(0);
  process.stdout.write(
    `\n### Tracing overhead (100 % sampling, batch export to Jaeger; median of ${ROUNDS} rounds)\n${environment()}\n\n` +
      table(
        ['path', 'tracing off', 'tracing on', 'on / off'],
        [
          ['ingress req/s (32 connections)', r(rps.off), r(rps.on), (median(rps.on) / median(rps.off)).toFixed(2)],
          [`consumer msg/s (${MESSAGES} msgs, no-op)`, r(mps.off), r(mps.on), (median(mps.on) / median(mps.off)).toFixed(2)],
        ],
      ) +
      `\n\ntarget: tracing on ≥ 0.85× off; Jaeger services seen: ${(await jaeger.services()).join(', ')}\n`,
  );
} finally {
  await jaeger.stop();
  await nats.dispose();
}

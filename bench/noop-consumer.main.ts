import './noop-consumer.instrumentation.js';
import 'reflect-metadata';
import { buildTopology, ORDER_TOPICS } from '#contracts';
import { connectNats, consumerBindings, HEADERS, JetStreamContext, JetStreamHandler, JetStreamPullTransport, ProcessedMarkers } from '#jetstream';
import { shutdownTracing } from '#telemetry';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern } from '@nestjs/microservices';
import { rssMiB } from '../test/support/process-memory.js';
import { DrainClock } from './drain-clock.js';
import { percentile } from './percentile.js';

/**
 * Benchmark worker: the pull transport with a no-op handler on one durable
 * (BENCH_IDEMPOTENT=1: the handler is `idempotent`, with processed-markers;
 * BENCH_PARTITIONS=n: n partition durables `<durable>-p<i>`, pinned, as an
 * ordered consumer),
 * in its own process so tracing can be on or off (OTEL_* env) and each run
 * starts cold like the others. Tuning from BENCH_CONCURRENCY, BENCH_PREFETCH,
 * BENCH_MAX_KEEPALIVE_MS. Prints the drain rate of BENCH_MESSAGES as a JSON
 * line; with BENCH_LATENCY=1 also the end-to-end latency (handler start minus
 * the publisher's nestjet-published-at) percentiles.
 */
const clock = new DrainClock(Number(process.env.BENCH_MESSAGES));
const recordLatency = process.env.BENCH_LATENCY === '1';
const latencies: number[] = [];

@JetStreamHandler()
class NoopHandler {
  @EventPattern<string>(ORDER_TOPICS.created)
  handle(@Ctx() ctx: JetStreamContext): void {
    if (recordLatency) latencies.push(Date.now() - Number(ctx.getMessage().headers?.get(HEADERS.publishedAt)));
    clock.tick();
  }
}

/** The same no-op, marked idempotent: each message costs a marker read, a marker write and a double ack. */
@JetStreamHandler()
class IdempotentNoopHandler {
  @EventPattern<string>(ORDER_TOPICS.created, { idempotent: true })
  handle(): void {
    clock.tick();
  }
}

const idempotent = process.env.BENCH_IDEMPOTENT === '1';
const partitions = Number(process.env.BENCH_PARTITIONS ?? 0);

@Module({ controllers: [idempotent ? IdempotentNoopHandler : NoopHandler] })
class NoopModule {}

const tuning = {
  concurrency: Number(process.env.BENCH_CONCURRENCY),
  prefetch: Number(process.env.BENCH_PREFETCH),
  maxKeepAliveMs: Number(process.env.BENCH_MAX_KEEPALIVE_MS),
};
const [binding] = consumerBindings(buildTopology(), ['fulfillment'], tuning);
const [partition] = consumerBindings(buildTopology(), ['ledger'], tuning);
const durable = process.env.BENCH_DURABLE!;
const bindings =
  partitions > 0
    ? Array.from({ length: partitions }, (_, i) => ({ ...partition!, durable: `${durable}-p${i}`, consumer: 'bench' }))
    : [{ ...binding!, durable, consumer: 'bench' }];
// The benchmark's ad-hoc durables are not in the topology: the runner passes the operator's credentials.
const connection = { servers: [process.env.NATS_URL!], user: process.env.NATS_USER, pass: process.env.NATS_PASSWORD };
const markerConnection = idempotent ? await connectNats(connection, 'bench-markers') : undefined;
// The transport reads the application when it binds, to call the handler directly as the consumer app does.
let app: Awaited<ReturnType<typeof NestFactory.createMicroservice>> | undefined;
app = await NestFactory.createMicroservice(NoopModule, {
  logger: false,
  strategy: new JetStreamPullTransport({
    name: 'bench-noop',
    connection,
    bindings,
    shutdownTimeoutMs: 10_000,
    markers: markerConnection ? new ProcessedMarkers(markerConnection) : undefined,
    application: () => app,
  }),
});
await app.listen();
process.stdout.write(`${JSON.stringify({ event: 'bench.listening' })}\n`);
await clock.done;
const rate = clock.rate;
const rss = await rssMiB(process.pid);
await app.close();
await markerConnection?.close();
await shutdownTracing();
latencies.sort((a, b) => a - b);
const latency = recordLatency ? { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1), count: latencies.length } : undefined;
process.stdout.write(`${JSON.stringify({ event: 'bench.done', rate, rssMiB: rss, tuning, latency })}\n`);

import './noop-consumer.instrumentation.js';
import 'reflect-metadata';
import { buildTopology, ORDER_TOPICS } from '#contracts';
import { consumerBindings, HEADERS, JetStreamContext, JetStreamHandler, JetStreamPullTransport } from '#jetstream';
import { shutdownTracing } from '#telemetry';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern } from '@nestjs/microservices';
import { rssMiB } from '../test/support/process-memory.js';
import { DrainClock } from './drain-clock.js';
import { percentile } from './percentile.js';

/**
 * Benchmark worker: the pull transport with a no-op handler on one durable,
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

@Module({ controllers: [NoopHandler] })
class NoopModule {}

const tuning = {
  concurrency: Number(process.env.BENCH_CONCURRENCY),
  prefetch: Number(process.env.BENCH_PREFETCH),
  maxKeepAliveMs: Number(process.env.BENCH_MAX_KEEPALIVE_MS),
};
const [binding] = consumerBindings(buildTopology(), ['fulfillment'], tuning);
const app = await NestFactory.createMicroservice(NoopModule, {
  logger: false,
  strategy: new JetStreamPullTransport({
    name: 'bench-noop',
    // The benchmark's ad-hoc durables are not in the topology: the runner passes the operator's credentials.
    connection: { servers: [process.env.NATS_URL!], user: process.env.NATS_USER, pass: process.env.NATS_PASSWORD },
    bindings: [{ ...binding!, durable: process.env.BENCH_DURABLE! }],
    shutdownTimeoutMs: 10_000,
  }),
});
await app.listen();
process.stdout.write(`${JSON.stringify({ event: 'bench.listening' })}\n`);
await clock.done;
const rate = clock.rate;
const rss = await rssMiB(process.pid);
await app.close();
await shutdownTracing();
latencies.sort((a, b) => a - b);
const latency = recordLatency ? { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1), count: latencies.length } : undefined;
process.stdout.write(`${JSON.stringify({ event: 'bench.done', rate, rssMiB: rss, tuning, latency })}\n`);

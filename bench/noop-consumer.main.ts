import './noop-consumer.instrumentation.js';
import 'reflect-metadata';
import { buildTopology, ORDER_TOPICS } from '#contracts';
import { consumerBindings, JetStreamHandler, JetStreamPullTransport } from '#jetstream';
import { shutdownTracing } from '#telemetry';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern } from '@nestjs/microservices';

/**
 * Benchmark worker: the pull transport with a no-op handler on one durable,
 * in its own process so tracing can be on or off (OTEL_* env). Prints the
 * drain rate of BENCH_MESSAGES as a JSON line.
 */
const total = Number(process.env.BENCH_MESSAGES);
let handled = 0;
let done!: () => void;
const finished = new Promise<void>((resolve) => (done = resolve));

@JetStreamHandler()
class NoopHandler {
  @EventPattern<string>(ORDER_TOPICS.created)
  handle(): void {
    if (++handled === total) done();
  }
}

@Module({ controllers: [NoopHandler] })
class NoopModule {}

const [binding] = consumerBindings(buildTopology(), ['fulfillment'], { concurrency: 64, prefetch: 256, maxKeepAliveMs: 300_000 });
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
const started = performance.now();
await app.listen();
await finished;
const rate = total / ((performance.now() - started) / 1000);
await app.close();
await shutdownTracing();
process.stdout.write(`${JSON.stringify({ event: 'bench.done', rate })}\n`);

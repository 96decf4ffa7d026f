import 'reflect-metadata';
import { buildTopology, ORDER_TOPICS } from '#contracts';
import { JetStreamHandler, JetStreamPullTransport, consumerBindings } from '#jetstream';
import { inspect, NatsServer, provision, publishBacklog } from '#test-support';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern } from '@nestjs/microservices';
import { environment, median, table } from './bench-report.js';

/**
 * Consumer throughput with a no-op handler and explicit acks: the nestjet pull
 * transport (Nest handler, validation pipe off, bounded concurrency) against a
 * bare nats.js `consume()` + `ack()` loop, each on its own durable over the
 * same stream, alternating rounds in one process.
 */
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

let handled = 0;
let onDone: (() => void) | undefined;
let target = 0;

@JetStreamHandler()
class NoopHandler {
  @EventPattern<string>(ORDER_TOPICS.created)
  handle(): void {
    handled += 1;
    if (handled === target) onDone?.();
  }
}

@Module({ controllers: [NoopHandler] })
class BenchModule {}

async function addDurable(nc: NatsConnection, name: string): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.consumers.add('ORDERS', { durable_name: name, ack_policy: AckPolicy.Explicit, filter_subject: 'orders.created.>', max_ack_pending: 10_000 });
}

async function rawLoop(nc: NatsConnection, durable: string): Promise<number> {
  const consumer = await jetstream(nc).consumers.get('ORDERS', durable);
  const started = performance.now();
  const messages = await consumer.consume();
  let n = 0;
  for await (const m of messages) {
    m.ack();
    if (++n === MESSAGES) break;
  }
  await nc.flush();
  return MESSAGES / ((performance.now() - started) / 1000);
}

async function nestjet(nats: NatsServer, durable: string): Promise<number> {
  const topology = buildTopology();
  const [binding] = consumerBindings(topology, ['fulfillment'], {
    concurrency: Number(process.env.BENCH_CONCURRENCY ?? 64),
    prefetch: Number(process.env.BENCH_PREFETCH ?? 256),
    maxKeepAliveMs: 300_000,
  });
  handled = 0;
  target = MESSAGES;
  const done = new Promise<void>((resolve) => (onDone = resolve));
  const app = await NestFactory.createMicroservice(BenchModule, {
    logger: false,
    strategy: new JetStreamPullTransport({
      name: 'bench',
      // The benchmark's ad-hoc durables are not in the topology, so the operator pulls them (the raw loop too).
      connection: { servers: [nats.url], user: 'operator', pass: nats.users.passwords.operator },
      bindings: [{ ...binding!, durable }],
      shutdownTimeoutMs: 10_000,
    }),
  });
  const started = performance.now();
  await app.listen();
  await done;
  const rate = MESSAGES / ((performance.now() - started) / 1000);
  await app.close(); // drains: every ack reaches the server
  return rate;
}

const nats = await NatsServer.start();
try {
  await provision(nats);
  const { nc } = await inspect(nats);
  const publisher = await nats.connect('producer');
  await publishBacklog(publisher, MESSAGES, 'bench');
  await publisher.close();
  const rates = { raw: [] as number[], nestjet: [] as number[] };
  for (let round = 0; round < ROUNDS + 1; round++) {
    await addDurable(nc, `raw-${round}`);
    await addDurable(nc, `nest-${round}`);
    const r = await rawLoop(nc, `raw-${round}`);
    const n = await nestjet(nats, `nest-${round}`);
    if (round > 0) {
      // round 0 warms up the JIT and the server's caches
      rates.raw.push(r);
      rates.nestjet.push(n);
    }
  }
  const jsm = await jetstreamManager(nc);
  const leftover = (await jsm.consumers.info('ORDERS', `nest-${ROUNDS}`)).num_ack_pending;
  await nc.close();
  const raw = median(rates.raw);
  const nest = median(rates.nestjet);
  process.stdout.write(
    `\n### Consumer (${MESSAGES} messages, no-op handler, explicit ack, ${ROUNDS} rounds, median)\n${environment()}\n\n` +
      table(
        ['target', 'msg/s'],
        [
          ['raw nats.js consume() + ack()', raw.toFixed(0)],
          ['nestjet pull transport', nest.toFixed(0)],
        ],
      ) +
      `\n\nratio nestjet / raw: **${(nest / raw).toFixed(2)}×** (target ≥ 0.9×); unacked after close: ${leftover}\n`,
  );
} finally {
  await nats.dispose();
}

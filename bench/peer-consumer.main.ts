import 'reflect-metadata';
import { NatsJetStreamContext, NatsJetStreamServer } from '@nestjs-plugins/nestjs-nats-jetstream-transport';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { rssMiB } from '../test/support/process-memory.js';
import { DrainClock } from './drain-clock.js';

/**
 * Consumer peer: @nestjs-plugins/nestjs-nats-jetstream-transport set up as its
 * README shows (a Nest microservice with its NatsJetStreamServer strategy, an
 * @EventPattern handler that acks explicitly, manualAck). In its own process:
 * it brings nats.js v2. Its knobs: it subscribes a durable push consumer per
 * pattern and handles one message at a time (no concurrency or prefetch
 * setting); maxAckPending is matched to the other sides' durables.
 */
const clock = new DrainClock(Number(process.env.BENCH_MESSAGES));

@Controller()
class PeerHandler {
  @EventPattern<string>('orders.created.>')
  handle(@Payload() _order: unknown, @Ctx() ctx: NatsJetStreamContext): void {
    ctx.message.ack();
    clock.tick();
  }
}

@Module({ controllers: [PeerHandler] })
class PeerModule {}

const durable = process.env.BENCH_DURABLE!;
const app = await NestFactory.createMicroservice(PeerModule, {
  logger: false,
  strategy: new NatsJetStreamServer({
    connectionOptions: { name: 'bench-peer', servers: process.env.NATS_URL!, user: process.env.NATS_USER, pass: process.env.NATS_PASSWORD },
    consumerOptions: {
      durable,
      deliverTo: durable,
      manualAck: true,
      ackPolicy: 'Explicit',
      deliverPolicy: 'All',
      maxAckPending: Number(process.env.BENCH_MAX_ACK_PENDING),
    },
  }),
});
await app.listen();
await clock.done;
const rate = clock.rate;
const rss = await rssMiB(process.pid);
await app.close();
process.stdout.write(`${JSON.stringify({ event: 'bench.done', rate, rssMiB: rss })}\n`);

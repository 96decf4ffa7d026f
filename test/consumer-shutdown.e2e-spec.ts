import 'reflect-metadata';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { buildTopology, ORDER_CONSUMERS, ORDER_TOPICS } from '#contracts';
import { consumerBindings, JetStreamHandler, JetStreamPullTransport, natsInboxPrefix } from '#jetstream';
import { AppGroup, type Broker, duplicatesOf, type NatsServer, processed, provision, publishBacklog, startBroker, startConsumer, waitFor } from '#test-support';
import { jetstream, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { Module, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern } from '@nestjs/microservices';

/** An ack wait far beyond the test: a redelivery within it can only come from the transport's nak. */
const TOPOLOGY = { CONSUMER_ACK_WAIT_MS: '60000', CONSUMER_MAX_DELIVER: '5', CONSUMER_RETRY_DELAYS_MS: '200' };
const SHUTDOWN_TIMEOUT_MS = 1_500;

/** A handler the test lets finish: it is still running when the transport gives up on it. */
const gate = { entered: false, open: () => undefined as void, opened: Promise.resolve() };

@JetStreamHandler()
class GatedHandler {
  @EventPattern<string>(ORDER_TOPICS.created, { consumer: ORDER_CONSUMERS.fulfillment })
  async handle(): Promise<void> {
    gate.entered = true;
    await gate.opened;
  }
}

@Module({ controllers: [GatedHandler] })
class GatedModule {}

/** Keeps the transport's structured log lines, as the apps' JSON logger would print them. */
class CapturingLogger implements LoggerService {
  readonly events: { event?: string; [k: string]: unknown }[] = [];
  log(message: unknown): void {
    this.keep(message);
  }
  warn(message: unknown): void {
    this.keep(message);
  }
  error(message: unknown): void {
    this.keep(message);
  }
  private keep(message: unknown): void {
    if (typeof message === 'object' && message !== null) this.events.push(message as { event?: string });
  }
}

describe('consumer shutdown: SIGTERM while handlers run longer than SHUTDOWN_TIMEOUT_MS', () => {
  let broker: Broker;
  let nats: NatsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let publisher: NatsConnection;
  const apps = new AppGroup();

  beforeAll(async () => {
    broker = await startBroker(TOPOLOGY);
    ({ nats, nc, jsm, publisher } = broker);
  });

  afterEach(async () => {
    await apps.stopAll();
  });

  afterAll(() => broker?.dispose());

  it('gives up after the timeout: logs what it held, naks it for the next process, exits by the signal without a late ack', async () => {
    const seqs = await publishBacklog(publisher, 4, 'late');
    const slow = await apps.add(
      startConsumer(nats, {
        CONSUMERS: 'fulfillment',
        ...TOPOLOGY,
        CONSUMER_CONCURRENCY: '2',
        CONSUMER_PREFETCH: '2',
        SIMULATED_WORK_MS: '600000',
        SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
        DLQ_ROUTER_ENABLED: 'false',
      }, 'slow'),
    );
    await waitFor('all four orders held: two running, two queued', async () => (await jsm.consumers.info('ORDERS', 'fulfillment')).num_ack_pending === 4);

    slow.signal('SIGTERM');
    // Bounded by the timeout plus the drain and Nest's own teardown, never by the handlers.
    const exit = await slow.waitForExit(SHUTDOWN_TIMEOUT_MS + 10_000);
    // Nest re-raises the signal once its shutdown hooks have finished: the process ends by SIGTERM (status 143).
    expect(exit.signal).toBe('SIGTERM');
    expect(slow.events('consumer.shutdown-timeout')).toEqual([
      expect.objectContaining({ timeoutMs: SHUTDOWN_TIMEOUT_MS, inFlight: 2, queued: 2 }),
    ]);
    expect(slow.events('consumer.stopped')).toEqual([expect.objectContaining({ outcome: 'timeout' })]);
    expect(processed([slow])).toHaveLength(0);
    expect(slow.events('settle.failed')).toHaveLength(0);
    expect(slow.raw.filter((l) => /uncaught|unhandled/i.test(l))).toEqual([]);

    const next = await apps.add(startConsumer(nats, { CONSUMERS: 'fulfillment', ...TOPOLOGY, DLQ_ROUTER_ENABLED: 'false' }, 'next'));
    await waitFor('the four orders processed by the next process', () => processed([next]).length >= 4);
    const info = await waitFor('nothing left unacked', async () => {
      const i = await jsm.consumers.info('ORDERS', 'fulfillment');
      return i.num_ack_pending === 0 && i.num_pending === 0 ? i : undefined;
    });
    const done = processed([next]);
    expect(new Set(done.map((p) => p.seq))).toEqual(new Set(seqs));
    expect(duplicatesOf(done.map((p) => p.seq)).duplicates).toBe(0);
    // Naked once by the stopping process, delivered once more.
    expect(done.map((p) => p.deliveryCount)).toEqual([2, 2, 2, 2]);
    expect(info.delivered.consumer_seq).toBe(8);
  });

  it('settles nothing for a handler that finishes after the transport gave up on it, even with the connection closed', async () => {
    // A clean stream and durable, so the one message is the only one there is.
    await jsm.streams.delete('ORDERS');
    await provision(nats, TOPOLOGY);
    const [seq] = await publishBacklog(publisher, 1, 'gated');
    gate.entered = false;
    gate.opened = new Promise<void>((resolve) => (gate.open = resolve));
    const logger = new CapturingLogger();
    const app = await NestFactory.createMicroservice(GatedModule, {
      logger,
      strategy: new JetStreamPullTransport({
        name: 'gated',
        connection: { servers: [nats.url], user: 'consumer', pass: nats.users.passwords.consumer, inboxPrefix: natsInboxPrefix('consumer') },
        bindings: consumerBindings(buildTopology(), [ORDER_CONSUMERS.fulfillment], { concurrency: 1, prefetch: 1, maxKeepAliveMs: 60_000 }),
        shutdownTimeoutMs: 300,
      }),
    });
    await app.listen();
    await waitFor('the handler to start', () => gate.entered);

    await app.close();
    expect(logger.events.filter((e) => e.event === 'consumer.shutdown-timeout')).toEqual([expect.objectContaining({ inFlight: 1, queued: 0 })]);
    // The handler succeeds only now, after the connection closed: its outcome is dropped, not acked.
    gate.open();
    await waitFor('the late outcome to be dropped', () => logger.events.find((e) => e.event === 'message.abandoned'));
    expect(logger.events.filter((e) => e.event === 'settle.failed')).toEqual([]);

    const info = await jsm.consumers.info('ORDERS', 'fulfillment');
    expect(info.ack_floor.stream_seq).toBe(0);
    // Naked at shutdown: the next pull gets it again, as its second delivery, long before its 60 s ack wait.
    const next = await jetstream(nc).consumers.get('ORDERS', 'fulfillment');
    const again = await next.next({ expires: 5_000 });
    expect(again?.info.streamSequence).toBe(seq);
    expect(again?.info.deliveryCount).toBe(2);
    again?.ack();
  });
});

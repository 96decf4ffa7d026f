import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { ORDER_CONSUMERS, ORDER_TOPICS, OrderCreatedDto, STOCK_RESERVATIONS_BUCKET } from '#contracts';
import { JetStreamHandler, NonRetryableError, validateEnvironment } from '#jetstream';
import { NatsServer, NestjetTestingModule, type NestjetTestingApp } from '#testing';
import { Kvm } from '@nats-io/kv';
import { ConsoleLogger, Module } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { ConsumerEnvironment } from '../apps/consumer/src/config/consumer.environment.js';
import { OrdersModule } from '../apps/consumer/src/orders/orders.module.js';

/** The app's log lines as objects: what the example handlers (and the transport) say they did. */
class Events extends ConsoleLogger {
  readonly lines: Record<string, unknown>[] = [];

  override log(message: unknown): void {
    if (typeof message === 'object' && message !== null) this.lines.push(message as Record<string, unknown>);
  }

  override warn(message: unknown): void {
    this.log(message);
  }

  of(event: string, consumer?: string): Record<string, unknown>[] {
    return this.lines.filter((l) => l.event === event && (consumer === undefined || l.consumer === consumer));
  }
}

let counter = 0;
const order = (overrides: Partial<OrderCreatedDto> = {}) => ({
  orderId: `ord-${process.pid}-${++counter}`,
  customerId: `cus-${counter}`,
  amount: 49.9,
  currency: 'EUR',
  region: 'eu',
  ...overrides,
});

/** The fulfillment handler's inbox: its stock reservations, read with the testing app's inspector. */
async function reservations(t: NestjetTestingApp): Promise<{ orderId: string; reservedAt: string }[]> {
  const kv = await new Kvm(t.jsm.jetstream()).open(STOCK_RESERVATIONS_BUCKET);
  const out: { orderId: string; reservedAt: string }[] = [];
  for await (const key of await kv.keys()) out.push((await kv.get(key))!.json());
  return out;
}

describe('the example order handlers, run by NestjetTestingModule', () => {
  let t: NestjetTestingApp;
  const events = new Events();

  beforeAll(async () => {
    t = await NestjetTestingModule.create({
      imports: [OrdersModule],
      // OrdersModule reads the consumer's settings (SIMULATED_WORK_MS); defaults here.
      providers: [{ provide: ConsumerEnvironment, useValue: validateEnvironment(ConsumerEnvironment, {}) }],
      // A short duplicate window, so a re-publish with the same key is stored again within the test.
      env: { STREAM_DUPLICATE_WINDOW_MS: '1000' },
      logger: events,
    });
  });

  afterAll(() => t?.close());

  it('a cancellation of either version reaches the notifications handler as version 2 (its upcaster ran), with the CloudEvents attributes', async () => {
    const v2 = await t.publish(ORDER_TOPICS.cancelled, { orderId: `cx-${process.pid}-2`, region: 'eu', reason: { code: 'out-of-stock' } });
    const v1 = await t.publish(ORDER_TOPICS.cancelled, { orderId: `cx-${process.pid}-1`, region: 'eu', reason: 'changed my mind' }, { version: 1 });
    expect(await t.waitForProcessed(v2)).toEqual([ORDER_CONSUMERS.notifications]);
    expect(await t.waitForProcessed(v1)).toEqual([ORDER_CONSUMERS.notifications]);
    const handled = events.of('message.processed', 'notifications').filter((e) => e.seq === v1.seq || e.seq === v2.seq);
    expect(handled.map((e) => [e.action, e.eventType]).sort()).toEqual([
      ['email-cancellation:other', 'orders.cancelled.v1'],
      ['email-cancellation:out-of-stock', 'orders.cancelled.v2'],
    ]);
    expect(await t.deadLetters({ consumer: 'notifications' })).toEqual([]);
  });

  it('a new order is processed by fulfillment (reserving stock), notifications and its ledger partition; fraud review sees only high-value ones', async () => {
    const standard = order();
    const sent = await t.publish(ORDER_TOPICS.created, standard);
    expect(sent.subject).toMatch(/^orders\.created\.eu\.std\.p\d$/);
    expect(await t.waitForProcessed(sent)).toEqual([ORDER_CONSUMERS.fulfillment, ORDER_CONSUMERS.ledger, ORDER_CONSUMERS.notifications]);
    expect(events.of('message.processed').filter((e) => e.seq === sent.seq).map((e) => [e.consumer, e.action]).sort()).toEqual([
      ['fulfillment', 'reserve-stock'],
      ['ledger', 'ledger-entry'],
      ['notifications', 'email-confirmation'],
    ]);
    expect((await reservations(t)).map((r) => r.orderId)).toContain(standard.orderId);

    const large = await t.publish(ORDER_TOPICS.created, order({ amount: 2500, region: 'us' }));
    expect(large.subject).toMatch(/^orders\.created\.us\.high\.p\d$/);
    expect(await t.waitForProcessed(large)).toEqual(['fraud-review', 'fulfillment', 'ledger', 'notifications']);

    const paid = await t.publish(ORDER_TOPICS.paid, { orderId: standard.orderId, paymentId: 'pay-1', amount: 49.9, currency: 'EUR', region: 'eu' });
    expect(await t.waitForProcessed(paid)).toEqual([ORDER_CONSUMERS.notifications]);
    expect(await t.deadLetters()).toEqual([]);
  });

  it('fulfillment is idempotent: a re-publish after the duplicate window is stored again, processed by notifications and skipped by fulfillment', async () => {
    const o = order();
    const first = await t.publish(ORDER_TOPICS.created, o, { idempotencyKey: `key-${o.orderId}` });
    await t.waitForProcessed(first);
    const duplicate = await t.publish(ORDER_TOPICS.created, o, { idempotencyKey: `key-${o.orderId}` });
    expect(duplicate).toMatchObject({ duplicate: true, seq: first.seq });

    // Past the 1 s window (the server forgets msgIDs on a timer, so with a margin).
    await sleep(1500);
    const again = await t.publish(ORDER_TOPICS.created, o, { idempotencyKey: `key-${o.orderId}` });
    expect(again).toMatchObject({ duplicate: false });
    expect(await t.waitForProcessed(again)).toContain(ORDER_CONSUMERS.fulfillment);

    const processed = (consumer: string) => events.of('message.processed', consumer).filter((e) => e.orderId === o.orderId);
    expect(processed('fulfillment').map((e) => [e.seq, e.effect])).toEqual([[first.seq, 'reserved']]);
    expect(processed('notifications').map((e) => e.seq)).toEqual([first.seq, again.seq]);
    expect(events.of('message.already-processed', 'fulfillment').map((e) => e.streamSequence)).toContain(again.seq);
    expect((await reservations(t)).filter((r) => r.orderId === o.orderId)).toHaveLength(1);
  });
});

/** A handler that fails on purpose: every attempt throws, and an order of customer "blocked" is refused at once. */
@JetStreamHandler()
class OutOfStockHandler {
  @EventPattern<string>(ORDER_TOPICS.created, { consumer: ORDER_CONSUMERS.fulfillment })
  reserveStock(@Payload() o: OrderCreatedDto): Promise<void> {
    if (o.customerId === 'blocked') throw new NonRetryableError(`customer of ${o.orderId} is blocked`);
    throw new Error(`no stock for ${o.orderId}`);
  }
}

@Module({ controllers: [OutOfStockHandler] })
class OutOfStockModule {}

describe('a failing handler, run by NestjetTestingModule', () => {
  let t: NestjetTestingApp;

  beforeAll(async () => {
    t = await NestjetTestingModule.create({ imports: [OutOfStockModule] });
  });

  afterAll(() => t?.close());

  it('is retried with the fast testing delays, then its message is in deadLetters() with the reason', async () => {
    const o = order();
    const sent = await t.publish(ORDER_TOPICS.created, o);
    const started = Date.now();
    expect(await t.waitForProcessed(sent)).toEqual([ORDER_CONSUMERS.fulfillment]);
    expect(Date.now() - started).toBeLessThan(3_000);
    const [record, ...more] = await t.deadLetters({ consumer: ORDER_CONSUMERS.fulfillment });
    expect(more).toEqual([]);
    expect(record).toMatchObject({
      stream: 'ORDERS',
      streamSequence: sent.seq,
      subject: sent.subject,
      consumer: 'fulfillment',
      deliveryCount: 3,
      errorName: 'Error',
      payload: o,
    });
    expect(record!.reason).toContain(`no stock for ${o.orderId}`);
  });

  it('a NonRetryableError or a payload the handler cannot validate is dead-lettered on its first attempt', async () => {
    const blocked = await t.publish(ORDER_TOPICS.created, order({ customerId: 'blocked' }));
    const invalid = await t.publish(ORDER_TOPICS.created, { orderId: 'ord-bad', amount: 'lots' }, { subject: 'orders.created.eu.std' });
    await t.waitForProcessed(blocked);
    await t.waitForProcessed(invalid);
    const records = await t.deadLetters({ consumer: ORDER_CONSUMERS.fulfillment });
    const of = (seq: number) => records.find((r) => r.streamSequence === seq);
    expect(of(blocked.seq)).toMatchObject({ deliveryCount: 1, errorName: 'NonRetryableError' });
    expect(of(invalid.seq)).toMatchObject({ deliveryCount: 1, errorName: 'PayloadValidationError', payload: { orderId: 'ord-bad', amount: 'lots' } });
  });

  it('waitForProcessed names what is wrong: a subject no bound consumer receives, a message still held at the timeout', async () => {
    const paid = await t.publish(ORDER_TOPICS.paid, { orderId: 'ord-x', paymentId: 'pay-x', amount: 1, currency: 'EUR', region: 'eu' });
    await expect(t.waitForProcessed(paid)).rejects.toThrow(/no consumer bound in this testing app receives orders\.paid\.eu\.std \(bound: fulfillment\)/);
    const sent = await t.publish(ORDER_TOPICS.created, order());
    await expect(t.waitForProcessed(sent, { timeoutMs: 50 })).rejects.toThrow(/timed out after 50 ms waiting for ORDERS seq \d+ .* still holding it: fulfillment: ack floor/);
    await t.waitForProcessed(sent);
  });
});

describe('a server given by NATS_URL (natsUrl), used as it is', () => {
  let server: NatsServer;

  beforeAll(async () => {
    // Stands in for a developer's own server: one unrestricted user for every connection.
    server = await NatsServer.start({ intruder: true });
  });

  afterAll(() => server?.dispose());

  it('provisions it, dead-letters on it directly, and close() leaves it running', async () => {
    const t = await NestjetTestingModule.create({
      imports: [OutOfStockModule],
      natsUrl: server.url,
      env: { NATS_USER: 'intruder', NATS_PASSWORD: server.users.intruderPassword! },
    });
    try {
      const sent = await t.publish(ORDER_TOPICS.created, order());
      await t.waitForProcessed(sent);
      expect(await t.deadLetters()).toMatchObject([{ streamSequence: sent.seq, consumer: 'fulfillment', deliveryCount: 3 }]);
    } finally {
      await t.close();
    }
    expect((await server.monitor<{ streams: number }>('/jsz')).streams).toBeGreaterThan(0);
  });
});

import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { buildTopology } from '#contracts';
import { NestjetMetrics, TelemetryModule } from '#telemetry';
import type { JetStreamManager, JsMsg } from '@nats-io/jetstream';
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { Module, type DynamicModule, type INestApplicationContext, type Provider } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DeadLetterModule } from './dead-letter/dead-letter.module.js';
import { DeadLetterRouter } from './dead-letter/dead-letter.router.js';
import { DeadLetterSink } from './dead-letter/dead-letter.sink.js';
import { JETSTREAM_MANAGER, NATS_CONNECTION } from './jetstream.constants.js';
import { JetStreamModule } from './jetstream.module.js';
import { JetStreamPublisher } from './publisher/jetstream.publisher.js';
import { TERMINATED_FACTS } from './dead-letter/dead-letter-facts.fixture.js';

/** A connection that answers every publish with a PubAck, as a stream that takes everything would. */
function ackingConnection(): NatsConnection {
  let inbox: ((err: Error | null, msg: Msg) => void) | undefined;
  let seq = 0;
  let closed = false;
  return {
    closed: () => new Promise(() => undefined),
    isClosed: () => closed,
    drain: async () => void (closed = true),
    subscribe: (_subject: string, opts: { callback: typeof inbox }) => {
      inbox = opts.callback;
      return { isClosed: () => false, unsubscribe: () => undefined };
    },
    publish: (_subject: string, _data: Uint8Array, opts: { reply: string }) => {
      const ack = { stream: 'ANY', seq: ++seq };
      queueMicrotask(() => inbox?.(null, { subject: opts.reply, data: new Uint8Array([1]), json: () => ack } as unknown as Msg));
    },
  } as unknown as NatsConnection;
}

/** The module as forRoot builds it, with the connection and manager replaced (what `overrideProvider` does in @nestjs/testing). */
function withoutBroker(module: DynamicModule): DynamicModule {
  const fakes = new Map<unknown, unknown>([
    [NATS_CONNECTION, ackingConnection()],
    [JETSTREAM_MANAGER, { jetstream: () => ({}) } as unknown as JetStreamManager],
  ]);
  const replace = (p: Provider): Provider => {
    const token = typeof p === 'object' && 'provide' in p ? p.provide : undefined;
    return fakes.has(token) ? { provide: token!, useValue: fakes.get(token) } : p;
  };
  return { ...module, providers: module.providers?.map(replace) };
}

@Module({})
class SpecApp {}

const topology = buildTopology();

function jetStream(): DynamicModule {
  return withoutBroker(JetStreamModule.forRoot({ name: 'spec', connection: { servers: ['nats://127.0.0.1:1'] }, topology }));
}

const facts = TERMINATED_FACTS;

/** The value of a counter's series with exactly these labels, 0 when absent. */
async function count(metric: { get(): Promise<{ values: { labels: object; value: number }[] }> }, labels: Record<string, string>): Promise<number> {
  const { values } = await metric.get();
  return values.find((v) => JSON.stringify(v.labels) === JSON.stringify(labels))?.value ?? 0;
}

describe('JetStreamModule and DeadLetterModule metrics', () => {
  const apps: INestApplicationContext[] = [];
  const start = async (...imports: (DynamicModule | typeof TelemetryModule)[]) => {
    const app = await NestFactory.createApplicationContext({ module: SpecApp, imports }, { logger: false });
    apps.push(app);
    return app;
  };

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  it('gives the publisher the app’s metrics, without TelemetryModule too', async () => {
    const app = await start(jetStream());
    await app.get(JetStreamPublisher).publish('orders.created.eu.std.p0', '{}');
    const metrics = app.get(NestjetMetrics);
    expect(await count(metrics.published, { topic: 'orders.created', result: 'stored' })).toBe(1);
  });

  it('shares one instance between JetStreamModule and TelemetryModule, and none between apps', async () => {
    const app = await start(jetStream(), TelemetryModule);
    const other = await start(jetStream());
    expect(app.get(NestjetMetrics, { strict: false, each: true })).toHaveLength(1);
    await app.get(JetStreamPublisher).publish('orders.created.eu.std.p0', '{}');
    expect(await app.get(NestjetMetrics).registry.metrics()).toContain('nestjet_published_messages_total{topic="orders.created",result="stored"} 1');
    expect(await count(other.get(NestjetMetrics).published, { topic: 'orders.created', result: 'stored' })).toBe(0);
  });

  it('counts stored dead letters and rejected advisories in the app’s metrics', async () => {
    const app = await start(jetStream(), DeadLetterModule.forRoot({ router: false }));
    const other = await start(jetStream(), DeadLetterModule.forRoot({ router: false }));
    const metrics = app.get(NestjetMetrics);

    await app.get(DeadLetterSink).write('reconciler', facts, new Uint8Array([1]), []);
    const labels = { stream: 'ORDERS', consumer: 'fulfillment', kind: 'terminated' };
    expect(await count(metrics.deadLettered, labels)).toBe(1);
    expect(await count(metrics.reconciled, labels)).toBe(1);

    // The router's step for one advisory (fed by its consumer once started): junk is stored in DLQ_REJECTED and counted.
    const junk = { subject: '$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.ORDERS.fulfillment', data: new TextEncoder().encode('junk'), seq: 1, ack: () => undefined } as unknown as JsMsg;
    await (app.get(DeadLetterRouter) as unknown as { route(m: JsMsg): Promise<void> }).route(junk);
    expect(await count(metrics.rejectedAdvisories, { check: 'malformed' })).toBe(1);

    const untouched = other.get(NestjetMetrics);
    expect(await count(untouched.deadLettered, labels)).toBe(0);
    expect(await count(untouched.rejectedAdvisories, { check: 'malformed' })).toBe(0);
  });
});

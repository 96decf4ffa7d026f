import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { headers, type Msg, type MsgCallback, type NatsConnection } from '@nats-io/transport-node';
import { Logger } from '@nestjs/common';
import type { MessageHandler } from '@nestjs/microservices';
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NestjetMetrics } from '#telemetry';
import type { ConsumerBinding } from './consumer-bindings.js';
import type { MessageFailure, MessageFailureHook } from './message-failure.hook.js';

// The transport connects through connectNats; the spec hands it a fake connection instead of a nats-server.
const connectNats = jest.fn<() => Promise<NatsConnection>>();
jest.unstable_mockModule('../connection/nats-connection.js', () => ({ connectNats, isConnected: () => true, trackConnectionState: () => undefined }));
const { JetStreamPullTransport } = await import('./jetstream.transport.js');

const NANOS_PER_MS = 1_000_000;

/** The part of a durable's consumer info the transport reads: ack wait and backoff, in nanoseconds. */
type DurableConfig = { ack_wait: number; backoff?: number[] };

/**
 * The broker as nats.js sees it: JetStream API requests answered with each
 * durable's consumer info (or "consumer not found"), publishes recorded,
 * subscriptions the test delivers on. `wire` is what reached the broker in
 * order: each message's answers (`7 +ACK`) and the connection's drain.
 */
function fakeBroker(consumers: Record<string, DurableConfig>) {
  const subs = new Map<string, MsgCallback<Msg>>();
  const published: { subject: string; body: string; reply?: string }[] = [];
  const wire: string[] = [];
  let closed = false;
  const nc = {
    options: { inboxPrefix: '_INBOX' },
    features: { get: () => ({ ok: true, min: '2.11.0' }) },
    request: jest.fn(async (subject: string) => {
      const durable = subject.split('.').pop()!;
      const config = consumers[durable];
      const info = config ? { stream_name: 'ORDERS', name: durable, config: { durable_name: durable, ...config } } : { error: { code: 404, err_code: 10014, description: 'consumer not found' } };
      return { data: new TextEncoder().encode(JSON.stringify(info)) } as Msg;
    }),
    publish: (subject: string, body?: string, opts?: { reply?: string }) => void published.push({ subject, body: String(body ?? ''), reply: opts?.reply }),
    subscribe: (subject: string, opts: { callback: MsgCallback<Msg> }) => {
      subs.set(subject, opts.callback);
      return { unsubscribe: () => void subs.delete(subject), isClosed: () => !subs.has(subject), getSubject: () => subject };
    },
    isClosed: () => closed,
    drain: jest.fn(async () => {
      wire.push('drain');
      closed = true;
    }),
  };
  const pullsOf = (durable: string) => published.filter((p) => p.subject === `$JS.API.CONSUMER.MSG.NEXT.ORDERS.${durable}`);
  /** A stream message on the reply inbox of the durable's pulls, as the server delivers it. */
  const deliver = (durable: string, seq: number, subject = 'orders.created.eu.std') => {
    const respond = (data?: Uint8Array) => void wire.push(`${seq} ${new TextDecoder().decode(data)}`);
    const data = new TextEncoder().encode(JSON.stringify({ orderId: `o-${seq}` }));
    const reply = `$JS.ACK.ORDERS.${durable}.1.${seq}.${seq}.1733600000000000000.0`;
    subs.get(pullsOf(durable)[0]!.reply!)!(null, { subject, reply, data, headers: headers(), respond } as unknown as Msg);
  };
  return { nc: nc as unknown as NatsConnection, request: nc.request, drain: nc.drain, subs, published, wire, pullsOf, deliver };
}

const binding = (durable: string, extra: Partial<ConsumerBinding> = {}): ConsumerBinding => ({
  stream: 'ORDERS',
  durable,
  consumer: durable,
  maxDeliver: 3,
  retryDelaysMs: [100],
  concurrency: 2,
  prefetch: 2,
  maxKeepAliveMs: 60_000,
  ...extra,
});

/** A handler the test finishes: `finish(seq)` lets the run for that message return. */
function gatedHandler() {
  const gates = new Map<string, () => void>();
  const fn = jest.fn((payload: unknown) => new Promise<void>((resolve) => void gates.set((payload as { orderId: string }).orderId, resolve)));
  const finish = async (seq: number) => {
    gates.get(`o-${seq}`)!();
    await turn();
  };
  return { handler: fn as unknown as MessageHandler, fn, finish };
}

/** Lets the delivery path run: its promise continuations, then the settle coalescer's setImmediate, queued behind a first one. */
const turn = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));

/** The transport logs through Nest's Logger: overridden, it shows the structured events (and keeps the run quiet). */
const logged = { log: jest.fn(), warn: jest.fn(), error: jest.fn() };
const events = (level: 'log' | 'warn') => logged[level].mock.calls.map(([m]) => m as { event: string; [k: string]: unknown });

function setup(bindings: ConsumerBinding[] = [binding('fulfillment')], options: { failureHook?: MessageFailureHook; consumers?: Record<string, DurableConfig> } = {}) {
  const broker = fakeBroker(options.consumers ?? Object.fromEntries(bindings.map((b) => [b.durable, { ack_wait: 30_000 * NANOS_PER_MS }])));
  connectNats.mockResolvedValue(broker.nc);
  const metrics = new NestjetMetrics();
  const transport = new JetStreamPullTransport({ connection: { servers: ['nats://127.0.0.1:4222'] }, name: 'spec', bindings, shutdownTimeoutMs: 1_000, metrics, failureHook: options.failureHook });
  const listen = () => new Promise<unknown>((resolve) => void transport.listen(resolve));
  const bound = async () => Object.fromEntries((await metrics.bound.get()).values.map((v) => [v.labels.consumer, v.value]));
  return { ...broker, transport, metrics, listen, bound };
}

describe('JetStreamPullTransport', () => {
  beforeEach(() => {
    for (const fn of Object.values(logged)) fn.mockClear();
    Logger.overrideLogger(logged);
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('binds every durable with its ack timeout (the shortest backoff step), pulls, counts and announces it', async () => {
    const t = setup([binding('fulfillment'), binding('notifications')], {
      consumers: { fulfillment: { ack_wait: 30_000 * NANOS_PER_MS }, notifications: { ack_wait: 30_000 * NANOS_PER_MS, backoff: [5_000 * NANOS_PER_MS, 60_000 * NANOS_PER_MS] } },
    });
    expect(() => t.transport.unwrap()).toThrow(/not listening yet/);
    expect(await t.listen()).toBeUndefined();
    expect(events('log').filter((e) => e.event === 'consumer.bound')).toEqual([
      expect.objectContaining({ consumer: 'fulfillment', ackWaitMs: 30_000, keepAlivePeriodMs: 7_500 }),
      expect.objectContaining({ consumer: 'notifications', ackWaitMs: 5_000, keepAlivePeriodMs: 1_250 }),
    ]);
    for (const durable of ['fulfillment', 'notifications']) {
      expect(t.pullsOf(durable).map((p) => JSON.parse(p.body).batch)).toEqual([4]);
      expect(t.published.some((p) => p.subject === `nestjet.presence.ORDERS.${durable}`)).toBe(true);
    }
    expect(await t.bound()).toEqual({ fulfillment: 1, notifications: 1 });
    expect(t.transport.unwrap()).toBe(t.nc);
    await t.transport.close();
  });

  it('fails the start through the callback when a durable does not exist, without retrying', async () => {
    const t = setup([binding('fulfillment'), binding('fraud-review')], { consumers: { fulfillment: { ack_wait: 30_000 * NANOS_PER_MS } } });
    const err = await t.listen();
    expect(err).toBeInstanceOf(JetStreamApiError);
    expect((err as JetStreamApiError).code).toBe(JetStreamApiCodes.ConsumerNotFound);
    expect(t.request.mock.calls.map(([subject]) => subject)).toEqual(['$JS.API.CONSUMER.INFO.ORDERS.fulfillment', '$JS.API.CONSUMER.INFO.ORDERS.fraud-review']);
    await t.transport.close();
  });

  it('logs handlers of consumers it does not bind, and pulls only for its bindings', async () => {
    const t = setup();
    t.transport.addHandler('orders.created', gatedHandler().handler, true, { consumer: 'ledger' });
    await t.listen();
    expect(events('log')).toContainEqual(expect.objectContaining({ event: 'consumers.not-bound', consumers: ['ledger'] }));
    expect(t.published.filter((p) => p.subject.startsWith('$JS.API.CONSUMER.MSG.NEXT')).map((p) => p.subject)).toEqual(['$JS.API.CONSUMER.MSG.NEXT.ORDERS.fulfillment']);
    await t.transport.close();
  });

  it("runs only the handler of the message's own consumer when two share a pattern, then acks", async () => {
    const t = setup([binding('fulfillment'), binding('notifications')]);
    const fulfillment = gatedHandler();
    const notifications = gatedHandler();
    t.transport.addHandler('orders.created', fulfillment.handler, true, { consumer: 'fulfillment' });
    t.transport.addHandler('orders.created', notifications.handler, true, { consumer: 'notifications' });
    await t.listen();
    t.deliver('notifications', 7);
    await notifications.finish(7);
    expect(notifications.fn.mock.calls.map(([payload]) => payload)).toEqual([{ orderId: 'o-7' }]);
    expect(fulfillment.fn).not.toHaveBeenCalled();
    expect(t.wire).toEqual(['7 +ACK']);
    await t.transport.close();
  });

  it('terminates a message no handler takes as poison, after handing it to the failure hook', async () => {
    const failures: MessageFailure[] = [];
    const onFailure = async (f: MessageFailure) => {
      failures.push(f);
      t.wire.push(`hook ${f.streamSequence}`);
    };
    const t = setup([binding('fulfillment')], { failureHook: { onFailure } });
    t.transport.addHandler('orders.created', gatedHandler().handler, true, { consumer: 'fulfillment' });
    await t.listen();
    t.deliver('fulfillment', 8, 'orders.cancelled.eu');
    await turn();
    expect(failures).toEqual([expect.objectContaining({ consumer: 'fulfillment', streamSequence: 8, handler: '', final: true, terminated: true, errorName: 'NonRetryableError' })]);
    expect(failures[0]!.original?.data).toBeDefined();
    expect(t.wire).toEqual(['hook 8', '8 +TERM NonRetryableError: no handler for subject orders.cancelled.eu on consumer fulfillment']);
    await t.transport.close();
  });

  it('refuses a bad `idempotent` option when the handler is added, and warns when idempotent handlers have no markers', async () => {
    const t = setup();
    expect(() => t.transport.addHandler('orders.created', gatedHandler().handler, true, { consumer: 'fulfillment', idempotent: 'yes' })).toThrow(/idempotent must be/);
    t.transport.addHandler('orders.created', gatedHandler().handler, true, { consumer: 'fulfillment', idempotent: true });
    await t.listen();
    expect(events('warn')).toContainEqual(expect.objectContaining({ event: 'idempotency.disabled' }));
    await t.transport.close();
  });

  it('records delivery spans only if a tracer provider was registered when it bound', async () => {
    const before = setup();
    const beforeHandler = gatedHandler();
    before.transport.addHandler('orders.created', beforeHandler.handler, true, {});
    await before.listen();
    const exporter = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    try {
      const after = setup();
      const afterHandler = gatedHandler();
      after.transport.addHandler('orders.created', afterHandler.handler, true, {});
      await after.listen();
      before.deliver('fulfillment', 1);
      await beforeHandler.finish(1);
      expect(exporter.getFinishedSpans()).toHaveLength(0);
      after.deliver('fulfillment', 2);
      await afterHandler.finish(2);
      expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['process orders.created.eu.std']);
      await after.transport.close();
    } finally {
      trace.disable();
      await before.transport.close();
    }
  });

  it('on close stops pulling, lets what is held finish, and settles it before the connection drains', async () => {
    const t = setup();
    const h = gatedHandler();
    t.transport.addHandler('orders.created', h.handler, true, { consumer: 'fulfillment' });
    await t.listen();
    t.deliver('fulfillment', 1);
    t.deliver('fulfillment', 2);
    t.deliver('fulfillment', 3);
    const pulls = t.published.length;
    let closed = false;
    const closing = t.transport.close().then(() => (closed = true));
    expect(await t.bound()).toEqual({ fulfillment: 0 });
    expect(t.published.slice(pulls).map((p) => [p.subject, JSON.parse(p.body).leaving])).toEqual([['nestjet.presence.ORDERS.fulfillment', true]]);
    await h.finish(1);
    await h.finish(2);
    expect(h.fn).toHaveBeenCalledTimes(3);
    expect(closed).toBe(false);
    await h.finish(3);
    await closing;
    expect(t.wire).toEqual(['1 +ACK', '2 +ACK', '3 +ACK', 'drain']);
    expect(t.pullsOf('fulfillment')).toHaveLength(1);
    expect(t.subs.size).toBe(0);
    expect(events('log')).toContainEqual(expect.objectContaining({ event: 'consumer.stopped', outcome: 'done' }));
  });

  it('past shutdownTimeoutMs naks what is held for another process, drains at once, and settles nothing later', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    const t = setup();
    const h = gatedHandler();
    t.transport.addHandler('orders.created', h.handler, true, { consumer: 'fulfillment' });
    await t.listen();
    for (const seq of [1, 2, 3]) t.deliver('fulfillment', seq);
    await turn();
    const closing = t.transport.close();
    await jest.advanceTimersByTimeAsync(999);
    expect(t.wire).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    await closing;
    expect(t.wire).toEqual(['1 -NAK', '2 -NAK', '3 -NAK', 'drain']);
    expect(events('warn')).toContainEqual(expect.objectContaining({ event: 'consumer.shutdown-timeout', timeoutMs: 1_000, inFlight: 2, queued: 1 }));
    expect(events('log')).toContainEqual(expect.objectContaining({ event: 'consumer.stopped', outcome: 'timeout' }));
    await h.finish(1);
    expect(t.wire).toHaveLength(4);
    expect(h.fn).toHaveBeenCalledTimes(2);
    expect(events('warn')).toContainEqual(expect.objectContaining({ event: 'message.abandoned', consumer: 'fulfillment', streamSequence: 1 }));
  });

  it('pulls partition durables in their priority group and follows their workers’ presence until close', async () => {
    const t = setup([binding('ledger-p0', { consumer: 'ledger', concurrency: 1, prefetch: 1, pinned: { group: 'pinned', timeoutMs: 4_000 } })]);
    await t.listen();
    expect(JSON.parse(t.pullsOf('ledger-p0')[0]!.body)).toMatchObject({ batch: 2, group: 'pinned' });
    expect(t.subs.has('nestjet.presence.ORDERS.ledger-p0')).toBe(true);
    await t.transport.close();
    expect(t.subs.has('nestjet.presence.ORDERS.ledger-p0')).toBe(false);
  });
});

import { describe, expect, it, jest } from '@jest/globals';
import type { JsMsg } from '@nats-io/jetstream';
import type { Logger } from '@nestjs/common';
import { headers } from '@nats-io/transport-node';
import { REPLAY_HEADERS } from '../dead-letter/dead-letter.constants.js';
import { IdempotencyGuard } from '../idempotency/idempotency.guard.js';
import type { ConsumerBinding } from '../transport/consumer-bindings.js';
import type { DeliveryHandler } from './delivery.js';
import type { DeliveryListener } from './delivery-listener.js';
import { DeliveryPipeline } from './delivery-pipeline.js';
import { HandlerRoutes } from './handler-routes.js';

const binding: ConsumerBinding = { stream: 'ORDERS', durable: 'fulfillment-p1', consumer: 'fulfillment', maxDeliver: 3, retryDelaysMs: [100], concurrency: 1, prefetch: 0, maxKeepAliveMs: 0 };

/** A message whose settle calls are recorded in `calls`, next to the listeners'. */
function fakeMsg(calls: string[], deliveryCount = 1, h: Record<string, string> = {}) {
  const hdrs = headers();
  for (const [k, v] of Object.entries(h)) hdrs.set(k, v);
  const msg = {
    subject: 'orders.created.eu.std',
    data: new TextEncoder().encode('{"orderId":"o-1"}'),
    headers: hdrs,
    info: { stream: 'ORDERS', streamSequence: 7, deliveryCount },
    time: new Date(),
    ack: jest.fn(() => void calls.push('ack')),
    nak: jest.fn((delay?: number) => void calls.push(`nak ${delay}`)),
    term: jest.fn((reason?: string) => void calls.push(`term ${reason}`)),
    ackAck: jest.fn(async () => true),
    working: jest.fn(),
  };
  return Object.assign(msg, { js: msg as unknown as JsMsg });
}

function recorder(calls: string[], overrides: DeliveryListener = {}): DeliveryListener {
  return {
    delivered: () => void calls.push('delivered'),
    redelivered: () => void calls.push('redelivered'),
    handled: () => void calls.push('handled'),
    failed: (_d, f) => void calls.push(`failed final=${f.final}`),
    settled: (d) => void calls.push(`settled ${d.outcome}`),
    recovered: () => void calls.push('recovered'),
    ...overrides,
  };
}

function setup(calls: string[], handle: (payload: unknown) => unknown, listeners: DeliveryListener[] = [recorder(calls)]) {
  const routes = new HandlerRoutes<DeliveryHandler>();
  routes.add('fulfillment', 'orders.created', async (payload: unknown) => {
    calls.push('handler');
    return handle(payload);
  });
  const logger = { log: jest.fn(), warn: jest.fn(), error: jest.fn() };
  const guard = new IdempotencyGuard(undefined, 60_000, logger as unknown as Logger);
  return { logger, pipeline: new DeliveryPipeline({ routes, guard, logger, listeners, ackWaitOf: () => 30_000 }) };
}

describe('DeliveryPipeline', () => {
  it('runs the handler on the decoded payload, tells every listener, and acks on flush', async () => {
    const calls: string[] = [];
    const handle = jest.fn((_p: unknown) => undefined);
    const { pipeline } = setup(calls, handle);
    const msg = fakeMsg(calls);
    expect(await pipeline.deliver(binding, msg.js)).toBe('ack');
    expect(handle).toHaveBeenCalledWith({ orderId: 'o-1' });
    expect(calls).toEqual(['delivered', 'handler', 'handled', 'settled ack']);
    pipeline.flush();
    expect(msg.ack).toHaveBeenCalledTimes(1);
    expect(calls.at(-1)).toBe('ack');
  });

  it('awaits the failed listeners before the nak reaches the message', async () => {
    const calls: string[] = [];
    const msg = fakeMsg(calls);
    let nakedDuringFailed: number | undefined;
    const failed = async () => {
      await new Promise((r) => setTimeout(r, 5));
      nakedDuringFailed = msg.nak.mock.calls.length;
      calls.push('failed');
    };
    const { pipeline } = setup(calls, () => Promise.reject(new Error('db down')), [recorder(calls, { failed })]);
    expect(await pipeline.deliver(binding, msg.js)).toBe('nak');
    pipeline.flush();
    expect(nakedDuringFailed).toBe(0);
    expect(calls).toEqual(['delivered', 'handler', 'handled', 'failed', 'settled nak', 'nak 100']);
  });

  it("acks another durable's replay copy unprocessed, outside any around scope", async () => {
    const calls: string[] = [];
    const around = jest.fn<NonNullable<DeliveryListener['around']>>((_d, work) => work());
    const { pipeline } = setup(calls, () => undefined, [recorder(calls, { around })]);
    const msg = fakeMsg(calls, 1, { [REPLAY_HEADERS.replayFor]: 'fulfillment-p2' });
    expect(await pipeline.deliver(binding, msg.js)).toBe('skip');
    pipeline.flush();
    expect(calls).toEqual(['delivered', 'settled skip', 'ack']);
    expect(around).not.toHaveBeenCalled();
  });

  it('tells of a redelivery before the handler, and of its recovery once its ack is queued', async () => {
    const calls: string[] = [];
    const { pipeline } = setup(calls, () => undefined);
    const msg = fakeMsg(calls, 2);
    expect(await pipeline.deliver(binding, msg.js)).toBe('ack');
    pipeline.flush();
    expect(calls).toEqual(['delivered', 'redelivered', 'handler', 'handled', 'recovered', 'settled ack', 'ack']);
  });

  it('does not tell of a recovery when the redelivery fails again', async () => {
    const calls: string[] = [];
    const { pipeline } = setup(calls, () => Promise.reject(new Error('db down')));
    expect(await pipeline.deliver(binding, fakeMsg(calls, 3).js)).toBe('nak');
    pipeline.flush();
    expect(calls).toEqual(['delivered', 'redelivered', 'handler', 'handled', 'failed final=true', 'settled nak', 'nak 0']);
  });

  it('settles nothing for a handler that finishes after abandon()', async () => {
    const calls: string[] = [];
    let finish!: () => void;
    const { pipeline, logger } = setup(calls, () => new Promise<void>((r) => (finish = r)));
    const msg = fakeMsg(calls);
    const outcome = pipeline.deliver(binding, msg.js);
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual(['delivered', 'handler']);
    pipeline.abandon();
    finish();
    expect(await outcome).toBe('abandoned');
    pipeline.flush();
    expect(calls).toEqual(['delivered', 'handler', 'handled', 'settled abandoned']);
    expect(msg.ack).not.toHaveBeenCalled();
    expect(msg.nak).not.toHaveBeenCalled();
    expect(logger.warn).toHaveBeenCalledWith(expect.objectContaining({ event: 'message.abandoned', consumer: 'fulfillment-p1', streamSequence: 7 }));
  });

  it('refuses two listeners with around', () => {
    const around: DeliveryListener['around'] = (_d, work) => work();
    expect(() => setup([], () => undefined, [{ around }, { around }])).toThrow(/only one delivery listener/);
  });

  it('runs the handler inside the around listener, which gets the outcome', async () => {
    const calls: string[] = [];
    const around: DeliveryListener['around'] = async (_d, work) => {
      calls.push('around in');
      const outcome = await work();
      calls.push(`around out ${outcome}`);
      return outcome;
    };
    const { pipeline } = setup(calls, () => undefined, [recorder(calls, { around })]);
    expect(await pipeline.deliver(binding, fakeMsg(calls).js)).toBe('ack');
    expect(calls).toEqual(['delivered', 'around in', 'handler', 'handled', 'around out ack', 'settled ack']);
  });
});

import { describe, expect, it, jest } from '@jest/globals';
import type { JsMsg } from '@nats-io/jetstream';
import type { Logger } from '@nestjs/common';
import { headers } from '@nats-io/transport-node';
import { Observable, of, throwError } from 'rxjs';
import { IdempotencyGuard } from '../idempotency/idempotency.guard.js';
import type { ProcessedMarkers } from '../idempotency/processed-markers.js';
import type { ConsumerBinding } from '../transport/consumer-bindings.js';
import { JetStreamContext } from '../transport/jetstream.context.js';
import { Delivery, type DeliveryHandler } from './delivery.js';
import { InvokeStage } from './invoke.stage.js';

const binding: ConsumerBinding = { stream: 'ORDERS', durable: 'fulfillment-p1', consumer: 'fulfillment', maxDeliver: 5, retryDelaysMs: [100], concurrency: 1, prefetch: 0, maxKeepAliveMs: 0 };

function delivery(handle: (payload: unknown, ctx: JetStreamContext) => unknown, deliveryCount = 1): Delivery {
  const msg = { subject: 'orders.created.eu.std', data: new Uint8Array(), headers: headers(), info: { stream: 'ORDERS', streamSequence: 7, deliveryCount }, time: new Date() };
  const d = new Delivery(binding, msg as unknown as JsMsg);
  const handler: DeliveryHandler = async (payload, ctx) => handle(payload, ctx as JetStreamContext);
  d.route = { pattern: 'orders.created', handler };
  d.payload = { orderId: 'o-1' };
  return d;
}

function setup() {
  const markers = { seen: jest.fn(async (_key: string) => false), record: jest.fn(async (_key: string, _horizonMs: number) => undefined) };
  const guard = new IdempotencyGuard(markers as unknown as ProcessedMarkers, 60_000, { log: jest.fn(), warn: jest.fn() } as unknown as Logger);
  return { markers, stage: new InvokeStage(guard) };
}

describe('InvokeStage', () => {
  it('calls the handler with the payload and a context counting attempts across copies', async () => {
    const seen: { payload?: unknown; ctx?: JetStreamContext } = {};
    const d = delivery((payload, ctx) => Object.assign(seen, { payload, ctx }), 2);
    d.priorAttempts = 2;
    await setup().stage.run(d);
    expect(d.error).toBeUndefined();
    expect(seen.payload).toEqual({ orderId: 'o-1' });
    expect(seen.ctx).toBeInstanceOf(JetStreamContext);
    expect(seen.ctx!.getAttempt()).toBe(4);
    expect(seen.ctx!.getDeliveryCount()).toBe(2);
    expect(seen.ctx!.getConsumer()).toBe('fulfillment');
    expect(seen.ctx!.getMessage()).toBe(d.msg);
  });

  it('keeps what the handler throws as the error', async () => {
    const err = new TypeError('boom');
    const d = delivery(() => {
      throw err;
    });
    await setup().stage.run(d);
    expect(d.error).toBe(err);
  });

  it('wraps a thrown non-Error in an Error', async () => {
    const d = delivery(() => Promise.reject('plain string'));
    await setup().stage.run(d);
    expect(d.error).toBeInstanceOf(Error);
    expect(d.error?.message).toBe('plain string');
  });

  it('waits for an Observable result to complete', async () => {
    let completed = false;
    const d = delivery(() => new Observable((s) => void setTimeout(() => ((completed = true), s.next(1), s.complete()), 5)));
    await setup().stage.run(d);
    expect(completed).toBe(true);
    expect(d.error).toBeUndefined();
  });

  it('takes the error an Observable result ends with, and an empty one as success', async () => {
    const d = delivery(() => throwError(() => new Error('stream failed')));
    await setup().stage.run(d);
    expect(d.error?.message).toBe('stream failed');
    const empty = delivery(() => new Observable((s) => s.complete()));
    await setup().stage.run(empty);
    expect(empty.error).toBeUndefined();
  });

  it("records an idempotent delivery's marker once the handler returned", async () => {
    const { markers, stage } = setup();
    const d = delivery(() => of('done'));
    d.marker = { key: 'fulfillment.abc', horizonMs: 5000 };
    await stage.run(d);
    expect(markers.record).toHaveBeenCalledWith('fulfillment.abc', 5000);
  });

  it('records no marker when the handler failed, or the delivery is not idempotent', async () => {
    const { markers, stage } = setup();
    const d = delivery(() => Promise.reject(new Error('db down')));
    d.marker = { key: 'fulfillment.abc', horizonMs: 5000 };
    await stage.run(d);
    await stage.run(delivery(() => 'ok'));
    expect(markers.record).not.toHaveBeenCalled();
  });

  it('leaves a success a success when the marker cannot be written', async () => {
    const { markers, stage } = setup();
    markers.record.mockRejectedValueOnce(new Error('kv down'));
    const d = delivery(() => 'ok');
    d.marker = { key: 'fulfillment.abc', horizonMs: 5000 };
    await stage.run(d);
    expect(markers.record).toHaveBeenCalledTimes(1);
    expect(d.error).toBeUndefined();
  });
});

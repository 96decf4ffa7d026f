import { describe, expect, it, jest } from '@jest/globals';
import type { JsMsg } from '@nats-io/jetstream';
import type { Logger } from '@nestjs/common';
import { headers } from '@nats-io/transport-node';
import { markerKey } from '../idempotency/idempotency-key.js';
import { IdempotencyGuard } from '../idempotency/idempotency.guard.js';
import type { ProcessedMarkers } from '../idempotency/processed-markers.js';
import type { ConsumerBinding } from '../transport/consumer-bindings.js';
import { Delivery, type DeliveryHandler } from './delivery.js';
import { DedupeStage } from './dedupe.stage.js';

const binding: ConsumerBinding = { stream: 'ORDERS', durable: 'fulfillment-p1', consumer: 'fulfillment', maxDeliver: 3, retryDelaysMs: [100], concurrency: 1, prefetch: 0, maxKeepAliveMs: 0 };

function delivery(extras?: Record<string, unknown>): Delivery {
  const hdrs = headers();
  hdrs.set('Nats-Msg-Id', 'order-1');
  const msg = { subject: 'orders.created.eu.std', data: new Uint8Array(), headers: hdrs, info: { stream: 'ORDERS', streamSequence: 7, deliveryCount: 2 }, time: new Date() };
  const d = new Delivery(binding, msg as unknown as JsMsg);
  const handler: DeliveryHandler = Object.assign(async () => undefined, { extras });
  d.route = { pattern: 'orders.created', handler };
  return d;
}

function setup(seen: (key: string) => Promise<boolean>) {
  const markers = { seen: jest.fn(seen), record: jest.fn(async (_key: string, _horizonMs: number) => undefined) };
  const logger = { log: jest.fn(), warn: jest.fn(), error: jest.fn() };
  const guard = new IdempotencyGuard(markers as unknown as ProcessedMarkers, 60_000, logger as unknown as Logger);
  return { markers, logger, stage: new DedupeStage(guard) };
}

describe('DedupeStage', () => {
  it('never looks up a handler that is not idempotent', async () => {
    const { markers, stage } = setup(async () => true);
    const d = delivery({ idempotent: false });
    expect(await stage.processedBefore(d)).toBe(false);
    expect(d.marker).toBeUndefined();
    expect(markers.seen).not.toHaveBeenCalled();
  });

  it('skips a delivery whose marker is written, keyed by the binding consumer and msgID', async () => {
    const { markers, logger, stage } = setup(async () => true);
    const d = delivery({ idempotent: { horizonMs: 5000 } });
    expect(await stage.processedBefore(d)).toBe(true);
    const key = markerKey('fulfillment', 'order-1');
    expect(d.marker).toEqual({ key, horizonMs: 5000 });
    expect(markers.seen).toHaveBeenCalledWith(key);
    expect(logger.log).toHaveBeenCalledWith(expect.objectContaining({ event: 'message.already-processed', consumer: 'fulfillment', streamSequence: 7, deliveryCount: 2 }));
  });

  it('runs an idempotent handler whose marker is not written, keeping the marker to record', async () => {
    const { stage } = setup(async () => false);
    const d = delivery({ idempotent: true });
    expect(await stage.processedBefore(d)).toBe(false);
    expect(d.marker).toEqual({ key: markerKey('fulfillment', 'order-1'), horizonMs: 60_000 });
  });

  it('runs the handler when the marker cannot be read (at-least-once), logged', async () => {
    const { logger, stage } = setup(async () => {
      throw new Error('kv timeout');
    });
    const d = delivery({ idempotent: true });
    expect(await stage.processedBefore(d)).toBe(false);
    expect(logger.warn).toHaveBeenCalledWith(expect.objectContaining({ event: 'idempotency.marker-unreadable', consumer: 'fulfillment', error: 'Error: kv timeout' }));
  });

  it('looks nothing up without markers, or without a route', async () => {
    const guard = new IdempotencyGuard(undefined, 60_000, { warn: jest.fn() } as unknown as Logger);
    const d = delivery({ idempotent: true });
    expect(await new DedupeStage(guard).processedBefore(d)).toBe(false);
    expect(d.marker).toBeUndefined();
    const { markers, stage } = setup(async () => true);
    const unrouted = delivery({ idempotent: true });
    unrouted.route = null;
    expect(await stage.processedBefore(unrouted)).toBe(false);
    expect(markers.seen).not.toHaveBeenCalled();
  });
});

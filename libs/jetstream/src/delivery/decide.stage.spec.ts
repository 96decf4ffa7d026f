import { describe, expect, it, jest } from '@jest/globals';
import type { JsMsg } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { NonRetryableError } from '../errors/non-retryable.error.js';
import type { ConsumerBinding } from '../transport/consumer-bindings.js';
import { DecideStage } from './decide.stage.js';
import { Delivery, type DeliveryHandler } from './delivery.js';

const binding: ConsumerBinding = { stream: 'ORDERS', durable: 'fulfillment-p1', consumer: 'fulfillment', maxDeliver: 3, retryDelaysMs: [100, 60_000], concurrency: 1, prefetch: 0, maxKeepAliveMs: 0 };

function delivery(deliveryCount: number, error?: Error): Delivery {
  const msg = { subject: 'orders.created.eu.std', data: new Uint8Array(), headers: headers(), info: { stream: 'ORDERS', streamSequence: 7, deliveryCount }, time: new Date() };
  const d = new Delivery(binding, msg as unknown as JsMsg);
  const handler: DeliveryHandler = async () => undefined;
  d.route = { pattern: 'orders.created', handler };
  d.error = error;
  return d;
}

const noReschedule = () => new DecideStage(() => undefined);

describe('DecideStage', () => {
  it('acks a success and records no failure', () => {
    const d = delivery(1);
    expect(noReschedule().run(d)).toBeUndefined();
    expect(d.settlement).toEqual({ kind: 'ack' });
  });

  it("naks a retryable error with the binding's delay, recording a failure that is not final", () => {
    const d = delivery(1, new Error('db down'));
    const failure = noReschedule().run(d);
    expect(d.settlement).toEqual({ kind: 'nak', delayMs: 100, final: false });
    expect(failure).toEqual({
      stream: 'ORDERS',
      consumer: 'fulfillment-p1',
      subject: 'orders.created.eu.std',
      streamSequence: 7,
      deliveryCount: 1,
      maxDeliver: 3,
      errorName: 'Error',
      errorMessage: 'db down',
      handler: 'orders.created',
      final: false,
      terminated: false,
      at: expect.any(Date),
    });
  });

  it('marks the last attempt final', () => {
    const d = delivery(3, new Error('db down'));
    const failure = noReschedule().run(d);
    expect(d.settlement).toEqual({ kind: 'nak', delayMs: 0, final: true });
    expect(failure).toMatchObject({ deliveryCount: 3, final: true, terminated: false });
  });

  it('terminates a non-retryable error, recorded as final and terminated', () => {
    const d = delivery(1, new NonRetryableError('customer blocked'));
    const failure = noReschedule().run(d);
    expect(d.settlement).toEqual({ kind: 'term', reason: 'NonRetryableError: customer blocked' });
    expect(failure).toMatchObject({ errorName: 'NonRetryableError', final: true, terminated: true });
  });

  it("reschedules a retry due later than the durable's ack wait", () => {
    const ackWait = jest.fn((_durable: string): number | undefined => 30_000);
    const d = delivery(2, new Error('db down'));
    const failure = new DecideStage(ackWait).run(d);
    expect(ackWait).toHaveBeenCalledWith('fulfillment-p1');
    expect(d.settlement).toEqual({ kind: 'reschedule', delayMs: 60_000 });
    expect(failure).toMatchObject({ final: false, terminated: false });
    const early = delivery(1, new Error('db down'));
    new DecideStage(ackWait).run(early);
    expect(early.settlement).toEqual({ kind: 'nak', delayMs: 100, final: false });
  });

  it('counts attempts on from a rescheduled copy, and terminates its last one', () => {
    const d = delivery(1, new Error('db down'));
    d.priorAttempts = 2;
    const failure = new DecideStage(() => 30_000).run(d);
    expect(d.settlement).toEqual({ kind: 'term', reason: 'attempt 3 of 3: Error: db down' });
    expect(failure).toMatchObject({ deliveryCount: 3, final: true, terminated: true });
  });

  it('records an unrouted delivery with an empty handler', () => {
    const d = delivery(1, new NonRetryableError('no handler'));
    d.route = null;
    expect(noReschedule().run(d)?.handler).toBe('');
  });
});

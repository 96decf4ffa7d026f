import { describe, expect, it, jest } from '@jest/globals';
import type { JsMsg } from '@nats-io/jetstream';
import type { Logger, LoggerService } from '@nestjs/common';
import { headers } from '@nats-io/transport-node';
import { IdempotencyGuard } from '../idempotency/idempotency.guard.js';
import type { ScheduleResult } from '../schedule/message-scheduler.js';
import type { RetryRescheduler } from '../schedule/retry-rescheduler.js';
import type { ConsumerBinding } from '../transport/consumer-bindings.js';
import { Delivery } from './delivery.js';
import { SettleCoalescer } from './settle-coalescer.js';
import { SettleStage } from './settle.stage.js';
import type { Settlement } from './settlement.js';

const binding: ConsumerBinding = { stream: 'ORDERS', durable: 'fulfillment-p1', consumer: 'fulfillment', maxDeliver: 5, retryDelaysMs: [100], concurrency: 1, prefetch: 0, maxKeepAliveMs: 0 };

function fakeMsg() {
  return {
    subject: 'orders.created.eu.std',
    data: new Uint8Array(),
    headers: headers(),
    info: { stream: 'ORDERS', streamSequence: 7, deliveryCount: 2 },
    time: new Date(),
    ack: jest.fn<() => void>(),
    nak: jest.fn<(delay?: number) => void>(),
    term: jest.fn<(reason?: string) => void>(),
    ackAck: jest.fn(async () => true),
    working: jest.fn(),
  };
}

function setup(rescheduler?: { reschedule: jest.Mock<RetryRescheduler['reschedule']> }) {
  const logger = { log: jest.fn(), warn: jest.fn(), error: jest.fn() };
  const coalescer = new SettleCoalescer(logger as LoggerService);
  const guard = new IdempotencyGuard(undefined, 60_000, logger as unknown as Logger);
  const stage = new SettleStage(coalescer, guard, logger as LoggerService, rescheduler as unknown as RetryRescheduler | undefined);
  const msg = fakeMsg();
  const d = new Delivery(binding, msg as unknown as JsMsg);
  d.priorAttempts = 1;
  const settle = async (s: Settlement) => {
    d.settlement = s;
    const applied = await stage.prepare(d);
    await stage.apply(d);
    coalescer.flush();
    return applied;
  };
  return { logger, coalescer, stage, msg, d, settle };
}

describe('SettleStage', () => {
  it('acks, naks with the delay and terms with the reason, once the coalescer flushes', async () => {
    const ack = setup();
    ack.d.settlement = { kind: 'ack' };
    await ack.stage.apply(ack.d);
    expect(ack.msg.ack).not.toHaveBeenCalled();
    ack.coalescer.flush();
    expect(ack.msg.ack).toHaveBeenCalledTimes(1);
    const nak = setup();
    await nak.settle({ kind: 'nak', delayMs: 500, final: false });
    expect(nak.msg.nak).toHaveBeenCalledWith(500);
    expect(nak.msg.ack).not.toHaveBeenCalled();
    const term = setup();
    await term.settle({ kind: 'term', reason: 'NonRetryableError: bad' });
    expect(term.msg.term).toHaveBeenCalledWith('NonRetryableError: bad');
  });

  it('acks a skipped delivery', () => {
    const { stage, coalescer, msg } = setup();
    stage.skip(msg as unknown as JsMsg);
    coalescer.flush();
    expect(msg.ack).toHaveBeenCalledTimes(1);
  });

  it('stores a rescheduled copy for the durable and attempt, then acks the delivery', async () => {
    const reschedule = jest.fn<RetryRescheduler['reschedule']>(async () => ({ scheduleId: 'retry-1', deliverAt: 'later' }) as ScheduleResult);
    const { msg, d, settle, logger } = setup({ reschedule });
    const before = Date.now();
    expect(await settle({ kind: 'reschedule', delayMs: 60_000 })).toEqual({ kind: 'reschedule', delayMs: 60_000 });
    expect(reschedule).toHaveBeenCalledWith(d.msg, 'fulfillment-p1', 3, expect.any(Date));
    const deliverAt = reschedule.mock.calls[0]![3].getTime();
    expect(deliverAt).toBeGreaterThanOrEqual(before + 60_000);
    expect(deliverAt).toBeLessThanOrEqual(Date.now() + 60_000);
    expect(msg.ack).toHaveBeenCalledTimes(1);
    expect(msg.nak).not.toHaveBeenCalled();
    expect(d.settlement).toEqual({ kind: 'reschedule', delayMs: 60_000 });
    expect(logger.log).toHaveBeenCalledWith(expect.objectContaining({ event: 'message.rescheduled', scheduleId: 'retry-1', attempt: 3 }));
  });

  it('naks with the delay when the copy cannot be stored', async () => {
    const reschedule = jest.fn<RetryRescheduler['reschedule']>(async () => {
      throw new Error('schedules full');
    });
    const { msg, d, settle, logger } = setup({ reschedule });
    const nak = { kind: 'nak', delayMs: 60_000, final: false };
    expect(await settle({ kind: 'reschedule', delayMs: 60_000 })).toEqual(nak);
    expect(d.settlement).toEqual(nak);
    expect(msg.nak).toHaveBeenCalledWith(60_000);
    expect(msg.ack).not.toHaveBeenCalled();
    expect(logger.warn).toHaveBeenCalledWith(expect.objectContaining({ event: 'message.reschedule-failed', error: 'Error: schedules full' }));
  });

  it('double-acks an idempotent success instead of acking it', async () => {
    const { msg, d, settle } = setup();
    d.marker = { key: 'fulfillment.abc', horizonMs: 5000 };
    await settle({ kind: 'ack' });
    expect(msg.ackAck).toHaveBeenCalledTimes(1);
    expect(msg.ack).not.toHaveBeenCalled();
  });

  it('naks an idempotent failure like any other', async () => {
    const { msg, d, settle } = setup();
    d.marker = { key: 'fulfillment.abc', horizonMs: 5000 };
    await settle({ kind: 'nak', delayMs: 100, final: false });
    expect(msg.nak).toHaveBeenCalledWith(100);
    expect(msg.ackAck).not.toHaveBeenCalled();
  });
});

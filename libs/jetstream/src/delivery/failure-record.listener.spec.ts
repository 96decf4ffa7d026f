import { describe, expect, it, jest } from '@jest/globals';
import type { JsMsg } from '@nats-io/jetstream';
import type { LoggerService } from '@nestjs/common';
import { headers } from '@nats-io/transport-node';
import type { ConsumerBinding } from '../transport/consumer-bindings.js';
import type { DeliveryFacts, MessageFailure, MessageFailureHook } from '../transport/message-failure.hook.js';
import { Delivery } from './delivery.js';
import { FailureRecordListener } from './failure-record.listener.js';
import { messageFailure } from '../dead-letter/dead-letter-facts.fixture.js';

const binding: ConsumerBinding = { stream: 'ORDERS', durable: 'fulfillment-p1', consumer: 'fulfillment', maxDeliver: 3, retryDelaysMs: [100], concurrency: 1, prefetch: 0, maxKeepAliveMs: 0 };
const storedAt = new Date('2025-03-01T12:00:00Z');
const data = new TextEncoder().encode('{"orderId":"o-1"}');

function delivery(deliveryCount = 1): Delivery {
  const hdrs = headers();
  hdrs.set('Nats-Msg-Id', 'order-1');
  const msg = { subject: 'orders.created.eu.std', data, headers: hdrs, info: { stream: 'ORDERS', streamSequence: 7, deliveryCount }, time: storedAt };
  return new Delivery(binding, msg as unknown as JsMsg);
}

const failure = (final: boolean) => messageFailure({ consumer: 'fulfillment-p1', deliveryCount: final ? 3 : 1, final });

function setup(hook?: Partial<MessageFailureHook>) {
  const logger = { log: jest.fn(), warn: jest.fn(), error: jest.fn() };
  const full = hook && { onFailure: jest.fn(async (_f: MessageFailure) => undefined), ...hook };
  return { logger, hook: full, listener: new FailureRecordListener(logger as LoggerService, full as MessageFailureHook | undefined) };
}

describe('FailureRecordListener', () => {
  it('logs every failure, and hands the hook a non-final one without the message', async () => {
    const { logger, hook, listener } = setup({});
    const f = failure(false);
    await listener.failed(delivery(), f);
    expect(logger.warn).toHaveBeenCalledWith({ event: 'message.failed', ...f });
    expect(hook!.onFailure).toHaveBeenCalledWith({ ...f, original: undefined });
  });

  it('hands the hook a final failure with the message, to dead-letter before the settle', async () => {
    const { hook, listener } = setup({});
    const f = failure(true);
    await listener.failed(delivery(3), f);
    expect(hook!.onFailure).toHaveBeenCalledWith({ ...f, original: { data, headers: [['Nats-Msg-Id', 'order-1']], storedAt } });
  });

  it('logs a hook that throws, and throws nothing', async () => {
    const onFailure = jest.fn(async () => {
      throw new Error('kv down');
    });
    const { logger, listener } = setup({ onFailure });
    await expect(listener.failed(delivery(), failure(true))).resolves.toBeUndefined();
    expect(onFailure).toHaveBeenCalledTimes(1);
    expect(logger.error).toHaveBeenCalledWith({ event: 'failure-hook.error', error: 'Error: kv down', stream: 'ORDERS', streamSequence: 7 });
  });

  it('only logs without a hook', async () => {
    const { logger, listener } = setup();
    await listener.failed(delivery(), failure(true));
    await listener.redelivered(delivery(2));
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('tells the hook of a redelivery and a recovery with the delivery facts', async () => {
    const onRedelivered = jest.fn(async (_d: DeliveryFacts) => undefined);
    const onSucceeded = jest.fn(async (_d: DeliveryFacts) => undefined);
    const { listener } = setup({ onRedelivered, onSucceeded });
    const facts = { stream: 'ORDERS', consumer: 'fulfillment-p1', subject: 'orders.created.eu.std', streamSequence: 7, deliveryCount: 2, at: expect.any(Date) };
    await listener.redelivered(delivery(2));
    expect(onRedelivered).toHaveBeenCalledWith(facts);
    expect(onSucceeded).not.toHaveBeenCalled();
    await listener.recovered(delivery(2));
    expect(onSucceeded).toHaveBeenCalledWith(facts);
  });

  it('skips a hook without the delivery callbacks, and logs one that throws', async () => {
    const { logger, listener } = setup({});
    await expect(listener.recovered(delivery(2))).resolves.toBeUndefined();
    const failing = setup({ onSucceeded: async () => Promise.reject(new Error('kv down')) });
    await expect(failing.listener.recovered(delivery(2))).resolves.toBeUndefined();
    expect(logger.error).not.toHaveBeenCalled();
    expect(failing.logger.error).toHaveBeenCalledWith({ event: 'failure-hook.error', callback: 'onSucceeded', error: 'Error: kv down', stream: 'ORDERS', streamSequence: 7 });
  });
});

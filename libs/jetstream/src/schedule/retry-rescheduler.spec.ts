import { describe, expect, it, jest } from '@jest/globals';
import type { JsMsg } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { RedeliveredMessage } from '../redelivery/redelivered-message.js';
import type { MessageScheduler, ScheduleRequest, ScheduleResult } from './message-scheduler.js';
import { RetryRescheduler } from './retry-rescheduler.js';

function delivered(subject: string, h: Record<string, string>): JsMsg {
  const hdrs = headers();
  for (const [k, v] of Object.entries(h)) hdrs.set(k, v);
  return { subject, data: new Uint8Array([1]), headers: hdrs, info: { stream: 'ORDERS', streamSequence: 42, deliveryCount: 2 } } as unknown as JsMsg;
}

function setup() {
  const schedule = jest.fn(async (_r: ScheduleRequest) => ({ scheduleId: 'x' }) as ScheduleResult);
  return { schedule, rescheduler: new RetryRescheduler({ schedule } as unknown as MessageScheduler) };
}

describe('RetryRescheduler', () => {
  it("schedules the copy onto the failing durable's redelivery subject, with the attempts so far", async () => {
    const { schedule, rescheduler } = setup();
    const msg = delivered('orders.created.eu.std.p3', { 'Nats-Msg-Id': 'order-1', traceparent: '00-a-b-01', 'nestjet-attempts': '1', 'nestjet-replay-for': 'ledger-p3' });
    await rescheduler.reschedule(msg, 'ledger-p3', 2, new Date(Date.now() + 60_000));
    const request = schedule.mock.calls[0]![0];
    expect(request.subject).toBe('nestjet-redeliver.ORDERS.ledger-p3.orders.created.eu.std.p3');
    expect(request.originMsgId).toBe('order-1');
    expect(request.scheduledBy).toBe('consumer:ledger-p3');
    // No server headers, no legacy mark; the attempts header is set anew.
    expect(request.headers).toEqual([
      ['traceparent', '00-a-b-01'],
      ['nestjet-attempts', '2'],
    ]);
  });

  it('reschedules a copy under its original subject, not nested in another redelivery subject', async () => {
    const { schedule, rescheduler } = setup();
    const copy = delivered('nestjet-redeliver.ORDERS.fulfillment.orders.created.eu.std', { 'nestjet-attempts': '2' });
    for (const msg of [new RedeliveredMessage(copy, 'orders.created.eu.std'), copy]) {
      await rescheduler.reschedule(msg, 'fulfillment', 3, new Date(Date.now() + 60_000));
    }
    expect(schedule.mock.calls.map(([r]: [ScheduleRequest]) => r.subject)).toEqual([
      'nestjet-redeliver.ORDERS.fulfillment.orders.created.eu.std',
      'nestjet-redeliver.ORDERS.fulfillment.orders.created.eu.std',
    ]);
  });
});

import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { jetstream } from '@nats-io/jetstream';
import { DLQ_HEADERS } from '#jetstream';
import { AppGroup, type Broker, dlqRecords, order, processed, startBroker, startFlaky, waitFor } from '#test-support';

/** The second retry (4 s) is due after the ack wait (3 s): it is rescheduled; the first (200 ms) is a nak. */
const TOPOLOGY = {
  CONSUMER_RETRY_DELAYS_MS: '200,4000',
  CONSUMER_ACK_WAIT_MS: '3000',
  CONSUMER_MAX_DELIVER: '4',
};

interface Attempt {
  seq: number;
  deliveryCount: number;
  attempt: number;
  at: number;
}

describe('retries due later than the ack wait are rescheduled, not held', () => {
  let broker: Broker;
  const apps = new AppGroup();

  beforeAll(async () => {
    broker = await startBroker(TOPOLOGY);
  });

  afterEach(() => apps.stopAll());

  afterAll(() => broker?.dispose());

  const flaky = async (failTimes: number) => apps.add(await startFlaky(broker.nats, failTimes, { ...broker.nats.dlqEnv(), ...TOPOLOGY }));
  const attemptsOf = (app: Awaited<ReturnType<typeof flaky>>, orderId: string) =>
    app.events('attempt').filter((a) => a.orderId === orderId) as unknown as Attempt[];

  it('acks the delivery once a copy for this consumer is scheduled; the copy runs after the delay as attempt 3', async () => {
    const app = await flaky(2);
    const o = order();
    // notifications (orders.>) reads the same stream and subject, and nobody pulls it here: what it is offered stays pending.
    const notificationsBefore = await broker.jsm.consumers.info('ORDERS', 'notifications');
    const { seq } = await jetstream(broker.publisher).publish('orders.created.eu.std', JSON.stringify(o));
    const rescheduled = await waitFor('the second attempt to be rescheduled', () => app.events('message.rescheduled').find((e) => e.streamSequence === seq), 10_000, 20);
    expect(rescheduled).toMatchObject({ consumer: 'fulfillment', attempt: 2, delayMs: 4000 });

    // While the retry waits, the original holds no ack slot and nothing is pending for fulfillment.
    const waiting = await broker.jsm.consumers.info('ORDERS', 'fulfillment');
    expect(waiting.num_ack_pending).toBe(0);
    const pending = await broker.jsm.streams.info('SCHEDULES', { subjects_filter: 'schedules.pending.*' });
    expect(Object.keys(pending.state.subjects ?? {})).toContain(`schedules.pending.${String(rescheduled.scheduleId)}`);

    await waitFor('the copy to succeed', () => processed([app]).some((p) => p.orderId === o.orderId), 15_000, 20);
    const attempts = attemptsOf(app, o.orderId as string);
    expect(attempts.map((a) => [a.attempt, a.deliveryCount])).toEqual([[1, 1], [2, 2], [3, 1]]);
    expect(attempts[2]!.seq).not.toBe(seq);
    const gap = attempts[2]!.at - attempts[1]!.at;
    expect(gap).toBeGreaterThanOrEqual(4000);
    expect(gap).toBeLessThan(5500);

    // The copy sits on fulfillment's own redelivery subject, reached through SCHEDULES like any due message; the handler saw the topic subject.
    const copySeq = attempts[2]!.seq;
    const copy = await broker.jsm.streams.getMessage('ORDERS', { seq: copySeq });
    expect(copy!.subject).toBe('nestjet-redeliver.ORDERS.fulfillment.orders.created.eu.std');
    expect(copy!.header.get('nestjet-attempts')).toBe('2');
    expect(copy!.header.has('nestjet-replay-for')).toBe(false);
    expect(processed([app]).find((p) => p.seq === copySeq)).toMatchObject({ consumer: 'fulfillment', subject: 'orders.created.eu.std' });
    const done = await broker.jsm.consumers.info('ORDERS', 'fulfillment');
    expect([done.num_ack_pending, done.num_pending]).toEqual([0, 0]);

    // notifications never receives the copy: its filter was offered the original alone, and pulling all it has yields no copy.
    const notifications = await broker.jsm.consumers.info('ORDERS', 'notifications');
    expect(notifications.num_pending).toBe(notificationsBefore.num_pending + 1);
    const offered: number[] = [];
    const consumer = await jetstream(broker.nc).consumers.get('ORDERS', 'notifications');
    for await (const m of await consumer.fetch({ max_messages: notifications.num_pending, expires: 2_000 })) {
      offered.push(m.seq);
      m.ack();
    }
    expect(offered).toContain(seq);
    expect(offered).not.toContain(copySeq);
    expect(Math.max(...offered)).toBeLessThan(copySeq);
    const after = await broker.jsm.consumers.info('ORDERS', 'notifications');
    expect(after.num_pending).toBe(0);
    expect(after.delivered.stream_seq).toBeLessThan(copySeq);
  }, 40_000);

  it('dead-letters the last attempt of a copy (terminated: the server counts copies from 1) with every attempt counted', async () => {
    const app = await flaky(-1);
    const o = order();
    await jetstream(broker.publisher).publish('orders.created.eu.std', JSON.stringify(o));
    const failed = await waitFor('the final failure', () => app.events('message.failed').find((e) => e.final === true), 25_000, 50);
    expect(failed).toMatchObject({ deliveryCount: 4, terminated: true });
    const attempts = attemptsOf(app, o.orderId as string);
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4]);
    const record = await waitFor('the DLQ record', async () => (await dlqRecords(broker.nc)).find((r) => r.json<{ orderId: string }>().orderId === o.orderId), 10_000);
    expect(record.header.get(DLQ_HEADERS.deliveryCount)).toBe('4');
    expect(record.header.get(DLQ_HEADERS.reason)).toMatch(/simulated failure on attempt 4/);
    expect(record.header.get(DLQ_HEADERS.kind)).toBe('terminated');
    // The record keeps the copy's own headers (three attempts came before it) and names the topic subject, not the redelivery subject.
    expect(record.header.get('nestjet-attempts')).toBe('3');
    expect(record.header.get(DLQ_HEADERS.subject)).toBe('orders.created.eu.std');
    const copy = await broker.jsm.streams.getMessage('ORDERS', { seq: Number(record.header.get(DLQ_HEADERS.streamSequence)) });
    expect(copy!.subject).toBe('nestjet-redeliver.ORDERS.fulfillment.orders.created.eu.std');
    await new Promise((r) => setTimeout(r, 1000));
    expect(attemptsOf(app, o.orderId as string)).toHaveLength(4);
  }, 40_000);
});

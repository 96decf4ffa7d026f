import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { join } from 'node:path';
import {
  AppGroup,
  AppProcess,
  DIST,
  inspect,
  NatsServer,
  order,
  processed,
  provision,
  startConsumer,
  waitFor,
} from '#test-support';

const TOPOLOGY = {
  CONSUMER_RETRY_DELAYS_MS: '300,900',
  // Far longer than the retry delays: a redelivery before it proves the nak delay, not an ack timeout.
  CONSUMER_ACK_WAIT_MS: '20000',
  CONSUMER_MAX_DELIVER: '5',
};

describe('consumer retries: nak with the configured delays, terminate non-retryable', () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  /** Publishes as a client sending straight to NATS (the producer user). */
  let publisher: NatsConnection;
  const apps = new AppGroup();

  const publish = (payload: unknown, subject = 'orders.created.eu.std') =>
    jetstream(publisher).publish(subject, typeof payload === 'string' ? payload : JSON.stringify(payload));

  beforeAll(async () => {
    nats = await NatsServer.start();
    await provision(nats, TOPOLOGY);
    ({ nc } = await inspect(nats));
    publisher = await nats.connect('producer');
  });

  afterEach(async () => {
    await apps.stopAll();
  });

  afterAll(async () => {
    await nc?.close();
    await publisher?.close();
    await nats?.dispose();
  });

  async function flaky(failTimes: number): Promise<AppProcess> {
    const app = await AppProcess.start(
      'flaky',
      join(DIST, 'test', 'fixtures', 'flaky-consumer.js'),
      { ...nats.env('consumer'), FAIL_TIMES: String(failTimes), ...TOPOLOGY },
      'consumer.ready',
    );
    await apps.add(app);
    return app;
  }

  it('redelivers a failing message after 300 ms, then 900 ms, and acks the third attempt', async () => {
    const app = await flaky(2);
    const o = order();
    const ack = await publish(o);
    await waitFor('the third attempt to succeed', () => processed([app]).some((p) => p.seq === ack.seq), 20_000);
    const attempts = app.events('attempt').filter((a) => a.seq === ack.seq) as unknown as { deliveryCount: number; at: number }[];
    expect(attempts.map((a) => a.deliveryCount)).toEqual([1, 2, 3]);
    const gaps = [attempts[1]!.at - attempts[0]!.at, attempts[2]!.at - attempts[1]!.at];
    expect(gaps[0]).toBeGreaterThanOrEqual(280);
    expect(gaps[1]).toBeGreaterThanOrEqual(880);
    expect(Math.max(...gaps)).toBeLessThan(10_000);

    const info = await (await jetstreamManager(nc)).consumers.info('ORDERS', 'fulfillment');
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_pending).toBe(0);
  });

  it('terminates a NonRetryableError at once, with no redelivery', async () => {
    const app = await flaky(0);
    const ack = await publish(order({ customerId: 'blocked' }));
    const failed = await waitFor('the failure to be logged', () =>
      app.events('message.failed').find((e) => e.streamSequence === ack.seq),
    );
    expect(failed).toMatchObject({ terminated: true, final: true, errorName: 'NonRetryableError', deliveryCount: 1 });
    await new Promise((r) => setTimeout(r, 1500));
    expect(app.events('attempt').filter((a) => a.seq === ack.seq)).toHaveLength(1);
  });

  it('terminates a payload that fails validation or is not JSON (poison), without calling the handler', async () => {
    const app = await startConsumer(nats, { CONSUMERS: 'fulfillment', ...TOPOLOGY });
    await apps.add(app);
    const invalid = await publish({ orderId: 'x', amount: 'lots' });
    const notJson = await publish('{not json');
    for (const [seq, name] of [
      [invalid.seq, 'PayloadValidationError'],
      [notJson.seq, 'PayloadValidationError'],
    ] as const) {
      const failed = await waitFor(`seq ${seq} to be terminated`, () =>
        app.events('message.failed').find((e) => e.streamSequence === seq),
      );
      expect(failed).toMatchObject({ terminated: true, errorName: name, deliveryCount: 1 });
    }
    // Both run at once, so either may fail first: find the invalid payload's failure by its sequence.
    expect(String(app.events('message.failed').find((e) => e.streamSequence === invalid.seq)!.errorMessage)).toMatch(/amount/);
    await new Promise((r) => setTimeout(r, 1000));
    expect(processed([app])).toHaveLength(0);
    expect(app.events('message.failed')).toHaveLength(2);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { duplicatesOf, inspect, NatsServer, processed, provision, publishBacklog, startConsumer, streamCount, waitFor, type AppProcess } from '#test-support';

/**
 * Handlers far longer than the ack wait, and more messages held than handlers
 * run: the running ones and the ones queued behind them pass several ack waits.
 * With max_deliver 2, one ack timeout is a redelivery and two a dead letter.
 */
const TOPOLOGY = { CONSUMER_ACK_WAIT_MS: '5000', CONSUMER_MAX_DELIVER: '2', CONSUMER_RETRY_DELAYS_MS: '200' };
const WORK_MS = 12_000;
const CONCURRENCY = 2;
const PREFETCH = 3;
const ORDERS = 4;

describe('ack wait: every held message is kept alive until it is settled', () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let publisher: NatsConnection;
  let app: AppProcess | undefined;

  beforeAll(async () => {
    nats = await NatsServer.start();
    await provision(nats, TOPOLOGY);
    ({ nc, jsm } = await inspect(nats));
    publisher = await nats.connect('producer');
  });

  afterAll(async () => {
    await app?.stop();
    await nc?.close();
    await publisher?.close();
    await nats?.dispose();
  });

  it(`runs ${WORK_MS / 1000} s handlers with a 5 s ack wait and a queue behind them: no redelivery, no dead letter`, async () => {
    const seqs = await publishBacklog(publisher, ORDERS, 'long');
    // The DLQ router runs in this process too, so an ack-timeout dead letter would be recorded.
    app = await startConsumer(nats, {
      CONSUMERS: 'fulfillment',
      ...TOPOLOGY,
      CONSUMER_CONCURRENCY: String(CONCURRENCY),
      CONSUMER_PREFETCH: String(PREFETCH),
      SIMULATED_WORK_MS: String(WORK_MS),
    });
    const held = await waitFor('every order held by the one process', async () => {
      const i = await jsm.consumers.info('ORDERS', 'fulfillment');
      return i.num_ack_pending === ORDERS ? i : undefined;
    });
    expect(held.num_pending).toBe(0);

    await waitFor('every order processed', () => processed([app!], 'fulfillment').length >= ORDERS, 3 * WORK_MS);
    const info = await waitFor('every order acked', async () => {
      const i = await jsm.consumers.info('ORDERS', 'fulfillment');
      return i.num_ack_pending === 0 ? i : undefined;
    });

    const done = processed([app], 'fulfillment');
    expect(new Set(done.map((p) => p.seq))).toEqual(new Set(seqs));
    expect(duplicatesOf(done.map((p) => p.seq)).duplicates).toBe(0);
    expect(done.every((p) => p.deliveryCount === 1)).toBe(true);
    // The consumer sequence counts every delivery: one per order means the server never redelivered.
    expect(info.delivered.consumer_seq).toBe(ORDERS);
    expect(info.num_redelivered).toBe(0);
    expect(await streamCount(nc, 'DLQ_ADVISORIES')).toBe(0);
    expect(await streamCount(nc, 'DLQ')).toBe(0);
    expect(app.events('message.keepalive-stopped')).toHaveLength(0);
    expect(app.events('message.failed')).toHaveLength(0);
  });
});

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  duplicatesOf,
  inspect,
  NatsServer,
  processed,
  provision,
  publishBacklog,
  startConsumer,
  waitFor,
  AppGroup,
  type AppProcess,
} from '#test-support';

const TOPOLOGY = { CONSUMER_ACK_WAIT_MS: '2000', CONSUMER_RETRY_DELAYS_MS: '200', CONSUMER_MAX_DELIVER: '10' };

describe('consumer processes: crashes, graceful shutdown, work sharing', () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  /** Publishes the backlogs, as a client publishing straight to NATS would. */
  let publisher: NatsConnection;
  let jsm: JetStreamManager;
  const apps = new AppGroup();

  const consumer = async (env: Record<string, string>, name?: string) => {
    const app = await startConsumer(nats, { CONSUMERS: 'fulfillment', ...TOPOLOGY, ...env }, name);
    await apps.add(app);
    return app;
  };
  const seqsOf = (list: AppProcess[]) => processed(list, 'fulfillment').map((p) => p.seq);
  const fulfillment = () => jsm.consumers.info('ORDERS', 'fulfillment');

  beforeAll(async () => {
    nats = await NatsServer.start();
    ({ nc } = await inspect(nats));
    jsm = await jetstreamManager(nc);
    publisher = await nats.connect('producer');
  });

  beforeEach(async () => {
    // A clean stream and durable per test, so counts belong to that test alone.
    await jsm.streams.delete('ORDERS').catch(() => undefined);
    await provision(nats, TOPOLOGY);
  });

  afterEach(async () => {
    await apps.stopAll();
  });

  afterAll(async () => {
    await nc?.close();
    await publisher?.close();
    await nats?.dispose();
  });

  it('loses nothing when a consumer is killed with SIGKILL in the middle of a 5,000-message backlog', async () => {
    const seqs = await publishBacklog(publisher, 5000, 'crash');
    const first = await consumer({ CONSUMER_CONCURRENCY: '32', CONSUMER_PREFETCH: '64', SIMULATED_WORK_MS: '2' });
    await waitFor('about 1,500 messages processed', () => seqsOf([first]).length >= 1500, 60_000);
    first.signal('SIGKILL');
    await first.waitForExit();
    const beforeCrash = seqsOf([first]).length;
    expect(beforeCrash).toBeLessThan(5000);

    const second = await consumer({ CONSUMER_CONCURRENCY: '32', CONSUMER_PREFETCH: '64' }, 'consumer-2');
    await waitFor('every message processed after the restart', () => new Set(seqsOf([first, second])).size >= 5000, 90_000);
    await waitFor('nothing pending or unacked', async () => {
      const i = await fulfillment();
      return i.num_pending === 0 && i.num_ack_pending === 0;
    });

    const all = seqsOf([first, second]);
    const { unique, duplicates } = duplicatesOf(all);
    expect(new Set(all)).toEqual(new Set(seqs));
    expect(unique).toBe(5000);
    // At-least-once: only messages in flight at the kill may be processed twice.
    expect(duplicates).toBeLessThanOrEqual(64 + 32);
    process.stdout.write(
      `crash test: ${beforeCrash} processed before SIGKILL, ${seqsOf([second]).length} after restart, ${duplicates} duplicates\n`,
    );
  });

  it('acks in-flight work on SIGTERM and exits cleanly; nothing is redelivered afterwards', async () => {
    await publishBacklog(publisher, 60, 'term');
    const app = await consumer({ CONSUMER_CONCURRENCY: '8', CONSUMER_PREFETCH: '8', SIMULATED_WORK_MS: '400' });
    await waitFor('processing under way', () => seqsOf([app]).length >= 8, 20_000);
    app.signal('SIGTERM');
    const exit = await app.waitForExit(20_000);
    // Nest re-raises the signal once its shutdown hooks have finished.
    expect(exit.code === 0 || exit.signal === 'SIGTERM').toBe(true);
    expect(app.events('consumer.stopped')).toHaveLength(1);

    const done = seqsOf([app]);
    const info = await fulfillment();
    // Every delivered message was acked before the process left.
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_redelivered).toBe(0);
    expect(info.delivered.stream_seq).toBe(Math.max(...done));
    expect(info.num_pending).toBe(60 - done.length);

    const next = await consumer({ CONSUMER_CONCURRENCY: '8' }, 'consumer-after-term');
    await waitFor('the rest processed', () => new Set(seqsOf([app, next])).size >= 60, 30_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(duplicatesOf(seqsOf([app, next])).duplicates).toBe(0);
    expect(processed([next]).every((p) => p.deliveryCount === 1)).toBe(true);
  });

  it('shares one durable between two processes: both work, nothing twice', async () => {
    await publishBacklog(publisher, 600, 'share');
    const env = { CONSUMER_CONCURRENCY: '4', CONSUMER_PREFETCH: '4', SIMULATED_WORK_MS: '20' };
    const [a, b] = await Promise.all([consumer(env, 'consumer-a'), consumer(env, 'consumer-b')]);
    await waitFor('all 600 processed', () => new Set(seqsOf([a, b])).size >= 600, 60_000);
    await new Promise((r) => setTimeout(r, 500));
    const counts = [seqsOf([a]).length, seqsOf([b]).length];
    expect(Math.min(...counts)).toBeGreaterThan(0);
    expect(duplicatesOf(seqsOf([a, b])).duplicates).toBe(0);
    process.stdout.write(`work sharing: consumer-a ${counts[0]}, consumer-b ${counts[1]}\n`);
  });
});

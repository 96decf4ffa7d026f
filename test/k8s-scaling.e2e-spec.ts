import { afterAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  duplicatesOf,
  inspect,
  NatsServer,
  processed,
  provision,
  publishBacklog,
  startConsumer,
  waitFor,
  type AppProcess,
} from '#test-support';

// What `kubectl scale` or KEDA does to the consumer Deployment, with processes:
// 1 consumer on a backlog, 3 more join while it drains, then 2 get SIGTERM (a
// scale-down). Nothing may be lost, nothing processed twice (no crash here), and
// the work must spread across every process.

const BACKLOG = 9000;
// Handlers wait (I/O-like work) rather than burn CPU, as real consumers mostly do;
// on a 2-core machine CPU-bound handlers could not show horizontal scaling.
const ENV = { CONSUMERS: 'fulfillment', CONSUMER_CONCURRENCY: '8', CONSUMER_PREFETCH: '8', SIMULATED_WORK_MS: '20' };
const WINDOW_MS = 3000;

describe('horizontal scaling of consumer processes on one durable', () => {
  let nats: NatsServer;
  const apps: AppProcess[] = [];

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    await nats?.dispose();
  });

  it('1 → 4 → 2 processes: nothing lost, no duplicates, work spread, throughput grows', async () => {
    nats = await NatsServer.start();
    await provision(nats);
    const { nc, jsm } = await inspect(nats);
    const publisher = await nats.connect('producer');
    const seqs = await publishBacklog(publisher, BACKLOG, 'scale');
    await publisher.close();
    const seqsOf = () => processed(apps, 'fulfillment').map((p) => p.seq);
    const rate = async () => {
      const before = seqsOf().length;
      const t0 = Date.now();
      await sleep(WINDOW_MS);
      return ((seqsOf().length - before) * 1000) / (Date.now() - t0);
    };

    apps.push(await startConsumer(nats, ENV, 'consumer-1'));
    await waitFor('first process under way', () => seqsOf().length >= 100, 20_000);
    const rate1 = await rate();

    // Scale out: three more replicas join the same durable while the backlog drains.
    apps.push(...(await Promise.all([2, 3, 4].map((i) => startConsumer(nats, ENV, `consumer-${i}`)))));
    await waitFor('every new process has work', () => apps.every((a) => processed([a]).length > 0), 20_000);
    const rate4 = await rate();
    const remainingAt4 = BACKLOG - new Set(seqsOf()).size;
    expect(remainingAt4).toBeGreaterThan(0);

    // Scale in: SIGTERM two replicas, as the Deployment controller does.
    const leaving = apps.slice(2, 4);
    for (const a of leaving) a.signal('SIGTERM');
    const exits = await Promise.all(leaving.map((a) => a.waitForExit(30_000)));
    for (const e of exits) expect(e.code === 0 || e.signal === 'SIGTERM').toBe(true);
    for (const a of leaving) expect(a.events('consumer.stopped')).toHaveLength(1);

    await waitFor('the whole backlog processed by the remaining two', () => new Set(seqsOf()).size >= BACKLOG, 90_000, 200);
    await waitFor('nothing pending or unacked', async () => {
      const i = await jsm.consumers.info('ORDERS', 'fulfillment');
      return i.num_pending === 0 && i.num_ack_pending === 0;
    });
    await sleep(300);

    const all = seqsOf();
    expect(new Set(all)).toEqual(new Set(seqs));
    expect(duplicatesOf(all).duplicates).toBe(0);
    const perProcess = apps.map((a) => processed([a], 'fulfillment').length);
    for (const n of perProcess) expect(n).toBeGreaterThan(0);
    expect(perProcess.reduce((a, b) => a + b, 0)).toBe(BACKLOG);
    // Four processes must outpace one clearly, even on two cores.
    expect(rate4).toBeGreaterThan(rate1 * 1.5);
    await nc.close();
    process.stdout.write(
      `scaling: throughput 1 process ${rate1.toFixed(0)} msg/s, 4 processes ${rate4.toFixed(0)} msg/s (x${(rate4 / rate1).toFixed(2)}); ` +
        `per process ${perProcess.join('/')}; ${remainingAt4} left when scaled in to 2\n`,
    );
  });
});

import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { DLQ_HEADERS, KvFailureRecorder } from '#jetstream';
import {
  DLQ_TEST_TOPOLOGY,
  dlqRecords,
  inspect,
  NatsServer,
  order,
  provision,
  startFlaky,
  startRouter,
  streamCount,
  topologyFor,
  waitFor,
  AppGroup,
  type AppProcess,
} from '#test-support';
import { AckPolicy, jetstream, RetentionPolicy, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

const latencies: number[] = [];

describe('dead-letter routing: advisories → DLQ records', () => {
  let nats: NatsServer;
  /** The operator: inspects, and plays the other team owning WQTEST. */
  let nc: NatsConnection;
  /** Publishes orders as a client sending straight to NATS (the producer user). */
  let publisher: NatsConnection;
  let jsm: JetStreamManager;
  const apps = new AppGroup();
  const keep = (p: Promise<AppProcess>) => apps.add(p);
  const publish = (payload: object) => jetstream(publisher).publish('orders.created.eu.std', JSON.stringify(payload));
  const recordsFor = async (seqs: number[]) =>
    (await dlqRecords(nc)).filter((r) => r.header.get(DLQ_HEADERS.stream) === 'ORDERS' && seqs.includes(Number(r.header.get(DLQ_HEADERS.streamSequence))));

  beforeAll(async () => {
    // The dlq user may copy and delete dead messages of WQTEST too: it is one of DLQ_EXTRA_STREAMS.
    nats = await NatsServer.start({ topology: topologyFor({ DLQ_EXTRA_STREAMS: 'WQTEST' }) });
    ({ nc, jsm } = await inspect(nats));
    publisher = await nats.connect('producer');
    // A WorkQueue stream owned by "another team", declared before provisioning so its advisories are captured too.
    await jsm.streams.add({ name: 'WQTEST', subjects: ['wq.>'], retention: RetentionPolicy.Workqueue });
    await jsm.consumers.add('WQTEST', { durable_name: 'wq-worker', ack_policy: AckPolicy.Explicit, max_deliver: 2 });
    await provision(nats, { ...DLQ_TEST_TOPOLOGY, DLQ_EXTRA_STREAMS: 'WQTEST' });
  });

  afterEach(async () => {
    await apps.stopAll();
  });

  afterAll(async () => {
    if (latencies.length > 0) {
      const sorted = [...latencies].sort((a, b) => a - b);
      process.stdout.write(
        `DLQ routing latency, last failed attempt → DLQ record: median ${sorted[Math.floor(sorted.length / 2)]} ms, worst ${sorted.at(-1)} ms over ${sorted.length} records\n`,
      );
    }
    await nc?.close();
    await publisher?.close();
    await nats?.dispose();
  });

  it('dead-letters a message after exactly max_deliver attempts, with the handler error', async () => {
    const router = await keep(startRouter(nats, { DLQ_EXTRA_STREAMS: 'WQTEST' }));
    const flaky = await keep(startFlaky(nats, -1));
    const o = order();
    const { seq } = await publish(o);
    const others: number[] = [];
    for (let i = 0; i < 19; i++) others.push((await publish(order())).seq);
    const [record] = await waitFor('the DLQ record', async () => {
      const r = await recordsFor([seq]);
      return r.length > 0 ? r : null;
    });
    const all = await waitFor('20 DLQ records', async () => {
      const r = await recordsFor([seq, ...others]);
      return r.length >= 20 ? r : null;
    });
    await new Promise((r) => setTimeout(r, 800));
    const attempts = flaky.events('attempt').filter((a) => a.seq === seq) as unknown as { deliveryCount: number; at: number }[];
    expect(attempts.map((a) => a.deliveryCount)).toEqual([1, 2, 3]);
    expect(await recordsFor([seq])).toHaveLength(1);
    expect(record!.json()).toEqual(o);
    expect(record!.subject).toBe('dlq.ORDERS.fulfillment');
    expect(record!.header.get(DLQ_HEADERS.kind)).toBe('max_deliveries');
    expect(record!.header.get(DLQ_HEADERS.deliveryCount)).toBe('3');
    expect(record!.header.get(DLQ_HEADERS.reason)).toBe('Error: simulated failure on attempt 3');
    expect(record!.header.get(DLQ_HEADERS.subject)).toBe('orders.created.eu.std');
    expect(record!.header.get('Nats-Msg-Id')).toBe(`ORDERS:${seq}:fulfillment`);
    expect(Date.parse(record!.header.get(DLQ_HEADERS.firstFailureAt))).toBeLessThan(Date.parse(record!.header.get(DLQ_HEADERS.lastFailureAt)));
    for (const r of all) {
      const last = flaky.events('attempt').filter((a) => a.seq === Number(r.header.get(DLQ_HEADERS.streamSequence))).at(-1) as unknown as { at: number };
      latencies.push(Date.parse(r.header.get(DLQ_HEADERS.routedAt)) - last.at);
    }
    expect(router.events('dlq.routed').length).toBeGreaterThan(0);
  });

  it('dead-letters a terminated message at once, keeping the reason', async () => {
    await keep(startRouter(nats, { DLQ_EXTRA_STREAMS: 'WQTEST' }));
    await keep(startFlaky(nats, 0));
    const { seq } = await publish(order({ customerId: 'blocked' }));
    const [record] = await waitFor('the DLQ record', async () => {
      const r = await recordsFor([seq]);
      return r.length > 0 ? r : null;
    });
    expect(record!.header.get(DLQ_HEADERS.kind)).toBe('terminated');
    expect(record!.header.get(DLQ_HEADERS.deliveryCount)).toBe('1');
    expect(record!.header.get(DLQ_HEADERS.reason)).toBe('NonRetryableError: customer blocked is blocked');
    expect(record!.header.get(DLQ_HEADERS.errorName)).toBe('NonRetryableError');
  });

  it('routes every advisory raised while no router ran, once it starts, none twice', async () => {
    await keep(startFlaky(nats, -1));
    const seqs: number[] = [];
    for (let i = 0; i < 10; i++) seqs.push((await publish(order())).seq);
    await waitFor('10 advisories waiting', async () => (await streamCount(nc, 'DLQ_ADVISORIES')) >= 10, 20_000);
    expect(await recordsFor(seqs)).toHaveLength(0);

    await keep(startRouter(nats, { DLQ_EXTRA_STREAMS: 'WQTEST' }));
    await waitFor('10 records', async () => (await recordsFor(seqs)).length >= 10, 20_000);
    await waitFor('the advisory stream drained', async () => (await streamCount(nc, 'DLQ_ADVISORIES')) === 0);
    const records = await recordsFor(seqs);
    expect(records.map((r) => Number(r.header.get(DLQ_HEADERS.streamSequence))).sort((a, b) => a - b)).toEqual(seqs);
  });

  it('loses and duplicates nothing when the router is killed with SIGKILL mid-routing', async () => {
    const flaky = await keep(startFlaky(nats, 0));
    const total = 400;
    const seqs: number[] = [];
    const js = jetstream(publisher);
    for (let i = 0; i < total; i += 100) {
      const acks = await Promise.all(
        Array.from({ length: 100 }, () => js.publish('orders.created.eu.std', JSON.stringify(order({ customerId: 'blocked' })))),
      );
      seqs.push(...acks.map((a) => a.seq));
    }
    await waitFor('all terminated', () => flaky.events('attempt').length >= total, 60_000);
    await waitFor(`${total} advisories waiting`, async () => (await streamCount(nc, 'DLQ_ADVISORIES')) >= total, 20_000);

    const router = await keep(startRouter(nats, { DLQ_EXTRA_STREAMS: 'WQTEST' }, 'router-1'));
    await waitFor('routing under way', () => router.events('dlq.routed').length >= 20, 30_000, 10);
    router.signal('SIGKILL');
    await router.waitForExit();
    const routedBeforeKill = (await recordsFor(seqs)).length;
    expect(routedBeforeKill).toBeLessThan(total);
    await keep(startRouter(nats, { DLQ_EXTRA_STREAMS: 'WQTEST' }, 'router-2'));
    await waitFor('every advisory routed', async () => (await streamCount(nc, 'DLQ_ADVISORIES')) === 0, 60_000);
    const records = await recordsFor(seqs);
    const unique = new Set(records.map((r) => r.header.get(DLQ_HEADERS.streamSequence)));
    expect(unique.size).toBe(total);
    expect(records).toHaveLength(total);
    process.stdout.write(`router SIGKILL: ${routedBeforeKill}/${total} routed before the kill, ${total} records after restart, 0 duplicates\n`);
  });

  it('copies then removes dead messages of a WorkQueue stream, for max deliveries and for term()', async () => {
    await keep(startRouter(nats, { DLQ_EXTRA_STREAMS: 'WQTEST' }));
    const js = jetstream(nc);
    const naked = await js.publish('wq.jobs', JSON.stringify({ job: 'nak-me' }), { headers: undefined });
    const termed = await js.publish('wq.jobs', JSON.stringify({ job: 'term-me' }));
    const recorder = new KvFailureRecorder(nc, 'nestjet_failures');
    const consumer = await js.consumers.get('WQTEST', 'wq-worker');
    // A minimal worker: nak the first job until max_deliver, terminate the second after copying it.
    const deadline = Date.now() + 10_000;
    let termedDone = false;
    let naks = 0;
    while (Date.now() < deadline && (!termedDone || naks < 2)) {
      const m = await consumer.next({ expires: 1000 });
      if (!m) continue;
      if (m.seq === termed.seq) {
        await recorder.onFailure({
          stream: 'WQTEST',
          consumer: 'wq-worker',
          subject: m.subject,
          streamSequence: m.seq,
          deliveryCount: m.info.deliveryCount,
          maxDeliver: 2,
          errorName: 'NonRetryableError',
          errorMessage: 'unknown job',
          handler: 'wq.jobs',
          final: true,
          terminated: true,
          at: new Date(),
          original: { data: m.data, headers: [] },
        });
        m.term('NonRetryableError: unknown job');
        termedDone = true;
      } else {
        m.nak(50);
        naks++;
      }
    }
    // The server raises max-deliveries when it would deliver again, i.e. on the next pull.
    expect(await consumer.next({ expires: 1000 })).toBeNull();
    const records = await waitFor('both WQ records', async () => {
      const r = (await dlqRecords(nc)).filter((x) => x.header.get(DLQ_HEADERS.stream) === 'WQTEST');
      return r.length >= 2 ? r : null;
    });
    const bySeq = new Map(records.map((r) => [Number(r.header.get(DLQ_HEADERS.streamSequence)), r]));
    expect(bySeq.get(naked.seq)!.json()).toEqual({ job: 'nak-me' });
    expect(bySeq.get(naked.seq)!.header.get(DLQ_HEADERS.kind)).toBe('max_deliveries');
    expect(bySeq.get(termed.seq)!.json()).toEqual({ job: 'term-me' });
    expect(bySeq.get(termed.seq)!.header.get(DLQ_HEADERS.reason)).toBe('NonRetryableError: unknown job');
    await waitFor('the WorkQueue stream emptied', async () => (await streamCount(nc, 'WQTEST')) === 0);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { ProcessedMarkers } from '#jetstream';
import type { TestNatsUser } from '#testing';
import { DLQ_TEST_TOPOLOGY, NatsServer, order, provision, streamCount, waitFor } from '#test-support';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';

/**
 * Least privilege per consumer group, enforced by a real nats-server with the
 * generated users: `consumer-orders` (fulfillment, notifications, fraud-review,
 * the stock reservations) and `consumer-ledger` (the ledger's partitions) may
 * each touch only their own durables, processed-markers, failure records, dead
 * letters and presence subjects.
 */
const PERMISSION_DENIED = /Permissions Violation for Publish to/;
/** A processed-marker's key as the transport writes it (idempotency-key.ts): `<durable>.<sha-256 of the message key>`. */
const markerKey = (durable: string, messageKey: string) => `${durable}.${createHash('sha256').update(messageKey).digest('base64url')}`;
const refused = (p: Promise<unknown>) => p.then(() => 'allowed', (e: Error) => e.message);

async function as<T>(nats: NatsServer, user: TestNatsUser, use: (nc: NatsConnection) => Promise<T>): Promise<T> {
  const nc = await nats.connect(user);
  try {
    return await use(nc);
  } finally {
    await nc.close();
  }
}

/** Each group's own durable and the other group's, as the tests play them against each other. */
const GROUPS = [
  { user: 'consumer-orders', own: 'fulfillment', foreign: 'ledger-p0' },
  { user: 'consumer-ledger', own: 'ledger-p0', foreign: 'fulfillment' },
] as const;

describe('Consumer groups: each group\'s NATS user holds only its own keys', () => {
  let nats: NatsServer;

  beforeAll(async () => {
    nats = await NatsServer.start();
    await provision(nats, DLQ_TEST_TOPOLOGY);
  });

  afterAll(async () => {
    await nats?.dispose();
  });

  it('writes and reads its own processed-markers and is refused the other group\'s, by write and by read', async () => {
    // The bar: what one group marks, the other cannot forge nor probe.
    await as(nats, 'consumer-orders', (nc) => new ProcessedMarkers(nc).record(markerKey('fulfillment', 'order-1'), 60_000));
    for (const g of GROUPS) {
      await as(nats, g.user, async (nc) => {
        const markers = new ProcessedMarkers(nc);
        const mine = markerKey(g.own, `${g.user}-own`);
        await markers.record(mine, 60_000);
        expect(await markers.seen(mine)).toBe(true);
        const theirs = markerKey(g.foreign, `${g.user}-forged`);
        expect({ write: await refused(markers.record(theirs, 60_000)) }).toEqual({ write: expect.stringMatching(PERMISSION_DENIED) });
        expect({ read: await refused(markers.seen(markerKey(g.foreign, 'order-1'))) }).toEqual({ read: expect.stringMatching(PERMISSION_DENIED) });
        // Around the key permissions: the bucket's stream by sequence or by subject in the body, and a KV without direct gets.
        const jsm = await jetstreamManager(nc, { checkAPI: false });
        for (const query of [{ seq: 1 }, { last_by_subj: `$KV.nestjet_processed.${theirs}` }]) {
          expect({ query, outcome: await refused(jsm.streams.getMessage('KV_nestjet_processed', query)) }).toEqual({ query, outcome: expect.stringMatching(PERMISSION_DENIED) });
        }
        const plain = await new Kvm(nc).open('nestjet_processed');
        expect(await refused(plain.get(theirs))).toMatch(PERMISSION_DENIED);
        expect(await refused(plain.delete(markerKey(g.foreign, 'order-1')))).toMatch(PERMISSION_DENIED);
      });
    }
    await as(nats, 'operator', async (nc) => {
      const kv = await new Kvm(nc).open('nestjet_processed');
      expect((await kv.get(markerKey('fulfillment', 'order-1')))?.operation).toBe('PUT');
      for (const g of GROUPS) expect(await kv.get(markerKey(g.foreign, `${g.user}-forged`))).toBeNull();
    });
  });

  it('writes its own failure records and is refused the other group\'s', async () => {
    for (const g of GROUPS) {
      await as(nats, g.user, async (nc) => {
        const kv = await new Kvm(nc).open('nestjet_failures', { allow_direct: true });
        await kv.put(`ORDERS.7.${g.own}`, '{}');
        expect((await kv.get(`ORDERS.7.${g.own}`))?.operation).toBe('PUT');
        expect(await refused(kv.put(`ORDERS.7.${g.foreign}`, '{}'))).toMatch(PERMISSION_DENIED);
        expect(await refused(kv.get(`ORDERS.7.${g.foreign}`))).toMatch(PERMISSION_DENIED);
        await kv.delete(`ORDERS.7.${g.own}`);
      });
    }
  });

  it('pulls its own durables and is refused the other group\'s', async () => {
    await as(nats, 'producer', (nc) => jetstream(nc).publish('orders.created.eu.std.p0', JSON.stringify(order())));
    for (const g of GROUPS) {
      const before = await as(nats, 'operator', async (nc) => (await (await jetstreamManager(nc)).consumers.info('ORDERS', g.foreign)).delivered.consumer_seq);
      await as(nats, g.user, async (nc) => {
        const foreign = await jetstream(nc).consumers.get('ORDERS', g.foreign);
        // The pull request itself is refused: nothing arrives, whatever nats.js makes of the refusal.
        expect(await foreign.next({ expires: 1_000 }).catch(() => null)).toBeNull();
        const own = await jetstream(nc).consumers.get('ORDERS', g.own);
        // A partition durable is pulled through its pinned priority group.
        const m = await own.next({ expires: 5_000, ...(g.own.startsWith('ledger') ? { group: 'pinned' } : {}) });
        expect(m?.subject).toBe('orders.created.eu.std.p0');
        await m!.ackAck();
      });
      const after = await as(nats, 'operator', async (nc) => (await (await jetstreamManager(nc)).consumers.info('ORDERS', g.foreign)).delivered.consumer_seq);
      expect({ durable: g.foreign, delivered: after }).toEqual({ durable: g.foreign, delivered: before });
      expect(nats.violations().some((l) => l.includes(`user:${g.user}`) && l.includes(`$JS.API.CONSUMER.MSG.NEXT.ORDERS.${g.foreign}`))).toBe(true);
    }
  });

  it('dead-letters only on dlq.<stream>.<its own durable>; no rejected advisories, deletes, purges or DLQ reads', async () => {
    for (const g of GROUPS) {
      await as(nats, g.user, async (nc) => {
        const js = jetstream(nc);
        const ack = await js.publish(`dlq.ORDERS.${g.own}`, '{}');
        expect(ack.stream).toBe('DLQ');
        for (const subject of [`dlq.ORDERS.${g.foreign}`, 'dlq.ORDERS.notifications-x', 'dlq.rejected', 'dlq.WQTEST.anything']) {
          if (subject === `dlq.ORDERS.${g.own}`) continue;
          expect({ subject, outcome: await refused(js.publish(subject, '{}')) }).toEqual({ subject, outcome: expect.stringMatching(PERMISSION_DENIED) });
        }
        const jsm = await jetstreamManager(nc, { checkAPI: false });
        const forbidden: [string, () => Promise<unknown>][] = [
          ['ORDERS message delete', () => jsm.streams.deleteMessage('ORDERS', 1)],
          ['ORDERS purge', () => jsm.streams.purge('ORDERS')],
          ['DLQ message delete', () => jsm.streams.deleteMessage('DLQ', ack.seq)],
          ['DLQ read', () => jsm.streams.getMessage('DLQ', { seq: ack.seq })],
          ['DLQ direct read', () => jsm.direct.getMessage('DLQ', { seq: ack.seq })],
          ['ORDERS read', () => jsm.streams.getMessage('ORDERS', { seq: 1 })],
          ['schedule a copy', () => js.publish('schedules.pending.group-test', '{}')],
        ];
        for (const [what, call] of forbidden) expect({ what, outcome: await refused(call()) }).toEqual({ what, outcome: expect.stringMatching(PERMISSION_DENIED) });
      });
    }
    expect(await as(nats, 'operator', (nc) => streamCount(nc, 'DLQ'))).toBe(2);
    expect(await as(nats, 'operator', (nc) => streamCount(nc, 'ORDERS'))).toBeGreaterThan(0);
  });

  it('reads and writes the app bucket of its own group only (stock reservations: orders)', async () => {
    await as(nats, 'consumer-orders', async (nc) => {
      const kv = await new Kvm(nc).open('stock_reservations');
      await kv.put('group-test', '{}');
      expect((await kv.get('group-test'))?.operation).toBe('PUT');
    });
    await as(nats, 'consumer-ledger', async (nc) => {
      const kv = await new Kvm(nc).open('stock_reservations', { allow_direct: true });
      expect(await refused(kv.put('group-test', '{"forged":true}'))).toMatch(PERMISSION_DENIED);
      expect(await refused(kv.get('group-test'))).toMatch(PERMISSION_DENIED);
    });
  });

  it('announces presence only for its own durables, so nobody else can beacon for them', async () => {
    const heard: string[] = [];
    const watcher = await nats.connect('producer');
    const sub = watcher.subscribe('nestjet.presence.>', { callback: (_err, m) => void heard.push(`${m.subject} ${m.string()}`) });
    await watcher.flush();
    for (const g of GROUPS) {
      await as(nats, g.user, async (nc) => {
        nc.publish(`nestjet.presence.ORDERS.${g.own}`, JSON.stringify({ worker: `${g.user}-real` }));
        nc.publish(`nestjet.presence.ORDERS.${g.foreign}`, JSON.stringify({ worker: `${g.user}-spoof` }));
        await nc.flush();
      });
    }
    await waitFor('both real beacons', () => heard.filter((h) => h.includes('-real')).length === 2);
    await watcher.flush();
    sub.unsubscribe();
    await watcher.close();
    expect(heard.filter((h) => h.includes('-spoof'))).toEqual([]);
    for (const g of GROUPS) expect(nats.violations().some((l) => l.includes(`user:${g.user}`) && l.includes(`nestjet.presence.ORDERS.${g.foreign}`))).toBe(true);
  });
});

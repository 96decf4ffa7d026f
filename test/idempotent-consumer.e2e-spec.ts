import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { AppGroup, type Broker, order, provision, publishBacklog, startBroker, startConsumer, waitFor, type AppProcess } from '#test-support';

/** fulfillment is idempotent (marker + its reservation inbox); notifications, on the same orders, is plain. */
const CONSUMERS = 'fulfillment,notifications';

interface Handled {
  consumer: string;
  orderId: string;
  seq: number;
  effect?: string;
}

const handled = (apps: AppProcess[], consumer: string) =>
  apps.flatMap((a) => a.events('message.processed')).map((e) => e as unknown as Handled).filter((e) => e.consumer === consumer);
const skipped = (apps: AppProcess[], consumer: string) => apps.flatMap((a) => a.events('message.already-processed')).filter((e) => e.consumer === consumer);
const countBy = (items: string[]) => items.reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map<string, number>());

describe('idempotent handlers: a processed-marker per consumer and message, the inbox behind it', () => {
  let broker: Broker;
  const apps = new AppGroup();

  beforeAll(async () => {
    // Each group provisions its own topology settings.
    broker = await startBroker();
  });

  afterEach(() => apps.stopAll());

  afterAll(() => broker?.dispose());

  describe('a message published again after the duplicate window', () => {
    const TOPOLOGY = { STREAM_DUPLICATE_WINDOW_MS: '1000', CONSUMER_IDEMPOTENCY_HORIZON_MS: '5000' };

    beforeEach(async () => {
      await broker.jsm.streams.delete('ORDERS').catch(() => undefined);
      await provision(broker.nats, TOPOLOGY);
    });

    it('is skipped by the idempotent consumer while its marker lives, processed again by the plain one; after the horizon the inbox still holds', async () => {
      const app = await apps.add(startConsumer(broker.nats, { CONSUMERS, ...TOPOLOGY }));
      const o = order();
      const publish = () => jetstream(broker.publisher).publish('orders.created.eu.std', JSON.stringify(o), { msgID: `again-${o.orderId as string}` });
      const first = await publish();
      await waitFor('both consumers handled it', () => handled([app], 'fulfillment').length === 1 && handled([app], 'notifications').length === 1);
      expect(handled([app], 'fulfillment')[0]).toMatchObject({ seq: first.seq, effect: 'reserved' });

      const kv = await new Kvm(broker.nc).open('nestjet_processed');
      const keys = async (filter: string) => {
        const out: string[] = [];
        for await (const k of await kv.keys(filter)) out.push(k);
        return out;
      };
      const [marker] = await keys('fulfillment.>');
      expect(marker).toMatch(/^fulfillment\.[A-Za-z0-9_-]{43}$/);
      expect(await keys('notifications.>')).toEqual([]);

      await sleep(1500);
      const second = await publish();
      expect(second).toMatchObject({ duplicate: false });
      expect(second.seq).toBeGreaterThan(first.seq);
      await waitFor('notifications handled it again', () => handled([app], 'notifications').length === 2);
      await waitFor('fulfillment skipped it', () => skipped([app], 'fulfillment').some((e) => e.streamSequence === second.seq));
      expect(handled([app], 'fulfillment')).toHaveLength(1);

      // Past the horizon the marker has expired; the handler runs, and its inbox (the reservation) refuses a second effect.
      await waitFor('the marker to expire', async () => (await kv.get(marker!))?.operation !== 'PUT', 10_000, 200);
      const third = await publish();
      await waitFor('fulfillment ran again', () => handled([app], 'fulfillment').length === 2);
      expect(handled([app], 'fulfillment')[1]).toMatchObject({ seq: third.seq, effect: 'already-reserved' });
      const fulfillment = await broker.jsm.consumers.info('ORDERS', 'fulfillment');
      expect([fulfillment.num_ack_pending, fulfillment.num_pending]).toEqual([0, 0]);
    }, 30_000);
  });

  describe('a kill loop (SIGKILL twice in a 3,000-order backlog)', () => {
    const TOPOLOGY = { CONSUMER_ACK_WAIT_MS: '2000', CONSUMER_RETRY_DELAYS_MS: '200', CONSUMER_MAX_DELIVER: '10' };
    const ORDERS = 3000;

    beforeEach(async () => {
      await broker.jsm.streams.delete('ORDERS').catch(() => undefined);
      await broker.jsm.streams.delete('KV_stock_reservations').catch(() => undefined);
      await broker.jsm.streams.delete('KV_nestjet_processed').catch(() => undefined);
      await provision(broker.nats, TOPOLOGY);
    });

    it('gives each order exactly one reservation and no second fulfillment; the plain consumer processes some twice; nothing is lost', async () => {
      await publishBacklog(broker.publisher, ORDERS, 'kill');
      const env = { CONSUMERS, ...TOPOLOGY, CONSUMER_CONCURRENCY: '32', CONSUMER_PREFETCH: '64', SIMULATED_WORK_MS: '2' };
      const runs: AppProcess[] = [];
      for (const [n, killAt] of [[1, 800], [2, 1800]] as const) {
        const app = await apps.add(startConsumer(broker.nats, env, `consumer-${n}`));
        runs.push(app);
        // Killed by the faster (plain) consumer's progress, so both have work in flight.
        await waitFor(`${killAt} orders notified`, () => new Set(handled(runs, 'notifications').map((h) => h.orderId)).size >= killAt && handled([app], 'fulfillment').length > 0, 60_000, 10);
        app.signal('SIGKILL');
        await app.waitForExit();
      }
      runs.push(await apps.add(startConsumer(broker.nats, env, 'consumer-3')));
      await waitFor('every order handled by both', () =>
        new Set(handled(runs, 'fulfillment').map((h) => h.orderId)).size >= ORDERS && new Set(handled(runs, 'notifications').map((h) => h.orderId)).size >= ORDERS,
      90_000);
      await waitFor('nothing pending or unacked', async () => {
        const infos = await Promise.all(['fulfillment', 'notifications'].map((c) => broker.jsm.consumers.info('ORDERS', c)));
        return infos.every((i) => i.num_pending === 0 && i.num_ack_pending === 0);
      }, 30_000);

      // The effect is the reservation in the store, not a log line: a SIGKILL after the store confirmed it and before
      // the handler logged leaves a reservation without a 'reserved' line, and the rerun finds it ('already-reserved').
      const reservations = new Kvm(broker.nc).open('stock_reservations');
      const reserved: string[] = [];
      for await (const key of await (await reservations).keys()) {
        reserved.push((await (await reservations).get(key))!.json<{ orderId: string }>().orderId);
      }
      const caughtByInbox = handled(runs, 'fulfillment').filter((h) => h.effect === 'already-reserved').length;
      const notified = countBy(handled(runs, 'notifications').map((h) => h.orderId));
      const notifiedTwice = [...notified.values()].filter((n) => n > 1).length;

      expect(reserved).toHaveLength(ORDERS);
      expect(new Set(reserved).size).toBe(ORDERS);
      expect((await broker.jsm.streams.info('KV_stock_reservations')).state.messages).toBe(ORDERS);
      expect(notified.size).toBe(ORDERS);
      expect(notifiedTwice).toBeGreaterThan(0);
      process.stdout.write(
        `kill loop: ${ORDERS} orders, 2 SIGKILLs; fulfillment (idempotent): ${reserved.length} reservations, ${reserved.length - new Set(reserved).size} twice, ` +
          `${skipped(runs, 'fulfillment').length} redeliveries skipped by the marker, ${caughtByInbox} re-runs whose effect the inbox refused (a crash between effect and marker); ` +
          `notifications (plain): ${notifiedTwice} orders processed twice\n`,
      );
    }, 240_000);
  });
});

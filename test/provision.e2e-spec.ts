import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AppProcess, ENTRYPOINTS, inspect, NatsServer, provision, waitFor } from '#test-support';
import { jetstream, StorageType } from '@nats-io/jetstream';

describe('provision command', () => {
  let nats: NatsServer;

  beforeAll(async () => {
    nats = await NatsServer.start();
  });

  afterAll(async () => {
    await nats?.dispose();
  });

  const run = async (args: string[], env: Record<string, string> = {}) => {
    const app = await AppProcess.start('provision', ENTRYPOINTS.provision, { ...nats.env('provisioner'), ...env }, undefined, undefined, args);
    return { app, exit: await app.waitForExit() };
  };

  it('creates, then leaves unchanged, then updates what changed', async () => {
    expect(await provision(nats)).toMatch(/stream\s+ORDERS\s+created[\s\S]*consumer\s+ORDERS\/fulfillment\s+created/);
    const again = await provision(nats);
    expect(again).not.toMatch(/created|updated/);
    const changed = await provision(nats, { CONSUMER_MAX_DELIVER: '9', STREAM_MAX_AGE_MS: '3600000' });
    expect(changed).toMatch(/stream\s+ORDERS\s+updated\n\s+updated max_age/);
    expect(changed).toMatch(/updated max_deliver: \d+ -> 9/);
  });

  it("moves durables provisioned before redelivery subjects onto their own: the stream stores them, each filter adds its durable's", async () => {
    const { nc, jsm } = await inspect(nats);
    try {
      // As an earlier release left them: the topic subjects only, due schedules through one source, one filter per durable.
      const stream = (await jsm.streams.info('ORDERS')).config;
      const topicSource = { name: 'SCHEDULES', subject_transforms: [{ src: 'schedules.due.orders.>', dest: 'orders.>' }] };
      await jsm.streams.update('ORDERS', { ...stream, subjects: ['orders.>'], sources: [topicSource] });
      await jsm.consumers.update('ORDERS', 'fulfillment', { filter_subject: 'orders.created.>', filter_subjects: [] });
      await jsm.consumers.update('ORDERS', 'ledger-p3', { filter_subject: 'orders.created.*.*.p3', filter_subjects: [] });
      // A schedule that fell due before the upgrade: sourced into ORDERS once, still held in SCHEDULES (24 h).
      await jetstream(nc).publish('schedules.due.orders.paid.eu.std', '{}');
      const dueInOrders = async () => (await jsm.streams.info('ORDERS', { subjects_filter: 'orders.paid.eu.std' })).state.subjects?.['orders.paid.eu.std'] ?? 0;
      await waitFor('the due message in ORDERS', async () => ((await dueInOrders()) === 1 ? true : null));

      const output = await provision(nats);
      expect(output).toMatch(/stream\s+ORDERS\s+updated[\s\S]*updated subjects: \["orders\.>"\] -> \["orders\.>","nestjet-redeliver\.ORDERS\.>"\]/);
      expect(output).toMatch(/consumer\s+ORDERS\/fulfillment\s+updated/);
      const upgraded = (await jsm.streams.info('ORDERS')).config;
      expect(upgraded.subjects).toEqual(['orders.>', 'nestjet-redeliver.ORDERS.>']);
      // The running source is left as it was, so the server does not start it afresh and copy that due message again.
      expect(upgraded.sources?.map((s) => [s.name, s.subject_transforms])).toEqual([
        ['SCHEDULES', topicSource.subject_transforms],
        ['SCHEDULES', [{ src: 'schedules.due.nestjet-redeliver.ORDERS.>', dest: 'nestjet-redeliver.ORDERS.>' }]],
      ]);
      await new Promise((r) => setTimeout(r, 1_500));
      expect(await dueInOrders()).toBe(1);
      const fulfillment = (await jsm.consumers.info('ORDERS', 'fulfillment')).config;
      expect([fulfillment.filter_subject ?? '', fulfillment.filter_subjects]).toEqual(['', ['orders.created.>', 'nestjet-redeliver.ORDERS.fulfillment.>']]);
      // A partition durable keeps its partition and its pinned priority group, and gains only its own copies.
      const ledger = (await jsm.consumers.info('ORDERS', 'ledger-p3')).config;
      expect(ledger.filter_subjects).toEqual(['orders.created.*.*.p3', 'nestjet-redeliver.ORDERS.ledger-p3.>']);
      expect(ledger.priority_groups).toEqual(['pinned']);
      expect(await provision(nats)).not.toMatch(/created|updated/);
    } finally {
      await nc.close();
    }
  });

  it('reports drift it cannot update, and fails with --strict', async () => {
    const { nc, jsm } = await inspect(nats);
    await jsm.streams.delete('ORDERS');
    await jsm.streams.add({ name: 'ORDERS', subjects: ['orders.>'], storage: StorageType.Memory });
    await nc.close();
    // A small max_bytes so the in-place update fits the test server's memory store.
    const output = await provision(nats, { STREAM_MAX_BYTES: '1000000' });
    expect(output).toMatch(/DRIFT\s+storage: server has "memory", declared "file"/);
    expect((await run(['--strict'], { STREAM_MAX_BYTES: '1000000' })).exit.code).toBe(2);
  });

  it('refuses bad configuration and bad arguments with a clear message', async () => {
    const bad = await run([], { NATS_URL: 'http://nope', CONSUMER_MAX_DELIVER: 'zero' });
    expect(bad.exit.code).toBe(1);
    expect(bad.app.raw.join('\n')).toMatch(/invalid configuration[\s\S]*NATS_URL[\s\S]*CONSUMER_MAX_DELIVER \("zero"\)/);
    const args = await run(['--bogus']);
    expect(args.exit.code).toBe(64);
    expect(args.app.raw.join('\n')).toMatch(/unknown argument\(s\) --bogus/);
  });
});

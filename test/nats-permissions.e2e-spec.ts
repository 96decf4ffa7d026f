import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildTopology, consumerGroupMembers } from '#contracts';
import { connectNats, ConfigurationError, natsPermissions, natsUsers } from '#jetstream';
import type { TestNatsUser } from '#testing';
import {
  AppGroup,
  AppProcess,
  authHeaders,
  DLQ_TEST_TOPOLOGY,
  ENTRYPOINTS,
  inspect,
  NatsServer,
  order,
  postJson,
  processed,
  provision,
  ROOT,
  startConsumer,
  startProducer,
  streamCount,
  topologyFor,
  waitFor,
} from '#test-support';
import { AckPolicy, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';

const PERMISSION_DENIED = /Permissions Violation for Publish to/;

/** The ack subject the server delivered the message with (JsMsgImpl has it; the JsMsg type does not expose it). */
const ackSubject = (m: JsMsg) => (m as unknown as { reply: string }).reply;
const FORGED_ADVISORY = '$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.ORDERS.x';
/** Every user an app or test connects as: the components, each consumer group's, and the tests' all-groups `consumer`. */
const APP_USERS: TestNatsUser[] = [...natsUsers(topologyFor()), 'consumer'];
const GROUP_USERS = APP_USERS.filter((u) => u.startsWith('consumer'));

/** Connects as each component, runs `use`, closes. */
async function as<T>(nats: NatsServer, component: TestNatsUser, use: (nc: NatsConnection) => Promise<T>): Promise<T> {
  const nc = await nats.connect(component);
  try {
    return await use(nc);
  } finally {
    await nc.close();
  }
}

describe('NATS least privilege: the server enforces each component’s permissions', () => {
  let nats: NatsServer;

  beforeAll(async () => {
    nats = await NatsServer.start();
    await provision(nats, DLQ_TEST_TOPOLOGY);
  });

  afterAll(async () => {
    await nats?.dispose();
  });

  it('refuses anonymous connections and wrong passwords', async () => {
    await expect(connect({ servers: nats.url, maxReconnectAttempts: 0 })).rejects.toThrow(/Authorization Violation/);
    await expect(connect({ servers: nats.url, user: 'producer', pass: 'not-the-password', maxReconnectAttempts: 0 })).rejects.toThrow(/Authorization Violation/);
  });

  it('producer publishes and reads stream info but cannot create, update, delete or purge streams and consumers', async () => {
    await as(nats, 'producer', async (nc) => {
      const jsm = await jetstreamManager(nc, { checkAPI: false });
      expect((await jetstream(nc).publish('orders.created.eu.std', JSON.stringify(order()))).stream).toBe('ORDERS');
      expect((await jsm.streams.info('ORDERS')).config.name).toBe('ORDERS');
      const info = (await jsm.streams.info('ORDERS')).config;
      const forbidden: [string, () => Promise<unknown>][] = [
        ['stream create', () => jsm.streams.add({ name: 'EVIL', subjects: ['evil.>'] })],
        ['stream update', () => jsm.streams.update('ORDERS', { ...info, max_age: 1_000_000_000 })],
        ['stream delete', () => jsm.streams.delete('ORDERS')],
        ['stream purge', () => jsm.streams.purge('ORDERS')],
        ['message delete', () => jsm.streams.deleteMessage('ORDERS', 1)],
        ['consumer create', () => jsm.consumers.add('ORDERS', { durable_name: 'evil', ack_policy: AckPolicy.Explicit })],
        ['consumer update', () => jsm.consumers.update('ORDERS', 'fulfillment', { description: 'taken over' })],
        ['consumer delete', () => jsm.consumers.delete('ORDERS', 'fulfillment')],
      ];
      for (const [what, call] of forbidden) {
        const outcome = await call().then(() => 'allowed', (err: Error) => err.message);
        expect({ what, outcome }).toEqual({ what, outcome: expect.stringMatching(PERMISSION_DENIED) });
      }
    });
    const { nc, jsm } = await inspect(nats);
    expect((await jsm.streams.info('ORDERS')).config.max_age).not.toBe(1_000_000_000);
    expect((await jsm.consumers.info('ORDERS', 'fulfillment')).config.description).not.toBe('taken over');
    expect(await jsm.streams.info('EVIL').catch(() => null)).toBeNull();
    await nc.close();
    expect(nats.violations().filter((l) => l.includes('user:producer')).length).toBe(8);
  });

  it('no consumer group\'s user can publish to topic subjects', async () => {
    const before = await as(nats, 'operator', (nc) => streamCount(nc, 'ORDERS'));
    for (const user of GROUP_USERS) {
      await as(nats, user, async (nc) => {
        for (const subject of ['orders.created', 'orders.created.eu.std', 'orders.paid.us.high']) {
          await expect(jetstream(nc).publish(subject, '{}')).rejects.toThrow(PERMISSION_DENIED);
        }
      });
    }
    expect(await as(nats, 'operator', (nc) => streamCount(nc, 'ORDERS'))).toBe(before);
  });

  it("no consumer group's user can publish a redelivery subject, not even its own durables'; only the producer and dlq (replays) can", async () => {
    const copies = ['nestjet-redeliver.ORDERS.fulfillment.orders.created.eu.std', 'nestjet-redeliver.ORDERS.ledger-p3.orders.created.eu.std.p3', 'nestjet-redeliver.ORDERS.notifications.orders.paid'];
    const before = await as(nats, 'operator', (nc) => streamCount(nc, 'ORDERS'));
    for (const user of [...GROUP_USERS, 'provisioner'] as const) {
      await as(nats, user, async (nc) => {
        for (const subject of copies) {
          const outcome = await jetstream(nc).publish(subject, JSON.stringify(order())).then(() => 'stored', (e: Error) => e.message);
          expect({ user, subject, outcome }).toEqual({ user, subject, outcome: expect.stringMatching(PERMISSION_DENIED) });
        }
      });
    }
    expect(await as(nats, 'operator', (nc) => streamCount(nc, 'ORDERS'))).toBe(before);
    // dlq replays to redelivery subjects only: a topic subject, which every durable on it would receive, is refused.
    await expect(as(nats, 'dlq', (nc) => jetstream(nc).publish('orders.created.eu.std', JSON.stringify(order())))).rejects.toThrow(PERMISSION_DENIED);
    for (const user of ['producer', 'dlq'] as const) {
      const ack = await as(nats, user, (nc) => jetstream(nc).publish(copies[0]!, JSON.stringify(order())));
      expect({ user, stream: ack.stream }).toEqual({ user, stream: 'ORDERS' });
      await as(nats, 'operator', async (nc) => (await jetstreamManager(nc)).streams.deleteMessage('ORDERS', ack.seq));
    }
  });

  it('no user, the operator included, can publish a (forged) consumer advisory', async () => {
    for (const component of APP_USERS) {
      await as(nats, component, async (nc) => {
        const errors: string[] = [];
        const watching = (async () => {
          for await (const s of nc.status()) if (s.type === 'error') errors.push(String(s.error));
        })();
        nc.publish(FORGED_ADVISORY, JSON.stringify({ type: 'io.nats.jetstream.advisory.v1.max_deliver', stream: 'ORDERS', consumer: 'x', stream_seq: 1, deliveries: 5 }));
        await nc.flush();
        await waitFor(`${component}'s advisory refused`, () => errors.some((e) => e.includes(FORGED_ADVISORY)), 5_000, 20);
        void watching;
      });
    }
    expect(await as(nats, 'operator', (nc) => streamCount(nc, 'DLQ_ADVISORIES'))).toBe(0);
  });

  it('only dlq can publish any dead letter (a consumer group only its own durables\', see consumer-groups.e2e-spec)', async () => {
    for (const component of APP_USERS.filter((c) => c !== 'dlq' && c !== 'consumer' && c !== 'consumer-orders')) {
      const outcome = await as(nats, component, (nc) => jetstream(nc).publish('dlq.ORDERS.fulfillment', '{}').then(() => 'stored', (e: Error) => e.message));
      expect({ component, outcome }).toEqual({ component, outcome: expect.stringMatching(PERMISSION_DENIED) });
    }
    for (const component of APP_USERS.filter((c) => c !== 'dlq')) {
      const outcome = await as(nats, component, (nc) => jetstream(nc).publish('dlq.rejected', '{}').then(() => 'stored', (e: Error) => e.message));
      expect({ component, outcome }).toEqual({ component, outcome: expect.stringMatching(PERMISSION_DENIED) });
    }
    const ack = await as(nats, 'dlq', (nc) => jetstream(nc).publish('dlq.ORDERS.fulfillment', '{}'));
    expect(ack.stream).toBe('DLQ');
    await as(nats, 'operator', async (nc) => (await jetstreamManager(nc)).streams.deleteMessage('DLQ', ack.seq));
  });

  it('only the producer (the admin API) appends audit records, and no user deletes, purges, removes or reconfigures AUDIT', async () => {
    for (const component of APP_USERS.filter((c) => c !== 'producer')) {
      const outcome = await as(nats, component, (nc) => jetstream(nc).publish('audit.dlq.purge', '{}').then(() => 'stored', (e: Error) => e.message));
      expect({ component, outcome }).toEqual({ component, outcome: expect.stringMatching(PERMISSION_DENIED) });
    }
    const ack = await as(nats, 'producer', (nc) => jetstream(nc).publish('audit.dlq.purge', '{}'));
    expect(ack.stream).toBe('AUDIT');
    for (const component of APP_USERS) {
      await as(nats, component, async (nc) => {
        // checkAPI: false, as the apps do: not every user may call $JS.API.INFO.
        const jsm = await jetstreamManager(nc, { checkAPI: false });
        const info = (await jsm.streams.info('AUDIT').catch(() => null))?.config;
        const attempts: [string, () => Promise<unknown>][] = [
          ['delete a record', () => jsm.streams.deleteMessage('AUDIT', ack.seq)],
          ['erase a record', () => jsm.streams.deleteMessage('AUDIT', ack.seq, true)],
          ['purge', () => jsm.streams.purge('AUDIT')],
          ['delete the stream', () => jsm.streams.delete('AUDIT')],
          ...(component === 'provisioner' || !info ? [] : ([['shorten its retention', () => jsm.streams.update('AUDIT', { ...info, max_age: 1_000_000_000 })]] as [string, () => Promise<unknown>][])),
        ];
        for (const [what, attempt] of attempts) {
          const outcome = await attempt().then(() => 'done', (e: Error) => e.message);
          expect({ component, what, outcome }).toEqual({ component, what, outcome: expect.stringMatching(PERMISSION_DENIED) });
        }
      });
    }
    expect(await as(nats, 'operator', (nc) => streamCount(nc, 'AUDIT'))).toBe(1);
  });

  it('only the producer (publishes) and dlq (retry copies) can schedule, and nobody but the server produces due messages', async () => {
    const due = 'schedules.due.orders.created.eu.std';
    for (const component of APP_USERS.filter((c) => c !== 'operator')) {
      const outcome = await as(nats, component, (nc) => jetstream(nc).publish(due, JSON.stringify(order())).then(() => 'stored', (e: Error) => e.message));
      expect({ component, outcome }).toEqual({ component, outcome: expect.stringMatching(PERMISSION_DENIED) });
    }
    for (const component of [...GROUP_USERS, 'provisioner'] as const) {
      const outcome = await as(nats, component, (nc) => jetstream(nc).publish('schedules.pending.x', '{}').then(() => 'stored', (e: Error) => e.message));
      expect({ component, outcome }).toEqual({ component, outcome: expect.stringMatching(PERMISSION_DENIED) });
    }
    const ack = await as(nats, 'producer', (nc) => jetstream(nc).publish('schedules.pending.perm-test', '{}'));
    expect(ack.stream).toBe('SCHEDULES');
    await as(nats, 'producer', async (nc) => (await jetstreamManager(nc, { checkAPI: false })).streams.deleteMessage('SCHEDULES', ack.seq));
    expect(await as(nats, 'operator', (nc) => streamCount(nc, 'SCHEDULES'))).toBe(0);
  });

  it('acks in the form nats-server 2.15 sends by default (v1: $JS.ACK.<stream>.<consumer>.<5 numbers>)', async () => {
    const { seq } = await as(nats, 'producer', (nc) => jetstream(nc).publish('orders.paid.eu.std', JSON.stringify(order())));
    const reply = await as(nats, 'consumer', async (nc) => {
      const consumer = await jetstream(nc).consumers.get('ORDERS', 'notifications');
      for (;;) {
        const m = await consumer.next({ expires: 2_000 });
        if (!m) throw new Error('no message');
        await m.ackAck();
        if (m.seq === seq) return ackSubject(m);
      }
    });
    expect(reply).toMatch(/^\$JS\.ACK\.ORDERS\.notifications\.\d+\.\d+\.\d+\.\d+\.\d+$/);
    expect((await as(nats, 'operator', async (nc) => (await jetstreamManager(nc)).consumers.info('ORDERS', 'notifications'))).num_ack_pending).toBe(0);
  });
});

describe('NATS least privilege: acks in the v2 subject form (feature flag js_ack_fc_v2)', () => {
  let nats: NatsServer;

  afterAll(async () => {
    await nats?.dispose();
  });

  it('lets the consumer ack $JS.ACK.<domain>.<account hash>.<stream>.<consumer>.… and nothing is redelivered', async () => {
    nats = await NatsServer.start({ featureFlags: { js_ack_fc_v2: true } });
    await provision(nats, DLQ_TEST_TOPOLOGY);
    await as(nats, 'producer', async (nc) => {
      for (let i = 0; i < 3; i++) await jetstream(nc).publish('orders.created.eu.std', JSON.stringify(order()));
    });
    const replies = await as(nats, 'consumer', async (nc) => {
      const consumer = await jetstream(nc).consumers.get('ORDERS', 'fulfillment');
      const seen: string[] = [];
      for (let i = 0; i < 3; i++) {
        const m = await consumer.next({ expires: 2_000 });
        if (!m) throw new Error('no message');
        await m.ackAck();
        seen.push(ackSubject(m));
      }
      return seen;
    });
    for (const r of replies) expect(r).toMatch(/^\$JS\.ACK\._\.[A-Za-z0-9]+\.ORDERS\.fulfillment(\.\d+){5}(\.[^.]+)*$/);
    const info = await as(nats, 'operator', async (nc) => (await jetstreamManager(nc)).consumers.info('ORDERS', 'fulfillment'));
    expect([info.num_ack_pending, info.num_pending, info.num_redelivered]).toEqual([0, 0, 0]);
    expect(nats.violations()).toEqual([]);
    process.stdout.write(`ack subjects: v2 (js_ack_fc_v2) ${replies[0]}\n`);
  });
});

describe('NATS least privilege: the whole pipeline runs with the generated users', () => {
  let nats: NatsServer;
  const apps = new AppGroup();

  afterAll(async () => {
    await apps.stopAll();
    await nats?.dispose();
  });

  it('publish → consume → ack → dead-letter → replay, with no permission violation anywhere', async () => {
    nats = await NatsServer.start();
    await provision(nats, DLQ_TEST_TOPOLOGY);
    const producer = await startProducer(nats, DLQ_TEST_TOPOLOGY);
    await apps.add(producer.app);
    // As npm start and the chart run it: one worker per consumer group as its group's user, no dlq credential; the router alone as dlq.
    const noDlqConnection = { DLQ_NATS_USER: '', DLQ_NATS_PASSWORD: '' };
    const consumer = await apps.add(startConsumer(nats, { ...DLQ_TEST_TOPOLOGY, ...nats.env('consumer-orders'), ...noDlqConnection }, 'consumer-orders'));
    const ledger = await apps.add(startConsumer(nats, { ...DLQ_TEST_TOPOLOGY, ...nats.env('consumer-ledger'), ...noDlqConnection }, 'consumer-ledger'));
    const router = await apps.add(startConsumer(nats, { ...DLQ_TEST_TOPOLOGY, CONSUMERS: 'none', ...nats.env('dlq'), ...noDlqConnection }, 'router'));
    expect(consumer.events('consumer.ready')[0]).toMatchObject({ group: 'orders', consumers: ['fulfillment', 'notifications', 'fraud-review'], dlqRouter: false });
    expect(ledger.events('consumer.ready')[0]).toMatchObject({ group: 'ledger', consumers: ['ledger'], dlqRouter: false });

    const good = order({ amount: 2500 });
    expect((await postJson(`${producer.url}/v1/topics/orders.created/messages`, good)).status).toBe(202);
    await waitFor('every durable to process the order', () => ['fulfillment', 'notifications', 'fraud-review'].every((c) => processed([consumer], c).some((p) => p.orderId === good.orderId)));
    await waitFor('the ledger to record the order', () => processed([ledger]).some((p) => p.orderId === good.orderId));

    // A poison message from a publisher that skipped the ingress: terminated, dead-lettered by the router.
    const poison = await as(nats, 'producer', (nc) => jetstream(nc).publish('orders.created.eu.std', JSON.stringify({ orderId: 'poison-1', amount: 'lots' })));
    type View = { id: number; consumer: string; streamSequence: number };
    const records = await waitFor('the poison message dead-lettered for each durable', async () => {
      const page = (await (await fetch(`${producer.url}/v1/dlq?limit=100`, { headers: authHeaders() })).json()) as { items: View[] };
      const mine = page.items.filter((v) => v.streamSequence === poison.seq);
      return mine.length >= 2 ? mine : null;
    }, 20_000);
    // Stored by the worker that saw the final failure, as its group's user (which may write dlq.ORDERS.<its durables>).
    expect(consumer.events('dlq.stored').filter((e) => e.via === 'direct' && e.streamSequence === poison.seq).length).toBeGreaterThanOrEqual(1);
    const fix = records.find((r) => r.consumer === 'fulfillment')!;
    const fixed = order({ orderId: 'poison-1-fixed' });
    const replay = await postJson(`${producer.url}/v1/dlq/${fix.id}/replay`, { payload: fixed });
    expect(replay.status).toBe(202);
    await waitFor('the replay processed by fulfillment', () => processed([consumer], 'fulfillment').some((p) => p.orderId === 'poison-1-fixed'));

    for (const url of [producer.url, ...[consumer, ledger, router].map((a) => String(a.events('consumer.ready')[0]!.url))]) expect((await fetch(`${url}/readyz`)).status).toBe(200);
    expect((await fetch(`${producer.url}/v1/topics`, { headers: authHeaders() })).status).toBe(200);
    expect(nats.violations()).toEqual([]);
    for (const app of [producer.app, consumer, ledger, router]) expect(app.events('nats.error')).toEqual([]);
  });
});

describe('NATS least privilege: dead letters without DLQ_NATS_* share the main connection', () => {
  let nats: NatsServer;
  const apps = new AppGroup();

  afterAll(async () => {
    await apps.stopAll();
    await nats?.dispose();
  });

  it('routes with a router-only worker whose main user is dlq, while the workers run without a router', async () => {
    nats = await NatsServer.start();
    await provision(nats, DLQ_TEST_TOPOLOGY);
    const noDlqConnection = { DLQ_NATS_USER: '', DLQ_NATS_PASSWORD: '' };
    const router = await apps.add(startConsumer(nats, { ...DLQ_TEST_TOPOLOGY, CONSUMERS: 'none', ...nats.env('dlq'), ...noDlqConnection }, 'router'));
    await apps.add(startConsumer(nats, { ...DLQ_TEST_TOPOLOGY, DLQ_ROUTER_ENABLED: 'false', ...noDlqConnection }, 'workers'));
    await as(nats, 'producer', (nc) => jetstream(nc).publish('orders.created.eu.std', JSON.stringify({ orderId: 'poison-2' })));
    await waitFor('two dead letters routed by the router-only worker', () => router.events('dlq.routed').length >= 2, 20_000);
    expect(await as(nats, 'operator', (nc) => streamCount(nc, 'DLQ'))).toBe(2);
    expect(nats.violations()).toEqual([]);
  });
});

describe('NATS over mTLS', () => {
  let nats: NatsServer;
  const apps = new AppGroup();

  beforeAll(async () => {
    nats = await NatsServer.start({ tls: true });
  });

  afterAll(async () => {
    await apps.stopAll();
    await nats?.dispose();
  });

  it('connects with the client certificate, and not without it or without TLS', async () => {
    const { nc, jsm } = await inspect(nats);
    expect((await jsm.getAccountInfo()).streams).toBe(0);
    await nc.close();
    const { tls: _cert, ...withoutCert } = nats.connectOptions('operator');
    const refused = { maxReconnectAttempts: 0, timeout: 3_000 };
    await expect(connect({ ...withoutCert, ...refused, tls: { caFile: nats.tls!.ca } })).rejects.toThrow();
    await expect(connect({ ...withoutCert, ...refused, servers: `nats://127.0.0.1:${nats.port}`, tls: null })).rejects.toThrow();
    expect(nats.log.some((l) => /TLS handshake error.*certificate/.test(l))).toBe(true);
  });

  it('runs provision and the producer with NATS_TLS_CA/CERT/KEY', async () => {
    await provision(nats);
    const producer = await startProducer(nats);
    await apps.add(producer.app);
    expect((await postJson(`${producer.url}/v1/topics/orders.created/messages`, order())).status).toBe(202);
    expect(await as(nats, 'operator', (nc) => streamCount(nc, 'ORDERS'))).toBe(1);
  });
});

describe('NATS credentials are not sent in plaintext over the network', () => {
  it('refuses a password to a non-loopback nats:// URL at start-up, without printing it', async () => {
    const app = await AppProcess.start('provision', ENTRYPOINTS.provision, { NATS_URL: 'nats://192.0.2.10:4222', NATS_USER: 'provisioner', NATS_PASSWORD: 'do-not-print-this-password' });
    const { code } = await app.waitForExit(15_000);
    expect(code).toBe(1);
    expect(app.tail()).toMatch(/NATS_URL \("nats:\/\/192\.0\.2\.10:4222"\): NATS password\/token authentication would travel in plaintext to nats:\/\/192\.0\.2\.10:4222/);
    expect(app.raw.join('\n')).not.toContain('do-not-print-this-password');
  });

  it('connectNats refuses it too, before dialling', async () => {
    await expect(connectNats({ servers: ['nats://192.0.2.10:4222'], user: 'dlq', token: undefined, pass: 'secret-secret-secret' }, 'test')).rejects.toBeInstanceOf(ConfigurationError);
  });
});

describe('helm/nestjet/files: generated from the topology (regenerate: node scripts/nats-permissions.mjs)', () => {
  it('nats-permissions.json is natsPermissions() of the default topology: the chart\'s users, one per consumer group', () => {
    const committed = readFileSync(join(ROOT, 'helm', 'nestjet', 'files', 'nats-permissions.json'), 'utf8');
    expect(committed).toBe(`${JSON.stringify(natsPermissions(topologyFor()), null, 2)}\n`);
  });

  it("consumer-groups.json is each group's consumers in the default topology (one consumer Deployment per group)", () => {
    const committed = readFileSync(join(ROOT, 'helm', 'nestjet', 'files', 'consumer-groups.json'), 'utf8');
    expect(committed).toBe(`${JSON.stringify(consumerGroupMembers(buildTopology()), null, 2)}\n`);
    // The same groups as the users of nats-permissions.json.
    expect(Object.keys(JSON.parse(committed) as object).map((g) => `consumer-${g}`)).toEqual(natsUsers(topologyFor()).filter((u) => u.startsWith('consumer-')));
  });
});

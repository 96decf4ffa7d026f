import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { DLQ_HEADERS } from '#jetstream';
import {
  AppGroup,
  DLQ_TEST_TOPOLOGY,
  dlqRecords,
  inspect,
  NatsServer,
  order,
  postJson,
  provision,
  scrape,
  startFlaky,
  startProducer,
  startRouter,
  streamCount,
  total,
  waitFor,
  type Producer,
} from '#test-support';
import { Kvm } from '@nats-io/kv';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';

const KIB = 1024;

describe('backpressure: full streams refuse new messages instead of evicting old ones', () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  /** Writes DLQ records directly, as only the dlq user may. */
  let writer: NatsConnection;
  let producer: Producer;
  const apps = new AppGroup();
  /** What every provision run of this suite is given (a run without a setting would reset it to its default). */
  const settings: Record<string, string> = { ...DLQ_TEST_TOPOLOGY };
  const reprovision = (changes: Record<string, string>) => provision(nats, Object.assign(settings, changes));
  const ordersState = async () => (await jsm.streams.info('ORDERS')).state;

  /** Fills the DLQ with filler records until the server refuses one; returns how many it took. */
  async function fillDlq(): Promise<number> {
    const js = jetstream(writer);
    for (let n = 0; n < 10_000; n++) {
      try {
        await js.publish('dlq.ORDERS.filler', 'f'.repeat(500));
      } catch (err) {
        expect(err).toBeInstanceOf(JetStreamApiError);
        expect([(err as JetStreamApiError).code, (err as JetStreamApiError).message]).toEqual([10077, 'maximum bytes exceeded']);
        return n;
      }
    }
    throw new Error('the DLQ never filled up');
  }

  beforeAll(async () => {
    nats = await NatsServer.start();
    ({ nc, jsm } = await inspect(nats));
    writer = await nats.connect('dlq');
  });

  afterEach(async () => {
    await apps.stopAll();
  });

  afterAll(async () => {
    await producer?.app.stop();
    await nc?.close();
    await writer?.close();
    await nats?.dispose();
  });

  it('limits every stream and bucket with discard new, switching existing ones in place without evicting anything', async () => {
    // As the previous provisioner left them: ORDERS unlimited with discard old, the DLQ on dlq.>, a bucket without a limit.
    await jsm.streams.add({ name: 'ORDERS', subjects: ['orders.>'] });
    await jsm.streams.add({ name: 'DLQ', subjects: ['dlq.>'], allow_direct: true });
    const failures = await new Kvm(nc).create('nestjet_failures', { history: 1 });
    const js = jetstream(nc);
    for (let i = 0; i < 200; i++) await js.publish('orders.created.eu.std', JSON.stringify(order({ note: 'x'.repeat(200) })));
    await jetstream(writer).publish('dlq.ORDERS.fulfillment', 'an old record');
    await failures.put('ORDERS.1.fulfillment', '{}');
    const before = await ordersState();
    expect(before.bytes).toBeGreaterThan(32 * KIB);

    const output = await reprovision({ STREAM_MAX_BYTES: String(32 * KIB) });
    expect(output).toMatch(/stream\s+ORDERS\s+updated[\s\S]*updated max_bytes: -1 -> 32768[\s\S]*updated discard: "old" -> "new"/);
    expect(output).toMatch(/stream\s+DLQ\s+updated[\s\S]*updated subjects: \["dlq\.>"\] -> \["dlq\.\*\.\*"\]/);
    expect(output).toMatch(/stream\s+DLQ_REJECTED\s+created/);
    expect(output).toMatch(/kv\s+nestjet_failures\s+updated[\s\S]*updated max_bytes: -1 -> 268435456/);
    for (const name of ['ORDERS', 'DLQ_ADVISORIES', 'DLQ', 'DLQ_REJECTED', 'KV_nestjet_failures', 'KV_nestjet_replays']) {
      const { config } = await jsm.streams.info(name);
      expect([name, config.discard, config.max_bytes > 0]).toEqual([name, 'new', true]);
    }
    // Over its new limit, and still holding everything.
    const after = await ordersState();
    expect([after.messages, after.first_seq, after.last_seq, after.bytes]).toEqual([200, before.first_seq, before.last_seq, before.bytes]);
    expect((await dlqRecords(nc)).map((r) => r.string())).toEqual(['an old record']);
    expect((await failures.get('ORDERS.1.fulfillment'))?.string()).toBe('{}');
  });

  it('answers 507 when ORDERS is full, at once, and keeps every message accepted before (count and content)', async () => {
    await jsm.streams.delete('ORDERS');
    await reprovision({ STREAM_MAX_BYTES: String(64 * KIB) });
    producer = await startProducer(nats, settings);
    const accepted: { seq: number; payload: Record<string, unknown> }[] = [];
    let refused: Response | undefined;
    for (let i = 0; i < 2000 && !refused; i++) {
      const payload = order();
      const r = await postJson(`${producer.url}/v1/topics/orders.created/messages`, payload);
      if (r.status === 202) accepted.push({ seq: ((await r.json()) as { seq: number }).seq, payload });
      else refused = r;
    }
    expect(refused?.status).toBe(507);
    expect(refused!.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await refused!.json()).toEqual({
      type: 'urn:nestjet:problem:stream-full',
      title: 'Stream full',
      status: 507,
      stream: 'ORDERS',
      detail: 'stream ORDERS is full (maximum bytes exceeded); the message was not stored and nothing stored was evicted',
      instance: '/v1/topics/orders.created/messages',
    });
    // Refused by the server, not retried until PUBLISH_DEADLINE_MS (5 s).
    const started = performance.now();
    for (let i = 0; i < 5; i++) expect((await postJson(`${producer.url}/v1/topics/orders.created/messages`, order())).status).toBe(507);
    const perRefusalMs = (performance.now() - started) / 5;
    expect(perRefusalMs).toBeLessThan(500);
    const batch = await postJson(`${producer.url}/v1/topics/orders.created/messages/batch`, { messages: [{ payload: order() }, { payload: order() }] });
    expect(batch.status).toBe(507);

    const state = await ordersState();
    expect([state.messages, state.first_seq, state.last_seq]).toEqual([accepted.length, 1, accepted.length]);
    expect(state.bytes).toBeLessThanOrEqual(64 * KIB);
    for (const { seq, payload } of accepted) expect((await jsm.streams.getMessage('ORDERS', { seq }))!.json()).toEqual(payload);

    const samples = await scrape(producer.url);
    const fill = total(samples, 'nestjet_stream_bytes', { stream: 'ORDERS' }) / total(samples, 'nestjet_stream_max_bytes', { stream: 'ORDERS' });
    expect(fill).toBeGreaterThan(0.8);
    expect(total(samples, 'nestjet_published_messages_total', { topic: 'orders.created', result: 'full' })).toBe(6 + 2);
    process.stdout.write(`full ORDERS (64 KiB): ${accepted.length} messages accepted, then 507 in ${perRefusalMs.toFixed(1)} ms per refusal, 0 evicted\n`);
  });

  it('answers a replay into a full stream with 507 and leaves the record replayable', async () => {
    const h = natsHeaders();
    const at = new Date().toISOString();
    for (const [k, v] of Object.entries({
      [DLQ_HEADERS.kind]: 'terminated',
      [DLQ_HEADERS.subject]: 'orders.created.eu.std',
      [DLQ_HEADERS.stream]: 'ORDERS',
      [DLQ_HEADERS.streamSequence]: '1',
      [DLQ_HEADERS.consumer]: 'fulfillment',
      [DLQ_HEADERS.deliveryCount]: '1',
      [DLQ_HEADERS.reason]: 'r',
      [DLQ_HEADERS.routedAt]: at,
      [DLQ_HEADERS.lastFailureAt]: at,
    })) {
      h.set(k, v);
    }
    const { seq: id } = await jetstream(writer).publish('dlq.ORDERS.fulfillment', JSON.stringify(order()), { headers: h });
    // Top ORDERS off with small messages on a subject no durable reads, so not even a replay smaller than the refused orders fits.
    for (let n = 0; n < 10_000; n++) {
      const stored = await jetstream(nc).publish('orders.topoff', 'x').then(() => true, () => false);
      if (!stored) break;
    }
    const full = await postJson(`${producer.url}/v1/dlq/${id}/replay`, {});
    expect(full.status).toBe(507);
    expect(((await full.json()) as { detail: string }).detail).toMatch(/^stream ORDERS is full/);

    await jsm.streams.purge('ORDERS', { filter: 'orders.topoff' });
    await reprovision({ STREAM_MAX_BYTES: String(1024 * KIB) });
    const replayed = await postJson(`${producer.url}/v1/dlq/${id}/replay`, {});
    expect(replayed.status).toBe(202);
    expect(await replayed.json()).toMatchObject({ forced: false, stream: 'ORDERS' });
  });

  it('makes the DLQ router wait while the DLQ is full (nak with delay, no drop), then route once there is room', async () => {
    await reprovision({ DLQ_MAX_BYTES: String(8 * KIB) });
    const fillers = await fillDlq();
    const router = await apps.add(startRouter(nats, settings));
    await apps.add(startFlaky(nats, 0, settings));
    const poison = order({ customerId: 'blocked' });
    const { seq } = await jetstream(nc).publish('orders.created.eu.std', JSON.stringify(poison));

    await waitFor('the router to find the DLQ full', () => router.events('dlq-router.dlq-full').some((e) => e.attempt === 1));
    expect(await streamCount(nc, 'DLQ_ADVISORIES')).toBe(1);
    expect((await dlqRecords(nc)).filter((r) => r.header.get(DLQ_HEADERS.streamSequence) === String(seq))).toEqual([]);

    await jsm.streams.purge('DLQ', { filter: 'dlq.ORDERS.filler' });
    const record = await waitFor('the record once there is room', async () =>
      (await dlqRecords(nc)).find((r) => r.header.get(DLQ_HEADERS.streamSequence) === String(seq)),
    );
    expect(record.json()).toEqual(poison);
    await waitFor('the advisory stream drained', async () => (await streamCount(nc, 'DLQ_ADVISORIES')) === 0);
    const waits = router.events('dlq-router.dlq-full').length;
    process.stdout.write(`full DLQ (8 KiB, ${fillers} fillers): router refused ${waits} time(s), then routed the record; 0 lost\n`);
  });

  it('parks an advisory after DLQ_ROUTER_MAX_DELIVER attempts instead of naking forever; recreating the durable routes it, no restart needed', async () => {
    await reprovision({ DLQ_ROUTER_MAX_DELIVER: '2' });
    expect((await jsm.consumers.info('DLQ_ADVISORIES', 'dlq-router')).config.max_deliver).toBe(2);
    await fillDlq();
    const router = await apps.add(startRouter(nats, settings));
    await apps.add(startFlaky(nats, 0, settings));
    const { seq } = await jetstream(nc).publish('orders.created.eu.std', JSON.stringify(order({ customerId: 'blocked' })));

    await waitFor('the advisory parked', () => router.events('dlq-router.parked').length > 0, 20_000);
    await new Promise((r) => setTimeout(r, 3000));
    const attempts = [...router.events('dlq-router.dlq-full'), ...router.events('dlq-router.parked')];
    expect(attempts.map((e) => e.attempt)).toEqual([1, 2]);
    expect(await streamCount(nc, 'DLQ_ADVISORIES')).toBe(1);
    const durable = await jsm.consumers.info('DLQ_ADVISORIES', 'dlq-router');
    expect([durable.num_pending, durable.num_ack_pending]).toEqual([0, 0]);

    await jsm.streams.purge('DLQ', { filter: 'dlq.ORDERS.filler' });
    await jsm.consumers.delete('DLQ_ADVISORIES', 'dlq-router');
    await reprovision({ DLQ_ROUTER_MAX_DELIVER: '100' });
    await waitFor('the parked advisory routed by the same router', async () =>
      (await dlqRecords(nc)).some((r) => r.header.get(DLQ_HEADERS.streamSequence) === String(seq)),
    );
    expect(await streamCount(nc, 'DLQ_ADVISORIES')).toBe(0);
    expect(router.events('dlq-router.detached')).toHaveLength(1);
  });
});

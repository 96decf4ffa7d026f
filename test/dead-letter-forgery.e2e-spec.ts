import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { DLQ_HEADERS, REJECTED_HEADERS } from '#jetstream';
import {
  AppGroup,
  type AppProcess,
  authHeaders,
  DLQ_TEST_TOPOLOGY,
  dlqRecords,
  freePort,
  inspect,
  NatsServer,
  order,
  processed,
  type Producer,
  provision,
  scrape,
  startFlaky,
  startProducer,
  startRouter,
  streamCount,
  topologyFor,
  total,
  waitFor,
} from '#test-support';
import { AckPolicy, jetstream, RetentionPolicy, type JetStreamManager, type StoredMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

const ADVISORY = '$JS.EVENT.ADVISORY.CONSUMER';
/** A short ack wait, so a hung handler dead-letters in seconds; WQTEST is another team's stream. */
const SETTINGS = { ...DLQ_TEST_TOPOLOGY, CONSUMER_ACK_WAIT_MS: '1500', DLQ_EXTRA_STREAMS: 'WQTEST' };

/** A nats-server NUID-like id, so each forged advisory can be found again in DLQ_REJECTED. */
const nuid = () => randomBytes(16).toString('hex').slice(0, 22);

const maxDeliveries = (over: Record<string, unknown> = {}) => ({
  type: 'io.nats.jetstream.advisory.v1.max_deliver',
  id: nuid(),
  timestamp: new Date().toISOString(),
  stream: 'ORDERS',
  consumer: 'fulfillment',
  stream_seq: 1,
  deliveries: 3,
  ...over,
});

describe('dead-letter routing under forged advisories: nothing copied, nothing deleted, every forgery on record', () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let attacker: NatsConnection;
  let jsm: JetStreamManager;
  let router: AppProcess;
  let routerUrl: string;
  let flaky: AppProcess;
  let producer: Producer;
  const apps = new AppGroup();

  /**
   * Publishes as the server would, as a test-only user without restrictions:
   * no nestjet user may publish $JS.EVENT.> (test/nats-permissions), so this
   * plays a client on a bus without those permissions, or a compromised one.
   */
  const forge = (subject: string, body: unknown) => attacker.publish(subject, typeof body === 'string' ? body : JSON.stringify(body));

  const stored = async (stream: string): Promise<StoredMsg[]> => {
    const { state } = await jsm.streams.info(stream);
    const out: StoredMsg[] = [];
    for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
      if (m) out.push(m);
    }
    return out;
  };

  /** The rejected record of the advisory containing `marker` (its id, or a unique string in junk). */
  const rejectedFor = (marker: string) =>
    waitFor(`the rejected record of ${marker}`, async () => {
      const mine = (await stored('DLQ_REJECTED')).filter((r) => r.string().includes(marker));
      return mine.length > 0 ? mine : null;
    });

  /** What a forgery must not change: the streams' contents, the DLQ. */
  const snapshot = async () => ({
    orders: (await jsm.streams.info('ORDERS')).state,
    wq: (await jsm.streams.info('WQTEST')).state,
    dlq: (await dlqRecords(nc)).map((r) => r.seq),
  });

  beforeAll(async () => {
    // The users' permissions follow the topology, DLQ_EXTRA_STREAMS included (the router may inspect WQTEST).
    nats = await NatsServer.start({ intruder: true, topology: topologyFor(SETTINGS) });
    ({ nc, jsm } = await inspect(nats));
    attacker = await nats.connectIntruder();
    // Another team's work queue, dead-lettered through our DLQ (DLQ_EXTRA_STREAMS).
    await jsm.streams.add({ name: 'WQTEST', subjects: ['wq.>'], retention: RetentionPolicy.Workqueue });
    await jsm.consumers.add('WQTEST', { durable_name: 'wq-worker', ack_policy: AckPolicy.Explicit, max_deliver: 2 });
    await jsm.streams.add({ name: 'SECRETS', subjects: ['secrets.>'] });
    await jsm.consumers.add('SECRETS', { durable_name: 'c', ack_policy: AckPolicy.Explicit });
    await provision(nats, SETTINGS);
    const port = await freePort();
    routerUrl = `http://127.0.0.1:${port}`;
    router = await apps.add(startRouter(nats, { ...SETTINGS, PORT: String(port) }));
    flaky = await apps.add(startFlaky(nats, 0, SETTINGS));
    producer = await startProducer(nats, SETTINGS);
  });

  afterAll(async () => {
    await apps.stopAll();
    await producer?.app.stop();
    await nc?.close();
    await attacker?.close();
    await nats?.dispose();
  });

  it('refuses consumers and streams that are not declared; advisories of other streams are not even captured', async () => {
    const before = await snapshot();
    const intruder = maxDeliveries({ consumer: 'intruder' });
    forge(`${ADVISORY}.MAX_DELIVERIES.ORDERS.intruder`, intruder);
    const [record] = await rejectedFor(intruder.id);
    expect(record!.header.get(REJECTED_HEADERS.check)).toBe('undeclared');
    expect(record!.header.get(REJECTED_HEADERS.reason)).toBe('consumer intruder is not declared on stream ORDERS');
    expect(record!.header.get(REJECTED_HEADERS.advisorySubject)).toBe(`${ADVISORY}.MAX_DELIVERIES.ORDERS.intruder`);
    expect(record!.json()).toEqual(intruder);

    const secret = await jetstream(nc).publish('secrets.key', 'k');
    const advisoriesBefore = (await jsm.streams.info('DLQ_ADVISORIES')).state.last_seq;
    forge(`${ADVISORY}.MAX_DELIVERIES.SECRETS.c`, maxDeliveries({ stream: 'SECRETS', consumer: 'c', stream_seq: secret.seq }));
    await attacker.flush();
    expect((await jsm.streams.info('DLQ_ADVISORIES')).state.last_seq).toBe(advisoriesBefore);
    expect(await streamCount(nc, 'SECRETS')).toBe(1);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses advisories whose subject disagrees with the body', async () => {
    const before = await snapshot();
    const cases = [
      maxDeliveries({ consumer: 'notifications' }),
      maxDeliveries({ stream: 'SECRETS', consumer: 'c' }),
      { ...maxDeliveries(), type: 'io.nats.jetstream.advisory.v1.terminated', consumer_seq: 1 },
    ];
    for (const forged of cases) forge(`${ADVISORY}.MAX_DELIVERIES.ORDERS.fulfillment`, forged);
    for (const forged of cases) {
      const [record] = await rejectedFor(forged.id);
      expect(record!.header.get(REJECTED_HEADERS.check)).toBe('subject_mismatch');
      expect(record!.header.get(REJECTED_HEADERS.reason)).toMatch(/does not agree with the body/);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('refuses CR/LF, wildcards, bad numbers and junk once each, without a nak loop', async () => {
    const before = await snapshot();
    const crlf = maxDeliveries({ consumer: 'fulfillment\r\nnestjet-dlq-reason: forged' });
    const wildcard = maxDeliveries({ stream: 'ORDERS.>' });
    const negative = maxDeliveries({ stream_seq: -1 });
    const timestamp = maxDeliveries({ timestamp: '2026-11-28T10:00:00Z\r\nx: y' });
    const junk = `not json ${nuid()}`;
    for (const forged of [crlf, wildcard, negative, timestamp]) forge(`${ADVISORY}.MAX_DELIVERIES.ORDERS.fulfillment`, forged);
    forge(`${ADVISORY}.MSG_TERMINATED.ORDERS.fulfillment`, junk);
    const reasons: string[] = [];
    for (const marker of [crlf.id, wildcard.id, negative.id, timestamp.id, junk]) {
      const records = await rejectedFor(marker);
      expect(records).toHaveLength(1);
      expect(records[0]!.header.get(REJECTED_HEADERS.check)).toBe('malformed');
      reasons.push(records[0]!.header.get(REJECTED_HEADERS.reason));
    }
    expect(reasons).toEqual([
      expect.stringMatching(/^consumer "fulfillment\\r\\nnestjet-dlq-reason: forged" is not a NATS name/),
      expect.stringMatching(/^stream "ORDERS\.>" is not a NATS name/),
      'stream_seq -1 is not a positive integer',
      expect.stringMatching(/^timestamp .* is not an RFC 3339 time/),
      'not UTF-8 JSON',
    ]);
    await waitFor('the advisory stream drained', async () => (await streamCount(nc, 'DLQ_ADVISORIES')) === 0);
    const routerState = await jsm.consumers.info('DLQ_ADVISORIES', 'dlq-router');
    expect(routerState.num_redelivered).toBe(0);
    expect(routerState.num_ack_pending).toBe(0);
    expect(await snapshot()).toEqual(before);
  });

  it('copies nothing for a message its consumer processed, and deletes nothing from a work queue for one never delivered', async () => {
    const { seq } = await jetstream(nc).publish('orders.created.eu.std', JSON.stringify(order()));
    await waitFor('fulfillment to process it', () => processed([flaky]).some((p) => p.seq === seq));
    const pending = await jetstream(nc).publish('wq.jobs', JSON.stringify({ job: 'waiting for its worker' }));
    const before = await snapshot();

    const succeeded = maxDeliveries({ stream_seq: seq });
    const termed = { ...maxDeliveries({ stream_seq: seq, deliveries: 1 }), type: 'io.nats.jetstream.advisory.v1.terminated', consumer_seq: 1, reason: 'x' };
    const undelivered = maxDeliveries({ stream: 'WQTEST', consumer: 'wq-worker', stream_seq: pending.seq, deliveries: 2 });
    forge(`${ADVISORY}.MAX_DELIVERIES.ORDERS.fulfillment`, succeeded);
    forge(`${ADVISORY}.MSG_TERMINATED.ORDERS.fulfillment`, termed);
    forge(`${ADVISORY}.MAX_DELIVERIES.WQTEST.wq-worker`, undelivered);
    const reasonOf = async (id: string) => (await rejectedFor(id))[0]!.header.get(REJECTED_HEADERS.reason);
    expect(await reasonOf(succeeded.id)).toMatch(new RegExp(`last failed attempt of message ${seq} recorded for ORDERS/fulfillment is none`));
    expect(await reasonOf(termed.id)).toMatch(new RegExp(`no termination of message ${seq} by ORDERS/fulfillment is recorded`));
    expect(await reasonOf(undelivered.id)).toBe(`WQTEST/wq-worker has delivered up to stream sequence 0 only; it cannot have given up on ${pending.seq}`);
    for (const id of [succeeded.id, termed.id, undelivered.id]) expect((await rejectedFor(id))[0]!.header.get(REJECTED_HEADERS.check)).toBe('uncorroborated');
    expect(await snapshot()).toEqual(before);
    expect((await jsm.streams.getMessage('WQTEST', { seq: pending.seq }))!.json()).toEqual({ job: 'waiting for its worker' });
  });

  it('cannot pre-claim the msgID of a future dead letter: the real one is still recorded', async () => {
    const next = (await jsm.streams.info('ORDERS')).state.last_seq + 1;
    const preclaim = maxDeliveries({ stream_seq: next });
    forge(`${ADVISORY}.MAX_DELIVERIES.ORDERS.fulfillment`, preclaim);
    expect((await rejectedFor(preclaim.id))[0]!.header.get(REJECTED_HEADERS.reason)).toMatch(new RegExp(`cannot have given up on ${next}$`));

    const poison = order({ customerId: 'blocked' });
    const { seq } = await jetstream(nc).publish('orders.created.eu.std', JSON.stringify(poison));
    expect(seq).toBe(next);
    const record = await waitFor('the real DLQ record', async () =>
      (await dlqRecords(nc)).find((r) => r.header.get(DLQ_HEADERS.streamSequence) === String(seq)),
    );
    expect(record.header.get('Nats-Msg-Id')).toBe(`ORDERS:${seq}:fulfillment`);
    expect(record.header.get(DLQ_HEADERS.reason)).toBe('NonRetryableError: customer blocked is blocked');
    expect(record.json()).toEqual(poison);
  });

  it('still routes a real dead letter whose every attempt ended by ack timeout (the crash backstop), backed by the attempts the transport noted', async () => {
    const hung = order({ customerId: 'hang' });
    const { seq } = await jetstream(nc).publish('orders.created.eu.std', JSON.stringify(hung));
    const record = await waitFor(
      'the DLQ record',
      async () => (await dlqRecords(nc)).find((r) => r.header.get(DLQ_HEADERS.streamSequence) === String(seq)),
      20_000,
    );
    expect(record.header.get(DLQ_HEADERS.kind)).toBe('max_deliveries');
    expect(record.header.get(DLQ_HEADERS.reason)).toBe('no handler error recorded: all 3 attempts ended without ack or nak (process crash or ack timeout)');
    expect(record.json()).toEqual(hung);
    expect(flaky.events('attempt').filter((a) => a.seq === seq).map((a) => a.deliveryCount)).toEqual([1, 2, 3]);
  });

  it('shows every rejection to operators: GET /v1/dlq/rejected, the metric, the log', async () => {
    const listed = (await (await fetch(`${producer.url}/v1/dlq/rejected?limit=500`, { headers: authHeaders() })).json()) as { items: { check: string; reason: string; advisory: string }[] };
    const stored_ = await stored('DLQ_REJECTED');
    expect(listed.items).toHaveLength(stored_.length);
    expect(listed.items.find((r) => r.reason === 'consumer intruder is not declared on stream ORDERS')?.advisory).toMatch(/"consumer":"intruder"/);
    const samples = await scrape(routerUrl);
    const byCheck = (check: string) => total(samples, 'nestjet_rejected_advisories_total', { check });
    const fromRecords = (check: string) => stored_.filter((r) => r.header.get(REJECTED_HEADERS.check) === check).length;
    for (const check of ['malformed', 'subject_mismatch', 'undeclared', 'uncorroborated']) expect([check, byCheck(check)]).toEqual([check, fromRecords(check)]);
    expect(router.events('dlq-router.rejected')).toHaveLength(stored_.length);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { DLQ_HEADERS } from '#jetstream';
import {
  AppGroup,
  AppProcess,
  DIST,
  DLQ_TEST_TOPOLOGY,
  inspect,
  NatsServer,
  order,
  postJson,
  processed,
  provision,
  startFlaky,
  startProducer,
  startRouter,
  waitFor,
  type Producer,
} from '#test-support';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, type JetStreamManager } from '@nats-io/jetstream';

interface Problem {
  status: number;
  type: string;
  detail: string;
  previousReplay?: { state: string; stream: string; seq: number; subject: string; replayedAt: string };
}

describe('dead letters: replays go only to declared topic subjects, once unless forced, and reach the failed consumer', () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  /** Writes DLQ records directly, as only the dlq user may: what a forged record would look like. */
  let writer: NatsConnection;
  let jsm: JetStreamManager;
  let producer: Producer;
  let flaky: AppProcess;
  const apps = new AppGroup();
  let crafted = 0;

  /** A DLQ record written straight to dlq.<stream>.<consumer>, as only the DLQ user may: what a forged record would look like. */
  async function craft(subject: string, consumer: string, payload: unknown, stream = 'ORDERS'): Promise<number> {
    crafted += 1;
    const at = new Date(Date.now() + crafted).toISOString();
    const h = natsHeaders();
    const facts: Record<string, string> = {
      [DLQ_HEADERS.kind]: 'terminated',
      [DLQ_HEADERS.subject]: subject,
      [DLQ_HEADERS.stream]: stream,
      [DLQ_HEADERS.streamSequence]: String(1000 + crafted),
      [DLQ_HEADERS.consumer]: consumer,
      [DLQ_HEADERS.deliveryCount]: '1',
      [DLQ_HEADERS.reason]: 'crafted by the test',
      [DLQ_HEADERS.errorName]: 'Error',
      [DLQ_HEADERS.handler]: '',
      [DLQ_HEADERS.firstFailureAt]: at,
      [DLQ_HEADERS.lastFailureAt]: at,
      [DLQ_HEADERS.routedAt]: at,
    };
    for (const [k, v] of Object.entries(facts)) h.set(k, v);
    return (await jetstream(writer).publish(`dlq.${stream}.${consumer}`, JSON.stringify(payload), { headers: h })).seq;
  }

  const replay = (id: number, query = '', body?: unknown, url = producer.url) => postJson(`${url}/v1/dlq/${id}/replay${query}`, body ?? {});
  const problemOf = async (r: Response) => {
    expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    return (await r.json()) as Problem;
  };
  const orders = async () => {
    const { messages, last_seq } = (await jsm.streams.info('ORDERS')).state;
    return { messages, last_seq };
  };
  const cli = async (...args: string[]) => {
    const app = await AppProcess.start('dlq-cli', join(DIST, 'apps', 'producer', 'src', 'dlq-cli.js'), { ...nats.env('dlq'), ...DLQ_TEST_TOPOLOGY }, undefined, undefined, args);
    const { code } = await app.waitForExit();
    return { code, out: app.raw.join('\n') };
  };

  beforeAll(async () => {
    nats = await NatsServer.start();
    await provision(nats, DLQ_TEST_TOPOLOGY);
    ({ nc, jsm } = await inspect(nats));
    writer = await nats.connect('dlq');
    producer = await startProducer(nats, DLQ_TEST_TOPOLOGY);
    await apps.add(startRouter(nats));
    flaky = await apps.add(startFlaky(nats, 0));
    // Something a purge would visibly remove.
    for (let i = 0; i < 3; i++) expect((await postJson(`${producer.url}/v1/topics/orders.created/messages`, order())).status).toBe(202);
  });

  afterAll(async () => {
    await apps.stopAll();
    await producer?.app.stop();
    await nc?.close();
    await writer?.close();
    await nats?.dispose();
  });

  it('refuses a record that names a subject outside the declared topics ($JS.API, dlq.>, wildcards) or a foreign stream or consumer', async () => {
    const before = await orders();
    const cases: [number, RegExp][] = [
      [await craft('$JS.API.STREAM.PURGE.ORDERS', 'fulfillment', {}), /subject "\$JS\.API\.STREAM\.PURGE\.ORDERS" is not the subject of a declared topic/],
      [await craft('dlq.ORDERS.fulfillment', 'fulfillment', order()), /subject "dlq\.ORDERS\.fulfillment" is not the subject of a declared topic/],
      [await craft('orders.created.*.std', 'fulfillment', order()), /is not the subject of a declared topic/],
      [await craft('orders.created.eu.std', 'intruder', order()), /consumer "intruder" is not declared on stream ORDERS/],
      [await craft('orders.created.eu.std', 'fulfillment', order(), 'OTHER'), /comes from stream "OTHER", but topic orders.created lives in ORDERS/],
    ];
    for (const [id, detail] of cases) {
      const r = await replay(id);
      expect([id, r.status]).toEqual([id, 409]);
      expect((await problemOf(r)).detail).toMatch(detail);
    }
    const viaCli = await cli('replay', String(cases[0]![0]));
    expect(viaCli.code).toBe(3);
    expect(viaCli.out).toMatch(/is not the subject of a declared topic/);
    expect(await orders()).toEqual(before);
  });

  it("delivers a replay to the durable that failed it alone, on its redelivery subject, and hands its handler the topic subject", async () => {
    // Every other durable whose filter takes the subject; nobody pulls them here, so anything offered to one stays pending.
    const others = ['notifications', 'fraud-review', 'ledger-p3', 'ledger-p5'];
    const pendingOf = async () => Object.fromEntries(await Promise.all(others.map(async (d) => [d, (await jsm.consumers.info('ORDERS', d)).num_pending] as const)));
    const before = await pendingOf();
    const subject = 'orders.created.eu.high.p3';

    const forFulfillment = await craft(subject, 'fulfillment', order({ amount: 2000 }));
    const first = await replay(forFulfillment);
    expect(first.status).toBe(202);
    const done = (await first.json()) as { seq: number; subject: string };
    expect(done.subject).toBe(subject);
    const stored = await jsm.streams.getMessage('ORDERS', { seq: done.seq });
    expect(stored!.subject).toBe(`nestjet-redeliver.ORDERS.fulfillment.${subject}`);
    expect(stored!.header.get('nestjet-replay-of')).toBe(String(forFulfillment));
    expect(stored!.header.has('nestjet-replay-for')).toBe(false);
    const handled = await waitFor('fulfillment to process the replay', () => processed([flaky]).find((p) => p.seq === done.seq));
    expect(handled).toMatchObject({ consumer: 'fulfillment', subject });

    // A partition durable's replay stays with that durable: not fulfillment, not the other partitions, not the fan-out.
    const forLedger = await craft(subject, 'ledger-p3', order({ amount: 2000 }));
    const second = await replay(forLedger);
    expect(second.status).toBe(202);
    const ledgerSeq = ((await second.json()) as { seq: number }).seq;
    expect((await jsm.streams.getMessage('ORDERS', { seq: ledgerSeq }))!.subject).toBe(`nestjet-redeliver.ORDERS.ledger-p3.${subject}`);
    expect(await pendingOf()).toEqual({ ...before, 'ledger-p3': before['ledger-p3']! + 1 });
    await new Promise((r) => setTimeout(r, 500));
    expect(processed([flaky]).some((p) => p.seq === ledgerSeq)).toBe(false);
    expect((await jsm.consumers.info('ORDERS', 'fulfillment')).delivered.stream_seq).toBeLessThan(ledgerSeq);
  });

  it('replays a record once; again only with force=true, and the refusal names the earlier replay', async () => {
    const id = await craft('orders.created.eu.std', 'fulfillment', order());
    const before = await orders();
    const first = await replay(id);
    expect(first.status).toBe(202);
    const done = (await first.json()) as { seq: number; stream: string; forced: boolean };
    expect(done).toMatchObject({ stream: 'ORDERS', forced: false });

    const again = await replay(id);
    expect(again.status).toBe(409);
    const problem = await problemOf(again);
    expect(problem.previousReplay).toMatchObject({ state: 'done', stream: 'ORDERS', seq: done.seq, subject: 'orders.created.eu.std' });
    expect(problem.detail).toBe(
      `record ${id} was already replayed at ${problem.previousReplay!.replayedAt} to orders.created.eu.std (ORDERS seq ${done.seq}); replay with force=true to send it again`,
    );
    expect((await replay(id, '?force=maybe')).status).toBe(400);

    const forced = await replay(id, '?force=true');
    expect(forced.status).toBe(202);
    expect(await forced.json()).toMatchObject({ forced: true });
    expect((await orders()).messages).toBe(before.messages + 2);

    const viaCli = await cli('replay', String(id));
    expect(viaCli.code).toBe(3);
    expect(viaCli.out).toMatch(new RegExp(`record ${id} was already replayed at .* force=true`));
    const forcedCli = await cli('replay', String(id), '--force');
    expect(forcedCli.code).toBe(0);
    expect(forcedCli.out).toMatch(/again \(--force\)/);
    expect((await orders()).messages).toBe(before.messages + 3);
  });

  it('holds the mark across producer pods and restarts: of two concurrent replays exactly one is stored', async () => {
    const id = await craft('orders.created.eu.std', 'fulfillment', order());
    const other = await startProducer(nats, DLQ_TEST_TOPOLOGY);
    const before = await orders();
    const statuses = (await Promise.all([replay(id), replay(id, '', undefined, other.url)])).map((r) => r.status);
    expect(statuses.sort()).toEqual([202, 409]);
    expect((await orders()).messages).toBe(before.messages + 1);
    await other.app.stop();
    const restarted = await startProducer(nats, DLQ_TEST_TOPOLOGY);
    try {
      expect((await replay(id, '', undefined, restarted.url)).status).toBe(409);
    } finally {
      await restarted.app.stop();
    }
  });

  it('bulk replay skips records replayed before (unless force) and refused ones, and reports both', async () => {
    const [a, b, foreign] = [
      await craft('orders.created.apac.std', 'fulfillment', order({ region: 'apac' })),
      await craft('orders.created.apac.std', 'fulfillment', order({ region: 'apac' })),
      await craft('orders.created.apac.std', 'intruder', order({ region: 'apac' })),
    ];
    expect((await replay(a)).status).toBe(202);
    const bulk = async (query: string) =>
      (await (await postJson(`${producer.url}/v1/dlq/replay?subject=orders.created.apac.*${query}`, '')).json()) as {
        matched: number;
        replayed: { replayOf: number }[];
        skipped: { id: number; reason: string; previousReplay?: { state: string } }[];
      };
    const dry = await bulk('&dryRun=true');
    expect(dry.skipped.map((s) => s.id)).toEqual([a]);
    const once = await bulk('');
    expect(once.matched).toBe(3);
    expect(once.replayed.map((r) => r.replayOf)).toEqual([b]);
    expect(once.skipped).toEqual([
      { id: a, reason: 'replayed before', previousReplay: expect.objectContaining({ state: 'done' }) },
      { id: foreign, reason: expect.stringMatching(/consumer "intruder" is not declared/) },
    ]);
    const forced = await bulk('&force=true');
    expect(forced.replayed.map((r) => r.replayOf)).toEqual([a, b]);
    expect(forced.skipped.map((s) => s.id)).toEqual([foreign]);
  });

  it('refuses an edited replay whose new route the failed consumer does not receive (422), accepts one it does', async () => {
    const high = order({ amount: 2000 });
    const id = await craft('orders.created.eu.high', 'fraud-review', high);
    const before = await orders();
    const lowered = await replay(id, '', { payload: { ...high, amount: 10 } });
    expect(lowered.status).toBe(422);
    expect((await problemOf(lowered)).detail).toMatch(
      /^the edited payload routes to orders\.created\.eu\.std\.p\d, which consumer fraud-review does not receive \(filter orders\.created\.\*\.high, orders\.created\.\*\.high\.\*\); a replay goes only to subjects its consumer's filter takes$/,
    );
    expect(await orders()).toEqual(before);
    const stillHigh = await replay(id, '', { payload: { ...high, amount: 5000 } });
    expect(stillHigh.status).toBe(202);
    expect(await stillHigh.json()).toMatchObject({ subject: expect.stringMatching(/^orders\.created\.eu\.high\.p\d$/) });
  });

  it('never copies a client-sent nestjet-replay-for header into a message, so no client can make durables skip one', async () => {
    const r = await postJson(`${producer.url}/v1/topics/orders.created/messages`, order(), {
      'nestjet-replay-for': 'nobody',
      'nestjet-replay-of': '1',
      'nestjet-original-traceparent': '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    expect(r.status).toBe(202);
    const { seq } = (await r.json()) as { seq: number };
    const stored = await jsm.streams.getMessage('ORDERS', { seq });
    const names = stored!.header.keys().map((k) => k.toLowerCase());
    expect(names.filter((k) => k.startsWith('nestjet-replay') || k === 'nestjet-original-traceparent')).toEqual([]);
    await waitFor('fulfillment to process it (not skip it)', () => processed([flaky]).some((p) => p.seq === seq));
  });
});

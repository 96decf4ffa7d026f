import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { DLQ_HEADERS } from '#jetstream';
import {
  AppGroup,
  DLQ_TEST_TOPOLOGY,
  dlqRecords,
  freePort,
  inspect,
  NatsServer,
  order,
  provision,
  scrape,
  startFlaky,
  startRouter,
  streamCount,
  total,
  waitFor,
  type AppProcess,
} from '#test-support';
import { JetStreamApiError, jetstream, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';

const KIB = 1024;

/** What a poison message of this suite is and how it dies on `fulfillment`. */
interface Poison {
  seq: number;
  payload: Record<string, unknown>;
  kind: 'terminated' | 'max_deliveries';
}

describe('direct dead-lettering: records do not depend on advisories', () => {
  let nats: NatsServer;
  /** The operator: inspects, deletes and reshapes streams. */
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  /** Publishes orders as a client sending straight to NATS (the producer user). */
  let publisher: NatsConnection;
  /** Writes filler records, as only the dlq user may. */
  let writer: NatsConnection;
  const apps = new AppGroup();
  const keep = (p: Promise<AppProcess>) => apps.add(p);
  /** What every provision run of this suite is given (a run without a setting resets it to its default). */
  const settings: Record<string, string> = { ...DLQ_TEST_TOPOLOGY };
  const reprovision = (changes: Record<string, string> = {}) => provision(nats, Object.assign(settings, changes));

  /** Every poison message's DLQ records on fulfillment, counted by (stream sequence, consumer). */
  async function recordsOf(poison: Poison[]) {
    const records = (await dlqRecords(nc)).filter((r) => r.header.get(DLQ_HEADERS.consumer) === 'fulfillment');
    return poison.map((p) => records.filter((r) => r.header.get(DLQ_HEADERS.streamSequence) === String(p.seq)));
  }

  /** Half terminated at once (NonRetryableError), half failing every attempt until max_deliver. */
  async function publishPoison(n: number): Promise<Poison[]> {
    const out: Poison[] = [];
    for (let i = 0; i < n; i++) {
      const kind = i % 2 === 0 ? 'terminated' : 'max_deliveries';
      const payload = order(kind === 'terminated' ? { customerId: 'blocked' } : {});
      const { seq } = await jetstream(publisher).publish('orders.created.eu.std', JSON.stringify(payload));
      out.push({ seq, payload, kind });
    }
    return out;
  }

  /** Every attempt the flaky consumer will make has been made: one for a termination, max_deliver (3) otherwise. */
  async function allAttemptsMade(flaky: AppProcess, poison: Poison[]): Promise<void> {
    await waitFor('every attempt made', () =>
      poison.every((p) => flaky.events('attempt').filter((a) => a.seq === p.seq).length === (p.kind === 'terminated' ? 1 : 3)),
    );
  }

  function expectOneRecordEach(poison: Poison[], records: Awaited<ReturnType<typeof recordsOf>>): void {
    expect(records.map((r) => r.length)).toEqual(poison.map(() => 1));
    poison.forEach((p, i) => {
      const r = records[i]![0]!;
      expect(r.json()).toEqual(p.payload);
      expect(r.header.get(DLQ_HEADERS.kind)).toBe(p.kind);
      expect(r.header.get('Nats-Msg-Id')).toBe(`ORDERS:${p.seq}:fulfillment`);
      expect(r.header.get(DLQ_HEADERS.reason)).toBe(
        p.kind === 'terminated' ? 'NonRetryableError: customer blocked is blocked' : 'Error: simulated failure on attempt 3',
      );
    });
  }

  async function fillDlq(): Promise<void> {
    const js = jetstream(writer);
    for (let n = 0; n < 10_000; n++) {
      try {
        await js.publish('dlq.ORDERS.filler', 'f'.repeat(500));
      } catch (err) {
        expect((err as JetStreamApiError).code).toBe(10077);
        return;
      }
    }
    throw new Error('the DLQ never filled up');
  }

  beforeAll(async () => {
    nats = await NatsServer.start();
    ({ nc, jsm } = await inspect(nats));
    publisher = await nats.connect('producer');
    writer = await nats.connect('dlq');
  });

  afterEach(async () => {
    await apps.stopAll();
    await jsm.streams.purge('DLQ').catch(() => undefined);
  });

  afterAll(async () => {
    await nc?.close();
    await publisher?.close();
    await writer?.close();
    await nats?.dispose();
  });

  it('with DLQ_ADVISORIES deleted, terminated and max-delivered messages still get one record each', async () => {
    await reprovision();
    await jsm.streams.delete('DLQ_ADVISORIES');
    const flaky = await keep(startFlaky(nats, -1, { ...settings, ...nats.dlqEnv() }));
    const poison = await publishPoison(6);
    await waitFor('a record for every poison message', async () => (await recordsOf(poison)).every((r) => r.length > 0));
    await allAttemptsMade(flaky, poison);
    await waitFor('every attempt settled', async () => (await jsm.consumers.info('ORDERS', 'fulfillment')).num_ack_pending === 0);

    const records = await recordsOf(poison);
    expectOneRecordEach(poison, records);
    expect(flaky.events('dlq.stored').filter((e) => e.via === 'direct' && e.duplicate === false)).toHaveLength(6);
    const latencies = poison
      .map((p, i) => {
        const last = flaky.events('attempt').filter((a) => a.seq === p.seq).at(-1) as unknown as { at: number };
        return Date.parse(records[i]![0]!.header.get(DLQ_HEADERS.routedAt)) - last.at;
      })
      .sort((a, b) => a - b);
    process.stdout.write(`direct dead-lettering, last attempt → record: median ${latencies[latencies.length >> 1]} ms, worst ${latencies.at(-1)} ms (${poison.length} records)\n`);
    expect(flaky.events('dlq.direct-failed')).toEqual([]);
    await expect(jsm.streams.info('DLQ_ADVISORIES')).rejects.toThrow(/stream not found/);
    // Each failure record notes its DLQ record, so neither the sweep nor a late advisory writes it again.
    const failures = await new Kvm(nc).open('nestjet_failures');
    for (const p of poison) {
      expect((await failures.get(`ORDERS.${p.seq}.fulfillment`))?.json<{ dlqSeq?: number }>().dlqSeq).toBeGreaterThan(0);
    }
  });

  it('with DLQ_ADVISORIES full, advisories are lost but every poison message gets one record; the router adds none for those it gets', async () => {
    await reprovision({ DLQ_ADVISORIES_MAX_BYTES: String(KIB) });
    const flaky = await keep(startFlaky(nats, -1, { ...settings, ...nats.dlqEnv() }));
    const poison = await publishPoison(10);
    await waitFor('a record for every poison message', async () => (await recordsOf(poison)).every((r) => r.length > 0));
    await allAttemptsMade(flaky, poison);
    await waitFor('every attempt settled', async () => (await jsm.consumers.info('ORDERS', 'fulfillment')).num_ack_pending === 0);
    const kept = await streamCount(nc, 'DLQ_ADVISORIES');
    // The stream is full: most advisories were refused by it, so the router will never see them.
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(poison.length);

    const router = await keep(startRouter(nats, settings));
    await waitFor('the kept advisories routed', async () => (await streamCount(nc, 'DLQ_ADVISORIES')) === 0);
    // The router logs after it acks: its lines can arrive a moment after the stream is empty.
    await waitFor('the router to log each routed advisory', () => (router.events('dlq.routed').length >= kept ? true : null), 5_000);
    const routed = router.events('dlq.routed');
    expect(routed).toHaveLength(kept);
    expect(routed.every((e) => e.stored === false)).toBe(true);
    expect(router.events('dlq-router.rejected')).toEqual([]);
    expectOneRecordEach(poison, await recordsOf(poison));
    process.stdout.write(`DLQ_ADVISORIES full (1 KiB): ${kept} of ${poison.length} advisories kept; ${poison.length} records, one each\n`);
  });

  it('with advisories healthy, one record per message and durable: the router confirms the direct record, and its own publish of one the transport could not note is a duplicate', async () => {
    await reprovision({ DLQ_ADVISORIES_MAX_BYTES: String(64 * KIB) });
    const flaky = await keep(startFlaky(nats, -1, { ...settings, ...nats.dlqEnv() }));
    const poison = await publishPoison(6);
    await allAttemptsMade(flaky, poison);
    await waitFor('every advisory waiting', async () => (await streamCount(nc, 'DLQ_ADVISORIES')) === poison.length);
    // As if the transport had stopped between the DLQ PubAck and the failure record: the record exists, the bucket does not say so.
    const failures = await new Kvm(nc).open('nestjet_failures');
    const unnoted = poison.slice(0, 2);
    for (const p of unnoted) {
      const key = `ORDERS.${p.seq}.fulfillment`;
      const { dlqSeq: _noted, ...rest } = (await failures.get(key))!.json<Record<string, unknown>>();
      await failures.put(key, JSON.stringify(rest));
    }

    const router = await keep(startRouter(nats, settings));
    await waitFor('every advisory routed', () => router.events('dlq.routed').length === poison.length);
    await waitFor('the advisory stream drained', async () => (await streamCount(nc, 'DLQ_ADVISORIES')) === 0);
    expectOneRecordEach(poison, await recordsOf(poison));
    const routed = router.events('dlq.routed');
    expect(routed.every((e) => e.stored === false)).toBe(true);
    // Noted records were only confirmed; the two unnoted ones were published again and deduplicated by their msgID.
    const unnotedSeqs = unnoted.map((p) => p.seq);
    expect(routed.filter((e) => e.noted === false).map((e) => e.streamSequence).sort()).toEqual([...unnotedSeqs].sort());
    // Routed from the advisory: the failure records are forgotten.
    for (const p of poison) expect((await failures.get(`ORDERS.${p.seq}.fulfillment`))?.operation ?? 'DEL').toBe('DEL');
    expect(flaky.events('dlq.stored')).toHaveLength(poison.length);
  });

  it('the sweep stores the record of a final failure whose direct publish failed (DLQ full) once the DLQ has room, exactly once', async () => {
    await reprovision({ DLQ_MAX_BYTES: String(8 * KIB) });
    const port = await freePort();
    const router = await keep(
      startRouter(nats, {
        ...settings,
        PORT: String(port),
        DLQ_RECONCILE_INTERVAL_MS: '300',
        DLQ_RECONCILE_GRACE_MS: '1000',
        DLQ_RECONCILE_BATCH: '3',
        LOG_LEVEL: 'debug',
      }),
    );
    // The advisory path is gone: only the sweep can store what the transport could not.
    await jsm.streams.delete('DLQ_ADVISORIES');
    await fillDlq();
    const flaky = await keep(startFlaky(nats, -1, { ...settings, ...nats.dlqEnv() }));
    const poison = await publishPoison(4);
    await allAttemptsMade(flaky, poison);
    await waitFor('every direct publish refused', () => flaky.events('dlq.direct-failed').length === poison.length);
    expect(flaky.events('dlq.direct-failed').every((e) => e.full === true)).toBe(true);
    expect((await recordsOf(poison)).flat()).toEqual([]);
    await waitFor('the sweep to find the DLQ full', () => router.events('dlq-reconciler.failed').some((e) => e.full === true));

    // A terminated original gone meanwhile (as on a WorkQueue stream): the sweep uses the copy the failure record kept.
    const gone = poison.find((p) => p.kind === 'terminated')!;
    await jsm.streams.deleteMessage('ORDERS', gone.seq);
    await jsm.streams.purge('DLQ', { filter: 'dlq.ORDERS.filler' });
    await waitFor('the sweep to store every record', async () => (await recordsOf(poison)).every((r) => r.length > 0));
    // Later sweeps find every record noted and store nothing more.
    const sweeps = router.events('dlq-reconciler.swept').length;
    await waitFor('three more sweeps', () => router.events('dlq-reconciler.swept').length >= sweeps + 3);
    const records = await recordsOf(poison);
    expectOneRecordEach(poison, records);
    expect(records[poison.indexOf(gone)]![0]!.header.get(DLQ_HEADERS.originalMissing)).toBe('');
    const reconciled = router.events('dlq.reconciled');
    expect(reconciled.map((e) => e.streamSequence).sort()).toEqual(poison.map((p) => p.seq).sort());
    expect(reconciled.every((e) => e.duplicate === false)).toBe(true);
    // Bounded: no sweep read more than DLQ_RECONCILE_BATCH entries of the bucket.
    expect(Math.max(...router.events('dlq-reconciler.swept').map((e) => Number(e.scanned)))).toBeLessThanOrEqual(3);
    const samples = await scrape(`http://127.0.0.1:${port}`);
    expect(total(samples, 'nestjet_dead_letters_reconciled_total')).toBe(poison.length);
    expect(total(samples, 'nestjet_dead_letters_reconciled_total', { kind: 'terminated' })).toBe(poison.length / 2);
  });
});

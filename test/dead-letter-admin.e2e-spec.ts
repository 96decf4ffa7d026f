import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { AppGroup, AppProcess, authHeaders, DIST, DLQ_TEST_TOPOLOGY, inspect, NatsServer, order, postJson, processed, type Producer, provision, startConsumer, startFlaky, startProducer, startRouter, streamCount, waitFor } from '#test-support';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

interface View {
  id: number;
  subject: string;
  consumer: string;
  reason: string;
  payload: Record<string, unknown>;
  kind: string;
  originalMsgId?: string;
  originalTime?: string;
}

describe('dead letters: admin API and CLI — inspect, replay, purge', () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  /** Publishes orders as a client sending straight to NATS (the producer user). */
  let publisher: NatsConnection;
  let producer: Producer;
  const apps = new AppGroup();
  let flaky: AppProcess;
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${producer.url}/v1/dlq${path}`, {
      ...init,
      // Admin writes must be JSON requests (no CORS simple request can make them).
      headers: { ...authHeaders(), ...(init.method ? { 'content-type': 'application/json' } : {}), ...(init.headers as Record<string, string>) },
    });
  const json = async <T>(r: Response) => (await r.json()) as T;
  const cli = async (...args: string[]) => {
    // The CLI runs as the dlq user, like the admin API behind /v1/dlq.
    const app = await AppProcess.start('dlq-cli', join(DIST, 'apps', 'producer', 'src', 'dlq-cli.js'), { ...nats.env('dlq'), ...DLQ_TEST_TOPOLOGY }, undefined, undefined, args);
    const { code } = await app.waitForExit();
    return { code, out: app.raw.join('\n') };
  };

  /** Dead-letters `n` orders through the failing fixture; returns their DLQ views. */
  async function deadLetter(n: number, overrides: Record<string, unknown> = {}): Promise<View[]> {
    const before = await streamCount(nc, 'DLQ');
    const js = jetstream(publisher);
    const ids = new Set<unknown>();
    for (let i = 0; i < n; i++) {
      const o = order(overrides);
      ids.add(o.orderId);
      await js.publish(`orders.created.${String(o.region)}.std`, JSON.stringify(o), { msgID: `msg-${String(o.orderId)}` });
    }
    // Earlier replays may dead-letter again meanwhile: pick this call's records by order id.
    return waitFor(`${n} new DLQ records`, async () => {
      if ((await streamCount(nc, 'DLQ')) < before + n) return null;
      const page = await json<{ items: View[] }>(await api(`?limit=500`));
      const mine = page.items.filter((v) => ids.has(v.payload?.orderId));
      return mine.length >= n ? mine : null;
    }, 20_000);
  }

  beforeAll(async () => {
    nats = await NatsServer.start();
    await provision(nats, DLQ_TEST_TOPOLOGY);
    ({ nc } = await inspect(nats));
    publisher = await nats.connect('producer');
    producer = await startProducer(nats, DLQ_TEST_TOPOLOGY);
    await apps.add(startRouter(nats));
    flaky = await apps.add(startFlaky(nats, 0));
  });

  afterAll(async () => {
    await apps.stopAll();
    await producer?.app.stop();
    await nc?.close();
    await publisher?.close();
    await nats?.dispose();
  });

  it('lists with filters and pagination and shows one record', async () => {
    await deadLetter(3, { customerId: 'blocked' });
    const first = await json<{ items: View[]; next: number }>(await api('?limit=2&stream=ORDERS&consumer=fulfillment'));
    expect(first.items).toHaveLength(2);
    expect(first.next).toBe(first.items[1]!.id);
    const second = await json<{ items: View[]; next: number | null }>(await api(`?limit=2&after=${first.next}`));
    expect(second.items.length).toBeGreaterThanOrEqual(1);
    expect(second.items[0]!.id).toBeGreaterThan(first.next);
    expect((await json<{ items: View[] }>(await api('?subject=orders.paid.>'))).items).toHaveLength(0);
    expect((await json<{ items: View[] }>(await api('?since=2999-01-01T00:00:00Z'))).items).toHaveLength(0);

    const one = await json<View & { headers: Record<string, string[]> }>(await api(`/${first.items[0]!.id}`));
    expect(one).toMatchObject({ kind: 'terminated', consumer: 'fulfillment', reason: 'NonRetryableError: customer blocked is blocked' });
    expect(one.payload.customerId).toBe('blocked');
    // What the router wrote about the original is what the API shows.
    expect(one.originalMsgId).toBe(`msg-${String(one.payload.orderId)}`);
    expect(Date.parse(one.originalTime!)).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(one.originalTime!)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('replays to the original consumer only; refuses an invalid edited payload', async () => {
    const notifications = await startConsumer(nats, { CONSUMERS: 'notifications', DLQ_ROUTER_ENABLED: 'false', ...DLQ_TEST_TOPOLOGY }, 'notifications');
    await apps.add(notifications);
    const [record] = await deadLetter(1, { customerId: 'blocked' });
    const ordersBefore = await streamCount(nc, 'ORDERS');

    const invalid = await postJson(`${producer.url}/v1/dlq/${record!.id}/replay`, { payload: { ...record!.payload, amount: 'free' } });
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('content-type')).toMatch(/problem\+json/);
    expect((await json<{ errors: { field: string }[] }>(invalid)).errors[0]!.field).toBe('payload.amount');
    expect(await streamCount(nc, 'ORDERS')).toBe(ordersBefore);

    const edited = { ...record!.payload, customerId: 'unblocked' };
    const replay = await postJson(`${producer.url}/v1/dlq/${record!.id}/replay`, { payload: edited });
    expect(replay.status).toBe(202);
    const result = await json<{ replayOf: number; seq: number; subject: string }>(replay);
    // Routed again, like ingress: region and tier, then the (new) customer's partition.
    expect(result).toMatchObject({ replayOf: record!.id, subject: expect.stringMatching(/^orders\.created\.eu\.std\.p\d$/) });
    await waitFor('the fixture to process the replay', () => processed([flaky]).some((p) => p.seq === result.seq));
    await new Promise((r) => setTimeout(r, 500));
    expect(processed([notifications]).filter((p) => p.seq === result.seq)).toHaveLength(0);
  });

  it('replays in bulk by filter, with a dry-run count first', async () => {
    const records = await deadLetter(2, { customerId: 'blocked', region: 'apac' });
    const dry = await json<{ matched: number }>(await api(`/replay?dryRun=true&subject=orders.created.apac.*`, { method: 'POST' }));
    expect(dry.matched).toBeGreaterThanOrEqual(2);
    const ordersBefore = await streamCount(nc, 'ORDERS');
    const done = await json<{ matched: number; replayed: { replayOf: number }[] }>(
      await api(`/replay?subject=orders.created.apac.*`, { method: 'POST' }),
    );
    expect(done.replayed.map((r) => r.replayOf)).toEqual(expect.arrayContaining(records.map((r) => r.id)));
    await waitFor('replays stored', async () => (await streamCount(nc, 'ORDERS')) === ordersBefore + done.matched);
  });

  it('purges one record and by filter; refuses a purge without a filter', async () => {
    const [a, b] = await deadLetter(2, { customerId: 'blocked', region: 'us' });
    expect((await api(`/${a!.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api(`/${a!.id}`)).status).toBe(404);
    const everything = await api('', { method: 'DELETE' });
    expect(everything.status).toBe(400);
    const before = await streamCount(nc, 'DLQ');
    const dry = await json<{ matched: number }>(await api('?subject=orders.created.us.*&dryRun=true', { method: 'DELETE' }));
    expect(dry.matched).toBe(1);
    expect(await streamCount(nc, 'DLQ')).toBe(before);
    const purged = await json<{ purged: number }>(await api('?subject=orders.created.us.*', { method: 'DELETE' }));
    expect(purged.purged).toBe(1);
    expect((await api(`/${b!.id}`)).status).toBe(404);
  });

  it('answers bad admin input with problem+json and changes nothing', async () => {
    await deadLetter(1, { customerId: 'blocked' });
    const before = await streamCount(nc, 'DLQ');
    const cases: [string, RequestInit, number][] = [
      ['/999999', {}, 404],
      ['/abc', {}, 400],
      ['?since=yesterday', {}, 400],
      ['?limit=0', {}, 400],
      ['?limit=abc&after=-3', {}, 400],
      ['?colour=red', {}, 400],
      ['/999999/replay', { method: 'POST' }, 404],
      ['/999999', { method: 'DELETE' }, 404],
      ['/replay?dryRun=maybe', { method: 'POST' }, 400],
      ['?until=2026-01-01', { method: 'DELETE' }, 400],
      ['?all=maybe', { method: 'DELETE' }, 400],
      ['/1', { method: 'DELETE', body: '{"x":1}' }, 400],
    ];
    for (const [path, init, status] of cases) {
      const r = await api(path, init);
      expect([path, r.status]).toEqual([path, status]);
      expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    expect(await streamCount(nc, 'DLQ')).toBe(before);
  });

  it('offers the same operations on the command line, with clear errors', async () => {
    const [record] = await deadLetter(1, { customerId: 'blocked', region: 'us' });
    const list = await cli('list', '--subject', 'orders.created.us.*');
    expect(list.code).toBe(0);
    expect(list.out).toMatch(new RegExp(`\\s${record!.id}\\s.*ORDERS/fulfillment.*NonRetryableError`));
    const show = await cli('show', String(record!.id), '--json');
    expect(JSON.parse(show.out.slice(show.out.indexOf('{')))).toMatchObject({
      id: record!.id,
      consumer: 'fulfillment',
      originalMsgId: `msg-${String(record!.payload.orderId)}`,
      originalTime: expect.any(String),
    });

    const file = join(mkdtempSync(join(tmpdir(), 'dlq-')), 'edited.json');
    writeFileSync(file, JSON.stringify({ ...record!.payload, customerId: 'fixed' }));
    const replay = await cli('replay', String(record!.id), '--payload-file', file);
    expect(replay.code).toBe(0);
    expect(replay.out).toMatch(/replayed record \d+ to orders\.created\.us\.std/);

    expect((await cli('purge', String(record!.id))).code).toBe(0);
    const gone = await cli('show', String(record!.id));
    expect(gone.code).toBe(2);
    expect(gone.out).toMatch(/no DLQ record/);
    const bad = await cli('list', '--since', 'tomorrow-ish');
    expect(bad.code).toBe(64);
    expect(bad.out).toMatch(/since: must be an RFC 3339 date-time/);
    const unknown = await cli('frobnicate');
    expect(unknown.code).toBe(64);
    expect(unknown.out).toMatch(/unknown command "frobnicate"/);
    expect((await cli('purge', '--all')).out).toMatch(/needs a filter/);
  });
});

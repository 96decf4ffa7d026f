import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { SCHEDULE_LIST_SCAN_LIMIT, type PendingSchedule as StoredSchedule } from '#jetstream';
import {
  AppProcess,
  authHeaders,
  inspect,
  NatsServer,
  order,
  postJson,
  type Producer,
  provision,
  runOpsCli,
  startConsumer,
  startProducer,
  TEST_API_KEY,
  testKey,
  waitFor,
  writeApiKeysFile,
} from '#test-support';

/** As the API answers it; the test's payloads are orders. */
type PendingSchedule = StoredSchedule & { payload: { orderId: string } };

interface Scheduled {
  id: string;
  stream: string;
  seq: number;
  duplicate: boolean;
  scheduleId: string;
  deliverAt: string;
}
const publisherOnly = testKey('publisher', ['publish:orders.created']);
const reader = testKey('schedule-reader', ['schedules:read']);
const paidOnly = testKey('paid-publisher', ['publish:orders.paid']);
const alice = testKey('alice', ['publish:orders.created', 'schedules:read', 'schedules:cancel']);
const bob = testKey('bob', ['publish:orders.created', 'schedules:read', 'schedules:cancel']);
const admin = testKey('schedules-admin', ['schedules:read', 'schedules:cancel', 'schedules:admin']);

/** Processed events of one order, with the time each consumer logged it. */
function handled(consumer: AppProcess, orderId: string): { consumer: string; at: number }[] {
  return consumer.lines
    .filter((l) => l.event === 'message.processed' && l.orderId === orderId)
    .map((l) => ({ consumer: String(l.consumer), at: Date.parse(String(l.time)) }));
}

describe('delayed and scheduled messages (deliverAt / delayMs, /v1/schedules)', () => {
  let nats: NatsServer;
  let producer: Producer;
  let consumer: AppProcess;

  const url = (path: string) => `${producer.url}${path}`;
  const get = (path: string, key = TEST_API_KEY) => fetch(url(path), { headers: authHeaders(key) });
  const cancel = (id: string, key = TEST_API_KEY) => fetch(url(`/v1/schedules/${id}`), { method: 'DELETE', headers: authHeaders(key) });
  const schedule = (query: string, body: unknown, headers: Record<string, string> = {}) =>
    postJson(url(`/v1/topics/orders.created/messages?${query}`), body, headers);
  const inOrders = async (orderId: string) => {
    const { nc, jsm } = await inspect(nats);
    try {
      const { state } = await jsm.streams.info('ORDERS');
      const found: { seq: number; time: number }[] = [];
      for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
        const m = await jsm.streams.getMessage('ORDERS', { seq }).catch(() => null);
        if (m && (m.json<{ orderId: string }>().orderId === orderId)) found.push({ seq, time: m.timestamp ? Date.parse(m.timestamp) : 0 });
      }
      return found;
    } finally {
      await nc.close();
    }
  };

  beforeAll(async () => {
    nats = await NatsServer.start();
    await provision(nats);
    [producer, consumer] = await Promise.all([
      startProducer(nats, { API_KEYS_FILE: writeApiKeysFile([TEST_API_KEY, publisherOnly, reader, paidOnly, alice, bob, admin]) }),
      // The two unordered consumers that see orders.created: each order is handled twice, once by each.
      startConsumer(nats, { CONSUMERS: 'fulfillment,notifications' }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await consumer?.stop();
    await producer?.app.stop();
    await nats?.dispose();
  });

  it('stores an order at once and delivers it at its time, not before and within 1 s after', async () => {
    const o = order();
    const posted = Date.now();
    const res = await schedule('delayMs=3000', o);
    expect(res.status).toBe(202);
    const body = (await res.json()) as Scheduled;
    expect(body).toMatchObject({ stream: 'SCHEDULES', duplicate: false, scheduleId: expect.stringMatching(/^[A-Za-z0-9_-]+$/) });
    const due = Date.parse(body.deliverAt);
    expect(due).toBeGreaterThanOrEqual(posted + 3000);

    // Stored at once: it is pending, and not in ORDERS yet.
    const pending = (await (await get(`/v1/schedules/${body.scheduleId}`)).json()) as PendingSchedule;
    expect(pending).toMatchObject({ id: body.scheduleId, subject: expect.stringMatching(/^orders\.created\.eu\.std\.p\d$/), deliverAt: body.deliverAt, scheduledBy: 'key:test', payload: o });
    expect(await inOrders(o.orderId as string)).toEqual([]);

    const seen = await waitFor('both order consumers handled it', () => {
      const h = handled(consumer, o.orderId as string);
      return h.length === 2 ? h : undefined;
    }, 10_000, 20);
    for (const h of seen) {
      expect(h.at).toBeGreaterThanOrEqual(due);
      expect(h.at - due).toBeLessThan(1000);
    }
    const [stored] = await inOrders(o.orderId as string);
    expect(stored!.time).toBeGreaterThanOrEqual(due);
    expect((await get(`/v1/schedules/${body.scheduleId}`)).status).toBe(404);
    process.stdout.write(`scheduled delivery: due ${body.deliverAt}, stored +${stored!.time - due} ms, handled +${seen.map((h) => h.at - due).join('/')} ms\n`);
  }, 30_000);

  it('takes deliverAt in RFC 3339 with any zone offset', async () => {
    const o = order({ region: 'us' });
    const at = new Date(Math.ceil((Date.now() + 2500) / 1000) * 1000);
    const local = new Date(at.getTime() + 3600_000).toISOString().replace('Z', '+01:00');
    const res = await schedule(`deliverAt=${encodeURIComponent(local)}`, o);
    expect(res.status).toBe(202);
    expect(((await res.json()) as Scheduled).deliverAt).toBe(at.toISOString());
    const seen = await waitFor('handled', () => (handled(consumer, o.orderId as string).length === 2 ? handled(consumer, o.orderId as string) : undefined), 10_000, 20);
    for (const h of seen) expect(h.at - at.getTime()).toBeGreaterThanOrEqual(0);
  }, 30_000);

  it('cancels a pending schedule: it is never delivered, and a second cancel is a 404', async () => {
    const o = order();
    const { scheduleId, deliverAt } = (await (await schedule('delayMs=1500', o)).json()) as Scheduled;
    const res = await cancel(scheduleId);
    expect(res.status).toBe(200);
    expect(((await res.json()) as PendingSchedule).payload).toEqual(o);
    expect((await get(`/v1/schedules/${scheduleId}`)).status).toBe(404);
    const again = await cancel(scheduleId);
    expect(again.status).toBe(404);
    expect(again.headers.get('content-type')).toContain('application/problem+json');
    await sleep(Math.max(0, Date.parse(deliverAt) - Date.now()) + 1500);
    expect(handled(consumer, o.orderId as string)).toEqual([]);
    expect(await inOrders(o.orderId as string)).toEqual([]);
  }, 30_000);

  it('answers a repeat with the same Idempotency-Key as a duplicate of the pending schedule, a different payload 422; delivers once', async () => {
    const o = order();
    const key = { 'idempotency-key': `sched-${o.orderId as string}` };
    const first = (await (await schedule('delayMs=2000', o, key)).json()) as Scheduled;
    const repeat = await schedule('delayMs=9000', o, key);
    expect(repeat.status).toBe(202);
    expect((await repeat.json()) as Scheduled).toMatchObject({ duplicate: true, scheduleId: first.scheduleId, seq: first.seq, deliverAt: first.deliverAt });
    const reused = await schedule('delayMs=2000', { ...o, amount: 1 }, key);
    expect(reused.status).toBe(422);
    await waitFor('handled', () => handled(consumer, o.orderId as string).length === 2, 10_000, 20);
    await sleep(500);
    expect(handled(consumer, o.orderId as string)).toHaveLength(2);
    expect(await inOrders(o.orderId as string)).toHaveLength(1);
  }, 30_000);

  it('lists pending schedules oldest first, page by page', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(((await (await schedule('delayMs=600000', order())).json()) as Scheduled).scheduleId);
    const first = (await (await get('/v1/schedules?limit=2')).json()) as { items: PendingSchedule[]; next: number | null };
    const mine = (items: PendingSchedule[]) => items.map((s) => s.id).filter((id) => ids.includes(id));
    let all = [...first.items];
    let next = first.next;
    while (next !== null) {
      const page = (await (await get(`/v1/schedules?limit=2&after=${next}`)).json()) as { items: PendingSchedule[]; next: number | null };
      expect(page.items.length).toBeLessThanOrEqual(2);
      all = [...all, ...page.items];
      next = page.next;
    }
    expect(mine(all)).toEqual(ids);
    expect(all.map((s) => s.seq)).toEqual([...all.map((s) => s.seq)].sort((a, b) => a - b));
    for (const id of ids) expect((await cancel(id)).status).toBe(200);
  });

  it('applies delayMs to every message of a batch', async () => {
    const a = order();
    const b = order({ region: 'apac' });
    const res = await postJson(url('/v1/topics/orders.created/messages/batch?delayMs=1500'), { messages: [{ payload: a }, { payload: b }] });
    expect(res.status).toBe(202);
    const { results } = (await res.json()) as { results: (Scheduled & { status: number })[] };
    expect(results.map((r) => [r.status, r.stream])).toEqual([[202, 'SCHEDULES'], [202, 'SCHEDULES']]);
    expect(new Set(results.map((r) => r.scheduleId)).size).toBe(2);
    await waitFor('both handled', () => handled(consumer, a.orderId as string).length === 2 && handled(consumer, b.orderId as string).length === 2, 10_000, 20);
  }, 30_000);

  it('refuses bad delivery times with problem+json naming the parameter, and stores nothing', async () => {
    const { nc, jsm } = await inspect(nats);
    const before = (await jsm.streams.info('SCHEDULES')).state.last_seq;
    const cases: [string, string][] = [
      ['delayMs=soon', 'delayMs'],
      ['delayMs=0', 'delayMs'],
      ['delayMs=-100', 'delayMs'],
      ['delayMs=1000&deliverAt=2099-01-01T00:00:00Z', 'delayMs'],
      ['deliverAt=2020-01-01T00:00:00Z', 'deliverAt'],
      ['deliverAt=tomorrow', 'deliverAt'],
      ['deliverAt=2099-01-01T00:00:00', 'deliverAt'],
      [`delayMs=${400 * 24 * 3600_000}`, 'delayMs'],
    ];
    for (const [query, field] of cases) {
      const res = await schedule(query, order());
      expect({ query, status: res.status, type: res.headers.get('content-type') }).toEqual({ query, status: 400, type: expect.stringContaining('application/problem+json') });
      const problem = (await res.json()) as { errors: { field: string }[] };
      expect({ query, fields: problem.errors.map((e) => e.field) }).toEqual({ query, fields: [field] });
    }
    // An invalid payload is refused before anything is scheduled.
    expect((await schedule('delayMs=1000', { ...order(), amount: -1 })).status).toBe(400);
    expect((await jsm.streams.info('SCHEDULES')).state.last_seq).toBe(before);
    await nc.close();
  });

  it('refuses a schedule with 507 once SCHEDULES holds SCHEDULES_MAX_MESSAGES, and still publishes at once', async () => {
    const pending = (await (await schedule('delayMs=600000', order())).json()) as Scheduled;
    const capped = await startProducer(nats, { SCHEDULES_MAX_MESSAGES: '1' });
    try {
      const refused = await postJson(`${capped.url}/v1/topics/orders.created/messages?delayMs=1000`, order());
      expect(refused.status).toBe(507);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      expect(await refused.json()).toMatchObject({ status: 507, stream: 'SCHEDULES', detail: expect.stringMatching(/nothing was stored/) });
      expect((await postJson(`${capped.url}/v1/topics/orders.created/messages`, order())).status).toBe(202);
    } finally {
      await capped.app.stop();
      await cancel(pending.scheduleId);
    }
  }, 60_000);

  it('takes schedule ids only as a single subject token (no wildcards, no dots)', async () => {
    for (const id of ['*', '%3E', 'a.b', 'idem-x.%2A', 'a%20b', '%00']) {
      const res = await get(`/v1/schedules/${id}`);
      expect({ id, status: res.status }).toEqual({ id, status: 400 });
      expect({ id, status: (await cancel(id)).status }).toEqual({ id, status: 400 });
    }
  });

  it('guards scheduling with publish:<topic> and the schedules API with schedules:read / schedules:cancel', async () => {
    const { scheduleId } = (await (await schedule('delayMs=600000', order(), authHeaders(publisherOnly))).json()) as Scheduled;
    expect(scheduleId).toBeDefined();
    expect((await schedule('delayMs=600000', order(), authHeaders(paidOnly))).status).toBe(403);
    expect((await schedule('delayMs=600000', order(), { authorization: '' })).status).toBe(401);
    expect((await get('/v1/schedules', publisherOnly)).status).toBe(403);
    expect((await get(`/v1/schedules/${scheduleId}`, publisherOnly)).status).toBe(403);
    expect((await cancel(scheduleId, publisherOnly)).status).toBe(403);
    // The reader may read schedules, but only its own: this one is not (404, as if it did not exist).
    expect((await get(`/v1/schedules/${scheduleId}`, reader)).status).toBe(404);
    expect((await cancel(scheduleId, reader)).status).toBe(403);
    expect((await fetch(url('/v1/schedules'))).status).toBe(401);
    // Still pending after every refused cancel.
    expect((await get(`/v1/schedules/${scheduleId}`)).status).toBe(200);
    expect((await cancel(scheduleId)).status).toBe(200);
  });

  it("shows and cancels only the caller's own schedules; another's is a 404 like a missing one; schedules:admin sees and cancels all", async () => {
    type Listing = { items: PendingSchedule[]; next: number | null };
    const scheduleAs = async (key: typeof alice) => ((await (await schedule('delayMs=600000', order(), authHeaders(key))).json()) as Scheduled).scheduleId;
    const listAll = async (key: typeof alice, query = '') => {
      const items: PendingSchedule[] = [];
      let next: number | null = 0;
      while (next !== null) {
        const r = await get(`/v1/schedules?limit=500&after=${next}${query}`, key);
        expect(r.status).toBe(200);
        const page = (await r.json()) as Listing;
        items.push(...page.items);
        next = page.next;
      }
      return items;
    };
    const a = await scheduleAs(alice);
    const b = await scheduleAs(bob);
    /** The answer with the id blanked out: nothing else may tell the two apart. */
    const problemOf = async (r: Response, id: string) => ({ status: r.status, type: r.headers.get('content-type'), body: (await r.text()).replaceAll(id, '<id>') });

    // Each sees its own only, in the listing and by id.
    const alices = await listAll(alice);
    expect(alices.map((s) => s.id)).toContain(a);
    expect(alices.map((s) => s.id)).not.toContain(b);
    expect(new Set(alices.map((s) => s.scheduledBy))).toEqual(new Set(['key:alice']));
    expect((await listAll(bob)).map((s) => s.id)).toEqual([b]);
    expect(((await (await get(`/v1/schedules/${a}`, alice)).json()) as PendingSchedule).scheduledBy).toBe('key:alice');

    // Bob's schedule, asked for by Alice, answers exactly like one that never existed.
    const missing = 'never-made-0123456789';
    for (const [what, theirs, none] of [
      ['read', await get(`/v1/schedules/${b}`, alice), await get(`/v1/schedules/${missing}`, alice)],
      ['cancel', await cancel(b, alice), await cancel(missing, alice)],
    ] as const) {
      const [t, n] = [await problemOf(theirs, b), await problemOf(none, missing)];
      expect({ what, ...t }).toEqual({ what, ...n });
      expect(t.status).toBe(404);
    }
    // Still pending after Alice's refused cancel.
    expect((await get(`/v1/schedules/${b}`, bob)).status).toBe(200);

    // Filtering by owner: one's own is fine, another's takes schedules:admin.
    expect((await listAll(alice, '&scheduledBy=key:alice')).map((s) => s.id)).toContain(a);
    const others = await get('/v1/schedules?scheduledBy=key:bob', alice);
    expect(others.status).toBe(403);
    expect(await others.json()).toMatchObject({ scope: 'schedules:admin', detail: 'the credential lacks the scope schedules:admin' });
    for (const bad of ['', 'a%20b', 'x'.repeat(513)]) {
      const r = await get(`/v1/schedules?scheduledBy=${bad}`, admin);
      expect({ bad: bad.slice(0, 8), status: r.status }).toEqual({ bad: bad.slice(0, 8), status: 400 });
    }

    // The admin sees everyone's, filters by owner, and cancels anyone's.
    const all = (await listAll(admin)).map((s) => s.id);
    expect(all).toEqual(expect.arrayContaining([a, b]));
    expect((await listAll(admin, '&scheduledBy=key:bob')).map((s) => s.id)).toEqual([b]);
    expect((await listAll(admin, '&scheduledBy=key:nobody'))).toEqual([]);
    expect((await get(`/v1/schedules/${a}`, admin)).status).toBe(200);
    const cancelled = await cancel(b, admin);
    expect(cancelled.status).toBe(200);
    expect(((await cancelled.json()) as PendingSchedule).scheduledBy).toBe('key:bob');
    expect((await get(`/v1/schedules/${b}`, bob)).status).toBe(404);
    expect((await cancel(a, alice)).status).toBe(200);
  });

  it('npm run ops: lists and cancels schedules through the API, with clear exits', async () => {
    const cli = (args: string[], key?: string) => runOpsCli(producer.url, args, key);
    const { scheduleId, deliverAt } = (await (await schedule('delayMs=600000', order())).json()) as Scheduled;
    expect((await cli(['schedules', '--limit', '500'])).out).toContain(`${scheduleId}  ${deliverAt}  orders.created.eu.std.p`);
    expect((await cli(['schedules', '--limit', '0'])).code).toBe(3);
    expect((await cli(['schedules', '--limit', '500', '--by', 'key:test'])).out).toContain(scheduleId);
    expect((await cli(['schedules', '--by', 'key:nobody'])).out).toBe('no pending schedules\n');
    // Another principal's schedules take schedules:admin; the reader's own listing does not show the test key's.
    expect((await cli(['schedules', '--by', 'key:test'], reader.key)).code).toBe(3);
    expect((await cli(['schedules', '--limit', '500'], reader.key)).out).not.toContain(scheduleId);
    expect((await cli(['cancel', scheduleId], reader.key)).code).toBe(3);
    expect((await cli(['cancel', scheduleId])).out).toMatch(new RegExp(`^cancelled ${scheduleId} \\(was due ${deliverAt} on orders\\.created\\.eu\\.std\\.p\\d\\)\\n$`));
    expect((await cli(['cancel', scheduleId])).code).toBe(2);
    for (const args of [['cancel'], ['cancel', 'a', 'b'], ['schedules', 'x'], ['pause', 'ORDERS', 'fulfillment', '--limit', '5']]) {
      expect({ args, code: (await cli(args)).code }).toEqual({ args, code: 64 });
    }
  });

  it('keeps a pending schedule through a nats-server restart and stores it in ORDERS on time', async () => {
    const o = order();
    const { deliverAt } = (await (await schedule('delayMs=6000', o)).json()) as Scheduled;
    await nats.restart();
    const seen = await waitFor('handled after the restart', () => {
      const h = handled(consumer, o.orderId as string);
      return h.length === 2 ? h : undefined;
    }, 20_000, 20);
    const stored = await inOrders(o.orderId as string);
    process.stdout.write(`after restart: due ${deliverAt}, stored +${stored[0]!.time - Date.parse(deliverAt)} ms, handled +${seen.map((h) => h.at - Date.parse(deliverAt)).join('/')} ms\n`);
    // The server delivers it on time; the consumer handles it once its pull has recovered from the restart.
    expect(stored).toHaveLength(1);
    expect(stored[0]!.time).toBeGreaterThanOrEqual(Date.parse(deliverAt));
    expect(stored[0]!.time - Date.parse(deliverAt)).toBeLessThan(1000);
    for (const h of seen) expect(h.at).toBeGreaterThanOrEqual(Date.parse(deliverAt));
  }, 60_000);
  // Last: it leaves thousands of pending schedules behind until it purges them.
  it("pages through many others' schedules to a caller's own in bounded pages", async () => {
    const { nc, jsm } = await inspect(nats);
    const producerUser = await nats.connect('producer');
    try {
      const before = (await jsm.streams.info('SCHEDULES')).state.last_seq;
      const others = SCHEDULE_LIST_SCAN_LIMIT + 1;
      const at = `@at ${new Date(Date.now() + 300 * 24 * 3600_000).toISOString()}`;
      for (let i = 0; i < others; i++) {
        const h = natsHeaders();
        h.set('Nats-Schedule', at);
        h.set('Nats-Schedule-Target', 'schedules.due.orders.created.eu.std.p0');
        h.set('nestjet-scheduled-by', 'key:bob');
        producerUser.publish(`schedules.pending.bulk-${i}`, JSON.stringify(order()), { headers: h });
      }
      await producerUser.flush();
      await waitFor('the schedules stored', async () => ((await jsm.streams.info('SCHEDULES')).state.last_seq >= before + others ? true : null), 30_000, 250);
      const mine = ((await (await schedule('delayMs=600000', order(), authHeaders(alice))).json()) as Scheduled).scheduleId;
      type Listing = { items: PendingSchedule[]; next: number | null };
      const page = async (after: number) => (await (await get(`/v1/schedules?limit=500&after=${after}`, alice)).json()) as Listing;
      // The first page reads its budget of Bob's schedules and stops, without an item but with a next.
      const first = await page(before);
      expect(first.items).toEqual([]);
      expect(first.next).toBeGreaterThanOrEqual(before + SCHEDULE_LIST_SCAN_LIMIT);
      const second = await page(first.next!);
      expect(second.items.map((s) => s.id)).toEqual([mine]);
      expect(second.next).toBeNull();
      // The admin's listing is not filtered: a full page at once.
      expect(((await (await get(`/v1/schedules?limit=500&after=${before}`, admin)).json()) as Listing).items).toHaveLength(500);
    } finally {
      await producerUser.close();
      await jsm.streams.purge('SCHEDULES', { filter: 'schedules.pending.*' });
      await nc.close();
    }
  }, 120_000);
});

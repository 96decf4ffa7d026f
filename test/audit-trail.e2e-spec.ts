import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  AppGroup,
  authHeaders,
  DLQ_TEST_TOPOLOGY,
  inspect,
  NatsServer,
  order,
  postJson,
  type Producer,
  provision,
  runOpsCli,
  startFlaky,
  startProducer,
  startRouter,
  TEST_API_KEY,
  testKey,
  type TestKey,
  waitFor,
  writeApiKeysFile,
} from '#test-support';
import { AuditTrail } from '#jetstream';
import { hashApiKey } from '../apps/producer/src/auth/api-key.store.js';

interface AuditRecord {
  seq: number;
  time: string;
  action: string;
  principal: string;
  target: string;
  requestId?: string;
  host: string;
  result: { outcome: string; status: number; detail?: string };
  details?: Record<string, unknown>;
  prev: string;
  hash: string;
}
interface Verification {
  intact: boolean;
  checked: number;
  first: { seq: number; genesis: boolean } | null;
  problems: { seq: number; kind: string }[];
  stream: { lastSeq: number };
}
interface DeadLetterView {
  id: number;
  payload: Record<string, unknown>;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const purger = testKey('purger', ['dlq:read', 'dlq:purge']);
/** May read the DLQ and pause consumers, but not purge, and not read the audit trail. */
const operatorKey = testKey('ops-no-audit', ['dlq:read', 'ops:read', 'consumers:manage']);
const auditor = testKey('auditor', ['audit:read']);

describe('audit trail: every admin action recorded, chained and verifiable', () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let publisher: NatsConnection;
  let producer: Producer;
  let keysFile: string;
  const apps = new AppGroup();

  const call = (path: string, init: RequestInit = {}, key: TestKey = TEST_API_KEY) =>
    fetch(`${producer.url}${path}`, { ...init, headers: { ...authHeaders(key), ...(init.method && init.method !== 'GET' ? { 'content-type': 'application/json' } : {}) } });
  const audit = async (query = '', key: TestKey = auditor) => {
    const res = await call(`/v1/audit${query}`, {}, key);
    expect(res.status).toBe(200);
    return (await res.json()) as { items: AuditRecord[]; next: number | null; total: number };
  };
  const verify = async () => (await (await call('/v1/audit/verify', {}, auditor)).json()) as Verification;
  /** The newest record of an action on a target. */
  const lastOf = async (action: string, target: string) => (await audit(`?action=${action}&target=${encodeURIComponent(target)}&limit=500`)).items.at(-1);

  /** Dead-letters one order through the fixture (customerId "blocked" fails without retry); its DLQ view. */
  async function deadLetter(): Promise<{ view: DeadLetterView; published: string }> {
    const o = order({ customerId: 'blocked' });
    const published = JSON.stringify(o);
    await jetstream(publisher).publish('orders.created.eu.std', published, { msgID: `audit-${String(o.orderId)}` });
    const view = await waitFor('the dead letter', async () => {
      const page = (await (await call('/v1/dlq?limit=500')).json()) as { items: DeadLetterView[] };
      return page.items.find((v) => v.payload?.orderId === o.orderId) ?? null;
    }, 20_000);
    return { view, published };
  }

  beforeAll(async () => {
    nats = await NatsServer.start({ intruder: true });
    await provision(nats, DLQ_TEST_TOPOLOGY);
    ({ nc } = await inspect(nats));
    publisher = await nats.connect('producer');
    keysFile = writeApiKeysFile([TEST_API_KEY, purger, operatorKey, auditor]);
    [producer] = await Promise.all([startProducer(nats, { ...DLQ_TEST_TOPOLOGY, API_KEYS_FILE: keysFile }), apps.add(startRouter(nats)), apps.add(startFlaky(nats, 0))]);
  }, 120_000);

  afterAll(async () => {
    await apps.stopAll();
    await producer?.app.stop();
    await nc?.close();
    await publisher?.close();
    await nats?.dispose();
  });

  it('a DLQ purge through the API leaves a record naming the key, the record, the request and the result', async () => {
    const { view } = await deadLetter();
    const refused = await call(`/v1/dlq/${view.id}`, { method: 'DELETE' }, operatorKey);
    expect(refused.status).toBe(403);
    // Refused by the route's media-type guard, before any handler: recorded too.
    const wrongType = await fetch(`${producer.url}/v1/dlq/${view.id}`, { method: 'DELETE', headers: { ...authHeaders(purger), 'content-type': 'text/plain' }, body: 'x' });
    expect(wrongType.status).toBe(415);
    const purged = await call(`/v1/dlq/${view.id}`, { method: 'DELETE' }, purger);
    expect(purged.status).toBe(204);

    const records = (await audit(`?action=dlq.purge&target=dlq/${view.id}`)).items;
    expect(records).toEqual([
      expect.objectContaining({ principal: 'key:ops-no-audit', target: `dlq/${view.id}`, result: expect.objectContaining({ outcome: 'refused', status: 403, detail: expect.stringContaining('dlq:purge') }) }),
      expect.objectContaining({ principal: 'key:purger', target: `dlq/${view.id}`, result: expect.objectContaining({ outcome: 'refused', status: 415 }) }),
      expect.objectContaining({ principal: 'key:purger', target: `dlq/${view.id}`, result: { outcome: 'succeeded', status: 204 } }),
    ]);
    for (const r of records) {
      expect(r.requestId).toEqual(expect.any(String));
      expect(r.host).toEqual(expect.any(String));
      expect(Date.now() - Date.parse(r.time)).toBeLessThan(60_000);
    }
    // Each is chained to the one before.
    expect(records[1]!.prev).toBe(records[0]!.hash);
    expect(records[1]!.seq).toBe(records[0]!.seq + 1);
    expect(records[2]!.prev).toBe(records[1]!.hash);

    // Purging it again: not found, recorded as refused.
    expect((await call(`/v1/dlq/${view.id}`, { method: 'DELETE' }, purger)).status).toBe(404);
    expect(await lastOf('dlq.purge', `dlq/${view.id}`)).toMatchObject({ result: { outcome: 'refused', status: 404 } });
  });

  it('records an edited replay with the payload digests before and after, and a plain one without', async () => {
    const { view, published } = await deadLetter();
    const edited = { ...view.payload, customerId: 'cus-fixed' };
    const replay = await postJson(`${producer.url}/v1/dlq/${view.id}/replay`, { payload: edited });
    expect(replay.status).toBe(202);
    const { seq } = (await replay.json()) as { seq: number };
    expect(await lastOf('dlq.replay', `dlq/${view.id}`)).toMatchObject({
      principal: `key:${TEST_API_KEY.id}`,
      result: { outcome: 'succeeded', status: 202 },
      details: { edited: true, payloadSha256: { before: sha256(published), after: sha256(JSON.stringify(edited)) }, replayedTo: { stream: 'ORDERS', seq } },
    });
    // A second replay without force is refused (409): recorded with why.
    expect((await postJson(`${producer.url}/v1/dlq/${view.id}/replay`, {})).status).toBe(409);
    const again = await lastOf('dlq.replay', `dlq/${view.id}`);
    expect(again).toMatchObject({ details: { edited: false }, result: { outcome: 'refused', status: 409 } });
    expect(again!.details).not.toHaveProperty('payloadSha256');
  });

  it('records pause, resume, reset (a refused one too), bulk purges and a schedule cancel', async () => {
    const consumer = (verb: string, body: unknown = {}, key: TestKey = TEST_API_KEY, durable = 'ORDERS/fulfillment') =>
      call(`/v1/ops/consumers/${durable}/${verb}`, { method: 'POST', body: JSON.stringify(body) }, key);
    const until = new Date(Date.now() + 3_600_000).toISOString();
    expect((await consumer('pause', { until }, operatorKey)).status).toBe(200);
    expect((await consumer('resume', {}, operatorKey)).status).toBe(200);
    expect((await consumer('reset', { seq: 1 }, operatorKey)).status).toBe(200);
    expect((await consumer('reset', { seq: 1 }, operatorKey, 'DLQ_ADVISORIES/dlq-router')).status).toBe(409);
    const target = 'consumer/ORDERS/fulfillment';
    expect(await lastOf('consumer.pause', target)).toMatchObject({ principal: 'key:ops-no-audit', details: { until }, result: { outcome: 'succeeded', status: 200 } });
    expect(await lastOf('consumer.resume', target)).toMatchObject({ principal: 'key:ops-no-audit', result: { outcome: 'succeeded' } });
    const resets = (await audit('?action=consumer.reset')).items.slice(-2);
    expect(resets).toEqual([
      expect.objectContaining({ target, details: { seq: 1, resetSeq: 1 }, result: { outcome: 'succeeded', status: 200 } }),
      expect.objectContaining({
        target: 'consumer/DLQ_ADVISORIES/dlq-router',
        details: { seq: 1 },
        result: expect.objectContaining({ outcome: 'refused', status: 409, detail: expect.stringContaining('DLQ router cannot be paused or reset') }),
      }),
    ]);

    expect((await call('/v1/dlq?dryRun=true&consumer=fulfillment', { method: 'DELETE' }, purger)).status).toBe(200);
    expect(await lastOf('dlq.purge-bulk', 'dlq?dryRun=true&consumer=fulfillment')).toMatchObject({ principal: 'key:purger', details: { matched: expect.any(Number), purged: 0 } });

    const scheduled = await postJson(`${producer.url}/v1/topics/orders.created/messages?delayMs=600000`, order());
    expect(scheduled.status).toBe(202);
    const { scheduleId } = (await scheduled.json()) as { scheduleId: string };
    expect((await call(`/v1/schedules/${scheduleId}`, { method: 'DELETE' })).status).toBe(200);
    expect(await lastOf('schedule.cancel', `schedule/${scheduleId}`)).toMatchObject({ principal: `key:${TEST_API_KEY.id}`, result: { outcome: 'succeeded', status: 200 } });
  });

  it('records a rotation of API_KEYS_FILE: which key ids changed, never a secret', async () => {
    const rotated = { ...purger, key: `${purger.key}x` };
    const added = testKey('newcomer', ['topics:read']);
    writeFileSync(keysFile, JSON.stringify([TEST_API_KEY, rotated, operatorKey, auditor, added].map((k) => ({ id: k.id, hash: hashApiKey(k.key), scopes: k.scopes }))));
    // The file is checked at most every 5 s, when a key is presented.
    const record = await waitFor('the reload to be recorded', async () => {
      await call('/v1/topics');
      return (await audit('?action=api-keys.reload')).items.at(-1) ?? null;
    }, 30_000);
    expect(record).toMatchObject({ principal: 'system:api-keys-file', result: { outcome: 'succeeded' }, details: { added: ['newcomer'], removed: [], rotated: ['purger'], rescoped: [] } });
    expect(JSON.stringify(record)).not.toContain(rotated.key);
    expect(JSON.stringify(record)).not.toContain(hashApiKey(rotated.key));
  });

  it('GET /v1/audit needs audit:read, filters by action, principal, outcome and time, pages, and refuses bad filters', async () => {
    expect((await call('/v1/audit', {}, operatorKey)).status).toBe(403);
    expect((await call('/v1/audit/verify', {}, operatorKey)).status).toBe(403);
    expect((await call('/v1/audit', {}, { ...auditor, key: 'nj_not-a-key' })).status).toBe(401);

    const all = await audit('?limit=500');
    expect(all.total).toBe(all.items.length);
    expect(new Set(all.items.map((r) => r.action))).toEqual(new Set(['dlq.purge', 'dlq.replay', 'consumer.pause', 'consumer.resume', 'consumer.reset', 'dlq.purge-bulk', 'schedule.cancel', 'api-keys.reload']));
    expect((await audit('?principal=key:purger')).items.every((r) => r.principal === 'key:purger')).toBe(true);
    expect((await audit('?outcome=refused')).items.map((r) => r.result.status).sort()).toEqual([403, 404, 409, 409, 415]);
    const middle = all.items[Math.floor(all.items.length / 2)]!;
    const since = (await audit(`?since=${encodeURIComponent(middle.time)}&limit=500`)).items;
    expect(since.length).toBeGreaterThan(0);
    expect(since.every((r) => r.time >= middle.time)).toBe(true);
    expect((await audit('?until=2000-01-01T00:00:00Z')).items).toEqual([]);
    const first = await audit('?limit=2');
    expect(first.items.map((r) => r.seq)).toEqual([1, 2]);
    expect((await audit(`?limit=2&after=${first.next}`)).items.map((r) => r.seq)).toEqual([3, 4]);

    for (const query of ['?action=dlq.drop', '?since=yesterday', '?limit=0', '?outcome=maybe', '?principal=a%20b', '?colour=red']) {
      const res = await call(`/v1/audit${query}`, {}, auditor);
      expect({ query, status: res.status, type: res.headers.get('content-type') }).toEqual({ query, status: 400, type: expect.stringContaining('application/problem+json') });
    }
    expect((await call('/v1/audit/verify?deep=true', {}, auditor)).status).toBe(400);
  });

  it('npm run ops -- audit lists and verifies', async () => {
    const listed = await runOpsCli(producer.url, ['audit', '--action', 'dlq.purge'], auditor.key);
    expect(listed.code).toBe(0);
    expect(listed.out).toContain('key:purger');
    expect(listed.out).toMatch(/dlq\.purge +dlq\/\d+/);
    const verified = await runOpsCli(producer.url, ['audit', 'verify'], auditor.key);
    expect({ code: verified.code, out: verified.out }).toEqual({ code: 0, out: expect.stringMatching(/intact: \d+ records checked, from sequence 1 \(the start of the trail\)/) });
    const bad = await runOpsCli(producer.url, ['audit', '--since', 'yesterday'], auditor.key);
    expect(bad.code).not.toBe(0);
    expect(bad.out).toContain('since');
  });

  it('keeps one chain when two producer pods append at once', async () => {
    const second = await startProducer(nats, { ...DLQ_TEST_TOPOLOGY, API_KEYS_FILE: keysFile });
    try {
      const before = (await audit()).total;
      const resume = (url: string) => fetch(`${url}/v1/ops/consumers/ORDERS/fulfillment/resume`, { method: 'POST', headers: { ...authHeaders(operatorKey), 'content-type': 'application/json' }, body: '{}' });
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => resume(i % 2 === 0 ? producer.url : second.url)));
      expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
      expect((await audit()).total).toBe(before + 20);
    } finally {
      await second.app.stop();
    }
    const verification = await verify();
    expect(verification).toMatchObject({ intact: true, first: { seq: 1, genesis: true }, problems: [] });
    expect(verification.checked).toBe(verification.stream.lastSeq);
  });

  it('reads a trail longer than one batch: verify checks every record, an action filter pages across batches', async () => {
    // Appended in-process as the producer's NATS user, as the admin API would (AuditTrail), to make a long trail quickly.
    const producerNc = await nats.connect('producer');
    try {
      const trail = new AuditTrail(await jetstreamManager(producerNc, { checkAPI: false }));
      const result = { outcome: 'succeeded' as const, status: 200 };
      await Promise.all(
        Array.from({ length: 700 }, (_, i) =>
          trail.append({ action: i % 7 === 0 ? 'schedule.cancel' : 'consumer.resume', principal: 'key:bulk', target: `schedule/bulk-${i}`, result }),
        ),
      );
    } finally {
      await producerNc.close();
    }
    const verification = await verify();
    expect(verification).toMatchObject({ intact: true, first: { seq: 1, genesis: true } });
    expect(verification.checked).toBe(verification.stream.lastSeq);
    expect(verification.checked).toBeGreaterThan(700);
    const seen: AuditRecord[] = [];
    let after = 0;
    for (;;) {
      const page = await audit(`?action=schedule.cancel&principal=key:bulk&limit=37&after=${after}`);
      seen.push(...page.items);
      if (page.next === null) break;
      after = page.next;
    }
    expect(seen.map((r) => r.target)).toEqual(Array.from({ length: 100 }, (_, k) => `schedule/bulk-${k * 7}`));
  });

  it('the server refuses to delete or purge audit records, even for a user with every permission; verify catches an unchained write', async () => {
    // App users are refused by their permissions (test/nats-permissions.e2e-spec.ts); the unrestricted test user by the stream itself.
    const intruder = await nats.connectIntruder();
    try {
      const jsm = await jetstreamManager(intruder);
      await expect(jsm.streams.deleteMessage('AUDIT', 1)).rejects.toThrow(/message delete not permitted|delete.*not permitted/i);
      await expect(jsm.streams.deleteMessage('AUDIT', 1, true)).rejects.toThrow(/not permitted/i);
      await expect(jsm.streams.purge('AUDIT')).rejects.toThrow(/purge not permitted|not permitted/i);
      const info = (await jsm.streams.info('AUDIT')).config;
      await expect(jsm.streams.update('AUDIT', { ...info, deny_delete: false })).rejects.toThrow(/deny/i);
      expect((await verify()).intact).toBe(true);

      // A record appended outside the producer that does not chain to the tail.
      const { state } = await jsm.streams.info('AUDIT');
      const forged = { v: 1, seq: state.last_seq + 1, time: new Date().toISOString(), action: 'dlq.purge', principal: 'key:someone', target: 'dlq/1', host: 'x', result: { outcome: 'succeeded', status: 204 }, prev: 'a'.repeat(64) };
      await jetstream(intruder).publish('audit.dlq.purge', JSON.stringify({ ...forged, hash: sha256(JSON.stringify(forged)) }));
    } finally {
      await intruder.close();
    }
    const broken = await verify();
    expect(broken.intact).toBe(false);
    expect(broken.problems).toContainEqual(expect.objectContaining({ seq: broken.stream.lastSeq, kind: 'unlinked' }));
    const cli = await runOpsCli(producer.url, ['audit', 'verify'], auditor.key);
    expect(cli.code).not.toBe(0);
    expect(cli.out).toContain('NOT intact');
  });
});

describe('audit trail: a record that cannot be written', () => {
  let nats: NatsServer;
  let producer: Producer;

  beforeAll(async () => {
    nats = await NatsServer.start();
    // Room for about one record: the next are refused by the full stream (discard new).
    await provision(nats, { ...DLQ_TEST_TOPOLOGY, AUDIT_MAX_BYTES: '1024' });
    producer = await startProducer(nats, { ...DLQ_TEST_TOPOLOGY, AUDIT_MAX_BYTES: '1024' });
  }, 120_000);

  afterAll(async () => {
    await producer?.app.stop();
    await nats?.dispose();
  });

  it('does not change the answer of the action, and logs the whole record as audit.unrecorded', async () => {
    const resume = () => postJson(`${producer.url}/v1/ops/consumers/ORDERS/fulfillment/resume`, {});
    for (let i = 0; i < 3; i++) expect((await resume()).status).toBe(200);
    const unrecorded = await waitFor('an audit.unrecorded log line', () => producer.app.events('audit.unrecorded').at(-1) ?? null, 10_000);
    expect(unrecorded).toMatchObject({ level: 'error', record: { action: 'consumer.resume', principal: `key:${TEST_API_KEY.id}`, target: 'consumer/ORDERS/fulfillment', result: { outcome: 'succeeded', status: 200 } } });
    const { total } = (await (await fetch(`${producer.url}/v1/audit`, { headers: authHeaders() })).json()) as { total: number };
    expect(total).toBeLessThan(3);
  });
});

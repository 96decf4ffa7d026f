import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { jetstream } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { DLQ_HEADERS, LIST_SCAN_LIMIT } from '#jetstream';
import {
  authHeaders,
  DLQ_TEST_TOPOLOGY,
  inspect,
  type NatsServer,
  order,
  postJson,
  processed,
  runOpsCli,
  type Producer,
  startProducer,
  startTracedSystem,
  TEST_API_KEY,
  testKey,
  type TracedSystem,
  waitFor,
  writeApiKeysFile,
} from '#test-support';

interface ConsumerView {
  stream: string;
  name: string;
  pending: number;
  paused: boolean;
  pauseUntil: string | null;
  workers: number;
  rate: number;
  history: { t: number[]; pending: number[] };
  config?: { ackWaitMs: number; maxDeliver: number; filterSubjects: string[] };
}
interface Overview {
  intervalMs: number;
  health: { nats: { connected: boolean; jetstream: boolean }; producer: { status: string }; consumers: { name: string; workers: number }[] };
  streams: { name: string; messages: number; inRate: number; usage: { messages: number | null; bytes: number | null }; history: { t: number[] } }[];
  consumers: ConsumerView[];
}

const reader = testKey('ops-reader', ['ops:read', 'dlq:read']);
const publisherOnly = testKey('publisher', ['publish:>']);
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** A raw HTTP GET, so a path with `..` reaches the server as written (fetch would normalise it). */
function rawGet(url: string, path: string): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('operations API (/v1/ops) and the console files', () => {
  let system: TracedSystem;
  let nats: NatsServer;
  let producer: Producer;

  beforeAll(async () => {
    system = await startTracedSystem({
      OPS_SAMPLE_INTERVAL_MS: '500',
      JAEGER_UI_URL: 'https://jaeger.example.test',
      API_KEYS_FILE: writeApiKeysFile([TEST_API_KEY, reader, publisherOnly]),
    });
    ({ nats, producer } = system);
  }, 120_000);

  afterAll(() => system?.stop());

  const get = (path: string, headers: Record<string, string> = authHeaders()) => fetch(`${producer.url}${path}`, { headers });
  const overview = async () => (await (await get('/v1/ops/overview')).json()) as Overview;
  const fulfillment = async () => (await overview()).consumers.find((c) => c.name === 'fulfillment')!;

  it('shows every declared stream and consumer, the workers bound to each and the health of NATS and the producer', async () => {
    const o = await waitFor('the consumer process to announce itself', async () => {
      const x = await overview();
      const workers = (name: string) => x.consumers.find((c) => c.name === name)!.workers;
      // The consumer process serves the three durables and runs the DLQ router, which announces itself too.
      return workers('fulfillment') === 1 && workers('dlq-router') === 1 ? x : null;
    });
    expect(o.intervalMs).toBe(500);
    expect(o.health.nats).toEqual({ connected: true, jetstream: true });
    expect(o.health.producer.status).toBe('up');
    expect(o.streams.map((s) => s.name)).toEqual(expect.arrayContaining(['ORDERS', 'DLQ']));
    expect(o.consumers.map((c) => c.name)).toEqual(expect.arrayContaining(['fulfillment', 'notifications', 'fraud-review', 'dlq-router']));
    const orders = o.streams.find((s) => s.name === 'ORDERS')!;
    expect(orders.history.t.length).toBeGreaterThan(0);
    expect(orders.usage.bytes).not.toBeNull(); // the test topology limits bytes
    const before = orders.messages;
    for (let i = 0; i < 20; i++) expect((await postJson(`${producer.url}/v1/topics/orders.created/messages`, order())).status).toBe(202);
    const after = await waitFor('the stream count and in-rate to move', async () => {
      const s = (await overview()).streams.find((x) => x.name === 'ORDERS')!;
      return s.messages >= before + 20 && s.inRate > 0 ? s : null;
    });
    expect(after.messages).toBeGreaterThanOrEqual(before + 20);
  });

  it('with sampling off, samples on each request instead of answering from a stale sample', async () => {
    const onDemand = await startProducer(nats, { ...DLQ_TEST_TOPOLOGY, OPS_SAMPLE_INTERVAL_MS: '0' });
    try {
      const at = async () => {
        const o = (await (await fetch(`${onDemand.url}/v1/ops/overview`, { headers: authHeaders() })).json()) as Overview & { sampledAt: string };
        expect(o.intervalMs).toBe(0);
        return Date.parse(o.sampledAt);
      };
      const first = await at();
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await at()).toBeGreaterThan(first);
    } finally {
      await onDemand.app.stop();
    }
  });

  it('pauses a consumer so its lag grows, and resumes it so the lag drains', async () => {
    const url = `${producer.url}/v1/ops/consumers/ORDERS/fulfillment`;
    const paused = await postJson(`${url}/pause`, {});
    expect(paused.status).toBe(200);
    const state = (await paused.json()) as { paused: boolean; pauseUntil: string };
    expect(state.paused).toBe(true);
    // The default pause lasts a day, so nobody forgets a consumer paused for ever.
    expect(Date.parse(state.pauseUntil) - Date.now()).toBeGreaterThan(23 * 3600_000);
    const { nc, jsm } = await inspect(nats);
    // A failure below must not leave the durable paused for the tests after this one.
    const resumeAnyway = () => postJson(`${url}/resume`, {});
    try {
      expect((await jsm.consumers.info('ORDERS', 'fulfillment')).paused).toBe(true);
      for (let i = 0; i < 30; i++) await postJson(`${producer.url}/v1/topics/orders.created/messages`, order());
      const lagging = await waitFor('pending to rise while paused', async () => {
        const c = await fulfillment();
        return c.paused && c.pending >= 30 ? c : null;
      });
      const detail = (await (await get('/v1/ops/consumers/ORDERS/fulfillment')).json()) as ConsumerView;
      // The server's filter: the topic filter and the durable's own redelivery subjects (retry copies, replays).
      expect(detail.config!.filterSubjects).toEqual(['orders.created.>', 'nestjet-redeliver.ORDERS.fulfillment.>']);
      expect(detail.config!.maxDeliver).toBe(Number(DLQ_TEST_TOPOLOGY.CONSUMER_MAX_DELIVER));
      expect(Math.max(...detail.history.pending)).toBeGreaterThanOrEqual(lagging.pending);

      const resumed = await postJson(`${url}/resume`, {});
      expect(await resumed.json()).toEqual({ paused: false, pauseUntil: null });
      await waitFor('the lag to drain after resume', async () => {
        const c = await fulfillment();
        return !c.paused && c.pending === 0 ? c : null;
      }, 30_000);
      expect((await jsm.consumers.info('ORDERS', 'fulfillment')).paused).toBeFalsy();
    } finally {
      await resumeAnyway();
      await nc.close();
    }
  });

  it('resets a consumer to a stream sequence: it processes those messages again, the durable stays', async () => {
    const ops = `${producer.url}/v1/ops/consumers/ORDERS`;
    const orders = Array.from({ length: 5 }, () => order());
    const seqs: number[] = [];
    for (const o of orders) seqs.push(((await (await postJson(`${producer.url}/v1/topics/orders.created/messages`, o)).json()) as { seq: number }).seq);
    // notifications is a plain handler: a reset runs it again (fulfillment, idempotent, would skip what it processed).
    const times = (id: unknown) => processed([system.consumer], 'notifications').filter((p) => p.orderId === id).length;
    await waitFor('notifications to process the five', () => orders.every((o) => times(o.orderId) === 1));
    const reset = await postJson(`${ops}/notifications/reset`, { seq: seqs[0] });
    expect(reset.status).toBe(200);
    expect(((await reset.json()) as { resetSeq: number }).resetSeq).toBe(seqs[0]);
    await waitFor('notifications to process the five again', () => orders.every((o) => times(o.orderId) === 2));
    expect((await postJson(`${ops}/fulfillment/reset`, { seq: 0 })).status).toBe(400);
    expect((await postJson(`${ops}/fulfillment/reset`, { seq: 1 }, authHeaders(reader))).status).toBe(403);
    expect((await postJson(`${producer.url}/v1/ops/consumers/DLQ_ADVISORIES/dlq-router/reset`, {})).status).toBe(409);
  });

  it('npm run ops: lists, pauses, resumes and resets consumers through the API, with clear exits', async () => {
    const cli = (args: string[], key?: string) => runOpsCli(producer.url, args, key);
    expect((await cli(['consumers'])).out).toMatch(/ORDERS\/fulfillment +pending +\d+ .*workers 1 +active/);
    // A time whose milliseconds end in 0: the server writes it without trailing zeros, the API and CLI as given.
    const until = new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_120).toISOString();
    try {
      expect(await cli(['pause', 'ORDERS', 'fulfillment', '--until', until])).toEqual({ code: 0, out: `ORDERS/fulfillment paused until ${until}\n` });
      expect((await cli(['consumers', '--json'])).out).toContain(`"pauseUntil": "${until}"`);
    } finally {
      expect(await cli(['resume', 'ORDERS', 'fulfillment'])).toEqual({ code: 0, out: 'ORDERS/fulfillment resumed\n' });
    }
    expect((await cli(['reset', 'ORDERS', 'fulfillment'])).out).toMatch(/^ORDERS\/fulfillment reset: delivers again from stream sequence \d+; \d+ pending\n$/);
    expect((await cli(['reset', 'ORDERS', 'nobody'])).code).toBe(2);
    expect((await cli(['pause', 'ORDERS', 'fulfillment'], reader.key)).code).toBe(3);
    for (const bad of [['reset', 'ORDERS', 'fulfillment', '--seq', 'zero'], ['pause', 'ORDERS'], ['resume', 'ORDERS', 'fulfillment', '--until', until], ['frobnicate']]) {
      const r = await cli(bad);
      expect({ bad, code: r.code }).toEqual({ bad, code: 64 });
      expect(r.out).toContain('usage: npm run ops');
    }
  });

  it('refuses what it must: no credential, a missing scope, a form post, a bad time, an unknown consumer, the DLQ router', async () => {
    const url = `${producer.url}/v1/ops/consumers/ORDERS/fulfillment/pause`;
    expect((await fetch(`${producer.url}/v1/ops/overview`)).status).toBe(401);
    expect((await get('/v1/ops/overview', authHeaders(publisherOnly))).status).toBe(403);
    expect((await get('/v1/ops/overview', authHeaders(reader))).status).toBe(200);
    const forbidden = await postJson(url, {}, authHeaders(reader));
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as { scope: string }).scope).toBe('consumers:manage');
    // A cross-site form can only send simple content types; the pause route takes JSON only.
    const form = await fetch(url, { method: 'POST', headers: { ...authHeaders(), 'content-type': 'application/x-www-form-urlencoded' }, body: 'until=2099-01-01T00:00:00Z' });
    expect(form.status).toBe(415);
    const past = await postJson(url, { until: '2020-01-01T00:00:00Z' });
    expect(past.status).toBe(400);
    expect(((await past.json()) as { errors: { field: string }[] }).errors[0]!.field).toBe('until');
    expect((await postJson(url, { until: 'tomorrow' })).status).toBe(400);
    expect((await postJson(url, { until: '2099-01-01T00:00:00Z', reason: 'x' })).status).toBe(400);
    expect((await postJson(url.replace('fulfillment', 'nobody'), {})).status).toBe(404);
    expect((await postJson(`${producer.url}/v1/ops/consumers/DLQ_ADVISORIES/dlq-router/pause`, {})).status).toBe(409);
    const { nc, jsm } = await inspect(nats);
    expect((await jsm.consumers.info('ORDERS', 'fulfillment')).paused).toBeFalsy();
    await nc.close();
  });

  it("returns a message's trace from Jaeger with every service's spans, and refuses ids that are not trace ids", async () => {
    const traceId = hex(16);
    expect((await postJson(`${producer.url}/v1/topics/orders.created/messages`, order(), { traceparent: `00-${traceId}-${hex(8)}-01` })).status).toBe(202);
    const trace = await waitFor('the trace through the ops API', async () => {
      const r = await get(`/v1/ops/traces/${traceId}`);
      if (r.status !== 200) return null;
      const t = (await r.json()) as { traceId: string; jaegerUrl: string; spans: { service: string; name: string; startUs: number; parentSpanId: string | null }[] };
      return t.spans.filter((s) => s.name.startsWith('process ')).length >= 2 ? t : null;
    }, 20_000, 250);
    expect(trace.traceId).toBe(traceId);
    expect(trace.jaegerUrl).toBe(`https://jaeger.example.test/trace/${traceId}`);
    expect(new Set(trace.spans.map((s) => s.service))).toEqual(new Set(['nestjet-producer', 'nestjet-consumer']));
    expect(trace.spans[0]!.startUs).toBe(0);
    expect((await get(`/v1/ops/traces/${hex(16)}`)).status).toBe(404);
    expect((await get('/v1/ops/traces/not-a-trace')).status).toBe(400);
    expect((await get('/v1/ops/traces/..%2F..%2Fapi%2Fservices')).status).toBe(400);
  });

  it('finds dead letters by reason text, says how many there are, and marks replayed ones', async () => {
    const { nc } = await inspect(nats);
    const js = jetstream(nc);
    const poison = `poison-${hex(4)}`;
    await js.publish('orders.created.eu.std', JSON.stringify({ orderId: poison, amount: 'lots' }));
    const find = async (query: string) =>
      (await (await get(`/v1/dlq?${query}`)).json()) as { items: { id: number; payload: { orderId?: string }; replay: { state: string } | null }[]; next: number | null; total: number; scanned: number };
    const listed = await waitFor('the poison message in the DLQ', async () => {
      const page = await find('consumer=fulfillment&reason=AMOUNT');
      return page.items.some((r) => r.payload.orderId === poison) ? page : null;
    });
    await nc.close();
    expect(listed.total).toBeGreaterThanOrEqual(1);
    expect(listed.scanned).toBeGreaterThanOrEqual(listed.items.length);
    expect((await find('reason=no-such-reason-anywhere')).items).toEqual([]);
    const record = listed.items.find((r) => r.payload.orderId === poison)!;
    expect(record.replay).toBeNull();
    expect((await postJson(`${producer.url}/v1/dlq/${record.id}/replay`, { payload: order({ orderId: poison }) })).status).toBe(202);
    const shown = (await (await get(`/v1/dlq/${record.id}`)).json()) as { replay: { state: string; edited: boolean } };
    expect(shown.replay).toMatchObject({ state: 'done', edited: true });
    expect((await get('/v1/dlq?reason=')).status).toBe(400);
  });

  it('pages through a large DLQ without reading it all: a rare match over 6,000 records takes two bounded pages', async () => {
    const dlq = await nats.connect('dlq');
    const { nc, jsm } = await inspect(nats);
    const before = (await jsm.streams.info('DLQ')).state;
    const needle = `needle-${hex(4)}`;
    const records = 6_000;
    for (let i = 0; i < records; i++) {
      const h = natsHeaders();
      const facts: Record<string, string> = {
        kind: 'terminated', subject: 'orders.created.eu.std', stream: 'ORDERS', streamSequence: String(i + 1), consumer: 'fulfillment', deliveryCount: '1',
        reason: i === records - 1 ? `the one with ${needle}` : 'payload failed validation', errorName: 'PayloadValidationError', handler: 'orders.created',
        firstFailureAt: '2026-11-28T12:00:00Z', lastFailureAt: '2026-11-28T12:00:00Z', routedAt: '2026-11-28T12:00:01Z', originalMissing: 'false',
      };
      for (const [k, v] of Object.entries(facts)) h.set(DLQ_HEADERS[k as keyof typeof DLQ_HEADERS], v);
      dlq.publish('dlq.ORDERS.fulfillment', JSON.stringify({ orderId: `bulk-${i}` }), { headers: h });
    }
    await dlq.flush();
    await waitFor('the records in the DLQ', async () => ((await jsm.streams.info('DLQ')).state.messages >= before.messages + records ? true : null));
    await dlq.close();
    await nc.close();
    type Page = { items: { reason: string }[]; next: number | null; total: number; scanned: number };
    const page = async (q: string) => (await (await get(`/v1/dlq?${q}`)).json()) as Page;
    const first = await page(`reason=${needle}&after=${before.last_seq}`);
    expect(first).toMatchObject({ items: [], scanned: LIST_SCAN_LIMIT, next: before.last_seq + LIST_SCAN_LIMIT });
    expect(first.total).toBeGreaterThanOrEqual(records);
    const second = await page(`reason=${needle}&after=${first.next}`);
    expect(second.items.map((r) => r.reason)).toEqual([`the one with ${needle}`]);
    expect(second.next).toBeNull();
    const plain = await page(`limit=50&after=${before.last_seq}`);
    expect(plain).toMatchObject({ scanned: 50, next: before.last_seq + 50 });
    expect(plain.items).toHaveLength(50);
  });

  it('serves the console page without a credential, with a policy that forbids foreign scripts and framing, and nothing else through its path', async () => {
    const redirect = await rawGet(producer.url, '/console');
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe('/console/');
    const page = await rawGet(producer.url, '/console/');
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/<script type="module"[^>]+src="\/console\/assets\/[^"]+\.js"/);
    expect(String(page.headers['content-security-policy'])).toContain("script-src 'self'");
    expect(String(page.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['cache-control']).toBe('no-cache');
    // The console path is public; walking out of it must not reach the API without a credential.
    for (const path of ['/console/../v1/dlq', '/console/%2e%2e/v1/ops/overview', '/console/..%2Fv1%2Fdlq', '/console/%2e%2e%2f%2e%2e%2fpackage.json']) {
      const r = await rawGet(producer.url, path);
      expect(r.status).not.toBe(200);
      expect(r.body).not.toContain('"items"');
      expect(r.body).not.toContain('"dependencies"');
    }
  });
});

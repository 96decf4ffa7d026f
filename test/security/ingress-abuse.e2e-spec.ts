import { connect as connectTcp } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { authHeaders, inspect, NatsServer, order, postJson, type Producer, provision, startProducer, TEST_API_KEY, testKey, waitFor, writeApiKeysFile } from '#test-support';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

const other = testKey('other-team', ['publish:>']);
const limited = testKey('limited', ['publish:>']);

describe('ingress abuse: idempotency, rate limits, slow clients, admin CSRF', () => {
  let nats: NatsServer;
  let producer: Producer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const url = (topic = 'orders.created') => `${producer.url}/v1/topics/${topic}/messages`;
  const stored = async () => (await jsm.streams.info('ORDERS')).state.messages;

  beforeAll(async () => {
    nats = await NatsServer.start();
    await provision(nats);
    producer = await startProducer(nats, {
      API_KEYS_FILE: writeApiKeysFile([TEST_API_KEY, other, limited]),
      // Big enough for the other tests of this file, small enough to reach in a few requests.
      RATE_LIMIT_MAX: '40',
      RATE_LIMIT_ANONYMOUS_MAX: '5',
      RATE_LIMIT_WINDOW_MS: '60000',
      HTTP_HEADERS_TIMEOUT_MS: '1000',
      HTTP_REQUEST_TIMEOUT_MS: '2000',
      MAX_FIELD_ERRORS: '5',
      // As behind an Ingress controller on this host: X-Forwarded-For names the client.
      TRUST_PROXY: '127.0.0.1',
    });
    ({ nc, jsm } = await inspect(nats));
  });

  afterAll(async () => {
    await nc?.close();
    await producer?.app.stop();
    await nats?.dispose();
  });

  it('scopes Idempotency-Key to the caller and topic: same payload is a duplicate, another payload is 422', async () => {
    const o = order();
    const first = await postJson(url(), o, { ...authHeaders(), 'idempotency-key': 'k-1' });
    expect(first.status).toBe(202);
    const original = (await first.json()) as { id: string; seq: number; duplicate: boolean };
    expect(original).toMatchObject({ id: 'k-1', duplicate: false });
    const before = await stored();

    const again = (await (await postJson(url(), o, { ...authHeaders(), 'idempotency-key': 'k-1' })).json()) as { seq: number; duplicate: boolean };
    expect(again).toMatchObject({ seq: original.seq, duplicate: true });

    const reused = await postJson(url(), { ...o, amount: 999 }, { ...authHeaders(), 'idempotency-key': 'k-1' });
    expect(reused.status).toBe(422);
    expect(reused.headers.get('content-type')).toMatch(/problem\+json/);
    expect(await reused.json()).toMatchObject({ type: 'urn:nestjet:problem:idempotency-key-reused', originalSeq: original.seq });
    expect(await stored()).toBe(before);

    // Another caller's key, or the same key on another topic, is a different message: nothing is pre-claimed.
    const theirs = (await (await postJson(url(), o, { ...authHeaders(other), 'idempotency-key': 'k-1' })).json()) as { duplicate: boolean };
    expect(theirs.duplicate).toBe(false);
    const paid = { orderId: String(o.orderId), amount: 1, currency: 'EUR', region: 'eu', paymentId: 'p-1' };
    const otherTopic = (await (await postJson(url('orders.paid'), paid, { ...authHeaders(), 'idempotency-key': 'k-1' })).json()) as { duplicate: boolean };
    expect(otherTopic.duplicate).toBe(false);
    expect(await stored()).toBe(before + 2);

    // In a batch the reuse is reported per item; the rest is stored.
    const batch = await postJson(`${url()}/batch`, { messages: [{ idempotencyKey: 'k-1', payload: { ...o, amount: 5 } }, { payload: order() }] });
    expect(batch.status).toBe(207);
    const { results } = (await batch.json()) as { results: { status: number; id: string }[] };
    expect(results.map((r) => r.status)).toEqual([422, 202]);
    expect(await stored()).toBe(before + 3);
  });

  it('lists at most MAX_FIELD_ERRORS field errors, counting the rest', async () => {
    const junk = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`field${i}`, i]));
    const r = await postJson(url(), { ...order(), ...junk });
    expect(r.status).toBe(400);
    const problem = (await r.json()) as { errors: unknown[]; errorsOmitted: number };
    expect(problem.errors).toHaveLength(5);
    expect(problem.errorsOmitted).toBe(295);
  });

  it('admin writes need application/json, and a bulk replay needs a filter or all=true', async () => {
    const before = await stored();
    // What an HTML form or a no-preflight fetch from another origin could send.
    for (const type of [undefined, 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const r = await fetch(`${producer.url}/v1/dlq/replay?all=true`, { method: 'POST', headers: { ...authHeaders(), ...(type ? { 'content-type': type } : {}) }, body: type ? 'x=1' : undefined });
      expect([type, r.status]).toEqual([type, 415]);
    }
    const del = await fetch(`${producer.url}/v1/dlq?all=true`, { method: 'DELETE', headers: authHeaders() });
    expect(del.status).toBe(415);
    const unfiltered = await fetch(`${producer.url}/v1/dlq/replay`, { method: 'POST', headers: { ...authHeaders(), 'content-type': 'application/json' } });
    expect(unfiltered.status).toBe(400);
    expect(((await unfiltered.json()) as { detail: string }).detail).toMatch(/refusing to replay everything without a filter; add \?all=true/);
    const dry = await fetch(`${producer.url}/v1/dlq/replay?all=true&dryRun=true`, { method: 'POST', headers: { ...authHeaders(), 'content-type': 'application/json' } });
    expect(dry.status).toBe(202);
    expect(await stored()).toBe(before);
  });

  it('cuts off a client that trickles its headers (slow-loris) with 408', async () => {
    const socket = connectTcp(Number(new URL(producer.url).port), '127.0.0.1');
    const received: Buffer[] = [];
    let closed = false;
    socket.on('data', (b) => received.push(b));
    socket.on('close', () => (closed = true));
    socket.on('error', () => (closed = true));
    socket.write(`POST /v1/topics/orders.created/messages HTTP/1.1\r\nHost: x\r\n`);
    // One header byte every 200 ms: each byte resets an idle timer, but not the headers deadline.
    const drip = setInterval(() => !closed && socket.write('X'), 200);
    try {
      await waitFor('the server to close the slow connection', () => closed, 10_000);
    } finally {
      clearInterval(drip);
      socket.destroy();
    }
    expect(Buffer.concat(received).toString()).toMatch(/^HTTP\/1\.1 408/);
  });

  it('rate-limits per credential, and public paths per address, with 429 problem+json and Retry-After', async () => {
    let last: Response | undefined;
    for (let i = 0; i < 41 && last?.status !== 429; i++) last = await postJson(url(), order(), authHeaders(limited));
    expect(last!.status).toBe(429);
    expect(last!.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await last!.json()).toMatchObject({ status: 429, type: 'urn:nestjet:problem:rate-limited' });
    // Another credential is not affected.
    expect((await postJson(url(), order(), authHeaders(other))).status).toBe(202);

    // The public paths are limited per address, far lower.
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await fetch(`${producer.url}/docs/openapi.json`)).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    // Behind a trusted proxy each client has its own budget.
    expect((await fetch(`${producer.url}/docs/openapi.json`, { headers: { 'x-forwarded-for': '203.0.113.9' } })).status).toBe(200);
    // Probes stay exempt: a flood must not make Kubernetes restart the pod.
    expect((await fetch(`${producer.url}/readyz`)).status).toBe(200);
    // A refused credential is 401 within its address's auth-failures budget (test/security/quotas.e2e-spec.ts goes past it),
    // whatever the public-paths budget of that address.
    for (let i = 0; i < 7; i++) expect((await postJson(url(), order(), { authorization: `Bearer nj_guess-${i}` })).status).toBe(401);
    expect((await fetch(`${producer.url}/v1/topics`)).status).toBe(401);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import fc from 'fast-check';
import {
  AppGroup,
  authHeaders,
  freePort,
  hostilePayloads,
  propertyRuns,
  sharedReferences,
  startBroker,
  startConsumer,
  startProducer,
  TEST_API_KEY,
  testKey,
  waitFor,
  writeApiKeysFile,
  type AppProcess,
  type Broker,
  type HostilePayload,
  type Producer,
} from '#test-support';

const FUZZ = propertyRuns(60);
const SEED = FUZZ.seed;
const RUNS = FUZZ.numRuns;

/**
 * Watches a process from outside while hostile input runs: /healthz every
 * 100 ms, and the largest event-loop delay its own monitor (prom-client's
 * monitorEventLoopDelay, reset at every scrape) saw between two scrapes.
 */
class Watch {
  maxLagSeconds = 0;
  slowestHealthMs = 0;
  failedHealth: string[] = [];
  private stopped = false;
  private readonly loops: Promise<void>[] = [];

  constructor(private readonly name: string, private readonly url: string) {
    this.loops.push(this.every(100, () => this.health()), this.every(500, () => this.lag()));
  }

  private async every(ms: number, check: () => Promise<void>): Promise<void> {
    while (!this.stopped) {
      await check();
      await new Promise((r) => setTimeout(r, ms));
    }
  }

  private async health(): Promise<void> {
    const started = performance.now();
    try {
      const r = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(5_000) });
      if (r.status !== 200) this.failedHealth.push(`${this.name} /healthz ${r.status}`);
    } catch (err) {
      this.failedHealth.push(`${this.name} /healthz ${(err as Error).message}`);
    }
    this.slowestHealthMs = Math.max(this.slowestHealthMs, performance.now() - started);
  }

  private async lag(): Promise<void> {
    const r = await fetch(`${this.url}/metrics`, { headers: authHeaders(), signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
    const m = r?.ok ? /^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(await r.text()) : null;
    if (m) this.maxLagSeconds = Math.max(this.maxLagSeconds, Number(m[1]));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
    await this.lag();
  }
}

describe('hostile payloads: refused or dead-lettered, never a stall', () => {
  let broker: Broker;
  let producer: Producer;
  let consumer: AppProcess;
  let consumerUrl: string;
  const apps = new AppGroup();
  // May publish orders.paid only: it must not get a body for orders.created decoded.
  const paidOnly = testKey('paid-only', ['publish:orders.paid']);
  const post = (body: Uint8Array, contentType: string, topic = 'orders.created', key = TEST_API_KEY) =>
    fetch(`${producer.url}/v1/topics/${topic}/messages`, { method: 'POST', headers: { ...authHeaders(key), 'content-type': contentType }, body });

  beforeAll(async () => {
    broker = await startBroker({});
    producer = await startProducer(broker.nats, { RATE_LIMIT_MAX: '1000000', API_KEYS_FILE: writeApiKeysFile([TEST_API_KEY, paidOnly]) });
    const port = await freePort();
    consumerUrl = `http://127.0.0.1:${port}`;
    consumer = await apps.add(startConsumer(broker.nats, { CONSUMERS: 'notifications', PORT: String(port) }));
  });

  afterAll(async () => {
    await apps.stopAll();
    await producer?.app.stop();
    await broker?.dispose();
  });

  it('answers a sub-1 KB MessagePack body of shared references (depth 22 and 30) with a 400 at once, and stays up', async () => {
    const watch = new Watch('producer', producer.url);
    for (const depth of [22, 30]) {
      const body = sharedReferences(depth);
      expect(body.byteLength).toBeLessThan(1024);
      const res = await post(body, 'application/msgpack');
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await res.json()) as { detail: string }).detail).toMatch(/extension type/);
    }
    await watch.stop();
    expect(watch.failedHealth).toEqual([]);
    expect(watch.maxLagSeconds).toBeLessThan(1);
    expect(producer.app.running).toBe(true);
  });

  it('parses MessagePack and CloudEvents bodies only on the publish routes, and only for a credential that may publish there', async () => {
    for (const contentType of ['application/msgpack', 'application/cloudevents+json']) {
      const other = await fetch(`${producer.url}/v1/dlq/replay`, { method: 'POST', headers: { ...authHeaders(), 'content-type': contentType }, body: sharedReferences(30) });
      expect([contentType, other.status]).toEqual([contentType, 415]);
    }
    // The scope is checked before the body is read: a 403, where a credential that may publish gets the 400.
    for (const contentType of ['application/msgpack', 'application/json']) {
      const refused = await post(contentType === 'application/json' ? new TextEncoder().encode('['.repeat(100_000)) : sharedReferences(30), contentType, 'orders.created', paidOnly);
      expect([contentType, refused.status]).toEqual([contentType, 403]);
      expect(((await refused.json()) as { detail: string }).detail).toMatch(/publish:orders\.created/);
    }
    expect((await post(sharedReferences(30), 'application/msgpack', 'orders.paid', paidOnly)).status).toBe(400);
  });

  it(`answers generated hostile bodies with 4xx problem+json while /healthz answers and no event loop stalls (${RUNS} runs)`, async () => {
    const watch = new Watch('producer', producer.url);
    const kinds = new Map<number, string[]>();
    await fc.assert(
      fc.asyncProperty(hostilePayloads(), async (p: HostilePayload) => {
        const res = await post(p.bytes, p.contentType);
        const text = await res.text();
        kinds.set(res.status, [...(kinds.get(res.status) ?? []), p.kind]);
        expect([p.kind, res.status >= 400 && res.status < 500, res.headers.get('content-type')]).toEqual([p.kind, true, expect.stringMatching(/^application\/problem\+json/)]);
        expect((JSON.parse(text) as { status: number }).status).toBe(res.status);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    await watch.stop();
    expect(watch.failedHealth).toEqual([]);
    expect(watch.maxLagSeconds).toBeLessThan(1);
    expect(producer.app.running).toBe(true);
    expect([...kinds.keys()]).toContain(400);
  });

  it(`dead-letters the same bodies published straight to the bus, with the reason, and the consumer keeps working (${RUNS} runs)`, async () => {
    const watch = new Watch('consumer', consumerUrl);
    const js = jetstream(broker.publisher);
    const sent: { seq: number; kind: string }[] = [];
    await fc.assert(
      fc.asyncProperty(hostilePayloads(), async (p: HostilePayload) => {
        const h = natsHeaders();
        h.set('content-type', p.contentType);
        const ack = await js.publish('orders.created.eu.std', p.bytes, { headers: h });
        sent.push({ seq: ack.seq, kind: p.kind });
      }),
      { numRuns: RUNS, seed: SEED + 1, endOnFailure: true },
    );
    const seqs = new Set(sent.map((s) => s.seq));
    const failed = await waitFor(
      'every hostile message dead-lettered',
      () => {
        const f = consumer.events('message.failed').filter((e) => seqs.has(e.streamSequence as number));
        return f.length >= seqs.size ? f : undefined;
      },
      60_000,
    );
    await watch.stop();
    for (const f of failed) {
      const kind = sent.find((s) => s.seq === f.streamSequence)!.kind;
      expect([kind, f.terminated, f.deliveryCount, f.errorMessage]).toEqual([kind, true, 1, expect.stringMatching(/payload is not valid (JSON|MessagePack)|payload failed validation/)]);
    }
    expect(watch.failedHealth).toEqual([]);
    expect(watch.maxLagSeconds).toBeLessThan(1);
    // Still working: a good order after all that is processed.
    const good = await post(new TextEncoder().encode(JSON.stringify({ orderId: `after-${Date.now()}`, customerId: 'c-1', amount: 10, currency: 'EUR', region: 'eu' })), 'application/json');
    expect(good.status).toBe(202);
    const { seq } = (await good.json()) as { seq: number };
    await waitFor('good order processed', () => consumer.events('message.processed').find((e) => e.seq === seq));
    expect(consumer.running).toBe(true);
  });
});

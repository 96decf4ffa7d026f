import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { type AppProcess, authHeaders, inspect, type Jaeger, type JaegerSpan, type JaegerTrace, type NatsServer, order, postJson, processed, type Producer, startTracedSystem, tag, type TracedSystem, waitFor } from '#test-support';

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

describe('traces end to end in a real Jaeger', () => {
  let system: TracedSystem;
  let nats: NatsServer;
  let jaeger: Jaeger;
  let producer: Producer;
  let consumer: AppProcess;

  beforeAll(async () => {
    system = await startTracedSystem();
    ({ nats, jaeger, producer, consumer } = system);
  });

  afterAll(() => system?.stop());

  const waitForTrace = (traceId: string, what: string, ready: (t: JaegerTrace) => boolean) =>
    waitFor(`trace ${traceId} to contain ${what}`, async () => {
      const t = await jaeger.trace(traceId);
      return t && ready(t) ? t : null;
    }, 20_000, 250);

  const parentOf = (t: JaegerTrace, s: JaegerSpan) => {
    const ref = s.references.find((r) => r.refType === 'CHILD_OF');
    return ref ? t.spans.find((x) => x.spanID === ref.spanID) : undefined;
  };
  const service = (t: JaegerTrace, s: JaegerSpan) => t.processes[s.processID]!.serviceName;

  it('follows one order from the HTTP request through publish into every consumer, without client baggage', async () => {
    const traceId = hex(16);
    const r = await postJson(`${producer.url}/v1/topics/orders.created/messages`, order({ amount: 5000 }), {
      traceparent: `00-${traceId}-${hex(8)}-01`,
      // Client baggage is not accepted at the edge: it must not reach the message or the consumers.
      baggage: 'tenant=someone-else,role=admin',
    });
    expect(r.status).toBe(202);
    const { seq } = (await r.json()) as { seq: number; id: string };
    const { nc, jsm } = await inspect(nats);
    const stored = await jsm.streams.getMessage('ORDERS', { seq });
    await nc.close();
    expect(stored!.header!.get('traceparent')).toMatch(new RegExp(`^00-${traceId}-`));
    expect(stored!.header!.has('baggage')).toBe(false);
    const msgId = stored!.header!.get('Nats-Msg-Id');
    // orders.created.eu.high.p<n>: routed, then the customer's partition.
    const subject = stored!.subject;
    const partition = subject.split('.').at(-1)!;

    const t = await waitForTrace(traceId, 'four process spans', (x) => x.spans.filter((s) => s.operationName.startsWith('process ')).length >= 4);
    const http = t.spans.find((s) => tag(s, 'span.kind') === 'server')!;
    const publish = t.spans.find((s) => s.operationName === `publish ${subject}`)!;
    expect(service(t, http)).toBe('nestjet-producer');
    expect(tag(http, 'http.request.method')).toBe('POST');
    // One SERVER span per request, named by its route, the direct parent of the publish.
    expect(http.operationName).toBe('POST /v1/topics/:topic/messages');
    expect(tag(http, 'http.route')).toBe('/v1/topics/:topic/messages');
    expect(tag(http, 'http.response.status_code')).toBe(202);
    expect(parentOf(t, publish)?.spanID).toBe(http.spanID);
    expect(tag(publish, 'span.kind')).toBe('producer');
    expect(tag(publish, 'messaging.system')).toBe('nats');
    expect(tag(publish, 'messaging.message.id')).toBe(msgId);
    expect(tag(publish, 'messaging.nats.sequence')).toBe(seq);

    const process = t.spans.filter((s) => s.operationName === `process ${subject}`);
    expect(process.map((s) => tag(s, 'messaging.consumer.group.name')).sort()).toEqual(['fraud-review', 'fulfillment', `ledger-${partition}`, 'notifications']);
    for (const s of process) {
      expect(service(t, s)).toBe('nestjet-consumer');
      expect(tag(s, 'span.kind')).toBe('consumer');
      // Parent and link are the same publish span; Jaeger keeps one reference for both, as FOLLOWS_FROM.
      expect(s.references).toEqual([expect.objectContaining({ traceID: traceId, spanID: publish.spanID })]);
      expect(tag(s, 'messaging.nats.stream')).toBe('ORDERS');
      expect(tag(s, 'messaging.nats.sequence')).toBe(seq);
      expect(tag(s, 'messaging.nats.message.delivery_count')).toBe(1);
      expect(tag(s, 'messaging.destination.name')).toBe(subject);
    }

    // Log lines written inside the message carry the trace.
    const logged = processed([consumer]).filter((p) => p.seq === seq) as unknown as { trace_id: string; span_id: string }[];
    expect(logged).toHaveLength(4);
    expect(new Set(logged.map((l) => l.trace_id))).toEqual(new Set([traceId]));
    expect(logged.map((l) => l.span_id).sort()).toEqual(process.map((s) => s.spanID).sort());
  });

  it("continues a client's traceparent only for an authenticated caller: anyone else's request starts a new trace", async () => {
    const path = () => `/v1/untrusted-${hex(6)}`;
    const cases: [string, string, Record<string, string>, number][] = [
      ['no credential, refused', path(), {}, 401],
      ['a wrong key, refused', path(), { authorization: 'Bearer nj_not-a-real-key' }, 401],
      // A public path answers without a credential: still no continued trace.
      ['no credential, public path', `/docs/${hex(6)}`, {}, 404],
    ];
    for (const [what, p, headers, status] of cases) {
      const injected = hex(16);
      const r = await fetch(`${producer.url}${p}`, { headers: { ...headers, traceparent: `00-${injected}-${hex(8)}-01`, tracestate: 'evil=1' } });
      expect([what, r.status]).toEqual([what, status]);
      const [t] = await waitFor(`the span of ${what}`, async () => {
        const found = await jaeger.find('nestjet-producer', { 'url.path': p });
        return found.length > 0 ? found : null;
      }, 20_000, 250);
      const span = t!.spans.find((s) => tag(s, 'url.path') === p)!;
      expect([what, span.traceID === injected, span.references, tag(span, 'http.response.status_code'), tag(span, 'nestjet.traceparent_dropped')]).toEqual([what, false, [], status, true]);
      expect([what, await jaeger.trace(injected)]).toEqual([what, null]);
    }
    // The same request with a valid key continues the caller's trace.
    const traceId = hex(16);
    const p = path();
    expect((await fetch(`${producer.url}${p}`, { headers: { ...authHeaders(), traceparent: `00-${traceId}-${hex(8)}-01` } })).status).toBe(404);
    const t = await waitForTrace(traceId, 'the server span', (x) => x.spans.some((s) => tag(s, 'url.path') === p));
    const span = t.spans.find((s) => tag(s, 'url.path') === p)!;
    expect(span.references).toEqual([expect.objectContaining({ refType: 'CHILD_OF', traceID: traceId })]);
    expect(tag(span, 'nestjet.traceparent_dropped')).toBeUndefined();
  });

  it('shows a poison message failing and being routed to the DLQ in its trace; a replay links back', async () => {
    const traceId = hex(16);
    const h = natsHeaders();
    h.set('traceparent', `00-${traceId}-${hex(8)}-01`);
    const publisher = await nats.connect('producer');
    const { seq } = await jetstream(publisher).publish('orders.created.eu.std', JSON.stringify({ orderId: 'poison', amount: 'x' }), { headers: h });
    await publisher.close();

    const t = await waitForTrace(traceId, 'two dead-letter spans', (x) => x.spans.filter((s) => s.operationName.startsWith('dead-letter ')).length >= 2);
    const failed = t.spans.filter((s) => s.operationName === 'process orders.created.eu.std');
    expect(failed.length).toBeGreaterThanOrEqual(2);
    for (const s of failed) {
      expect(tag(s, 'error')).toBe(true);
      expect(tag(s, 'nestjet.outcome')).toBe('term');
    }
    const routes = t.spans.filter((s) => s.operationName.startsWith('dead-letter ORDERS/'));
    expect(routes.map((s) => s.operationName).sort()).toEqual(['dead-letter ORDERS/fulfillment', 'dead-letter ORDERS/notifications']);
    for (const r of routes) {
      expect(tag(r, 'messaging.nats.sequence')).toBe(seq);
      expect(t.spans.some((s) => s.operationName === 'publish dlq.ORDERS.' + String(tag(r, 'messaging.consumer.group.name')) && parentOf(t, s)?.spanID === r.spanID)).toBe(true);
    }
    // The transport stores each record itself before the term; the router, given the advisory, only confirms it (no span of its own).
    const direct = consumer.events('dlq.stored').filter((e) => e.streamSequence === seq && e.via === 'direct');
    expect(direct.map((e) => e.consumer).sort()).toEqual(['fulfillment', 'notifications']);

    const list = (await (await fetch(`${producer.url}/v1/dlq?consumer=fulfillment`, { headers: authHeaders() })).json()) as { items: { id: number; streamSequence: number; traceId: string }[] };
    const record = list.items.find((i) => i.streamSequence === seq)!;
    expect(record.traceId).toBe(traceId);
    const replay = await postJson(`${producer.url}/v1/dlq/${record.id}/replay`, {
      payload: { orderId: 'poison', customerId: 'c', amount: 1, currency: 'EUR', region: 'eu' },
    });
    expect(replay.status).toBe(202);
    const { seq: replayedSeq } = (await replay.json()) as { seq: number };
    const done = await waitFor('the replay to be processed', () => processed([consumer], 'fulfillment').find((p) => p.seq === replayedSeq));
    const replayTraceId = (done as unknown as { trace_id: string }).trace_id;
    expect(replayTraceId).not.toBe(traceId);
    const rt = await waitForTrace(replayTraceId, 'the replay and its processing', (x) =>
      x.spans.some((s) => s.operationName.startsWith('replay ')) && x.spans.some((s) => s.operationName.startsWith('process ')),
    );
    // The edited payload is routed again, partition token included.
    const replaySpan = rt.spans.find((s) => s.operationName.startsWith('replay orders.created.eu.std.p'))!;
    expect(replaySpan.references.some((r) => r.refType === 'FOLLOWS_FROM' && r.traceID === traceId)).toBe(true);
    const processSpan = rt.spans.find((s) => s.operationName.startsWith('process orders.created.eu.std.p'))!;
    expect(processSpan.references.some((r) => r.refType === 'FOLLOWS_FROM' && r.traceID === traceId)).toBe(true);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CloudEvent, HTTP } from 'cloudevents';
import { pack, unpack } from 'msgpackr';
import { AppGroup, authHeaders, order, postJson, startBroker, startConsumer, startProducer, waitFor, type AppProcess, type Broker, type Producer } from '#test-support';

interface Processed {
  consumer: string;
  orderId: string;
  action: string;
  seq: number;
  eventId?: string;
  eventType?: string;
  eventSource?: string;
}

const processed = (app: AppProcess) => app.events('message.processed').map((e) => e as unknown as Processed);

describe('contracts on the wire: CloudEvents headers, codecs, payload versions', () => {
  let broker: Broker;
  let producer: Producer;
  let consumer: AppProcess;
  const apps = new AppGroup();
  const messagesUrl = (topic: string) => `${producer.url}/v1/topics/${topic}/messages`;
  const stored = (seq: number) => broker.jsm.streams.getMessage('ORDERS', { seq });
  const post = (url: string, body: Uint8Array | string, contentType: string) =>
    fetch(url, { method: 'POST', headers: { ...authHeaders(), 'content-type': contentType }, body });

  beforeAll(async () => {
    broker = await startBroker({});
    producer = await startProducer(broker.nats, { PUBLIC_URL: 'https://ingress.example' });
    consumer = await apps.add(startConsumer(broker.nats, { CONSUMERS: 'notifications' }));
  });

  afterAll(async () => {
    await apps.stopAll();
    await producer?.app.stop();
    await broker?.dispose();
  });

  it('stores a plain JSON post with the CloudEvents binary-mode headers; the consumer reads them from its context', async () => {
    const o = order();
    const res = await postJson(messagesUrl('orders.created'), o);
    expect(res.status).toBe(202);
    const { seq } = (await res.json()) as { seq: number };
    const m = await stored(seq);
    const h = (name: string) => m!.header.get(name);
    expect(h('ce-specversion')).toBe('1.0');
    expect(h('ce-id')).toBe(h('Nats-Msg-Id'));
    expect(h('ce-source')).toBe('/nestjet/ingress');
    expect(h('ce-type')).toBe('orders.created.v1');
    expect(h('ce-subject')).toBe('orders.created');
    expect(m!.subject).toMatch(/^orders\.created\.eu\.std\.p\d$/);
    expect(h('ce-dataschema')).toBe('https://ingress.example/v1/topics/orders.created/schema?version=1');
    expect(h('content-type')).toBe('application/json');
    expect(Math.abs(Date.parse(h('ce-time')) - Date.now())).toBeLessThan(60_000);
    // The reference SDK accepts what the headers say as a valid event.
    expect(new CloudEvent({ specversion: '1.0', id: h('ce-id'), source: h('ce-source'), type: h('ce-type'), time: h('ce-time'), dataschema: h('ce-dataschema'), subject: h('ce-subject') }).validate()).toBe(true);
    const seen = await waitFor('processed', () => processed(consumer).find((p) => p.orderId === o.orderId));
    expect(seen).toMatchObject({ eventId: h('ce-id'), eventType: 'orders.created.v1', eventSource: '/nestjet/ingress' });
  });

  it('accepts a structured CloudEvent as the cloudevents SDK sends it, keeping its id, source, time, subject and extensions', async () => {
    const o = order();
    const event = new CloudEvent({ type: 'orders.created.v1', source: 'urn:shop:checkout', id: `evt-${o.orderId as string}`, subject: `customer/${o.customerId as string}`, time: '2026-11-29T10:00:00.250+01:00', tenant: 'acme', data: o });
    const message = HTTP.structured(event);
    const res = await post(messagesUrl('orders.created'), message.body as string, message.headers['content-type'] as string);
    expect(res.status).toBe(202);
    const result = (await res.json()) as { id: string; seq: number; duplicate: boolean };
    expect(result).toMatchObject({ id: event.id, duplicate: false });
    const m = await stored(result.seq);
    expect(JSON.parse(new TextDecoder().decode(m!.data))).toEqual(o);
    expect(m!.header.get('ce-id')).toBe(event.id);
    expect(m!.header.get('ce-source')).toBe('urn:shop:checkout');
    expect(m!.header.get('ce-subject')).toBe(`customer/${o.customerId as string}`);
    expect(m!.header.get('ce-time')).toBe((JSON.parse(message.body as string) as { time: string }).time); // the SDK sends it in UTC; stored as sent
    expect(m!.header.get('ce-tenant')).toBe('acme');
    // The same source and id again is the same event: nothing new is stored; another payload under them is refused.
    const again = await post(messagesUrl('orders.created'), message.body as string, 'application/cloudevents+json');
    expect(await again.json()).toMatchObject({ seq: result.seq, duplicate: true });
    const reused = await post(messagesUrl('orders.created'), JSON.stringify({ ...JSON.parse(message.body as string), data: { ...o, amount: 1 } }), 'application/cloudevents+json');
    expect(reused.status).toBe(422);
    const seen = await waitFor('processed', () => processed(consumer).find((p) => p.orderId === o.orderId));
    expect(seen).toMatchObject({ eventId: event.id, eventSource: 'urn:shop:checkout' });
  });

  it('lets extension attributes write only ce-<name> headers: no server, nestjet or tracing header', async () => {
    const o = order();
    const res = await post(
      messagesUrl('orders.created'),
      JSON.stringify({ specversion: '1.0', id: `ext-${o.orderId as string}`, source: '/x', type: 'orders.created.v1', natsmsgid: 'forged', nestjetreplayfor: 'ledger', traceparent: 'x', data: o }),
      'application/cloudevents+json',
    );
    expect(res.status).toBe(202);
    const m = await stored(((await res.json()) as { seq: number }).seq);
    expect(m!.header.get('ce-natsmsgid')).toBe('forged');
    expect(m!.header.get('Nats-Msg-Id')).toMatch(/^idem-/);
    expect(m!.header.get('nestjet-replay-for')).toBe('');
    expect(m!.header.get('ce-traceparent')).toBe('x');
    expect(m!.header.get('traceparent')).not.toBe('x');
    for (const name of ['Nats-Msg-Id', 'nestjet-replay-for', 'traceparent']) {
      const bad = await post(messagesUrl('orders.created'), JSON.stringify({ specversion: '1.0', id: 'y', source: '/x', type: 'orders.created.v1', [name]: 'v', data: o }), 'application/cloudevents+json');
      expect({ name, status: bad.status }).toEqual({ name, status: name === 'traceparent' ? 202 : 400 });
    }
  });

  it('accepts a batch of structured events', async () => {
    const orders = [order(), order()];
    const events = orders.map((o, i) => new CloudEvent({ type: 'orders.created.v1', source: '/batch', id: `b-${i}-${o.orderId as string}`, data: o }));
    const message = HTTP.structured(events as unknown as CloudEvent);
    const res = await post(`${messagesUrl('orders.created')}/batch`, JSON.stringify(events), 'application/cloudevents-batch+json');
    expect(message.headers['content-type']).toMatch(/cloudevents\+json/);
    expect(res.status).toBe(202);
    const { results } = (await res.json()) as { results: { id: string; seq: number }[] };
    expect(results.map((r) => r.id)).toEqual(events.map((e) => e.id));
    for (const [i, r] of results.entries()) expect((await stored(r.seq))!.header.get('ce-id')).toBe(events[i]!.id);
  });

  it('refuses malformed structured events with one problem entry per attribute, storing nothing', async () => {
    const before = (await broker.jsm.streams.info('ORDERS')).state.messages;
    const res = await post(messagesUrl('orders.created'), JSON.stringify({ specversion: '0.3', source: '', type: 'orders.paid.v1', time: 'yesterday', Bad: 1, data_base64: 'AA==', data: order() }), 'application/cloudevents+json');
    expect(res.status).toBe(400);
    const problem = (await res.json()) as { errors: { field: string }[] };
    expect(problem.errors.map((e) => e.field).sort()).toEqual(['Bad', 'data_base64', 'id', 'source', 'specversion', 'time', 'type']);
    const badData = await post(messagesUrl('orders.created'), JSON.stringify({ specversion: '1.0', id: 'x', source: '/s', type: 'orders.created.v1', data: { orderId: 1 } }), 'application/cloudevents+json');
    expect(((await badData.json()) as { errors: { field: string }[] }).errors.map((e) => e.field)).toContain('data.orderId');
    const emptyBatch = await post(`${messagesUrl('orders.created')}/batch`, '[]', 'application/cloudevents-batch+json');
    expect(emptyBatch.status).toBe(400);
    const singleOnBatch = await post(`${messagesUrl('orders.created')}/batch`, '{}', 'application/cloudevents+json');
    expect(singleOnBatch.status).toBe(415);
    expect((await broker.jsm.streams.info('ORDERS')).state.messages).toBe(before);
  });

  it('takes MessagePack bodies; a msgpack topic is stored as MessagePack and decoded by the consumer', async () => {
    // orders.created is a JSON topic: a MessagePack body is stored as JSON.
    const o = order();
    const asJson = await post(messagesUrl('orders.created'), pack(o), 'application/msgpack');
    expect(asJson.status).toBe(202);
    const jsonStored = await stored(((await asJson.json()) as { seq: number }).seq);
    expect(jsonStored!.header.get('content-type')).toBe('application/json');
    expect(JSON.parse(new TextDecoder().decode(jsonStored!.data))).toEqual(o);

    // orders.cancelled is a MessagePack topic, version 2.
    const cancel = { orderId: `c-${o.orderId as string}`, region: 'eu', reason: { code: 'out-of-stock', note: 'sold out' } };
    const res = await postJson(messagesUrl('orders.cancelled'), cancel);
    expect(res.status).toBe(202);
    const m = await stored(((await res.json()) as { seq: number }).seq);
    expect(m!.header.get('content-type')).toBe('application/msgpack');
    expect(m!.header.get('ce-type')).toBe('orders.cancelled.v2');
    expect(unpack(m!.data)).toEqual(cancel);
    expect(m!.data.byteLength).toBeLessThan(JSON.stringify(cancel).length);
    const seen = await waitFor('processed', () => processed(consumer).find((p) => p.orderId === cancel.orderId));
    expect(seen.action).toBe('email-cancellation:out-of-stock');

    const garbage = await post(messagesUrl('orders.created'), new Uint8Array([0xc1, 0x00]), 'application/msgpack');
    expect(garbage.status).toBe(400);
    const binary = await post(messagesUrl('orders.created'), pack({ ...o, orderId: new Uint8Array([1]) }), 'application/msgpack');
    expect(binary.status).toBe(400);
  });

  it('upcasts a version 1 event for a consumer that handles version 2', async () => {
    const v1 = { orderId: `v1-${Date.now()}`, region: 'us', reason: 'changed my mind' };
    // The current version is 2: a plain v1 body is refused; a structured event names its version.
    expect((await postJson(messagesUrl('orders.cancelled'), v1)).status).toBe(400);
    const res = await post(messagesUrl('orders.cancelled'), JSON.stringify({ specversion: '1.0', id: v1.orderId, source: '/legacy', type: 'orders.cancelled.v1', data: v1 }), 'application/cloudevents+json');
    expect(res.status).toBe(202);
    const m = await stored(((await res.json()) as { seq: number }).seq);
    expect(m!.header.get('ce-type')).toBe('orders.cancelled.v1');
    expect(m!.header.get('ce-dataschema')).toBe('https://ingress.example/v1/topics/orders.cancelled/schema?version=1');
    const seen = await waitFor('processed', () => processed(consumer).find((p) => p.orderId === v1.orderId));
    // Upcast: the free text became the note of an `other` reason; the context still says version 1.
    expect(seen).toMatchObject({ action: 'email-cancellation:other', eventType: 'orders.cancelled.v1' });
  });

  it('dead-letters a version newer than the handler, and a payload it cannot decode, without retrying', async () => {
    const js = (await import('@nats-io/jetstream')).jetstream(broker.publisher);
    const { headers } = await import('@nats-io/transport-node');
    const h = headers();
    h.set('ce-specversion', '1.0');
    h.set('ce-type', 'orders.cancelled.v3');
    h.set('content-type', 'application/json');
    const newer = await js.publish('orders.cancelled.eu.std', JSON.stringify({ orderId: 'v3', region: 'eu' }), { headers: h });
    const h2 = headers();
    h2.set('content-type', 'application/msgpack');
    const undecodable = await js.publish('orders.cancelled.eu.std', new Uint8Array([0xc1]), { headers: h2 });
    const failed = await waitFor('both dead-lettered', () => {
      const f = consumer.events('message.failed').filter((e) => e.streamSequence === newer.seq || e.streamSequence === undecodable.seq);
      return f.length === 2 ? f : undefined;
    });
    expect(failed.every((f) => f.terminated === true && f.deliveryCount === 1)).toBe(true);
    expect(failed.find((f) => f.streamSequence === newer.seq)!.errorMessage).toMatch(/version 3 is newer than this handler's version 2/);
    expect(failed.find((f) => f.streamSequence === undecodable.seq)!.errorMessage).toMatch(/not valid MessagePack/);
  });

  it('keeps a MessagePack message MessagePack through the DLQ and its replays; the admin API shows it decoded', async () => {
    const { jetstream } = await import('@nats-io/jetstream');
    const { headers } = await import('@nats-io/transport-node');
    const h = headers();
    h.set('ce-specversion', '1.0');
    h.set('ce-id', `poison-${Date.now()}`);
    h.set('ce-source', '/test');
    h.set('ce-type', 'orders.cancelled.v2');
    h.set('content-type', 'application/msgpack');
    // Valid MessagePack, invalid payload (no reason): poison for notifications.
    const poison = { orderId: `dlq-${Date.now()}`, region: 'eu' };
    const { seq } = await jetstream(broker.publisher).publish('orders.cancelled.eu.std', pack(poison), { headers: h });
    const api = (path: string, init: RequestInit = {}) => fetch(`${producer.url}${path}`, { ...init, headers: { ...authHeaders(), 'content-type': 'application/json', ...init.headers } });
    const record = await waitFor('dead-lettered', async () => {
      const list = (await (await api('/v1/dlq?consumer=notifications')).json()) as { items: { id: number; streamSequence: number }[] };
      return list.items.find((r) => r.streamSequence === seq);
    });
    const shown = (await (await api(`/v1/dlq/${record.id}`)).json()) as { payload: unknown; headers: Record<string, string[]> };
    expect(shown.payload).toEqual(poison);
    expect(shown.headers['content-type']).toEqual(['application/msgpack']);

    // Replayed with the payload fixed (as the API showed it): stored as MessagePack again, with the original's version.
    const fixed = { ...poison, reason: { code: 'fraud' } };
    const replay = await api(`/v1/dlq/${record.id}/replay`, { method: 'POST', body: JSON.stringify({ payload: fixed }) });
    expect(replay.status).toBe(202);
    const replayed = await stored(((await replay.json()) as { seq: number }).seq);
    expect(replayed!.header.get('content-type')).toBe('application/msgpack');
    expect(replayed!.header.get('ce-type')).toBe('orders.cancelled.v2');
    expect(unpack(replayed!.data)).toEqual(fixed);
    const seen = await waitFor('replay processed', () => processed(consumer).find((p) => p.orderId === poison.orderId));
    expect(seen.action).toBe('email-cancellation:fraud');
  });

  it('serves the JSON Schema of each payload version', async () => {
    const get = (path: string) => fetch(`${producer.url}${path}`, { headers: authHeaders() });
    const res = await get('/v1/topics/orders.created/schema');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/schema\+json/);
    const schema = (await res.json()) as Record<string, unknown>;
    expect(schema).toMatchObject({ $schema: 'https://json-schema.org/draft/2020-12/schema', $id: 'https://ingress.example/v1/topics/orders.created/schema?version=1', type: 'object', additionalProperties: false });
    expect(schema.required).toEqual(expect.arrayContaining(['orderId', 'customerId', 'amount', 'currency', 'region']));
    expect(JSON.stringify(schema)).toContain('#/$defs/OrderLineDto');
    const v1 = (await (await get('/v1/topics/orders.cancelled/schema?version=1')).json()) as { properties: { reason: { type: string } } };
    expect(v1.properties.reason.type).toBe('string');
    const v2 = (await (await get('/v1/topics/orders.cancelled/schema')).json()) as { properties: { reason: { $ref: string } } };
    expect(v2.properties.reason.$ref).toBe('#/$defs/CancellationReasonDto');
    expect((await get('/v1/topics/orders.cancelled/schema?version=3')).status).toBe(404);
    expect((await get('/v1/topics/orders.cancelled/schema?version=x')).status).toBe(400);
    expect((await get('/v1/topics/orders.shipped/schema')).status).toBe(404);
  });
});

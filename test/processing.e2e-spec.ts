import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type AppProcess, authHeaders, inspect, NatsServer, order, postJson, processed, type Producer, provision, startConsumer, startProducer, storedMsgId, waitFor } from '#test-support';

describe('message path: ingress → JetStream → durable consumers', () => {
  let nats: NatsServer;
  let producer: Producer;
  let consumer: AppProcess;

  beforeAll(async () => {
    nats = await NatsServer.start();
    await provision(nats);
    producer = await startProducer(nats);
    consumer = await startConsumer(nats);
  });

  afterAll(async () => {
    await consumer?.stop();
    await producer?.app.stop();
    await nats?.dispose();
  });

  it('processes each order once per durable; only high-value orders reach fraud-review', async () => {
    const orders = [
      order({ amount: 10 }),
      order({ amount: 999.99, region: 'us' }),
      order({ amount: 1000, region: 'apac' }),
      order({ amount: 25000 }),
      order({ amount: 0 }),
    ];
    for (const o of orders) {
      const r = await postJson(`${producer.url}/v1/topics/orders.created/messages`, o);
      expect(r.status).toBe(202);
      const body = (await r.json()) as { stream: string; seq: number; duplicate: boolean };
      expect(body).toMatchObject({ stream: 'ORDERS', duplicate: false });
    }
    const paid = await postJson(`${producer.url}/v1/topics/orders.paid/messages`, {
      orderId: orders[0]!.orderId,
      paymentId: 'pay-1',
      amount: 10,
      currency: 'EUR',
      region: 'eu',
    });
    expect(paid.status).toBe(202);

    await waitFor('notifications to see all 6 events', () => processed([consumer], 'notifications').length >= 6);
    await waitFor('fulfillment to see 5 orders', () => processed([consumer], 'fulfillment').length >= 5);
    await waitFor('fraud-review to see 2 orders', () => processed([consumer], 'fraud-review').length >= 2);
    // Give a stray duplicate or misrouted delivery the chance to show up before counting.
    await new Promise((r) => setTimeout(r, 1000));

    const ids = (c: string) => processed([consumer], c).map((p) => p.orderId).sort();
    const all = orders.map((o) => o.orderId as string);
    expect(ids('fulfillment')).toEqual([...all].sort());
    expect(ids('notifications')).toEqual([...all, orders[0]!.orderId as string].sort());
    expect(ids('fraud-review')).toEqual([orders[2]!.orderId, orders[3]!.orderId].sort());
    // Routed by region and tier, then the customer's partition (orders.created is ordered by customerId).
    expect(processed([consumer], 'fraud-review').every((p) => /\.high\.p\d$/.test(p.subject))).toBe(true);
    expect(processed([consumer], 'fulfillment').map((p) => p.subject)).toContainEqual(expect.stringMatching(/^orders\.created\.us\.std\.p\d$/));
  });

  it('stores a message once for a repeated Idempotency-Key and processes it once', async () => {
    const o = order();
    const key = `idem-${Date.now()}`;
    const first = await postJson(`${producer.url}/v1/topics/orders.created/messages`, o, { 'Idempotency-Key': key });
    const second = await postJson(`${producer.url}/v1/topics/orders.created/messages`, o, { 'Idempotency-Key': key });
    const a = (await first.json()) as { id: string; seq: number; duplicate: boolean };
    const b = (await second.json()) as { id: string; seq: number; duplicate: boolean };
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(a).toMatchObject({ id: key, duplicate: false });
    expect(b).toMatchObject({ id: key, duplicate: true, seq: a.seq });

    const { nc, jsm } = await inspect(nats);
    try {
      const stored = await jsm.streams.getMessage('ORDERS', { seq: a.seq });
      // Scoped to the caller and topic, so no other client's key can collide with it.
      expect(stored?.header.get('Nats-Msg-Id')).toBe(storedMsgId(key));
      await waitFor('fulfillment to process the keyed order', () =>
        processed([consumer], 'fulfillment').some((p) => p.orderId === o.orderId),
      );
      await new Promise((r) => setTimeout(r, 500));
      expect(processed([consumer], 'fulfillment').filter((p) => p.orderId === o.orderId)).toHaveLength(1);
    } finally {
      await nc.close();
    }
  });

  it('lists topics with stream and consumer statistics', async () => {
    const r = await fetch(`${producer.url}/v1/topics`, { headers: authHeaders() });
    expect(r.status).toBe(200);
    const topics = (await r.json()) as { name: string; stream: { messages: number }; consumers: { name: string }[] }[];
    const created = topics.find((t) => t.name === 'orders.created')!;
    expect(created.stream.messages).toBeGreaterThan(0);
    const partitions = Array.from({ length: 8 }, (_, p) => `ledger-p${p}`);
    expect(created.consumers.map((c) => c.name).sort()).toEqual(['fraud-review', 'fulfillment', ...partitions, 'notifications'].sort());
    expect(topics.find((t) => t.name === 'orders.paid')!.consumers.map((c) => c.name)).toEqual(['notifications']);
  });

  it('reports ready on both apps and serves the OpenAPI document', async () => {
    const consumerUrl = String(consumer.events('consumer.ready')[0]!.url);
    for (const url of [producer.url, consumerUrl]) {
      expect([url, (await fetch(`${url}/readyz`)).status]).toEqual([url, 200]);
      expect([url, (await fetch(`${url}/healthz`)).status]).toEqual([url, 200]);
    }
    const doc = (await (await fetch(`${producer.url}/docs/openapi.json`)).json()) as { paths: Record<string, unknown> };
    // One publish operation per topic: each body schema is exactly that topic's payload.
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/topics/orders.created/messages', '/v1/topics/orders.created/messages/batch', '/v1/topics/orders.cancelled/messages', '/v1/topics', '/v1/topics/{topic}/schema']),
    );
    expect(Object.keys(doc.paths)).not.toContain('/v1/topics/{topic}/messages');
  });
});

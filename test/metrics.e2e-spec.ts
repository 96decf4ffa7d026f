import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  DLQ_TEST_TOPOLOGY,
  inspect,
  metricNamesIn,
  NatsServer,
  order,
  postJson,
  processed,
  provision,
  ROOT,
  scrape,
  startConsumer,
  startProducer,
  streamCount,
  total,
  waitFor,
  type AppProcess,
  type Producer,
  type Sample,
} from '#test-support';
import { freePort } from '#test-support';

const RULES = join(ROOT, 'helm', 'nestjet', 'files', 'nestjet.rules.yaml');
const DASHBOARD = join(ROOT, 'helm', 'nestjet', 'files', 'nestjet-dashboard.json');

describe('metrics, alert rules and dashboard', () => {
  let nats: NatsServer;
  let producer: Producer;
  let consumer: AppProcess;
  let consumerUrl: string;
  let nc: NatsConnection;

  beforeAll(async () => {
    nats = await NatsServer.start();
    await provision(nats, DLQ_TEST_TOPOLOGY);
    producer = await startProducer(nats, DLQ_TEST_TOPOLOGY);
    const port = await freePort();
    consumerUrl = `http://127.0.0.1:${port}`;
    consumer = await startConsumer(nats, { ...DLQ_TEST_TOPOLOGY, PORT: String(port) });
    ({ nc } = await inspect(nats));
  });

  afterAll(async () => {
    await consumer?.stop();
    await producer?.app.stop();
    await nc?.close();
    await nats?.dispose();
  });

  it('counts what really happened: published = processed + dead-lettered, backlog back to 0', async () => {
    for (let i = 0; i < 10; i++) {
      expect((await postJson(`${producer.url}/v1/topics/orders.created/messages`, order({ amount: i < 2 ? 2000 : 10 }))).status).toBe(202);
    }
    expect((await postJson(`${producer.url}/v1/topics/orders.paid/messages`, { orderId: 'o', paymentId: 'p', amount: 1, currency: 'EUR', region: 'eu' })).status).toBe(202);
    // Two poison messages skip the ingress: each dies once in fulfillment and once in notifications.
    const publisher = await nats.connect('producer');
    for (let i = 0; i < 2; i++) await jetstream(publisher).publish('orders.created.eu.std', JSON.stringify({ orderId: `poison-${i}` }));
    await publisher.close();

    await waitFor('every delivery settled and 4 dead letters stored', async () =>
      processed([consumer]).length >= 10 + 11 + 2 && (await streamCount(nc, 'DLQ')) >= 4,
    );
    let p: Sample[] = [];
    let c: Sample[] = [];
    await waitFor('the gauges to show an empty backlog', async () => {
      [p, c] = await Promise.all([scrape(producer.url), scrape(consumerUrl)]);
      return ['fulfillment', 'notifications', 'fraud-review'].every(
        (consumer) =>
          total(c, 'nestjet_consumer_pending_messages', { consumer }) === 0 && total(c, 'nestjet_consumer_ack_pending_messages', { consumer }) === 0,
      ) && total(c, 'nestjet_dead_lettered_messages_total') === 4;
    });

    expect(total(p, 'nestjet_published_messages_total', { topic: 'orders.created', result: 'stored' })).toBe(10);
    expect(total(p, 'nestjet_published_messages_total', { topic: 'orders.paid', result: 'stored' })).toBe(1);
    expect(total(p, 'nestjet_publish_duration_seconds_count', { topic: 'orders.created' })).toBe(10);

    const ack = (consumer: string) => total(c, 'nestjet_processed_messages_total', { consumer, outcome: 'ack' });
    const dead = (consumer: string) => total(c, 'nestjet_dead_lettered_messages_total', { consumer });
    // Everything published reached each durable's handler: acked or dead-lettered, nothing else.
    expect(ack('fulfillment') + dead('fulfillment')).toBe(10 + 2);
    expect(ack('notifications') + dead('notifications')).toBe(10 + 1 + 2);
    expect(ack('fraud-review')).toBe(2);
    expect(dead('fulfillment')).toBe(2);
    expect(total(c, 'nestjet_processed_messages_total', { consumer: 'fulfillment', outcome: 'term' })).toBe(2);
    expect(total(c, 'nestjet_handler_duration_seconds_count', { consumer: 'fulfillment' })).toBe(12);
    expect(total(c, 'nestjet_end_to_end_latency_seconds_count', { consumer: 'fulfillment' })).toBe(10);
    expect(total(c, 'nestjet_dlq_depth_messages')).toBe(4);
    expect(total(p, 'nestjet_dlq_depth_messages')).toBe(4);
    // fulfillment, notifications, fraud-review and the ledger's 8 partition durables.
    expect(total(c, 'nestjet_consumer_bound')).toBe(3 + 8);
    expect(total(c, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  it('alert rules pass promtool check and their unit tests', () => {
    expect(execFileSync('promtool', ['check', 'rules', RULES]).toString()).toMatch(/SUCCESS: 10 rules found/);
    const out = execFileSync('promtool', ['test', 'rules', 'nestjet.rules.test.yaml'], { cwd: join(ROOT, 'test', 'observability') });
    expect(out.toString()).toMatch(/SUCCESS/);
  });

  it('uses in the dashboard and rules only metrics the apps really export', async () => {
    const exported = new Set([...(await scrape(producer.url)), ...(await scrape(consumerUrl))].map((s) => s.name.replace(/_(bucket|sum|count)$/, '')));
    const used = new Set([...metricNamesIn(readFileSync(RULES, 'utf8')), ...metricNamesIn(readFileSync(DASHBOARD, 'utf8'))]);
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
  });
});

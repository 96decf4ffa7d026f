import 'reflect-metadata';
import { partitionOf, partitionToken } from '#contracts';
import { JetStreamPublisher, MessageScheduler } from '#jetstream';
import { inspect, NatsServer, provision } from '#test-support';
import { AckPolicy, jetstream, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { emitResult, environment, median, table } from './bench-report.js';
import { appDefaultTuning } from './consumer-settings.js';
import { drainIn, type Drain } from './drain-process.js';

/**
 * What each delivery mode costs, in the same run on the same server:
 * consuming a backlog with a plain no-op handler (the consumer app's
 * defaults), the same handler marked idempotent (marker read and write,
 * double ack), and an ordered consumer (a durable per partition, one message
 * at a time each, pinned); and publishing plain versus scheduled (stored in
 * SCHEDULES), then how fast the server delivers schedules that fall due at
 * once into ORDERS.
 */
const MESSAGES = Number(process.env.BENCH_GUARANTEE_MESSAGES ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const PARTITIONS = 8;
const CUSTOMERS = 100;
const WINDOW = 200;

const tuning = appDefaultTuning();

interface Side {
  key: string;
  label: string;
  env: Record<string, string>;
  partitions?: number;
}

const sides: Side[] = [
  { key: 'plain', label: `plain (at least once), app defaults ${tuning.BENCH_CONCURRENCY}/${tuning.BENCH_PREFETCH}`, env: tuning },
  { key: 'idempotent', label: 'idempotent: true (marker read + write, ackAck), same settings', env: { ...tuning, BENCH_IDEMPOTENT: '1' } },
  { key: 'ordered', label: `ordered: ${PARTITIONS} partition durables, 1 in flight each, one process`, env: { ...tuning, BENCH_PARTITIONS: String(PARTITIONS) }, partitions: PARTITIONS },
];

/** A backlog of orders of CUSTOMERS customers, each on its customer's partition subject (as the ingress publishes them). */
async function publishOrders(nc: NatsConnection, count: number): Promise<void> {
  const js = jetstream(nc);
  for (let start = 0; start < count; start += WINDOW) {
    await Promise.all(
      Array.from({ length: Math.min(WINDOW, count - start) }, (_, i) => {
        const n = start + i;
        const customerId = `cus-${n % CUSTOMERS}`;
        const subject = `orders.created.eu.std.${partitionToken(partitionOf(customerId, PARTITIONS))}`;
        return js.publish(subject, JSON.stringify({ orderId: `g-${n}`, customerId, amount: 20, currency: 'EUR', region: 'eu' }), { msgID: `g-${n}` });
      }),
    );
  }
}

async function addDurables(jsm: JetStreamManager, side: Side, durable: string): Promise<void> {
  if (!side.partitions) {
    await jsm.consumers.add('ORDERS', { durable_name: durable, ack_policy: AckPolicy.Explicit, filter_subject: 'orders.created.>', max_ack_pending: 10_000 });
    return;
  }
  for (let p = 0; p < side.partitions; p++) {
    await jsm.consumers.add('ORDERS', {
      durable_name: `${durable}-p${p}`,
      ack_policy: AckPolicy.Explicit,
      filter_subject: `orders.created.*.*.${partitionToken(p)}`,
      max_ack_pending: 1,
      priority_groups: ['pinned'],
      priority_policy: 'pinned_client',
      priority_timeout: 10_000_000_000,
    });
  }
}

/** Publishes `count` messages `WINDOW` at a time through `publish`; messages per second. */
async function publishRate(count: number, publish: (n: number) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  for (let start = 0; start < count; start += WINDOW) {
    await Promise.all(Array.from({ length: Math.min(WINDOW, count - start) }, (_, i) => publish(start + i)));
  }
  return count / ((performance.now() - started) / 1000);
}

const nats = await NatsServer.start();
try {
  await provision(nats);
  const { nc, jsm } = await inspect(nats);
  const producer = await nats.connect('producer');
  await publishOrders(producer, MESSAGES);
  const drains = new Map<string, Drain[]>(sides.map((s) => [s.key, []]));
  for (let round = 0; round <= ROUNDS; round++) {
    for (const side of sides) {
      const durable = `${side.key}-${round}`;
      await addDurables(jsm, side, durable);
      // Markers are per consumer name: each round starts with none (the bench's consumer is "bench").
      if (side.key === 'idempotent') await jsm.streams.purge('KV_nestjet_processed');
      const drain = await drainIn('noop-consumer.main.js', { ...nats.env('operator'), BENCH_MESSAGES: String(MESSAGES), BENCH_DURABLE: durable, ...side.env });
      if (round > 0) drains.get(side.key)!.push(drain);
    }
  }
  const rate = (key: string) => median(drains.get(key)!.map((d) => d.rate));

  // Publishing: plain into ORDERS versus scheduled into SCHEDULES (an hour ahead), through the ingress's own classes.
  const publisher = new JetStreamPublisher(producer, { recordMetrics: false });
  const scheduler = new MessageScheduler(jsm, publisher, Number.MAX_SAFE_INTEGER);
  const body = (n: number) => JSON.stringify({ orderId: `s-${n}`, customerId: 'cus-1', amount: 20, currency: 'EUR', region: 'eu' });
  const plainPublish = await publishRate(MESSAGES, (n) => publisher.publish('orders.paid.eu.std', body(n), { msgId: `pp-${n}`, expectStream: 'ORDERS' }));
  const later = new Date(Date.now() + 3600_000);
  const scheduledPublish = await publishRate(MESSAGES, (n) =>
    scheduler.schedule({ id: `bench-${n}`, msgId: `bench-${n}`, subject: 'orders.paid.eu.std', data: body(n), deliverAt: later, scheduledBy: 'bench' }),
  );
  await jsm.streams.purge('SCHEDULES');

  // Delivery: schedules that all fall due at the same moment, until ORDERS holds every one.
  const firing = Math.min(MESSAGES, 10_000);
  // Far enough ahead that every schedule is stored before it falls due (they are stored at about 2,000/s or faster).
  const due = new Date(Date.now() + 3_000 + firing / 2);
  await publishRate(firing, (n) => scheduler.schedule({ id: `due-${n}`, msgId: `due-${n}`, subject: 'orders.cancelled.eu.std', data: body(n), deliverAt: due, scheduledBy: 'bench' }));
  const before = (await jsm.streams.info('ORDERS')).state.messages;
  while (Date.now() < due.getTime()) await new Promise((r) => setTimeout(r, 5));
  for (const until = Date.now() + 120_000; Date.now() < until; ) {
    if ((await jsm.streams.info('ORDERS')).state.messages - before >= firing) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  const deliverySeconds = (Date.now() - due.getTime()) / 1000;
  await producer.close();
  await nc.close();

  const plain = rate('plain');
  process.stdout.write(
    `\n### Delivery modes (${MESSAGES} messages, no-op handler, each side a fresh process, ${ROUNDS} rounds after a warm-up, median)\n${environment()}\n\n` +
      table(
        ['mode', 'msg/s', '× plain'],
        [
          ...sides.map((s) => [s.label, rate(s.key).toFixed(0), (rate(s.key) / plain).toFixed(2)]),
          ['publish plain (JetStreamPublisher, 200 in flight)', plainPublish.toFixed(0), '1.00'],
          ['publish scheduled (MessageScheduler: stored in SCHEDULES)', scheduledPublish.toFixed(0), (scheduledPublish / plainPublish).toFixed(2)],
          [`${firing} schedules due at once, until all are in ORDERS`, (firing / deliverySeconds).toFixed(0), '–'],
        ],
      ) +
      '\n',
  );
  emitResult({ name: 'idempotent-consumer', compares: 'idempotent / plain consumer msg/s', ratio: rate('idempotent') / plain, plain, idempotent: rate('idempotent') });
  emitResult({ name: 'ordered-consumer', compares: `ordered (${PARTITIONS} partitions) / plain consumer msg/s`, ratio: rate('ordered') / plain, plain, ordered: rate('ordered') });
  emitResult({ name: 'scheduled-publish', compares: 'scheduled / plain publish msg/s', ratio: scheduledPublish / plainPublish, plainPublish, scheduledPublish, scheduleDeliveryRate: firing / deliverySeconds });
} finally {
  await nats.dispose();
}

import 'reflect-metadata';
import { buildTopology, ORDER_TOPICS, type TopicDeclaration } from '#contracts';
import { encodeTopicEvent, JetStreamPublisher, PAYLOAD_CODECS, type PayloadCodec } from '#jetstream';
import { inspect, NatsServer, provision } from '#test-support';
import { AckPolicy } from '@nats-io/jetstream';
import { emitResult, environment, median, table } from './bench-report.js';
import { appDefaultTuning } from './consumer-settings.js';
import { drainIn } from './drain-process.js';

/**
 * JSON against MessagePack for the same orders, in the same run: bytes on
 * the wire, encode and decode speed of the codecs alone, and end to end —
 * publishing through the ingress's encoder and publisher (CloudEvents headers
 * included), then draining the backlog with the pull transport, which
 * decodes every payload by its content-type before the (no-op) handler.
 */
const MESSAGES = Number(process.env.BENCH_CODEC_MESSAGES ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CODEC_ITERATIONS = Math.max(1_000, MESSAGES * 5);
const WINDOW = 200;

const order = (n: number) => ({
  orderId: `ord-${n}`,
  customerId: `cus-${n % 100}`,
  amount: 120.5,
  currency: 'EUR',
  region: 'eu',
  lines: [
    { sku: 'SKU-1001', quantity: 2 },
    { sku: 'SKU-2002', quantity: 1 },
    { sku: 'SKU-3003', quantity: 12 },
  ],
});

const created = buildTopology().topics.find((t) => t.name === ORDER_TOPICS.created)!;
const topicWith = (codec: PayloadCodec): TopicDeclaration => ({ ...created, codec: codec.name });
const codecs = [PAYLOAD_CODECS.json, PAYLOAD_CODECS.msgpack];

const bytesOf = (data: Uint8Array | string) => (typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength);
const asBytes = (data: Uint8Array | string) => (typeof data === 'string' ? Buffer.from(data) : data);

/** Operations per second of `op` over CODEC_ITERATIONS calls, median of three runs. */
function opsPerSecond(op: (i: number) => unknown): number {
  const runs: number[] = [];
  for (let r = 0; r < 3; r++) {
    const started = performance.now();
    for (let i = 0; i < CODEC_ITERATIONS; i++) op(i);
    runs.push(CODEC_ITERATIONS / ((performance.now() - started) / 1000));
  }
  return median(runs);
}

const micro = codecs.map((codec) => {
  const sample = codec.encode(order(1));
  const encoded = Array.from({ length: 100 }, (_, i) => asBytes(codec.encode(order(i))));
  return {
    codec,
    bytes: bytesOf(sample),
    encode: opsPerSecond((i) => codec.encode(order(i))),
    decode: opsPerSecond((i) => codec.decode(encoded[i % encoded.length]!)),
  };
});

const nats = await NatsServer.start();
try {
  await provision(nats);
  const { nc, jsm } = await inspect(nats);
  const producer = await nats.connect('producer');
  const publisher = new JetStreamPublisher(producer, { recordMetrics: false });
  const publishRates = new Map<string, number[]>(codecs.map((c) => [c.name, []]));
  const drainRates = new Map<string, number[]>(codecs.map((c) => [c.name, []]));
  for (let round = 0; round <= ROUNDS; round++) {
    for (const codec of codecs) {
      await jsm.streams.purge('ORDERS');
      const topic = topicWith(codec);
      const started = performance.now();
      for (let start = 0; start < MESSAGES; start += WINDOW) {
        await Promise.all(
          Array.from({ length: Math.min(WINDOW, MESSAGES - start) }, (_, i) => {
            const n = start + i;
            const id = `${codec.name}-${round}-${n}`;
            const wire = encodeTopicEvent({ topic, payload: order(n), id, source: '/bench' });
            return publisher.publish(wire.subject, wire.data, { msgId: id, headers: wire.headers, expectStream: 'ORDERS' });
          }),
        );
      }
      const publishRate = MESSAGES / ((performance.now() - started) / 1000);
      const durable = `codec-${codec.name}-${round}`;
      await jsm.consumers.add('ORDERS', { durable_name: durable, ack_policy: AckPolicy.Explicit, filter_subject: 'orders.created.>', max_ack_pending: 10_000 });
      const drain = await drainIn('noop-consumer.main.js', { ...nats.env('operator'), BENCH_MESSAGES: String(MESSAGES), BENCH_DURABLE: durable, ...appDefaultTuning() });
      if (round > 0) {
        publishRates.get(codec.name)!.push(publishRate);
        drainRates.get(codec.name)!.push(drain.rate);
      }
    }
  }
  await producer.close();
  await nc.close();

  const json = micro[0]!;
  const pub = (name: string) => median(publishRates.get(name)!);
  const drain = (name: string) => median(drainRates.get(name)!);
  process.stdout.write(
    `\n### Codecs (an order with 3 lines; codec calls ×${CODEC_ITERATIONS}, end to end ${MESSAGES} messages, ${ROUNDS} rounds after a warm-up, median)\n${environment()}\n\n` +
      table(
        ['codec', 'bytes per order', 'encode /s', 'decode /s', 'publish msg/s (encoder + PubAck)', 'consume msg/s (decode + no-op handler)', 'consume × JSON'],
        micro.map((m) => [
          `${m.codec.name} (${m.codec.contentType})`,
          `${m.bytes} (${(m.bytes / json.bytes).toFixed(2)}×)`,
          m.encode.toFixed(0),
          m.decode.toFixed(0),
          pub(m.codec.name).toFixed(0),
          drain(m.codec.name).toFixed(0),
          (drain(m.codec.name) / drain('json')).toFixed(2),
        ]),
      ) +
      '\n',
  );
  emitResult({
    name: 'msgpack-codec',
    compares: 'MessagePack / JSON consume msg/s',
    ratio: drain('msgpack') / drain('json'),
    bytes: Object.fromEntries(micro.map((m) => [m.codec.name, m.bytes])),
    publish: Object.fromEntries(codecs.map((c) => [c.name, pub(c.name)])),
    consume: Object.fromEntries(codecs.map((c) => [c.name, drain(c.name)])),
  });
} finally {
  await nats.dispose();
}

import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { rssMiB } from '../test/support/process-memory.js';

/**
 * Consumer baseline: bare nats.js consume() + ack() on one durable with the
 * client's defaults (max_messages 100), in the form BENCH_RAW_MODE names:
 * `iterator` (for await over consume()) or `callback` (consume({ callback })).
 */
const total = Number(process.env.BENCH_MESSAGES);
const mode = process.env.BENCH_RAW_MODE;
if (mode !== 'iterator' && mode !== 'callback') throw new Error(`BENCH_RAW_MODE must be iterator or callback, not ${mode}`);

const started = performance.now();
const nc = await connect({ servers: process.env.NATS_URL, user: process.env.NATS_USER, pass: process.env.NATS_PASSWORD });
const consumer = await jetstream(nc).consumers.get('ORDERS', process.env.BENCH_DURABLE!);
let n = 0;
if (mode === 'iterator') {
  for await (const m of await consumer.consume()) {
    m.ack();
    if (++n === total) break;
  }
} else {
  let drained!: () => void;
  const done = new Promise<void>((resolve) => (drained = resolve));
  const messages = await consumer.consume({
    callback: (m) => {
      m.ack();
      if (++n === total) drained();
    },
  });
  await done;
  await messages.close();
}
await nc.flush(); // the last acks have reached the server
const rate = total / ((performance.now() - started) / 1000);
const rss = await rssMiB(process.pid);
await nc.close();
process.stdout.write(`${JSON.stringify({ event: 'bench.done', rate, rssMiB: rss })}\n`);

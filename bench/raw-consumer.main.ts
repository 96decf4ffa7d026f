import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { rssMiB } from '../test/support/process-memory.js';
import { DrainClock } from './drain-clock.js';

/**
 * Consumer baseline: bare nats.js consume() + ack() on one durable with the
 * client's defaults (max_messages 100), in the form BENCH_RAW_MODE names:
 * `iterator` (for await over consume()), `callback` (consume({ callback })) or
 * `callback-json` (the callback form parsing each payload).
 */
const total = Number(process.env.BENCH_MESSAGES);
const mode = process.env.BENCH_RAW_MODE;
if (mode !== 'iterator' && mode !== 'callback' && mode !== 'callback-json') throw new Error(`BENCH_RAW_MODE must be iterator, callback or callback-json, not ${mode}`);

const clock = new DrainClock(total);
const nc = await connect({ servers: process.env.NATS_URL, user: process.env.NATS_USER, pass: process.env.NATS_PASSWORD });
const consumer = await jetstream(nc).consumers.get('ORDERS', process.env.BENCH_DURABLE!);
if (mode === 'iterator') {
  for await (const m of await consumer.consume()) {
    m.ack();
    clock.tick();
    if (clock.count === total) break;
  }
} else {
  // callback-json also parses each payload, as any consumer that reads its messages does: context, not a baseline.
  const parse = mode === 'callback-json';
  const messages = await consumer.consume({
    callback: (m) => {
      if (parse) m.json();
      m.ack();
      clock.tick();
    },
  });
  await clock.done;
  await messages.close();
}
await nc.flush(); // the last acks have reached the server
const rate = clock.rate;
const rss = await rssMiB(process.pid);
await nc.close();
process.stdout.write(`${JSON.stringify({ event: 'bench.done', rate, rssMiB: rss })}\n`);

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { jetstream, jetstreamManager, type StoredMsg } from '@nats-io/jetstream';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { AppProcess } from './app-process.js';
import { TESTING_DEFAULT_ENV, type NatsEndpoint } from '#testing';
import { DIST } from './paths.js';
import { startConsumer } from './system.js';

/** Short retries so a message dead-letters within a second: the settings NestjetTestingModule starts with. */
export const DLQ_TEST_TOPOLOGY = { ...TESTING_DEFAULT_ENV };

/** The consumer app as a DLQ-router-only worker. */
export function startRouter(nats: NatsEndpoint, env: Record<string, string> = {}, name = 'router'): Promise<AppProcess> {
  return startConsumer(nats, { CONSUMERS: 'none', ...DLQ_TEST_TOPOLOGY, ...env }, name);
}

/** The failing fixture consumer (see test/fixtures/flaky-consumer.ts) on `fulfillment`, as the `consumer` NATS user. */
export function startFlaky(nats: NatsEndpoint, failTimes: number, env: Record<string, string> = {}): Promise<AppProcess> {
  return AppProcess.start(
    'flaky',
    join(DIST, 'test', 'fixtures', 'flaky-consumer.js'),
    { ...nats.env('consumer'), FAIL_TIMES: String(failTimes), ...DLQ_TEST_TOPOLOGY, ...env },
    'consumer.ready',
  );
}

/** Every record in the DLQ stream, oldest first. */
export async function dlqRecords(nc: NatsConnection): Promise<StoredMsg[]> {
  const jsm = await jetstreamManager(nc);
  const { state } = await jsm.streams.info('DLQ');
  const out: StoredMsg[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage('DLQ', { seq }).catch(() => null);
    if (m) out.push(m);
  }
  return out;
}

export async function streamCount(nc: NatsConnection, stream: string): Promise<number> {
  return (await (await jetstreamManager(nc)).streams.info(stream)).state.messages;
}

/** An invalid order (`amount: "lots"`) published straight to JetStream as the operator, bypassing the ingress, in a trace of its own. */
export async function publishPoisonOrder(nats: NatsEndpoint, orderId: string, subject = 'orders.created.eu.std'): Promise<{ seq: number; traceId: string }> {
  const traceId = randomBytes(16).toString('hex');
  const h = natsHeaders();
  h.set('traceparent', `00-${traceId}-${randomBytes(8).toString('hex')}-01`);
  const nc = await nats.connect('operator');
  try {
    const { seq } = await jetstream(nc).publish(subject, JSON.stringify({ orderId, amount: 'lots' }), { headers: h });
    return { seq, traceId };
  } finally {
    await nc.close();
  }
}

import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

/**
 * Publishes `count` orders straight to JetStream (pipelined, 200 in flight),
 * returning their stream sequences. Faster than going through HTTP when a test
 * only needs a backlog.
 */
export async function publishBacklog(nc: NatsConnection, count: number, prefix = 'backlog'): Promise<number[]> {
  const js = jetstream(nc);
  const seqs: number[] = [];
  const window = 200;
  for (let start = 0; start < count; start += window) {
    const acks = await Promise.all(
      Array.from({ length: Math.min(window, count - start) }, (_, i) => {
        const n = start + i;
        const payload = { orderId: `${prefix}-${n}`, customerId: 'c', amount: n % 10 === 0 ? 5000 : 20, currency: 'EUR', region: 'eu' };
        const tier = payload.amount >= 1000 ? 'high' : 'std';
        return js.publish(`orders.created.eu.${tier}`, JSON.stringify(payload), { msgID: `${prefix}-${n}` });
      }),
    );
    seqs.push(...acks.map((a) => a.seq));
  }
  return seqs;
}

/** Counts by key; entries seen more than once are duplicates. */
export function duplicatesOf<T>(items: T[]): { unique: number; duplicates: number } {
  const seen = new Set<T>();
  let duplicates = 0;
  for (const i of items) {
    if (seen.has(i)) duplicates++;
    seen.add(i);
  }
  return { unique: seen.size, duplicates };
}

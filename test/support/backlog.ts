import { jetstream } from '@nats-io/jetstream';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import { buildTopology, ORDER_TOPICS, subjectFor, type TopicDeclaration } from '#contracts';

const ORDERS_CREATED = buildTopology().topics.find((t) => t.name === ORDER_TOPICS.created) as TopicDeclaration<{ customerId: string }>;

/**
 * Publishes `count` orders straight to JetStream (pipelined, 200 in flight),
 * returning their stream sequences. Faster than going through HTTP when a test
 * only needs a backlog.
 */
export async function publishBacklog(nc: NatsConnection, count: number, prefix = 'backlog', options: { traceparent?: (n: number) => string } = {}): Promise<number[]> {
  const js = jetstream(nc);
  const seqs: number[] = [];
  const window = 200;
  for (let start = 0; start < count; start += window) {
    const acks = await Promise.all(
      Array.from({ length: Math.min(window, count - start) }, (_, i) => {
        const n = start + i;
        const payload = { orderId: `${prefix}-${n}`, customerId: `c-${n % 100}`, amount: n % 10 === 0 ? 5000 : 20, currency: 'EUR', region: 'eu' };
        // The subject the ingress would give it (route and partition), so every declared durable sees its share.
        const traceparent = options.traceparent?.(n);
        const h = traceparent ? headers() : undefined;
        if (traceparent) h!.set('traceparent', traceparent);
        return js.publish(subjectFor(ORDERS_CREATED, payload), JSON.stringify(payload), { msgID: `${prefix}-${n}`, headers: h });
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

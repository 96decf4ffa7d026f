import { consumerNameOf, type Topology } from '#contracts';
import { PINNED_GROUP } from '../topology/jetstream-config.mapper.js';

/** One durable this process pulls from, and how. */
export interface ConsumerBinding {
  stream: string;
  durable: string;
  /** The name handlers bind to: the durable's, or its partitioned consumer's. */
  consumer: string;
  maxDeliver: number;
  retryDelaysMs: number[];
  /** Handlers running at once in this process for this consumer. */
  concurrency: number;
  /** Messages held beyond the running handlers (queued locally, kept alive); bounded so a stopping pod holds little. */
  prefetch: number;
  /**
   * Longest a running handler's message is kept alive with `working()`; a handler
   * still running then is presumed hung and its message left to the ack wait. 0: never.
   */
  maxKeepAliveMs: number;
  /** A partition's durable: pulls name the priority group, and one worker at a time is pinned. */
  pinned?: { group: string; timeoutMs: number };
}

/**
 * Bindings for the named consumers of the topology (a partitioned consumer
 * binds every partition's durable); an unknown name is a configuration error.
 * A partition runs one message at a time: its durable allows one unacked.
 */
export function consumerBindings(
  topology: Topology,
  names: string[],
  tuning: { concurrency: number; prefetch: number; maxKeepAliveMs: number },
): ConsumerBinding[] {
  const declared = [...new Set(topology.consumers.map(consumerNameOf))];
  const unknown = names.filter((n) => !declared.includes(n));
  if (unknown.length > 0) throw new Error(`unknown consumer(s) ${unknown.join(', ')}; declared: ${declared.join(', ')}`);
  return topology.consumers
    .filter((c) => names.includes(consumerNameOf(c)))
    .map((c) => ({
      stream: c.stream,
      durable: c.durable,
      consumer: consumerNameOf(c),
      maxDeliver: c.maxDeliver,
      retryDelaysMs: c.retryDelaysMs,
      concurrency: c.partition ? 1 : tuning.concurrency,
      prefetch: c.partition ? 1 : tuning.prefetch,
      maxKeepAliveMs: tuning.maxKeepAliveMs,
      ...(c.partition ? { pinned: { group: PINNED_GROUP, timeoutMs: c.partition.pinnedTimeoutMs } } : {}),
    }));
}

import type { Topology } from '#contracts';
import type { ConsumerBinding } from './jetstream.transport.js';

/** Bindings for the named durables of the topology; an unknown name is a configuration error. */
export function consumerBindings(
  topology: Topology,
  names: string[],
  tuning: { concurrency: number; prefetch: number; maxKeepAliveMs: number },
): ConsumerBinding[] {
  const unknown = names.filter((n) => !topology.consumers.some((c) => c.durable === n));
  if (unknown.length > 0) {
    const known = topology.consumers.map((c) => c.durable).join(', ');
    throw new Error(`unknown consumer(s) ${unknown.join(', ')}; declared: ${known}`);
  }
  return topology.consumers
    .filter((c) => names.includes(c.durable))
    .map((c) => ({
      stream: c.stream,
      durable: c.durable,
      maxDeliver: c.maxDeliver,
      retryDelaysMs: c.retryDelaysMs,
      concurrency: tuning.concurrency,
      prefetch: tuning.prefetch,
      maxKeepAliveMs: tuning.maxKeepAliveMs,
    }));
}

import { deadLetterTopology } from '../dead-letter/dead-letter.topology.js';
import { ordersTopology } from '../orders/orders.topology.js';
import { DEFAULT_TOPOLOGY_OPTIONS, type Topology, type TopologyOptions } from './topology.types.js';

/** Every stream, consumer, bucket and topic of the system, declared once. */
export function buildTopology(options: Partial<TopologyOptions> = {}): Topology {
  const o = { ...DEFAULT_TOPOLOGY_OPTIONS, ...options };
  const domain = [ordersTopology(o)];
  const sources = [...domain.flatMap((p) => p.streams.map((s) => s.name)), ...o.dlqExtraStreams];
  const dlq = deadLetterTopology(sources, o);
  return {
    streams: [...domain.flatMap((p) => p.streams), ...dlq.streams],
    consumers: [...domain.flatMap((p) => p.consumers), ...dlq.consumers],
    topics: domain.flatMap((p) => p.topics),
    buckets: dlq.buckets,
    deadLetter: dlq.deadLetter,
  };
}

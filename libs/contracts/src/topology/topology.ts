import { ordersTopology } from '../orders/orders.topology.js';
import { DEFAULT_TOPOLOGY_OPTIONS, type Topology, type TopologyOptions } from './topology.types.js';

/**
 * The domain's streams, consumers and topics, declared once. libs/jetstream
 * adds its own infrastructure (the dead-letter streams) on top.
 */
export function buildTopology(options: Partial<TopologyOptions> = {}): Topology {
  const o = { ...DEFAULT_TOPOLOGY_OPTIONS, ...options };
  const domain = [ordersTopology(o)];
  return {
    streams: domain.flatMap((p) => p.streams),
    consumers: domain.flatMap((p) => p.consumers),
    topics: domain.flatMap((p) => p.topics),
    buckets: domain.flatMap((p) => p.buckets),
  };
}

import { ordersTopology } from '../orders/orders.topology.js';
import { DEFAULT_TOPOLOGY_OPTIONS, type Topology, type TopologyOptions } from './topology.types.js';

/** Every stream, consumer and topic of the system, declared once. */
export function buildTopology(options: Partial<TopologyOptions> = {}): Topology {
  const o = { ...DEFAULT_TOPOLOGY_OPTIONS, ...options };
  const parts = [ordersTopology(o)];
  return {
    streams: parts.flatMap((p) => p.streams),
    consumers: parts.flatMap((p) => p.consumers),
    topics: parts.flatMap((p) => p.topics),
  };
}

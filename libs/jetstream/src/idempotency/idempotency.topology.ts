import type { Topology } from '#contracts';
import { PROCESSED_BUCKET } from './idempotency.constants.js';

export interface ProcessedMarkerOptions {
  replicas: number;
  /** Size of the marker bucket; full, it refuses markers and idempotent handlers fall back to at-least-once (logged). */
  maxBytes: number;
}

/** The topology plus the bucket of processed-markers; each marker expires by its own TTL (the handler's horizon). */
export function withProcessedMarkers(topology: Topology, options: ProcessedMarkerOptions): Topology {
  if (topology.topics.length === 0) return topology;
  return {
    ...topology,
    buckets: [
      ...topology.buckets,
      {
        name: PROCESSED_BUCKET,
        description: 'Which messages each idempotent handler has processed (key: consumer and message; TTL: the horizon)',
        ttlMs: 0,
        maxBytes: options.maxBytes,
        replicas: options.replicas,
        perKeyTtl: true,
      },
    ],
  };
}

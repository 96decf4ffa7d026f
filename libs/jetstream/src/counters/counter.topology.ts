import type { Topology } from '#contracts';
import { COUNTERS_PREFIX, COUNTERS_STREAM } from './counter.constants.js';

export interface CounterOptions {
  replicas: number;
}

/** How long a counter lives after its last change: quota windows are at most 5 minutes, so older ones are history. */
export const COUNTER_MAX_AGE_MS = 15 * 60_000;

/**
 * The topology plus the stream of shared counters (quotas that hold across
 * producer pods). Only the last message of a subject matters, so one is kept
 * per subject; old windows age out. A size cap evicts the oldest counters
 * first (a flood of distinct addresses cannot grow it without bound).
 */
export function withCounters(topology: Topology, options: CounterOptions): Topology {
  if (topology.topics.length === 0) return topology;
  return {
    ...topology,
    streams: [
      ...topology.streams,
      {
        name: COUNTERS_STREAM,
        description: 'Shared counters (per-caller quotas of the producer pods); one subject per counter and window',
        subjects: [`${COUNTERS_PREFIX}.>`],
        retention: 'limits',
        storage: 'file',
        replicas: options.replicas,
        maxAgeMs: COUNTER_MAX_AGE_MS,
        maxBytes: 256 * 1024 * 1024,
        discard: 'old',
        duplicateWindowMs: 60_000,
        allowMsgCounter: true,
        maxMsgsPerSubject: 1,
      },
    ],
  };
}

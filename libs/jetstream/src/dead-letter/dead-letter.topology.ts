import type { ConsumerDeclaration, StreamDeclaration, Topology } from '#contracts';
import { DLQ_ADVISORY_STREAM, DLQ_FAILURE_BUCKET, DLQ_ROUTER_DURABLE, DLQ_STREAM } from './dead-letter.constants.js';

/** Operator settings of the dead-letter streams. */
export interface DeadLetterOptions {
  /** Retention of DLQ records and waiting advisories; also the failure records' TTL. */
  maxAgeMs: number;
  /** Streams declared elsewhere (other teams) whose dead letters also go to the DLQ. */
  extraStreams: string[];
  /** Replicas of the DLQ streams and the failure bucket (as the domain's streams). */
  replicas: number;
  /** The router's ack wait: a router that dies mid-route leaves its advisories to the next one after this. */
  ackWaitMs: number;
}

export const DEFAULT_DEAD_LETTER_OPTIONS: DeadLetterOptions = {
  maxAgeMs: 14 * 24 * 3600_000,
  extraStreams: [],
  replicas: 1,
  ackWaitMs: 30_000,
};

/**
 * The domain topology plus what dead-lettering needs: the advisory stream, the
 * DLQ stream, the router's durable and the failure bucket. The advisory stream
 * must exist before failures happen: the server only publishes advisories
 * someone listens to, and a stream counts as listening, so advisories raised
 * while no router runs wait there.
 */
export function withDeadLetters(domain: Topology, options: DeadLetterOptions): Topology {
  const { replicas, ackWaitMs } = options;
  const sources = [...domain.streams.map((s) => s.name), ...options.extraStreams];
  const streams: StreamDeclaration[] = [
    {
      name: DLQ_ADVISORY_STREAM,
      description: 'Max-deliveries and terminated advisories waiting for the DLQ router',
      subjects: sources.flatMap((s) => [
        `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${s}.*`,
        `$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.${s}.*`,
      ]),
      // Each advisory is routed once, by whichever router pod pulls it.
      retention: 'workqueue',
      storage: 'file',
      replicas,
      maxAgeMs: options.maxAgeMs,
      maxBytes: -1,
      duplicateWindowMs: 2 * 60_000,
    },
    {
      name: DLQ_STREAM,
      description: 'Dead letters: original payload and headers plus why and where it failed',
      subjects: ['dlq.>'],
      retention: 'limits',
      storage: 'file',
      replicas,
      maxAgeMs: options.maxAgeMs,
      maxBytes: -1,
      // Long enough that a router retrying after a crash still hits the same msgID.
      duplicateWindowMs: 60 * 60_000,
      allowDirect: true,
    },
  ];
  const router: ConsumerDeclaration = {
    stream: DLQ_ADVISORY_STREAM,
    durable: DLQ_ROUTER_DURABLE,
    description: 'DLQ router, shared by every consumer pod',
    filterSubjects: [],
    ackWaitMs,
    maxDeliver: -1,
    maxAckPending: 1000,
    retryDelaysMs: [1_000, 5_000, 30_000],
  };
  return {
    streams: [...domain.streams, ...streams],
    consumers: [...domain.consumers, router],
    topics: domain.topics,
    buckets: [
      ...domain.buckets,
      {
        name: DLQ_FAILURE_BUCKET,
        description: 'Last handler failure per message, read by the DLQ router',
        ttlMs: options.maxAgeMs,
        replicas,
      },
    ],
  };
}

import type { ConsumerDeclaration, StreamDeclaration, Topology } from '#contracts';
import {
  DLQ_ADVISORY_STREAM,
  DLQ_FAILURE_BUCKET,
  DLQ_REJECTED_STREAM,
  DLQ_REJECTED_SUBJECT,
  DLQ_REPLAY_BUCKET,
  DLQ_ROUTER_DURABLE,
  DLQ_STREAM,
} from './dead-letter.constants.js';

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
  /** Size of the DLQ stream. Full, it refuses new records and the router retries them later. */
  maxBytes: number;
  /** Size of each small bookkeeping stream: waiting advisories, rejected advisories, replay marks. */
  advisoriesMaxBytes: number;
  /** Size of the failure bucket (it holds copies of terminated messages). */
  failuresMaxBytes: number;
  /** Attempts the router makes per advisory; what still fails stays parked in the advisory stream. */
  routerMaxDeliver: number;
}

export const DEFAULT_DEAD_LETTER_OPTIONS: DeadLetterOptions = {
  maxAgeMs: 14 * 24 * 3600_000,
  extraStreams: [],
  replicas: 1,
  ackWaitMs: 30_000,
  maxBytes: 1024 ** 3,
  advisoriesMaxBytes: 64 * 1024 ** 2,
  failuresMaxBytes: 256 * 1024 ** 2,
  routerMaxDeliver: 100,
};

const ADVISORY_PREFIX = '$JS.EVENT.ADVISORY.CONSUMER';

/**
 * The domain topology plus what dead-lettering needs: the advisory stream, the
 * DLQ stream, the rejected-advisory stream, the router's durable and the
 * failure and replay buckets. The advisory stream must exist before failures
 * happen: the server only publishes advisories someone listens to, and a
 * stream counts as listening, so advisories raised while no router runs wait
 * there. Every stream refuses rather than evicts when full (`discard: new`).
 */
export function withDeadLetters(domain: Topology, options: DeadLetterOptions): Topology {
  const { replicas, ackWaitMs } = options;
  const sources = [...domain.streams.map((s) => s.name), ...options.extraStreams];
  const streams: StreamDeclaration[] = [
    {
      name: DLQ_ADVISORY_STREAM,
      description: 'Max-deliveries and terminated advisories waiting for the DLQ router',
      subjects: sources.flatMap((s) => [`${ADVISORY_PREFIX}.MAX_DELIVERIES.${s}.*`, `${ADVISORY_PREFIX}.MSG_TERMINATED.${s}.*`]),
      // Each advisory is routed once, by whichever router pod pulls it; one that hit the router's max_deliver stays here (parked).
      retention: 'workqueue',
      storage: 'file',
      replicas,
      maxAgeMs: options.maxAgeMs,
      maxBytes: options.advisoriesMaxBytes,
      discard: 'new',
      duplicateWindowMs: 2 * 60_000,
    },
    {
      name: DLQ_STREAM,
      description: 'Dead letters: original payload and headers plus why and where it failed',
      // Exactly dlq.<stream>.<consumer>: leaves dlq.rejected to its own stream.
      subjects: ['dlq.*.*'],
      retention: 'limits',
      storage: 'file',
      replicas,
      maxAgeMs: options.maxAgeMs,
      maxBytes: options.maxBytes,
      discard: 'new',
      // Long enough that a router retrying after a crash still hits the same msgID.
      duplicateWindowMs: 60 * 60_000,
      allowDirect: true,
    },
    {
      name: DLQ_REJECTED_STREAM,
      description: 'Advisories the DLQ router refused (forged, malformed or not corroborated), raw, with the reason',
      subjects: [DLQ_REJECTED_SUBJECT],
      retention: 'limits',
      storage: 'file',
      replicas,
      maxAgeMs: options.maxAgeMs,
      maxBytes: options.advisoriesMaxBytes,
      discard: 'new',
      duplicateWindowMs: 2 * 60_000,
      allowDirect: true,
    },
  ];
  const router: ConsumerDeclaration = {
    stream: DLQ_ADVISORY_STREAM,
    durable: DLQ_ROUTER_DURABLE,
    description: 'DLQ router, shared by every consumer pod',
    filterSubjects: [],
    ackWaitMs,
    // Bounded: nothing naks forever. With these delays 100 attempts span about 1.5 hours (a full DLQ has time to be fixed).
    maxDeliver: options.routerMaxDeliver,
    maxAckPending: 1000,
    retryDelaysMs: [1_000, 5_000, 30_000, 60_000],
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
        maxBytes: options.failuresMaxBytes,
        replicas,
      },
      {
        name: DLQ_REPLAY_BUCKET,
        description: 'Which DLQ records were replayed, when and to where',
        ttlMs: options.maxAgeMs,
        maxBytes: options.advisoriesMaxBytes,
        replicas,
      },
    ],
  };
}

/** Where advisories may come from: the declared consumers, and streams whose consumers nestjet does not declare. */
export interface AdvisorySources {
  /** `<stream>/<durable>` of every declared domain consumer (served by nestjet's transport). */
  declared: ReadonlySet<string>;
  /** `DLQ_EXTRA_STREAMS`: any well-formed consumer name is accepted there. */
  extraStreams: ReadonlySet<string>;
}

/** Reads the sources back from a topology built by `withDeadLetters` (the advisory stream's subjects name them). */
export function advisorySources(topology: Topology): AdvisorySources {
  const own = new Set(topology.streams.map((s) => s.name));
  const captured = topology.streams.find((s) => s.name === DLQ_ADVISORY_STREAM)?.subjects.map((s) => s.split('.')[5]!) ?? [];
  return {
    declared: new Set(topology.consumers.filter((c) => c.stream !== DLQ_ADVISORY_STREAM).map((c) => `${c.stream}/${c.durable}`)),
    extraStreams: new Set(captured.filter((s) => !own.has(s))),
  };
}

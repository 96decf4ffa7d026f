import type { ConsumerDeclaration, StreamDeclaration, TopologyOptions, Topology } from '../topology/topology.types.js';
import { DLQ_ADVISORY_STREAM, DLQ_FAILURE_BUCKET, DLQ_ROUTER_DURABLE, DLQ_STREAM } from './dead-letter.constants.js';

/**
 * The advisory stream must exist before failures happen: the server only
 * publishes advisories someone listens to, and a stream counts as listening,
 * so advisories raised while no router runs wait here.
 */
export function deadLetterTopology(sourceStreams: string[], o: TopologyOptions): Omit<Topology, 'topics'> {
  const advisorySubjects = sourceStreams.flatMap((s) => [
    `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${s}.*`,
    `$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.${s}.*`,
  ]);
  const streams: StreamDeclaration[] = [
    {
      name: DLQ_ADVISORY_STREAM,
      description: 'Max-deliveries and terminated advisories waiting for the DLQ router',
      subjects: advisorySubjects,
      // Each advisory is routed once, by whichever router pod pulls it.
      retention: 'workqueue',
      storage: 'file',
      replicas: o.replicas,
      maxAgeMs: o.dlqMaxAgeMs,
      maxBytes: -1,
      duplicateWindowMs: 2 * 60_000,
    },
    {
      name: DLQ_STREAM,
      description: 'Dead letters: original payload and headers plus why and where it failed',
      subjects: ['dlq.>'],
      retention: 'limits',
      storage: 'file',
      replicas: o.replicas,
      maxAgeMs: o.dlqMaxAgeMs,
      maxBytes: -1,
      // Long enough that a router retrying after a crash still hits the same msgID.
      duplicateWindowMs: 60 * 60_000,
      allowDirect: true,
    },
  ];
  const consumers: ConsumerDeclaration[] = [
    {
      stream: DLQ_ADVISORY_STREAM,
      durable: DLQ_ROUTER_DURABLE,
      description: 'DLQ router, shared by every consumer pod',
      filterSubjects: [],
      // A router that dies mid-route leaves its advisories to the next one after this.
      ackWaitMs: o.ackWaitMs,
      maxDeliver: -1,
      maxAckPending: 1000,
      retryDelaysMs: [1_000, 5_000, 30_000],
    },
  ];
  return {
    streams,
    consumers,
    buckets: [
      {
        name: DLQ_FAILURE_BUCKET,
        description: 'Last handler failure per message, read by the DLQ router',
        ttlMs: o.dlqMaxAgeMs,
        replicas: o.replicas,
      },
    ],
    deadLetter: {
      advisoryStream: DLQ_ADVISORY_STREAM,
      dlqStream: DLQ_STREAM,
      routerDurable: DLQ_ROUTER_DURABLE,
      failureBucket: DLQ_FAILURE_BUCKET,
      sourceStreams,
    },
  };
}

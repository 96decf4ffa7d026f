/**
 * Broker-neutral declarations of streams, consumers and topics. libs/jetstream
 * turns them into JetStream configuration; keeping them plain data lets the
 * producer, the consumer, the provision command and the Helm hook Job share one
 * source of truth.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- class-transformer's ClassConstructor shape
export type PayloadClass<T = object> = new (...args: any[]) => T;

/** How a topic's payloads are encoded on the wire (the message's `content-type` header names it). */
export type PayloadCodecName = 'json' | 'msgpack';

/** One published version of a topic's payload and the DTO that defines it. */
export interface TopicVersion<T extends object = object> {
  version: number;
  payload: PayloadClass<T>;
}

/**
 * Turns a payload of one version into the next version's shape (`1: v1 → v2`).
 * A consumer declares them for the versions older than the one it handles.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the older version's shape, validated only after upcasting
export type Upcaster = (payload: any) => object;
export type Upcasters = Readonly<Record<number, Upcaster>>;

export interface StreamDeclaration {
  name: string;
  description: string;
  subjects: string[];
  /** 'limits' keeps messages for every consumer; 'workqueue' deletes on ack. */
  retention: 'limits' | 'workqueue' | 'interest';
  storage: 'file' | 'memory';
  replicas: number;
  maxAgeMs: number;
  /** Size limit; -1 unlimited. */
  maxBytes: number;
  /**
   * What a full stream does with a new message: `new` refuses it (the publisher
   * gets an error and pushes back), `old` silently evicts the oldest message.
   */
  discard: 'old' | 'new';
  duplicateWindowMs: number;
  /** Serve reads through the direct-get API (needed to scan by subject). */
  allowDirect?: boolean;
  /** Holds messages with a `Nats-Schedule` header until their time (nats-server ≥ 2.12); the server refuses it with discard new. */
  allowMsgSchedules?: boolean;
  /** Honours a per-message `Nats-TTL` header. */
  allowMsgTtl?: boolean;
  /** A distributed counter stream (ADR-49, nats-server ≥ 2.12): a publish with `Nats-Incr` adds to its subject's value. */
  allowMsgCounter?: boolean;
  /** Messages kept per subject; unset: no limit. */
  maxMsgsPerSubject?: number;
  /** Other streams this one copies from, each filtered and renamed by one subject transform. */
  sources?: StreamSourceDeclaration[];
  /** The server refuses to delete single messages (append-only; once on, no update turns it off). */
  denyDelete?: boolean;
  /** The server refuses to purge the stream (once on, no update turns it off). */
  denyPurge?: boolean;
}

export interface StreamSourceDeclaration {
  stream: string;
  /** Subjects of the source stream to copy (wildcards allowed)… */
  from: string;
  /** …and the subject each copy gets here (`>` and `*` carry over). */
  to: string;
  /**
   * Declarations from one stream form one source, each a transform of it; those with a key form
   * another source of their own. The server keys how far a source has copied by its transforms, so a
   * transform added to a running source starts it afresh, copying again whatever the source stream
   * still holds: what is added later gets a key, and the running source keeps its position.
   */
  sourceKey?: string;
}

export interface ConsumerDeclaration {
  stream: string;
  durable: string;
  description: string;
  /** Server-side filter; wildcards allowed. */
  filterSubjects: string[];
  ackWaitMs: number;
  maxDeliver: number;
  maxAckPending: number;
  /** Delay before redelivery after a failed attempt, by attempt (last entry repeats). */
  retryDelaysMs: number[];
  /** Set on each durable of a partitioned (ordered) consumer: one durable per partition. */
  partition?: PartitionDeclaration;
  /**
   * The consumer group (one deployment, one NATS user `consumer-<group>`) that runs this durable;
   * default: the partitioned consumer's name, else the durable. A group's user may pull only its own
   * durables and write only its own processed-markers, failure records and dead letters.
   */
  group?: string;
}

/**
 * One partition of an ordered consumer: its durable sees only that partition's
 * subjects, one message at a time (max_ack_pending 1), and is pinned to one
 * worker at a time (priority group, pinned-client policy).
 */
export interface PartitionDeclaration {
  /** The consumer's name, shared by its durables: handlers and CONSUMERS name it. */
  consumer: string;
  index: number;
  /** The pinned worker is replaced when it has not pulled for this long (it died, or let go). */
  pinnedTimeoutMs: number;
}

export interface BucketDeclaration {
  name: string;
  description: string;
  ttlMs: number;
  /** Size limit of the bucket's stream; a full bucket refuses writes (KV buckets always discard new). */
  maxBytes: number;
  replicas: number;
  /** Entries may carry a TTL of their own (`allow_msg_ttl`), shorter than `ttlMs`. */
  perKeyTtl?: boolean;
  /** The consumer group whose handlers own the bucket: only its NATS user may read or write it. Absent: every group may. */
  group?: string;
}

export interface TopicDeclaration<T extends object = object> {
  /** Public name used in the REST path, e.g. `orders.created`. */
  name: string;
  stream: string;
  description: string;
  /** The DTO of the current version (see `version`). */
  payload: PayloadClass<T>;
  /**
   * The payload's current version, 1 when absent. A published version never
   * changes incompatibly: a change that removes or retypes a required field is
   * a new version (the schema compatibility check in `npm test` enforces it).
   */
  version?: number;
  /** Earlier versions still accepted by the ingress and upcast by consumers, oldest first. */
  previousVersions?: TopicVersion[];
  /** Wire encoding of the payload; `json` when absent. */
  codec?: PayloadCodecName;
  /**
   * Content-based routing: extra subject tokens derived from the payload, so
   * consumers can filter server-side (`orders.created.eu.high`).
   */
  route(payload: T): string[];
  /**
   * Per-key ordering: the payload field whose value keeps its messages in
   * order; the subject ends with its partition token (`…​.p3`, see partitionOf).
   */
  ordering?: { key: string; partitions: number };
}

export interface Topology {
  streams: StreamDeclaration[];
  consumers: ConsumerDeclaration[];
  topics: TopicDeclaration[];
  buckets: BucketDeclaration[];
}

/** Knobs operators set per environment; everything else is fixed in code. */
export interface TopologyOptions {
  replicas: number;
  maxAgeMs: number;
  maxBytes: number;
  duplicateWindowMs: number;
  ackWaitMs: number;
  maxDeliver: number;
  maxAckPending: number;
  retryDelaysMs: number[];
  /** Partitions of ordered topics and consumers; changing it moves keys to other partitions (drain first). */
  partitions: number;
  /** How long a dead or departing worker keeps its partitions before another worker takes them. */
  pinnedTimeoutMs: number;
}

export const DEFAULT_TOPOLOGY_OPTIONS: TopologyOptions = {
  replicas: 1,
  maxAgeMs: 7 * 24 * 3600_000,
  maxBytes: 1024 * 1024 * 1024,
  duplicateWindowMs: 2 * 60_000,
  ackWaitMs: 30_000,
  maxDeliver: 5,
  // 10 pods (the chart's KEDA maximum) × (64 running + 256 held) by default, with room to spare.
  maxAckPending: 4000,
  retryDelaysMs: [1_000, 5_000, 15_000, 30_000],
  partitions: 8,
  pinnedTimeoutMs: 10_000,
};

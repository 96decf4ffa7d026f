import type { ConsumerInfo, StreamInfo } from '@nats-io/jetstream';

const NANOS_PER_MS = 1_000_000;

/** One stream's state at a sample. */
export interface StreamSample {
  subjects: string[];
  messages: number;
  bytes: number;
  firstSeq: number;
  lastSeq: number;
  consumerCount: number;
  limits: { maxMsgs: number; maxBytes: number; maxAgeSeconds: number };
}

/** One consumer's state at a sample. */
export interface ConsumerSample {
  pending: number;
  ackPending: number;
  redelivered: number;
  waiting: number;
  /** Deliveries acknowledged so far (the ack floor's consumer sequence): its growth is the processing rate. */
  acked: number;
  paused: boolean;
  pauseUntil: string | null;
  config: ConsumerConfigView;
}

export interface ConsumerConfigView {
  description: string;
  ackPolicy: string;
  ackWaitMs: number;
  maxDeliver: number;
  maxAckPending: number;
  backoffMs: number[];
  filterSubjects: string[];
  deliverPolicy: string;
}

/** Every declared stream and consumer at one moment; null where it does not exist (yet). */
export interface OperationsSample {
  t: number;
  streams: Record<string, StreamSample | null>;
  /** Keyed by `consumerKey(stream, durable)`. */
  consumers: Record<string, ConsumerSample | null>;
}

export function consumerKey(stream: string, durable: string): string {
  return `${stream}/${durable}`;
}

export function streamSample(info: StreamInfo): StreamSample {
  return {
    subjects: info.config.subjects ?? [],
    messages: info.state.messages,
    bytes: info.state.bytes,
    firstSeq: info.state.first_seq,
    lastSeq: info.state.last_seq,
    consumerCount: info.state.consumer_count,
    limits: { maxMsgs: info.config.max_msgs, maxBytes: info.config.max_bytes, maxAgeSeconds: info.config.max_age / 1e9 },
  };
}

export function consumerSample(info: ConsumerInfo): ConsumerSample {
  const c = info.config;
  return {
    pending: info.num_pending,
    ackPending: info.num_ack_pending,
    redelivered: info.num_redelivered,
    waiting: info.num_waiting,
    acked: info.ack_floor.consumer_seq,
    paused: info.paused === true,
    // The server's RFC 3339 drops trailing zeros; ISO 8601 with ms is the one form the API answers with.
    pauseUntil: info.paused && c.pause_until ? new Date(c.pause_until).toISOString() : null,
    config: {
      description: c.description ?? '',
      ackPolicy: String(c.ack_policy),
      ackWaitMs: (c.ack_wait ?? 0) / NANOS_PER_MS,
      maxDeliver: c.max_deliver ?? -1,
      maxAckPending: c.max_ack_pending ?? -1,
      backoffMs: (c.backoff ?? []).map((n) => n / NANOS_PER_MS),
      filterSubjects: c.filter_subjects ?? (c.filter_subject ? [c.filter_subject] : []),
      deliverPolicy: String(c.deliver_policy),
    },
  };
}

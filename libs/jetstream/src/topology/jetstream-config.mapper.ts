import type { ConsumerDeclaration, StreamDeclaration, StreamSourceDeclaration } from '#contracts';
import { nanos } from '@nats-io/transport-node';
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  type PriorityPolicy,
  type ConsumerConfig,
  type StreamConfig,
  type StreamSource,
} from '@nats-io/jetstream';

export function toStreamConfig(s: StreamDeclaration): Partial<StreamConfig> & { name: string } {
  return {
    name: s.name,
    description: s.description,
    subjects: s.subjects,
    retention: s.retention as StreamConfig['retention'],
    storage: s.storage as StreamConfig['storage'],
    num_replicas: s.replicas,
    max_age: nanos(s.maxAgeMs),
    max_bytes: s.maxBytes,
    discard: s.discard === 'new' ? DiscardPolicy.New : DiscardPolicy.Old,
    duplicate_window: nanos(s.duplicateWindowMs),
    allow_direct: s.allowDirect ?? false,
    allow_msg_schedules: s.allowMsgSchedules ?? false,
    allow_msg_ttl: s.allowMsgTtl ?? false,
    // Only when set: servers before 2.12 do not know the field, and the default keeps drift checks quiet.
    ...(s.allowMsgCounter ? { allow_msg_counter: true } : {}),
    ...(s.maxMsgsPerSubject !== undefined ? { max_msgs_per_subject: s.maxMsgsPerSubject } : {}),
    ...(s.denyDelete ? { deny_delete: true } : {}),
    ...(s.denyPurge ? { deny_purge: true } : {}),
    // The server reports no sources as absent, not as [].
    ...(s.sources?.length ? { sources: toSources(s.sources) } : {}),
  };
}

/**
 * One source per stream and `sourceKey`, with a subject transform per declaration: the server
 * refuses two sources of one stream with the same transforms, and restarts a source whose
 * transforms change (see StreamSourceDeclaration), so unkeyed declarations stay together as they were.
 */
function toSources(sources: StreamSourceDeclaration[]): StreamSource[] {
  const byKey = new Map<string, StreamSource>();
  for (const { stream, from, to, sourceKey } of sources) {
    const key = sourceKey === undefined ? stream : `${stream}\0${sourceKey}`;
    const source = byKey.get(key) ?? { name: stream, subject_transforms: [] };
    source.subject_transforms!.push({ src: from, dest: to });
    byKey.set(key, source);
  }
  return [...byKey.values()];
}

export function toConsumerConfig(c: ConsumerDeclaration): Partial<ConsumerConfig> {
  const filter =
    c.filterSubjects.length === 0
      ? {}
      : c.filterSubjects.length === 1
        ? { filter_subject: c.filterSubjects[0] }
        : { filter_subjects: c.filterSubjects };
  return {
    durable_name: c.durable,
    description: c.description,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(c.ackWaitMs),
    max_deliver: c.maxDeliver,
    max_ack_pending: c.maxAckPending,
    ...filter,
    // A partition's durable is pinned to one worker; another takes over when it stops pulling for the timeout.
    ...(c.partition
      ? { priority_groups: [PINNED_GROUP], priority_policy: 'pinned_client' as PriorityPolicy, priority_timeout: nanos(c.partition.pinnedTimeoutMs) }
      : {}),
  };
}

/** The priority group every pull of a partition's durable names. */
export const PINNED_GROUP = 'pinned';

/** Fields a running stream or consumer accepts in an update; anything else is drift. */
export const UPDATABLE_STREAM_FIELDS = [
  'description',
  'subjects',
  'num_replicas',
  'max_age',
  'max_bytes',
  // nats-server 2.15 switches old → new in place and evicts nothing, even when the stream is already over max_bytes.
  'discard',
  'duplicate_window',
  'allow_direct',
  'allow_msg_ttl',
  'sources',
  // Turning them on applies in place; the server refuses to turn them off.
  'deny_delete',
  'deny_purge',
] as const;
/** Switching schedules on is refused on a stream that holds messages: drift to resolve by hand. */
export const FIXED_STREAM_FIELDS = ['retention', 'storage', 'allow_msg_schedules'] as const;

export const UPDATABLE_CONSUMER_FIELDS = [
  'description',
  'ack_wait',
  'max_deliver',
  'max_ack_pending',
  'filter_subject',
  'filter_subjects',
  'priority_timeout',
] as const;
/** The server cannot add or remove priority groups on an existing consumer. */
export const FIXED_CONSUMER_FIELDS = ['ack_policy', 'deliver_policy', 'priority_groups', 'priority_policy'] as const;

function same(a: unknown, b: unknown): boolean {
  // The server omits empty and false settings (allow_msg_ttl, sources) from the config it returns.
  const norm = (v: unknown) => ((Array.isArray(v) && v.length === 0) || v === '' || v === false ? undefined : v);
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

export interface ConfigDiff {
  field: string;
  actual: unknown;
  desired: unknown;
}

/** Fields of `desired` (limited to `fields`) whose value differs in `actual`. */
export function diffConfig(
  desired: Record<string, unknown>,
  actual: Record<string, unknown>,
  fields: readonly string[],
): ConfigDiff[] {
  return fields
    .filter((f) => f in desired && !same(desired[f], actual[f]))
    .map((field) => ({ field, actual: actual[field], desired: desired[field] }));
}

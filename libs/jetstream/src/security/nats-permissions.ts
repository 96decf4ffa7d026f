import { consumerGroupOf, consumerGroups, type ConsumerDeclaration, type StreamDeclaration, type Topology } from '#contracts';
import {
  DLQ_ADVISORY_STREAM,
  DLQ_FAILURE_BUCKET,
  DLQ_REJECTED_STREAM,
  DLQ_REJECTED_SUBJECT,
  DLQ_REPLAY_BUCKET,
  DLQ_ROUTER_DURABLE,
  DLQ_STREAM,
  dlqSubject,
} from '../dead-letter/dead-letter.constants.js';
import { PROCESSED_BUCKET } from '../idempotency/idempotency.constants.js';
import { AUDIT_STREAM } from '../audit/audit.constants.js';
import { PRESENCE_SUBJECT_PREFIX, presenceSubject } from '../presence/presence.constants.js';
import { PINNED_GROUP } from '../topology/jetstream-config.mapper.js';
import { COUNTERS_PREFIX, COUNTERS_STREAM } from '../counters/counter.constants.js';
import { redeliverySpace } from '../redelivery/redelivery-subject.js';
import { SCHEDULE_DUE_PREFIX, SCHEDULE_HELD_PREFIX, SCHEDULE_LEDGER_PREFIX, SCHEDULE_PENDING_PREFIX, SCHEDULES_STREAM } from '../schedule/schedule.constants.js';

/** The NATS users of the fixed components; each gets only what its code calls. Workers get one user per consumer group. */
export const NATS_COMPONENTS = ['producer', 'dlq', 'provisioner', 'operator'] as const;
export type NatsComponent = (typeof NATS_COMPONENTS)[number];

/** The NATS user of one consumer group (one deployment): `consumer-<group>`. */
export type ConsumerGroupUser = `consumer-${string}`;
export type NatsUser = NatsComponent | ConsumerGroupUser;

export function consumerGroupUser(group: string): ConsumerGroupUser {
  return `consumer-${group}`;
}

/** The group a `consumer-<group>` user name stands for, else undefined. */
export function groupOfUser(user: string | undefined): string | undefined {
  return user?.startsWith('consumer-') ? user.slice('consumer-'.length) || undefined : undefined;
}

/**
 * The user of a worker that runs every consumer group in one process: the apps tests start (the
 * chart and `npm start` run one worker per group, each as `consumer-<group>`). It holds each group's powers together (no isolation between
 * groups that share a process anyway) and, like a group's user, no dlq credential.
 */
export const ALL_GROUPS_USER = 'consumer';

export function allGroupsPermissions(topology: Topology): NatsPermissions {
  return consumerGroupPermissions(topology, workerGroups(topology), ALL_GROUPS_USER);
}

/** Every NATS user of the topology: the components and one per consumer group, in the order they are written. */
export function natsUsers(topology: Topology): NatsUser[] {
  return ['producer', ...workerGroups(topology).map(consumerGroupUser), 'dlq', 'provisioner', 'operator'];
}

/** nats-server's own permission shape, so it can be written into a server config or a chart Secret as it is. */
export interface NatsSubjectPermission {
  allow: string[];
  deny?: string[];
}

export interface NatsPermissions {
  publish: NatsSubjectPermission;
  subscribe: NatsSubjectPermission;
  allow_responses?: boolean | { max: number; expires: string };
}

/**
 * Each component receives its replies (PubAcks, JetStream API answers, pulled
 * messages) under its own inbox prefix, so no user can subscribe to another
 * user's replies. nats.js takes it as the `inboxPrefix` connection option.
 */
export function natsInboxPrefix(user: string): string {
  return `_INBOX_${user}`;
}

/** Server advisories: whoever may publish here can forge a dead letter. */
const ADVISORIES = '$JS.EVENT.>';

const api = (call: string) => `$JS.API.${call}`;

/** Stream-level JetStream API calls on each named stream. */
const streamCalls = (streams: string[], ...calls: string[]) => streams.flatMap((s) => calls.map((c) => api(`STREAM.${c}.${s}`)));

const consumerInfo = (consumers: ConsumerDeclaration[]) => consumers.map((c) => api(`CONSUMER.INFO.${c.stream}.${c.durable}`));

/**
 * Pulling from a durable and settling what it delivered. Acks go to the reply
 * subject of each message; nats-server 2.15 sends the v1 form
 * `$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>`
 * and, with the `js_ack_fc_v2` feature flag, the v2 form with domain and
 * account hash in front (`$JS.ACK.<domain>.<account hash>.<stream>.<consumer>.…`);
 * it accepts acks on both, so both are allowed, each exactly as the server subscribes to it.
 */
const pull = (consumers: ConsumerDeclaration[]) =>
  consumers.flatMap((c) => [
    api(`CONSUMER.INFO.${c.stream}.${c.durable}`),
    api(`CONSUMER.MSG.NEXT.${c.stream}.${c.durable}`),
    `$JS.ACK.${c.stream}.${c.durable}.*.*.*.*.*`,
    `$JS.ACK.*.*.${c.stream}.${c.durable}.*.*.*.*.>`,
  ]);

/** Direct gets by sequence (`DIRECT.GET.<stream>`) and last by subject (`DIRECT.GET.<stream>.<subject>`). */
const directGet = (stream: string) => [api(`DIRECT.GET.${stream}`), api(`DIRECT.GET.${stream}.>`)];

/** Reading a KV bucket (bound without direct get) and writing or deleting its keys. */
const kvRead = (bucket: string) => [...streamCalls([`KV_${bucket}`], 'INFO', 'MSG.GET'), api(`DIRECT.GET.KV_${bucket}.>`)];
const kvWrite = (bucket: string) => [`$KV.${bucket}.>`];

/**
 * Reading, writing and deleting the keys of a bucket that match `keys` (a subject pattern below
 * `$KV.<bucket>.`), nothing else. Reads must be direct gets by subject (`$JS.API.DIRECT.GET.KV_<bucket>.<key subject>`,
 * which nats.js sends for a bucket opened with `allow_direct`): `STREAM.MSG.GET` takes the key in
 * its body and a sequence reads any key, so it is never granted here.
 */
const kvKeys = (bucket: string, keys: string) => [
  ...streamCalls([`KV_${bucket}`], 'INFO'),
  `$KV.${bucket}.${keys}`,
  api(`DIRECT.GET.KV_${bucket}.$KV.${bucket}.${keys}`),
];

/** `orders.created` and its routed subjects `orders.created.<region>.<tier>`. */
const topicSubjects = (topology: Topology) => topology.topics.flatMap((t) => [t.name, `${t.name}.>`]);

/**
 * Each topic stream's redelivery subjects (`nestjet-redeliver.<stream>.>`): copies for one durable, which
 * the transport hands on as that durable's own. Derived from the topics, whether or not the topology
 * carries them yet (`withRedelivery`), so no user gains them by omission.
 */
const redeliverySubjects = (topology: Topology) => unique(topology.topics.map((t) => redeliverySpace(t.stream)));

const ADVISORY_SUBJECT = /^\$JS\.EVENT\.ADVISORY\.CONSUMER\.[A-Z_]+\.([^.*>]+)\.\*$/;

/** The streams whose dead letters the router copies: those its advisory stream listens to (declared and extra). */
function deadLetterSources(advisories: StreamDeclaration): string[] {
  return unique(advisories.subjects.map((s) => ADVISORY_SUBJECT.exec(s)?.[1]).filter((s): s is string => s !== undefined));
}

/** The consumer groups of the workers (the DLQ router is no group's: it runs as dlq). */
function workerGroups(topology: Topology): string[] {
  return consumerGroups({ consumers: topology.consumers.filter((c) => !(c.stream === DLQ_ADVISORY_STREAM && c.durable === DLQ_ROUTER_DURABLE)) });
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}

/** Whether every subject `inner` matches is matched by `outer` too. */
function covers(outer: string, inner: string): boolean {
  const o = outer.split('.');
  const i = inner.split('.');
  for (let k = 0; k < o.length; k++) {
    if (o[k] === '>') return i.length > k;
    if (k >= i.length || (o[k] === '*' ? i[k] === '>' : o[k] !== i[k])) return false;
  }
  return o.length === i.length;
}

/** Unique subjects without those another entry already covers (`orders.created` beside `orders.>`). */
function compact(subjects: string[]): string[] {
  const all = unique(subjects);
  return all.filter((s, n) => !all.some((other, m) => m !== n && covers(other, s)));
}

function permissions(component: string, publish: string[], publishDeny: string[], subscribe: string[] = []): NatsPermissions {
  return {
    publish: { allow: compact(publish), deny: compact([ADVISORIES, ...publishDeny]) },
    subscribe: { allow: [`${natsInboxPrefix(component)}.>`, ...subscribe] },
  };
}

/**
 * The least-privilege NATS permissions of every component, derived from the
 * topology (with dead letters, see `withDeadLetters`):
 * - producer: publish to topic subjects, redelivery subjects (DLQ replays by the admin API when it has no
 *   dlq connection) and pending schedules; read stream and consumer info (readiness,
 *   /v1/topics, metrics); get a stored message of a topic's stream (an Idempotency-Key repeat is compared
 *   with it); read and delete pending schedules; add to the shared quota counters.
 * - consumer-<group>, one per consumer group (see consumerGroupPermissions): its own durables, its own
 *   processed-markers and failure records, its own dead letters; nothing of another group.
 * - dlq: the DLQ router and admin: pull and ack advisories, read/delete originals, write `dlq.>`,
 *   read/delete DLQ records, replay to redelivery subjects (never to topic subjects: a replay is for one
 *   durable), read and forget failure records; schedule retry copies (RetryRescheduler).
 * - provisioner: create, update and read streams, consumers and KV buckets; no deletes, no messages.
 * - operator: the human `nats` CLI: everything except forging advisories, dead letters or audit records,
 *   and except deleting, purging, removing or reconfiguring the AUDIT stream.
 * Nobody may publish to `$JS.EVENT.>`; only dlq may write any DLQ subject, a group only `dlq.<stream>.<its durable>`;
 * only the producer and dlq may publish redelivery subjects, which durables take as their own copies;
 * nobody but the producer (which serves the admin API) may append to AUDIT, and nobody may delete from it (the stream
 * itself denies deletes and purges too). The provisioner may update AUDIT to apply a new retention;
 * the server refuses an update that would turn deny_delete or deny_purge off.
 */
export function natsPermissions(topology: Topology): Record<NatsUser, NatsPermissions> {
  const dlq = topology.streams.find((s) => s.name === DLQ_STREAM);
  const rejected = topology.streams.find((s) => s.name === DLQ_REJECTED_STREAM);
  const advisories = topology.streams.find((s) => s.name === DLQ_ADVISORY_STREAM);
  const router = topology.consumers.find((c) => c.stream === DLQ_ADVISORY_STREAM && c.durable === DLQ_ROUTER_DURABLE);
  const dlqBuckets = [DLQ_FAILURE_BUCKET, DLQ_REPLAY_BUCKET];
  if (!dlq || !rejected || !advisories || !router || !dlqBuckets.every((name) => topology.buckets.some((b) => b.name === name))) {
    throw new Error('natsPermissions needs the topology with its dead-letter streams (withDeadLetters)');
  }
  // Dead letters and rejected advisories: only dlq writes either.
  const dlqSubjects = [...dlq.subjects, ...rejected.subjects];
  const audit = topology.streams.find((s) => s.name === AUDIT_STREAM);
  const auditSubjects = audit?.subjects ?? [];
  // Whatever could remove or rewrite audit records; denied to every user, the operator included.
  const auditTampering = audit ? streamCalls([AUDIT_STREAM], 'MSG.DELETE', 'PURGE', 'DELETE', 'UPDATE') : [];
  const domainStreams = topology.streams.filter((s) => s !== dlq && s !== rejected && s !== advisories && s !== audit);
  const messageSubjects = unique([...domainStreams.flatMap((s) => s.subjects), ...topicSubjects(topology), ...redeliverySubjects(topology)]);
  const streams = topology.streams.map((s) => s.name);
  const buckets = topology.buckets.map((b) => b.name);
  const schedules = topology.streams.some((s) => s.name === SCHEDULES_STREAM);
  const counters = topology.streams.some((s) => s.name === COUNTERS_STREAM);
  const sources = deadLetterSources(advisories);
  const workers = topology.consumers.filter((c) => c !== router);
  // Readiness, /v1/topics and the fill gauges read every stream's and bucket's info.
  const readTopology = [...streamCalls([...streams, ...buckets.map((b) => `KV_${b}`)], 'INFO'), ...consumerInfo(topology.consumers)];

  return {
    producer: permissions(
      'producer',
      [
        ...topicSubjects(topology),
        // DLQ replays, when the admin API runs without a dlq connection.
        ...redeliverySubjects(topology),
        ...readTopology,
        ...streamCalls(unique(topology.topics.map((t) => t.stream)), 'MSG.GET'),
        // The operations API pauses, resumes and resets the declared workers (scope consumers:manage).
        ...workers.flatMap((c) => [api(`CONSUMER.PAUSE.${c.stream}.${c.durable}`), api(`CONSUMER.RESET.${c.stream}.${c.durable}`)]),
        // Scheduled publishes and their ledger (pending schedules per caller); listing, reading and cancelling schedules.
        ...(schedules
          ? [`${SCHEDULE_PENDING_PREFIX}.*`, `${SCHEDULE_LEDGER_PREFIX}.*.*`, `${SCHEDULE_HELD_PREFIX}.*.*.*`, ...streamCalls([SCHEDULES_STREAM], 'MSG.GET', 'MSG.DELETE'), ...directGet(SCHEDULES_STREAM)]
          : []),
        // Quotas shared by the producer pods (increments; the PubAck answers the total).
        ...(counters ? [`${COUNTERS_PREFIX}.>`] : []),
        // The admin API appends its audit records and reads them back (GET /v1/audit, verify).
        ...(audit ? [...auditSubjects, ...directGet(AUDIT_STREAM)] : []),
      ],
      // Due messages are the server's to produce: a publish there would skip validation and land in the topic's stream.
      [...dlqSubjects, `${SCHEDULE_DUE_PREFIX}.>`, ...auditTampering],
      // Which workers are bound, for the operations view (PresenceTracker).
      [`${PRESENCE_SUBJECT_PREFIX}.>`],
    ),
    ...Object.fromEntries(workerGroups(topology).map((g) => [consumerGroupUser(g), consumerGroupPermissions(topology, [g], consumerGroupUser(g))])),
    dlq: permissions(
      'dlq',
      [
        ...dlqSubjects,
        // Replays, each for the durable that failed it: no topic subjects, which every durable on them would receive.
        ...redeliverySubjects(topology),
        api('INFO'),
        // A router-only worker may run as dlq alone: its readiness and metrics gauges read the topology's info.
        ...readTopology,
        ...pull([router]),
        presenceSubject(router.stream, router.durable),
        ...streamCalls(unique([...streams, ...sources]), 'INFO'),
        // The router checks an advisory against the consumer's state, declared or extra.
        ...sources.map((s) => api(`CONSUMER.INFO.${s}.*`)),
        ...streamCalls(unique([...sources, DLQ_STREAM]), 'MSG.GET', 'MSG.DELETE'),
        ...[DLQ_STREAM, DLQ_REJECTED_STREAM].flatMap(directGet),
        ...dlqBuckets.flatMap((b) => [...kvRead(b), ...kvWrite(b)]),
        // Retries due later than the ack wait, rescheduled as copies (RetryRescheduler).
        ...(schedules ? [`${SCHEDULE_PENDING_PREFIX}.*`, ...directGet(SCHEDULES_STREAM)] : []),
      ],
      [`${SCHEDULE_DUE_PREFIX}.>`, ...auditSubjects, ...auditTampering],
    ),
    provisioner: permissions(
      'provisioner',
      [
        api('INFO'),
        ...streamCalls([...streams, ...buckets.map((b) => `KV_${b}`)], 'CREATE', 'UPDATE', 'INFO'),
        ...topology.consumers.flatMap((c) => [
          api(`CONSUMER.CREATE.${c.stream}.${c.durable}`),
          // nats.js names the filter in the subject when there is exactly one.
          api(`CONSUMER.CREATE.${c.stream}.${c.durable}.>`),
          api(`CONSUMER.DURABLE.CREATE.${c.stream}.${c.durable}`),
          api(`CONSUMER.INFO.${c.stream}.${c.durable}`),
        ]),
      ],
      [...dlqSubjects, ...messageSubjects, ...auditSubjects, ...streamCalls(audit ? [AUDIT_STREAM] : [], 'MSG.DELETE', 'PURGE', 'DELETE')],
    ),
    operator: {
      publish: { allow: ['>'], deny: compact([ADVISORIES, ...dlqSubjects, ...auditSubjects, ...auditTampering]) },
      subscribe: {
        allow: ['>'],
        deny: [...natsUsers(topology), ALL_GROUPS_USER].filter((c) => c !== 'operator').map((c) => `${natsInboxPrefix(c)}.>`),
      },
    },
  };
}

/**
 * The permissions of a worker running the consumer groups `groups` (one group per deployment and
 * user; several only where one process runs them all, as in tests), as NATS user `user`:
 * - pull, ack and read the info of the groups' durables; unpin and watch the presence of their
 *   partition durables; announce presence only for them (so no one else can beacon for them);
 * - processed-markers only under `<durable>.` and failure records only under `<stream>.*.<durable>`,
 *   read by direct get on those subjects alone;
 * - dead letters only on `dlq.<stream>.<durable>` (direct dead-lettering; the server keeps the msgID
 *   dedup with the router's copy);
 * - read and write app buckets declared for one of the groups or for none;
 * - info of every stream, bucket and durable (readiness, fill gauges); no message gets or deletes, no
 *   schedules, no topic or redelivery subjects.
 */
export function consumerGroupPermissions(topology: Topology, groups: string[], user: string): NatsPermissions {
  const own = topology.consumers.filter((c) => groups.includes(consumerGroupOf(c)) && !(c.stream === DLQ_ADVISORY_STREAM && c.durable === DLQ_ROUTER_DURABLE));
  const partitions = own.filter((c) => c.partition);
  const domainStreams = topology.streams.filter((s) => ![DLQ_STREAM, DLQ_REJECTED_STREAM, DLQ_ADVISORY_STREAM].includes(s.name));
  // Topic and redelivery subjects: a worker that could publish either could feed any durable, its own included, a forged copy.
  const messageSubjects = unique([...domainStreams.flatMap((s) => s.subjects), ...topicSubjects(topology), ...redeliverySubjects(topology)]);
  const appBuckets = topology.buckets.filter((b) => ![PROCESSED_BUCKET, DLQ_FAILURE_BUCKET, DLQ_REPLAY_BUCKET].includes(b.name));
  const has = (bucket: string) => topology.buckets.some((b) => b.name === bucket);
  return permissions(
    user,
    [
      // Readiness and the metrics gauges read every stream's, bucket's and durable's info (metadata, no messages).
      ...streamCalls([...topology.streams.map((s) => s.name), ...topology.buckets.map((b) => `KV_${b.name}`)], 'INFO'),
      ...consumerInfo(topology.consumers),
      ...pull(own),
      ...own.map((c) => presenceSubject(c.stream, c.durable)),
      // A partition worker hands a partition over (PartitionBalancer).
      ...partitions.map((c) => api(`CONSUMER.UNPIN.${c.stream}.${c.durable}.${PINNED_GROUP}`)),
      ...(has(PROCESSED_BUCKET) ? own.flatMap((c) => kvKeys(PROCESSED_BUCKET, `${c.durable}.>`)) : []),
      ...(has(DLQ_FAILURE_BUCKET) ? own.flatMap((c) => kvKeys(DLQ_FAILURE_BUCKET, `${c.stream}.*.${c.durable}`)) : []),
      ...own.map((c) => dlqSubject(c.stream, c.durable)),
      ...appBuckets.filter((b) => b.group === undefined || groups.includes(b.group)).flatMap((b) => [...kvRead(b.name), ...kvWrite(b.name)]),
    ],
    [DLQ_REJECTED_SUBJECT, ...messageSubjects],
    // Partition workers count each other to share the partitions fairly.
    partitions.map((c) => presenceSubject(c.stream, c.durable)),
  );
}

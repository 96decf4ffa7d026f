import type { StreamDeclaration, StreamSourceDeclaration, Topology } from '#contracts';
import { REDELIVERY_PREFIX } from '../redelivery/redelivery.constants.js';
import { isRedeliverySubject } from '../redelivery/redelivery-subject.js';
import { SCHEDULE_DUE_PREFIX, SCHEDULE_HELD_PREFIX, SCHEDULE_LEDGER_PREFIX, SCHEDULE_PENDING_PREFIX, SCHEDULES_STREAM } from './schedule.constants.js';

export interface ScheduleOptions {
  replicas: number;
}

/**
 * The topology plus the schedules stream: pending schedules wait in SCHEDULES
 * (no age limit, so a schedule a year ahead is not aged out before it fires)
 * and every stream that carries a topic copies its due messages back under the
 * original subject. The server refuses schedules on a `discard: new` stream,
 * so SCHEDULES has no size limit of its own (max_bytes with discard old would
 * evict the oldest schedules); the ingress caps its messages and bytes instead
 * (SCHEDULES_MAX_MESSAGES, SCHEDULES_MAX_BYTES) and refuses beyond them.
 */
export function withSchedules(topology: Topology, options: ScheduleOptions): Topology {
  const targets = new Set(topology.topics.map((t) => t.stream));
  if (targets.size === 0) return topology;
  const schedules: StreamDeclaration = {
    name: SCHEDULES_STREAM,
    description: 'Messages waiting for their delivery time (one subject per schedule), briefly those due, and a ledger of who scheduled what',
    subjects: [`${SCHEDULE_PENDING_PREFIX}.*`, `${SCHEDULE_DUE_PREFIX}.>`, `${SCHEDULE_LEDGER_PREFIX}.*.*`, `${SCHEDULE_HELD_PREFIX}.*.*.*`],
    retention: 'limits',
    storage: 'file',
    replicas: options.replicas,
    maxAgeMs: 0,
    maxBytes: -1,
    discard: 'old',
    duplicateWindowMs: 2 * 60_000,
    allowDirect: true,
    allowMsgSchedules: true,
    allowMsgTtl: true,
  };
  const streams = topology.streams.map((s) =>
    targets.has(s.name) ? { ...s, sources: [...(s.sources ?? []), ...s.subjects.map(dueSource)] } : s,
  );
  return { ...topology, streams: [...streams, schedules] };
}

/**
 * Copies `schedules.due.<subject>` back as `<subject>`; each `*` is carried over by position.
 * Redelivery subjects (rescheduled retries) come through a source of their own: added to the
 * source of the topic subjects on a running stream, the server would start that source afresh
 * and copy again every due message SCHEDULES still holds.
 */
function dueSource(subject: string): StreamSourceDeclaration {
  let n = 0;
  const to = subject
    .split('.')
    .map((token) => (token === '*' ? `{{wildcard(${++n})}}` : token))
    .join('.');
  const source: StreamSourceDeclaration = { stream: SCHEDULES_STREAM, from: `${SCHEDULE_DUE_PREFIX}.${subject}`, to };
  return isRedeliverySubject(subject) ? { ...source, sourceKey: REDELIVERY_PREFIX } : source;
}

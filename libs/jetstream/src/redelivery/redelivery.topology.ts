import type { ConsumerDeclaration, Topology } from '#contracts';
import { isRedeliverySubject, redeliveryFilter, redeliverySpace } from './redelivery-subject.js';

/**
 * The topology with a redelivery subject space in every stream that carries a
 * topic: the stream also stores `nestjet-redeliver.<STREAM>.>`, and each
 * durable on it adds its own `nestjet-redeliver.<STREAM>.<durable>.>` to its
 * filter, so a retry copy or replay for one durable reaches that durable
 * alone (no other durable has to receive and skip it). A durable declared
 * without a filter reads the stream's own subjects instead of the whole
 * stream, so it, too, never sees another durable's copies. Apply it before
 * `withSchedules`, which sources due messages back under every subject a
 * stream declares: a rescheduled copy then lands on its redelivery subject.
 * Applying it twice changes nothing.
 */
export function withRedelivery(topology: Topology): Topology {
  const carriers = new Set(topology.topics.map((t) => t.stream));
  if (carriers.size === 0) return topology;
  const ownSubjects = new Map(topology.streams.map((s) => [s.name, s.subjects.filter((subject) => !isRedeliverySubject(subject))]));
  const streams = topology.streams.map((s) => {
    const space = redeliverySpace(s.name);
    return carriers.has(s.name) && !s.subjects.includes(space) ? { ...s, subjects: [...s.subjects, space] } : s;
  });
  const consumers = topology.consumers.map((c): ConsumerDeclaration => {
    const own = redeliveryFilter(c.stream, c.durable);
    if (!carriers.has(c.stream) || !ownSubjects.has(c.stream) || c.filterSubjects.includes(own)) return c;
    const filters = c.filterSubjects.length > 0 ? c.filterSubjects : ownSubjects.get(c.stream)!;
    return { ...c, filterSubjects: [...filters, own] };
  });
  return { ...topology, streams, consumers };
}

import { wildcardMatches, subjectMatches, type ConsumerDeclaration, type TopicDeclaration, type Topology } from '#contracts';
import { isRedeliverySubject, redeliverySubject } from '../redelivery/redelivery-subject.js';
import { ReplayRefusedError, ReplayUnreachableError } from './dead-letter.errors.js';

/** Where a replay goes: a declared topic's subject, stored only by that topic's stream, for a consumer declared on it. */
export interface ReplayTarget {
  topic: TopicDeclaration;
  /** The topic subject: what the consumer's handler routes on and sees. */
  subject: string;
  /** What the replay is published to: the consumer's own redelivery subject for `subject`. */
  redeliverySubject: string;
  /** `expectStream` of the publish: the server refuses to store it anywhere else. */
  stream: string;
  consumer: ConsumerDeclaration;
}

/** Topic tokens and routing tokens alike: no wildcards, no `$`, nothing empty. */
const TOKEN = /^[A-Za-z0-9_-]+$/;

/** The topic a record's (or an edited payload's) subject belongs to; replays never go anywhere else. */
export function topicOf(topology: Topology, subject: string): TopicDeclaration {
  const topic = subject.split('.').every((t) => TOKEN.test(t)) ? topology.topics.find((t) => subjectMatches(t.name, subject)) : undefined;
  if (!topic) {
    const shown = JSON.stringify(subject.slice(0, 200));
    throw new ReplayRefusedError(`subject ${shown} is not the subject of a declared topic (${topology.topics.map((t) => t.name).join(', ')}); replays go only there`);
  }
  return topic;
}

/**
 * Checks a replay against the declared topology, whatever the DLQ record
 * says: the subject must be a declared topic's, the record's stream that
 * topic's stream, its consumer declared there, and that consumer's topic
 * filter must cover the subject. The replay goes to the consumer's redelivery
 * subject, which it would receive whatever the topic subject; refusing one
 * outside its filter keeps content routing and partitions true (an edited
 * payload routed to another partition must not be handled by this one's
 * durable, out of that partition's order).
 */
export function resolveReplayTarget(
  topology: Topology,
  record: { id: number; stream: string; consumer: string },
  subject: string,
  edited: boolean,
): ReplayTarget {
  const topic = topicOf(topology, subject);
  if (record.stream !== topic.stream) {
    throw new ReplayRefusedError(`record ${record.id} comes from stream ${JSON.stringify(record.stream)}, but topic ${topic.name} lives in ${topic.stream}`);
  }
  const consumer = topology.consumers.find((c) => c.stream === topic.stream && c.durable === record.consumer);
  if (!consumer) {
    throw new ReplayRefusedError(`consumer ${JSON.stringify(record.consumer)} is not declared on stream ${topic.stream}: nobody would process the replay`);
  }
  const filters = consumer.filterSubjects.filter((f) => !isRedeliverySubject(f));
  if (filters.length > 0 && !filters.some((f) => wildcardMatches(f, subject))) {
    throw new ReplayUnreachableError(
      `${edited ? 'the edited payload routes to' : 'the record\'s subject is'} ${subject}, which consumer ${consumer.durable} ` +
        `does not receive (filter ${filters.join(', ')}); a replay goes only to subjects its consumer's filter takes`,
      edited,
    );
  }
  return { topic, subject, redeliverySubject: redeliverySubject(topic.stream, consumer.durable, subject), stream: topic.stream, consumer };
}

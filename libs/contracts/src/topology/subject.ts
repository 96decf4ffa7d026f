import { partitionOf, partitionToken } from './partition.js';
import type { TopicDeclaration } from './topology.types.js';

const TOKEN = /^[A-Za-z0-9_-]+$/;

/** The subject a payload is published to: the topic, its routing tokens, and the partition token of an ordered topic. */
export function subjectFor<T extends object>(topic: TopicDeclaration<T>, payload: T): string {
  const tokens = [...topic.route(payload)];
  if (topic.ordering) tokens.push(partitionToken(partitionOf(String((payload as Record<string, unknown>)[topic.ordering.key]), topic.ordering.partitions)));
  for (const token of tokens) {
    if (!TOKEN.test(token)) {
      throw new Error(`routing rule of ${topic.name} produced an invalid subject token "${token}"`);
    }
  }
  return [topic.name, ...tokens].join('.');
}

/**
 * Compares a pattern with the leading tokens of a subject. `'prefix'` when the
 * pattern ran out first (the subject has tokens left), `'full'` when both end
 * together, `null` when they differ. NATS wildcards only appear in the pattern.
 */
function matchLeading(pattern: string[], subject: string[]): 'prefix' | 'full' | null {
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === '>') return subject.length > i ? 'full' : null;
    if (i >= subject.length) return null;
    if (pattern[i] !== '*' && pattern[i] !== subject[i]) return null;
  }
  return pattern.length === subject.length ? 'full' : 'prefix';
}

/**
 * NATS subject matching, where a pattern with fewer tokens than the subject
 * matches its leading tokens: handlers name a topic (`orders.created`) and
 * still receive the routed subjects (`orders.created.eu.high`).
 */
export function subjectMatches(pattern: string, subject: string): boolean {
  return matchLeading(pattern.split('.'), subject.split('.')) !== null;
}

/** Plain NATS matching, as the server applies a consumer filter: every token must match, `*` one token, `>` the rest; unlike `subjectMatches`, a shorter pattern does not match longer subjects. */
export function wildcardMatches(pattern: string, subject: string): boolean {
  return matchLeading(pattern.split('.'), subject.split('.')) === 'full';
}

/**
 * Whether a consumer filter can match a subject of the topic, i.e. the topic
 * itself or a routed subject below it (`orders.created.>`).
 */
export function filterCoversTopic(filter: string, topic: string): boolean {
  const f = filter.split('.');
  const t = topic.split('.');
  // The filter must agree with every topic token; a longer filter then selects routed subjects below it.
  const head = matchLeading(f.slice(0, t.length), t);
  return head === 'full' && (f.length > t.length || f.at(-1) === '>');
}

import type { TopicDeclaration } from './topology.types.js';

const TOKEN = /^[A-Za-z0-9_-]+$/;

/** The subject a payload is published to: the topic plus its routing tokens. */
export function subjectFor<T extends object>(topic: TopicDeclaration<T>, payload: T): string {
  const tokens = topic.route(payload);
  for (const token of tokens) {
    if (!TOKEN.test(token)) {
      throw new Error(`routing rule of ${topic.name} produced an invalid subject token "${token}"`);
    }
  }
  return [topic.name, ...tokens].join('.');
}

/**
 * NATS subject matching, where a pattern with fewer tokens than the subject
 * matches its leading tokens: handlers name a topic (`orders.created`) and
 * still receive the routed subjects (`orders.created.eu.high`).
 */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== '*' && p[i] !== s[i]) return false;
  }
  return true;
}

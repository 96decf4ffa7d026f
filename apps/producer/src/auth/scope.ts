import { wildcardMatches } from '#contracts';
import { PUBLISH_SCOPE_PREFIX, SCOPES } from './auth.constants.js';

const TOPIC_PATTERN = /^([A-Za-z0-9_-]+|\*)(\.([A-Za-z0-9_-]+|\*))*(\.>)?$|^>$/;

/** Why `scope` is not a scope a credential may hold, or null when it is. */
export function scopeProblem(scope: unknown): string | null {
  if (typeof scope !== 'string') return 'a scope must be a string';
  if ((SCOPES as readonly string[]).includes(scope)) return null;
  if (scope.startsWith(PUBLISH_SCOPE_PREFIX) && TOPIC_PATTERN.test(scope.slice(PUBLISH_SCOPE_PREFIX.length))) return null;
  return `unknown scope "${scope.slice(0, 64)}"; known: ${[...SCOPES, 'publish:<topic pattern>'].join(', ')}`;
}

export function publishScope(topic: string): string {
  return `${PUBLISH_SCOPE_PREFIX}${topic}`;
}

/**
 * Whether `held` covers `required`. `publish:<pattern>` covers the publish
 * scope of every topic the pattern matches, with NATS wildcard rules
 * (`orders.*`, `orders.>`, `>`), the same rules as subjects.
 */
export function grants(held: readonly string[], required: string): boolean {
  if (!required.startsWith(PUBLISH_SCOPE_PREFIX)) return held.includes(required);
  const topic = required.slice(PUBLISH_SCOPE_PREFIX.length);
  return held.some((s) => s.startsWith(PUBLISH_SCOPE_PREFIX) && wildcardMatches(s.slice(PUBLISH_SCOPE_PREFIX.length), topic));
}

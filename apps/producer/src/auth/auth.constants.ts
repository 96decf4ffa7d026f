/** Every scope a credential can hold; `publish:` is followed by a topic pattern (NATS wildcards, matched whole: `orders` does not cover `orders.created`). */
export const SCOPES = ['topics:read', 'dlq:read', 'dlq:replay', 'dlq:purge', 'ops:read', 'consumers:manage', 'schedules:read', 'schedules:cancel', 'schedules:admin', 'audit:read'] as const;
export const PUBLISH_SCOPE_PREFIX = 'publish:';

export type FixedScope = (typeof SCOPES)[number];

/** Route metadata: the scope a route needs (see `@RequireScope`). */
export const REQUIRED_SCOPE = 'nestjet:required-scope';

/** The identity used for idempotency keys and logs when AUTH_MODE=none. */
export const ANONYMOUS_ID = 'anonymous';

/** The identity of the start-up warm-up's requests (never reachable from outside: see `Authenticator.beginWarmUp`). */
export const WARM_UP_ID = 'warm-up';

export const WWW_AUTHENTICATE = 'Bearer realm="nestjet"';

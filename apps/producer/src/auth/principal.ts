import type { QuotaOverrides } from '../quotas/quota-overrides.js';

/** Who is calling: an API key (by its id) or a JWT subject, with what it may do. */
export interface Principal {
  /** `key:<id>`, `jwt:<iss>#<sub>` or `anonymous`: stable, never secret; used for rate limits and idempotency scope. */
  id: string;
  scopes: string[];
  /** Its own limits (API key entry or JWT_QUOTA_CLAIM); the environment's defaults otherwise. */
  quotas?: QuotaOverrides;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook when the request carried a valid credential. */
    principal?: Principal;
    /** Why the credential was refused (never contains the credential). */
    authFailure?: string;
  }
}

import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { Principal } from './principal.js';
import { parseQuotaOverrides, type QuotaOverrides } from '../quotas/quota-overrides.js';
import { scopeProblem } from './scope.js';

export interface JwtSettings {
  jwksUrl: string;
  issuer: string;
  audience: string;
  /** The claim with the caller's quota overrides (JWT_QUOTA_CLAIM). */
  quotaClaim?: string;
}

/**
 * Verifies JWT bearer tokens with `jose` against the issuer's JWKS (fetched
 * and cached by jose, refreshed when an unknown `kid` appears). Scopes come
 * from the OAuth `scope` claim (space-separated) or `scp` (array); unknown
 * scopes are ignored, not errors: the issuer may serve other APIs too.
 */
export class JwtVerifier {
  private readonly jwks: ReturnType<typeof createRemoteJWKSet>;

  constructor(private readonly settings: JwtSettings) {
    this.jwks = createRemoteJWKSet(new URL(settings.jwksUrl), { timeoutDuration: 5_000, cooldownDuration: 30_000 });
  }

  /** The caller, or throws with a reason fit for a 401 (jose's messages name the failed check, not the token). */
  async verify(token: string): Promise<Principal> {
    const { payload } = await jwtVerify(token, this.jwks, {
      issuer: this.settings.issuer,
      audience: this.settings.audience,
      algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'],
      clockTolerance: 30,
    });
    if (typeof payload.sub !== 'string' || payload.sub === '') throw new Error('the token has no subject (sub)');
    return { id: `jwt:${payload.iss ?? ''}#${payload.sub}`, scopes: scopesOf(payload), ...quotasOf(payload, this.settings.quotaClaim) };
  }
}

function scopesOf(payload: JWTPayload): string[] {
  const claimed = typeof payload.scope === 'string' ? payload.scope.split(' ') : Array.isArray(payload.scp) ? payload.scp : [];
  return claimed.filter((s): s is string => scopeProblem(s) === null);
}

/** A malformed quota claim refuses the token: silently falling back to the defaults could grant more than the issuer meant. */
function quotasOf(payload: JWTPayload, claim: string | undefined): { quotas?: QuotaOverrides } {
  if (!claim) return {};
  const { overrides, problem } = parseQuotaOverrides(payload[claim]);
  if (problem) throw new Error(`the ${claim} claim ${problem}`);
  return overrides ? { quotas: overrides } : {};
}

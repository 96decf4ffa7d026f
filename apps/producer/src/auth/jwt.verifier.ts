import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Principal } from './principal.js';
import { parseQuotaOverrides, type QuotaOverrides } from '../quotas/quota-overrides.js';
import { scopeProblem } from './scope.js';

export interface JwtSettings {
  jwksUrl: string;
  issuer: string;
  audience: string;
  /** Accepted `typ` header values, compared as RFC 8725 says (case-insensitive, `application/` optional). */
  types: readonly string[];
  /** Longest a token may be valid: `exp − iat`, or `exp − now` without `iat`. */
  maxLifetimeSeconds: number;
  /** The claim with the caller's quota overrides (JWT_QUOTA_CLAIM). */
  quotaClaim?: string;
}

/** Clock skew allowed between the issuer and this server on every time claim. */
const CLOCK_TOLERANCE_SECONDS = 30;

/**
 * Verifies JWT bearer tokens with `jose` against the issuer's JWKS (fetched
 * and cached by jose, refreshed when an unknown `kid` appears). Scopes come
 * from the OAuth `scope` claim (space-separated) or `scp` (array); unknown
 * scopes are ignored, not errors: the issuer may serve other APIs too.
 *
 * Beyond signature, issuer and audience, a token must be an access token
 * (its `typ` header, RFC 9068: an ID token for the same audience is not a
 * credential for this API) and must expire within the maximum lifetime: a
 * leaked token without `exp`, or one minted for a year, would otherwise work
 * until the signing key is rotated.
 */
export class JwtVerifier {
  private readonly types: Set<string>;

  constructor(
    private readonly settings: JwtSettings,
    private readonly keys: JWTVerifyGetKey = createRemoteJWKSet(new URL(settings.jwksUrl), { timeoutDuration: 5_000, cooldownDuration: 30_000 }),
  ) {
    this.types = new Set(settings.types.map(normalizeType));
  }

  /** The caller, or throws with a reason fit for a 401 (the messages name the failed check, never the token). */
  async verify(token: string, now = Date.now()): Promise<Principal> {
    const { payload, protectedHeader } = await jwtVerify(token, this.keys, {
      issuer: this.settings.issuer,
      audience: this.settings.audience,
      algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(now),
    });
    // Checked only once the signature holds: a forged token learns nothing about the rules below.
    const typ = protectedHeader.typ;
    if (typeof typ !== 'string' || !this.types.has(normalizeType(typ))) {
      throw new Error(`the token's typ header is ${typeof typ === 'string' ? `"${typ.slice(0, 64)}"` : 'missing'}; accepted: ${this.settings.types.join(', ')} (an access token, not an ID token)`);
    }
    this.checkLifetime(payload, Math.floor(now / 1000));
    if (typeof payload.sub !== 'string' || payload.sub === '') throw new Error('the token has no subject (sub)');
    return { id: `jwt:${payload.iss ?? ''}#${payload.sub}`, scopes: scopesOf(payload), ...quotasOf(payload, this.settings.quotaClaim) };
  }

  private checkLifetime({ exp, iat }: JWTPayload, now: number): void {
    const max = this.settings.maxLifetimeSeconds;
    // jose has checked that exp and iat, when present, are numbers and that exp has not passed.
    if (exp === undefined) throw new Error('the token has no expiry (exp); tokens that never expire are refused');
    if (iat !== undefined && iat > now + CLOCK_TOLERANCE_SECONDS) throw new Error('the token was issued in the future (iat)');
    const lifetime = exp - (iat ?? now);
    if (lifetime > max + (iat === undefined ? CLOCK_TOLERANCE_SECONDS : 0)) {
      throw new Error(`the token is valid for ${lifetime} s (exp − ${iat === undefined ? 'now' : 'iat'}), more than JWT_MAX_TOKEN_LIFETIME_SECONDS (${max} s)`);
    }
  }
}

/** `at+jwt`, `AT+JWT` and `application/at+jwt` are one type (RFC 7515 §4.1.9). */
function normalizeType(typ: string): string {
  const t = typ.trim().toLowerCase();
  return t.startsWith('application/') ? t.slice('application/'.length) : t;
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

import { beforeAll, describe, expect, it } from '@jest/globals';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTVerifyGetKey } from 'jose';
import { JwtVerifier } from './jwt.verifier.js';

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'nestjet';
const DAY = 24 * 3600;
const NOW = Date.parse('2026-12-07T12:00:00Z');
const now = Math.floor(NOW / 1000);

interface Token {
  typ?: string | null;
  iat?: number | null;
  exp?: number | null;
  sub?: string;
}

describe('JwtVerifier', () => {
  let privateKey: CryptoKey;
  let keys: JWTVerifyGetKey;
  const verifier = (settings: { types?: string[]; maxLifetimeSeconds?: number } = {}) =>
    new JwtVerifier({ jwksUrl: 'https://issuer.test/jwks', issuer: ISSUER, audience: AUDIENCE, types: ['at+jwt', 'JWT'], maxLifetimeSeconds: DAY, ...settings }, keys);

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    keys = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256' }] });
  });

  async function sign({ typ = 'at+jwt', iat = now, exp = now + 300, sub = 'svc' }: Token = {}): Promise<string> {
    const jwt = new SignJWT({ scope: 'publish:orders.created' })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1', ...(typ === null ? {} : { typ }) })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(sub);
    if (iat !== null) jwt.setIssuedAt(iat);
    if (exp !== null) jwt.setExpirationTime(exp);
    return jwt.sign(privateKey);
  }

  it('accepts an access token within its lifetime, with its scopes', async () => {
    expect(await verifier().verify(await sign(), NOW)).toEqual({ id: `jwt:${ISSUER}#svc`, scopes: ['publish:orders.created'] });
  });

  it('accepts at+jwt and JWT in any case, with or without application/', async () => {
    for (const typ of ['at+jwt', 'AT+JWT', 'application/at+jwt', 'Application/AT+JWT', 'JWT', 'jwt', 'application/jwt']) {
      await expect(verifier().verify(await sign({ typ }), NOW)).resolves.toMatchObject({ id: `jwt:${ISSUER}#svc` });
    }
  });

  it('refuses a token without typ, or of another type (an ID token, a logout token, a JWT-secured request)', async () => {
    await expect(verifier().verify(await sign({ typ: null }), NOW)).rejects.toThrow("the token's typ header is missing; accepted: at+jwt, JWT (an access token, not an ID token)");
    for (const typ of ['id_token+jwt', 'logout+jwt', 'oauth-authz-req+jwt', 'at+jwt2', 'application/jwt/x']) {
      await expect(verifier().verify(await sign({ typ }), NOW)).rejects.toThrow(`the token's typ header is "${typ}"`);
    }
  });

  it('takes only the configured types', async () => {
    const strict = verifier({ types: ['at+jwt'] });
    await expect(strict.verify(await sign({ typ: 'application/at+jwt' }), NOW)).resolves.toBeDefined();
    await expect(strict.verify(await sign({ typ: 'JWT' }), NOW)).rejects.toThrow('the token\'s typ header is "JWT"; accepted: at+jwt');
  });

  it('refuses a token without exp: it would never expire', async () => {
    await expect(verifier().verify(await sign({ exp: null }), NOW)).rejects.toThrow('the token has no expiry (exp); tokens that never expire are refused');
    await expect(verifier().verify(await sign({ exp: null, iat: null }), NOW)).rejects.toThrow('no expiry (exp)');
  });

  it('refuses a token issued for longer than the maximum lifetime (exp − iat)', async () => {
    await expect(verifier().verify(await sign({ iat: now - 3600, exp: now + DAY }), NOW)).rejects.toThrow(
      `the token is valid for ${DAY + 3600} s (exp − iat), more than JWT_MAX_TOKEN_LIFETIME_SECONDS (${DAY} s)`,
    );
    await expect(verifier().verify(await sign({ iat: now - 3600, exp: now + DAY - 3600 }), NOW)).resolves.toBeDefined();
    // Old but issued for long: what counts is what the issuer granted, not what is left.
    await expect(verifier().verify(await sign({ iat: now - 30 * DAY, exp: now + 60 }), NOW)).rejects.toThrow('(exp − iat)');
    await expect(verifier({ maxLifetimeSeconds: 600 }).verify(await sign({ exp: now + 601 }), NOW)).rejects.toThrow('more than JWT_MAX_TOKEN_LIFETIME_SECONDS (600 s)');
  });

  it('without iat, refuses a token that stays valid longer than the maximum lifetime from now (exp − now)', async () => {
    await expect(verifier().verify(await sign({ iat: null, exp: now + DAY + 3600 }), NOW)).rejects.toThrow(`the token is valid for ${DAY + 3600} s (exp − now)`);
    await expect(verifier().verify(await sign({ iat: null, exp: now + DAY }), NOW)).resolves.toBeDefined();
  });

  it('refuses a token issued in the future, which would stretch its lifetime past the maximum', async () => {
    await expect(verifier().verify(await sign({ iat: now + 3600, exp: now + 3600 + 300 }), NOW)).rejects.toThrow('the token was issued in the future (iat)');
    // Within the clock tolerance a little skew is fine.
    await expect(verifier().verify(await sign({ iat: now + 10, exp: now + 300 }), NOW)).resolves.toBeDefined();
  });

  it('refuses an expired token, and checks signature, issuer and audience before any of its own rules', async () => {
    await expect(verifier().verify(await sign({ iat: now - 600, exp: now - 300 }), NOW)).rejects.toThrow('"exp" claim timestamp check failed');
    const other = await generateKeyPair('RS256');
    const forged = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(ISSUER).setAudience(AUDIENCE).setSubject('x').sign(other.privateKey);
    await expect(verifier().verify(forged, NOW)).rejects.toThrow('signature verification failed');
  });
});

import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { freePort } from '#testing';

export interface TokenClaims {
  scope?: string;
  sub?: string;
  iss?: string;
  aud?: string;
  /** `exp` relative to now (`5m`, `-10m`); null: no `exp` at all. */
  expiresIn?: string | null;
  /** `iat` in seconds since the epoch; null: no `iat`. Default: now. */
  issuedAt?: number | null;
  /** The `typ` header; null: none. Default `at+jwt` (an RFC 9068 access token). */
  typ?: string | null;
  /** Further claims, e.g. quota overrides (JWT_QUOTA_CLAIM). */
  extra?: Record<string, unknown>;
}

/** A real JWKS endpoint on loopback with one RS256 key, and a signer for tokens it vouches for. */
export class JwksIssuer {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly privateKey: CryptoKey,
    readonly issuer: string,
    readonly audience: string,
  ) {}

  static async start(issuer = 'https://issuer.test', audience = 'nestjet'): Promise<JwksIssuer> {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return new JwksIssuer(server, `http://127.0.0.1:${port}/.well-known/jwks.json`, privateKey, issuer, audience);
  }

  /** Producer settings that trust this issuer (its JWKS is served over http on loopback, so http is allowed explicitly). */
  get env(): Record<string, string> {
    return { JWT_JWKS_URL: this.url, JWT_JWKS_ALLOW_HTTP: 'true', JWT_ISSUER: this.issuer, JWT_AUDIENCE: this.audience };
  }

  async token(claims: TokenClaims = {}, signWith: CryptoKey = this.privateKey): Promise<string> {
    const typ = claims.typ === undefined ? 'at+jwt' : claims.typ;
    const jwt = new SignJWT({ ...claims.extra, ...(claims.scope === undefined ? {} : { scope: claims.scope }) })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1', ...(typ === null ? {} : { typ }) })
      .setIssuer(claims.iss ?? this.issuer)
      .setAudience(claims.aud ?? this.audience);
    if (claims.issuedAt !== null) jwt.setIssuedAt(claims.issuedAt);
    if (claims.expiresIn !== null) jwt.setExpirationTime(claims.expiresIn ?? '5m');
    if (claims.sub !== '') jwt.setSubject(claims.sub ?? 'svc-checkout');
    return jwt.sign(signWith);
  }

  /** A key the JWKS does not publish: tokens signed with it must be refused. */
  static async foreignKey(): Promise<CryptoKey> {
    return (await generateKeyPair('RS256')).privateKey;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server.close(resolve));
  }
}

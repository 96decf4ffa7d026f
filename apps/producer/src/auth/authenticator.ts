import { createHash, timingSafeEqual } from 'node:crypto';
import { statSync } from 'node:fs';
import { ConfigurationError } from '#jetstream';
import { Logger } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { ProducerEnvironment } from '../config/producer.environment.js';
import { ANONYMOUS_ID, PUBLISH_SCOPE_PREFIX, SCOPES, WARM_UP_ID } from './auth.constants.js';
import { ApiKeyStore, generateApiKey, type KeyChanges } from './api-key.store.js';
import { JwtVerifier } from './jwt.verifier.js';
import type { Principal } from './principal.js';

const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/;
const KEYS_FILE_CHECK_MS = 5_000;

export type Authentication = { principal: Principal } | { failure: string } | { none: true };

/** A reload of API_KEYS_FILE, applied (with what changed) or refused (with why): key rotation, for the audit trail. */
export type KeysReload = { changes: KeyChanges } | { error: string };

/**
 * Turns the credential of a request (`Authorization: Bearer …` or
 * `X-API-Key: …`) into a Principal. Built once at start-up from the
 * environment; refuses to exist without any credential source unless
 * AUTH_MODE=none.
 */
export class Authenticator {
  private readonly logger = new Logger('Authenticator');
  private keysCheckedAt = Date.now();
  private warmUp?: { digest: Buffer; principal: Principal };
  private keysFileVersion?: number;
  private keysReloaded?: (reload: KeysReload) => void;
  private keysFileRefused?: number;

  private constructor(
    readonly open: boolean,
    private keys?: ApiKeyStore,
    private readonly jwt?: JwtVerifier,
    private readonly keysFile?: string,
  ) {
    this.keysFileVersion = keysFile ? statSync(keysFile).mtimeMs : undefined;
  }

  static fromEnvironment(env: ProducerEnvironment, raw: Record<string, string | undefined> = process.env): Authenticator {
    if (raw.ADMIN_TOKEN) {
      throw new ConfigurationError(['ADMIN_TOKEN is no longer read: give operators an API key with the dlq:read, dlq:replay and dlq:purge scopes (README, Security)']);
    }
    if (env.AUTH_MODE === 'none') return new Authenticator(true);
    if (!env.API_KEYS_FILE && !env.JWT_JWKS_URL) {
      throw new ConfigurationError([
        'no credentials configured: set API_KEYS_FILE and/or JWT_JWKS_URL (with JWT_ISSUER, JWT_AUDIENCE); AUTH_MODE=none serves everyone without a credential (local experiments only)',
      ]);
    }
    let keys: ApiKeyStore | undefined;
    try {
      keys = env.API_KEYS_FILE ? ApiKeyStore.fromFile(env.API_KEYS_FILE) : undefined;
    } catch (err) {
      throw new ConfigurationError([(err as Error).message]);
    }
    const jwt = env.JWT_JWKS_URL ? Authenticator.jwtVerifier(env, env.JWT_JWKS_URL) : undefined;
    return new Authenticator(false, keys, jwt, env.API_KEYS_FILE);
  }

  private static jwtVerifier(env: ProducerEnvironment, jwksUrl: string): JwtVerifier {
    // The JWKS decides which tokens are genuine: fetched in clear, anyone on the path can swap in their own key.
    if (new URL(jwksUrl).protocol !== 'https:' && !env.JWT_JWKS_ALLOW_HTTP) {
      throw new ConfigurationError([
        `JWT_JWKS_URL must be an https:// URL (got ${new URL(jwksUrl).origin}): keys fetched over http can be replaced on the way, and with them every token; set JWT_JWKS_ALLOW_HTTP=true only for a JWKS on loopback or in tests`,
      ]);
    }
    return new JwtVerifier({
      jwksUrl,
      issuer: env.JWT_ISSUER!,
      audience: env.JWT_AUDIENCE!,
      types: env.JWT_TYPES,
      maxLifetimeSeconds: env.JWT_MAX_TOKEN_LIFETIME_SECONDS,
      quotaClaim: env.JWT_QUOTA_CLAIM,
    });
  }

  /** What the startup log says about authentication (counts and sources, no secrets). */
  describe(): Record<string, unknown> {
    return { open: this.open, apiKeys: this.keys?.size ?? 0, jwt: this.jwt !== undefined };
  }

  /**
   * A credential for the start-up warm-up's in-process requests (`warmUp`):
   * random, never logged or sent, and discarded by `endWarmUp` before the
   * port opens, so no outside request can ever present it.
   */
  beginWarmUp(scopes: string[]): string {
    const key = generateApiKey();
    this.warmUp = { digest: createHash('sha256').update(key).digest(), principal: { id: WARM_UP_ID, scopes } };
    return key;
  }

  endWarmUp(): void {
    this.warmUp = undefined;
  }

  /** Told of every reload of API_KEYS_FILE (the audit trail records key rotations). */
  onKeysReloaded(listener: (reload: KeysReload) => void): void {
    this.keysReloaded = listener;
  }

  async authenticate(request: FastifyRequest): Promise<Authentication> {
    if (this.open) return { principal: { id: ANONYMOUS_ID, scopes: [...SCOPES, `${PUBLISH_SCOPE_PREFIX}>`] } };
    const authorization = request.headers.authorization;
    const apiKey = request.headers['x-api-key'];
    if (authorization === undefined && apiKey === undefined) return { none: true };
    if (authorization !== undefined && apiKey !== undefined) return { failure: 'send one credential: Authorization or X-API-Key, not both' };
    if (Array.isArray(apiKey)) return { failure: 'send one X-API-Key header' };
    let token = apiKey;
    if (authorization !== undefined) {
      const [scheme, value, ...rest] = authorization.split(' ');
      if (scheme?.toLowerCase() !== 'bearer' || !value || rest.length > 0) return { failure: 'the Authorization header must be "Bearer <API key or JWT>"' };
      token = value;
    }
    if (!token) return { failure: 'the credential is empty' };
    if (this.warmUp && timingSafeEqual(createHash('sha256').update(token).digest(), this.warmUp.digest)) return { principal: this.warmUp.principal };
    if (this.jwt && JWT_SHAPE.test(token)) {
      try {
        return { principal: await this.jwt.verify(token) };
      } catch (err) {
        return { failure: `the JWT was refused: ${(err as Error).message}` };
      }
    }
    this.reloadKeysIfChanged();
    const principal = this.keys?.find(token);
    return principal ? { principal } : { failure: 'the credential is not valid' };
  }

  /**
   * Picks up a changed API_KEYS_FILE (a rotated Kubernetes Secret) within a
   * few seconds, so a revoked key stops working without a restart. A file
   * that no longer parses keeps the keys in force and logs why.
   */
  private reloadKeysIfChanged(): void {
    if (!this.keysFile || Date.now() - this.keysCheckedAt < KEYS_FILE_CHECK_MS) return;
    this.keysCheckedAt = Date.now();
    let version: number | undefined;
    try {
      version = statSync(this.keysFile).mtimeMs;
      if (version === this.keysFileVersion) return;
      const next = ApiKeyStore.fromFile(this.keysFile);
      const changes = this.keys ? this.keys.changesTo(next) : { added: [], removed: [], rotated: [], rescoped: [] };
      this.keys = next;
      this.keysFileVersion = version;
      this.logger.log({ event: 'auth.keys-reloaded', apiKeys: this.keys.size, ...changes });
      this.keysReloaded?.({ changes });
    } catch (err) {
      this.logger.error({ event: 'auth.keys-reload-failed', error: (err as Error).message });
      // Retried every few seconds while the file stays broken: reported once per version of it.
      if (version !== this.keysFileRefused) this.keysReloaded?.({ error: (err as Error).message });
      this.keysFileRefused = version;
    }
  }
}

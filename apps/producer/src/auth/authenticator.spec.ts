import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyRequest } from 'fastify';
import { ConfigurationError, validateEnvironment } from '#jetstream';
import { ProducerEnvironment } from '../config/producer.environment.js';
import { generateApiKey, hashApiKey } from './api-key.store.js';
import { Authenticator } from './authenticator.js';

function authenticatorWithKey(key: string): Authenticator {
  const file = join(mkdtempSync(join(tmpdir(), 'nestjet-auth-')), 'keys.json');
  writeFileSync(file, JSON.stringify([{ id: 'client', hash: hashApiKey(key), scopes: ['topics:read'] }]));
  return Authenticator.fromEnvironment(Object.assign(new ProducerEnvironment(), { AUTH_MODE: 'api-key', API_KEYS_FILE: file }), {});
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } }) as FastifyRequest;

describe('Authenticator warm-up credential', () => {
  it('is accepted only between beginWarmUp and endWarmUp, and never instead of a configured key', async () => {
    const client = generateApiKey();
    const auth = authenticatorWithKey(client);
    const warmUp = auth.beginWarmUp(['publish:orders.created']);
    expect(warmUp).not.toBe(client);
    expect(await auth.authenticate(bearer(warmUp))).toEqual({ principal: { id: 'warm-up', scopes: ['publish:orders.created'] } });
    expect(await auth.authenticate(bearer(client))).toEqual({ principal: { id: 'key:client', scopes: ['topics:read'] } });
    auth.endWarmUp();
    expect(await auth.authenticate(bearer(warmUp))).toEqual({ failure: 'the credential is not valid' });
    expect(await auth.authenticate(bearer('warm-up'))).toEqual({ failure: 'the credential is not valid' });
  });

  it('is a new random key each time', () => {
    const auth = authenticatorWithKey(generateApiKey());
    expect(auth.beginWarmUp([])).not.toBe(auth.beginWarmUp([]));
  });
});

describe('Authenticator JWT settings', () => {
  const jwtEnv = (env: Record<string, string>) => validateEnvironment(ProducerEnvironment, { JWT_ISSUER: 'https://idp.test', JWT_AUDIENCE: 'nestjet', ...env });
  const start = (env: Record<string, string>) => () => Authenticator.fromEnvironment(jwtEnv(env), {});

  it('refuses an http:// JWKS at start-up unless JWT_JWKS_ALLOW_HTTP=true', () => {
    expect(start({ JWT_JWKS_URL: 'http://idp.test/jwks.json' })).toThrow(ConfigurationError);
    expect(start({ JWT_JWKS_URL: 'http://idp.test/jwks.json' })).toThrow(
      'JWT_JWKS_URL must be an https:// URL (got http://idp.test): keys fetched over http can be replaced on the way, and with them every token; set JWT_JWKS_ALLOW_HTTP=true only for a JWKS on loopback or in tests',
    );
    expect(start({ JWT_JWKS_URL: 'HTTP://127.0.0.1:8080/jwks.json', JWT_JWKS_ALLOW_HTTP: 'false' })).toThrow('JWT_JWKS_URL must be an https:// URL');
    expect(start({ JWT_JWKS_URL: 'http://127.0.0.1:8080/jwks.json', JWT_JWKS_ALLOW_HTTP: 'true' })().describe()).toMatchObject({ jwt: true });
    expect(start({ JWT_JWKS_URL: 'https://idp.test/jwks.json' })().describe()).toMatchObject({ jwt: true });
  });

  it('validates the typ list and the maximum lifetime', () => {
    expect(jwtEnv({}).JWT_TYPES).toEqual(['at+jwt', 'JWT']);
    expect(jwtEnv({}).JWT_MAX_TOKEN_LIFETIME_SECONDS).toBe(86_400);
    expect(jwtEnv({ JWT_TYPES: 'at+jwt, application/at+jwt' }).JWT_TYPES).toEqual(['at+jwt', 'application/at+jwt']);
    expect(() => jwtEnv({ JWT_TYPES: ',' })).toThrow(/JWT_TYPES must name at least one typ/);
    expect(() => jwtEnv({ JWT_TYPES: 'at+jwt,a b' })).toThrow(/JWT_TYPES: each typ is a media type/);
    expect(() => jwtEnv({ JWT_MAX_TOKEN_LIFETIME_SECONDS: '0' })).toThrow(/JWT_MAX_TOKEN_LIFETIME_SECONDS/);
    expect(() => jwtEnv({ JWT_MAX_TOKEN_LIFETIME_SECONDS: 'forever' })).toThrow(/JWT_MAX_TOKEN_LIFETIME_SECONDS/);
  });
});

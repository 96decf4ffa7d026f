import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyRequest } from 'fastify';
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

import { describe, expect, it } from '@jest/globals';
import { ApiKeyStore, generateApiKey, hashApiKey } from './api-key.store.js';

const entry = (id: string, key: string, scopes: string[]) => ({ id, hash: hashApiKey(key), scopes });

describe('ApiKeyStore.changesTo (what the audit trail records of a key rotation)', () => {
  it('names the ids added, removed, given a new secret or new scopes, and nothing else', () => {
    const [a, b, c, d] = [generateApiKey(), generateApiKey(), generateApiKey(), generateApiKey()];
    const before = ApiKeyStore.fromEntries([entry('kept', a, ['dlq:read', 'ops:read']), entry('rotated', b, ['dlq:read']), entry('gone', c, ['dlq:purge'])], 'test');
    const after = ApiKeyStore.fromEntries(
      [entry('kept', a, ['ops:read', 'dlq:read']), entry('rotated', d, ['dlq:read', 'dlq:purge']), entry('new', c, ['topics:read'])],
      'test',
    );
    expect(before.changesTo(after)).toEqual({ added: ['new'], removed: ['gone'], rotated: ['rotated'], rescoped: ['rotated'] });
    expect(before.changesTo(before)).toEqual({ added: [], removed: [], rotated: [], rescoped: [] });
  });
});

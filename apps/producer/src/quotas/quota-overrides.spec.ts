import { describe, expect, it } from '@jest/globals';
import { ApiKeyStore, generateApiKey, hashApiKey } from '../auth/api-key.store.js';
import { parseQuotaOverrides } from './quota-overrides.js';

describe('quota overrides', () => {
  it('takes positive integers for the known quotas; nothing given is no override', () => {
    expect(parseQuotaOverrides(undefined)).toEqual({});
    expect(parseQuotaOverrides({ requests: 10, publishBytes: 2048 })).toEqual({ overrides: { requests: 10, publishBytes: 2048 } });
  });

  it.each([
    [null, /must be an object/],
    [[1], /must be an object/],
    ['10', /must be an object/],
    [{ requests: 0 }, /requests must be a positive integer/],
    [{ requests: 1.5 }, /requests must be a positive integer/],
    [{ publishBytes: '1MB' }, /publishBytes must be a positive integer/],
    [{ bandwidth: 5 }, /"bandwidth" is not a quota/],
  ])('refuses %j', (raw, problem) => {
    expect(parseQuotaOverrides(raw).problem).toMatch(problem);
  });

  it("puts a key's overrides on its principal, and refuses a key file with bad ones naming the entry", () => {
    const key = generateApiKey();
    const store = ApiKeyStore.fromEntries([{ id: 'team-a', hash: hashApiKey(key), scopes: ['publish:>'], quotas: { requests: 5 } }], 'test');
    expect(store.find(key)).toEqual({ id: 'key:team-a', scopes: ['publish:>'], quotas: { requests: 5 } });
    expect(() => ApiKeyStore.fromEntries([{ id: 'team-a', hash: hashApiKey(key), scopes: [], quotas: { requests: -1 } }], 'test')).toThrow(
      'test[0].quotas: requests must be a positive integer',
    );
  });
});

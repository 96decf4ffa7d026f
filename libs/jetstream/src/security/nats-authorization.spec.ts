import { describe, expect, it } from '@jest/globals';
import { buildTopology } from '#contracts';
import { DEFAULT_DEAD_LETTER_OPTIONS, withDeadLetters } from '../dead-letter/dead-letter.topology.js';
import { natsAuthorization } from './nats-authorization.js';
import { natsPermissions, natsUsers } from './nats-permissions.js';

const topology = withDeadLetters(buildTopology(), DEFAULT_DEAD_LETTER_OPTIONS);
const passwords: Record<string, string> = Object.fromEntries(natsUsers(topology).map((c) => [c, `${c}-0123456789abcdef`]));

describe('natsAuthorization', () => {
  it('writes one user per component and consumer group with its password and permissions, and no anonymous user', () => {
    const text = natsAuthorization(topology, passwords);
    expect(text.startsWith('authorization {\n  users: [\n')).toBe(true);
    const users = text
      .split('\n')
      .filter((l) => l.trim().startsWith('{'))
      .map((l) => JSON.parse(l.trim().replace(/,$/, '')) as { user: string; password: string; permissions: unknown });
    expect(users.map((u) => u.user)).toEqual(['producer', 'consumer-orders', 'consumer-ledger', 'dlq', 'provisioner', 'operator']);
    const permissions: Record<string, unknown> = natsPermissions(topology);
    for (const u of users) {
      expect(u.password).toBe(passwords[u.user]);
      expect(u.permissions).toEqual(permissions[u.user]);
    }
    expect(text).not.toMatch(/no_auth_user/);
  });

  it('refuses a password that is short or that the config parser could misread', () => {
    expect(() => natsAuthorization(topology, { ...passwords, dlq: 'short' })).toThrow(/password of dlq/);
    expect(() => natsAuthorization(topology, { ...passwords, producer: 'a"quote-in-the-password' })).toThrow(/password of producer/);
  });
});

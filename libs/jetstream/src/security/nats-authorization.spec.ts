import { describe, expect, it } from '@jest/globals';
import { buildTopology } from '#contracts';
import { DEFAULT_DEAD_LETTER_OPTIONS, withDeadLetters } from '../dead-letter/dead-letter.topology.js';
import { natsAuthorization } from './nats-authorization.js';
import { NATS_COMPONENTS, natsPermissions, type NatsComponent } from './nats-permissions.js';

const topology = withDeadLetters(buildTopology(), DEFAULT_DEAD_LETTER_OPTIONS);
const passwords = Object.fromEntries(NATS_COMPONENTS.map((c) => [c, `${c}-0123456789abcdef`])) as Record<NatsComponent, string>;

describe('natsAuthorization', () => {
  it('writes one user per component with its password and permissions, and no anonymous user', () => {
    const text = natsAuthorization(topology, passwords);
    expect(text.startsWith('authorization {\n  users: [\n')).toBe(true);
    const users = text
      .split('\n')
      .filter((l) => l.trim().startsWith('{'))
      .map((l) => JSON.parse(l.trim().replace(/,$/, '')) as { user: string; password: string; permissions: unknown });
    expect(users.map((u) => u.user)).toEqual([...NATS_COMPONENTS]);
    const permissions = natsPermissions(topology);
    for (const u of users) {
      expect(u.password).toBe(passwords[u.user as NatsComponent]);
      expect(u.permissions).toEqual(permissions[u.user as NatsComponent]);
    }
    expect(text).not.toMatch(/no_auth_user/);
  });

  it('refuses a password that is short or that the config parser could misread', () => {
    expect(() => natsAuthorization(topology, { ...passwords, dlq: 'short' })).toThrow(/password of dlq/);
    expect(() => natsAuthorization(topology, { ...passwords, producer: 'a"quote-in-the-password' })).toThrow(/password of producer/);
  });
});

import type { Topology } from '#contracts';
import { natsPermissions, natsUsers, type NatsPermissions } from './nats-permissions.js';

/** Characters a generated password may use: nothing the config parser or a shell could read differently. */
const SAFE_PASSWORD = /^[A-Za-z0-9_\-.~+/=]{16,}$/;

/**
 * The nats-server `authorization { users: [...] }` block for the topology:
 * one user per component and per consumer group (see `natsUsers`), named after
 * it, with its permissions; `extra` adds users of the caller's own (tests). No
 * `no_auth_user`, so a client without credentials is refused. The server's
 * config format reads JSON, so each user is written as a JSON object.
 */
export function natsAuthorization(topology: Topology, passwords: Record<string, string>, extra: Record<string, NatsPermissions> = {}): string {
  const permissions: Record<string, NatsPermissions> = { ...natsPermissions(topology), ...extra };
  const users = [...natsUsers(topology), ...Object.keys(extra)].map((user) => {
    const password = passwords[user];
    if (!SAFE_PASSWORD.test(password ?? '')) {
      throw new Error(`the NATS password of ${user} must be at least 16 characters of [A-Za-z0-9_-.~+/=]`);
    }
    return `    ${JSON.stringify({ user, password, permissions: permissions[user] })}`;
  });
  return ['authorization {', '  users: [', users.join(',\n'), '  ]', '}', ''].join('\n');
}

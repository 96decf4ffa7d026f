import type { Topology } from '#contracts';
import { NATS_COMPONENTS, natsPermissions, type NatsComponent } from './nats-permissions.js';

/** Characters a generated password may use: nothing the config parser or a shell could read differently. */
const SAFE_PASSWORD = /^[A-Za-z0-9_\-.~+/=]{16,}$/;

/**
 * The nats-server `authorization { users: [...] }` block for the topology:
 * one user per component, named after it, with its permissions. No
 * `no_auth_user`, so a client without credentials is refused. The server's
 * config format reads JSON, so each user is written as a JSON object.
 */
export function natsAuthorization(topology: Topology, passwords: Record<NatsComponent, string>): string {
  const permissions = natsPermissions(topology);
  const users = NATS_COMPONENTS.map((component) => {
    const password = passwords[component];
    if (!SAFE_PASSWORD.test(password ?? '')) {
      throw new Error(`the NATS password of ${component} must be at least 16 characters of [A-Za-z0-9_-.~+/=]`);
    }
    return `    ${JSON.stringify({ user: component, password, permissions: permissions[component] })}`;
  });
  return ['authorization {', '  users: [', users.join(',\n'), '  ]', '}', ''].join('\n');
}

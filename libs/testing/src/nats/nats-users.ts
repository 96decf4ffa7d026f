import { randomBytes } from 'node:crypto';
import { buildTopology, type Topology } from '#contracts';
import { ALL_GROUPS_USER, allGroupsPermissions, JetStreamEnvironment, natsAuthorization, natsInboxPrefix, natsUsers, validateEnvironment, type NatsUser } from '#jetstream';
import { connect, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import type { TlsFiles } from './tls-certificates.js';

/** The topology the apps derive from `env` (defaults when empty), dead letters included. */
export function topologyFor(env: Record<string, string> = {}): Topology {
  return validateEnvironment(JetStreamEnvironment, env).topology(buildTopology);
}

/**
 * A NATS user tests connect as: a generated one (component or `consumer-<group>`), or `consumer`
 * (ALL_GROUPS_USER), which runs every consumer group at once (one worker process for all durables,
 * as most app tests and the chart's consumer Deployment run it); `npm start` has no such user.
 */
export type TestNatsUser = NatsUser | 'consumer';

/** One random password per user, and the server authorization block with their permissions. */
export class NatsUsers {
  readonly passwords: Record<TestNatsUser, string>;
  /** Password of the test-only `intruder` user, when the server has one. */
  readonly intruderPassword?: string;

  /** `intruder`: add a user with no restrictions, for tests that play a compromised or misconfigured client (forged advisories, dead letters). */
  constructor(
    readonly topology: Topology = topologyFor(),
    intruder = false,
    passwords?: Record<string, string>,
  ) {
    const users: string[] = [...natsUsers(topology), 'consumer'];
    this.passwords = Object.fromEntries(users.map((u) => [u, passwords?.[u] ?? randomBytes(18).toString('base64url')])) as Record<TestNatsUser, string>;
    if (intruder) this.intruderPassword = randomBytes(18).toString('base64url');
  }

  /** Users whose passwords were made elsewhere (e.g. the chart's Secrets). */
  static withPasswords(passwords: Record<string, string>): NatsUsers {
    return new NatsUsers(topologyFor(), false, passwords);
  }

  authorization(): string {
    const block = natsAuthorization(this.topology, this.passwords, { [ALL_GROUPS_USER]: allGroupsPermissions(this.topology) });
    if (!this.intruderPassword) return block;
    return block.replace(/\n  \]\n\}\n$/, `,\n    ${JSON.stringify({ user: 'intruder', password: this.intruderPassword })}\n  ]\n}\n`);
  }
}

/**
 * How tests and apps reach a NATS server (or cluster) started with the
 * generated users: each component with its own credentials.
 */
export abstract class NatsEndpoint {
  abstract readonly url: string;
  abstract readonly users: NatsUsers;
  /** Set when the server requires TLS with client certificates. */
  abstract readonly tls?: TlsFiles;

  /** NATS_URL and the component's credentials (and TLS files), as an app reads them. */
  env(component: TestNatsUser): Record<string, string> {
    return {
      NATS_URL: this.url,
      NATS_USER: component,
      NATS_PASSWORD: this.users.passwords[component],
      ...(this.tls ? { NATS_TLS_CA: this.tls.ca, NATS_TLS_CERT: this.tls.clientCert, NATS_TLS_KEY: this.tls.clientKey } : {}),
    };
  }

  /** The dead-letter connection's credentials (the `dlq` user). */
  dlqEnv(): Record<string, string> {
    return { DLQ_NATS_USER: 'dlq', DLQ_NATS_PASSWORD: this.users.passwords.dlq };
  }

  /** nats.js options for a direct connection as `component`. */
  connectOptions(component: TestNatsUser): ConnectionOptions {
    return {
      servers: this.url.split(','),
      user: component,
      pass: this.users.passwords[component],
      inboxPrefix: natsInboxPrefix(component),
      ...(this.tls ? { tls: { caFile: this.tls.ca, certFile: this.tls.clientCert, keyFile: this.tls.clientKey } } : {}),
    };
  }

  /** A connection as the test-only unrestricted user (the server must be started with `intruder: true`). */
  connectIntruder(): Promise<NatsConnection> {
    if (!this.users.intruderPassword) throw new Error('start the server with { intruder: true } to have an intruder user');
    const { servers, tls } = this.connectOptions('operator');
    return connect({ name: 'test-intruder', servers, tls, user: 'intruder', pass: this.users.intruderPassword });
  }

  connect(component: TestNatsUser, options: ConnectionOptions = {}): Promise<NatsConnection> {
    return connect({ name: `test-${component}`, maxReconnectAttempts: -1, ...this.connectOptions(component), ...options });
  }
}

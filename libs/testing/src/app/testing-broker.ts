import type { TestNatsUser } from '../nats/nats-users.js';
import { NatsServer } from '../nats/nats-server.js';
import type { Topology } from '#contracts';

/** Where the testing app's connections go: the settings of each component's connection, and what teardown must stop. */
export interface TestingBroker {
  /** NATS_URL and the credentials a connection as `component` uses. */
  env(component: TestNatsUser): Record<string, string>;
  /** The dead-letter connection's credentials; empty: the main connection's. */
  dlqEnv(): Record<string, string>;
  dispose(): Promise<void>;
}

/** How a connection to a server someone else runs authenticates (JetStreamEnvironment's names). */
const CREDENTIALS = [
  'NATS_USER',
  'NATS_PASSWORD',
  'NATS_TOKEN',
  'NATS_CREDS_FILE',
  'NATS_TLS_CA',
  'NATS_TLS_CERT',
  'NATS_TLS_KEY',
  'DLQ_NATS_USER',
  'DLQ_NATS_PASSWORD',
  'DLQ_NATS_CREDS_FILE',
] as const;

/**
 * A server someone else runs (`NATS_URL`): every connection uses the credentials
 * given in `env` (or the process environment), and teardown leaves it running.
 */
function externalBroker(url: string, env: Record<string, string | undefined>): TestingBroker {
  const given = Object.fromEntries(CREDENTIALS.flatMap((k) => (env[k] ? [[k, env[k]]] : [])));
  const main = Object.fromEntries(Object.entries(given).filter(([k]) => !k.startsWith('DLQ_')));
  return {
    env: () => ({ NATS_URL: url, ...main }),
    dlqEnv: () => Object.fromEntries(Object.entries(given).filter(([k]) => k.startsWith('DLQ_'))),
    dispose: async () => undefined,
  };
}

/** The server at `url` when one is given, else a nats-server of its own (users and permissions derived from `topology`), disposed with it. */
export async function testingBroker(url: string | undefined, topology: Topology, env: Record<string, string | undefined>): Promise<TestingBroker> {
  if (url) return externalBroker(url, env);
  return NatsServer.start({ topology });
}

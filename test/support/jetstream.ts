import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { NatsServer } from './nats-server.js';

/** A plain nats.js connection for assertions against the server state. */
export async function inspect(nats: NatsServer): Promise<{ nc: NatsConnection; jsm: JetStreamManager }> {
  const nc = await connect({ servers: nats.url, name: 'test-inspector', maxReconnectAttempts: -1 });
  return { nc, jsm: await jetstreamManager(nc) };
}

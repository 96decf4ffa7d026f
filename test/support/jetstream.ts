import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { NatsEndpoint } from '#testing';

/** A connection as the operator (the `nats` CLI's user: full JetStream read and admin) for assertions against the server state. */
export async function inspect(nats: NatsEndpoint): Promise<{ nc: NatsConnection; jsm: JetStreamManager }> {
  const nc = await nats.connect('operator', { name: 'test-inspector' });
  return { nc, jsm: await jetstreamManager(nc) };
}

/** The stream's last sequence, read as the operator. */
export async function lastSeq(nats: NatsEndpoint, stream: string): Promise<number> {
  const { nc, jsm } = await inspect(nats);
  try {
    return (await jsm.streams.info(stream)).state.last_seq;
  } finally {
    await nc.close();
  }
}

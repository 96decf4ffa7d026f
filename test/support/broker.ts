import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { inspect } from './jetstream.js';
import { NatsServer } from '#testing';
import { provision } from './system.js';

/** A provisioned nats-server with the operator's inspector and a connection as the producer user (publishing straight to JetStream). */
export interface Broker {
  nats: NatsServer;
  nc: NatsConnection;
  jsm: JetStreamManager;
  publisher: NatsConnection;
  dispose(): Promise<void>;
}

/** `provisionEnv` (topology settings) is what provision runs with; undefined: the server only, provision later. */
export async function startBroker(provisionEnv?: Record<string, string>): Promise<Broker> {
  const nats = await NatsServer.start();
  if (provisionEnv) await provision(nats, provisionEnv);
  const { nc, jsm } = await inspect(nats);
  const publisher = await nats.connect('producer');
  return {
    nats,
    nc,
    jsm,
    publisher,
    async dispose() {
      await nc.close();
      await publisher.close();
      await nats.dispose();
    },
  };
}

import type { Topology } from '#contracts';
import type { NatsConnectionSettings } from './connection/nats-connection.js';
import type { PublisherOptions } from './publisher/jetstream.publisher.js';

export interface JetStreamModuleOptions {
  connection: NatsConnectionSettings;
  /** Connection name shown by the server, e.g. `nestjet-producer`. */
  name: string;
  topology: Topology;
  publisher?: Partial<PublisherOptions>;
  /** Create or update streams and consumers at start-up (local runs; in Kubernetes a hook Job does it). */
  autoProvision?: boolean;
  /** Consumers whose existence `/readyz` requires. */
  requiredConsumers?: string[];
}

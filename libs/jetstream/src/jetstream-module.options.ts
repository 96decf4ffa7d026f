import type { Topology } from '#contracts';
import type { NatsConnectionOptions } from './connection/nats-connection.js';
import type { PublisherOptions } from './publisher/jetstream.publisher.js';

export interface JetStreamModuleOptions {
  connection: NatsConnectionOptions;
  /** Connection name shown by the server, e.g. `nestjet-producer`. */
  name: string;
  /** Everything to provision and check: the domain's declarations, with dead letters added (`withDeadLetters`). */
  topology: Topology;
  publisher?: Partial<PublisherOptions>;
  /** Create or update streams and consumers at start-up (local runs; in Kubernetes a hook Job does it). */
  autoProvision?: boolean;
  /** Consumers whose existence `/readyz` requires. */
  requiredConsumers?: string[];
  /** Timeout of JetStream API requests (admin reads, provisioning, DLQ reads). */
  apiTimeoutMs?: number;
}

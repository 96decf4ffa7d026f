export const NATS_CONNECTION = Symbol('NATS_CONNECTION');
/** The one JetStreamManager of the module's connection (admin reads, DLQ, provisioning). */
export const JETSTREAM_MANAGER = Symbol('JETSTREAM_MANAGER');
export const JETSTREAM_TOPOLOGY = Symbol('JETSTREAM_TOPOLOGY');
export const JETSTREAM_MODULE_OPTIONS = Symbol('JETSTREAM_MODULE_OPTIONS');

/** Timeout of JetStream API requests when `apiTimeoutMs` is not set. */
export const DEFAULT_API_TIMEOUT_MS = 2_000;

/** Transport id of the pull transport, for hooks and `@EventPattern(…, transport)`. */
export const JETSTREAM_TRANSPORT = Symbol('JETSTREAM_TRANSPORT');

export const NATS_CONNECTION = Symbol('NATS_CONNECTION');
export const JETSTREAM_TOPOLOGY = Symbol('JETSTREAM_TOPOLOGY');
export const JETSTREAM_MODULE_OPTIONS = Symbol('JETSTREAM_MODULE_OPTIONS');

/** Transport id of the pull transport, for hooks and `@EventPattern(…, transport)`. */
export const JETSTREAM_TRANSPORT = Symbol('JETSTREAM_TRANSPORT');

/** Header names are lowercase: nats.js matches header names case-sensitively by default. */
export const HEADERS = {
  msgId: 'Nats-Msg-Id',
  publishedAt: 'nestjet-published-at',
  topic: 'nestjet-topic',
} as const;

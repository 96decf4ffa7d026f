import { createInbox, type NatsConnection } from '@nats-io/transport-node';

/**
 * A new inbox under the connection's own prefix: each NATS user may subscribe
 * only below its prefix (`natsInboxPrefix`). nats.js keeps the options it
 * connected with on the connection and its `fetch()`/`consume()` read the
 * prefix from there too; the public type does not show them.
 */
export function replyInbox(nc: NatsConnection): string {
  return createInbox((nc as NatsConnection & { options?: { inboxPrefix?: string } }).options?.inboxPrefix);
}

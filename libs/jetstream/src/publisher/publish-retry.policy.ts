import { JetStreamApiError, JetStreamError } from '@nats-io/jetstream';
import { errors } from '@nats-io/transport-node';

/**
 * Failures worth another attempt: the broker is unreachable, slow, electing a
 * leader or not ready (no responders surfaces as "JetStreamNotEnabled").
 * A refusal (wrong stream, message too large) or a closed connection is final.
 */
export function isTransientPublishError(err: unknown): boolean {
  if (err instanceof JetStreamApiError) return err.status === 503;
  if (err instanceof Error && err.name === 'JetStreamNotEnabled') return true;
  if (err instanceof JetStreamError) return false;
  return (
    err instanceof errors.TimeoutError ||
    err instanceof errors.RequestError ||
    err instanceof errors.NoRespondersError ||
    err instanceof errors.ConnectionError
  );
}

import { JetStreamApiCodes, JetStreamApiError, JetStreamError } from '@nats-io/jetstream';
import { errors } from '@nats-io/transport-node';

const NOT_FOUND = new Set<number>([JetStreamApiCodes.StreamNotFound, JetStreamApiCodes.ConsumerNotFound, JetStreamApiCodes.NoMessageFound]);

/**
 * The stream, consumer or message asked for does not exist. Decided by the
 * JetStream error code: a 503 (no leader, timeout) is an outage, not an absence.
 */
export function isNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && NOT_FOUND.has(err.code);
}

/** JSStreamStoreFailedF: a generic "could not store" code; its description says why. */
const STORE_FAILED = 10077;
/** nats-server's ErrMaxBytes, ErrMaxMsgs and ErrMaxMsgsPerSubject: refusals of a `discard: new` stream at its limit. */
const LIMIT_REACHED = new Set(['maximum bytes exceeded', 'maximum messages exceeded', 'maximum messages per subject exceeded']);

/**
 * A `discard: new` stream at its limit refused the message. nats-server 2.15
 * answers 503 with err_code 10077 and the limit in the description, standalone
 * and clustered alike: without this check it would pass for an outage and be
 * retried until the deadline.
 */
export function isStreamFull(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === STORE_FAILED && LIMIT_REACHED.has(err.message);
}

/**
 * Answers that only say "not yet": a retry of a publish whose first copy the
 * clustered leader is still proposing (JSStreamDuplicateMessageConflict, 409;
 * the retry then gets the duplicate ack), and a full ingest queue
 * (JSStreamTooManyRequests). Seen under a leader kill in the fault suite.
 */
const TRANSIENT = new Set<number>([10158, 10167]);

/**
 * The broker is unreachable, slow, electing a leader or not ready (no
 * responders surfaces as "JetStreamNotEnabled"): worth another attempt, and
 * a 503 to an HTTP caller. A refusal (wrong stream, message too large) or a
 * closed connection is final.
 */
export function isBrokerUnavailable(err: unknown): boolean {
  if (err instanceof JetStreamApiError) return (err.status === 503 && !isStreamFull(err)) || TRANSIENT.has(err.code);
  if (err instanceof Error && err.name === 'JetStreamNotEnabled') return true;
  if (err instanceof JetStreamError) return false;
  return (
    err instanceof errors.TimeoutError ||
    err instanceof errors.RequestError ||
    err instanceof errors.NoRespondersError ||
    err instanceof errors.ConnectionError
  );
}

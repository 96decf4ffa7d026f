import type { JsMsg } from '@nats-io/jetstream';
import { NonRetryableError } from '../errors/non-retryable.error.js';
import { MAX_REASON_LENGTH } from '../headers/message-headers.js';
import { retryDelayFor } from './retry-schedule.js';

/** How a delivery ends. */
export type Settlement =
  | { kind: 'ack' }
  /** `final`: the last allowed attempt; the server raises max-deliveries instead of redelivering. */
  | { kind: 'nak'; delayMs: number; final: boolean }
  /** A retry due later than the ack wait: a copy is scheduled for this consumer and the delivery acked (see RetryRescheduler). */
  | { kind: 'reschedule'; delayMs: number }
  | { kind: 'term'; reason: string };

export interface AttemptFacts {
  /** 1 on the first attempt; a rescheduled copy counts on from the attempts before it. */
  attempt: number;
  maxDeliver: number;
  retryDelaysMs: readonly number[];
  /** Attempts before this delivery's own (a rescheduled copy); the server's count of this copy starts at 1. */
  priorAttempts: number;
  /** Retry delays longer than this are rescheduled rather than naked; undefined: never rescheduled. */
  rescheduleAfterMs?: number;
}

/**
 * Success acks. A `NonRetryableError` terminates with its reason (the DLQ
 * record shows it). Any other error naks with the retry delay of this attempt,
 * except the last attempt: no redelivery follows it, so it naks without delay
 * and the max-deliveries advisory comes at once. A rescheduled copy's server
 * count started over, so its last attempt terminates instead. A delay longer
 * than the ack wait is rescheduled: a nak with that delay would hold an ack
 * slot (max_ack_pending) for all that time.
 */
export function decideSettlement(attempt: AttemptFacts, error?: Error): Settlement {
  if (!error) return { kind: 'ack' };
  const reason = `${error.name}: ${error.message}`.slice(0, MAX_REASON_LENGTH);
  if (error instanceof NonRetryableError) return { kind: 'term', reason };
  if (attempt.attempt >= attempt.maxDeliver) {
    return attempt.priorAttempts > 0 ? { kind: 'term', reason: `attempt ${attempt.attempt} of ${attempt.maxDeliver}: ${reason}`.slice(0, MAX_REASON_LENGTH) } : { kind: 'nak', delayMs: 0, final: true };
  }
  const delayMs = retryDelayFor(attempt.retryDelaysMs, attempt.attempt);
  if (attempt.rescheduleAfterMs !== undefined && delayMs > attempt.rescheduleAfterMs) return { kind: 'reschedule', delayMs };
  return { kind: 'nak', delayMs, final: false };
}

/** Whether no further delivery follows this settlement. */
export function isFinal(s: Settlement): boolean {
  return s.kind === 'term' || (s.kind === 'nak' && s.final);
}

/** A rescheduled delivery is acked: its copy carries the retry. */
export function applySettlement(msg: Pick<JsMsg, 'ack' | 'nak' | 'term'>, s: Settlement): void {
  if (s.kind === 'ack' || s.kind === 'reschedule') msg.ack();
  else if (s.kind === 'nak') msg.nak(s.delayMs);
  else msg.term(s.reason);
}

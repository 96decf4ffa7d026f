import type { JsMsg } from '@nats-io/jetstream';
import { NonRetryableError } from '../errors/non-retryable.error.js';
import { MAX_REASON_LENGTH } from '../headers/message-headers.js';
import { retryDelayFor } from './retry-schedule.js';

/** How a delivery ends. */
export type Settlement =
  | { kind: 'ack' }
  /** `final`: the last allowed attempt; the server raises max-deliveries instead of redelivering. */
  | { kind: 'nak'; delayMs: number; final: boolean }
  | { kind: 'term'; reason: string };

export interface AttemptFacts {
  /** 1 on the first delivery. */
  deliveryCount: number;
  maxDeliver: number;
  retryDelaysMs: readonly number[];
}

/**
 * Success acks. A `NonRetryableError` terminates with its reason (the DLQ
 * record shows it). Any other error naks with the retry delay of this attempt,
 * except the last attempt: no redelivery follows it, so it naks without delay
 * and the max-deliveries advisory comes at once.
 */
export function decideSettlement(attempt: AttemptFacts, error?: Error): Settlement {
  if (!error) return { kind: 'ack' };
  if (error instanceof NonRetryableError) return { kind: 'term', reason: `${error.name}: ${error.message}`.slice(0, MAX_REASON_LENGTH) };
  const final = attempt.deliveryCount >= attempt.maxDeliver;
  return { kind: 'nak', delayMs: final ? 0 : retryDelayFor(attempt.retryDelaysMs, attempt.deliveryCount), final };
}

/** Whether no further delivery follows this settlement. */
export function isFinal(s: Settlement): boolean {
  return s.kind === 'term' || (s.kind === 'nak' && s.final);
}

export function applySettlement(msg: Pick<JsMsg, 'ack' | 'nak' | 'term'>, s: Settlement): void {
  if (s.kind === 'ack') msg.ack();
  else if (s.kind === 'nak') msg.nak(s.delayMs);
  else msg.term(s.reason);
}

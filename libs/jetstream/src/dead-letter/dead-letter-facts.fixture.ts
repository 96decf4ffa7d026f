import type { MessageFailure } from '../transport/message-failure.hook.js';
import type { DeadLetterFacts } from './dead-letter.record.js';

/** A terminated delivery's dead-letter facts, for specs of the writers and their counters. */
export const TERMINATED_FACTS: DeadLetterFacts = {
  kind: 'terminated',
  subject: 'orders.created.eu.std.p0',
  stream: 'ORDERS',
  streamSequence: 7,
  consumer: 'fulfillment',
  deliveryCount: 1,
  reason: 'NonRetryableError: no',
  errorName: 'NonRetryableError',
  handler: 'orders.created',
  firstFailureAt: '2026-12-07T00:00:00.000Z',
  lastFailureAt: '2026-12-07T00:00:00.000Z',
  routedAt: '2026-12-07T00:00:01.000Z',
  originalMissing: false,
};

/** A handler's retryable failure of ORDERS seq 7 on fulfillment, first of three attempts, for specs of what records and dead-letters failures. */
export function messageFailure(over: Partial<MessageFailure> = {}): MessageFailure {
  return {
    stream: 'ORDERS',
    consumer: 'fulfillment',
    subject: 'orders.created.eu.std',
    streamSequence: 7,
    deliveryCount: 1,
    maxDeliver: 3,
    errorName: 'Error',
    errorMessage: 'db down',
    handler: 'orders.created',
    final: false,
    terminated: false,
    at: new Date('2026-12-07T00:00:00.000Z'),
    ...over,
  };
}

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

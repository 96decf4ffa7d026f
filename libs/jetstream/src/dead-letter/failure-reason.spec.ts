import { describe, expect, it } from '@jest/globals';
import type { DeadLetterAdvisory } from './dead-letter.advisory.js';
import { describeFailure } from './failure-reason.js';
import type { FailureRecord } from './failure.recorder.js';

const maxDeliver: DeadLetterAdvisory = {
  kind: 'max_deliveries',
  timestamp: '2026-01-01T00:00:00Z',
  stream: 'ORDERS',
  consumer: 'fulfillment',
  streamSequence: 7,
  deliveryCount: 3,
};

const failure = (deliveryCount: number): FailureRecord => ({
  stream: 'ORDERS',
  streamSequence: 7,
  consumer: 'fulfillment',
  subject: 'orders.created.eu.std',
  errorName: 'Error',
  errorMessage: 'db down',
  handler: 'orders.created',
  deliveryCount,
  firstFailureAt: '2026-01-01T00:00:00Z',
  lastFailureAt: '2026-01-01T00:00:01Z',
  terminated: false,
});

describe('describeFailure', () => {
  it('uses the handler error of the last attempt', () => {
    expect(describeFailure(maxDeliver, failure(3))).toEqual({ reason: 'Error: db down', errorName: 'Error' });
  });

  it('names a last attempt that ended by crash or ack timeout', () => {
    const r = describeFailure(maxDeliver, failure(2));
    expect(r.errorName).toBe('AckTimeout');
    expect(r.reason).toMatch(/attempt 3 ended without ack or nak.*attempt 2: Error: db down/);
    expect(describeFailure(maxDeliver, null).reason).toMatch(/all 3 attempts ended without ack or nak/);
  });

  it('does not take a record of unsettled attempts for a handler error', () => {
    const unsettled: FailureRecord = { ...failure(0), errorName: '', errorMessage: '', handler: '', lastUnsettledAttempt: 2 };
    expect(describeFailure(maxDeliver, unsettled)).toEqual({
      reason: 'no handler error recorded: all 3 attempts ended without ack or nak (process crash or ack timeout)',
      errorName: 'AckTimeout',
    });
  });

  it('prefers the reason given to term()', () => {
    const term = { ...maxDeliver, kind: 'terminated' as const, reason: 'PayloadValidationError: bad amount' };
    expect(describeFailure(term, null)).toEqual({ reason: 'PayloadValidationError: bad amount', errorName: 'PayloadValidationError' });
  });
});

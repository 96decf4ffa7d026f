import { describe, expect, it } from '@jest/globals';
import { parseAdvisory } from './dead-letter.advisory.js';
import { describeFailure } from './failure-reason.js';
import type { FailureRecord } from './failure.recorder.js';

const maxDeliver = parseAdvisory({
  type: 'io.nats.jetstream.advisory.v1.max_deliver',
  id: 'x',
  timestamp: '2026-01-01T00:00:00Z',
  stream: 'ORDERS',
  consumer: 'fulfillment',
  stream_seq: 7,
  deliveries: 3,
});

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

describe('parseAdvisory', () => {
  it('reads max-deliveries and terminated advisories', () => {
    expect(maxDeliver).toMatchObject({ kind: 'max_deliveries', stream: 'ORDERS', streamSequence: 7, deliveryCount: 3 });
    const term = parseAdvisory({
      type: 'io.nats.jetstream.advisory.v1.terminated',
      stream: 'ORDERS',
      consumer: 'c',
      stream_seq: 1,
      consumer_seq: 1,
      deliveries: 1,
      reason: 'NonRetryableError: nope',
    });
    expect(term).toMatchObject({ kind: 'terminated', reason: 'NonRetryableError: nope' });
  });

  it('refuses other documents', () => {
    expect(() => parseAdvisory({ type: 'io.nats.jetstream.advisory.v1.nak' })).toThrow(/not a max-deliveries/);
    expect(() => parseAdvisory({ type: 'io.nats.jetstream.advisory.v1.max_deliver', stream: 'S' })).toThrow(/misses/);
  });
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

  it('prefers the reason given to term()', () => {
    const term = { ...maxDeliver, kind: 'terminated' as const, reason: 'PayloadValidationError: bad amount' };
    expect(describeFailure(term, null)).toEqual({ reason: 'PayloadValidationError: bad amount', errorName: 'PayloadValidationError' });
  });
});

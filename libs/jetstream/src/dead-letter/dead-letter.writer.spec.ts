import { describe, expect, it } from '@jest/globals';
import { deadLetterMsgId, finalFailureFacts, type FinalFailure } from './dead-letter.writer.js';

const failure: FinalFailure = {
  kind: 'terminated',
  subject: 'orders.created.eu.std',
  stream: 'ORDERS',
  streamSequence: 7,
  consumer: 'fulfillment',
  deliveryCount: 1,
  errorName: 'NonRetryableError',
  errorMessage: 'customer blocked is blocked',
  handler: 'orders.created',
  firstFailureAt: '2026-01-01T00:00:00.000Z',
  lastFailureAt: '2026-01-01T00:00:01.000Z',
  originalTime: '2025-12-31T23:59:59.000Z',
};

describe('deadLetterMsgId', () => {
  it('names stream, sequence and consumer, so each durable a message dies in gets its own record', () => {
    expect(deadLetterMsgId('ORDERS', 7, 'fulfillment')).toBe('ORDERS:7:fulfillment');
    expect(deadLetterMsgId('ORDERS', 7, 'notifications')).not.toBe(deadLetterMsgId('ORDERS', 7, 'fulfillment'));
  });
});

describe('finalFailureFacts', () => {
  it('reads the reason as the router writes it from a term reason, and keeps the original msgID', () => {
    const facts = finalFailureFacts(failure, [['Nats-Msg-Id', 'abc'], ['traceparent', 'x']]);
    expect(facts).toMatchObject({
      kind: 'terminated',
      reason: 'NonRetryableError: customer blocked is blocked',
      errorName: 'NonRetryableError',
      originalMsgId: 'abc',
      originalTime: failure.originalTime,
      originalMissing: false,
    });
  });

  it('puts a multi-line, overlong message on one line of at most 1024 characters', () => {
    const facts = finalFailureFacts({ ...failure, errorMessage: `line one\nline two${'x'.repeat(2000)}` }, []);
    expect(facts.reason.startsWith('NonRetryableError: line one line two')).toBe(true);
    expect(facts.reason).toHaveLength(1024);
  });

  it('says so when the original is gone', () => {
    const facts = finalFailureFacts({ ...failure, originalTime: undefined }, [], true);
    expect(facts.originalMissing).toBe(true);
    expect(facts.reason).toMatch(/original message no longer in stream ORDERS/);
  });
});

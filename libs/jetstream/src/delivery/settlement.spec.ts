import { describe, expect, it, jest } from '@jest/globals';
import { NonRetryableError, PayloadValidationError } from '../errors/non-retryable.error.js';
import { applySettlement, decideSettlement, isFinal, type Settlement } from './settlement.js';

/** A stand-in for JsMsg with only the settle calls, in the style of Nest's server-nats.spec. */
function fakeMessage() {
  return { ack: jest.fn<() => void>(), nak: jest.fn<(delay?: number) => void>(), term: jest.fn<(reason?: string) => void>() };
}

const attempt = (n: number) => ({ attempt: n, maxDeliver: 3, retryDelaysMs: [100, 500], priorAttempts: 0 });

function settle(s: Settlement) {
  const msg = fakeMessage();
  applySettlement(msg, s);
  return msg;
}

describe('decideSettlement + applySettlement', () => {
  it('acks a success and nothing else', () => {
    const msg = settle(decideSettlement(attempt(1)));
    expect(msg.ack).toHaveBeenCalledTimes(1);
    expect(msg.nak).not.toHaveBeenCalled();
    expect(msg.term).not.toHaveBeenCalled();
  });

  it('naks a retryable error with the delay of its attempt, the last entry repeating', () => {
    expect(settle(decideSettlement(attempt(1), new Error('db down'))).nak).toHaveBeenCalledWith(100);
    expect(settle(decideSettlement({ ...attempt(2), maxDeliver: 5 }, new Error('db down'))).nak).toHaveBeenCalledWith(500);
    expect(settle(decideSettlement({ ...attempt(4), maxDeliver: 5 }, new Error('db down'))).nak).toHaveBeenCalledWith(500);
  });

  it('naks the last attempt without delay, as final', () => {
    const s = decideSettlement(attempt(3), new Error('db down'));
    expect(s).toEqual({ kind: 'nak', delayMs: 0, final: true });
    expect(isFinal(s)).toBe(true);
    expect(settle(s).nak).toHaveBeenCalledWith(0);
    expect(isFinal(decideSettlement(attempt(2), new Error('db down')))).toBe(false);
  });

  it('terminates a non-retryable error at once, with its name and message as reason', () => {
    const msg = settle(decideSettlement(attempt(1), new NonRetryableError('customer blocked')));
    expect(msg.term).toHaveBeenCalledWith('NonRetryableError: customer blocked');
    expect(msg.nak).not.toHaveBeenCalled();
    const invalid = decideSettlement(attempt(1), new PayloadValidationError('payload is not valid JSON'));
    expect(invalid).toEqual({ kind: 'term', reason: 'PayloadValidationError: payload is not valid JSON' });
    expect(isFinal(invalid)).toBe(true);
  });

  it('caps the term reason so it fits the advisory', () => {
    const s = decideSettlement(attempt(1), new NonRetryableError('x'.repeat(5000)));
    expect(s.kind === 'term' && s.reason.length).toBe(1024);
  });

  it('reschedules a retry due later than the ack wait, and acks the delivery (its copy carries the retry)', () => {
    const long = { attempt: 1, maxDeliver: 4, retryDelaysMs: [100, 60_000], priorAttempts: 0, rescheduleAfterMs: 30_000 };
    expect(decideSettlement(long, new Error('db down'))).toEqual({ kind: 'nak', delayMs: 100, final: false });
    const s = decideSettlement({ ...long, attempt: 2 }, new Error('db down'));
    expect(s).toEqual({ kind: 'reschedule', delayMs: 60_000 });
    expect(isFinal(s)).toBe(false);
    const msg = settle(s);
    expect(msg.ack).toHaveBeenCalledTimes(1);
    expect(msg.nak).not.toHaveBeenCalled();
    // Without a rescheduler (no dead-letter connection) the long delay is a nak.
    expect(decideSettlement({ ...long, attempt: 2, rescheduleAfterMs: undefined }, new Error('db down'))).toEqual({ kind: 'nak', delayMs: 60_000, final: false });
  });

  it('terminates the last attempt of a rescheduled copy: the server counts the copy from 1 and would redeliver it', () => {
    const copy = { attempt: 3, maxDeliver: 3, retryDelaysMs: [100], priorAttempts: 2, rescheduleAfterMs: 30_000 };
    const s = decideSettlement(copy, new Error('db down'));
    expect(s).toEqual({ kind: 'term', reason: 'attempt 3 of 3: Error: db down' });
    expect(isFinal(s)).toBe(true);
    expect(decideSettlement({ ...copy, maxDeliver: 5 }, new Error('db down'))).toEqual({ kind: 'nak', delayMs: 100, final: false });
  });
});

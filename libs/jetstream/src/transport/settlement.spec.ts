import { describe, expect, it, jest } from '@jest/globals';
import { NonRetryableError, PayloadValidationError } from '../errors/non-retryable.error.js';
import { applySettlement, decideSettlement, isFinal, type Settlement } from './settlement.js';

/** A stand-in for JsMsg with only the settle calls, in the style of Nest's server-nats.spec. */
function fakeMessage() {
  return { ack: jest.fn<() => void>(), nak: jest.fn<(delay?: number) => void>(), term: jest.fn<(reason?: string) => void>() };
}

const attempt = (deliveryCount: number) => ({ deliveryCount, maxDeliver: 3, retryDelaysMs: [100, 500] });

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
});

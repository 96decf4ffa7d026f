import { describe, expect, it } from '@jest/globals';
import { needsReconciling } from './dead-letter.reconciler.js';

const at = '2026-01-01T00:00:00.000Z';
const later = (ms: number) => Date.parse(at) + ms;

describe('needsReconciling', () => {
  it('takes a terminated or final failure without a DLQ record once the grace period has passed', () => {
    expect(needsReconciling({ terminated: true, lastFailureAt: at }, later(60_000), 60_000)).toBe(true);
    expect(needsReconciling({ terminated: false, final: true, lastFailureAt: at }, later(61_000), 60_000)).toBe(true);
  });

  it('leaves young failures to the transport and the advisory path', () => {
    expect(needsReconciling({ terminated: true, lastFailureAt: at }, later(59_999), 60_000)).toBe(false);
  });

  it('skips failures whose record is noted, and attempts that were not final', () => {
    expect(needsReconciling({ terminated: true, dlqSeq: 4, lastFailureAt: at }, later(120_000), 60_000)).toBe(false);
    expect(needsReconciling({ terminated: false, final: false, lastFailureAt: at }, later(120_000), 60_000)).toBe(false);
    // Written before `final` existed, or by onRedelivered: not known to be final.
    expect(needsReconciling({ terminated: false, lastFailureAt: at }, later(120_000), 60_000)).toBe(false);
  });

  it('skips a record whose time does not parse', () => {
    expect(needsReconciling({ terminated: true, lastFailureAt: 'yesterday' }, later(120_000), 0)).toBe(false);
  });
});

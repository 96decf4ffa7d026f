import { describe, expect, it } from '@jest/globals';
import { retryDelayFor } from './retry-schedule.js';

describe('retryDelayFor', () => {
  it('follows the schedule by attempt and repeats its last entry', () => {
    const schedule = [100, 500, 2000];
    expect([1, 2, 3, 4, 9].map((n) => retryDelayFor(schedule, n))).toEqual([100, 500, 2000, 2000, 2000]);
  });

  it('redelivers at once without a schedule', () => {
    expect(retryDelayFor([], 3)).toBe(0);
  });
});

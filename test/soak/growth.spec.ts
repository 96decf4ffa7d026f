import { describe, expect, it } from '@jest/globals';
import { growthAfterWarmUp, median, type Point, slope } from './growth.js';

const series = (values: number[], everyMs = 1000): Point[] => values.map((value, i) => ({ atMs: i * everyMs, value }));
const options = { warmUpFraction: 0.1, windowFraction: 0.1, maxGrowth: 0.1 };

describe('soak growth check', () => {
  it('takes medians and least-squares slopes', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(slope(series([0, 2, 4, 6]))).toBeCloseTo(0.002);
  });

  it('accepts a flat series after a steep warm-up', () => {
    const values = [...Array.from({ length: 10 }, (_, i) => 50 + i * 10), ...Array.from({ length: 90 }, () => 150)];
    const g = growthAfterWarmUp(series(values), options);
    expect(g.first).toBe(150);
    expect(g.last).toBe(150);
    expect(g.growth).toBe(0);
    expect(g.ok).toBe(true);
  });

  it('rejects a steady climb of more than 10 % after warm-up', () => {
    const g = growthAfterWarmUp(series(Array.from({ length: 100 }, (_, i) => 100 + i * 0.5)), options);
    expect(g.growth).toBeGreaterThan(0.1);
    expect(g.trend).toBeGreaterThan(0.1);
    expect(g.ok).toBe(false);
  });

  it('is not swayed by one spike in a window', () => {
    const values = Array.from({ length: 100 }, () => 100);
    values[12] = 1000;
    values[98] = 1000;
    expect(growthAfterWarmUp(series(values), options).ok).toBe(true);
  });

  it('refuses to judge a run too short for two windows', () => {
    expect(() => growthAfterWarmUp(series([1, 2]), options)).toThrow(/too few samples/);
  });
});

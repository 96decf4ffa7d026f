import { describe, expect, it } from '@jest/globals';
import { DEFAULT_FC_SEED, propertyRuns } from './property-runs.js';

describe('propertyRuns', () => {
  it('runs the fixed seed by default, so a failure reproduces', () => {
    expect(propertyRuns(300, {})).toEqual({ seed: DEFAULT_FC_SEED, numRuns: 300 });
    expect(propertyRuns(300, { FC_SEED: ' ' })).toEqual({ seed: DEFAULT_FC_SEED, numRuns: 300 });
  });

  it('takes the seed from FC_SEED and scales the runs by FC_RUNS_SCALE', () => {
    expect(propertyRuns(300, { FC_SEED: '-591756448', FC_RUNS_SCALE: '10' })).toEqual({ seed: -591756448, numRuns: 3000 });
    expect(propertyRuns(3, { FC_RUNS_SCALE: '0.1' })).toEqual({ seed: DEFAULT_FC_SEED, numRuns: 1 });
  });

  it('refuses a seed or scale it cannot use, naming the variable', () => {
    expect(() => propertyRuns(1, { FC_SEED: 'abc' })).toThrow(/FC_SEED=abc/);
    expect(() => propertyRuns(1, { FC_SEED: '1.5' })).toThrow(/FC_SEED=1.5/);
    expect(() => propertyRuns(1, { FC_RUNS_SCALE: '0' })).toThrow(/FC_RUNS_SCALE=0/);
  });
});

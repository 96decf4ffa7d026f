import { describe, expect, it } from '@jest/globals';
import { slowestSuites } from './slowest-suites.reporter.js';

const suite = (path: string, seconds: number) => ({ testFilePath: `/repo/${path}`, perfStats: { start: 1_000, end: 1_000 + seconds * 1000 } }) as Parameters<typeof slowestSuites>[0][number];

describe('slowestSuites', () => {
  it('lists the slowest suites first, with their time and share, relative to the root', () => {
    const lines = slowestSuites([suite('a.spec.js', 1), suite('b.e2e-spec.js', 6), suite('c.spec.js', 3)], '/repo', 2);
    expect(lines).toEqual(['    6.0 s  60 %  b.e2e-spec.js', '    3.0 s  30 %  c.spec.js']);
  });

  it('shows ten at most and nothing for an empty run', () => {
    expect(slowestSuites(Array.from({ length: 12 }, (_, i) => suite(`s${i}.spec.js`, i + 1)), '/repo')).toHaveLength(10);
    expect(slowestSuites([], '/repo')).toEqual([]);
  });
});

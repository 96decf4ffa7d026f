import { partitionsToRelease } from './partition-balancer.js';

describe('partitionsToRelease', () => {
  it('keeps a fair share, ceil(partitions / workers), and lets go of the rest', () => {
    expect(partitionsToRelease(8, 8, 1)).toBe(0);
    expect(partitionsToRelease(8, 8, 2)).toBe(4);
    expect(partitionsToRelease(4, 8, 3)).toBe(1);
    expect(partitionsToRelease(3, 8, 3)).toBe(0);
    expect(partitionsToRelease(2, 8, 16)).toBe(1);
  });

  it('counts itself when no beacon was heard yet', () => {
    expect(partitionsToRelease(8, 8, 0)).toBe(0);
  });
});

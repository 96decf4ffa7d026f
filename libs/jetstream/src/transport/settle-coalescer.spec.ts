import { describe, expect, it } from '@jest/globals';
import { SettleCoalescer } from './settle-coalescer.js';

describe('SettleCoalescer', () => {
  it('runs queued settles together on the next turn, in order', async () => {
    const c = new SettleCoalescer();
    const done: number[] = [];
    c.add(() => done.push(1));
    await Promise.resolve();
    c.add(() => done.push(2));
    expect(done).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(done).toEqual([1, 2]);
  });

  it('flushes on demand', () => {
    const c = new SettleCoalescer();
    const done: number[] = [];
    c.add(() => done.push(1));
    c.flush();
    expect(done).toEqual([1]);
  });
});

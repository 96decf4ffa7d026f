import { describe, expect, it, jest } from '@jest/globals';
import type { LoggerService } from '@nestjs/common';
import { SettleCoalescer } from './settle-coalescer.js';

const quietLogger = (): LoggerService & { warn: jest.Mock } => ({ log: jest.fn(), error: jest.fn(), warn: jest.fn() });

describe('SettleCoalescer', () => {
  it('runs queued settles together on the next turn, in order', async () => {
    const c = new SettleCoalescer(quietLogger());
    const done: number[] = [];
    c.add(() => done.push(1));
    await Promise.resolve();
    c.add(() => done.push(2));
    expect(done).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(done).toEqual([1, 2]);
  });

  it('flushes on demand', () => {
    const c = new SettleCoalescer(quietLogger());
    const done: number[] = [];
    c.add(() => done.push(1));
    c.flush();
    expect(done).toEqual([1]);
  });

  it('keeps settling the rest of the queue when one ack throws, and throws nothing out of the timer', async () => {
    const logger = quietLogger();
    const c = new SettleCoalescer(logger);
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const done: number[] = [];
      c.add(() => done.push(1));
      c.add(() => {
        // What nats.js throws for an ack on a closed connection.
        throw Object.assign(new Error('closed connection'), { name: 'ClosedConnectionError' });
      });
      c.add(() => done.push(3));
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      expect(done).toEqual([1, 3]);
      expect(uncaught).toEqual([]);
      expect(logger.warn).toHaveBeenCalledWith(expect.objectContaining({ event: 'settle.failed', error: expect.stringMatching(/closed connection/) }));
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });
});

import { describe, expect, it, jest } from '@jest/globals';
import type { LoggerService } from '@nestjs/common';
import { HeldMessages } from './held-messages.js';

const quietLogger = (): LoggerService & { warn: jest.Mock } => ({ log: jest.fn(), error: jest.fn(), warn: jest.fn() });

class FakeMsg {
  touches: number[] = [];
  constructor(
    readonly info: { streamSequence: number },
    private readonly clock: { now: number },
    private readonly closed = false,
  ) {}
  working(): void {
    if (this.closed) throw new Error('closed connection');
    this.touches.push(this.clock.now);
  }
}

function setup(ackWaitMs: number, maxKeepAliveMs = 60_000) {
  const clock = { now: 0 };
  const logger = quietLogger();
  const held = new HeldMessages<FakeMsg>({ ackWaitMs, maxKeepAliveMs, logger, consumer: 'c', now: () => clock.now });
  const msg = (seq: number, closed = false) => new FakeMsg({ streamSequence: seq }, clock, closed);
  /** Advances the clock tick by tick as the timer would. */
  const run = (untilMs: number) => {
    while (clock.now + held.keepAlivePeriodMs <= untilMs) {
      clock.now += held.keepAlivePeriodMs;
      held.tick();
    }
  };
  return { clock, logger, held, msg, run };
}

describe('HeldMessages', () => {
  it('ticks every quarter of the ack wait (at least every 100 ms)', () => {
    expect(setup(30_000).held.keepAlivePeriodMs).toBe(7_500);
    expect(setup(200).held.keepAlivePeriodMs).toBe(100);
  });

  it('touches a held message at most half an ack wait apart, wherever it arrived between ticks', () => {
    for (const arrival of [0, 1, 1_249, 1_250, 2_499]) {
      const { clock, held, msg, run } = setup(5_000);
      clock.now = arrival;
      const m = msg(1);
      held.add(m);
      run(60_000);
      const gaps = [m.touches[0]! - arrival, ...m.touches.slice(1).map((t, i) => t - m.touches[i]!)];
      expect(Math.max(...gaps)).toBeLessThanOrEqual(2_500);
      expect(m.touches.length).toBeGreaterThanOrEqual(60_000 / 2_500 - 1);
    }
  });

  it('keeps queued and running messages alive, and stops touching a message once released', () => {
    const { held, msg, run } = setup(4_000);
    const queued = msg(1);
    const running = msg(2);
    held.add(queued);
    held.add(running);
    held.started(running);
    run(10_000);
    expect(queued.touches.length).toBeGreaterThan(0);
    expect(running.touches.length).toBeGreaterThan(0);
    const before = running.touches.length;
    held.release(running);
    run(20_000);
    expect(running.touches).toHaveLength(before);
    expect(held.size).toBe(1);
  });

  it('never touches a message settled within a quarter of the ack wait', () => {
    const { held, msg, run } = setup(4_000);
    const quick = msg(1);
    held.add(quick);
    run(999);
    held.release(quick);
    run(10_000);
    expect(quick.touches).toEqual([]);
  });

  it('gives up on a handler running longer than maxKeepAliveMs, once, and logs it; queued messages stay alive', () => {
    const { held, logger, msg, run } = setup(4_000, 10_000);
    const hung = msg(7);
    const waiting = msg(8);
    held.add(hung);
    held.started(hung);
    held.add(waiting);
    run(60_000);
    expect(Math.max(...hung.touches)).toBeLessThan(10_000);
    expect(Math.max(...waiting.touches)).toBeGreaterThan(55_000);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0]![0]).toMatchObject({ event: 'message.keepalive-stopped', streamSequence: 7, maxKeepAliveMs: 10_000 });
  });

  it('with maxKeepAliveMs 0 keeps only queued messages alive', () => {
    const { held, msg, run } = setup(4_000, 0);
    const running = msg(1);
    const queued = msg(2);
    held.add(running);
    held.started(running);
    held.add(queued);
    run(10_000);
    expect(running.touches).toEqual([]);
    expect(queued.touches.length).toBeGreaterThan(0);
  });

  it('a working() that throws (closed connection) is logged and the others are still touched', () => {
    const { held, logger, msg, run } = setup(4_000);
    const broken = msg(1, true);
    const fine = msg(2);
    held.add(broken);
    held.add(fine);
    run(2_000);
    expect(fine.touches.length).toBeGreaterThan(0);
    expect(logger.warn.mock.calls.map((c) => (c[0] as { event: string }).event)).toContain('settle.failed');
  });

  it('drain hands back every held message, telling running from queued, and empties the set', () => {
    const { held, msg } = setup(4_000);
    const a = msg(1);
    const b = msg(2);
    held.add(a);
    held.add(b);
    held.started(b);
    expect(held.drain()).toEqual([
      { msg: a, running: false },
      { msg: b, running: true },
    ]);
    expect(held.size).toBe(0);
  });
});

import { describe, expect, it } from '@jest/globals';
import type { NatsConnection } from '@nats-io/transport-node';
import { PRESENCE_EXPIRY_MS } from './presence.constants.js';
import { PresenceTracker } from './presence.tracker.js';

const beacon = (x: unknown) => new TextEncoder().encode(typeof x === 'string' ? x : JSON.stringify(x));

describe('PresenceTracker', () => {
  let now = 0;
  const tracker = () => new PresenceTracker({} as NatsConnection, () => now);

  it('counts distinct workers per durable and forgets one unheard for the expiry', () => {
    const t = tracker();
    now = 1_000;
    t.heard('ORDERS.work', beacon({ worker: 'a' }));
    t.heard('ORDERS.work', beacon({ worker: 'a' }));
    t.heard('ORDERS.work', beacon({ worker: 'b' }));
    t.heard('ORDERS.other', beacon({ worker: 'a' }));
    expect(t.workers('ORDERS', 'work')).toBe(2);
    now += PRESENCE_EXPIRY_MS - 1;
    t.heard('ORDERS.work', beacon({ worker: 'b' }));
    now += 2;
    expect(t.workers('ORDERS', 'work')).toBe(1);
    expect(t.workers('ORDERS', 'nobody')).toBe(0);
  });

  it('drops a worker that says it is leaving at once', () => {
    const t = tracker();
    t.heard('ORDERS.work', beacon({ worker: 'a' }));
    t.heard('ORDERS.work', beacon({ worker: 'a', leaving: true }));
    expect(t.workers('ORDERS', 'work')).toBe(0);
  });

  it('counts at most workersPerDurable workers per durable until stale ones expire', () => {
    const t = new PresenceTracker({} as NatsConnection, () => now, undefined, { workersPerDurable: 3, durables: 10 });
    now = 10_000;
    for (let i = 0; i < 100; i++) t.heard('ORDERS.work', beacon({ worker: `w${i}` }));
    expect(t.workers('ORDERS', 'work')).toBe(3);
    // A worker already counted keeps being heard.
    t.heard('ORDERS.work', beacon({ worker: 'w0' }));
    now += PRESENCE_EXPIRY_MS - 1;
    t.heard('ORDERS.work', beacon({ worker: 'w1' }));
    now += 2;
    t.heard('ORDERS.work', beacon({ worker: 'new' }));
    expect(t.workers('ORDERS', 'work')).toBe(2);
  });

  it('tracks at most `durables` durables, making room as they go stale or leave', () => {
    const t = new PresenceTracker({} as NatsConnection, () => now, undefined, { workersPerDurable: 3, durables: 2 });
    now = 50_000;
    t.heard('ORDERS.a', beacon({ worker: 'x' }));
    t.heard('ORDERS.b', beacon({ worker: 'x' }));
    t.heard('ORDERS.spoofed', beacon({ worker: 'x' }));
    expect([t.workers('ORDERS', 'a'), t.workers('ORDERS', 'b'), t.workers('ORDERS', 'spoofed')]).toEqual([1, 1, 0]);
    t.heard('ORDERS.a', beacon({ worker: 'x', leaving: true }));
    t.heard('ORDERS.c', beacon({ worker: 'x' }));
    expect(t.workers('ORDERS', 'c')).toBe(1);
    now += PRESENCE_EXPIRY_MS + 1;
    t.heard('ORDERS.d', beacon({ worker: 'x' }));
    expect([t.workers('ORDERS', 'b'), t.workers('ORDERS', 'd')]).toEqual([0, 1]);
  });

  it('ignores what is not a beacon', () => {
    const t = tracker();
    for (const junk of ['not json', 'null', '{"worker": 7}', JSON.stringify({ worker: 'x'.repeat(65) }), '[]']) t.heard('ORDERS.work', beacon(junk));
    expect(t.workers('ORDERS', 'work')).toBe(0);
  });
});

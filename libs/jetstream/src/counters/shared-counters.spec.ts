import { describe, expect, it } from '@jest/globals';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';
import { SharedCounters } from './shared-counters.js';

/** The counter stream's arithmetic (ADR-49): `Nats-Incr` adds to the subject's total, the ack answers it; answers come back in a shuffled order. */
class FakeCounterStream {
  readonly totals = new Map<string, number>();
  constructor(private readonly random: () => number) {}

  client(): JetStreamClient {
    return {
      publish: async (subject: string, _data: unknown, opts: { headers: MsgHdrs }) => {
        await new Promise((resolve) => setImmediate(resolve));
        const total = (this.totals.get(subject) ?? 0) + Number(opts.headers.get('Nats-Incr'));
        this.totals.set(subject, total);
        // The answer travels back after a random number of turns, as other pods' requests go on.
        for (let i = Math.floor(this.random() * 3); i > 0; i--) await new Promise((resolve) => setImmediate(resolve));
        return { stream: 'COUNTERS', seq: 1, duplicate: false, val: String(total) };
      },
    } as unknown as JetStreamClient;
  }
}

function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    return s / 2_147_483_648;
  };
}

describe('SharedCounters', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('N pods taking concurrently pass the limit by less than N × the local share (seed %i)', async (seed) => {
    const random = seeded(seed);
    const stream = new FakeCounterStream(random);
    const pods = 3;
    const limit = 50;
    const localShare = 0.1;
    // No timer here: flushes happen when a take needs one and at random points below.
    const counters = Array.from({ length: pods }, () => new SharedCounters(stream.client(), { flushIntervalMs: 0, localShare, idleMs: 60_000 }));
    let granted = 0;
    const takes: Promise<void>[] = [];
    for (let i = 0; i < 400; i++) {
      const pod = counters[Math.floor(random() * pods)]!;
      takes.push(pod.take('c', 1, limit).then((t) => void (granted += t.granted ? 1 : 0)));
      if (random() < 0.1) takes.push(counters[Math.floor(random() * pods)]!.flushAll());
      if (random() < 0.3) await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(takes);
    await Promise.all(counters.map((c) => c.flushAll()));
    expect(granted).toBeLessThanOrEqual(limit + pods * Math.floor(limit * localShare));
    // Every refusal was given back: the shared total is what was granted.
    expect(stream.totals.get('c')).toBe(granted);
    // Once every pod has flushed, a take is granted exactly while there is room.
    const next = await counters[0]!.take('c', 1, limit);
    expect(next.granted).toBe(granted < limit);
  });

  it('refuses on fresh knowledge only: room freed by another pod is seen at the next take', async () => {
    const stream = new FakeCounterStream(seeded(1));
    const [a, b] = [0, 1].map(() => new SharedCounters(stream.client(), { flushIntervalMs: 0, localShare: 0, idleMs: 60_000 }));
    for (let i = 0; i < 3; i++) expect((await a!.take('g', 1, 3)).granted).toBe(true);
    expect((await b!.take('g', 1, 3)).granted).toBe(false);
    a!.add('g', -2);
    await a!.flushAll();
    expect((await b!.take('g', 2, 3)).granted).toBe(true);
    expect((await b!.take('g', 1, 3)).granted).toBe(false);
  });

  it('without answers from the broker, decides on what it knows and keeps the increments to send later', async () => {
    let up = false;
    const totals = new Map<string, number>();
    const js = {
      publish: async (subject: string, _data: unknown, opts: { headers: MsgHdrs }) => {
        if (!up) throw new Error('no responders');
        const total = (totals.get(subject) ?? 0) + Number(opts.headers.get('Nats-Incr'));
        totals.set(subject, total);
        return { stream: 'COUNTERS', seq: 1, duplicate: false, val: String(total) };
      },
    } as unknown as JetStreamClient;
    const counters = new SharedCounters(js, { flushIntervalMs: 0, localShare: 0, idleMs: 60_000 });
    const results = [];
    for (let i = 0; i < 5; i++) results.push((await counters.take('d', 1, 3)).granted);
    expect(results).toEqual([true, true, true, false, false]);
    up = true;
    await counters.flushAll();
    expect(totals.get('d')).toBe(3);
  });
});

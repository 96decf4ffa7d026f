import { describe, expect, it } from '@jest/globals';
import type { ConsumerSample, OperationsSample, StreamSample } from './operations.sample.js';
import { consumerView, streamView } from './operations.view.js';

const stream = (lastSeq: number, messages: number): StreamSample => ({
  subjects: ['orders.>'],
  messages,
  bytes: messages * 100,
  firstSeq: 1,
  lastSeq,
  consumerCount: 1,
  limits: { maxMsgs: -1, maxBytes: 10_000, maxAgeSeconds: 0 },
});
const consumer = (acked: number, pending: number): ConsumerSample => ({
  pending,
  ackPending: 0,
  redelivered: 0,
  waiting: 1,
  acked,
  paused: false,
  pauseUntil: null,
  config: { description: '', ackPolicy: 'explicit', ackWaitMs: 30_000, maxDeliver: 5, maxAckPending: 1000, backoffMs: [], filterSubjects: ['orders.>'], deliverPolicy: 'all' },
});
const sample = (t: number, s: StreamSample | null, c: ConsumerSample | null): OperationsSample => ({ t, streams: { ORDERS: s }, consumers: { 'ORDERS/work': c } });

describe('operations views', () => {
  const samples = [sample(0, stream(10, 10), consumer(5, 5)), sample(2_000, stream(30, 20), consumer(25, 5)), sample(4_000, stream(30, 20), consumer(45, 0))];

  it('turns counters into per-second rates between samples, the first one 0', () => {
    const c = consumerView(samples, 'ORDERS', 'work', 2);
    expect(c.history.rate).toEqual([0, 10, 10]);
    expect(c.rate).toBe(10);
    expect(c.workers).toBe(2);
    expect(c.history.pending).toEqual([5, 5, 0]);
    const s = streamView(samples, 'ORDERS', [c])!;
    expect(s.history.inRate).toEqual([0, 10, 0]);
    expect(s.inRate).toBe(0);
    expect(s.outRate).toBe(10);
  });

  it('gives the fraction of each limit in use, null for an unlimited one', () => {
    const s = streamView(samples, 'ORDERS', [])!;
    expect(s.usage).toEqual({ messages: null, bytes: 0.2 });
  });

  it('counts a counter that went back (purge, recreated consumer) as no progress, not a negative rate', () => {
    const reset = [...samples, sample(6_000, stream(2, 2), consumer(1, 0))];
    expect(consumerView(reset, 'ORDERS', 'work', 0).rate).toBe(0);
    expect(streamView(reset, 'ORDERS', [])!.inRate).toBe(0);
  });

  it('says when a consumer or stream does not exist (yet) instead of inventing figures', () => {
    const missing = [sample(0, null, null)];
    expect(streamView(missing, 'ORDERS', [])).toBeNull();
    expect(consumerView(missing, 'ORDERS', 'work', 0)).toMatchObject({ exists: false, pending: 0, config: null, history: { t: [] } });
    const gone = [...samples, sample(6_000, stream(30, 20), null)];
    expect(consumerView(gone, 'ORDERS', 'work', 0).exists).toBe(false);
  });
});

import type { ConsumerConfigView, ConsumerSample, OperationsSample, StreamSample } from './operations.sample.js';
import { consumerKey } from './operations.sample.js';

export interface StreamView extends StreamSample {
  name: string;
  /** Fraction of each limit in use; null when unlimited. */
  usage: { messages: number | null; bytes: number | null };
  /** Messages stored per second over the last interval. */
  inRate: number;
  /** Acknowledgements per second over the last interval, summed over the stream's consumers. */
  outRate: number;
  history: { t: number[]; messages: number[]; inRate: number[] };
}

export interface ConsumerView {
  stream: string;
  name: string;
  exists: boolean;
  pending: number;
  ackPending: number;
  redelivered: number;
  waiting: number;
  paused: boolean;
  pauseUntil: string | null;
  /** Acknowledgements per second over the last interval. */
  rate: number;
  /** Live transport processes bound to it. */
  workers: number;
  history: { t: number[]; pending: number[]; ackPending: number[]; rate: number[] };
}

export interface ConsumerDetailView extends ConsumerView {
  config: ConsumerConfigView | null;
}

/** `GET /v1/ops/overview`: what the console's overview page shows. */
export interface OperationsOverview {
  sampledAt: string | null;
  intervalMs: number;
  health: {
    nats: { connected: boolean; jetstream: boolean };
    producer: { status: 'up'; version: string; uptimeSeconds: number };
    consumers: { stream: string; name: string; workers: number }[];
  };
  streams: StreamView[];
  consumers: ConsumerView[];
}

type Rate = (a: number, b: number, dtMs: number) => number;

/** Growth per second; a counter that went down (purge, recreated consumer) counts as no growth. */
const perSecond: Rate = (a, b, dtMs) => (dtMs > 0 && b >= a ? ((b - a) * 1000) / dtMs : 0);

function rates<T>(samples: OperationsSample[], pick: (s: OperationsSample) => T | null | undefined, value: (x: T) => number): number[] {
  return samples.map((s, i) => {
    const prev = i > 0 ? samples[i - 1]! : undefined;
    const [a, b] = [prev ? pick(prev) : undefined, pick(s)];
    return prev && a && b ? perSecond(value(a), value(b), s.t - prev.t) : 0;
  });
}

const fraction = (used: number, limit: number) => (limit > 0 ? used / limit : null);

export function consumerView(samples: OperationsSample[], stream: string, name: string, workers: number): ConsumerDetailView {
  const key = consumerKey(stream, name);
  const pick = (s: OperationsSample): ConsumerSample | null | undefined => s.consumers[key];
  const present = samples.filter((s) => pick(s));
  const last = present.at(-1) ? pick(present.at(-1)!)! : null;
  const rate = rates(present, pick, (c) => c.acked);
  return {
    stream,
    name,
    exists: last !== null && samples.length > 0 && pick(samples.at(-1)!) !== null,
    pending: last?.pending ?? 0,
    ackPending: last?.ackPending ?? 0,
    redelivered: last?.redelivered ?? 0,
    waiting: last?.waiting ?? 0,
    paused: last?.paused ?? false,
    pauseUntil: last?.pauseUntil ?? null,
    rate: rate.at(-1) ?? 0,
    workers,
    config: last?.config ?? null,
    history: {
      t: present.map((s) => s.t),
      pending: present.map((s) => pick(s)!.pending),
      ackPending: present.map((s) => pick(s)!.ackPending),
      rate,
    },
  };
}

export function streamView(samples: OperationsSample[], name: string, consumers: ConsumerView[]): StreamView | null {
  const pick = (s: OperationsSample): StreamSample | null | undefined => s.streams[name];
  const present = samples.filter((s) => pick(s));
  const last = present.at(-1) ? pick(present.at(-1)!)! : null;
  if (!last) return null;
  const inRate = rates(present, pick, (x) => x.lastSeq);
  return {
    name,
    ...last,
    usage: { messages: fraction(last.messages, last.limits.maxMsgs), bytes: fraction(last.bytes, last.limits.maxBytes) },
    inRate: inRate.at(-1) ?? 0,
    outRate: consumers.filter((c) => c.stream === name).reduce((sum, c) => sum + c.rate, 0),
    history: { t: present.map((s) => s.t), messages: present.map((s) => pick(s)!.messages), inRate },
  };
}

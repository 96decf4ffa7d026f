/** The two advisories the router handles, reduced to what it needs. */
export interface DeadLetterAdvisory {
  kind: 'max_deliveries' | 'terminated';
  stream: string;
  consumer: string;
  streamSequence: number;
  deliveryCount: number;
  /** `term(reason)`, terminated advisories only (server ≥ 2.11). */
  reason?: string;
  timestamp: string;
}

const TYPES: Record<string, DeadLetterAdvisory['kind']> = {
  'io.nats.jetstream.advisory.v1.max_deliver': 'max_deliveries',
  'io.nats.jetstream.advisory.v1.terminated': 'terminated',
};

/** Parses an advisory body; throws on anything else so the router can terminate it as junk. */
export function parseAdvisory(body: unknown): DeadLetterAdvisory {
  const a = body as Record<string, unknown> | null;
  const kind = typeof a?.type === 'string' ? TYPES[a.type] : undefined;
  if (!a || !kind) throw new Error(`not a max-deliveries or terminated advisory: ${JSON.stringify(a?.type)}`);
  const { stream, consumer, stream_seq: streamSequence, deliveries: deliveryCount } = a;
  if (typeof stream !== 'string' || typeof consumer !== 'string' || typeof streamSequence !== 'number' || typeof deliveryCount !== 'number') {
    throw new Error('advisory misses stream, consumer, stream_seq or deliveries');
  }
  return {
    kind,
    stream,
    consumer,
    streamSequence,
    deliveryCount,
    reason: typeof a.reason === 'string' && a.reason !== '' ? a.reason : undefined,
    timestamp: typeof a.timestamp === 'string' ? a.timestamp : new Date().toISOString(),
  };
}

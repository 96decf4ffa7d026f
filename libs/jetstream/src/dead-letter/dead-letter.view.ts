import { DLQ_HEADERS } from '#contracts';
import type { StoredMsg } from '@nats-io/jetstream';

/** A DLQ record as the admin API and CLI show it. */
export interface DeadLetterView {
  /** DLQ stream sequence. */
  id: number;
  kind: string;
  subject: string;
  stream: string;
  seq: number;
  consumer: string;
  deliveries: number;
  reason: string;
  errorName: string;
  handler: string;
  firstFailureAt: string;
  lastFailureAt: string;
  routedAt: string;
  originalMissing: boolean;
  /** The original's own headers (trace context included). */
  headers: Record<string, string[]>;
  /** Parsed JSON when it is JSON, else the raw text; null when the original was gone. */
  payload: unknown;
  traceId?: string;
}

const OWN = new Set<string>(Object.values(DLQ_HEADERS));

export function toDeadLetterView(m: StoredMsg): DeadLetterView {
  const h = (name: string) => m.header.get(name);
  const headers: Record<string, string[]> = {};
  for (const k of m.header.keys()) {
    if (!OWN.has(k) && !k.toLowerCase().startsWith('nats-')) headers[k] = m.header.values(k);
  }
  const text = new TextDecoder().decode(m.data);
  let payload: unknown = null;
  if (text !== '') {
    try {
      payload = JSON.parse(text);
    } catch {
      payload = text;
    }
  }
  const traceparent = headers.traceparent?.[0];
  return {
    id: m.seq,
    kind: h(DLQ_HEADERS.kind),
    subject: h(DLQ_HEADERS.subject),
    stream: h(DLQ_HEADERS.stream),
    seq: Number(h(DLQ_HEADERS.seq)),
    consumer: h(DLQ_HEADERS.consumer),
    deliveries: Number(h(DLQ_HEADERS.deliveries)),
    reason: h(DLQ_HEADERS.reason),
    errorName: h(DLQ_HEADERS.errorName),
    handler: h(DLQ_HEADERS.handler),
    firstFailureAt: h(DLQ_HEADERS.firstFailureAt),
    lastFailureAt: h(DLQ_HEADERS.lastFailureAt),
    routedAt: h(DLQ_HEADERS.routedAt),
    originalMissing: h(DLQ_HEADERS.originalMissing) === 'true',
    headers,
    payload,
    traceId: traceparent?.split('-')[1],
  };
}

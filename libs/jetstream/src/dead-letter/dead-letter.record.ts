import type { StoredMsg } from '@nats-io/jetstream';
import { storedPayload } from '../admin/stored-payload.js';
import { headerEntries, headerValue, type HeaderEntries } from '../headers/message-headers.js';
import type { DeadLetterAdvisory } from './dead-letter.advisory.js';
import type { ReplayMark } from './replay-log.js';

/** Where, why and when a message died: every field travels as one DLQ header. */
export interface DeadLetterFacts {
  kind: DeadLetterAdvisory['kind'];
  /** The original subject. */
  subject: string;
  stream: string;
  streamSequence: number;
  consumer: string;
  deliveryCount: number;
  reason: string;
  errorName: string;
  /** Handler pattern that failed; empty when unknown (crash, ack timeout, foreign consumer). */
  handler: string;
  firstFailureAt: string;
  lastFailureAt: string;
  routedAt: string;
  /** When the original was stored; absent when it was gone before routing. */
  originalTime?: string;
  /** The original's `Nats-Msg-Id`, when it had one. */
  originalMsgId?: string;
  /** The original was gone (expired, purged, deleted): the record has no payload. */
  originalMissing: boolean;
}

/** A DLQ record as the admin API and the CLI show it. */
export interface DeadLetter extends DeadLetterFacts {
  /** DLQ stream sequence. */
  id: number;
  /** The original's own headers (trace context included). */
  headers: Record<string, string[]>;
  /** Parsed JSON when it is JSON, else the raw text; null when the original was gone. */
  payload: unknown;
  traceId?: string;
  /** Its latest replay, when the admin API or CLI looked it up (null: never replayed). */
  replay?: ReplayMark | null;
}

/** A page of dead letters; `total` counts every record in the DLQ, `scanned` those this page read. */
export interface DeadLetterListing {
  items: DeadLetter[];
  next: number | null;
  total: number;
  scanned: number;
}

/** A decoded record with the original bytes and headers, which a replay republishes. */
export interface StoredDeadLetter {
  record: DeadLetter;
  data: Uint8Array;
  originalHeaders: HeaderEntries;
}

/** The header of each fact; the one place that names them. */
export const DLQ_HEADERS = {
  kind: 'nestjet-dlq-kind',
  subject: 'nestjet-dlq-subject',
  stream: 'nestjet-dlq-stream',
  streamSequence: 'nestjet-dlq-stream-sequence',
  consumer: 'nestjet-dlq-consumer',
  deliveryCount: 'nestjet-dlq-delivery-count',
  reason: 'nestjet-dlq-reason',
  errorName: 'nestjet-dlq-error-name',
  handler: 'nestjet-dlq-handler',
  firstFailureAt: 'nestjet-dlq-first-failure-at',
  lastFailureAt: 'nestjet-dlq-last-failure-at',
  routedAt: 'nestjet-dlq-routed-at',
  originalTime: 'nestjet-dlq-original-time',
  originalMsgId: 'nestjet-dlq-original-msg-id',
  originalMissing: 'nestjet-dlq-original-missing',
} as const satisfies Record<keyof DeadLetterFacts, string>;

const FACTS = Object.entries(DLQ_HEADERS) as [keyof DeadLetterFacts, string][];
const OWN = new Set<string>(Object.values(DLQ_HEADERS));
/** The server sets its own `Nats-*` headers on the DLQ copy; the original's are facts above. */
const isServerHeader = (name: string) => name.toLowerCase().startsWith('nats-');

/** Headers of a DLQ record: the original's own headers, then one header per fact. */
export function encodeDeadLetter(facts: DeadLetterFacts, originalHeaders: HeaderEntries): HeaderEntries {
  const headers = originalHeaders.filter(([k]) => !isServerHeader(k) && !OWN.has(k));
  for (const [field, header] of FACTS) {
    const value = facts[field];
    if (value === undefined || value === false) continue;
    headers.push([header, headerValue(String(value))]);
  }
  return headers;
}

export function decodeDeadLetter(m: StoredMsg): StoredDeadLetter {
  const h = (name: string) => m.header.get(name);
  const originalHeaders = headerEntries(m.header).filter(([k]) => !OWN.has(k) && !isServerHeader(k));
  const headers: Record<string, string[]> = {};
  for (const [k, v] of originalHeaders) (headers[k] ??= []).push(v);
  const payload = storedPayload(m.data, headers['content-type']?.[0]);
  const record: DeadLetter = {
    id: m.seq,
    kind: h(DLQ_HEADERS.kind) as DeadLetter['kind'],
    subject: h(DLQ_HEADERS.subject),
    stream: h(DLQ_HEADERS.stream),
    streamSequence: Number(h(DLQ_HEADERS.streamSequence)),
    consumer: h(DLQ_HEADERS.consumer),
    deliveryCount: Number(h(DLQ_HEADERS.deliveryCount)),
    reason: h(DLQ_HEADERS.reason),
    errorName: h(DLQ_HEADERS.errorName),
    handler: h(DLQ_HEADERS.handler),
    firstFailureAt: h(DLQ_HEADERS.firstFailureAt),
    lastFailureAt: h(DLQ_HEADERS.lastFailureAt),
    routedAt: h(DLQ_HEADERS.routedAt),
    originalTime: h(DLQ_HEADERS.originalTime) || undefined,
    originalMsgId: h(DLQ_HEADERS.originalMsgId) || undefined,
    originalMissing: h(DLQ_HEADERS.originalMissing) === 'true',
    headers,
    payload,
    traceId: headers.traceparent?.[0]?.split('-')[1],
  };
  return { record, data: m.data, originalHeaders };
}

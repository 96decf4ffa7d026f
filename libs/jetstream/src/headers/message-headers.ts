import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';

/**
 * Headers nestjet writes on every message. `Nats-Msg-Id` is the server's own
 * (deduplication) and keeps its canonical case; ours are lowercase, since
 * nats.js matches header names case-sensitively by default.
 */
export const HEADERS = {
  msgId: 'Nats-Msg-Id',
  publishedAt: 'nestjet-published-at',
  /** On a rescheduled retry: the attempts made on earlier copies (the server counts each copy from 1). */
  attempts: 'nestjet-attempts',
  /** On a message the scheduler produced: the `Nats-Msg-Id` it was published with (the server does not copy that header). */
  originMsgId: 'nestjet-origin-msg-id',
} as const;

/** Header name and value pairs: keeps repeated values and order, unlike a record. */
export type HeaderEntries = [string, string][];

export function headerEntries(h: MsgHdrs | undefined): HeaderEntries {
  if (!h) return [];
  return h.keys().flatMap((k) => h.values(k).map((v): [string, string] => [k, v]));
}

export function toMsgHdrs(entries: HeaderEntries): MsgHdrs {
  const h = natsHeaders();
  for (const [k, v] of entries) h.append(k, v);
  return h;
}

/** A header value: line breaks and other control characters would end or corrupt the header block. */
export function headerValue(s: string, max = 2048): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x1f\x7f]+/g, ' ').slice(0, max);
}

/** The longest failure reason a term, an advisory's copy or a DLQ record carries. */
export const MAX_REASON_LENGTH = 1024;

/** A failure reason as one header value: control characters as spaces, trimmed, capped. */
export function reasonValue(text: string): string {
  return headerValue(text, Number.POSITIVE_INFINITY).trim().slice(0, MAX_REASON_LENGTH);
}

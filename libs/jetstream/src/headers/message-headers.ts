import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';

/**
 * Headers nestjet writes on every message. `Nats-Msg-Id` is the server's own
 * (deduplication) and keeps its canonical case; ours are lowercase, since
 * nats.js matches header names case-sensitively by default.
 */
export const HEADERS = {
  msgId: 'Nats-Msg-Id',
  publishedAt: 'nestjet-published-at',
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

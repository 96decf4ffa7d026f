import { createHash } from 'node:crypto';
import type { JsMsg } from '@nats-io/jetstream';
import { HEADERS } from '../headers/message-headers.js';

/**
 * A message's identity across redeliveries, re-publishes with the same msgID
 * and the copies the scheduler makes: its `Nats-Msg-Id`; on a scheduled or
 * rescheduled copy (the server does not copy `Nats-Msg-Id`) the one it was
 * published with; without either, its place in the stream.
 */
export function messageKeyOf(msg: JsMsg): string {
  return msg.headers?.get(HEADERS.msgId) || msg.headers?.get(HEADERS.originMsgId) || `${msg.info.stream}:${msg.info.streamSequence}`;
}

/** The marker's KV key: the consumer, then a digest of the message key (msgIDs may hold characters keys may not). */
export function markerKey(consumer: string, messageKey: string): string {
  return `${consumer}.${createHash('sha256').update(messageKey).digest('base64url')}`;
}

export interface IdempotentHandler {
  /** How long after processing a redelivery or re-publish is still recognised. */
  horizonMs: number;
}

/**
 * Reads `idempotent` from a handler's `@EventPattern` extras: `true` (the
 * default horizon) or `{ horizonMs }`; anything else is a programming error,
 * reported at start-up.
 */
export function idempotencyOf(extras: Record<string, unknown> | undefined, defaultHorizonMs: number): IdempotentHandler | undefined {
  const value = extras?.idempotent;
  if (value === undefined || value === false) return undefined;
  if (value === true) return { horizonMs: defaultHorizonMs };
  const horizonMs = (value as { horizonMs?: unknown } | null)?.horizonMs;
  if (typeof value === 'object' && Number.isInteger(horizonMs) && (horizonMs as number) >= 1000) return { horizonMs: horizonMs as number };
  throw new Error(`idempotent must be true or { horizonMs: <integer ≥ 1000> }, got ${JSON.stringify(value)}`);
}

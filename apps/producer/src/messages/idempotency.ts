import { createHash } from 'node:crypto';

/** Stored on messages published with an Idempotency-Key, so a repeat can be told apart from a reuse. */
export const PAYLOAD_DIGEST_HEADER = 'nestjet-payload-sha256';

export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;

/**
 * The Nats-Msg-Id for an Idempotency-Key: derived from who sent it, to which
 * topic, and the key, so one client's keys never collide with (or pre-claim)
 * another's, nor the same key across topics.
 */
export function idempotentMsgId(caller: string, topic: string, key: string): string {
  return `idem-${createHash('sha256').update(`${caller}\0${topic}\0${key}`).digest('base64url')}`;
}

/** Of the encoded payload: the same payload always encodes the same way, whatever the codec. */
export function payloadDigest(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

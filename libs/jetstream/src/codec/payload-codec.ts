import type { PayloadCodecName } from '#contracts';
import { Packr, Unpackr } from 'msgpackr';
import { checkJsonBounds, checkMessagePackBounds } from './payload-bounds.js';

/** Encodes a topic's payloads for the wire and decodes them back; `contentType` goes in the message's `content-type` header. */
export interface PayloadCodec {
  name: PayloadCodecName;
  contentType: string;
  encode(payload: unknown): Uint8Array | string;
  /**
   * Throws when the bytes are not a value of this encoding, not one JSON could
   * hold, or outside PAYLOAD_BOUNDS (a PayloadBoundsError says which).
   */
  decode(data: Uint8Array): unknown;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

// Plain MessagePack maps and arrays, no msgpackr record extension: any MessagePack library (Go, Python, Dapr) reads it.
const packr = new Packr({ useRecords: false, variableMapSize: true });
// Only bytes checkMessagePackBounds passed reach it: no extensions, integers within ±(2^53 − 1).
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

export const PAYLOAD_CODECS: Readonly<Record<PayloadCodecName, PayloadCodec>> = {
  json: {
    name: 'json',
    contentType: 'application/json',
    encode: (payload) => JSON.stringify(payload),
    decode: (data) => {
      const text = utf8.decode(data);
      checkJsonBounds(text);
      return JSON.parse(text);
    },
  },
  msgpack: {
    name: 'msgpack',
    contentType: 'application/msgpack',
    encode: (payload) => packr.pack(payload),
    decode: (data) => {
      checkMessagePackBounds(data);
      return unpackr.unpack(data);
    },
  },
};

/**
 * The codec a `content-type` names (parameters such as charset ignored).
 * A message without one is JSON, as every message was before codecs; an
 * unknown one is undefined.
 */
export function codecOfContentType(contentType: string | undefined): PayloadCodec | undefined {
  if (!contentType) return PAYLOAD_CODECS.json;
  // What nestjet itself writes, on every message a consumer reads: no parsing.
  if (contentType === PAYLOAD_CODECS.json.contentType) return PAYLOAD_CODECS.json;
  if (contentType === PAYLOAD_CODECS.msgpack.contentType) return PAYLOAD_CODECS.msgpack;
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  if (type === 'application/json' || type.endsWith('+json')) return PAYLOAD_CODECS.json;
  if (type === 'application/msgpack' || type === 'application/x-msgpack' || type === 'application/vnd.msgpack') return PAYLOAD_CODECS.msgpack;
  return undefined;
}

import type { PayloadCodecName } from '#contracts';
import { Packr, Unpackr } from 'msgpackr';

/** Encodes a topic's payloads for the wire and decodes them back; `contentType` goes in the message's `content-type` header. */
export interface PayloadCodec {
  name: PayloadCodecName;
  contentType: string;
  encode(payload: unknown): Uint8Array | string;
  /** Throws when the bytes are not a value of this encoding, or not one JSON could hold (see isJsonValue). */
  decode(data: Uint8Array): unknown;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

// Plain MessagePack maps and arrays, no msgpackr record extension: any MessagePack library (Go, Python, Dapr) reads it.
const packr = new Packr({ useRecords: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

export const PAYLOAD_CODECS: Readonly<Record<PayloadCodecName, PayloadCodec>> = {
  json: {
    name: 'json',
    contentType: 'application/json',
    encode: (payload) => JSON.stringify(payload),
    decode: (data) => JSON.parse(utf8.decode(data)),
  },
  msgpack: {
    name: 'msgpack',
    contentType: 'application/msgpack',
    encode: (payload) => packr.pack(payload),
    decode: (data) => {
      const value: unknown = unpackr.unpack(data);
      if (!isJsonValue(value)) throw new TypeError('the MessagePack value holds what JSON cannot (binary, timestamps, big integers, extension types)');
      return value;
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

/**
 * True for what JSON can hold: null, booleans, finite numbers, strings,
 * arrays and plain objects. MessagePack also carries binary, timestamps,
 * big integers and extension types; a payload with those has no JSON Schema
 * and could not be shown or replayed as JSON.
 */
export function isJsonValue(value: unknown, depth = 0): boolean {
  if (depth > 64) return false;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((v) => isJsonValue(v, depth + 1));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.values(value).every((v) => isJsonValue(v, depth + 1));
  }
  return false;
}

import { describe, expect, it } from '@jest/globals';
import { pack } from 'msgpackr';
import { codecOfContentType, PAYLOAD_CODECS } from './payload-codec.js';

const order = { orderId: 'ord-1', amount: 12.5, currency: 'EUR', region: 'eu', customerId: 'c-1', lines: [{ sku: 'A', quantity: 2 }] };

describe('payload codecs', () => {
  it.each(Object.values(PAYLOAD_CODECS))('$name round-trips a payload', (codec) => {
    const data = codec.encode(order);
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    expect(codec.decode(bytes)).toEqual(order);
  });

  it('MessagePack is plain maps (no record extension) and smaller than JSON', () => {
    const packed = PAYLOAD_CODECS.msgpack.encode(order) as Uint8Array;
    expect(packed[0]! & 0xf0).toBe(0x80); // fixmap
    expect(packed.byteLength).toBeLessThan(JSON.stringify(order).length);
  });

  it('picks the codec by content-type; no header is JSON; unknown is undefined', () => {
    expect(codecOfContentType(undefined)).toBe(PAYLOAD_CODECS.json);
    expect(codecOfContentType('application/json; charset=utf-8')).toBe(PAYLOAD_CODECS.json);
    expect(codecOfContentType('application/cloudevents+json')).toBe(PAYLOAD_CODECS.json);
    expect(codecOfContentType('Application/MsgPack')).toBe(PAYLOAD_CODECS.msgpack);
    expect(codecOfContentType('application/x-msgpack')).toBe(PAYLOAD_CODECS.msgpack);
    expect(codecOfContentType('text/plain')).toBeUndefined();
  });

  it('refuses malformed bytes', () => {
    expect(() => PAYLOAD_CODECS.json.decode(new Uint8Array([0xff]))).toThrow();
    expect(() => PAYLOAD_CODECS.msgpack.decode(new Uint8Array([0x01, 0x02]))).toThrow();
    expect(() => PAYLOAD_CODECS.msgpack.decode(new Uint8Array([]))).toThrow();
  });

  it('refuses a __proto__ key, as the ingress JSON parser does', () => {
    expect(() => PAYLOAD_CODECS.msgpack.decode(pack(new Map<string, unknown>([['__proto__', { polluted: 1 }], ['a', 1]])))).toThrow(/__proto__/);
  });

  it('refuses what only MessagePack carries', () => {
    expect(() => PAYLOAD_CODECS.msgpack.decode(pack({ at: new Date() }))).toThrow(/JSON cannot/);
    expect(() => PAYLOAD_CODECS.msgpack.decode(pack({ n: 2n ** 60n }))).toThrow(/2\^53/);
    expect(() => PAYLOAD_CODECS.msgpack.decode(pack({ b: new Uint8Array(2) }))).toThrow(/binary/);
    expect(() => PAYLOAD_CODECS.msgpack.decode(new Uint8Array([0xd7, 0xff, 0, 0, 0, 0, 0, 0, 0, 1]))).toThrow(/JSON cannot/);
    expect(() => PAYLOAD_CODECS.msgpack.decode(new Uint8Array([0xc1]))).toThrow(/JSON cannot/);
  });

  it('decodes 64-bit integers inside ±(2^53 − 1) as numbers', () => {
    const uint64 = new Uint8Array([0x81, 0xa1, 0x6e, 0xcf, 0, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expect(PAYLOAD_CODECS.msgpack.decode(uint64)).toEqual({ n: Number.MAX_SAFE_INTEGER });
    const int64 = new Uint8Array([0x91, 0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]);
    expect(PAYLOAD_CODECS.msgpack.decode(int64)).toEqual([-2]);
  });
});

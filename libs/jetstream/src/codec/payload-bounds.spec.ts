import { describe, expect, it } from '@jest/globals';
import { PAYLOAD_BOUNDS } from '#contracts';
import fc from 'fast-check';
import { Packr, pack } from 'msgpackr';
import { checkJsonBounds, checkMessagePackBounds, PayloadBoundsError } from './payload-bounds.js';
import { PAYLOAD_CODECS } from './payload-codec.js';
import { propertyRuns } from '../../../../test/support/property-runs.js';

const fcOptions = propertyRuns(300);

/** msgpackr's structured-clone encoding of `[p, p]` nested `depth` times: each level two references to the one below. */
function sharedReferences(depth: number): Uint8Array {
  let node: unknown[] = ['x'];
  for (let i = 0; i < depth; i++) node = [node, node];
  return new Packr({ structuredClone: true, useRecords: false }).pack({ orderId: 'o', lines: node });
}

const small = { ...PAYLOAD_BOUNDS, maxDepth: 8, maxNodes: 50 };

describe('payload bounds', () => {
  it('refuses msgpackr shared references (depth 22 and 30: 2^22 and 2^30 nodes if expanded) at once', () => {
    for (const depth of [22, 30]) {
      const bytes = sharedReferences(depth);
      expect(bytes.byteLength).toBeLessThan(1024);
      expect(() => checkMessagePackBounds(bytes)).toThrow(/extension type/);
      expect(() => PAYLOAD_CODECS.msgpack.decode(bytes)).toThrow(PayloadBoundsError);
    }
  });

  it('refuses nesting past maxDepth in both encodings, without recursion (a million levels)', () => {
    const deepJson = '['.repeat(1_000_000) + ']'.repeat(1_000_000);
    expect(() => checkJsonBounds(deepJson)).toThrow(/deeper than 64/);
    const deepObject = '{"a":'.repeat(3_000) + '1' + '}'.repeat(3_000);
    expect(() => PAYLOAD_CODECS.json.decode(new TextEncoder().encode(deepObject))).toThrow(/deeper than 64/);
    const deepPack = new Uint8Array(1_000_000).fill(0x91);
    expect(() => checkMessagePackBounds(deepPack)).toThrow(/deeper than 64/);
    expect(() => checkJsonBounds('['.repeat(8) + ']'.repeat(8), small)).not.toThrow();
    expect(() => checkJsonBounds('['.repeat(9) + ']'.repeat(9), small)).toThrow(/deeper than 8/);
  });

  it('ignores brackets and commas inside JSON strings, escaped quotes included', () => {
    expect(() => checkJsonBounds(JSON.stringify({ s: '[[[[[[[[[[[[,,,,,,,"\\"[[[[[[' }), small)).not.toThrow();
  });

  it('counts values against maxNodes', () => {
    expect(() => checkJsonBounds(JSON.stringify(Array.from({ length: 49 }, () => 0)), small)).not.toThrow();
    expect(() => checkJsonBounds(JSON.stringify(Array.from({ length: 50 }, () => 0)), small)).toThrow(/more than 50 values/);
    expect(() => checkMessagePackBounds(pack(Array.from({ length: 49 }, () => 0)), small)).not.toThrow();
    expect(() => checkMessagePackBounds(pack(Array.from({ length: 50 }, () => 0)), small)).toThrow(/more than 50 values/);
  });

  it('refuses counts the bytes cannot hold, truncation and trailing bytes', () => {
    expect(() => checkMessagePackBounds(new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff, 0x01]))).toThrow(/truncated/);
    expect(() => checkMessagePackBounds(new Uint8Array([0xdf, 0x7f, 0xff, 0xff, 0xff]))).toThrow(/truncated/);
    expect(() => checkMessagePackBounds(new Uint8Array([0xdb, 0x7f, 0xff, 0xff, 0xff, 0x61]))).toThrow(/truncated/);
    expect(() => checkMessagePackBounds(new Uint8Array([]))).toThrow(/truncated/);
    expect(() => checkMessagePackBounds(new Uint8Array([0x01, 0x02]))).toThrow(/bytes follow/);
  });

  it('refuses invalid UTF-8, non-string keys, non-finite floats and integers JSON cannot hold exactly', () => {
    expect(() => checkMessagePackBounds(new Uint8Array([0xa2, 0xff, 0xfe]))).toThrow(/UTF-8/);
    expect(() => checkMessagePackBounds(new Uint8Array([0x81, 0x01, 0x02]))).toThrow(/key is not a string/);
    expect(() => checkMessagePackBounds(new Uint8Array([0xcb, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0]))).toThrow(/NaN or infinite/);
    expect(() => checkMessagePackBounds(new Uint8Array([0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0]))).toThrow(/2\^53/);
  });

  it('accepts every JSON value msgpackr encodes and decodes it to the same value', () => {
    fc.assert(
      // A __proto__ key is refused on purpose (see the codec spec).
      fc.property(fc.jsonValue({ maxDepth: 6 }).filter((v) => !JSON.stringify(v).includes('"__proto__"')), (value) => {
        const normal = JSON.parse(JSON.stringify(value)) as unknown;
        expect(PAYLOAD_CODECS.msgpack.decode(PAYLOAD_CODECS.msgpack.encode(normal) as Uint8Array)).toEqual(normal);
        expect(PAYLOAD_CODECS.json.decode(new TextEncoder().encode(JSON.stringify(normal)))).toEqual(normal);
      }),
      fcOptions,
    );
  });

  it('answers any bytes at all with a value or an error, never more values than the bounds allow', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        try {
          PAYLOAD_CODECS.msgpack.decode(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(Error);
        }
      }),
      propertyRuns(3000),
    );
  });
});

import fc from 'fast-check';
import { Packr } from 'msgpackr';

/** A body that must be refused (4xx at the ingress, a dead letter on the bus), never decoded into something that stalls a process. */
export interface HostilePayload {
  kind: string;
  contentType: 'application/json' | 'application/msgpack';
  bytes: Uint8Array;
}

const order = { orderId: 'hostile-1', customerId: 'c-1', amount: 10, currency: 'EUR', region: 'eu' };
const plain = new Packr({ useRecords: false, variableMapSize: true });
const structuredClone = new Packr({ structuredClone: true, useRecords: false });
const utf8 = new TextEncoder();
const msgpack = (kind: string, bytes: Uint8Array): HostilePayload => ({ kind, contentType: 'application/msgpack', bytes });
const json = (kind: string, text: string | Uint8Array): HostilePayload => ({ kind, contentType: 'application/json', bytes: typeof text === 'string' ? utf8.encode(text) : text });
const concat = (...parts: (Uint8Array | number[])[]) => Uint8Array.from(parts.flatMap((p) => [...p]));

/** An order whose `lines` is `[p, p]` nested `depth` times in msgpackr's structured-clone encoding: under 1 KB, 2^depth nodes if expanded. */
export function sharedReferences(depth: number): Uint8Array {
  let node: unknown[] = [{ sku: 'a', quantity: 1 }];
  for (let i = 0; i < depth; i++) node = [node, node];
  return structuredClone.pack({ ...order, lines: node });
}

/** An order with `field` set to raw MessagePack bytes (the order is a fixmap of 6: its 5 fields and this one). */
const orderWithRaw = (field: string, raw: Uint8Array) => {
  const head = plain.pack(order);
  // Re-count the map: fixmap 0x85 becomes 0x86, then the extra key and its raw value.
  return concat([0x86], head.subarray(1), plain.pack(field), raw);
};

const u32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];

export function hostilePayloads(): fc.Arbitrary<HostilePayload> {
  return fc.oneof(
    fc.integer({ min: 1, max: 40 }).map((d) => msgpack(`shared references, depth ${d}`, sharedReferences(d))),
    fc.integer({ min: 65, max: 300_000 }).map((n) => msgpack(`${n} nested arrays`, concat(new Uint8Array(n).fill(0x91), [0xc0]))),
    fc.integer({ min: 65, max: 100_000 }).map((n) => msgpack(`${n} nested maps`, concat(...Array.from({ length: n }, () => [0x81, 0xa1, 0x61]), [0xc0]))),
    fc.integer({ min: 1_000, max: 0xffffffff }).map((n) => msgpack(`array claiming ${n} items`, concat([0xdd, ...u32(n)], [0x01, 0x02]))),
    fc.integer({ min: 1_000, max: 0xffffffff }).map((n) => msgpack(`map claiming ${n} entries`, concat([0xdf, ...u32(n)], [0xa1, 0x61, 0x01]))),
    fc.integer({ min: 20_000, max: 65_535 }).map((n) => msgpack(`a map of ${n} keys`, plain.pack(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]))))),
    fc.integer({ min: 20_000, max: 300_000 }).map((n) => msgpack(`an array of ${n} values`, concat([0xdd, ...u32(n)], new Uint8Array(n)))),
    fc
      .record({ type: fc.integer({ min: -128, max: 127 }), data: fc.uint8Array({ minLength: 1, maxLength: 16 }) })
      .map(({ type, data }) => msgpack(`extension type ${type}`, orderWithRaw('lines', concat([0xc7, data.length, type & 0xff], data)))),
    fc.constantFrom(
      msgpack('a timestamp', orderWithRaw('createdAt', Uint8Array.from([0xd6, 0xff, 0, 0, 0, 1]))),
      msgpack('binary', orderWithRaw('note', Uint8Array.from([0xc4, 0x02, 0x00, 0x01]))),
      msgpack('a uint64 beyond 2^53', orderWithRaw('quantity', Uint8Array.from([0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))),
      msgpack('an int64 below −2^53', orderWithRaw('quantity', Uint8Array.from([0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0]))),
      msgpack('a NaN', orderWithRaw('amount2', Uint8Array.from([0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0]))),
      msgpack('invalid UTF-8', orderWithRaw('note', Uint8Array.from([0xa3, 0xed, 0xa0, 0x80]))),
      msgpack('a __proto__ key', orderWithRaw('__proto__', plain.pack({ polluted: true }))),
      msgpack('the never-used type', Uint8Array.from([0xc1])),
      json('invalid UTF-8', Uint8Array.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])),
    ),
    fc.integer({ min: 65, max: 400_000 }).map((n) => json(`${n} nested arrays`, '['.repeat(n) + ']'.repeat(n))),
    fc.integer({ min: 65, max: 100_000 }).map((n) => json(`an order nested ${n} deep`, JSON.stringify({ ...order, lines: 0 }).replace('0}', `${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`))),
    fc.integer({ min: 262_144, max: 400_000 }).map((n) => json(`an array of ${n} values`, `[${'0,'.repeat(n - 1)}0]`)),
  );
}

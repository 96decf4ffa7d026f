import { isUtf8 } from 'node:buffer';
import { PAYLOAD_BOUNDS, type PayloadBounds } from '#contracts';

/** A payload refused for its shape (not merely malformed): its message says which bound or rule. */
export class PayloadBoundsError extends TypeError {
  override readonly name = 'PayloadBoundsError';
}

function tooBig(bytes: number, bounds: PayloadBounds): void {
  if (bytes > bounds.maxBytes) throw new PayloadBoundsError(`the payload is ${bytes} bytes, more than ${bounds.maxBytes}`);
}

const tooDeep = (bounds: PayloadBounds) => new PayloadBoundsError(`the payload is nested deeper than ${bounds.maxDepth} levels`);
const tooMany = (bounds: PayloadBounds) => new PayloadBoundsError(`the payload has more than ${bounds.maxNodes} values`);

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/**
 * Checks a JSON text's nesting depth and value count before JSON.parse sees it.
 * It only counts brackets and commas outside strings: whether the text is JSON
 * at all is JSON.parse's to say, afterwards.
 */
export function checkJsonBounds(text: string, bounds: PayloadBounds = PAYLOAD_BOUNDS): void {
  tooBig(text.length, bounds);
  let depth = 0;
  let nodes = 1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > bounds.maxDepth) throw tooDeep(bounds);
      if (++nodes > bounds.maxNodes) throw tooMany(bounds);
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
    else if (c === COMMA && ++nodes > bounds.maxNodes) throw tooMany(bounds);
  }
}

/** What JSON cannot hold; MessagePack carries these, a payload must not. */
const NOT_JSON: Readonly<Record<number, string>> = {
  0xc1: 'the never-used type 0xc1',
  0xc4: 'binary',
  0xc5: 'binary',
  0xc6: 'binary',
  0xc7: 'an extension type',
  0xc8: 'an extension type',
  0xc9: 'an extension type',
  0xd4: 'an extension type',
  0xd5: 'an extension type',
  0xd6: 'an extension type',
  0xd7: 'an extension type',
  0xd8: 'an extension type',
};

const PROTO_KEY = Buffer.from('__proto__');

/**
 * Checks that MessagePack bytes are exactly one plain value JSON could hold —
 * nil, booleans, finite floats, integers within ±(2^53 − 1), valid UTF-8
 * strings, arrays, and maps with string keys — within `bounds`, in one pass
 * without recursion and before any value is built. Extension types are
 * refused, and with them msgpackr's structured-clone references (a 358-byte
 * body of shared references once expanded to gigabytes when walked).
 */
export function checkMessagePackBounds(bytes: Uint8Array, bounds: PayloadBounds = PAYLOAD_BOUNDS): void {
  tooBig(bytes.byteLength, bounds);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.byteLength;
  // Per open container: items still to read (a map counts keys and values), and whether it is a map.
  const left: number[] = [];
  const isMap: boolean[] = [];
  let pos = 0;
  let nodes = 0;
  const need = (n: number) => {
    if (pos + n > end) throw new PayloadBoundsError('the MessagePack value is truncated');
  };
  const open = (items: number, map: boolean) => {
    // Every item takes at least one byte: a count the rest of the bytes cannot hold is a lie, refused before reading on.
    if (items > end - pos) throw new PayloadBoundsError('the MessagePack value is truncated');
    if (items === 0) return false;
    if (left.length >= bounds.maxDepth) throw tooDeep(bounds);
    left.push(items);
    isMap.push(map);
    return true;
  };
  const string = (length: number, isKey: boolean) => {
    need(length);
    const s = bytes.subarray(pos, pos + length);
    if (!isUtf8(s)) throw new PayloadBoundsError('a MessagePack string is not valid UTF-8');
    if (isKey && length === PROTO_KEY.length && PROTO_KEY.equals(s)) throw new PayloadBoundsError('the key __proto__ is not allowed');
    pos += length;
  };
  const integer = (value: number | bigint) => {
    if (typeof value === 'bigint' && (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER))) {
      throw new PayloadBoundsError('an integer is beyond ±(2^53 − 1), which JSON numbers cannot hold exactly');
    }
  };
  const float = (value: number) => {
    if (!Number.isFinite(value)) throw new PayloadBoundsError('a float is NaN or infinite, which JSON cannot hold');
  };

  for (;;) {
    need(1);
    if (++nodes > bounds.maxNodes) throw tooMany(bounds);
    const depth = left.length;
    const isKey = depth > 0 && isMap[depth - 1]! && left[depth - 1]! % 2 === 0;
    const b = bytes[pos++]!;
    let opened = false;
    if (isKey && !((b >= 0xa0 && b <= 0xbf) || (b >= 0xd9 && b <= 0xdb))) throw new PayloadBoundsError('a MessagePack map key is not a string');
    if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) {
      // fixint, nil, false, true: the byte is the value
    } else if (b <= 0x8f) opened = open((b & 0x0f) * 2, true);
    else if (b <= 0x9f) opened = open(b & 0x0f, false);
    else if (b <= 0xbf) string(b & 0x1f, isKey);
    else if (NOT_JSON[b]) throw new PayloadBoundsError(`the MessagePack value holds ${NOT_JSON[b]}, which JSON cannot hold`);
    else {
      switch (b) {
        case 0xca: need(4); float(view.getFloat32(pos)); pos += 4; break;
        case 0xcb: need(8); float(view.getFloat64(pos)); pos += 8; break;
        case 0xcc: case 0xd0: need(1); pos += 1; break;
        case 0xcd: case 0xd1: need(2); pos += 2; break;
        case 0xce: case 0xd2: need(4); pos += 4; break;
        case 0xcf: need(8); integer(view.getBigUint64(pos)); pos += 8; break;
        case 0xd3: need(8); integer(view.getBigInt64(pos)); pos += 8; break;
        case 0xd9: need(1); string(view.getUint8(pos++), isKey); break;
        case 0xda: need(2); pos += 2; string(view.getUint16(pos - 2), isKey); break;
        case 0xdb: need(4); pos += 4; string(view.getUint32(pos - 4), isKey); break;
        case 0xdc: need(2); pos += 2; opened = open(view.getUint16(pos - 2), false); break;
        case 0xdd: need(4); pos += 4; opened = open(view.getUint32(pos - 4), false); break;
        case 0xde: need(2); pos += 2; opened = open(view.getUint16(pos - 2) * 2, true); break;
        case 0xdf: need(4); pos += 4; opened = open(view.getUint32(pos - 4) * 2, true); break;
        default: throw new PayloadBoundsError(`unknown MessagePack type 0x${b.toString(16)}`);
      }
    }
    if (opened) continue;
    // One value complete: count it off its container, closing every container it completes.
    while (left.length > 0) {
      const top = left.length - 1;
      if (--left[top]! > 0) break;
      left.pop();
      isMap.pop();
    }
    if (left.length === 0) break;
  }
  if (pos !== end) throw new PayloadBoundsError('bytes follow the MessagePack value');
}

/**
 * What a decoded payload may cost. Every payload is read from bytes a caller or
 * another process chose (an HTTP body, a message on the bus, a DLQ record), and
 * some of the code that then walks it recurses (class-validator, the reserved-key
 * check, handlers, JSON.stringify), so the decoders check these bounds on the
 * bytes, in one pass without recursion, before anything is built:
 * - depth: JSON.parse itself is iterative in V8, but a body of 500,000 `[` takes
 *   it ~0.6 s, and every recursive walk after it overflows the stack;
 * - nodes: with depth and nodes bounded, every later walk is linear and short;
 * - bytes: the decoded value is no bigger than this many input bytes.
 * A real payload is far inside these: an order is 3 levels and tens of values;
 * a 1 MiB batch of orders with 500 lines each is about 100,000 values.
 */
export interface PayloadBounds {
  maxDepth: number;
  maxNodes: number;
  maxBytes: number;
}

export const PAYLOAD_BOUNDS: Readonly<PayloadBounds> = { maxDepth: 64, maxNodes: 262_144, maxBytes: 8 * 1024 * 1024 };

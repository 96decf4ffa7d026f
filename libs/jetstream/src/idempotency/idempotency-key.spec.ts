import type { JsMsg } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { idempotencyOf, markerKey, messageKeyOf } from './idempotency-key.js';

function message(h: Record<string, string>, stream = 'ORDERS', streamSequence = 42): JsMsg {
  const hdrs = headers();
  for (const [k, v] of Object.entries(h)) hdrs.set(k, v);
  return { headers: Object.keys(h).length > 0 ? hdrs : undefined, info: { stream, streamSequence } } as unknown as JsMsg;
}

describe('messageKeyOf', () => {
  it('is the Nats-Msg-Id, else the msgID a scheduled copy was published with, else the stream position', () => {
    expect(messageKeyOf(message({ 'Nats-Msg-Id': 'idem-a', 'nestjet-origin-msg-id': 'idem-b' }))).toBe('idem-a');
    expect(messageKeyOf(message({ 'nestjet-origin-msg-id': 'idem-b' }))).toBe('idem-b');
    expect(messageKeyOf(message({}))).toBe('ORDERS:42');
  });
});

describe('markerKey', () => {
  it('is the consumer and a digest, a valid KV key whatever the msgID holds, distinct per consumer', () => {
    const key = markerKey('fulfillment', 'weird id with spaces/*>');
    expect(key).toMatch(/^fulfillment\.[A-Za-z0-9_-]{43}$/);
    expect(markerKey('fulfillment', 'x')).toBe(markerKey('fulfillment', 'x'));
    expect(markerKey('notifications', 'x')).not.toBe(markerKey('fulfillment', 'x'));
  });
});

describe('idempotencyOf', () => {
  it('reads true (default horizon) and { horizonMs }; absent or false is not idempotent', () => {
    expect(idempotencyOf({ idempotent: true }, 5000)).toEqual({ horizonMs: 5000 });
    expect(idempotencyOf({ idempotent: { horizonMs: 60_000 } }, 5000)).toEqual({ horizonMs: 60_000 });
    expect(idempotencyOf({}, 5000)).toBeUndefined();
    expect(idempotencyOf({ idempotent: false }, 5000)).toBeUndefined();
    expect(idempotencyOf(undefined, 5000)).toBeUndefined();
  });

  it.each([['yes'], [1], [{ horizonMs: 10 }], [{ horizonMs: '1h' }], [{}], [null]])('refuses idempotent: %j at start-up', (value) => {
    expect(() => idempotencyOf({ idempotent: value }, 5000)).toThrow(/idempotent must be true or \{ horizonMs/);
  });
});

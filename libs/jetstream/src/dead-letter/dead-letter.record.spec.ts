import { describe, expect, it } from '@jest/globals';
import type { StoredMsg } from '@nats-io/jetstream';
import { toMsgHdrs, type HeaderEntries } from '../headers/message-headers.js';
import { decodeDeadLetter, DLQ_HEADERS, encodeDeadLetter, type DeadLetterFacts } from './dead-letter.record.js';

const facts: DeadLetterFacts = {
  kind: 'max_deliveries',
  subject: 'orders.created.eu.std',
  stream: 'ORDERS',
  streamSequence: 42,
  consumer: 'fulfillment',
  deliveryCount: 3,
  reason: 'Error: db down',
  errorName: 'Error',
  handler: 'orders.created',
  firstFailureAt: '2026-11-28T10:00:00.000Z',
  lastFailureAt: '2026-11-28T10:00:02.000Z',
  routedAt: '2026-11-28T10:00:02.050Z',
  originalTime: '2026-11-28T09:59:59.000Z',
  originalMsgId: 'order-1001',
  originalMissing: false,
};

const original: HeaderEntries = [
  ['Nats-Msg-Id', 'order-1001'],
  ['traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'],
  ['x-tenant', 'a'],
  ['x-tenant', 'b'],
];

/** The stored DLQ copy as direct get returns it: headers, bytes and the DLQ sequence. */
function stored(headers: HeaderEntries, data: Uint8Array, seq = 7): StoredMsg {
  return { seq, data, header: toMsgHdrs(headers), subject: 'dlq.ORDERS.fulfillment', time: new Date(), timestamp: '' } as unknown as StoredMsg;
}

describe('DLQ record codec', () => {
  it('decodes every fact it encodes, with one set of names', () => {
    const data = new TextEncoder().encode('{"orderId":"1001"}');
    const { record, data: bytes, originalHeaders } = decodeDeadLetter(stored(encodeDeadLetter(facts, original), data));
    const { id, headers, payload, traceId, ...decoded } = record;
    expect(decoded).toEqual(facts);
    expect(id).toBe(7);
    expect(payload).toEqual({ orderId: '1001' });
    expect(bytes).toBe(data);
    expect(traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    // The original's own headers, repeats kept; the server's Nats-* headers are facts, not copied.
    expect(headers).toEqual({ traceparent: [original[1]![1]], 'x-tenant': ['a', 'b'] });
    expect(originalHeaders).toEqual(original.slice(1));
  });

  it('omits optional facts that are absent and reads them back as absent', () => {
    const missing = { ...facts, originalTime: undefined, originalMsgId: undefined, originalMissing: true };
    const encoded = encodeDeadLetter(missing, []);
    expect(encoded.map(([k]) => k)).not.toContain(DLQ_HEADERS.originalTime);
    const { record } = decodeDeadLetter(stored(encoded, new Uint8Array()));
    expect(record).toMatchObject({ originalMissing: true, payload: null });
    expect(record.originalTime).toBeUndefined();
    expect(record.originalMsgId).toBeUndefined();
  });

  it('keeps header values on one line and drops forged DLQ headers of the original', () => {
    const encoded = encodeDeadLetter({ ...facts, reason: 'line one\r\nline two' }, [[DLQ_HEADERS.consumer, 'forged']]);
    expect(encoded.filter(([k]) => k === DLQ_HEADERS.consumer)).toEqual([[DLQ_HEADERS.consumer, 'fulfillment']]);
    expect(decodeDeadLetter(stored(encoded, new Uint8Array())).record.reason).toBe('line one line two');
  });

  it('shows a payload that is not JSON as text', () => {
    const { record } = decodeDeadLetter(stored(encodeDeadLetter(facts, []), new TextEncoder().encode('not json')));
    expect(record.payload).toBe('not json');
  });
});

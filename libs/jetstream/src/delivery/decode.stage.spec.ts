import type { TopicDeclaration } from '#contracts';
import { describe, expect, it } from '@jest/globals';
import type { JsMsg } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { NonRetryableError, PayloadValidationError } from '../errors/non-retryable.error.js';
import type { ConsumerBinding } from '../transport/consumer-bindings.js';
import { DecodeStage } from './decode.stage.js';
import { Delivery, type DeliveryHandler } from './delivery.js';
import type { VersionedHandler } from './payload-reader.js';

const binding: ConsumerBinding = { stream: 'ORDERS', durable: 'fulfillment-p1', consumer: 'fulfillment', maxDeliver: 3, retryDelaysMs: [100], concurrency: 1, prefetch: 0, maxKeepAliveMs: 0 };

function delivery(data: string | Uint8Array, h: Record<string, string> = {}, extras?: Record<string, unknown>): Delivery {
  const hdrs = headers();
  for (const [k, v] of Object.entries(h)) hdrs.set(k, v);
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const msg = { subject: 'orders.created.eu.std', data: bytes, headers: hdrs, info: { stream: 'ORDERS', streamSequence: 7, deliveryCount: 1 }, time: new Date() };
  const d = new Delivery(binding, msg as unknown as JsMsg);
  const handler: DeliveryHandler = Object.assign(async () => undefined, { extras });
  d.route = { pattern: 'orders.created', handler };
  return d;
}

describe('DecodeStage', () => {
  it('fails a delivery no handler takes as non-retryable, naming subject and durable', () => {
    const d = delivery('{}');
    d.route = null;
    new DecodeStage().run(d);
    expect(d.error).toBeInstanceOf(NonRetryableError);
    expect(d.error?.message).toBe('no handler for subject orders.created.eu.std on consumer fulfillment-p1');
    expect(d.payload).toBeUndefined();
  });

  it('decodes a JSON payload, with or without content-type', () => {
    const d = delivery('{"orderId":"o-1","total":12.5}');
    new DecodeStage().run(d);
    expect(d.error).toBeUndefined();
    expect(d.payload).toEqual({ orderId: 'o-1', total: 12.5 });
    const typed = delivery('[1,2]', { 'content-type': 'application/cloudevents+json; charset=utf-8' });
    new DecodeStage().run(typed);
    expect(typed.payload).toEqual([1, 2]);
  });

  it('fails invalid JSON as a payload validation error, no payload set', () => {
    const d = delivery('{"orderId":');
    new DecodeStage().run(d);
    expect(d.error).toBeInstanceOf(PayloadValidationError);
    expect(d.error?.message).toMatch(/^payload is not valid JSON: /);
    expect(d.payload).toBeUndefined();
  });

  it('fails bytes that are not UTF-8 as invalid JSON', () => {
    const d = delivery(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
    new DecodeStage().run(d);
    expect(d.error).toBeInstanceOf(PayloadValidationError);
  });

  it('fails an unsupported content-type before decoding', () => {
    const d = delivery('{}', { 'content-type': 'text/xml' });
    new DecodeStage().run(d);
    expect(d.error).toBeInstanceOf(PayloadValidationError);
    expect(d.error?.message).toBe('unsupported content-type text/xml');
  });

  it("upcasts an older version to the handler's", () => {
    const versioned: VersionedHandler = {
      topic: { name: 'orders.created' } as TopicDeclaration,
      version: 2,
      versions: [1, 2],
      upcast: { 1: (p) => ({ ...(p as object), currency: 'EUR' }) },
    };
    const d = delivery('{"total":3}', { 'ce-type': 'orders.created.v1' }, { versioned });
    new DecodeStage().run(d);
    expect(d.error).toBeUndefined();
    expect(d.payload).toEqual({ total: 3, currency: 'EUR' });
    const newer = delivery('{"total":3}', { 'ce-type': 'orders.created.v3' }, { versioned });
    new DecodeStage().run(newer);
    expect(newer.error).toBeInstanceOf(NonRetryableError);
    expect(newer.error?.message).toMatch(/version 3 is newer than this handler's version 2/);
  });
});

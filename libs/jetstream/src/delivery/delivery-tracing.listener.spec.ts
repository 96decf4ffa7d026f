import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { JsMsg } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { propagation, SpanStatusCode, trace, type TextMapPropagator } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { traceparentSampled } from '#telemetry';
import type { ConsumerBinding } from '../transport/consumer-bindings.js';
import { Delivery, type Outcome } from './delivery.js';
import { DeliveryTracingListener } from './delivery-tracing.listener.js';

const binding: ConsumerBinding = { stream: 'ORDERS', durable: 'fulfillment-p1', consumer: 'fulfillment', maxDeliver: 3, retryDelaysMs: [100], concurrency: 1, prefetch: 0, maxKeepAliveMs: 0 };
const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SAMPLED = `00-${TRACE_ID}-b7ad6b7169203331-01`;
const UNSAMPLED = `00-${TRACE_ID}-b7ad6b7169203331-00`;

function delivery(traceparent?: string): Delivery {
  const hdrs = headers();
  if (traceparent) hdrs.set('traceparent', traceparent);
  const msg = { subject: 'orders.created.eu.std', data: new Uint8Array(3), headers: hdrs, info: { stream: 'ORDERS', streamSequence: 7, deliveryCount: 1 }, time: new Date() };
  return new Delivery(binding, msg as unknown as JsMsg);
}

const work = (outcome: Outcome = 'ack') => jest.fn(async () => outcome);

describe('traceparentSampled', () => {
  it('reads the sampled flag, undefined for a missing or malformed traceparent', () => {
    expect(traceparentSampled(SAMPLED)).toBe(true);
    expect(traceparentSampled(UNSAMPLED)).toBe(false);
    expect(traceparentSampled(`00-${TRACE_ID}-b7ad6b7169203331-03`)).toBe(true);
    expect(traceparentSampled(undefined)).toBeUndefined();
    expect(traceparentSampled('')).toBeUndefined();
    expect(traceparentSampled('garbage')).toBeUndefined();
    expect(traceparentSampled(`01-${TRACE_ID}-b7ad6b7169203331-01`)).toBeUndefined();
    expect(traceparentSampled(`00-${TRACE_ID}-b7ad6b7169203331-zz`)).toBeUndefined();
  });
});

describe('DeliveryTracingListener without a tracer provider', () => {
  it('runs an unsampled delivery untraced when sampling follows the parent', async () => {
    const d = delivery(UNSAMPLED);
    const run = work('nak');
    expect(await new DeliveryTracingListener(true).around(d, run)).toBe('nak');
    expect(run).toHaveBeenCalledTimes(1);
    expect(d.trace).toBeUndefined();
  });

  it('hands back the work\'s own promise for an unsampled delivery: no wrapper, no extra microtasks', () => {
    const handled = Promise.resolve<Outcome>('ack');
    expect(new DeliveryTracingListener(true).around(delivery(UNSAMPLED), () => handled)).toBe(handled);
  });

  it('reads nothing but the traceparent of an unsampled delivery', async () => {
    const d = delivery();
    const get = jest.fn((name: string) => (name === 'traceparent' ? UNSAMPLED : ''));
    (d.msg as { headers: unknown }).headers = { get };
    await new DeliveryTracingListener(true).around(d, work());
    expect(get.mock.calls).toEqual([['traceparent']]);
  });

  it('keeps no span when the no-op tracer records none', async () => {
    const d = delivery(SAMPLED);
    expect(await new DeliveryTracingListener(false).around(d, work())).toBe('ack');
    expect(d.trace).toBeUndefined();
  });
});

/** Just enough W3C extraction for the parent-based sampler to see the parent's flags. */
const w3c: TextMapPropagator = {
  inject: () => undefined,
  fields: () => ['traceparent'],
  extract(ctx, carrier, getter) {
    const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(String(getter.get(carrier, 'traceparent') ?? ''));
    return m ? trace.setSpanContext(ctx, { traceId: m[1]!, spanId: m[2]!, traceFlags: parseInt(m[3]!, 16), isRemote: true }) : ctx;
  },
};

describe('DeliveryTracingListener with a tracer provider', () => {
  const exporter = new InMemorySpanExporter();
  beforeAll(() => {
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    propagation.setGlobalPropagator(w3c);
  });
  afterAll(() => {
    trace.disable();
    propagation.disable();
  });
  beforeEach(() => exporter.reset());

  it("records a sampled parent's child span with the outcome", async () => {
    const d = delivery(SAMPLED);
    const listener = new DeliveryTracingListener(true);
    expect(await listener.around(d, work('nak'))).toBe('nak');
    expect(d.trace).toBeDefined();
    const [span, ...more] = exporter.getFinishedSpans();
    expect(more).toEqual([]);
    expect(span!.name).toBe('process orders.created.eu.std');
    expect(span!.spanContext().traceId).toBe(TRACE_ID);
    expect(span!.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(span!.attributes).toMatchObject({ 'nestjet.outcome': 'nak', 'messaging.destination.name': 'orders.created.eu.std' });
  });

  it('marks the span failed with the error the delivery failed with', async () => {
    const d = delivery(SAMPLED);
    const listener = new DeliveryTracingListener(true);
    await listener.around(d, async () => {
      d.error = new Error('db down');
      listener.failed(d);
      return 'nak';
    });
    const [span] = exporter.getFinishedSpans();
    expect(span!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'db down' });
    expect(span!.events.map((e) => e.name)).toEqual(['exception']);
  });

  it('records nothing for an unsampled parent, skipped or declined by the sampler', async () => {
    for (const followsParent of [true, false]) {
      const d = delivery(UNSAMPLED);
      const run = work();
      expect(await new DeliveryTracingListener(followsParent).around(d, run)).toBe('ack');
      expect(run).toHaveBeenCalledTimes(1);
      expect(d.trace).toBeUndefined();
    }
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('hands the recorded span\'s context to the handler in both modes (explicit: not made the active one)', async () => {
    for (const mode of ['active', 'explicit'] as const) {
      exporter.reset();
      const d = delivery(SAMPLED);
      await new DeliveryTracingListener(true, mode).around(d, work());
      const [span] = exporter.getFinishedSpans();
      expect(trace.getSpan(d.traceContext!)?.spanContext().spanId).toBe(span!.spanContext().spanId);
    }
  });

  it('records a root span for a delivery without a traceparent', async () => {
    const d = delivery();
    await new DeliveryTracingListener(true).around(d, work());
    const [span] = exporter.getFinishedSpans();
    expect(span!.parentSpanContext).toBeUndefined();
    expect(span!.attributes['nestjet.outcome']).toBe('ack');
  });
});

import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { NestjetMetrics } from './nestjet.metrics.js';

/** A sample's value in the text exposition, or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('NestjetMetrics', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('keeps what each instance records in its own registry', async () => {
    const a = new NestjetMetrics();
    const b = new NestjetMetrics();
    a.topic('orders.created').published.stored.inc();
    a.consumer('fulfillment').processed.ack.inc();
    b.bound.inc({ consumer: 'fulfillment' });

    const [textA, textB] = await Promise.all([a.registry.metrics(), b.registry.metrics()]);
    expect(sample(textA, 'nestjet_published_messages_total{topic="orders.created",result="stored"}')).toBe(1);
    expect(sample(textA, 'nestjet_processed_messages_total{consumer="fulfillment",outcome="ack"}')).toBe(1);
    expect(sample(textA, 'nestjet_consumer_bound{consumer="fulfillment"}')).toBeUndefined();
    expect(sample(textB, 'nestjet_published_messages_total{topic="orders.created",result="stored"}')).toBeUndefined();
    expect(sample(textB, 'nestjet_consumer_bound{consumer="fulfillment"}')).toBe(1);
  });

  it('hands out the same bound children for a topic or consumer on every call', () => {
    const metrics = new NestjetMetrics();
    expect(metrics.topic('orders.created')).toBe(metrics.topic('orders.created'));
    expect(metrics.consumer('fulfillment')).toBe(metrics.consumer('fulfillment'));
    expect(metrics.topic('orders.paid')).not.toBe(metrics.topic('orders.created'));
    // Per instance: another app's metrics bind their own children.
    expect(new NestjetMetrics().consumer('fulfillment')).not.toBe(metrics.consumer('fulfillment'));
  });

  it('exposes the process metrics in every instance, collected without a warning', async () => {
    const warn = jest.spyOn(process, 'emitWarning');
    const instances = [new NestjetMetrics(), new NestjetMetrics(), new NestjetMetrics()];
    for (const m of instances) expect(sample(await m.registry.metrics(), 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(warn).not.toHaveBeenCalled();
  });
});

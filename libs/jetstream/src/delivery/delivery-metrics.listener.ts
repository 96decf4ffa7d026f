import type { ConsumerMetrics, ProcessOutcome } from '#telemetry';
import { HEADERS } from '../headers/message-headers.js';
import type { Delivery } from './delivery.js';
import type { DeliveryListener } from './delivery-listener.js';

/**
 * Per-delivery metrics of a consumer process: outcomes, handler time and
 * end-to-end latency (publish to handler start, first delivery of an
 * original only). `metricsOf` hands out a durable's children bound once (NestjetMetrics.consumer keeps them).
 */
export class DeliveryMetricsListener implements DeliveryListener {
  constructor(private readonly metricsOf: (durable: string) => ConsumerMetrics) {}

  handled(d: Delivery, durationMs: number): void {
    const m = this.metricsOf(d.binding.durable);
    m.handlerDuration.observe(durationMs / 1000);
    if (d.priorAttempts === 0 && d.msg.info.deliveryCount === 1) {
      const publishedAt = Number(d.msg.headers?.get(HEADERS.publishedAt));
      if (publishedAt > 0) m.endToEnd.observe(Math.max(0, Date.now() - durationMs - publishedAt) / 1000);
    }
  }

  settled(d: Delivery): void {
    if (d.outcome && d.outcome !== 'abandoned') this.metricsOf(d.binding.durable).processed[d.outcome as ProcessOutcome].inc();
  }
}

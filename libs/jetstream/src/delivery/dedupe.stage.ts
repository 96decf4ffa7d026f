import type { IdempotencyGuard } from '../idempotency/idempotency.guard.js';
import type { Delivery } from './delivery.js';

/**
 * Dedupe: a delivery to an `idempotent` handler whose processed-marker is
 * already written was handled before (a redelivery after a lost ack, a
 * re-publish with the same msgID): it is acked without running the handler.
 * Handlers that are not idempotent are never looked up.
 */
export class DedupeStage {
  constructor(private readonly guard: IdempotencyGuard) {}

  async processedBefore(d: Delivery): Promise<boolean> {
    if (!d.route) return false;
    d.marker = this.guard.markerFor(d.binding.consumer, d.msg, d.route.handler.extras);
    return d.marker !== undefined && (await this.guard.processedBefore(d.binding.consumer, d.msg, d.marker));
  }
}

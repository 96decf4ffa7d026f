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

  /** False at once (no promise) for a handler that is not idempotent: the common case pays nothing here. */
  processedBefore(d: Delivery): boolean | Promise<boolean> {
    if (!d.route) return false;
    d.marker = this.guard.markerFor(d.binding.consumer, d.msg, d.route.handler.extras);
    return d.marker !== undefined && this.guard.processedBefore(d.binding.consumer, d.msg, d.marker);
  }
}

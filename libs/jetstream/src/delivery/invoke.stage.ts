import { isObservable, lastValueFrom } from 'rxjs';
import type { IdempotencyGuard } from '../idempotency/idempotency.guard.js';
import { JetStreamContext } from '../transport/jetstream.context.js';
import type { Delivery } from './delivery.js';

/**
 * Invoke: runs the handler with the decoded payload and a `JetStreamContext`.
 * Whatever it throws (or the stream it returns errors with) becomes
 * `d.error`; an idempotent handler's marker is written the moment it returns.
 */
export class InvokeStage {
  constructor(private readonly guard: IdempotencyGuard) {}

  async run(d: Delivery): Promise<void> {
    try {
      const result: unknown = await d.route!.handler(d.payload, new JetStreamContext([d.msg, d.binding.consumer, d.attempt, d.traceContext]));
      // Most handlers return a value or a promise; only pay for rxjs when they return a stream.
      if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
      if (d.marker) await this.guard.markProcessed(d.binding.consumer, d.msg, d.marker);
    } catch (err) {
      d.error = err instanceof Error ? err : new Error(String(err));
    }
  }
}

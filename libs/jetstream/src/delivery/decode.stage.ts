import { NonRetryableError } from '../errors/non-retryable.error.js';
import type { Delivery } from './delivery.js';
import { readPayload, type VersionedHandler } from './payload-reader.js';

/**
 * Decode: the payload the handler gets, bounded (see checkJsonBounds and
 * checkMessagePackBounds) and upcast to the handler's version. It runs after
 * routing, so a copy meant for another durable is never decoded. What cannot
 * be decoded, and a message no handler takes, is poison: `d.error` is a
 * non-retryable error and the handler does not run.
 */
export class DecodeStage {
  run(d: Delivery): void {
    if (!d.route) {
      d.error = new NonRetryableError(`no handler for subject ${d.msg.subject} on consumer ${d.binding.durable}`);
      return;
    }
    try {
      d.payload = readPayload(d.msg, d.route.handler.extras?.versioned as VersionedHandler | undefined);
    } catch (err) {
      d.error = err as Error;
    }
  }
}

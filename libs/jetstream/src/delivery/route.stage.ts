import type { JsMsg } from '@nats-io/jetstream';
import { REPLAY_HEADERS } from '../dead-letter/dead-letter.constants.js';
import { HEADERS } from '../headers/message-headers.js';
import type { Delivery, DeliveryHandler } from './delivery.js';
import type { HandlerRoutes } from './handler-routes.js';

/**
 * Route: whether the delivery is this durable's at all, and which handler
 * takes it. A DLQ replay or a rescheduled retry is meant for the consumer that
 * failed it; the others saw the original already. The header is trusted
 * because only the producer and DLQ users may publish topic subjects (see
 * REPLAY_HEADERS). A message no handler matches keeps `route` null: it fails
 * as poison further on, so it is dead-lettered rather than lost.
 */
export class RouteStage {
  constructor(private readonly routes: HandlerRoutes<DeliveryHandler>) {}

  /** False when the delivery is another durable's copy: it is acked unprocessed. */
  run(d: Delivery): boolean {
    const replayFor = d.msg.headers?.get(REPLAY_HEADERS.replayFor);
    if (replayFor) {
      if (replayFor !== d.binding.durable) return false;
      d.priorAttempts = priorAttemptsOf(d.msg);
    }
    d.route = this.routes.find(d.binding.consumer, d.msg.subject);
    return true;
  }
}

/** Attempts made on a rescheduled copy's predecessors; anything but a small positive count reads as none. */
function priorAttemptsOf(msg: JsMsg): number {
  const n = Number(msg.headers?.get(HEADERS.attempts));
  return Number.isInteger(n) && n > 0 && n < 1_000_000 ? n : 0;
}

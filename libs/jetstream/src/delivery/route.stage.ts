import type { JsMsg } from '@nats-io/jetstream';
import { REPLAY_HEADERS } from '../dead-letter/dead-letter.constants.js';
import { HEADERS } from '../headers/message-headers.js';
import { RedeliveredMessage } from '../redelivery/redelivered-message.js';
import { isRedeliverySubject, redeliveryPrefix } from '../redelivery/redelivery-subject.js';
import type { Delivery, DeliveryHandler } from './delivery.js';
import type { HandlerRoutes } from './handler-routes.js';

/**
 * Route: whether the delivery is this durable's at all, and which handler
 * takes it. A DLQ replay or a rescheduled retry is a copy for the one durable
 * that failed it, stored on that durable's redelivery subject
 * (`nestjet-redeliver.<stream>.<durable>.<subject>`), which only its filter
 * names: it is routed, and handed on, under the subject it was published to,
 * counting on from the attempts its predecessors made. The redelivery subject
 * is trusted because only the producer and DLQ users may publish there (see
 * security/nats-permissions). A message no handler matches keeps `route`
 * null: it fails as poison further on, so it is dead-lettered rather than lost.
 */
export class RouteStage {
  constructor(private readonly routes: HandlerRoutes<DeliveryHandler>) {}

  /** False when the delivery is another durable's copy: it is acked unprocessed. */
  run(d: Delivery): boolean {
    const { msg, binding } = d;
    if (isRedeliverySubject(msg.subject)) {
      const own = redeliveryPrefix(binding.stream, binding.durable);
      // Another durable's copy reaches only a durable whose filter provisioning has not narrowed yet.
      if (!msg.subject.startsWith(own) || msg.subject.length === own.length) return false;
      d.msg = new RedeliveredMessage(msg, msg.subject.slice(own.length));
      d.priorAttempts = priorAttemptsOf(msg);
    } else {
      // Copies stored before redelivery subjects existed sit on the topic subject with
      // `nestjet-replay-for`, and every durable there receives them: keep reading the header until
      // none can be left (the stream's max_age, and the furthest retry SCHEDULES still holds).
      const replayFor = msg.headers?.get(REPLAY_HEADERS.replayFor);
      if (replayFor) {
        if (replayFor !== binding.durable) return false;
        d.priorAttempts = priorAttemptsOf(msg);
      }
    }
    d.route = this.routes.find(binding.consumer, d.msg.subject);
    return true;
  }
}

/** Attempts made on a rescheduled copy's predecessors; anything but a small positive count reads as none. */
function priorAttemptsOf(msg: JsMsg): number {
  const n = Number(msg.headers?.get(HEADERS.attempts));
  return Number.isInteger(n) && n > 0 && n < 1_000_000 ? n : 0;
}

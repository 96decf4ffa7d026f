import type { MessageFailure } from '../transport/message-failure.hook.js';
import type { Delivery } from './delivery.js';
import { decideSettlement, isFinal } from './settlement.js';

/**
 * Decide: how the delivery ends (see decideSettlement), and for a failure the
 * record the failure listeners get before it is settled. `rescheduleAfterMs`
 * of a durable is its ack timeout when retries can be rescheduled, else none.
 */
export class DecideStage {
  constructor(private readonly rescheduleAfterMs: (durable: string) => number | undefined) {}

  run(d: Delivery): MessageFailure | undefined {
    const { maxDeliver, retryDelaysMs, durable } = d.binding;
    const attempt = d.attempt;
    d.settlement = decideSettlement({ attempt, maxDeliver, retryDelaysMs, priorAttempts: d.priorAttempts, rescheduleAfterMs: this.rescheduleAfterMs(durable) }, d.error);
    if (!d.error) return undefined;
    const { msg } = d;
    return {
      stream: msg.info.stream,
      consumer: durable,
      subject: msg.subject,
      streamSequence: msg.info.streamSequence,
      deliveryCount: attempt,
      maxDeliver,
      errorName: d.error.name,
      errorMessage: d.error.message,
      handler: d.handlerPattern,
      final: isFinal(d.settlement),
      terminated: d.settlement.kind === 'term',
      at: new Date(),
    };
  }
}

import type { LoggerService } from '@nestjs/common';
import { headerEntries } from '../headers/message-headers.js';
import type { DeliveryFacts, MessageFailure, MessageFailureHook } from '../transport/message-failure.hook.js';
import type { Delivery } from './delivery.js';
import type { DeliveryListener } from './delivery-listener.js';

/**
 * The failure record: every failed attempt is logged and handed to the
 * failure hook before the message is settled (the hook dead-letters a final
 * failure, which carries the message, and keeps the attempt history the DLQ
 * router checks advisories against). A failing hook is logged; the message is
 * settled either way.
 */
export class FailureRecordListener implements DeliveryListener {
  constructor(
    private readonly logger: LoggerService,
    private readonly hook?: MessageFailureHook,
  ) {}

  async failed(d: Delivery, failure: MessageFailure): Promise<void> {
    this.logger.warn({ event: 'message.failed', ...failure });
    if (!this.hook) return;
    try {
      // A final failure carries the message, so the hook can dead-letter it before it is settled.
      const original = failure.final ? { data: d.msg.data, headers: headerEntries(d.msg.headers), storedAt: d.msg.time } : undefined;
      await this.hook.onFailure({ ...failure, original });
    } catch (hookErr) {
      this.logger.error({ event: 'failure-hook.error', error: String(hookErr), stream: failure.stream, streamSequence: failure.streamSequence });
    }
  }

  redelivered(d: Delivery): Promise<void> {
    return this.tell('onRedelivered', d);
  }

  recovered(d: Delivery): Promise<void> {
    return this.tell('onSucceeded', d);
  }

  /** The hook's optional delivery callbacks; a failing one is logged, the message is processed either way. */
  private async tell(callback: 'onRedelivered' | 'onSucceeded', d: Delivery): Promise<void> {
    const call = this.hook?.[callback];
    if (!call) return;
    const { msg } = d;
    const delivery: DeliveryFacts = {
      stream: msg.info.stream,
      consumer: d.binding.durable,
      subject: msg.subject,
      streamSequence: msg.info.streamSequence,
      deliveryCount: msg.info.deliveryCount,
      at: new Date(),
    };
    try {
      await call.call(this.hook, delivery);
    } catch (hookErr) {
      this.logger.error({ event: 'failure-hook.error', callback, error: String(hookErr), stream: delivery.stream, streamSequence: delivery.streamSequence });
    }
  }
}

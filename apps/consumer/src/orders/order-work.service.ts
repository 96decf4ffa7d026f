import { Injectable, Logger } from '@nestjs/common';
import type { JetStreamContext } from '#jetstream';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConsumerEnvironment } from '../config/consumer.environment.js';

/** The example "business work": optional simulated latency, the handler's effect if it has one, then one structured log line per processed message. */
@Injectable()
export class OrderWorkService {
  private readonly logger = new Logger('orders');

  constructor(private readonly env: ConsumerEnvironment) {}

  async process(ctx: JetStreamContext, orderId: string, action: string, effect?: () => Promise<string>): Promise<void> {
    if (this.env.SIMULATED_WORK_MS > 0) await sleep(this.env.SIMULATED_WORK_MS);
    const outcome = effect ? await effect() : undefined;
    const event = ctx.getCloudEvent();
    this.logger.log({
      event: 'message.processed',
      consumer: ctx.getConsumer(),
      subject: ctx.getSubject(),
      seq: ctx.getStreamSequence(),
      deliveryCount: ctx.getDeliveryCount(),
      orderId,
      action,
      // As published: an upcast payload still names the version it was published as.
      ...(event ? { eventId: event.id, eventType: event.type, eventSource: event.source } : {}),
      ...(outcome ? { effect: outcome } : {}),
    });
  }
}

import { ORDER_CONSUMERS, ORDER_TOPICS, OrderCreatedDto } from '#contracts';
import { JetStreamContext, JetStreamHandler } from '#jetstream';
import { Logger } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { OrderWorkService } from './order-work.service.js';

/**
 * Ordered: each customer's orders in the order they were placed. The ingress
 * puts a customer's orders in one partition; each partition's durable hands
 * one message at a time to the one worker pinned to it, so this runs for a
 * customer's orders one after the other, in publish order, on any number of
 * pods (up to ORDERING_PARTITIONS).
 */
@JetStreamHandler()
export class LedgerHandler {
  private readonly logger = new Logger('ledger');

  constructor(private readonly work: OrderWorkService) {}

  @EventPattern<string>(ORDER_TOPICS.created, { consumer: ORDER_CONSUMERS.ledger })
  record(@Payload() order: OrderCreatedDto, @Ctx() ctx: JetStreamContext): Promise<void> {
    // When each entry starts, so the order can be checked from outside (the ordering test reads it).
    this.logger.log({
      event: 'ledger.started',
      customerId: order.customerId,
      orderId: order.orderId,
      seq: ctx.getStreamSequence(),
      deliveryCount: ctx.getDeliveryCount(),
      // Sub-millisecond wall-clock time: starts on two pods at a hand-over can be ordered.
      at: performance.timeOrigin + performance.now(),
    });
    return this.work.process(ctx, order.orderId, 'ledger-entry');
  }
}

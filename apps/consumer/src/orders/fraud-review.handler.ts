import { ORDER_CONSUMERS, ORDER_TOPICS, OrderCreatedDto } from '#contracts';
import { JetStreamContext, JetStreamHandler } from '#jetstream';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { OrderWorkService } from './order-work.service.js';

/** Receives only high-value orders: the durable filters `orders.created.*.high` on the server. */
@JetStreamHandler()
export class FraudReviewHandler {
  constructor(private readonly work: OrderWorkService) {}

  @EventPattern<string>(ORDER_TOPICS.created, { consumer: ORDER_CONSUMERS.fraudReview })
  review(@Payload() order: OrderCreatedDto, @Ctx() ctx: JetStreamContext): Promise<void> {
    return this.work.process(ctx, order.orderId, 'fraud-review');
  }
}

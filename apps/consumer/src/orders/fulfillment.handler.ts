import { ORDER_CONSUMERS, ORDER_TOPICS, OrderCreatedDto } from '#contracts';
import { JetStreamContext, JetStreamHandler } from '#jetstream';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { OrderWorkService } from './order-work.service.js';

/** Point-to-point: one durable shared by every consumer pod, so each order is fulfilled once. */
@JetStreamHandler()
export class FulfillmentHandler {
  constructor(private readonly work: OrderWorkService) {}

  @EventPattern<string>(ORDER_TOPICS.created, { consumer: ORDER_CONSUMERS.fulfillment })
  reserveStock(@Payload() order: OrderCreatedDto, @Ctx() ctx: JetStreamContext): Promise<void> {
    return this.work.process(ctx, order.orderId, 'reserve-stock');
  }
}

import { ORDER_CANCELLED_UPCASTERS, ORDER_CONSUMERS, ORDER_TOPICS, OrderCancelledDto, OrderCreatedDto, OrderPaidDto } from '#contracts';
import { JetStreamContext, JetStreamHandler } from '#jetstream';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { OrderWorkService } from './order-work.service.js';

/** Pub-sub: its own durable on `orders.>`, so it sees every order event next to fulfillment. */
@JetStreamHandler()
export class NotificationsHandler {
  constructor(private readonly work: OrderWorkService) {}

  @EventPattern<string>(ORDER_TOPICS.created, { consumer: ORDER_CONSUMERS.notifications })
  orderConfirmation(@Payload() order: OrderCreatedDto, @Ctx() ctx: JetStreamContext): Promise<void> {
    return this.work.process(ctx, order.orderId, 'email-confirmation');
  }

  @EventPattern<string>(ORDER_TOPICS.paid, { consumer: ORDER_CONSUMERS.notifications })
  paymentReceipt(@Payload() event: OrderPaidDto, @Ctx() ctx: JetStreamContext): Promise<void> {
    return this.work.process(ctx, event.orderId, 'email-receipt');
  }

  /** Version 2; version 1 events (free-text reason) arrive upcast to it. */
  @EventPattern<string>(ORDER_TOPICS.cancelled, { consumer: ORDER_CONSUMERS.notifications, version: 2, upcast: ORDER_CANCELLED_UPCASTERS })
  cancellationNotice(@Payload() event: OrderCancelledDto, @Ctx() ctx: JetStreamContext): Promise<void> {
    return this.work.process(ctx, event.orderId, `email-cancellation:${event.reason.code}`);
  }
}

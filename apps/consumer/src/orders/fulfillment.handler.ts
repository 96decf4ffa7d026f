import { ORDER_CONSUMERS, ORDER_TOPICS, OrderCreatedDto } from '#contracts';
import { JetStreamContext, JetStreamHandler } from '#jetstream';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { OrderWorkService } from './order-work.service.js';
import { StockReservationsStore } from './stock-reservations.store.js';

/**
 * Point-to-point: one durable shared by every consumer pod, so each order is
 * fulfilled once. Idempotent: the transport skips a message this consumer
 * processed before, and the reservation is keyed by the idempotency key, so
 * even a crash between the reservation and the marker reserves nothing twice.
 */
@JetStreamHandler()
export class FulfillmentHandler {
  constructor(
    private readonly work: OrderWorkService,
    private readonly reservations: StockReservationsStore,
  ) {}

  @EventPattern<string>(ORDER_TOPICS.created, { consumer: ORDER_CONSUMERS.fulfillment, idempotent: true })
  reserveStock(@Payload() order: OrderCreatedDto, @Ctx() ctx: JetStreamContext): Promise<void> {
    return this.work.process(ctx, order.orderId, 'reserve-stock', () => this.reservations.reserve(ctx.idempotencyKey(), order.orderId));
  }
}

import { Module } from '@nestjs/common';
import { FraudReviewHandler } from './fraud-review.handler.js';
import { FulfillmentHandler } from './fulfillment.handler.js';
import { LedgerHandler } from './ledger.handler.js';
import { NotificationsHandler } from './notifications.handler.js';
import { OrderWorkService } from './order-work.service.js';
import { StockReservationsStore } from './stock-reservations.store.js';

@Module({
  controllers: [FulfillmentHandler, NotificationsHandler, FraudReviewHandler, LedgerHandler],
  providers: [OrderWorkService, StockReservationsStore],
})
export class OrdersModule {}

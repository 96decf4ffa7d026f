import { CurrencyCodes } from 'validator/lib/isISO4217.js';

export const ORDERS_STREAM = 'ORDERS';

export const ORDER_TOPICS = {
  created: 'orders.created',
  paid: 'orders.paid',
  cancelled: 'orders.cancelled',
} as const;

export const ORDER_CONSUMERS = {
  fulfillment: 'fulfillment',
  notifications: 'notifications',
  fraudReview: 'fraud-review',
  ledger: 'ledger',
} as const;

/**
 * The example's consumer groups, each a deployment with a NATS user of its own: `orders` runs
 * fulfillment, notifications and fraud review (and owns the stock reservations), `ledger` the
 * ordered ledger's partitions.
 */
export const ORDER_CONSUMER_GROUPS = {
  orders: 'orders',
  ledger: 'ledger',
} as const;

/** The fulfillment handler's own store: one stock reservation per order, keyed by the delivery's idempotency key (the inbox). */
export const STOCK_RESERVATIONS_BUCKET = 'stock_reservations';

export const REGIONS = ['eu', 'us', 'apac'] as const;
export type Region = (typeof REGIONS)[number];

/** Orders at or above this amount (in major currency units) are routed as `high`. */
export const HIGH_VALUE_THRESHOLD = 1000;

/** ISO 4217 codes, upper case (validator.js's list, which class-validator's own ISO 4217 check uses, but that one also takes lower case). */
export const CURRENCIES: readonly string[] = [...CurrencyCodes].sort();

/** Why an order was cancelled (orders.cancelled version 2). */
export const CANCELLATION_CODES = ['customer-request', 'out-of-stock', 'payment-failed', 'fraud', 'other'] as const;
export type CancellationCode = (typeof CANCELLATION_CODES)[number];

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

/** The fulfillment handler's own store: one stock reservation per order, keyed by the delivery's idempotency key (the inbox). */
export const STOCK_RESERVATIONS_BUCKET = 'stock_reservations';

export const REGIONS = ['eu', 'us', 'apac'] as const;
export type Region = (typeof REGIONS)[number];

/** Orders at or above this amount (in major currency units) are routed as `high`. */
export const HIGH_VALUE_THRESHOLD = 1000;

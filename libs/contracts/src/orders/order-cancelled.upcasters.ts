import type { Upcasters } from '../topology/topology.types.js';
import type { OrderCancelledDto } from './order-cancelled.dto.js';
import type { OrderCancelledV1Dto } from './order-cancelled-v1.dto.js';

/** From version 1 (free-text reason) to 2: the text becomes the note of an `other` reason. */
export const ORDER_CANCELLED_UPCASTERS: Upcasters = {
  1: ({ orderId, region, reason }: OrderCancelledV1Dto): OrderCancelledDto => ({ orderId, region, reason: { code: 'other', note: reason } }),
};

import type { Topology, TopologyOptions } from '../topology/topology.types.js';
import { OrderCancelledDto } from './order-cancelled.dto.js';
import { OrderCreatedDto } from './order-created.dto.js';
import { OrderPaidDto } from './order-paid.dto.js';
import { ORDER_CONSUMERS, ORDER_TOPICS, ORDERS_STREAM, STOCK_RESERVATIONS_BUCKET } from './orders.constants.js';
import { routeByRegionAndValue } from './orders.routing.js';

export function ordersTopology(o: TopologyOptions): Pick<Topology, 'streams' | 'consumers' | 'topics' | 'buckets'> {
  const consumerDefaults = {
    stream: ORDERS_STREAM,
    ackWaitMs: o.ackWaitMs,
    maxDeliver: o.maxDeliver,
    maxAckPending: o.maxAckPending,
    retryDelaysMs: o.retryDelaysMs,
  };
  return {
    streams: [
      {
        name: ORDERS_STREAM,
        description: 'Order lifecycle events',
        subjects: ['orders.>'],
        // Limits retention: several durables read the same messages (fan-out).
        retention: 'limits',
        storage: 'file',
        replicas: o.replicas,
        maxAgeMs: o.maxAgeMs,
        maxBytes: o.maxBytes,
        // A flood must not evict events no consumer has seen: a full stream refuses, the ingress answers 507.
        discard: 'new',
        duplicateWindowMs: o.duplicateWindowMs,
      },
    ],
    consumers: [
      {
        ...consumerDefaults,
        durable: ORDER_CONSUMERS.fulfillment,
        description: 'Work queue: every new order is fulfilled by exactly one worker',
        filterSubjects: ['orders.created.>'],
      },
      {
        ...consumerDefaults,
        durable: ORDER_CONSUMERS.notifications,
        description: 'Fan-out: sees every order event',
        filterSubjects: ['orders.>'],
      },
      {
        ...consumerDefaults,
        durable: ORDER_CONSUMERS.fraudReview,
        description: 'High-value orders only, filtered server-side on the routed tier token',
        filterSubjects: ['orders.created.*.high'],
      },
    ],
    topics: [
      {
        name: ORDER_TOPICS.created,
        stream: ORDERS_STREAM,
        description: 'A customer placed an order',
        payload: OrderCreatedDto,
        route: routeByRegionAndValue,
      },
      {
        name: ORDER_TOPICS.paid,
        stream: ORDERS_STREAM,
        description: 'An order was paid',
        payload: OrderPaidDto,
        route: routeByRegionAndValue,
      },
      {
        name: ORDER_TOPICS.cancelled,
        stream: ORDERS_STREAM,
        description: 'An order was cancelled',
        payload: OrderCancelledDto,
        route: routeByRegionAndValue,
      },
    ],
    buckets: [
      {
        name: STOCK_RESERVATIONS_BUCKET,
        description: 'Stock reserved per order by fulfillment (its inbox: a repeat finds the reservation)',
        ttlMs: o.maxAgeMs,
        maxBytes: 256 * 1024 ** 2,
        replicas: o.replicas,
      },
    ],
  };
}

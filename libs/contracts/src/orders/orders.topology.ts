import { partitionToken } from '../topology/partition.js';
import type { Topology, TopologyOptions } from '../topology/topology.types.js';
import { OrderCancelledV1Dto } from './order-cancelled-v1.dto.js';
import { OrderCancelledDto } from './order-cancelled.dto.js';
import { OrderCreatedDto } from './order-created.dto.js';
import { OrderPaidDto } from './order-paid.dto.js';
import { ORDER_CONSUMER_GROUPS, ORDER_CONSUMERS, ORDER_TOPICS, ORDERS_STREAM, STOCK_RESERVATIONS_BUCKET } from './orders.constants.js';
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
        group: ORDER_CONSUMER_GROUPS.orders,
        description: 'Work queue: every new order is fulfilled by exactly one worker',
        filterSubjects: ['orders.created.>'],
      },
      {
        ...consumerDefaults,
        durable: ORDER_CONSUMERS.notifications,
        group: ORDER_CONSUMER_GROUPS.orders,
        description: 'Fan-out: sees every order event',
        filterSubjects: ['orders.>'],
      },
      {
        ...consumerDefaults,
        durable: ORDER_CONSUMERS.fraudReview,
        group: ORDER_CONSUMER_GROUPS.orders,
        description: 'High-value orders only, filtered server-side on the routed tier token',
        // With or without the partition token (publishers other than the ingress may leave it out).
        filterSubjects: ['orders.created.*.high', 'orders.created.*.high.*'],
      },
      // Ordered: each customer's orders in the order they were placed, spread over the partitions.
      ...Array.from({ length: o.partitions }, (_, index) => ({
        ...consumerDefaults,
        durable: `${ORDER_CONSUMERS.ledger}-${partitionToken(index)}`,
        description: `Customer ledger, partition ${index} of ${o.partitions}: each customer's orders in order, one worker at a time`,
        filterSubjects: [`orders.created.*.*.${partitionToken(index)}`],
        // One message at a time keeps the order through redeliveries and a change of worker.
        maxAckPending: 1,
        partition: { consumer: ORDER_CONSUMERS.ledger, index, pinnedTimeoutMs: o.pinnedTimeoutMs },
        group: ORDER_CONSUMER_GROUPS.ledger,
      })),
    ],
    topics: [
      {
        name: ORDER_TOPICS.created,
        stream: ORDERS_STREAM,
        description: 'A customer placed an order',
        payload: OrderCreatedDto,
        route: routeByRegionAndValue,
        ordering: { key: 'customerId', partitions: o.partitions },
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
        version: 2,
        previousVersions: [{ version: 1, payload: OrderCancelledV1Dto }],
        // The compact encoding, for the example of a topic that is not JSON on the wire.
        codec: 'msgpack',
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
        group: ORDER_CONSUMER_GROUPS.orders,
      },
    ],
  };
}

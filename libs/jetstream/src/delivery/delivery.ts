import type { JsMsg } from '@nats-io/jetstream';
import type { Context } from '@opentelemetry/api';
import type { MessageHandler } from '@nestjs/microservices';
import type { DeliveryMarker } from '../idempotency/idempotency.guard.js';
import type { ConsumerBinding } from '../transport/consumer-bindings.js';
import type { Route } from './handler-routes.js';
import type { Settlement } from './settlement.js';

/** How a delivery ended: its settlement, skipped (a replay for another durable, or processed before), or dropped after shutdown gave up on it. */
export type Outcome = Settlement['kind'] | 'skip' | 'abandoned';

/** A handler as the pipeline calls it: Nest's RPC proxy, or the method itself when nothing of Nest's pipeline applies (see DirectHandlers). */
export type DeliveryHandler = MessageHandler;

/**
 * One delivery on its way through the pipeline: what the stages learned so
 * far. Created per message and dropped after settling; stages fill it in order.
 */
export class Delivery {
  /** Attempts on the copies before this one (a rescheduled retry); 0 for the original. */
  priorAttempts = 0;
  route: Route<DeliveryHandler> | null = null;
  marker?: DeliveryMarker;
  payload?: unknown;
  /** What the handler (or decoding, or routing) ended with. */
  error?: Error;
  settlement?: Settlement;
  outcome?: Outcome;
  /** When the handler was entered (performance.now()), for its duration. */
  startedAt = 0;
  /** Opaque to the pipeline: what a listener keeps per delivery (the tracing listener's span). */
  trace?: unknown;
  /** The recorded span's context, handed to the handler as `ctx.getTraceContext()`. */
  traceContext?: Context;

  constructor(
    readonly binding: ConsumerBinding,
    /** The delivered message; for a copy on a redelivery subject, routing swaps in a view under its original subject (RedeliveredMessage). */
    public msg: JsMsg,
  ) {}

  /** 1 on the first attempt; a rescheduled copy counts on from the attempts on its predecessors. */
  get attempt(): number {
    return this.priorAttempts + this.msg.info.deliveryCount;
  }

  /** The handler's pattern, or empty when no handler matched. */
  get handlerPattern(): string {
    return this.route?.pattern ?? '';
  }
}

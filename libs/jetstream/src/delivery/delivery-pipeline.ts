import type { JsMsg } from '@nats-io/jetstream';
import type { LoggerService } from '@nestjs/common';
import type { IdempotencyGuard } from '../idempotency/idempotency.guard.js';
import type { RetryRescheduler } from '../schedule/retry-rescheduler.js';
import type { ConsumerBinding } from '../transport/consumer-bindings.js';
import { DecideStage } from './decide.stage.js';
import { DecodeStage } from './decode.stage.js';
import { DedupeStage } from './dedupe.stage.js';
import { Delivery, type DeliveryHandler, type Outcome } from './delivery.js';
import { DeliveryListeners, type DeliveryListener } from './delivery-listener.js';
import type { HandlerRoutes } from './handler-routes.js';
import { InvokeStage } from './invoke.stage.js';
import { RouteStage } from './route.stage.js';
import { SettleCoalescer } from './settle-coalescer.js';
import { SettleStage } from './settle.stage.js';

export interface DeliveryPipelineOptions {
  routes: HandlerRoutes<DeliveryHandler>;
  guard: IdempotencyGuard;
  logger: LoggerService;
  listeners: readonly DeliveryListener[];
  /** Turns retries due later than the ack wait into schedules; without it they are naked with their delay. */
  rescheduler?: RetryRescheduler;
  /** A durable's ack timeout (ms): retries due later are rescheduled. */
  ackWaitOf: (durable: string) => number | undefined;
}

/**
 * The path every delivered message takes, one stage after the other:
 * route → dedupe → decode → invoke → decide → record (the `failed`
 * listeners) → settle. Stages fill in the `Delivery`; listeners (spans,
 * metrics, the failure record) hear about it and never steer it. The
 * transport only feeds it messages.
 */
export class DeliveryPipeline {
  private readonly listeners: DeliveryListeners;
  private readonly coalescer: SettleCoalescer;
  private readonly route: RouteStage;
  private readonly dedupe: DedupeStage;
  private readonly decode = new DecodeStage();
  private readonly invoke: InvokeStage;
  private readonly decide: DecideStage;
  private readonly settle: SettleStage;
  /** Set when shutdown stopped waiting: handlers finishing later must not settle (their message was naked). */
  private abandoned = false;

  constructor(private readonly options: DeliveryPipelineOptions) {
    this.listeners = new DeliveryListeners(options.listeners);
    this.coalescer = new SettleCoalescer(options.logger);
    this.route = new RouteStage(options.routes);
    this.dedupe = new DedupeStage(options.guard);
    this.invoke = new InvokeStage(options.guard);
    this.decide = new DecideStage((durable) => (options.rescheduler ? options.ackWaitOf(durable) : undefined));
    this.settle = new SettleStage(this.coalescer, options.guard, options.logger, options.rescheduler);
  }

  async deliver(binding: ConsumerBinding, msg: JsMsg): Promise<Outcome> {
    const d = new Delivery(binding, msg);
    for (const delivered of this.listeners.delivered) delivered(d);
    if (!this.route.run(d)) {
      this.settle.skip(msg);
      d.outcome = 'skip';
    } else {
      const around = this.listeners.around;
      d.outcome = around ? await around(d, () => this.process(d)) : await this.process(d);
    }
    for (const settled of this.listeners.settled) settled(d);
    return d.outcome;
  }

  /** Stops settling: what finishes from now on was naked by the shutdown (see `abandon` of ConsumerWorker). */
  abandon(): void {
    this.abandoned = true;
  }

  /** Runs what is queued to settle now (before the connection drains). */
  flush(): void {
    this.coalescer.flush();
  }

  private async process(d: Delivery): Promise<Outcome> {
    const seen = this.dedupe.processedBefore(d);
    if (seen === true || (seen !== false && (await seen))) {
      this.settle.skip(d.msg);
      return 'skip';
    }
    if (this.listeners.redelivered.length > 0 && d.msg.info.deliveryCount > 1) {
      for (const redelivered of this.listeners.redelivered) await redelivered(d);
    }
    d.startedAt = performance.now();
    this.decode.run(d);
    if (!d.error) await this.invoke.run(d);
    if (this.listeners.handled.length > 0) {
      const durationMs = performance.now() - d.startedAt;
      for (const handled of this.listeners.handled) handled(d, durationMs);
    }
    if (this.abandoned) return this.dropLate(d);
    const failure = this.decide.run(d);
    if (failure) for (const failed of this.listeners.failed) await failed(d, failure);
    // Checked again before a retry copy is stored: after shutdown gave up, the naked original carries the retry.
    if (this.abandoned) return this.dropLate(d);
    const prepared = this.settle.prepare(d);
    const settlement = prepared instanceof Promise ? await prepared : prepared;
    if (this.abandoned) return this.dropLate(d);
    const confirming = this.settle.apply(d);
    if (confirming) await confirming;
    if (settlement.kind === 'ack' && d.msg.info.deliveryCount > 1) {
      for (const recovered of this.listeners.recovered) await recovered(d);
    }
    return settlement.kind;
  }

  /**
   * A handler that finished after shutdown gave up on it: its message was
   * naked and may already run elsewhere, and the connection may be closed, so
   * neither settle nor record anything.
   */
  private dropLate(d: Delivery): 'abandoned' {
    this.options.logger.warn({
      event: 'message.abandoned',
      consumer: d.binding.durable,
      streamSequence: d.msg.info.streamSequence,
      deliveryCount: d.msg.info.deliveryCount,
      handlerFailed: d.error !== undefined,
    });
    return 'abandoned';
  }
}

import type { JsMsg } from '@nats-io/jetstream';
import type { LoggerService } from '@nestjs/common';
import type { IdempotencyGuard } from '../idempotency/idempotency.guard.js';
import type { RetryRescheduler } from '../schedule/retry-rescheduler.js';
import type { Delivery } from './delivery.js';
import type { SettleCoalescer } from './settle-coalescer.js';
import { applySettlement, type Settlement } from './settlement.js';

/**
 * Settle: tells the server how the delivery ended. Acks, naks and terms are
 * coalesced per event-loop turn (SettleCoalescer). A retry due after the ack
 * wait is first stored as a scheduled copy, then the delivery acked; when the
 * copy cannot be stored the delivery is naked with the delay after all (it
 * holds an ack slot meanwhile, but the retry is not lost). An idempotent
 * success is double-acked: the marker covers a lost ack, and the outcome is
 * then known.
 */
export class SettleStage {
  constructor(
    private readonly coalescer: SettleCoalescer,
    private readonly guard: IdempotencyGuard,
    private readonly logger: LoggerService,
    private readonly rescheduler?: RetryRescheduler,
  ) {}

  /** Acks a delivery that is not processed here (another durable's copy, or processed before). */
  skip(msg: JsMsg): void {
    this.coalescer.add(() => msg.ack());
  }

  /** The settlement as applied: a reschedule that could not be stored became a nak. */
  prepare(d: Delivery): Settlement | Promise<Settlement> {
    const s = d.settlement!;
    return s.kind === 'reschedule' ? this.reschedule(d, s) : s;
  }

  private async reschedule(d: Delivery, s: Settlement & { kind: 'reschedule' }): Promise<Settlement> {
    const { msg, binding } = d;
    const where = { consumer: binding.durable, stream: msg.info.stream, streamSequence: msg.info.streamSequence, attempt: d.attempt, delayMs: s.delayMs };
    try {
      const copy = await this.rescheduler!.reschedule(msg, binding.durable, d.attempt, new Date(Date.now() + s.delayMs));
      this.logger.log({ event: 'message.rescheduled', ...where, scheduleId: copy.scheduleId, deliverAt: copy.deliverAt });
      return s;
    } catch (err) {
      this.logger.warn({ event: 'message.reschedule-failed', ...where, error: String(err), hint: 'naked with the delay instead' });
      return (d.settlement = { kind: 'nak', delayMs: s.delayMs, final: false });
    }
  }

  /** Undefined at once unless the ack must be confirmed (an idempotent success). */
  apply(d: Delivery): Promise<void> | undefined {
    const s = d.settlement!;
    if (d.marker && s.kind === 'ack') return this.guard.ackAck(d.binding.consumer, d.msg);
    this.coalescer.add(() => applySettlement(d.msg, s));
    return undefined;
  }
}

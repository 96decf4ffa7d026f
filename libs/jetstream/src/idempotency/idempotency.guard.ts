import type { JsMsg } from '@nats-io/jetstream';
import type { Logger } from '@nestjs/common';
import { idempotencyOf, markerKey, messageKeyOf } from './idempotency-key.js';
import type { ProcessedMarkers } from './processed-markers.js';

/** The marker of one delivery to an idempotent handler. */
export interface DeliveryMarker {
  key: string;
  horizonMs: number;
}

/**
 * The transport's side of exactly-once effects: which deliveries go to an
 * idempotent handler, whether their consumer processed the message before,
 * and the marker once the handler returned. Markers that cannot be read or
 * written degrade to at-least-once, logged, never to a lost message.
 */
export class IdempotencyGuard {
  constructor(
    private readonly markers: ProcessedMarkers | undefined,
    private readonly defaultHorizonMs: number,
    private readonly logger: Logger,
  ) {}

  /** Throws on a malformed `idempotent` option; whether the handler is idempotent. */
  check(extras: Record<string, unknown> | undefined): boolean {
    return idempotencyOf(extras, this.defaultHorizonMs) !== undefined;
  }

  get enabled(): boolean {
    return this.markers !== undefined;
  }

  markerFor(consumer: string, msg: JsMsg, extras: Record<string, unknown> | undefined): DeliveryMarker | undefined {
    if (!this.markers) return undefined;
    const idempotent = idempotencyOf(extras, this.defaultHorizonMs);
    return idempotent ? { key: markerKey(consumer, messageKeyOf(msg)), horizonMs: idempotent.horizonMs } : undefined;
  }

  async processedBefore(consumer: string, msg: JsMsg, marker: DeliveryMarker): Promise<boolean> {
    try {
      if (!(await this.markers!.seen(marker.key))) return false;
    } catch (err) {
      this.logger.warn({ event: 'idempotency.marker-unreadable', consumer, streamSequence: msg.info.streamSequence, error: String(err) });
      return false;
    }
    this.logger.log({ event: 'message.already-processed', consumer, subject: msg.subject, streamSequence: msg.info.streamSequence, deliveryCount: msg.info.deliveryCount });
    return true;
  }

  /** Written the moment the handler returns: a crash between its effect and this write is the one window in which it can run twice. */
  async markProcessed(consumer: string, msg: JsMsg, marker: DeliveryMarker): Promise<void> {
    try {
      await this.markers!.record(marker.key, marker.horizonMs);
    } catch (err) {
      this.logger.warn({ event: 'idempotency.marker-failed', consumer, streamSequence: msg.info.streamSequence, error: String(err), hint: 'a redelivery would run the handler again' });
    }
  }

  /** A double ack: the server confirms, and a lost one only means a redelivery that the marker skips. */
  async ackAck(consumer: string, msg: JsMsg): Promise<void> {
    try {
      await msg.ackAck();
    } catch (err) {
      this.logger.warn({ event: 'message.ack-unconfirmed', consumer, streamSequence: msg.info.streamSequence, error: String(err), hint: 'a redelivery finds the marker and is skipped' });
    }
  }
}

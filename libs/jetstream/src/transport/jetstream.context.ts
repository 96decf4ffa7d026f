import type { JsMsg } from '@nats-io/jetstream';
import { Logger } from '@nestjs/common';
import { BaseRpcContext } from '@nestjs/microservices';
import type { Context } from '@opentelemetry/api';
import { extractTraceContext } from '#telemetry';
import { cloudEventOf, type CloudEventAttributes } from '../cloud-events/cloud-event.headers.js';
import { markerKey, messageKeyOf } from '../idempotency/idempotency-key.js';
import { settleQuietly } from '../delivery/settle-quietly.js';

const logger = new Logger('JetStreamContext');

type JetStreamContextArgs = [message: JsMsg, consumer: string, attempt?: number, traceContext?: Context];

/** What `@Ctx()` gives a handler: the message, its delivery facts, and `working()`. */
export class JetStreamContext extends BaseRpcContext<JetStreamContextArgs> {
  /** The delivered message; a retry copy or DLQ replay shows the subject it was published to (its durable's redelivery subject is the transport's business). */
  getMessage(): JsMsg {
    return this.args[0];
  }

  /** The topic subject the message was published to, also for a retry copy or a DLQ replay. */
  getSubject(): string {
    return this.args[0].subject;
  }

  /** The consumer this delivery came from: its durable, or the partitioned consumer that durable belongs to. */
  getConsumer(): string {
    return this.args[1];
  }

  getStream(): string {
    return this.args[0].info.stream;
  }

  getStreamSequence(): number {
    return this.args[0].info.streamSequence;
  }

  /** The server's count of this message's deliveries: 1 on the first. A rescheduled retry is a new message and counts from 1 again. */
  getDeliveryCount(): number {
    return this.args[0].info.deliveryCount;
  }

  /** 1 on the first attempt; counts on across rescheduled retries (see getDeliveryCount). */
  getAttempt(): number {
    return this.args[2] ?? this.args[0].info.deliveryCount;
  }

  /**
   * The same for every delivery of this message to this consumer (redeliveries,
   * a re-publish with the same msgID, rescheduled retries): hand it to your
   * own store's unique constraint to make the handler's effect exactly-once
   * (the inbox pattern), inside the transaction that makes the effect. It is
   * the key of the transport's processed-marker: `<consumer>.<digest>`, safe
   * as a KV key, a subject token or a database key.
   */
  idempotencyKey(): string {
    return markerKey(this.args[1], messageKeyOf(this.args[0]));
  }

  /**
   * The CloudEvents attributes the message carries (`ce-*` headers, binary
   * mode): id, source, type (`<topic>.v<version>` as published), time,
   * subject, dataschema, datacontenttype, extensions. Undefined for a message
   * published without them. The payload handed to the handler may have been
   * upcast since: `type` names the version it was published as.
   */
  getCloudEvent(): CloudEventAttributes | undefined {
    return cloudEventOf(this.args[0].headers);
  }

  /**
   * The trace context of this delivery, to parent what the handler does on
   * it explicitly (`publisher.publish(topic, payload, { trace: ctx.getTraceContext() })`):
   * the `process` span when it is recorded, else the publisher's context from
   * the headers, so work it starts keeps that trace's sampling decision.
   * Needed with CONSUMER_TRACE_CONTEXT=explicit; with `active` the context
   * is also the active one while the handler runs.
   */
  getTraceContext(): Context {
    return this.args[3] ?? extractTraceContext(this.args[0].headers);
  }

  getHeader(name: string): string | undefined {
    return this.args[0].headers?.get(name) || undefined;
  }

  /**
   * Resets the ack timer. The transport already does this for every held
   * message for up to `maxKeepAliveMs` of handler time (CONSUMER_MAX_KEEPALIVE_MS);
   * call it from work meant to run longer, which the transport would otherwise
   * take for hung. Returns false when the connection is closed (the message
   * will be redelivered; the handler may stop early).
   */
  working(): boolean {
    return settleQuietly(() => this.args[0].working(), logger);
  }
}

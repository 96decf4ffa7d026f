import type { DeliveryInfo, JsMsg, PullOptions } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';

/**
 * A copy delivered on its durable's redelivery subject, as the pipeline and
 * the handler see it: under the subject it was published to, so routing,
 * spans, failure records, dead letters, a further reschedule and
 * `ctx.getSubject()` all read the topic subject. Everything else (delivery
 * info, headers, acks) is the delivered message's own.
 */
export class RedeliveredMessage implements JsMsg {
  constructor(
    private readonly delivered: JsMsg,
    readonly subject: string,
  ) {}

  /** The subject the server delivered it on, `nestjet-redeliver.<stream>.<durable>.<subject>`. */
  get deliveredSubject(): string {
    return this.delivered.subject;
  }

  get sid(): number {
    return this.delivered.sid;
  }

  get data(): Uint8Array {
    return this.delivered.data;
  }

  get headers(): MsgHdrs | undefined {
    return this.delivered.headers;
  }

  get info(): DeliveryInfo {
    return this.delivered.info;
  }

  get redelivered(): boolean {
    return this.delivered.redelivered;
  }

  get seq(): number {
    return this.delivered.seq;
  }

  get time(): Date {
    return this.delivered.time;
  }

  get timestamp(): string {
    return this.delivered.timestamp;
  }

  get timestampNanos(): bigint {
    return this.delivered.timestampNanos;
  }

  ack(): void {
    this.delivered.ack();
  }

  nak(millis?: number): void {
    this.delivered.nak(millis);
  }

  working(): void {
    this.delivered.working();
  }

  term(reason?: string): void {
    this.delivered.term(reason);
  }

  next(subject: string, options?: Partial<PullOptions>): void {
    this.delivered.next(subject, options);
  }

  ackAck(options?: Partial<{ timeout: number }>): Promise<boolean> {
    return this.delivered.ackAck(options);
  }

  json<T>(): T {
    return this.delivered.json<T>();
  }

  string(): string {
    return this.delivered.string();
  }
}

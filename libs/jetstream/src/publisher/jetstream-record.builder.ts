import type { HeaderEntries } from '../headers/message-headers.js';

/** A payload with publish options, for `JetStreamClientProxy.emit`; build it with `JetStreamRecordBuilder`. */
export class JetStreamRecord<T = unknown> {
  constructor(
    readonly payload: T,
    readonly msgId?: string,
    readonly headers: HeaderEntries = [],
  ) {}
}

/**
 * `client.emit(subject, new JetStreamRecordBuilder(payload).setMsgId(id).build())`:
 * the explicit way to set the msgID, as Nest's `NatsRecordBuilder` does for headers.
 * Anything else given to `emit` is the payload itself.
 */
export class JetStreamRecordBuilder<T = unknown> {
  private msgId?: string;
  private readonly headers: HeaderEntries = [];

  constructor(private readonly payload: T) {}

  /** Becomes `Nats-Msg-Id`: a repeat within the stream's duplicate window stores nothing. */
  setMsgId(msgId: string): this {
    this.msgId = msgId;
    return this;
  }

  addHeader(name: string, value: string): this {
    this.headers.push([name, value]);
    return this;
  }

  build(): JetStreamRecord<T> {
    return new JetStreamRecord(this.payload, this.msgId, [...this.headers]);
  }
}

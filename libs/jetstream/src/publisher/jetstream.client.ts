import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import type { NatsConnection } from '@nats-io/transport-node';
import { JetStreamRecord } from './jetstream-record.builder.js';
import type { JetStreamPublisher, PublishResult } from './jetstream.publisher.js';

/**
 * `ClientProxy` for JetStream, so any Nest service can `client.emit(subject, data)`.
 * `emit` resolves with the PubAck (id, stream, seq, duplicate) and uses the same
 * retry and msgID rules as the REST ingress; a `JetStreamRecord` sets the msgID. Request/response (`send`) is not a
 * JetStream pattern and is refused.
 */
export class JetStreamClientProxy extends ClientProxy {
  constructor(
    private readonly nc: NatsConnection,
    private readonly publisher: JetStreamPublisher,
  ) {
    super();
  }

  async connect(): Promise<NatsConnection> {
    return this.nc;
  }

  /** The connection is shared and owned by the module that created it. */
  close(): void {}

  unwrap<T>(): T {
    return this.nc as T;
  }

  protected publish(_packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    callback({ err: new Error('JetStreamClientProxy supports emit() only; send() has no JetStream meaning'), isDisposed: true });
    return () => undefined;
  }

  protected async dispatchEvent<T = PublishResult>(packet: ReadPacket): Promise<T> {
    const { data } = packet;
    const record = data instanceof JetStreamRecord ? data : new JetStreamRecord(data);
    const { msgId, headers } = record;
    return (await this.publisher.publish(String(packet.pattern), JSON.stringify(record.payload), { msgId, headers })) as T;
  }
}

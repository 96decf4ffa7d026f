import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import type { NatsConnection } from '@nats-io/transport-node';
import type { JetStreamPublisher, PublishResult } from './jetstream.publisher.js';

/**
 * `ClientProxy` for JetStream, so any Nest service can `client.emit(subject, data)`.
 * `emit` resolves with the PubAck (id, stream, seq, duplicate) and uses the same
 * retry and msgID rules as the REST ingress. Request/response (`send`) is not a
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
    const msgId = isKeyed(data) ? data.msgId : undefined;
    const payload = isKeyed(data) ? data.payload : data;
    return (await this.publisher.publish(String(packet.pattern), JSON.stringify(payload), { msgId })) as T;
  }
}

/** `emit(subject, { msgId, payload })` sets the msgID explicitly. */
export interface KeyedEvent<T = unknown> {
  msgId: string;
  payload: T;
}

function isKeyed(data: unknown): data is KeyedEvent {
  return typeof data === 'object' && data !== null && 'msgId' in data && 'payload' in data && Object.keys(data).length === 2;
}

import { subjectMatches, type TopicDeclaration } from '#contracts';
import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import type { NatsConnection } from '@nats-io/transport-node';
import { randomUUID } from 'node:crypto';
import { encodeTopicEvent } from '../cloud-events/topic-event.js';
import { JetStreamRecord } from './jetstream-record.builder.js';
import type { JetStreamPublisher, PublishResult } from './jetstream.publisher.js';

/**
 * `ClientProxy` for JetStream, so any Nest service can `client.emit(subject, data)`.
 * `emit` resolves with the PubAck (id, stream, seq, duplicate) and uses the same
 * retry and msgID rules as the REST ingress; a `JetStreamRecord` sets the msgID. Request/response (`send`) is not a
 * JetStream pattern and is refused. A message to a declared topic (its name,
 * or a subject under it) goes on the wire like an ingress message: the topic's
 * codec, CloudEvents headers with `ce-source` `/nestjet/<service>`, and, when
 * the pattern is the topic's name, the subject its routing gives the payload.
 * It is not validated here: the consumers' validation decides.
 */
export class JetStreamClientProxy extends ClientProxy {
  constructor(
    private readonly nc: NatsConnection,
    private readonly publisher: JetStreamPublisher,
    private readonly topics: readonly TopicDeclaration[] = [],
    private readonly source = '/nestjet/client',
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
    const pattern = String(packet.pattern);
    const topic = typeof record.payload === 'object' && record.payload !== null ? this.topics.find((t) => subjectMatches(t.name, pattern)) : undefined;
    if (!topic) return (await this.publisher.publish(pattern, JSON.stringify(record.payload), { msgId: record.msgId, headers: record.headers })) as T;
    const msgId = record.msgId ?? randomUUID();
    const wire = encodeTopicEvent({ topic, payload: record.payload as object, id: msgId, source: this.source });
    const subject = pattern === topic.name ? wire.subject : pattern;
    return (await this.publisher.publish(subject, wire.data, { msgId, headers: [...wire.headers, ...record.headers], expectStream: topic.stream, topic: topic.name })) as T;
  }
}

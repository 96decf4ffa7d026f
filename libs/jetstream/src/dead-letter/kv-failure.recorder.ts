import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { MessageFailure, MessageFailureHook } from '../transport/message-failure.hook.js';
import { failureKey, type FailureRecord } from './failure-record.js';

/** Keeps the last failure of each message in a KV bucket (with a TTL) for the DLQ router. */
export class KvFailureRecorder implements MessageFailureHook {
  private kv?: Promise<KV>;

  constructor(
    private readonly nc: NatsConnection,
    private readonly bucket: string,
  ) {}

  private store(): Promise<KV> {
    this.kv ??= new Kvm(this.nc).open(this.bucket);
    return this.kv;
  }

  async onFailure(f: MessageFailure): Promise<void> {
    const kv = await this.store();
    const key = failureKey(f.stream, f.streamSequence, f.consumer);
    const previous = (await kv.get(key))?.json<FailureRecord>();
    const at = f.at.toISOString();
    const record: FailureRecord = {
      stream: f.stream,
      seq: f.streamSequence,
      consumer: f.consumer,
      subject: f.subject,
      errorName: f.errorName,
      errorMessage: f.errorMessage,
      handler: f.handler,
      attempt: f.deliveryCount,
      firstFailureAt: previous?.firstFailureAt ?? at,
      lastFailureAt: at,
      terminated: f.terminated,
      original: f.terminated && f.original ? { data: Buffer.from(f.original.data).toString('base64'), headers: f.original.headers } : undefined,
    };
    await kv.put(key, JSON.stringify(record));
  }
}

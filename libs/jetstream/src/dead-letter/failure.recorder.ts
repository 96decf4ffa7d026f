import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { HeaderEntries } from '../headers/message-headers.js';
import type { DeliveryFacts, MessageFailure, MessageFailureHook } from '../transport/message-failure.hook.js';
import { DLQ_FAILURE_BUCKET } from './dead-letter.constants.js';

/** The last failure of a message, as the DLQ router reads it; advisories carry none of it. */
export interface FailureRecord {
  stream: string;
  streamSequence: number;
  consumer: string;
  subject: string;
  /** Last handler error; empty when every recorded attempt ended without ack or nak. */
  errorName: string;
  errorMessage: string;
  handler: string;
  /** Delivery count of the last attempt that failed with a handler error (0: none did). */
  deliveryCount: number;
  /** The last attempt that ended without ack or nak (crash, ack timeout), noticed when the next one began. */
  lastUnsettledAttempt?: number;
  firstFailureAt: string;
  lastFailureAt: string;
  terminated: boolean;
  /** The transport's last attempt was final (term, or the last allowed one); absent on records written before this field existed. */
  final?: boolean;
  /** DLQ sequence of the record already stored for this failure (by the transport or the sweep): nobody needs to write it again. */
  dlqSeq?: number;
  /**
   * Copy of the message taken before `term()`: on WorkQueue and Interest
   * streams the server drops a terminated message at once, before any router
   * could fetch it.
   */
  original?: { data: Uint8Array; headers: HeaderEntries };
}

/** What is stored in KV: the copy's bytes as base64, since the record is JSON. */
type StoredFailure = Omit<FailureRecord, 'original'> & { original?: { data: string; headers: HeaderEntries } };

/** KV's key alphabet; a name outside it (possible on DLQ_EXTRA_STREAMS) can have no record. */
const KEY = /^[-/_=.a-zA-Z0-9]+$/;

/**
 * Keeps the failure history of each message in a KV bucket (with a TTL) for
 * the DLQ router: the transport writes through the hook, the router reads and
 * forgets.
 */
export class KvFailureRecorder implements MessageFailureHook {
  private kv?: Promise<KV>;

  constructor(
    private readonly nc: NatsConnection,
    private readonly bucket = DLQ_FAILURE_BUCKET,
  ) {}

  /** Direct gets by key subject: a consumer group's user may read only its own durables' records (see consumerGroupPermissions). */
  private store(): Promise<KV> {
    this.kv ??= new Kvm(this.nc).open(this.bucket, { allow_direct: true });
    return this.kv;
  }

  /** `dlqSeq`: the failure was dead-lettered already; a terminated message then needs no copy here. */
  async onFailure(f: MessageFailure, dlqSeq?: number): Promise<void> {
    const kv = await this.store();
    const key = keyOf(f.stream, f.streamSequence, f.consumer);
    const previous = await current(kv, key);
    const at = f.at.toISOString();
    const record: StoredFailure = {
      stream: f.stream,
      streamSequence: f.streamSequence,
      consumer: f.consumer,
      subject: f.subject,
      errorName: f.errorName,
      errorMessage: f.errorMessage,
      handler: f.handler,
      deliveryCount: f.deliveryCount,
      lastUnsettledAttempt: previous?.lastUnsettledAttempt,
      firstFailureAt: previous?.firstFailureAt ?? at,
      lastFailureAt: at,
      terminated: f.terminated,
      final: f.final,
      dlqSeq,
      original: f.terminated && f.original && dlqSeq === undefined ? { data: Buffer.from(f.original.data).toString('base64'), headers: f.original.headers } : undefined,
    };
    await kv.put(key, JSON.stringify(record));
  }

  /** Notes attempt n-1 as unsettled unless it (or a later one) left a record: a nak always does, before the nak. */
  async onRedelivered(d: DeliveryFacts): Promise<void> {
    const kv = await this.store();
    const key = keyOf(d.stream, d.streamSequence, d.consumer);
    const previous = await current(kv, key);
    const attempt = d.deliveryCount - 1;
    if (previous && Math.max(previous.deliveryCount, previous.lastUnsettledAttempt ?? 0) >= attempt) return;
    const at = d.at.toISOString();
    const record: StoredFailure = {
      stream: d.stream,
      streamSequence: d.streamSequence,
      consumer: d.consumer,
      subject: d.subject,
      errorName: previous?.errorName ?? '',
      errorMessage: previous?.errorMessage ?? '',
      handler: previous?.handler ?? '',
      deliveryCount: previous?.deliveryCount ?? 0,
      lastUnsettledAttempt: attempt,
      firstFailureAt: previous?.firstFailureAt ?? at,
      lastFailureAt: at,
      terminated: false,
    };
    await kv.put(key, JSON.stringify(record));
  }

  async onSucceeded(d: DeliveryFacts): Promise<void> {
    await this.forget(d.stream, d.streamSequence, d.consumer);
  }

  async lastFailure(stream: string, streamSequence: number, consumer: string): Promise<FailureRecord | null> {
    const key = keyOf(stream, streamSequence, consumer);
    if (!KEY.test(key)) return null;
    const entry = await (await this.store()).get(key);
    return entry && entry.operation === 'PUT' ? decodeFailureRecord(entry.string()) : null;
  }

  /**
   * Notes that the failure has its DLQ record now, dropping the copy of the
   * message (the record holds it). Only if the entry is still the revision the
   * caller read: a newer one belongs to a later attempt or another writer.
   */
  async markDeadLettered(record: FailureRecord, revision: number, dlqSeq: number): Promise<void> {
    const { original: _copy, ...rest } = record;
    const stored: StoredFailure = { ...rest, dlqSeq };
    await (await this.store()).update(keyOf(record.stream, record.streamSequence, record.consumer), JSON.stringify(stored), revision);
  }

  async forget(stream: string, streamSequence: number, consumer: string): Promise<void> {
    const key = keyOf(stream, streamSequence, consumer);
    if (KEY.test(key)) await (await this.store()).delete(key);
  }
}

/** The stored entry of a key; undefined when there is none or it was forgotten (a delete marker). */
async function current(kv: KV, key: string): Promise<StoredFailure | undefined> {
  const entry = await kv.get(key);
  return entry?.operation === 'PUT' ? entry.json<StoredFailure>() : undefined;
}

/** A failure record as stored in the bucket, decoded (the sweep reads the bucket's stream directly). */
export function decodeFailureRecord(json: string): FailureRecord {
  const { original, ...rest } = JSON.parse(json) as StoredFailure;
  return { ...rest, original: original ? { data: Buffer.from(original.data, 'base64'), headers: original.headers } : undefined };
}

/** `<stream>.<seq>.<consumer>`: a consumer group's user may write only keys ending in its own durables. */
function keyOf(stream: string, streamSequence: number, consumer: string): string {
  return `${stream}.${streamSequence}.${consumer}`;
}

import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { PROCESSED_BUCKET } from './idempotency.constants.js';

/**
 * Processed-markers in the KV bucket nestjet_processed: a handler marked
 * idempotent runs only if its consumer has no marker for the message, and the
 * marker is written the moment the handler returns, before the ack. Each
 * marker carries its own TTL (the horizon), so the bucket needs no sweeping.
 */
export class ProcessedMarkers {
  private kv?: Promise<KV>;

  constructor(
    private readonly nc: NatsConnection,
    private readonly bucket = PROCESSED_BUCKET,
  ) {}

  /** Direct gets by key subject: a consumer group's user may read only its own markers (see consumerGroupPermissions). */
  private store(): Promise<KV> {
    this.kv ??= new Kvm(this.nc).open(this.bucket, { allow_direct: true });
    return this.kv;
  }

  async seen(key: string): Promise<boolean> {
    const entry = await (await this.store()).get(key);
    return entry !== null && entry.operation === 'PUT';
  }

  /** Stores the marker for `horizonMs`; a marker another delivery stored first is as good. */
  async record(key: string, horizonMs: number): Promise<void> {
    try {
      await (await this.store()).create(key, new Date().toISOString(), `${Math.ceil(horizonMs / 1000)}s`);
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamWrongLastSequence) return;
      throw err;
    }
  }
}

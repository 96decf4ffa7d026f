import { STOCK_RESERVATIONS_BUCKET } from '#contracts';
import { NATS_CONNECTION } from '#jetstream';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { Inject, Injectable } from '@nestjs/common';

export type ReservationOutcome = 'reserved' | 'already-reserved';

/**
 * The example's "database": a stock reservation per order in a KV bucket. The
 * key is the delivery's idempotency key, and creating it is the effect and its
 * unique constraint at once (the inbox pattern): a repeat that slips past the
 * transport's marker finds the reservation and changes nothing.
 */
@Injectable()
export class StockReservationsStore {
  private kv?: Promise<KV>;

  constructor(@Inject(NATS_CONNECTION) private readonly nc: NatsConnection) {}

  async reserve(idempotencyKey: string, orderId: string): Promise<ReservationOutcome> {
    this.kv ??= new Kvm(this.nc).open(STOCK_RESERVATIONS_BUCKET);
    try {
      await (await this.kv).create(idempotencyKey, JSON.stringify({ orderId, reservedAt: new Date().toISOString() }));
      return 'reserved';
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamWrongLastSequence) return 'already-reserved';
      throw err;
    }
  }
}

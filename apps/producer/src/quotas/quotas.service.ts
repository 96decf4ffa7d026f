import { createHash } from 'node:crypto';
import { COUNTERS_PREFIX, NATS_CONNECTION, SharedCounters } from '#jetstream';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Principal } from '../auth/principal.js';
import { ProducerEnvironment } from '../config/producer.environment.js';
import { QuotaExceededError, type QuotaName } from './quota.errors.js';

/** How long a pod keeps a counter it no longer uses (its total stays in the stream). */
const IDLE_MS = 60_000;

/**
 * The per-caller and per-address quotas, counted in fixed windows on the
 * shared counters (one counter per quota, caller and window), so every
 * producer pod enforces the same totals. See SharedCounters for what a
 * grant costs and how far N pods can go past a quota.
 */
@Injectable()
export class QuotasService implements OnModuleInit, OnApplicationShutdown {
  private readonly counters: SharedCounters;

  constructor(
    @Inject(NATS_CONNECTION) nc: NatsConnection,
    private readonly env: ProducerEnvironment,
  ) {
    this.counters = new SharedCounters(jetstream(nc), {
      flushIntervalMs: env.QUOTA_FLUSH_INTERVAL_MS,
      localShare: env.QUOTA_LOCAL_SHARE,
      idleMs: IDLE_MS,
    });
  }

  onModuleInit(): void {
    this.counters.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.counters.stop();
  }

  /** One request of an authenticated caller. */
  request(principal: Principal): Promise<void> {
    return this.charge('requests', principal.id, 1, principal.quotas?.requests ?? this.env.RATE_LIMIT_MAX, this.env.RATE_LIMIT_WINDOW_MS);
  }

  /** Bytes about to be stored for a caller (all of a batch at once: it is taken whole or refused whole). */
  publishBytes(principal: Pick<Principal, 'id' | 'quotas'>, bytes: number): Promise<void> {
    return this.charge('publish-bytes', principal.id, bytes, principal.quotas?.publishBytes ?? this.env.PUBLISH_BYTES_MAX, this.env.PUBLISH_BYTES_WINDOW_MS);
  }

  /** A request to a public path (console, docs, metrics) from an address. */
  publicRequest(address: string): Promise<void> {
    return this.charge('public-requests', `ip:${address}`, 1, this.env.RATE_LIMIT_ANONYMOUS_MAX, this.env.RATE_LIMIT_WINDOW_MS);
  }

  /** A request with no or a refused credential from an address. */
  authFailure(address: string): Promise<void> {
    return this.charge('auth-failures', `ip:${address}`, 1, this.env.AUTH_FAILURE_MAX, this.env.AUTH_FAILURE_WINDOW_MS);
  }

  /** Throws QuotaExceededError when `amount` does not fit in what is left of the window. */
  private async charge(quota: QuotaName, who: string, amount: number, limit: number, windowMs: number): Promise<void> {
    const now = Date.now();
    const window = Math.floor(now / windowMs);
    const { granted } = await this.counters.take(subjectOf(quota, who, window), amount, limit);
    if (granted) return;
    // Later windows are no help to an amount above the whole quota: the problem says so.
    throw new QuotaExceededError(quota, limit, windowMs, Math.max(1, Math.ceil(((window + 1) * windowMs - now) / 1000)), amount > limit ? amount : undefined);
  }
}

/** Principal ids hold characters subjects cannot (`:`, `#`, `.`) and may be long: a digest names the caller. */
function subjectOf(quota: QuotaName, who: string, window: number): string {
  const caller = createHash('sha256').update(who).digest('base64url').slice(0, 22);
  return `${COUNTERS_PREFIX}.quota.${quota}.${caller}.${window}`;
}

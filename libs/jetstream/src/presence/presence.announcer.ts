import { randomUUID } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { PRESENCE_INTERVAL_MS, presenceSubject, type PresenceBeacon } from './presence.constants.js';

/**
 * Announces, over core NATS, which durables this process works on, so the
 * operations view can show bound workers per consumer. JetStream cannot say
 * it: a pull consumer's info counts waiting pull requests, not the processes
 * behind them. Best effort: a lost beacon only makes a worker look gone for
 * one period.
 */
export class PresenceAnnouncer {
  private readonly worker = randomUUID();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly nc: NatsConnection,
    private readonly durables: { stream: string; durable: string }[],
  ) {}

  start(): void {
    this.announce(false);
    this.timer = setInterval(() => this.announce(false), PRESENCE_INTERVAL_MS);
    this.timer.unref();
  }

  /** Says goodbye (before the connection drains) so the count drops at once. */
  stop(): void {
    clearInterval(this.timer);
    this.announce(true);
  }

  private announce(leaving: boolean): void {
    const beacon: PresenceBeacon = leaving ? { worker: this.worker, leaving } : { worker: this.worker };
    for (const { stream, durable } of this.durables) {
      try {
        this.nc.publish(presenceSubject(stream, durable), JSON.stringify(beacon));
      } catch {
        // Closed or draining connection: nothing to announce any more.
      }
    }
  }
}

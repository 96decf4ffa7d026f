import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { PRESENCE_EXPIRY_MS, PRESENCE_SUBJECT_PREFIX, type PresenceBeacon } from './presence.constants.js';

/** Counts the workers announcing each `<stream>.<durable>` (see PresenceAnnouncer). */
export class PresenceTracker {
  /** `<stream>.<durable>` → worker id → last heard (ms). */
  private readonly seen = new Map<string, Map<string, number>>();
  private sub?: Subscription;

  constructor(
    private readonly nc: NatsConnection,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.sub = this.nc.subscribe(`${PRESENCE_SUBJECT_PREFIX}.*.*`, {
      callback: (err, msg) => {
        if (err) return;
        const [, , stream, durable] = msg.subject.split('.');
        this.heard(`${stream}.${durable}`, msg.data);
      },
    });
  }

  stop(): void {
    this.sub?.unsubscribe();
  }

  /** Live workers of a durable. */
  workers(stream: string, durable: string): number {
    const workers = this.seen.get(`${stream}.${durable}`);
    if (!workers) return 0;
    const cutoff = this.now() - PRESENCE_EXPIRY_MS;
    for (const [worker, at] of workers) if (at < cutoff) workers.delete(worker);
    return workers.size;
  }

  /** One beacon; anything that is not one (a foreign publish) is ignored. */
  heard(key: string, data: Uint8Array): void {
    let beacon: PresenceBeacon;
    try {
      beacon = JSON.parse(new TextDecoder().decode(data)) as PresenceBeacon;
    } catch {
      return;
    }
    if (typeof beacon?.worker !== 'string' || beacon.worker.length > 64) return;
    let workers = this.seen.get(key);
    if (!workers) this.seen.set(key, (workers = new Map()));
    if (beacon.leaving === true) workers.delete(beacon.worker);
    else workers.set(beacon.worker, this.now());
  }
}

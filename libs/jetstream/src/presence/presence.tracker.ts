import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { PRESENCE_EXPIRY_MS, PRESENCE_SUBJECT_PREFIX, presenceSubject, type PresenceBeacon } from './presence.constants.js';

/**
 * Bounds of what the tracker holds, whoever publishes: beacons come over core NATS and every
 * publisher of a presence subject is believed (the server's permissions let each consumer group's
 * user announce only its own durables). Past a bound new workers or durables are not counted until
 * stale ones expire; a real deployment is far below both.
 */
export interface PresenceLimits {
  /** Distinct live workers counted per durable. */
  workersPerDurable: number;
  /** Distinct durables tracked. */
  durables: number;
}

export const DEFAULT_PRESENCE_LIMITS: PresenceLimits = { workersPerDurable: 256, durables: 4096 };

/** Counts the workers announcing each `<stream>.<durable>` (see PresenceAnnouncer). */
export class PresenceTracker {
  /** `<stream>.<durable>` → worker id → last heard (ms). */
  private readonly seen = new Map<string, Map<string, number>>();
  private readonly subs: Subscription[] = [];

  constructor(
    private readonly nc: NatsConnection,
    private readonly now: () => number = Date.now,
    /** Only these durables (a worker's user may subscribe to its own alone); absent: every durable. */
    private readonly durables?: { stream: string; durable: string }[],
    private readonly limits: PresenceLimits = DEFAULT_PRESENCE_LIMITS,
  ) {}

  start(): void {
    const subjects = this.durables ? this.durables.map((d) => presenceSubject(d.stream, d.durable)) : [`${PRESENCE_SUBJECT_PREFIX}.*.*`];
    for (const subject of subjects) {
      this.subs.push(
        this.nc.subscribe(subject, {
          callback: (err, msg) => {
            if (err) return;
            const [, , stream, durable] = msg.subject.split('.');
            this.heard(`${stream}.${durable}`, msg.data);
          },
        }),
      );
    }
  }

  stop(): void {
    for (const sub of this.subs) sub.unsubscribe();
  }

  /** Live workers of a durable. */
  workers(stream: string, durable: string): number {
    const key = `${stream}.${durable}`;
    const workers = this.seen.get(key);
    if (!workers) return 0;
    this.expire(key, workers);
    return workers.size;
  }

  /** One beacon; anything that is not one (a foreign publish) is ignored, and so is one past the limits. */
  heard(key: string, data: Uint8Array): void {
    let beacon: PresenceBeacon;
    try {
      beacon = JSON.parse(new TextDecoder().decode(data)) as PresenceBeacon;
    } catch {
      return;
    }
    if (typeof beacon?.worker !== 'string' || beacon.worker.length > 64) return;
    let workers = this.seen.get(key);
    if (beacon.leaving === true) {
      workers?.delete(beacon.worker);
      if (workers?.size === 0) this.seen.delete(key);
      return;
    }
    if (!workers) {
      if (this.seen.size >= this.limits.durables) this.expireAll();
      if (this.seen.size >= this.limits.durables) return;
      this.seen.set(key, (workers = new Map()));
    }
    if (!workers.has(beacon.worker) && workers.size >= this.limits.workersPerDurable) {
      this.expire(key, workers);
      if (workers.size >= this.limits.workersPerDurable) return;
    }
    workers.set(beacon.worker, this.now());
  }

  private expire(key: string, workers: Map<string, number>): void {
    const cutoff = this.now() - PRESENCE_EXPIRY_MS;
    for (const [worker, at] of workers) if (at < cutoff) workers.delete(worker);
    if (workers.size === 0) this.seen.delete(key);
  }

  private expireAll(): void {
    for (const [key, workers] of this.seen) this.expire(key, workers);
  }
}

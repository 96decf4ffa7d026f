/** Core NATS subject a worker announces a bound durable on: `nestjet.presence.<stream>.<durable>`. */
export const PRESENCE_SUBJECT_PREFIX = 'nestjet.presence';
/** How often a worker announces itself; a worker unheard for three periods is gone. */
export const PRESENCE_INTERVAL_MS = 5_000;
export const PRESENCE_EXPIRY_MS = 3 * PRESENCE_INTERVAL_MS;

export function presenceSubject(stream: string, durable: string): string {
  return `${PRESENCE_SUBJECT_PREFIX}.${stream}.${durable}`;
}

/** What a worker announces: who it is and whether it is leaving (so the count drops at once, not after the expiry). */
export interface PresenceBeacon {
  worker: string;
  leaving?: boolean;
}

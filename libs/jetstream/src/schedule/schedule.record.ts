import type { StoredMsg } from '@nats-io/jetstream';
import { storedPayload } from '../admin/stored-payload.js';
import { createHash } from 'node:crypto';
import { SCHEDULE_DUE_PREFIX, SCHEDULE_HEADERS, SCHEDULE_HELD_PREFIX, SCHEDULE_LEDGER_PREFIX, SCHEDULE_PENDING_PREFIX } from './schedule.constants.js';

/** A pending schedule as the admin API shows it. */
export interface PendingSchedule {
  id: string;
  /** The subject it will be delivered to (routed like any publish of its topic). */
  subject: string;
  /** When the server delivers it, ISO 8601 with milliseconds. */
  deliverAt: string;
  /** When it was stored. */
  scheduledAt: string;
  /** The principal that scheduled it. */
  scheduledBy?: string;
  /** Its SCHEDULES sequence (listings continue after it). */
  seq: number;
  payload: unknown;
}

/** A page of pending schedules, oldest first; `next` continues the listing. */
export interface ScheduleListing {
  items: PendingSchedule[];
  next: number | null;
}

/** The server's schedule headers (ADR-51). */
export const NATS_SCHEDULE_HEADERS = {
  schedule: 'Nats-Schedule',
  target: 'Nats-Schedule-Target',
  ttl: 'Nats-Schedule-TTL',
} as const;

/** Schedule ids become a subject token: no dots or wildcards. */
export const SCHEDULE_ID = /^[A-Za-z0-9_-]{1,128}$/;

export const pendingSubject = (id: string) => `${SCHEDULE_PENDING_PREFIX}.${id}`;
export const dueSubject = (subject: string) => `${SCHEDULE_DUE_PREFIX}.${subject}`;

/** A principal id as a subject token (ids hold `:`, `#`, `.`). */
const ownerToken = (scheduledBy: string) => createHash('sha256').update(scheduledBy).digest('base64url').slice(0, 22);
export const ledgerSubject = (scheduledBy: string, id: string) => `${SCHEDULE_LEDGER_PREFIX}.${ownerToken(scheduledBy)}.${id}`;
export const ledgerFilter = (scheduledBy: string) => `${SCHEDULE_LEDGER_PREFIX}.${ownerToken(scheduledBy)}.*`;
export const heldSubject = (scheduledBy: string, id: string, unit: number) => `${SCHEDULE_HELD_PREFIX}.${ownerToken(scheduledBy)}.${id}.${unit}`;
export const heldFilter = (scheduledBy: string) => `${SCHEDULE_HELD_PREFIX}.${ownerToken(scheduledBy)}.>`;

/** `@at <RFC 3339>`: a one-off schedule (cron and intervals also exist; nestjet makes only these). */
export const atSchedule = (at: Date) => `@at ${at.toISOString()}`;

export function decodeSchedule(m: StoredMsg): PendingSchedule {
  const h = (name: string) => m.header?.get(name) ?? '';
  const at = /^@at (.+)$/.exec(h(NATS_SCHEDULE_HEADERS.schedule))?.[1];
  const target = h(NATS_SCHEDULE_HEADERS.target);
  return {
    id: m.subject.slice(SCHEDULE_PENDING_PREFIX.length + 1),
    subject: target.startsWith(`${SCHEDULE_DUE_PREFIX}.`) ? target.slice(SCHEDULE_DUE_PREFIX.length + 1) : target,
    deliverAt: at ? new Date(at).toISOString() : '',
    scheduledAt: new Date(m.timestamp).toISOString(),
    scheduledBy: h(SCHEDULE_HEADERS.scheduledBy) || undefined,
    seq: m.seq,
    payload: storedPayload(m.data, m.header?.get('content-type')),
  };
}

/** The append-only stream of admin actions (see `withAudit`). */
export const AUDIT_STREAM = 'AUDIT';

/** Records are published on `audit.<action>`, so listing one kind of action is a server-side subject filter. */
export const AUDIT_SUBJECT_PREFIX = 'audit';

export function auditSubject(action: string): string {
  return `${AUDIT_SUBJECT_PREFIX}.${action}`;
}

/** What the admin API records; `<area>.<verb>`, one subject token each. */
export const AUDIT_ACTIONS = [
  'dlq.replay',
  'dlq.replay-bulk',
  'dlq.purge',
  'dlq.purge-bulk',
  'consumer.pause',
  'consumer.resume',
  'consumer.reset',
  'schedule.cancel',
  'api-keys.reload',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

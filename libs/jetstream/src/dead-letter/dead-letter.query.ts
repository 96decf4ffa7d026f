import { subjectMatches, ValidationFailedError, type FieldError } from '#contracts';
import { readPage, type Page } from '../admin/page-query.js';

export interface DeadLetterFilter {
  stream?: string;
  consumer?: string;
  /** Original subject; NATS wildcards allowed. */
  subject?: string;
  since?: Date;
  until?: Date;
  /** Text the failure reason or error name contains, any case. */
  reason?: string;
}

/** Return records after this DLQ sequence (the `next` of the previous page). */
export type DeadLetterPage = Page;

const TOKEN = /^[A-Za-z0-9_-]+$/;
const SUBJECT = /^[^\s]+$/;

/** Parses filter and paging parameters given as strings (query string or CLI flags); all problems at once. */
export function parseDeadLetterQuery(raw: Record<string, string | undefined>): { filter: DeadLetterFilter; page: DeadLetterPage } {
  const errors: FieldError[] = [];
  const bad = (field: string, message: string) => errors.push({ field, messages: [message] });
  const filter: DeadLetterFilter = {};
  for (const key of ['stream', 'consumer'] as const) {
    const v = raw[key];
    if (v === undefined) continue;
    if (TOKEN.test(v)) filter[key] = v;
    else bad(key, 'must be a stream or consumer name (letters, digits, - and _)');
  }
  if (raw.subject !== undefined) {
    if (SUBJECT.test(raw.subject)) filter.subject = raw.subject;
    else bad('subject', 'must be a NATS subject without spaces');
  }
  for (const key of ['since', 'until'] as const) {
    const v = raw[key];
    if (v === undefined) continue;
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) bad(key, 'must be an ISO 8601 date-time, e.g. 2026-11-27T10:00:00Z');
    else filter[key] = d;
  }
  if (filter.since && filter.until && filter.since > filter.until) bad('until', 'must not be before since');
  if (raw.reason !== undefined) {
    if (raw.reason.length >= 1 && raw.reason.length <= 200) filter.reason = raw.reason;
    else bad('reason', 'must be 1 to 200 characters of the failure reason to look for');
  }
  const page = readPage(raw, errors);
  const unknown = Object.keys(raw).filter((k) => !['stream', 'consumer', 'subject', 'since', 'until', 'reason', 'limit', 'after'].includes(k));
  for (const k of unknown) bad(k, 'is not a known parameter');
  if (errors.length > 0) throw new ValidationFailedError(errors);
  return { filter, page };
}

/** The DLQ subject filter the server can apply: `dlq.<stream|*>.<consumer|*>`. */
export function dlqSubjectFilter(f: DeadLetterFilter): string {
  return `dlq.${f.stream ?? '*'}.${f.consumer ?? '*'}`;
}

/** The filter parts the server cannot apply (original subject, time, reason). */
export function matchesRest(f: DeadLetterFilter, record: { subject: string; lastFailureAt: string; reason: string; errorName: string }): boolean {
  if (f.subject && !subjectMatches(f.subject, record.subject)) return false;
  if (f.reason) {
    const wanted = f.reason.toLowerCase();
    if (!record.reason.toLowerCase().includes(wanted) && !record.errorName.toLowerCase().includes(wanted)) return false;
  }
  const at = Date.parse(record.lastFailureAt);
  if (f.since && at < f.since.getTime()) return false;
  if (f.until && at > f.until.getTime()) return false;
  return true;
}

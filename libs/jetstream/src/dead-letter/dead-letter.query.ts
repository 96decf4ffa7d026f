import { parseRfc3339, subjectMatches, ValidationFailedError, type FieldError } from '#contracts';
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

/** What the query accepts, as /docs/openapi.json states it (DlqController): the same patterns and limits. */
export const DEAD_LETTER_QUERY_LIMITS = {
  token: '^[A-Za-z0-9_-]{1,255}$',
  /** A subject (wildcards allowed) in printable ASCII: no spaces, no control characters. */
  subject: '^[!-~]{1,255}$',
  reasonMaxLength: 200,
} as const;
const TOKEN = new RegExp(DEAD_LETTER_QUERY_LIMITS.token);
const SUBJECT = new RegExp(DEAD_LETTER_QUERY_LIMITS.subject);

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
    const d = parseRfc3339(v);
    if (!d) bad(key, 'must be an RFC 3339 date-time, e.g. 2026-11-27T10:00:00Z');
    else filter[key] = d;
  }
  // since after until is an empty range: it matches nothing (not an error, so each parameter stands on its own, as the document says).
  if (raw.reason !== undefined) {
    const chars = [...raw.reason].length; // characters (code points), as JSON Schema's maxLength counts them
    if (chars >= 1 && chars <= DEAD_LETTER_QUERY_LIMITS.reasonMaxLength) filter.reason = raw.reason;
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

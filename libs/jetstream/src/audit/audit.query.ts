import { parseRfc3339, ValidationFailedError, type FieldError } from '#contracts';
import { readPage, type Page } from '../admin/page-query.js';
import { AUDIT_ACTIONS, type AuditAction } from './audit.constants.js';

export interface AuditFilter {
  action?: AuditAction;
  /** Exact principal, e.g. `key:ops`. */
  principal?: string;
  /** Records whose target starts with this, e.g. `dlq/` or `consumer/ORDERS/`. */
  target?: string;
  outcome?: 'succeeded' | 'refused' | 'failed';
  since?: Date;
  until?: Date;
}

const OUTCOMES = ['succeeded', 'refused', 'failed'] as const;
const TEXT = /^[!-~]{1,256}$/;
const KNOWN = ['action', 'principal', 'target', 'outcome', 'since', 'until', 'limit', 'after'];

/** Filter and paging parameters given as strings (query string or CLI flags); every problem at once. */
export function parseAuditQuery(raw: Record<string, string | undefined>): { filter: AuditFilter; page: Page } {
  const errors: FieldError[] = [];
  const bad = (field: string, message: string) => errors.push({ field, messages: [message] });
  const filter: AuditFilter = {};
  if (raw.action !== undefined) {
    if ((AUDIT_ACTIONS as readonly string[]).includes(raw.action)) filter.action = raw.action as AuditAction;
    else bad('action', `must be one of ${AUDIT_ACTIONS.join(', ')}`);
  }
  for (const key of ['principal', 'target'] as const) {
    const v = raw[key];
    if (v === undefined) continue;
    if (TEXT.test(v)) filter[key] = v;
    else bad(key, 'must be 1-256 printable characters without spaces');
  }
  if (raw.outcome !== undefined) {
    if ((OUTCOMES as readonly string[]).includes(raw.outcome)) filter.outcome = raw.outcome as AuditFilter['outcome'];
    else bad('outcome', `must be one of ${OUTCOMES.join(', ')}`);
  }
  for (const key of ['since', 'until'] as const) {
    const v = raw[key];
    if (v === undefined) continue;
    const d = parseRfc3339(v);
    if (!d) bad(key, 'must be an RFC 3339 date-time, e.g. 2026-11-27T10:00:00Z');
    else filter[key] = d;
  }
  const page = readPage(raw, errors);
  for (const k of Object.keys(raw).filter((k) => !KNOWN.includes(k))) bad(k, 'is not a known parameter');
  if (errors.length > 0) throw new ValidationFailedError(errors);
  return { filter, page };
}

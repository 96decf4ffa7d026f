import { ValidationFailedError, type FieldError } from '#contracts';
import { readPage, type Page } from '../admin/page-query.js';

/** A principal id as the API shows it (`key:<id>`, `jwt:<iss>#<sub>`): printable ASCII, no spaces, bounded. */
export const PRINCIPAL_ID = /^[!-~]{1,512}$/;

/** Parses the schedule listing's parameters (paging and `scheduledBy`); all problems at once. */
export function parseScheduleQuery(raw: Record<string, string | undefined>): { page: Page; scheduledBy?: string } {
  const errors: FieldError[] = [];
  const page = readPage(raw, errors);
  const { scheduledBy } = raw;
  if (scheduledBy !== undefined && !PRINCIPAL_ID.test(scheduledBy)) {
    errors.push({ field: 'scheduledBy', messages: ['must be a principal id such as key:<id>: 1-512 printable ASCII characters, no spaces'] });
  }
  for (const k of Object.keys(raw).filter((k) => !['limit', 'after', 'scheduledBy'].includes(k))) errors.push({ field: k, messages: ['is not a known parameter'] });
  if (errors.length > 0) throw new ValidationFailedError(errors);
  return scheduledBy === undefined ? { page } : { page, scheduledBy };
}

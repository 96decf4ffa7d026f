import { ValidationFailedError, type FieldError } from '#contracts';

/** A page of a listing that walks a stream: up to `limit` items after sequence `after`. */
export interface Page {
  limit: number;
  /** Continue after this sequence (the `next` of the previous page). */
  after: number;
}

export const MAX_PAGE_LIMIT = 500;

/** A decimal integer as written in a query string (no sign, exponent, hex or spaces, which Number() would take), or NaN. */
function decimal(v: string): number {
  return /^[0-9]{1,16}$/.test(v) ? Number(v) : Number.NaN;
}

/** Reads `limit` (1-500, default 50) and `after` (default 0), adding any problem to `errors`. */
export function readPage(raw: Record<string, string | undefined>, errors: FieldError[]): Page {
  const limit = raw.limit === undefined ? 50 : decimal(raw.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) errors.push({ field: 'limit', messages: ['must be an integer from 1 to 500'] });
  const after = raw.after === undefined ? 0 : decimal(raw.after);
  if (!Number.isSafeInteger(after) || after < 0) errors.push({ field: 'after', messages: ['must be a non-negative integer (the next of the previous page)'] });
  return { limit, after };
}

/** Paging parameters and nothing else; every problem at once. */
export function parsePage(raw: Record<string, string | undefined>): Page {
  const errors: FieldError[] = [];
  const page = readPage(raw, errors);
  for (const k of Object.keys(raw).filter((k) => k !== 'limit' && k !== 'after')) errors.push({ field: k, messages: ['is not a known parameter'] });
  if (errors.length > 0) throw new ValidationFailedError(errors);
  return page;
}

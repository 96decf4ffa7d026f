import { ValidationFailedError, type FieldError } from '#contracts';

/** A page of a listing that walks a stream: up to `limit` items after sequence `after`. */
export interface Page {
  limit: number;
  /** Continue after this sequence (the `next` of the previous page). */
  after: number;
}

/** Reads `limit` (1-500, default 50) and `after` (default 0), adding any problem to `errors`. */
export function readPage(raw: Record<string, string | undefined>, errors: FieldError[]): Page {
  const limit = raw.limit === undefined ? 50 : Number(raw.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) errors.push({ field: 'limit', messages: ['must be an integer from 1 to 500'] });
  const after = raw.after === undefined ? 0 : Number(raw.after);
  if (!Number.isInteger(after) || after < 0) errors.push({ field: 'after', messages: ['must be a non-negative integer (the next of the previous page)'] });
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

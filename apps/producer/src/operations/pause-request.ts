import { parseRfc3339, ValidationFailedError } from '#contracts';

/** Without `until`, a pause lasts this long: long enough to fix a downstream, short enough not to be forgotten forever. */
export const DEFAULT_PAUSE_MS = 24 * 60 * 60_000;
const MAX_PAUSE_MS = 366 * 24 * 60 * 60_000;

/** `{}` or `{"until": "<RFC 3339, in the future, within a year>"}`; anything else is refused with the reason. */
export function parsePauseRequest(body: unknown, now: Date): { until: Date } {
  // An empty body is none; a JSON null is a body, and not an object.
  if (body === undefined) return { until: new Date(now.getTime() + DEFAULT_PAUSE_MS) };
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ValidationFailedError([{ field: 'body', messages: ['must be an object: {} or {"until": "<RFC 3339>"}'] }]);
  const { until, ...rest } = body as Record<string, unknown>;
  const errors = Object.keys(rest).map((k) => ({ field: k, messages: ['is not a field of pause; only "until" is'] }));
  if (until === undefined) {
    if (errors.length > 0) throw new ValidationFailedError(errors);
    return { until: new Date(now.getTime() + DEFAULT_PAUSE_MS) };
  }
  const at = parseRfc3339(until);
  if (!at) errors.push({ field: 'until', messages: ['must be an RFC 3339 date-time, e.g. 2026-11-28T18:00:00Z'] });
  else if (at.getTime() <= now.getTime()) errors.push({ field: 'until', messages: ['must be in the future'] });
  else if (at.getTime() - now.getTime() > MAX_PAUSE_MS) errors.push({ field: 'until', messages: ['must be within a year'] });
  if (errors.length > 0) throw new ValidationFailedError(errors);
  return { until: at! };
}

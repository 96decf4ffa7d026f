import { parseRfc3339, ValidationFailedError, type FieldError } from '#contracts';

/** The query parameters that delay a publish; at most one may be given. */
export interface DeliveryTimeQuery {
  deliverAt?: unknown;
  delayMs?: unknown;
}

/**
 * When a publish asks to be delivered: `deliverAt` (RFC 3339) or `delayMs`
 * from `now`, never both, in the future and at most `maxDelayMs` ahead.
 * Undefined: deliver now.
 */
export function parseDeliveryTime(query: DeliveryTimeQuery, now: number, maxDelayMs: number): Date | undefined {
  const { deliverAt, delayMs } = query;
  if (deliverAt === undefined && delayMs === undefined) return undefined;
  const errors: FieldError[] = [];
  const bad = (field: string, message: string) => errors.push({ field, messages: [message] });
  let at: number | undefined;
  if (deliverAt !== undefined && delayMs !== undefined) {
    bad('delayMs', 'give deliverAt or delayMs, not both');
  } else if (deliverAt !== undefined) {
    at = parseRfc3339(deliverAt)?.getTime();
    if (at === undefined) {
      bad('deliverAt', 'must be an RFC 3339 date-time with a time zone, e.g. 2026-11-29T10:00:00Z');
    } else {
      if (at <= now) bad('deliverAt', `must be in the future (the server's time is ${new Date(now).toISOString()})`);
    }
  } else if (typeof delayMs !== 'string' || !/^\d{1,15}$/.test(delayMs) || Number(delayMs) < 1) {
    bad('delayMs', 'must be a whole number of milliseconds, at least 1');
  } else {
    at = now + Number(delayMs);
  }
  if (errors.length === 0 && at! - now > maxDelayMs) {
    bad(deliverAt !== undefined ? 'deliverAt' : 'delayMs', `must be at most ${maxDelayMs} ms ahead (SCHEDULE_MAX_DELAY_MS)`);
  }
  if (errors.length > 0) throw new ValidationFailedError(errors, errors[0]!.messages[0]);
  return new Date(at!);
}

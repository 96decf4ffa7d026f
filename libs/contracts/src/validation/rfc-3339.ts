/**
 * RFC 3339 date-time with a zone, JSON Schema's `date-time`: `2026-11-29T10:00:00Z`,
 * `2026-11-29t11:00:00.250+01:00`. `Date()` alone would also take "2026" or "0".
 */
const RFC_3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** The instant an RFC 3339 date-time names; undefined for anything else (other formats, impossible dates). */
export function parseRfc3339(value: unknown): Date | undefined {
  if (typeof value !== 'string' || !RFC_3339.test(value)) return undefined;
  const at = new Date(value.toUpperCase());
  return Number.isNaN(at.getTime()) ? undefined : at;
}

export function isRfc3339(value: unknown): value is string {
  return parseRfc3339(value) !== undefined;
}

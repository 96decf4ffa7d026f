/** A caller's own limits, from its API key entry or its JWT (JWT_QUOTA_CLAIM); absent ones take the defaults. */
export interface QuotaOverrides {
  /** Requests per RATE_LIMIT_WINDOW_MS. */
  requests?: number;
  /** Published bytes per PUBLISH_BYTES_WINDOW_MS. */
  publishBytes?: number;
}

const FIELDS = ['requests', 'publishBytes'] as const;

/** The overrides in `raw`, or a reason they are refused (never a value that could be a secret). */
export function parseQuotaOverrides(raw: unknown): { overrides?: QuotaOverrides; problem?: string } {
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { problem: 'must be an object {"requests"?, "publishBytes"?}' };
  const overrides: QuotaOverrides = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!(FIELDS as readonly string[]).includes(name)) return { problem: `"${name}" is not a quota (known: ${FIELDS.join(', ')})` };
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) return { problem: `${name} must be a positive integer` };
    overrides[name as (typeof FIELDS)[number]] = value;
  }
  return { overrides };
}

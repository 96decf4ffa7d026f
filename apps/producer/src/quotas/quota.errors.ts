/** Which shared limit a request ran into (named in the 429/507 problem as `quota`). */
export type QuotaName = 'requests' | 'publish-bytes' | 'public-requests' | 'auth-failures';

/** A caller (or an address) used up a quota for the current window: 429 with Retry-After. */
export class QuotaExceededError extends Error {
  constructor(
    readonly quota: QuotaName,
    readonly limit: number,
    readonly windowMs: number,
    readonly retryAfterSeconds: number,
    /** What this one request asked for, when that alone is more than the quota (no window will take it). */
    readonly tooLarge?: number,
  ) {
    super(
      tooLarge === undefined
        ? `quota ${quota} reached: ${limit} per ${windowMs / 1000} s; retry in ${retryAfterSeconds} s`
        : `this request needs ${tooLarge} of quota ${quota}, more than its ${limit} per ${windowMs / 1000} s: send less at once`,
    );
    this.name = 'QuotaExceededError';
  }
}

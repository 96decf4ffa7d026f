/** Which shared limit a request ran into (named in the 429/507 problem as `quota`). */
export type QuotaName = 'requests' | 'publish-bytes' | 'public-requests' | 'auth-failures';

/** A caller (or an address) used up a quota for the current window: 429 with Retry-After. */
export class QuotaExceededError extends Error {
  constructor(
    readonly quota: QuotaName,
    readonly limit: number,
    readonly windowMs: number,
    readonly retryAfterSeconds: number,
  ) {
    super(`quota ${quota} reached: ${limit} per ${windowMs / 1000} s; retry in ${retryAfterSeconds} s`);
    this.name = 'QuotaExceededError';
  }
}

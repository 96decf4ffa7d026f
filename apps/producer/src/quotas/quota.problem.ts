import { problems, type ProblemException } from '../problem/problem-details.js';
import { QuotaExceededError } from './quota.errors.js';

/** The 429 of a used-up quota; anything else is rethrown. */
export function quotaProblem(err: unknown): ProblemException {
  if (!(err instanceof QuotaExceededError)) throw err;
  return problems.quotaExceeded(err.quota, err.limit, err.windowMs, err.retryAfterSeconds, err.message);
}

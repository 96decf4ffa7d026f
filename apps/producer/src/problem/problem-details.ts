import type { FieldError } from '#contracts';
import { HttpException, HttpStatus } from '@nestjs/common';
import { WWW_AUTHENTICATE } from '../auth/auth.constants.js';

/** RFC 9457 problem details. Extension members carry machine-readable specifics. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function problemType(slug: string): string {
  return `urn:nestjet:problem:${slug}`;
}

/** An HTTP error that renders as the given problem document. */
export class ProblemException extends HttpException {
  constructor(
    readonly problem: ProblemDetails,
    readonly responseHeaders: Record<string, string> = {},
  ) {
    super(problem, problem.status);
  }
}

export const problems = {
  /** At most `maxErrors` field errors are listed (a hostile body can have thousands); `errorsOmitted` counts the rest. */
  validation: (detail: string, errors: FieldError[], maxErrors = errors.length) =>
    new ProblemException({
      type: problemType('validation'),
      title: 'Request validation failed',
      status: HttpStatus.BAD_REQUEST,
      detail: detail.length > 1_000 ? `${detail.slice(0, 1_000)}…` : detail,
      errors: errors.slice(0, maxErrors),
      ...(errors.length > maxErrors ? { errorsOmitted: errors.length - maxErrors } : {}),
    }),
  badRequest: (detail: string) =>
    new ProblemException({ type: problemType('bad-request'), title: 'Bad request', status: HttpStatus.BAD_REQUEST, detail }),
  unknownTopic: (topic: string, known: string[]) =>
    new ProblemException({
      type: problemType('unknown-topic'),
      title: 'Unknown topic',
      status: HttpStatus.NOT_FOUND,
      detail: `topic "${topic}" does not exist; known topics: ${known.join(', ')}`,
      topic,
    }),
  unsupportedMediaType: (got: string | undefined, accepted: readonly string[]) =>
    new ProblemException({
      type: problemType('unsupported-media-type'),
      title: 'Unsupported media type',
      status: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
      detail: `send the body as ${accepted.join(', ')} (got ${got ? `"${got}"` : 'no Content-Type'})`,
    }),
  /** The path exists, the method does not: `Allow` lists what does (RFC 9110 §15.5.6). */
  methodNotAllowed: (method: string, allowed: string[]) =>
    new ProblemException(
      {
        type: problemType('method-not-allowed'),
        title: 'Method not allowed',
        status: HttpStatus.METHOD_NOT_ALLOWED,
        detail: `${method} is not allowed here; allowed: ${allowed.join(', ')}`,
        allowed,
      },
      { allow: allowed.join(', ') },
    ),
  notFound: (detail: string) =>
    new ProblemException({ type: problemType('not-found'), title: 'Not found', status: HttpStatus.NOT_FOUND, detail }),
  conflict: (detail: string, extra: Record<string, unknown> = {}) =>
    new ProblemException({ type: problemType('conflict'), title: 'Conflict', status: HttpStatus.CONFLICT, detail, ...extra }),
  /** Something the request needs besides the broker (Jaeger's query API) is not configured or not answering. */
  unavailable: (detail: string) =>
    new ProblemException({ type: problemType('unavailable'), title: 'Service unavailable', status: HttpStatus.SERVICE_UNAVAILABLE, detail }),
  unprocessable: (detail: string) =>
    new ProblemException({ type: problemType('unprocessable'), title: 'Unprocessable content', status: HttpStatus.UNPROCESSABLE_ENTITY, detail }),
  /** A full `discard: new` stream: the request was fine, there is no room; retrying at once cannot help. */
  streamFull: (detail: string, stream: string | undefined, extra: Record<string, unknown> = {}) =>
    new ProblemException({ type: problemType('stream-full'), title: 'Stream full', status: HttpStatus.INSUFFICIENT_STORAGE, detail, stream, ...extra }),
  unauthorized: (detail: string) =>
    new ProblemException(
      { type: problemType('unauthorized'), title: 'Unauthorized', status: HttpStatus.UNAUTHORIZED, detail },
      { 'www-authenticate': WWW_AUTHENTICATE },
    ),
  forbidden: (scope: string) =>
    new ProblemException({
      type: problemType('forbidden'),
      title: 'Forbidden',
      status: HttpStatus.FORBIDDEN,
      detail: `the credential lacks the scope ${scope}`,
      scope,
    }),
  /** A shared quota is used up for its window: `quota` names it, with its `limit` per `windowSeconds`. */
  quotaExceeded: (quota: string, limit: number, windowMs: number, retryAfterSeconds: number, detail: string) =>
    new ProblemException(
      {
        type: problemType('rate-limited'),
        title: 'Too many requests',
        status: HttpStatus.TOO_MANY_REQUESTS,
        detail,
        quota,
        limit,
        windowSeconds: windowMs / 1000,
      },
      { 'retry-after': String(retryAfterSeconds) },
    ),
  idempotencyKeyReused: (key: string, originalSeq: number) =>
    new ProblemException({
      type: problemType('idempotency-key-reused'),
      title: 'Idempotency key reused with a different payload',
      status: HttpStatus.UNPROCESSABLE_ENTITY,
      detail: `Idempotency-Key "${key}" was already used for a different payload (stored as seq ${originalSeq}); use a new key for a new message`,
      originalSeq,
    }),
  brokerRejected: (detail: string) =>
    new ProblemException({
      type: problemType('broker-rejected'),
      title: 'Message refused by the broker',
      status: HttpStatus.BAD_GATEWAY,
      detail,
    }),
  brokerUnavailable: (detail: string, retryAfterSeconds: number, extra: Record<string, unknown> = {}) =>
    new ProblemException(
      {
        type: problemType('broker-unavailable'),
        title: 'Message not confirmed by the broker',
        status: HttpStatus.SERVICE_UNAVAILABLE,
        detail,
        ...extra,
      },
      { 'retry-after': String(retryAfterSeconds) },
    ),
};

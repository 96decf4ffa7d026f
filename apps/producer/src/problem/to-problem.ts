import { UnknownTopicError, ValidationFailedError } from '#contracts';
import {
  AlreadyReplayedError,
  DeadLetterNotFoundError,
  isBrokerUnavailable,
  PublishRejectedError,
  PublishTimeoutError,
  ReplayRefusedError,
  ReplayUnreachableError,
  ScheduleNotFoundError,
  SchedulesFullError,
  SCHEDULES_STREAM,
  StreamFullError,
} from '#jetstream';
import { HttpException, HttpStatus } from '@nestjs/common';
import { BatchNotConfirmedError, IdempotencyKeyReusedError } from '../messages/messages.errors.js';
import { QuotaExceededError } from '../quotas/quota.errors.js';
import { quotaProblem } from '../quotas/quota.problem.js';
import { problems, ProblemException, type ProblemDetails } from './problem-details.js';

/** Retry-After of a 507 for a full SCHEDULES. */
const SCHEDULES_FULL_RETRY_AFTER_SECONDS = 60;

/** Operator settings that shape problem documents. */
export interface ProblemSettings {
  /** Seconds a client should wait before retrying a 503. */
  retryAfterSeconds: number;
  /** Field errors listed in one 400; the rest are only counted. */
  maxFieldErrors: number;
}

export interface RenderedProblem {
  problem: ProblemDetails;
  headers: Record<string, string>;
}

/** The problem a domain error stands for; null for errors that are not ours. */
function domainProblem(error: unknown, { retryAfterSeconds, maxFieldErrors }: ProblemSettings): ProblemException | null {
  if (error instanceof ValidationFailedError) return problems.validation(error.message, error.errors, maxFieldErrors);
  if (error instanceof UnknownTopicError) return problems.unknownTopic(error.topic, error.known);
  if (error instanceof DeadLetterNotFoundError || error instanceof ScheduleNotFoundError) return problems.notFound(error.message);
  if (error instanceof AlreadyReplayedError) return problems.conflict(error.message, { previousReplay: error.previous });
  // An edited payload that routes past the failed consumer is a bad request body; the record's own subject is a state conflict.
  if (error instanceof ReplayUnreachableError && error.edited) return problems.unprocessable(error.message);
  if (error instanceof ReplayRefusedError) return problems.conflict(error.message);
  if (error instanceof IdempotencyKeyReusedError) return problems.idempotencyKeyReused(error.key, error.originalSeq);
  if (error instanceof StreamFullError) return problems.streamFull(error.message, error.stream);
  if (error instanceof SchedulesFullError) {
    // Room comes back as schedules fall due or are cancelled, at no known time: a minute is a polite guess, not a promise.
    const full = problems.streamFull(error.message, SCHEDULES_STREAM, { quota: `schedules-${error.measure}`, limit: error.limit });
    return new ProblemException(full.problem, { 'retry-after': String(SCHEDULES_FULL_RETRY_AFTER_SECONDS) });
  }
  if (error instanceof QuotaExceededError) return quotaProblem(error);
  if (error instanceof PublishTimeoutError) {
    return problems.brokerUnavailable(
      `${error.message}; retry with Idempotency-Key: ${error.msgId} so a stored copy is not duplicated`,
      retryAfterSeconds,
      { id: error.msgId },
    );
  }
  if (error instanceof BatchNotConfirmedError) return problems.brokerUnavailable(error.message, retryAfterSeconds, { results: error.results });
  if (error instanceof PublishRejectedError) return problems.brokerRejected(error.message);
  // A read (DLQ, topics) that the broker could not answer: an outage, never a 404 or a 500.
  if (isBrokerUnavailable(error)) return problems.brokerUnavailable('JetStream did not answer in time; try again', retryAfterSeconds);
  return null;
}

/**
 * Maps any error thrown while serving a request to a problem document: the one
 * place where domain errors become HTTP statuses.
 */
export function toProblem(error: unknown, instance: string | undefined, settings: ProblemSettings): RenderedProblem {
  const known = error instanceof ProblemException ? error : domainProblem(error, settings);
  if (known) return { problem: { ...known.problem, instance }, headers: known.responseHeaders };
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const body = error.getResponse();
    const detail = typeof body === 'string' ? body : (body as { message?: unknown }).message;
    return {
      problem: {
        type: 'about:blank',
        title: titleOf(status),
        status,
        detail: Array.isArray(detail) ? detail.join('; ') : typeof detail === 'string' ? detail : error.message,
        instance,
      },
      headers: {},
    };
  }
  // Errors raised inside Fastify (body parsing, limits) carry their status.
  const statusCode = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return { problem: { type: 'about:blank', title: titleOf(statusCode), status: statusCode, detail: (error as Error).message, instance }, headers: {} };
  }
  return {
    problem: { type: 'about:blank', title: 'Internal server error', status: 500, instance },
    headers: {},
  };
}

/** `PAYLOAD_TOO_LARGE` → `Payload too large`. */
function titleOf(status: number): string {
  const name = HttpStatus[status];
  return name ? name.replace(/_/g, ' ').toLowerCase().replace(/^\w/, (c) => c.toUpperCase()) : 'Error';
}

import { HttpException, HttpStatus } from '@nestjs/common';
import { ProblemException, type ProblemDetails } from './problem-details.js';

export interface RenderedProblem {
  problem: ProblemDetails;
  headers: Record<string, string>;
}

/** Maps any error thrown while serving a request to a problem document. */
export function toProblem(error: unknown, instance?: string): RenderedProblem {
  if (error instanceof ProblemException) {
    return { problem: { ...error.problem, instance }, headers: error.responseHeaders };
  }
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

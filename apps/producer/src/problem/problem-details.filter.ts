import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ProducerEnvironment } from '../config/producer.environment.js';
import { sendProblem } from './problem-reply.js';
import { toProblem, type ProblemSettings } from './to-problem.js';

/** Writes every error as `application/problem+json`. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  constructor(private readonly env: ProducerEnvironment) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const rendered = toProblem(exception, request.url, problemSettings(this.env));
    const { problem } = rendered;
    if (problem.status >= 500 && problem.status !== 503) {
      this.logger.error({ event: 'http.error', url: request.url, error: exception instanceof Error ? exception.stack : String(exception) });
    }
    sendProblem(http.getResponse<FastifyReply>(), rendered);
  }
}

export function problemSettings(env: ProducerEnvironment): ProblemSettings {
  return { retryAfterSeconds: env.RETRY_AFTER_SECONDS, maxFieldErrors: env.MAX_FIELD_ERRORS };
}

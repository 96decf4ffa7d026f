import { Catch, Logger, Optional, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuditRecorder } from '../audit/audit.recorder.js';
import { auditSpecOf } from '../audit/audited.decorator.js';
import { ProducerEnvironment } from '../config/producer.environment.js';
import { sendProblem } from './problem-reply.js';
import { toProblem, type ProblemSettings } from './to-problem.js';

/** Writes every error as `application/problem+json`. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  constructor(
    private readonly env: ProducerEnvironment,
    @Optional() private readonly audit?: AuditRecorder,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const rendered = toProblem(exception, request.url, problemSettings(this.env));
    const { problem } = rendered;
    if (problem.status >= 500 && problem.status !== 503) {
      this.logger.error({ event: 'http.error', url: request.url, error: exception instanceof Error ? exception.stack : String(exception) });
    }
    const reply = http.getResponse<FastifyReply>();
    // A refused or failed admin action is recorded before the caller hears of it (the recorder never throws).
    const audited = auditSpecOf(request);
    if (audited && this.audit) void this.audit.record(audited, request, { problem }).then(() => sendProblem(reply, rendered));
    else sendProblem(reply, rendered);
  }
}

export function problemSettings(env: ProducerEnvironment): ProblemSettings {
  return { retryAfterSeconds: env.RETRY_AFTER_SECONDS, maxFieldErrors: env.MAX_FIELD_ERRORS };
}

import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ProducerEnvironment } from '../config/producer.environment.js';
import { PROBLEM_CONTENT_TYPE } from './problem-details.js';
import { toProblem } from './to-problem.js';

/** Writes every error as `application/problem+json`. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  constructor(private readonly env: ProducerEnvironment) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const { problem, headers } = toProblem(exception, request.url, this.env.RETRY_AFTER_SECONDS);
    if (problem.status >= 500 && problem.status !== 503) {
      this.logger.error({ event: 'http.error', url: request.url, error: exception instanceof Error ? exception.stack : String(exception) });
    }
    void http.getResponse<FastifyReply>().status(problem.status).headers(headers).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
  }
}

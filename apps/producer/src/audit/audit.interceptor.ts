import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { mergeMap, type Observable } from 'rxjs';
import { AuditRecorder } from './audit.recorder.js';
import { AUDITED } from './audit.constants.js';
import type { AuditSpec } from './audited.decorator.js';

/**
 * Records each successful call of an `@Audited` route before the answer is
 * sent, so a caller that got its answer can find the record. Refusals and
 * failures are recorded by ProblemDetailsFilter, which sees those raised
 * before this interceptor runs (guards) too.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly recorder: AuditRecorder,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const spec = this.reflector.get<AuditSpec | undefined>(AUDITED, context.getHandler());
    if (!spec) return next.handle();
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const status = this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) ?? 200;
    return next.handle().pipe(
      mergeMap(async (answer: unknown) => {
        await this.recorder.record(spec, request, { answer, status });
        return answer;
      }),
    );
  }
}

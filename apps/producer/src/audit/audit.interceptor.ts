import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { catchError, from, mergeMap, throwError, type Observable } from 'rxjs';
import { AuditRecorder } from './audit.recorder.js';
import { AUDITED, type AuditSpec } from './audited.decorator.js';

/**
 * Records each call of an `@Audited` route once it has succeeded or thrown
 * (pipes and the body checks run inside, so a malformed request is recorded
 * as refused), before the answer is sent: a caller that got its answer can
 * find the record.
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
      catchError((error: unknown) => from(this.recorder.record(spec, request, { error })).pipe(mergeMap(() => throwError(() => error)))),
    );
  }
}

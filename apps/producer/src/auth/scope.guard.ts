import { Injectable, Optional, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AuditRecorder } from '../audit/audit.recorder.js';
import { AUDITED, type AuditSpec } from '../audit/audited.decorator.js';
import { problems } from '../problem/problem-details.js';
import { REQUIRED_SCOPE } from './auth.constants.js';
import type { ScopeOf } from './require-scope.decorator.js';
import { grants } from './scope.js';

/**
 * Authorization: a route's `@RequireScope` against the scopes of the caller
 * the authentication hook found. Routes without a scope only need that hook
 * (which already refused anonymous callers on every non-public path).
 * A caller refused an audited admin action is recorded in the audit trail:
 * the attempt is what an auditor looks for.
 */
@Injectable()
export class ScopeGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Optional() private readonly audit?: AuditRecorder,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const scopeOf = this.reflector.getAllAndOverride<ScopeOf | undefined>(REQUIRED_SCOPE, [context.getHandler(), context.getClass()]);
    if (scopeOf === undefined) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const principal = request.principal;
    if (!principal) throw problems.unauthorized(request.authFailure ?? 'this route needs a credential');
    const required = typeof scopeOf === 'function' ? scopeOf(request) : scopeOf;
    if (!grants(principal.scopes, required)) {
      const refused = problems.forbidden(required);
      const audited = this.reflector.get<AuditSpec | undefined>(AUDITED, context.getHandler());
      // Synchronous on every other path: the publish route stays free of an extra await.
      if (audited && this.audit) {
        return this.audit.record(audited, request, { error: refused }).then(() => {
          throw refused;
        });
      }
      throw refused;
    }
    return true;
  }
}

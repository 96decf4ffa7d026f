import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { problems } from '../problem/problem-details.js';
import { REQUIRED_SCOPE } from './auth.constants.js';
import type { ScopeOf } from './require-scope.decorator.js';
import { grants } from './scope.js';

/**
 * Authorization: a route's `@RequireScope` against the scopes of the caller
 * the authentication hook found. Routes without a scope only need that hook
 * (which already refused anonymous callers on every non-public path).
 */
@Injectable()
export class ScopeGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const scopeOf = this.reflector.getAllAndOverride<ScopeOf | undefined>(REQUIRED_SCOPE, [context.getHandler(), context.getClass()]);
    if (scopeOf === undefined) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const principal = request.principal;
    if (!principal) throw problems.unauthorized(request.authFailure ?? 'this route needs a credential');
    const required = typeof scopeOf === 'function' ? scopeOf(request) : scopeOf;
    if (!grants(principal.scopes, required)) throw problems.forbidden(required);
    return true;
  }
}

import { timingSafeEqual } from 'node:crypto';
import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ProducerEnvironment } from '../config/producer.environment.js';
import { problems } from '../problem/problem-details.js';

/**
 * The hook for admin authentication: a static bearer token when ADMIN_TOKEN is
 * set, open otherwise (local runs). Replace this guard to plug in real identity.
 */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  constructor(private readonly env: ProducerEnvironment) {}

  canActivate(context: ExecutionContext): boolean {
    const expected = this.env.ADMIN_TOKEN;
    if (!expected) return true;
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization;
    if (!header?.startsWith('Bearer ')) throw problems.unauthorized();
    const given = Buffer.from(header.slice('Bearer '.length));
    const want = Buffer.from(expected);
    if (given.length !== want.length || !timingSafeEqual(given, want)) throw problems.forbidden();
    return true;
  }
}

import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { problems } from '../problem/problem-details.js';

/**
 * Fastify parses text/plain on its own, so a body sent as text would reach the
 * handler as a string; refuse anything but JSON before validation sees it.
 */
@Injectable()
export class JsonContentTypeGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const type = context.switchToHttp().getRequest<FastifyRequest>().headers['content-type'];
    const mime = type?.split(';')[0]?.trim().toLowerCase();
    if (mime !== 'application/json') throw problems.unsupportedMediaType(type);
    return true;
  }
}

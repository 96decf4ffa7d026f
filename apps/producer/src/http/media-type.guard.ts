import { Injectable, type CanActivate, type ExecutionContext, type Type } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { problems } from '../problem/problem-details.js';

/** The request's media type, lower case, without parameters. */
export function mediaTypeOf(request: FastifyRequest): string | undefined {
  return request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
}

/**
 * A guard refusing (415, naming what the route takes) any media type but
 * `accepted` before the body means anything: Fastify parses text/plain on its
 * own, so a body sent as text would otherwise reach the handler as a string.
 */
export function mediaTypeGuard(accepted: readonly string[]): Type<CanActivate> {
  @Injectable()
  class MediaTypeGuard implements CanActivate {
    canActivate(context: ExecutionContext): boolean {
      const request = context.switchToHttp().getRequest<FastifyRequest>();
      if (!accepted.includes(mediaTypeOf(request) ?? '')) throw problems.unsupportedMediaType(request.headers['content-type'], accepted);
      return true;
    }
  }
  return MediaTypeGuard;
}

/** Admin routes take JSON only (no CORS "simple request" can reach them). */
export const JsonContentTypeGuard = mediaTypeGuard(['application/json']);

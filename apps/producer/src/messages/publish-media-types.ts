import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { problems } from '../problem/problem-details.js';

/** What the publish routes accept; each request body is parsed by its type (see http/event-bodies.ts). */
export const MEDIA_TYPES = {
  json: 'application/json',
  msgpack: 'application/msgpack',
  /** One CloudEvent in structured mode. */
  cloudEvent: 'application/cloudevents+json',
  /** A JSON array of structured CloudEvents. */
  cloudEventBatch: 'application/cloudevents-batch+json',
} as const;
export type MediaType = (typeof MEDIA_TYPES)[keyof typeof MEDIA_TYPES];

export const SINGLE_MEDIA_TYPES: readonly MediaType[] = [MEDIA_TYPES.json, MEDIA_TYPES.msgpack, MEDIA_TYPES.cloudEvent];
export const BATCH_MEDIA_TYPES: readonly MediaType[] = [MEDIA_TYPES.json, MEDIA_TYPES.msgpack, MEDIA_TYPES.cloudEventBatch];

/** The request's media type, lower case, without parameters. */
export function mediaTypeOf(request: FastifyRequest): string | undefined {
  return request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
}

/**
 * Refuses (415) any media type the route does not take before the body means
 * anything: Fastify would otherwise hand text/plain through as a string.
 */
function guardFor(accepted: readonly MediaType[]): new () => CanActivate {
  @Injectable()
  class MediaTypeGuard implements CanActivate {
    canActivate(context: ExecutionContext): boolean {
      const request = context.switchToHttp().getRequest<FastifyRequest>();
      if (!accepted.includes(mediaTypeOf(request) as MediaType)) throw problems.unsupportedMediaType(request.headers['content-type'], accepted);
      return true;
    }
  }
  return MediaTypeGuard;
}

export const SingleMediaTypeGuard = guardFor(SINGLE_MEDIA_TYPES);
export const BatchMediaTypeGuard = guardFor(BATCH_MEDIA_TYPES);
